package projections

import (
	"cmp"
	"slices"
	"time"

	"github.com/yishi-civic/yishi/domain"
)

// Minutes are a meeting's minutes (会议纪要) as they are drafted from its
// record: who was invited and who attended, what was said and decided on
// each agenda item (with the tallies and the actions assigned), and the
// words a person added (the latest draft, or once published the words
// published). Nothing here is typed twice: a correction of the record
// is a correction of the minutes.
type Minutes struct {
	MeetingID   string       `json:"meeting_id"`
	CommunityID string       `json:"community_id"`
	GridID      string       `json:"grid_id"`
	CompoundID  string       `json:"compound_id,omitempty"`
	Title       string       `json:"title"`
	Format      string       `json:"format"`
	Place       string       `json:"place"`
	StartsAt    time.Time    `json:"starts_at"`
	Facilitator domain.Voter `json:"facilitator"`
	// Status is the meeting's (domain.StatusScheduled, StatusOpen,
	// StatusAdjourned or StatusPublished).
	Status     string          `json:"status"`
	Attendance AttendanceCount `json:"attendance"`
	// Attendees are the invited participants in the order invited, then
	// anyone else whose attendance was recorded (an owner who came to an
	// owners' assembly uninvited), each with their attendance ("" when
	// none was recorded).
	Attendees []MinutesAttendee `json:"attendees"`
	Items     []MinutesItem     `json:"items"`
	// Summary, Remarks, Recorder, Draft and DraftedAt are the latest
	// draft's; once published, the words published (Draft 0 when they
	// were published as a summary only).
	Summary   string       `json:"summary,omitempty"`
	Remarks   string       `json:"remarks,omitempty"`
	Recorder  domain.Voter `json:"recorder,omitzero"`
	Draft     int          `json:"draft,omitempty"`
	DraftedAt time.Time    `json:"drafted_at,omitzero"`
	// Publication is set once the minutes are published (公示).
	Publication *MinutesPublication `json:"publication,omitempty"`
}

// MinutesAttendee is one person of the minutes' attendance list.
type MinutesAttendee struct {
	PersonID string `json:"person_id"`
	Name     string `json:"name"`
	// Kind is the participant's kind (domain.ParticipantResident …);
	// empty for someone recorded without an invitation.
	Kind      string `json:"kind,omitempty"`
	PartnerID string `json:"partner_id,omitempty"`
	// Attendance is domain.Present, Proxy or Absent, or empty.
	Attendance string `json:"attendance,omitempty"`
	// HolderName is the present person holding a proxy.
	HolderName string `json:"holder_name,omitempty"`
}

// MinutesItem is one agenda item of the minutes.
type MinutesItem struct {
	ItemID     string `json:"item_id"`
	Title      string `json:"title"`
	ProposalID string `json:"proposal_id,omitempty"`
	// Note is what the recorder wrote about the item.
	Note       string             `json:"note,omitempty"`
	Statements []MinutesStatement `json:"statements"`
	// Decisions are the register's decisions on the item, in the order
	// taken, each with its tally and its actions.
	Decisions []Decision `json:"decisions"`
	// Undecided are the motions and mediations on the item that were not
	// decided (left tabled, or no agreement reached).
	Undecided []MinutesMotion `json:"undecided,omitempty"`
}

// MinutesStatement is one statement recorded on an item.
type MinutesStatement struct {
	Speaker domain.Voter `json:"speaker"`
	Summary string       `json:"summary"`
	At      time.Time    `json:"at"`
}

// MinutesMotion is a motion or a mediation left undecided.
type MinutesMotion struct {
	MotionID    string `json:"motion_id,omitempty"`
	MediationID string `json:"mediation_id,omitempty"`
	Text        string `json:"text"`
	// Status is the motion's (domain.StatusTabled, StatusVoting); a
	// mediation's is "offered".
	Status string `json:"status"`
}

// MinutesPublication is the minutes' publication (公示) and the
// objections raised in its period.
type MinutesPublication struct {
	Published      time.Time   `json:"published"`
	ObjectionUntil time.Time   `json:"objection_until"`
	ObjectionDays  int         `json:"objection_days,omitempty"`
	Document       string      `json:"document,omitempty"`
	Objections     []Objection `json:"objections,omitempty"`
}

// DraftMinutes draws a meeting's minutes from its record (the meeting's
// folded events) and the register's decisions of that meeting (which
// carry the tallies, verdicts and actions). It reads no other state.
func DraftMinutes(m domain.MeetingState, decisions []Decision) Minutes {
	out := Minutes{MeetingID: m.MeetingID, CommunityID: m.CommunityID, GridID: m.GridID, CompoundID: m.CompoundID, Title: m.Title,
		Format: m.Format, Place: m.Place, StartsAt: m.StartsAt, Facilitator: m.Facilitator, Status: m.Status,
		Attendees: []MinutesAttendee{}, Items: []MinutesItem{}}
	out.Attendees, out.Attendance = minutesAttendance(m)
	notes := map[string]string{}
	if d := m.MinutesDraft; d != nil {
		out.Summary, out.Remarks, out.Recorder, out.Draft, out.DraftedAt = d.Summary, d.Remarks, d.Recorder, d.Draft, d.At
		for _, n := range d.Notes {
			notes[n.ItemID] = n.Text
		}
	}
	if p := m.Minutes; p != nil {
		out.Summary, out.Remarks, out.Recorder, out.Draft = p.Summary, p.Remarks, p.Recorder, p.Draft
		clear(notes)
		for _, n := range p.Notes {
			notes[n.ItemID] = n.Text
		}
		pub := &MinutesPublication{Published: p.At, ObjectionUntil: p.ObjectionUntil, ObjectionDays: p.ObjectionDays, Document: p.Document}
		for _, o := range m.MinutesObjections {
			pub.Objections = append(pub.Objections, Objection{PersonID: o.PersonID, Name: o.Name, Text: o.Text, At: o.At})
		}
		out.Publication = pub
	}
	for _, it := range m.Items {
		item := MinutesItem{ItemID: it.ItemID, Title: it.Title, ProposalID: it.ProposalID, Note: notes[it.ItemID],
			Statements: []MinutesStatement{}, Decisions: []Decision{}}
		for _, s := range m.Statements {
			if s.ItemID == it.ItemID {
				item.Statements = append(item.Statements, MinutesStatement{Speaker: s.Speaker, Summary: s.Summary, At: s.At})
			}
		}
		for _, d := range decisions {
			if d.MeetingID == m.MeetingID && d.ItemID == it.ItemID {
				d = d.clone()
				// The minutes list the attendance once and are published
				// on their own: the electorate and the publication stay
				// in the register.
				d.Electorate, d.Publication = nil, nil
				item.Decisions = append(item.Decisions, d)
			}
		}
		for _, mo := range m.Motions {
			if mo.ItemID == it.ItemID && (mo.Status == domain.StatusTabled || mo.Status == domain.StatusVoting) {
				item.Undecided = append(item.Undecided, MinutesMotion{MotionID: mo.MotionID, Text: mo.Text, Status: mo.Status})
			}
		}
		for _, md := range m.Mediations {
			if md.ItemID == it.ItemID && md.Agreed == nil {
				item.Undecided = append(item.Undecided, MinutesMotion{MediationID: md.MediationID, Text: md.Dispute, Status: "offered"})
			}
		}
		out.Items = append(out.Items, item)
	}
	return out
}

// minutesAttendance lists the invited and the recorded, and counts them.
func minutesAttendance(m domain.MeetingState) ([]MinutesAttendee, AttendanceCount) {
	var count AttendanceCount
	list := []MinutesAttendee{}
	listed := map[string]bool{}
	add := func(a MinutesAttendee) {
		if r, ok := m.Attendance[a.PersonID]; ok {
			a.Attendance = r.Attendance
			if r.Attendance == domain.Proxy {
				a.HolderName = m.Attendance[r.HolderID].Name
			}
			switch r.Attendance {
			case domain.Present:
				count.Present++
			case domain.Proxy:
				count.Proxy++
			case domain.Absent:
				count.Absent++
			}
		}
		listed[a.PersonID] = true
		list = append(list, a)
	}
	for _, p := range m.Participants {
		count.Invited++
		add(MinutesAttendee{PersonID: p.PersonID, Name: p.Name, Kind: p.Kind, PartnerID: p.PartnerID})
	}
	var others []domain.Attendance
	for id, a := range m.Attendance {
		if !listed[id] {
			others = append(others, a)
		}
	}
	slices.SortFunc(others, func(a, b domain.Attendance) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.PersonID, b.PersonID))
	})
	for _, a := range others {
		add(MinutesAttendee{PersonID: a.PersonID, Name: a.Name})
	}
	return list, count
}
