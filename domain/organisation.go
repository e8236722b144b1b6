package domain

import (
	"slices"
	"strings"
	"time"
)

// OrganisationState is a community's organisation folded from its stream.
type OrganisationState struct {
	// Exists is false until the community is registered.
	Exists      bool                `json:"exists"`
	CommunityID string              `json:"community_id"`
	Name        string              `json:"name"`
	Kind        string              `json:"kind"`
	Street      string              `json:"street"`
	Grids       map[string]Grid     `json:"grids"`
	Compounds   map[string]Compound `json:"compounds"`
	Partners    map[string]Partner  `json:"partners"`
	// Volunteers, Teams and Stations are the community's resource map
	// (资源图谱), nil until the first of each is registered.
	Volunteers map[string]Volunteer `json:"volunteers,omitempty"`
	Teams      map[string]Team      `json:"teams,omitempty"`
	Stations   map[string]Station   `json:"stations,omitempty"`
}

// Grid is one grid of a community.
type Grid struct {
	GridID string `json:"grid_id"`
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	// Head is the grid head; its PersonID is empty until one is appointed.
	Head    Voter                 `json:"head"`
	Workers map[string]GridWorker `json:"workers"`
}

// GridWorker is a grid worker of a grid.
type GridWorker struct {
	PersonID   string `json:"person_id"`
	Name       string `json:"name"`
	Employment string `json:"employment"`
}

// Compound is one compound with its unit register.
type Compound struct {
	CompoundID string          `json:"compound_id"`
	GridID     string          `json:"grid_id"`
	Name       string          `json:"name"`
	Units      map[string]Unit `json:"units"`
}

// Unit is one unit of a compound's register.
type Unit struct {
	UnitID  string  `json:"unit_id"`
	Label   string  `json:"label"`
	AreaDM2 int64   `json:"area_dm2"`
	Owners  []Voter `json:"owners"`
}

// Partner is a participating unit of the community.
type Partner struct {
	PartnerID string `json:"partner_id"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Contact   string `json:"contact"`
	// Offer, Skills and Categories say what the unit offers the community.
	Offer      string   `json:"offer,omitempty"`
	Skills     []string `json:"skills,omitempty"`
	Categories []string `json:"categories,omitempty"`
}

// Register returns a compound's unit register as an owners' vote locks it,
// sorted by unit id, and its owners as an electorate sorted by person id:
// what an OpenVoting command for the art. 278 rules carries.
func (s OrganisationState) Register(compoundID string) ([]OwnedUnit, []Voter) {
	c, ok := s.Compounds[compoundID]
	if !ok {
		return nil, nil
	}
	var units []OwnedUnit
	owners := map[string]Voter{}
	for _, u := range c.Units {
		ou := OwnedUnit{UnitID: u.UnitID, AreaDM2: u.AreaDM2}
		for _, o := range u.Owners {
			ou.Owners = append(ou.Owners, o.PersonID)
			owners[o.PersonID] = o
		}
		units = append(units, ou)
	}
	slices.SortFunc(units, func(a, b OwnedUnit) int { return strings.Compare(a.UnitID, b.UnitID) })
	electorate := make([]Voter, 0, len(owners))
	for _, v := range owners {
		electorate = append(electorate, v)
	}
	slices.SortFunc(electorate, func(a, b Voter) int { return strings.Compare(a.PersonID, b.PersonID) })
	return units, electorate
}

// FoldOrganisation folds an organisation stream's events, oldest first.
func FoldOrganisation(events []Event) OrganisationState {
	return foldEvents[OrganisationState](events)
}

// evolve applies one event to the state.
func (s *OrganisationState) evolve(e Event) {
	switch e := e.(type) {
	case CommunityRegistered:
		*s = OrganisationState{Exists: true, CommunityID: e.CommunityID, Name: e.Name, Kind: e.Kind, Street: e.Street,
			Grids: map[string]Grid{}, Compounds: map[string]Compound{}, Partners: map[string]Partner{}}
	case GridCreated:
		s.Grids[e.GridID] = Grid{GridID: e.GridID, Name: e.Name, Kind: e.Kind, Workers: map[string]GridWorker{}}
	case GridHeadAppointed:
		g := s.Grids[e.GridID]
		g.Head = Voter{PersonID: e.PersonID, Name: e.Name}
		s.Grids[e.GridID] = g
	case GridWorkerAssigned:
		s.Grids[e.GridID].Workers[e.PersonID] = GridWorker{PersonID: e.PersonID, Name: e.Name, Employment: e.Employment}
	case GridWorkerRemoved:
		delete(s.Grids[e.GridID].Workers, e.PersonID)
	case CompoundRegistered:
		s.Compounds[e.CompoundID] = Compound{CompoundID: e.CompoundID, GridID: e.GridID, Name: e.Name, Units: map[string]Unit{}}
	case UnitRegistered:
		s.Compounds[e.CompoundID].Units[e.UnitID] = Unit{UnitID: e.UnitID, Label: e.Label, AreaDM2: e.AreaDM2, Owners: e.Owners}
	case UnitOwnersChanged:
		u := s.Compounds[e.CompoundID].Units[e.UnitID]
		u.Owners = e.Owners
		s.Compounds[e.CompoundID].Units[e.UnitID] = u
	case PartnerRegistered:
		s.Partners[e.PartnerID] = Partner{PartnerID: e.PartnerID, Name: e.Name, Kind: e.Kind, Contact: e.Contact}
	default:
		s.evolveResources(e)
	}
}

var (
	errCommunityNotFound = refuse(CodeNotFound, "community_not_found", "this community is not registered yet", "该社区尚未登记")
	errGridNotFound      = &Error{Code: CodeNotFound, Reason: "grid_not_found", Field: "grid_id", Message: "there is no such grid in this community", MessageZH: "本社区没有这个网格"}
	errCompoundNotFound  = &Error{Code: CodeNotFound, Reason: "compound_not_found", Field: "compound_id", Message: "there is no such compound in this community", MessageZH: "本社区没有这个楼院/小区"}
)

// owners checks a unit's owner list: at least one, each once.
func owners(field string, vs []Voter) *Error {
	if len(vs) == 0 {
		return invalid(field, "owners_required", "a unit needs at least one owner", "房屋至少要有一位业主")
	}
	seen := map[string]bool{}
	for _, v := range vs {
		if e := voter(field, v); e != nil {
			return e
		}
		if seen[v.PersonID] {
			return invalid(field, "duplicate_owner", "an owner is listed twice", "业主重复登记")
		}
		seen[v.PersonID] = true
	}
	return nil
}

// decideOrganisation decides an organisation command.
func decideOrganisation(s OrganisationState, cmd Command, now time.Time) ([]Event, error) {
	if c, ok := cmd.(RegisterCommunity); ok {
		if s.Exists {
			return nil, refuse(CodeConflict, "community_exists", "this community is already registered", "该社区已经登记过")
		}
		if err := firstError(id("community_id", c.CommunityID), text("name", "the community's name", "社区名称", c.Name, maxShort),
			oneOf("kind", c.Kind, CommunityUrban, CommunityVillage), optionalText("street", "the street", "街道/镇", c.Street, maxShort)); err != nil {
			return nil, err
		}
		return []Event{CommunityRegistered{CommunityID: c.CommunityID, Name: c.Name, Kind: c.Kind, Street: c.Street, At: now}}, nil
	}
	if !s.Exists {
		return nil, errCommunityNotFound
	}
	switch c := cmd.(type) {
	case CreateGrid:
		if err := firstError(id("grid_id", c.GridID), text("name", "the grid's name", "网格名称", c.Name, maxShort), oneOf("kind", c.Kind, GridResidential, GridDedicated)); err != nil {
			return nil, err
		}
		if _, ok := s.Grids[c.GridID]; ok {
			return nil, refuse(CodeConflict, "grid_exists", "this grid already exists", "该网格已经存在")
		}
		return []Event{GridCreated{CommunityID: s.CommunityID, GridID: c.GridID, Name: c.Name, Kind: c.Kind, At: now}}, nil
	case AppointGridHead:
		g, ok := s.Grids[c.GridID]
		if !ok {
			return nil, errGridNotFound
		}
		if err := firstError(voter("head", Voter{PersonID: c.PersonID, Name: c.Name})); err != nil {
			return nil, err
		}
		if g.Head.PersonID == c.PersonID {
			return nil, refuse(CodeConflict, "already_grid_head", c.Name+" is already this grid's head", c.Name+" 已经是该网格的网格长")
		}
		return []Event{GridHeadAppointed{CommunityID: s.CommunityID, GridID: c.GridID, PersonID: c.PersonID, Name: c.Name, At: now}}, nil
	case AssignGridWorker:
		g, ok := s.Grids[c.GridID]
		if !ok {
			return nil, errGridNotFound
		}
		if err := firstError(voter("worker", Voter{PersonID: c.PersonID, Name: c.Name}), oneOf("employment", c.Employment, FullTime, PartTime)); err != nil {
			return nil, err
		}
		if _, ok := g.Workers[c.PersonID]; ok {
			return nil, refuse(CodeConflict, "worker_already_assigned", c.Name+" already works in this grid", c.Name+" 已经是该网格的网格员")
		}
		return []Event{GridWorkerAssigned{CommunityID: s.CommunityID, GridID: c.GridID, PersonID: c.PersonID, Name: c.Name, Employment: c.Employment, At: now}}, nil
	case RemoveGridWorker:
		g, ok := s.Grids[c.GridID]
		if !ok {
			return nil, errGridNotFound
		}
		if _, ok := g.Workers[c.PersonID]; !ok {
			return nil, &Error{Code: CodeNotFound, Reason: "worker_not_found", Field: "person_id", Message: "this person is not a worker of this grid", MessageZH: "此人不是该网格的网格员"}
		}
		if err := firstError(text("reason", "the reason", "原因", c.Reason, maxShort)); err != nil {
			return nil, err
		}
		return []Event{GridWorkerRemoved{CommunityID: s.CommunityID, GridID: c.GridID, PersonID: c.PersonID, Reason: c.Reason, At: now}}, nil
	case RegisterCompound:
		if _, ok := s.Grids[c.GridID]; !ok {
			return nil, errGridNotFound
		}
		if err := firstError(id("compound_id", c.CompoundID), text("name", "the compound's name", "楼院/小区名称", c.Name, maxShort)); err != nil {
			return nil, err
		}
		if _, ok := s.Compounds[c.CompoundID]; ok {
			return nil, refuse(CodeConflict, "compound_exists", "this compound is already registered", "该楼院/小区已经登记过")
		}
		return []Event{CompoundRegistered{CommunityID: s.CommunityID, CompoundID: c.CompoundID, GridID: c.GridID, Name: c.Name, At: now}}, nil
	case RegisterUnit:
		comp, ok := s.Compounds[c.CompoundID]
		if !ok {
			return nil, errCompoundNotFound
		}
		if err := firstError(id("unit_id", c.UnitID), text("label", "the unit's label", "房号", c.Label, maxShort), area(c.AreaDM2), owners("owners", c.Owners)); err != nil {
			return nil, err
		}
		if _, ok := comp.Units[c.UnitID]; ok {
			return nil, refuse(CodeConflict, "unit_exists", "this unit is already in the register", "该房屋已经登记过")
		}
		return []Event{UnitRegistered{CommunityID: s.CommunityID, CompoundID: c.CompoundID, UnitID: c.UnitID, Label: c.Label, AreaDM2: c.AreaDM2, Owners: c.Owners, At: now}}, nil
	case ChangeUnitOwners:
		comp, ok := s.Compounds[c.CompoundID]
		if !ok {
			return nil, errCompoundNotFound
		}
		if _, ok := comp.Units[c.UnitID]; !ok {
			return nil, &Error{Code: CodeNotFound, Reason: "unit_not_found", Field: "unit_id", Message: "there is no such unit in this compound", MessageZH: "该楼院/小区没有这个房屋"}
		}
		if err := firstError(owners("owners", c.Owners)); err != nil {
			return nil, err
		}
		return []Event{UnitOwnersChanged{CommunityID: s.CommunityID, CompoundID: c.CompoundID, UnitID: c.UnitID, Owners: c.Owners, At: now}}, nil
	case RegisterPartner:
		if err := firstError(id("partner_id", c.PartnerID), text("name", "the unit's name", "单位名称", c.Name, maxShort),
			oneOf("kind", c.Kind, UnitPropertyManagement, UnitHeatingCompany, UnitPoliceStation, UnitContractor, UnitDeveloper, UnitOther),
			optionalText("contact", "the contact", "联系人", c.Contact, maxShort)); err != nil {
			return nil, err
		}
		if _, ok := s.Partners[c.PartnerID]; ok {
			return nil, refuse(CodeConflict, "partner_exists", "this participating unit is already registered", "该参与单位已经登记过")
		}
		return []Event{PartnerRegistered{CommunityID: s.CommunityID, PartnerID: c.PartnerID, Name: c.Name, Kind: c.Kind, Contact: c.Contact, At: now}}, nil
	}
	return decideResources(s, cmd, now)
}

// area checks an exclusive area: positive, at most 100,000 m².
func area(dm2 int64) *Error {
	if dm2 <= 0 || dm2 > 10_000_000 {
		return invalid("area_dm2", "bad_area", "the exclusive area must be above 0 and at most 100,000 m² (given in hundredths of a square metre)", "专有部分面积应大于 0 且不超过 100000 平方米（单位：0.01 平方米）")
	}
	return nil
}
