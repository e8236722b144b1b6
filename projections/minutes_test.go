package projections

import (
	"testing"
	"time"

	"github.com/yishi-civic/yishi/domain"
)

func TestDraftMinutes(t *testing.T) {
	at := time.Date(2026, 7, 15, 19, 30, 0, 0, time.UTC)
	facil := domain.Voter{PersonID: "h1", Name: "李网格长"}
	rec := domain.Voter{PersonID: "w1", Name: "王网格员"}
	invite := func(id, name, kind string) domain.Event {
		return domain.ParticipantInvited{MeetingID: "m1", Participant: domain.Participant{PersonID: id, Name: name, Kind: kind}, At: at}
	}
	attend := func(id, name, how, holder string) domain.Event {
		a := domain.AttendanceRecorded{MeetingID: "m1", PersonID: id, Name: name, Attendance: how, HolderID: holder, At: at}
		if holder != "" {
			a.Authority = "委托书"
		}
		return a
	}
	opts := []domain.Option{{ID: "yes", Label: "同意"}, {ID: "no", Label: "不同意"}}
	events := []domain.Event{
		domain.MeetingScheduled{MeetingID: "m1", CommunityID: "hengyuan", GridID: "g1", CompoundID: "west", Title: "西院停车议事会", Place: "西院凉亭",
			StartsAt: at, Format: domain.FormatCourtyard, Facilitator: facil, At: at},
		domain.AgendaItemAdded{MeetingID: "m1", ItemID: "i1", Title: "车位线重新划线", ProposalID: "p1", At: at},
		domain.AgendaItemAdded{MeetingID: "m1", ItemID: "i2", Title: "充电桩", At: at},
		invite("r1", "赵居民", domain.ParticipantResident), invite("r2", "钱居民", domain.ParticipantResident), invite("r3", "孙居民", domain.ParticipantResident),
		domain.MeetingOpened{MeetingID: "m1", At: at},
		attend("r1", "赵居民", domain.Present, ""), attend("r2", "钱居民", domain.Proxy, "r1"), attend("r3", "孙居民", domain.Absent, ""),
		attend("o9", "周业主", domain.Present, ""),
		domain.StatementRecorded{MeetingID: "m1", ItemID: "i1", Speaker: domain.Voter{PersonID: "r1", Name: "赵居民"}, Summary: "线看不清", At: at},
		domain.StatementRecorded{MeetingID: "m1", ItemID: "i2", Speaker: domain.Voter{PersonID: "o9", Name: "周业主"}, Summary: "想装充电桩", At: at},
		domain.MotionTabled{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", Text: "重新划线", Options: opts, Rule: domain.Rule{Kind: domain.RuleSimpleMajority}, At: at},
		domain.MotionTabled{MeetingID: "m1", MotionID: "mo2", ItemID: "i2", Text: "装充电桩", Options: opts, Rule: domain.Rule{Kind: domain.RuleSimpleMajority}, At: at},
		domain.VotingOpened{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", Text: "重新划线", Options: opts, Rule: domain.Rule{Kind: domain.RuleSimpleMajority},
			Electorate: []domain.Voter{{PersonID: "r1", Name: "赵居民"}}, At: at},
		domain.VotingClosed{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", Text: "重新划线", At: at},
		domain.MeetingAdjourned{MeetingID: "m1", At: at},
		domain.MinutesDrafted{MeetingID: "m1", Draft: 1, Summary: "草稿概要", Notes: []domain.MinutesNote{{ItemID: "i1", Text: "物业施工"}}, Recorder: rec, At: at},
	}
	decisions := []Decision{
		{Key: "m1/mo1", MeetingID: "m1", ItemID: "i1", MotionID: "mo1", Text: "重新划线", Electorate: []domain.Voter{{PersonID: "r1", Name: "赵居民"}},
			Tally: &domain.Tally{Ballots: 2}, Publication: &Publication{Summary: "x"}, Actions: []DecisionAction{{ActionID: "a1", Title: "划线"}}},
		{Key: "m2/mo9", MeetingID: "m2", ItemID: "i1", Text: "another meeting's"},
	}
	m := DraftMinutes(domain.FoldMeeting(events), decisions)
	if m.Attendance != (AttendanceCount{Invited: 3, Present: 2, Proxy: 1, Absent: 1}) {
		t.Errorf("attendance %+v", m.Attendance)
	}
	if len(m.Attendees) != 4 || m.Attendees[1].HolderName != "赵居民" || m.Attendees[3].Name != "周业主" || m.Attendees[3].Kind != "" {
		t.Errorf("attendees %+v", m.Attendees)
	}
	if len(m.Items) != 2 || len(m.Items[0].Statements) != 1 || m.Items[1].Statements[0].Summary != "想装充电桩" {
		t.Fatalf("items %+v", m.Items)
	}
	d := m.Items[0].Decisions
	if len(d) != 1 || d[0].Electorate != nil || d[0].Publication != nil || len(d[0].Actions) != 1 || decisions[0].Electorate == nil {
		t.Errorf("decisions of item 1: %+v", d)
	}
	if len(m.Items[0].Undecided) != 0 || len(m.Items[1].Undecided) != 1 || m.Items[1].Undecided[0].MotionID != "mo2" {
		t.Errorf("undecided: %+v / %+v", m.Items[0].Undecided, m.Items[1].Undecided)
	}
	if m.Summary != "草稿概要" || m.Items[0].Note != "物业施工" || m.Recorder != rec || m.Draft != 1 || m.Publication != nil || m.Status != domain.StatusAdjourned {
		t.Errorf("draft: %+v", m)
	}

	// Published: the published words, the period, the objections.
	events = append(events,
		domain.MinutesDrafted{MeetingID: "m1", Draft: 2, Summary: "第二稿", Recorder: rec, At: at},
		domain.MinutesPublished{MeetingID: "m1", Summary: "第二稿", Draft: 2, Recorder: rec, ObjectionDays: 7, ObjectionUntil: at.AddDate(0, 0, 7), At: at},
		domain.MinutesObjectionRaised{MeetingID: "m1", PersonID: "r3", Name: "孙居民", Text: "我没有收到通知", At: at})
	m = DraftMinutes(domain.FoldMeeting(events), decisions)
	p := m.Publication
	if m.Summary != "第二稿" || m.Items[0].Note != "" || m.Draft != 2 || p == nil || p.ObjectionDays != 7 || len(p.Objections) != 1 || m.Status != domain.StatusPublished {
		t.Errorf("published: %+v, %+v", m, p)
	}
}
