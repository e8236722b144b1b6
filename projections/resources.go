package projections

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	gojson "github.com/goccy/go-json"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/privacy"
)

// Kinds of resource in the resource map (资源图谱).
const (
	ResourceVolunteer = "volunteer"
	ResourceTeam      = "team"
	ResourceStation   = "station"
	ResourcePartner   = "partner"
)

// Resource is one entry of a community's resource map: a volunteer, a
// volunteer team, a service station or venue, or a participating unit
// with what it offers. A volunteer carries person_id, name and phone,
// which the read policy drops or masks for readers who do not see
// personal data.
type Resource struct {
	Kind        string `json:"kind"`
	CommunityID string `json:"community_id"`
	// GridID is the grid the resource serves; empty for the whole
	// community (partners, community-wide teams).
	GridID    string `json:"grid_id,omitempty"`
	PersonID  string `json:"person_id,omitempty"`
	TeamID    string `json:"team_id,omitempty"`
	StationID string `json:"station_id,omitempty"`
	PartnerID string `json:"partner_id,omitempty"`
	Name      string `json:"name"`
	Phone     string `json:"phone,omitempty"`
	// Type is a station's or a partner's kind (grid_home, property_management …).
	Type string `json:"type,omitempty"`
	// Skills are a volunteer's or team's skills, a station's services, a
	// partner's offer's skills.
	Skills       []string `json:"skills"`
	Categories   []string `json:"categories,omitempty"`
	Availability string   `json:"availability,omitempty"`
	Offer        string   `json:"offer,omitempty"`
	// Members counts a team's volunteers.
	Members int `json:"members,omitempty"`
	// Teams are the team ids of a volunteer.
	Teams []string `json:"teams,omitempty"`
	// Matched says why a helper was found: "category", "skill", "grid"
	// (it serves the grid asked about) or "community" (it serves the
	// whole community).
	Matched []string `json:"matched,omitempty"`
}

func (r *Resource) clone() Resource {
	c := *r
	c.Skills, c.Categories, c.Teams = slices.Clone(r.Skills), slices.Clone(r.Categories), slices.Clone(r.Teams)
	return c
}

// key is the resource's id within its community, prefixed by its kind.
// sortName is what orders r among its kind: its name, or nothing when the
// view holds it sealed (a volunteer's), which leaves the order to key.
func (r *Resource) sortName() string {
	if strings.HasPrefix(r.Name, privacy.Held) {
		return ""
	}
	return r.Name
}

func (r *Resource) key() string {
	return r.Kind + ":" + r.PersonID + r.TeamID + r.StationID + r.PartnerID
}

// Resources is the resource map of every community: who and what can
// help, by grid, category and skill.
type Resources struct {
	mu *sync.RWMutex
	st resourcesState
}

type resourcesState struct {
	// Communities maps a community to its resources by key.
	Communities map[string]map[string]*Resource `json:"communities"`
}

func newResources(mu *sync.RWMutex) *Resources {
	return &Resources{mu: mu, st: resourcesState{Communities: map[string]map[string]*Resource{}}}
}

// Name implements View.
func (r *Resources) Name() string { return "resources" }

// Version implements View.
func (r *Resources) Version() int { return 1 }

// MarshalSnapshot implements View.
func (r *Resources) MarshalSnapshot() ([]byte, error) { return gojson.Marshal(&r.st) }

// UnmarshalSnapshot implements View.
func (r *Resources) UnmarshalSnapshot(in io.Reader) error {
	var st resourcesState
	if err := decodeSnapshot(in, &st); err != nil {
		return fmt.Errorf("resources snapshot: %w", err)
	}
	if st.Communities == nil {
		return fmt.Errorf("resources snapshot: missing communities")
	}
	r.st = st
	return nil
}

func (r *Resources) put(res *Resource) {
	m := r.st.Communities[res.CommunityID]
	if m == nil {
		m = map[string]*Resource{}
		r.st.Communities[res.CommunityID] = m
	}
	m[res.key()] = res
}

func (r *Resources) get(community, key string) *Resource {
	return r.st.Communities[community][key]
}

// Apply implements View.
func (r *Resources) Apply(e Event) error {
	switch d := e.Data.(type) {
	case domain.VolunteerRegistered:
		r.put(&Resource{Kind: ResourceVolunteer, CommunityID: d.CommunityID, GridID: d.GridID, PersonID: d.PersonID, Name: d.Name, Phone: d.Phone,
			Skills: d.Skills, Categories: d.Categories, Availability: d.Availability})
	case domain.VolunteerTeamFormed:
		r.put(&Resource{Kind: ResourceTeam, CommunityID: d.CommunityID, GridID: d.GridID, TeamID: d.TeamID, Name: d.Name, Skills: d.Skills, Categories: d.Categories})
	case domain.VolunteerJoinedTeam:
		if t := r.get(d.CommunityID, ResourceTeam+":"+d.TeamID); t != nil {
			t.Members++
		}
		if v := r.get(d.CommunityID, ResourceVolunteer+":"+d.PersonID); v != nil {
			v.Teams = append(v.Teams, d.TeamID)
		}
	case domain.StationRegistered:
		r.put(&Resource{Kind: ResourceStation, CommunityID: d.CommunityID, GridID: d.GridID, StationID: d.StationID, Name: d.Name, Type: d.Kind,
			Skills: d.Services, Categories: d.Categories})
	case domain.PartnerRegistered:
		r.put(&Resource{Kind: ResourcePartner, CommunityID: d.CommunityID, PartnerID: d.PartnerID, Name: d.Name, Type: d.Kind, Skills: []string{}})
	case domain.PartnerOfferRecorded:
		if p := r.get(d.CommunityID, ResourcePartner+":"+d.PartnerID); p != nil {
			p.Offer, p.Skills, p.Categories = d.Offer, d.Skills, d.Categories
		}
	}
	return nil
}

// HelpQuery asks who can help in a community: optionally in one grid,
// with a category of matter, a skill, or of one kind of resource.
type HelpQuery struct {
	CommunityID string
	GridID      string
	Category    string
	Skill       string
	Kind        string
}

// Helpers answers "who can help with this": the resources of q's
// community of q's kind that help with q's category and have q's skill
// (each when given). Those serving q's grid come first, then those serving
// the whole community, then the community's other grids; within each,
// volunteers, teams, stations and partners, by name (volunteers by id:
// the view keeps their names sealed, and ciphertext has no order).
func (r *Resources) Helpers(q HelpQuery) []Resource {
	r.mu.RLock()
	defer r.mu.RUnlock()
	type ranked struct {
		rank int
		res  Resource
	}
	var found []ranked
	for _, res := range r.st.Communities[q.CommunityID] {
		if q.Kind != "" && res.Kind != q.Kind {
			continue
		}
		c := res.clone()
		c.Matched = nil
		if q.Category != "" {
			if !slices.Contains(res.Categories, q.Category) {
				continue
			}
			c.Matched = append(c.Matched, "category")
		}
		if q.Skill != "" {
			if !slices.Contains(res.Skills, q.Skill) {
				continue
			}
			c.Matched = append(c.Matched, "skill")
		}
		rank := 2
		switch {
		case res.GridID == "":
			rank = 1
			c.Matched = append(c.Matched, "community")
		case q.GridID == "" || res.GridID == q.GridID:
			rank = 0
			c.Matched = append(c.Matched, "grid")
		}
		found = append(found, ranked{rank, c})
	}
	order := map[string]int{ResourceVolunteer: 0, ResourceTeam: 1, ResourceStation: 2, ResourcePartner: 3}
	slices.SortFunc(found, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(order[a.res.Kind], order[b.res.Kind]), cmp.Compare(a.res.sortName(), b.res.sortName()), cmp.Compare(a.res.key(), b.res.key()))
	})
	out := make([]Resource, len(found))
	for i, f := range found {
		out[i] = f.res
	}
	return out
}

// ResourceCounts counts a community's resources by kind: volunteers,
// teams, stations and partners.
func (r *Resources) ResourceCounts(communityID string) map[string]int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := map[string]int{ResourceVolunteer: 0, ResourceTeam: 0, ResourceStation: 0, ResourcePartner: 0}
	for _, res := range r.st.Communities[communityID] {
		out[res.Kind]++
	}
	return out
}
