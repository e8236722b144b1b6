package domain

import "time"

// The organisation of one community lives in one stream,
// "organisation-<communityID>": the community (社区/村) itself, its grids
// (网格) with their heads and workers, its compounds (楼院/小区) with their
// unit registers, and the participating units (参与单位). One stream keeps
// the register consistent (a unit's compound must exist) at the price of
// serialising organisation changes of one community, which are rare.

// Community kinds.
const (
	// CommunityUrban is an urban residential community (社区).
	CommunityUrban = "community"
	// CommunityVillage is a village (村).
	CommunityVillage = "village"
)

// Grid kinds.
const (
	// GridResidential is an ordinary residential or village grid.
	GridResidential = "residential"
	// GridDedicated is a dedicated grid (专属网格): a school, a market, an
	// industrial park.
	GridDedicated = "dedicated"
)

// Grid worker employment.
const (
	// FullTime is a full-time (专职) grid worker.
	FullTime = "full_time"
	// PartTime is a part-time (兼职) grid worker.
	PartTime = "part_time"
)

// Participating unit kinds.
const (
	// UnitPropertyManagement is a property management company (物业).
	UnitPropertyManagement = "property_management"
	// UnitHeatingCompany is a heating company (供暖公司).
	UnitHeatingCompany = "heating_company"
	// UnitPoliceStation is a police station (派出所).
	UnitPoliceStation = "police_station"
	// UnitContractor is a contractor (施工单位).
	UnitContractor = "contractor"
	// UnitDeveloper is a property developer (开发商).
	UnitDeveloper = "developer"
	// UnitOther is any other unit (a social organisation, a clinic).
	UnitOther = "other"
)

// CommunityRegistered starts an organisation stream.
type CommunityRegistered struct {
	CommunityID string `json:"community_id"`
	Name        string `json:"name"`
	// Kind is CommunityUrban (社区) or CommunityVillage (村).
	Kind string `json:"kind"`
	// Street is the street office or town (街道/镇) above the community.
	Street string    `json:"street"`
	At     time.Time `json:"at"`
}

// GridCreated adds a grid to a community.
type GridCreated struct {
	CommunityID string `json:"community_id"`
	GridID      string `json:"grid_id"`
	Name        string `json:"name"`
	// Kind is GridResidential or GridDedicated.
	Kind string    `json:"kind"`
	At   time.Time `json:"at"`
}

// GridHeadAppointed makes a person the head (网格长) of a grid, replacing
// any previous head.
type GridHeadAppointed struct {
	CommunityID string    `json:"community_id"`
	GridID      string    `json:"grid_id"`
	PersonID    string    `json:"person_id"`
	Name        string    `json:"name" pii:"name,person=PersonID"`
	At          time.Time `json:"at"`
}

// GridWorkerAssigned adds a grid worker (网格员) to a grid.
type GridWorkerAssigned struct {
	CommunityID string `json:"community_id"`
	GridID      string `json:"grid_id"`
	PersonID    string `json:"person_id"`
	Name        string `json:"name" pii:"name,person=PersonID"`
	// Employment is FullTime or PartTime.
	Employment string    `json:"employment"`
	At         time.Time `json:"at"`
}

// GridWorkerRemoved takes a grid worker off a grid.
type GridWorkerRemoved struct {
	CommunityID string    `json:"community_id"`
	GridID      string    `json:"grid_id"`
	PersonID    string    `json:"person_id"`
	Reason      string    `json:"reason"`
	At          time.Time `json:"at"`
}

// CompoundRegistered adds a compound (楼院/小区) to a grid.
type CompoundRegistered struct {
	CommunityID string    `json:"community_id"`
	CompoundID  string    `json:"compound_id"`
	GridID      string    `json:"grid_id"`
	Name        string    `json:"name"`
	At          time.Time `json:"at"`
}

// UnitRegistered adds a unit (房屋) with its exclusive area and owners to a
// compound's register.
type UnitRegistered struct {
	CommunityID string `json:"community_id"`
	CompoundID  string `json:"compound_id"`
	UnitID      string `json:"unit_id"`
	// Label is the door label, such as "3-2-101".
	Label string `json:"label" pii:"door,person=Owners.PersonID"`
	// AreaDM2 is the exclusive area in hundredths of a square metre.
	AreaDM2 int64 `json:"area_dm2"`
	// Owners are the unit's owners; co-owners share one vote.
	Owners []Voter   `json:"owners"`
	At     time.Time `json:"at"`
}

// UnitOwnersChanged replaces the owners of a registered unit (a sale, an
// inheritance).
type UnitOwnersChanged struct {
	CommunityID string    `json:"community_id"`
	CompoundID  string    `json:"compound_id"`
	UnitID      string    `json:"unit_id"`
	Owners      []Voter   `json:"owners"`
	At          time.Time `json:"at"`
}

// PartnerRegistered adds a participating unit (物业, 供暖公司, 派出所, a
// contractor) to the community.
type PartnerRegistered struct {
	CommunityID string `json:"community_id"`
	PartnerID   string `json:"partner_id"`
	Name        string `json:"name"`
	// Kind is one of the Unit* constants (物业, 供暖公司, 派出所 …).
	Kind string `json:"kind"`
	// Contact is the unit's contact person, free text: personal data,
	// sealed under the partner's id as a person's (the id the unit's
	// representatives act as), so erasing that id erases it.
	Contact string    `json:"contact" pii:"text,person=PartnerID"`
	At      time.Time `json:"at"`
}

// EventType implements Event.
func (CommunityRegistered) EventType() string { return "organisation.community_registered.v1" }

// EventType implements Event.
func (GridCreated) EventType() string { return "organisation.grid_created.v1" }

// EventType implements Event.
func (GridHeadAppointed) EventType() string { return "organisation.grid_head_appointed.v1" }

// EventType implements Event.
func (GridWorkerAssigned) EventType() string { return "organisation.grid_worker_assigned.v1" }

// EventType implements Event.
func (GridWorkerRemoved) EventType() string { return "organisation.grid_worker_removed.v1" }

// EventType implements Event.
func (CompoundRegistered) EventType() string { return "organisation.compound_registered.v1" }

// EventType implements Event.
func (UnitRegistered) EventType() string { return "organisation.unit_registered.v1" }

// EventType implements Event.
func (UnitOwnersChanged) EventType() string { return "organisation.unit_owners_changed.v1" }

// EventType implements Event.
func (PartnerRegistered) EventType() string { return "organisation.partner_registered.v1" }

// RegisterCommunity starts a community's organisation stream.
type RegisterCommunity struct {
	CommunityID string `json:"community_id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Street      string `json:"street"`
}

// CreateGrid adds a grid to a community.
type CreateGrid struct {
	CommunityID string `json:"community_id"`
	GridID      string `json:"grid_id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
}

// AppointGridHead makes a person the head of a grid.
type AppointGridHead struct {
	CommunityID string `json:"community_id"`
	GridID      string `json:"grid_id"`
	PersonID    string `json:"person_id"`
	Name        string `json:"name" pii:"name,person=PersonID"`
}

// AssignGridWorker adds a full-time or part-time worker to a grid.
type AssignGridWorker struct {
	CommunityID string `json:"community_id"`
	GridID      string `json:"grid_id"`
	PersonID    string `json:"person_id"`
	Name        string `json:"name" pii:"name,person=PersonID"`
	Employment  string `json:"employment"`
}

// RemoveGridWorker takes a worker off a grid.
type RemoveGridWorker struct {
	CommunityID string `json:"community_id"`
	GridID      string `json:"grid_id"`
	PersonID    string `json:"person_id"`
	Reason      string `json:"reason"`
}

// RegisterCompound adds a compound to a grid.
type RegisterCompound struct {
	CommunityID string `json:"community_id"`
	CompoundID  string `json:"compound_id"`
	GridID      string `json:"grid_id"`
	Name        string `json:"name"`
}

// RegisterUnit adds a unit to a compound's register.
type RegisterUnit struct {
	CommunityID string  `json:"community_id"`
	CompoundID  string  `json:"compound_id"`
	UnitID      string  `json:"unit_id"`
	Label       string  `json:"label"`
	AreaDM2     int64   `json:"area_dm2"`
	Owners      []Voter `json:"owners"`
}

// ChangeUnitOwners replaces a unit's owners.
type ChangeUnitOwners struct {
	CommunityID string  `json:"community_id"`
	CompoundID  string  `json:"compound_id"`
	UnitID      string  `json:"unit_id"`
	Owners      []Voter `json:"owners"`
}

// RegisterPartner adds a participating unit to the community.
type RegisterPartner struct {
	CommunityID string `json:"community_id"`
	PartnerID   string `json:"partner_id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Contact     string `json:"contact"`
}

// OrganisationStream is the stream of a community's organisation.
func OrganisationStream(communityID string) string { return "organisation-" + communityID }

// Stream implements Command.
func (c RegisterCommunity) Stream() string { return OrganisationStream(c.CommunityID) }

// Stream implements Command.
func (c CreateGrid) Stream() string { return OrganisationStream(c.CommunityID) }

// Stream implements Command.
func (c AppointGridHead) Stream() string { return OrganisationStream(c.CommunityID) }

// Stream implements Command.
func (c AssignGridWorker) Stream() string { return OrganisationStream(c.CommunityID) }

// Stream implements Command.
func (c RemoveGridWorker) Stream() string { return OrganisationStream(c.CommunityID) }

// Stream implements Command.
func (c RegisterCompound) Stream() string { return OrganisationStream(c.CommunityID) }

// Stream implements Command.
func (c RegisterUnit) Stream() string { return OrganisationStream(c.CommunityID) }

// Stream implements Command.
func (c ChangeUnitOwners) Stream() string { return OrganisationStream(c.CommunityID) }

// Stream implements Command.
func (c RegisterPartner) Stream() string { return OrganisationStream(c.CommunityID) }
