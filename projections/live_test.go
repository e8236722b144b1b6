package projections

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/yishi-civic/yishi/domain"
)

// TestPropertyLiveTallyEqualsClosingTally drives random meetings through
// the domain (attendance, proxies, ballots cast, changed, recorded by
// hand, under every rule) and checks after every step that the live view's
// running tally is exactly the tally closing the vote would record.
func TestPropertyLiveTallyEqualsClosingTally(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		now := day0
		live := newLive(&sync.RWMutex{})
		live.keep = true // published meetings stay in memory: no log here
		var history []domain.Event
		apply := func(cmd domain.Command) bool {
			evs, err := domain.Decide(history, cmd, now)
			if err != nil {
				return false
			}
			for _, e := range evs {
				history = append(history, e)
				if err := live.Apply(Event{Data: e, Position: 1}); err != nil {
					t.Fatalf("apply %T: %v", e, err)
				}
			}
			now = now.Add(time.Minute)
			return true
		}
		n := rapid.IntRange(1, 8).Draw(t, "people")
		var people []domain.Voter
		for i := range n {
			people = append(people, domain.Voter{PersonID: fmt.Sprint("p", i), Name: fmt.Sprint("居民", i)})
		}
		rule := domain.Rule{Kind: rapid.SampledFrom([]string{domain.RuleSimpleMajority, domain.RuleAbsoluteMajority, domain.RuleTwoThirds, domain.RuleOwners}).Draw(t, "rule"),
			QuorumPercent: rapid.SampledFrom([]int{0, 0, 50, 67, 100}).Draw(t, "quorum")}
		open := domain.OpenVoting{MeetingID: "m1", MotionID: "mo1", Electorate: people}
		if rule.Kind == domain.RuleOwners {
			rule.Matter = rapid.IntRange(domain.MatterRules, domain.MatterOther).Draw(t, "matter")
			open.Electorate = nil
			for i := range rapid.IntRange(1, 10).Draw(t, "units") {
				owners := []string{people[rapid.IntRange(0, n-1).Draw(t, "owner")].PersonID}
				if co := people[rapid.IntRange(0, n-1).Draw(t, "co-owner")].PersonID; co != owners[0] && rapid.Bool().Draw(t, "co-owned") {
					owners = append(owners, co)
				}
				open.Units = append(open.Units, domain.OwnedUnit{UnitID: fmt.Sprint("u", i), AreaDM2: rapid.Int64Range(1, 12000).Draw(t, "area"), Owners: owners})
			}
		}
		opts := []domain.Option{{ID: "yes", Label: "同意"}, {ID: "no", Label: "反对"}}
		if rapid.Bool().Draw(t, "three options") {
			opts = []domain.Option{{ID: "a", Label: "方案一"}, {ID: "b", Label: "方案二"}, {ID: "c", Label: "方案三"}}
		}
		for _, c := range []domain.Command{
			domain.ScheduleMeeting{MeetingID: "m1", CommunityID: "hy", GridID: "g1", CompoundID: "c1", Title: "议事", Place: "院里", StartsAt: day0, Format: domain.FormatCourtyard, Facilitator: domain.Voter{PersonID: "f1", Name: "网格长"}},
			domain.AddAgendaItem{MeetingID: "m1", ItemID: "i1", Title: "议题"},
			domain.OpenMeeting{MeetingID: "m1"},
			domain.TableMotion{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", Text: "动议", Options: opts, Rule: rule},
			open,
		} {
			require.True(t, apply(c), "%T", c)
		}
		person := rapid.SampledFrom(people)
		choice := rapid.SampledFrom(append([]string{""}, opts[0].ID, opts[1].ID))
		for range rapid.IntRange(0, 30).Draw(t, "steps") {
			p := person.Draw(t, "person")
			switch rapid.IntRange(0, 4).Draw(t, "step") {
			case 0:
				apply(domain.RecordAttendance{MeetingID: "m1", PersonID: p.PersonID, Name: p.Name, Attendance: rapid.SampledFrom([]string{domain.Present, domain.Absent}).Draw(t, "attendance")})
			case 1:
				h := person.Draw(t, "holder")
				apply(domain.RecordAttendance{MeetingID: "m1", PersonID: p.PersonID, Name: p.Name, Attendance: domain.Proxy, HolderID: h.PersonID, Authority: "委托书"})
			case 2:
				apply(domain.CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: p.PersonID, CastBy: p.PersonID, OptionID: choice.Draw(t, "choice")})
			case 3:
				apply(domain.CastVote{MeetingID: "m1", MotionID: "mo1", VoterID: p.PersonID, CastBy: person.Draw(t, "by").PersonID, OptionID: choice.Draw(t, "choice")})
			case 4:
				apply(domain.RecordBallots{MeetingID: "m1", MotionID: "mo1", OptionID: choice.Draw(t, "choice"), VoterIDs: []string{p.PersonID},
					Method: rapid.SampledFrom([]string{domain.MethodShowOfHands, domain.MethodPaper}).Draw(t, "method"), RecordedBy: "f1"})
			}
			closing, err := domain.Decide(history, domain.CloseVoting{MeetingID: "m1", MotionID: "mo1"}, now)
			require.NoError(t, err)
			want := closing[0].(domain.VotingClosed).Tally
			m, _, _ := live.Meeting(context.Background(), "m1")
			if m.Motion == nil || m.Motion.Running == nil || !reflect.DeepEqual(*m.Motion.Running, want) {
				t.Fatalf("live %+v\nclosing %+v", m.Motion, want)
			}
			if m.Motion.Attending != want.Attending || m.Motion.QuorumReached != want.QuorumMet || m.Motion.Ballots != want.Ballots {
				t.Fatalf("live counts %+v disagree with closing %+v", m.Motion, want)
			}
		}
		require.True(t, apply(domain.CloseVoting{MeetingID: "m1", MotionID: "mo1"}))
		m, _, _ := live.Meeting(context.Background(), "m1")
		require.NotNil(t, m.Motion.Final)
		require.Nil(t, m.Motion.Running)
	})
}

// TestLiveQuorumIsTheDomains: the live view once said quorum reached where
// closing said no_quorum, because it counted proxies whose holder was
// absent; and it did not count written ballots (issue 9, point 10).
func TestLiveQuorumIsTheDomains(t *testing.T) {
	live := newLive(&sync.RWMutex{})
	live.keep = true
	voters := []domain.Voter{{PersonID: "a", Name: "甲"}, {PersonID: "b", Name: "乙"}, {PersonID: "c", Name: "丙"}, {PersonID: "d", Name: "丁"}}
	rule := domain.Rule{Kind: domain.RuleSimpleMajority, QuorumPercent: 75}
	opts := []domain.Option{{ID: "yes", Label: "同意"}, {ID: "no", Label: "反对"}}
	for _, e := range []domain.Event{
		domain.MeetingScheduled{MeetingID: "m1", CommunityID: "hy", GridID: "g1", Title: "议事", Format: domain.FormatCourtyard},
		domain.MeetingOpened{MeetingID: "m1"},
		domain.AttendanceRecorded{MeetingID: "m1", PersonID: "a", Attendance: domain.Present},
		domain.AttendanceRecorded{MeetingID: "m1", PersonID: "b", Attendance: domain.Proxy, HolderID: "a"},
		domain.AttendanceRecorded{MeetingID: "m1", PersonID: "a", Attendance: domain.Absent}, // the holder left
		domain.AttendanceRecorded{MeetingID: "m1", PersonID: "c", Attendance: domain.Present},
		domain.MotionTabled{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", Text: "x", Options: opts, Rule: rule},
		domain.VotingOpened{MeetingID: "m1", MotionID: "mo1", ItemID: "i1", Text: "x", Options: opts, Rule: rule, Electorate: voters},
		domain.VoteCast{MeetingID: "m1", MotionID: "mo1", VoterID: "c", CastBy: "c", OptionID: "yes"},
	} {
		require.NoError(t, live.Apply(Event{Data: e}))
	}
	m, _, _ := live.Meeting(context.Background(), "m1")
	assert.Equal(t, 1, m.Motion.Attending, "b's proxy holder is absent: only c takes part")
	assert.False(t, m.Motion.QuorumReached)
	require.NoError(t, live.Apply(Event{Data: domain.VoteCast{MeetingID: "m1", MotionID: "mo1", VoterID: "d", CastBy: "d", OptionID: "no", Method: domain.MethodPaper, RecordedBy: "f1"}}))
	require.NoError(t, live.Apply(Event{Data: domain.VoteCast{MeetingID: "m1", MotionID: "mo1", VoterID: "a", CastBy: "a", OptionID: "yes"}}))
	m, _, _ = live.Meeting(context.Background(), "m1")
	assert.Equal(t, 3, m.Motion.Attending, "a paper ballot and an electronic one are taking part")
	assert.True(t, m.Motion.QuorumReached)
	assert.Equal(t, domain.ResultAdopted, m.Motion.Running.Result)
}

// TestTimelineSaysHowAnObjectionWasRecorded: an objection staff recorded
// for someone who said it aloud reads so in the proposal's timeline (issue
// 9, point 14).
func TestTimelineSaysHowAnObjectionWasRecorded(t *testing.T) {
	v := foldAll(t, encode(t, []domain.Event{
		domain.ProposalSubmitted{ProposalID: "p1", CommunityID: "hy", GridID: "g1", Title: "车棚照明", Category: "设施", Channel: domain.ChannelVisit,
			Author: domain.Party{Kind: domain.PartyPerson, ID: "r1", Name: "张三"}, At: at(0)},
		domain.MeetingScheduled{MeetingID: "m1", CommunityID: "hy", GridID: "g1", Title: "楼院议事", Format: domain.FormatCourtyard, At: at(1)},
		domain.AgendaItemAdded{MeetingID: "m1", ItemID: "i1", Title: "车棚照明", ProposalID: "p1", At: at(1)},
		domain.MotionTabled{MeetingID: "m1", MotionID: "mc", ItemID: "i1", ProposalID: "p1", Text: "加装照明", Options: []domain.Option{{ID: "do", Label: "加装"}}, Rule: domain.Rule{Kind: domain.RuleConsensus}, At: at(2)},
		domain.MotionObjectionRaised{MeetingID: "m1", MotionID: "mc", PersonID: "old-1", Name: "刘大爷", Reason: "电费谁出？", RecordedBy: "w1", How: domain.RecordedSpoken, At: at(2)},
	}))
	story, ok := storyOf(t, v, "p1", "", 0)
	require.True(t, ok)
	last := story.Entries[len(story.Entries)-1]
	assert.Equal(t, "meeting.motion_objection_raised.v1", last.Type)
	assert.Equal(t, domain.RecordedSpoken, last.Method)
}

// TestLiveReadsBackWhatItFolded: every meeting of a generated log of
// 10,000 events, most of them published and so read back from the log,
// reads as the fold that keeps every meeting in memory says.
func TestLiveReadsBackWhatItFolded(t *testing.T) {
	evs := encode(t, newGen(7, 4).events(10000))
	v := foldAll(t, evs)
	keep := newLive(&sync.RWMutex{})
	keep.keep = true
	decode := NewDecoder().Decode
	for _, se := range evs {
		d, err := decode(se.Type, se.Data)
		require.NoError(t, err)
		require.NoError(t, keep.Apply(eventOf(se, d)))
	}
	require.Len(t, keep.st.Meetings, len(v.Live.steps.mem))
	published := 0
	for id := range v.Live.steps.mem {
		if _, ok := v.Live.st.Meetings[id]; !ok {
			published++
		}
		got, ok, err := v.Live.Meeting(context.Background(), id)
		require.NoError(t, err, id)
		require.True(t, ok, id)
		want, _, err := keep.Meeting(context.Background(), id)
		require.NoError(t, err, id)
		require.Equal(t, want, got, id)
	}
	require.Positive(t, published, "no meeting was read back from the log")
}
