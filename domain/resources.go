package domain

import (
	"fmt"
	"time"
)

// The resource map (资源图谱) of a community lives in its organisation
// stream beside the grids: volunteers with their skills and availability,
// volunteer teams (the 小红李 teams), service stations and venues (网格之家,
// 议事空间, 儿童之家 …) and what participating units offer. Each resource
// names the kinds of matter it helps with in the words proposals use for
// their category (环境卫生, 停车 …) and its skills (清扫, 维修, 驾驶 …), so
// that "who can help with this" is a lookup by category, place and skill.

// Station kinds.
const (
	// StationGridHome is a 网格之家: a grid's home for talks and activities.
	StationGridHome = "grid_home"
	// StationDeliberationSpace is a 议事空间 where residents deliberate.
	StationDeliberationSpace = "deliberation_space"
	// StationChildrenHome is a 儿童之家: after-school care.
	StationChildrenHome = "children_home"
	// StationRiderRest is a 暖心驿站 where delivery riders rest.
	StationRiderRest = "rider_rest"
	// StationCanteen is a community canteen (社区食堂).
	StationCanteen = "canteen"
	// StationVolunteerService is a volunteer service station (志愿服务站),
	// where service points are redeemed.
	StationVolunteerService = "volunteer_service"
	// StationOther is any other venue.
	StationOther = "other"
)

// PartyTeam is a volunteer team of the organisation as an action's owner.
const PartyTeam = "team"

// maxLabels bounds a resource's categories and skills.
const maxLabels = 20

// VolunteerRegistered adds a volunteer (志愿者) to a community's resource
// map, in one grid.
type VolunteerRegistered struct {
	CommunityID string `json:"community_id"`
	GridID      string `json:"grid_id"`
	PersonID    string `json:"person_id"`
	Name        string `json:"name" pii:"name,person=PersonID"`
	// Phone is how staff reach the volunteer; never public.
	Phone string `json:"phone,omitempty" pii:"text,person=PersonID"`
	// Skills are what the volunteer can do (维修, 驾驶, 清扫).
	Skills []string `json:"skills"`
	// Categories are the kinds of matter the volunteer helps with, in the
	// words of proposals' categories (环境卫生, 助老).
	Categories []string `json:"categories,omitempty"`
	// Availability is when the volunteer can help (周末, 工作日晚上).
	Availability string    `json:"availability,omitempty"`
	At           time.Time `json:"at"`
}

// VolunteerTeamFormed adds a volunteer team (志愿服务队) to a community,
// in one grid or, without a grid, for the whole community.
type VolunteerTeamFormed struct {
	CommunityID string    `json:"community_id"`
	TeamID      string    `json:"team_id"`
	GridID      string    `json:"grid_id,omitempty"`
	Name        string    `json:"name"`
	Skills      []string  `json:"skills"`
	Categories  []string  `json:"categories,omitempty"`
	At          time.Time `json:"at"`
}

// VolunteerJoinedTeam makes a registered volunteer a member of a team.
type VolunteerJoinedTeam struct {
	CommunityID string    `json:"community_id"`
	TeamID      string    `json:"team_id"`
	PersonID    string    `json:"person_id"`
	At          time.Time `json:"at"`
}

// StationRegistered adds a service station or venue to a grid.
type StationRegistered struct {
	CommunityID string `json:"community_id"`
	StationID   string `json:"station_id"`
	GridID      string `json:"grid_id"`
	Name        string `json:"name"`
	// Kind is one of the Station* constants.
	Kind string `json:"kind"`
	// Services are what the station offers (义诊, 休息, 作业辅导).
	Services   []string  `json:"services"`
	Categories []string  `json:"categories,omitempty"`
	At         time.Time `json:"at"`
}

// PartnerOfferRecorded records what a participating unit offers the
// community, replacing what it offered before.
type PartnerOfferRecorded struct {
	CommunityID string `json:"community_id"`
	PartnerID   string `json:"partner_id"`
	// Offer says in a sentence what the unit offers.
	Offer      string    `json:"offer"`
	Skills     []string  `json:"skills"`
	Categories []string  `json:"categories,omitempty"`
	At         time.Time `json:"at"`
}

// EventType implements Event.
func (VolunteerRegistered) EventType() string { return "organisation.volunteer_registered.v1" }

// EventType implements Event.
func (VolunteerTeamFormed) EventType() string { return "organisation.volunteer_team_formed.v1" }

// EventType implements Event.
func (VolunteerJoinedTeam) EventType() string { return "organisation.volunteer_joined_team.v1" }

// EventType implements Event.
func (StationRegistered) EventType() string { return "organisation.station_registered.v1" }

// EventType implements Event.
func (PartnerOfferRecorded) EventType() string { return "organisation.partner_offer_recorded.v1" }

// RegisterVolunteer adds a volunteer to a grid of the community.
type RegisterVolunteer struct {
	CommunityID  string   `json:"community_id"`
	GridID       string   `json:"grid_id"`
	PersonID     string   `json:"person_id"`
	Name         string   `json:"name" pii:"name,person=PersonID"`
	Phone        string   `json:"phone" pii:"text,person=PersonID"`
	Skills       []string `json:"skills"`
	Categories   []string `json:"categories"`
	Availability string   `json:"availability"`
}

// FormVolunteerTeam adds a volunteer team.
type FormVolunteerTeam struct {
	CommunityID string   `json:"community_id"`
	TeamID      string   `json:"team_id"`
	GridID      string   `json:"grid_id"`
	Name        string   `json:"name"`
	Skills      []string `json:"skills"`
	Categories  []string `json:"categories"`
}

// JoinVolunteerTeam makes a volunteer a member of a team.
type JoinVolunteerTeam struct {
	CommunityID string `json:"community_id"`
	TeamID      string `json:"team_id"`
	PersonID    string `json:"person_id"`
}

// RegisterStation adds a service station or venue to a grid.
type RegisterStation struct {
	CommunityID string   `json:"community_id"`
	StationID   string   `json:"station_id"`
	GridID      string   `json:"grid_id"`
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Services    []string `json:"services"`
	Categories  []string `json:"categories"`
}

// RecordPartnerOffer records what a participating unit offers.
type RecordPartnerOffer struct {
	CommunityID string   `json:"community_id"`
	PartnerID   string   `json:"partner_id"`
	Offer       string   `json:"offer"`
	Skills      []string `json:"skills"`
	Categories  []string `json:"categories"`
}

// Stream implements Command.
func (c RegisterVolunteer) Stream() string { return OrganisationStream(c.CommunityID) }

// Stream implements Command.
func (c FormVolunteerTeam) Stream() string { return OrganisationStream(c.CommunityID) }

// Stream implements Command.
func (c JoinVolunteerTeam) Stream() string { return OrganisationStream(c.CommunityID) }

// Stream implements Command.
func (c RegisterStation) Stream() string { return OrganisationStream(c.CommunityID) }

// Stream implements Command.
func (c RecordPartnerOffer) Stream() string { return OrganisationStream(c.CommunityID) }

// Volunteer is a volunteer of a community's resource map.
type Volunteer struct {
	PersonID     string   `json:"person_id"`
	GridID       string   `json:"grid_id"`
	Name         string   `json:"name"`
	Phone        string   `json:"phone,omitempty"`
	Skills       []string `json:"skills"`
	Categories   []string `json:"categories,omitempty"`
	Availability string   `json:"availability,omitempty"`
	// Teams are the ids of the teams the volunteer belongs to.
	Teams []string `json:"teams,omitempty"`
}

// Team is a volunteer team.
type Team struct {
	TeamID     string   `json:"team_id"`
	GridID     string   `json:"grid_id,omitempty"`
	Name       string   `json:"name"`
	Skills     []string `json:"skills"`
	Categories []string `json:"categories,omitempty"`
	// Members are the person ids of its volunteers, in the order they joined.
	Members []string `json:"members,omitempty"`
}

// Station is a service station or venue.
type Station struct {
	StationID  string   `json:"station_id"`
	GridID     string   `json:"grid_id"`
	Name       string   `json:"name"`
	Kind       string   `json:"kind"`
	Services   []string `json:"services"`
	Categories []string `json:"categories,omitempty"`
}

// InTeam reports whether person is a member of the team.
func (s OrganisationState) InTeam(teamID, person string) bool {
	for _, m := range s.Teams[teamID].Members {
		if m == person {
			return true
		}
	}
	return false
}

// evolveResources applies a resource-map event to the state.
func (s *OrganisationState) evolveResources(e Event) {
	switch e := e.(type) {
	case VolunteerRegistered:
		if s.Volunteers == nil {
			s.Volunteers = map[string]Volunteer{}
		}
		s.Volunteers[e.PersonID] = Volunteer{PersonID: e.PersonID, GridID: e.GridID, Name: e.Name, Phone: e.Phone,
			Skills: e.Skills, Categories: e.Categories, Availability: e.Availability}
	case VolunteerTeamFormed:
		if s.Teams == nil {
			s.Teams = map[string]Team{}
		}
		s.Teams[e.TeamID] = Team{TeamID: e.TeamID, GridID: e.GridID, Name: e.Name, Skills: e.Skills, Categories: e.Categories}
	case VolunteerJoinedTeam:
		t := s.Teams[e.TeamID]
		t.Members = append(t.Members, e.PersonID)
		s.Teams[e.TeamID] = t
		v := s.Volunteers[e.PersonID]
		v.Teams = append(v.Teams, e.TeamID)
		s.Volunteers[e.PersonID] = v
	case StationRegistered:
		if s.Stations == nil {
			s.Stations = map[string]Station{}
		}
		s.Stations[e.StationID] = Station{StationID: e.StationID, GridID: e.GridID, Name: e.Name, Kind: e.Kind, Services: e.Services, Categories: e.Categories}
	case PartnerOfferRecorded:
		p := s.Partners[e.PartnerID]
		p.Offer, p.Skills, p.Categories = e.Offer, e.Skills, e.Categories
		s.Partners[e.PartnerID] = p
	}
}

// labels checks a list of categories or skills: each a short text, none
// twice, at most maxLabels; at least one when required.
func labels(field string, vs []string, required bool) *Error {
	if required && len(vs) == 0 {
		return invalid(field, "required", field+" needs at least one entry", field+" 至少需要一项")
	}
	if len(vs) > maxLabels {
		return invalid(field, "too_many", fmt.Sprintf("%s has more than %d entries", field, maxLabels), fmt.Sprintf("%s 超过 %d 项", field, maxLabels))
	}
	seen := map[string]bool{}
	for i, v := range vs {
		f := fmt.Sprintf("%s[%d]", field, i)
		if e := text(f, "the entry", "该项", v, 50); e != nil {
			return e
		}
		if seen[v] {
			return invalid(f, "duplicate", v+" appears twice", v+" 重复")
		}
		seen[v] = true
	}
	return nil
}

// gridOf refuses a grid id the community does not have; empty is allowed
// when optional.
func (s OrganisationState) gridOf(gridID string, optional bool) *Error {
	if gridID == "" && optional {
		return nil
	}
	if _, ok := s.Grids[gridID]; !ok {
		return errGridNotFound
	}
	return nil
}

// decideResources decides a resource-map command on an existing
// community's organisation.
func decideResources(s OrganisationState, cmd Command, now time.Time) ([]Event, error) {
	switch c := cmd.(type) {
	case RegisterVolunteer:
		if err := firstError(s.gridOf(c.GridID, false), voter("volunteer", Voter{PersonID: c.PersonID, Name: c.Name}),
			optionalText("phone", "the phone number", "电话", c.Phone, 30), labels("skills", c.Skills, true), labels("categories", c.Categories, false),
			optionalText("availability", "the availability", "可服务时间", c.Availability, maxShort)); err != nil {
			return nil, err
		}
		if _, ok := s.Volunteers[c.PersonID]; ok {
			return nil, refuse(CodeConflict, "volunteer_exists", c.Name+" is already a registered volunteer", c.Name+" 已经登记为志愿者")
		}
		return []Event{VolunteerRegistered{CommunityID: s.CommunityID, GridID: c.GridID, PersonID: c.PersonID, Name: c.Name, Phone: c.Phone,
			Skills: c.Skills, Categories: c.Categories, Availability: c.Availability, At: now}}, nil
	case FormVolunteerTeam:
		if err := firstError(id("team_id", c.TeamID), s.gridOf(c.GridID, true), text("name", "the team's name", "服务队名称", c.Name, maxShort),
			labels("skills", c.Skills, true), labels("categories", c.Categories, false)); err != nil {
			return nil, err
		}
		if _, ok := s.Teams[c.TeamID]; ok {
			return nil, refuse(CodeConflict, "team_exists", "this volunteer team already exists", "该志愿服务队已经存在")
		}
		return []Event{VolunteerTeamFormed{CommunityID: s.CommunityID, TeamID: c.TeamID, GridID: c.GridID, Name: c.Name, Skills: c.Skills, Categories: c.Categories, At: now}}, nil
	case JoinVolunteerTeam:
		if _, ok := s.Teams[c.TeamID]; !ok {
			return nil, errTeamNotFound
		}
		if _, ok := s.Volunteers[c.PersonID]; !ok {
			return nil, errVolunteerNotFound
		}
		if s.InTeam(c.TeamID, c.PersonID) {
			return nil, refuse(CodeConflict, "already_member", "this volunteer is already a member of the team", "该志愿者已经是服务队成员")
		}
		return []Event{VolunteerJoinedTeam{CommunityID: s.CommunityID, TeamID: c.TeamID, PersonID: c.PersonID, At: now}}, nil
	case RegisterStation:
		if err := firstError(id("station_id", c.StationID), s.gridOf(c.GridID, false), text("name", "the station's name", "站点名称", c.Name, maxShort),
			oneOf("kind", c.Kind, StationGridHome, StationDeliberationSpace, StationChildrenHome, StationRiderRest, StationCanteen, StationVolunteerService, StationOther),
			labels("services", c.Services, true), labels("categories", c.Categories, false)); err != nil {
			return nil, err
		}
		if _, ok := s.Stations[c.StationID]; ok {
			return nil, refuse(CodeConflict, "station_exists", "this station is already registered", "该站点已经登记过")
		}
		return []Event{StationRegistered{CommunityID: s.CommunityID, StationID: c.StationID, GridID: c.GridID, Name: c.Name, Kind: c.Kind,
			Services: c.Services, Categories: c.Categories, At: now}}, nil
	case RecordPartnerOffer:
		if _, ok := s.Partners[c.PartnerID]; !ok {
			return nil, &Error{Code: CodeNotFound, Reason: "partner_not_found", Field: "partner_id", Message: "there is no such participating unit in this community", MessageZH: "本社区没有这个参与单位"}
		}
		if err := firstError(text("offer", "what the unit offers", "提供的资源", c.Offer, maxShort), labels("skills", c.Skills, true), labels("categories", c.Categories, false)); err != nil {
			return nil, err
		}
		return []Event{PartnerOfferRecorded{CommunityID: s.CommunityID, PartnerID: c.PartnerID, Offer: c.Offer, Skills: c.Skills, Categories: c.Categories, At: now}}, nil
	}
	return nil, unknownCommand(cmd)
}

var (
	errTeamNotFound      = &Error{Code: CodeNotFound, Reason: "team_not_found", Field: "team_id", Message: "there is no such volunteer team in this community", MessageZH: "本社区没有这个志愿服务队"}
	errVolunteerNotFound = &Error{Code: CodeNotFound, Reason: "volunteer_not_found", Field: "person_id", Message: "this person is not a registered volunteer of this community", MessageZH: "此人不是本社区登记的志愿者"}
)
