package domain

import (
	"errors"
	"testing"
	"time"
)

// TestCommandTimeWindow checks a command's own time against each part of
// a meeting: scheduled at 9:00, opened 10:00, voting on m1 10:20–10:30,
// adjourned 11:00, with the application's clock at 11:05.
func TestCommandTimeWindow(t *testing.T) {
	day := time.Date(2026, 7, 4, 0, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	const mid = "m-1"
	scheduled := []Event{MeetingScheduled{MeetingID: mid, At: at(9, 0)}}
	opened := append(scheduled[:1:1], MeetingOpened{MeetingID: mid, At: at(10, 0)}, VotingOpened{MeetingID: mid, MotionID: "m1", At: at(10, 20)})
	closed := append(opened[:len(opened):len(opened)], VotingClosed{MeetingID: mid, MotionID: "m1", At: at(10, 30)})
	adjourned := append(closed[:len(closed):len(closed)], MeetingAdjourned{MeetingID: mid, At: at(11, 0)})
	now := at(11, 5)
	attend := RecordAttendance{MeetingID: mid, PersonID: "r1", Name: "张三", Attendance: Present}
	hands := RecordBallots{MeetingID: mid, MotionID: "m1", OptionID: "o1", VoterIDs: []string{"r1"}, Method: MethodShowOfHands}
	for _, tc := range []struct {
		name    string
		history []Event
		cmd     Command
		at      time.Time
		reason  string // "" when accepted
	}{
		{"attendance while open", opened, attend, at(10, 5), ""},
		{"attendance a minute before the opening (clock skew)", opened, attend, at(9, 59), ""},
		{"attendance before the opening", opened, attend, at(9, 50), "command_time_before_window"},
		{"an invitation before the opening, after scheduling", scheduled, InviteParticipant{MeetingID: mid}, at(9, 30), ""},
		{"an invitation before scheduling", scheduled, InviteParticipant{MeetingID: mid}, at(8, 0), "command_time_before_window"},
		{"in the future", opened, attend, at(11, 8), "command_time_in_future"},
		{"a minute ahead of the server (clock skew)", opened, attend, at(11, 6), ""},
		{"hands while voting", opened, hands, at(10, 25), ""},
		{"hands before voting opened", opened, hands, at(10, 10), "command_time_before_window"},
		{"hands recorded before the close, sent after it", closed, hands, at(10, 29), ""},
		{"hands after the close", closed, hands, at(10, 45), "command_time_after_window"},
		{"attendance after adjourning", adjourned, attend, at(11, 4), "command_time_after_window"},
		{"minutes after adjourning", adjourned, PublishMinutes{MeetingID: mid}, at(11, 4), ""},
		{"minutes before adjourning", adjourned, PublishMinutes{MeetingID: mid}, at(10, 40), "command_time_before_window"},
		{"a draft of the minutes after adjourning", adjourned, DraftMinutes{MeetingID: mid}, at(11, 4), ""},
		{"a draft of the minutes before adjourning", adjourned, DraftMinutes{MeetingID: mid}, at(10, 40), "command_time_before_window"},
		{"scheduling", nil, ScheduleMeeting{MeetingID: mid}, at(9, 0), "command_time_not_taken"},
		{"a proposal", nil, SubmitProposal{ProposalID: "p-1"}, at(9, 0), "command_time_not_taken"},
	} {
		err := CheckCommandTime(tc.history, tc.cmd, tc.at, now)
		if tc.reason == "" {
			if err != nil {
				t.Errorf("%s: refused: %v", tc.name, err)
			}
			continue
		}
		var de *Error
		if !errors.As(err, &de) || de.Reason != tc.reason || de.Field != CommandTimeField || de.Code != CodeInvalid || de.MessageZH == "" {
			t.Errorf("%s: %v, want %s on %s", tc.name, err, tc.reason, CommandTimeField)
		}
	}
}
