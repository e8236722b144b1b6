package domain

import (
	"time"
)

// A command may carry its own time: the moment a facilitator recorded it
// on the console, perhaps offline in a courtyard without signal, when it
// reaches the ledger minutes later. The events it decides then carry that
// moment as their "at", while the ledger's recorded time stays the moment
// they were appended. Such a time must fall within the part of the meeting
// in which the command can have been made.

// CommandTimeSkew is how far a command's own time may lie outside its
// window (after the application's clock, before the meeting or the vote
// opened, after they closed): the clocks of phones and of the server
// differ by seconds, sometimes by a minute.
const CommandTimeSkew = 2 * time.Minute

// CommandTimeField is the field a refusal of a command's own time names;
// a door maps it to where the time came from (the HTTP door: the header
// Yishi-Command-Time).
const CommandTimeField = "command_time"

// CheckCommandTime checks at, the moment a command says it was made,
// against now (the application's clock) and against the window of the
// meeting in history in which the command can have been made:
//
//   - never later than now (plus CommandTimeSkew);
//   - a ballot, a raised hand or the closing of a vote: not before that
//     motion's voting opened, not after it closed;
//   - the minutes (a draft, their publication) and objections to them:
//     not before the meeting adjourned;
//   - any other command of the meeting: not before it opened (before it
//     was scheduled while it has not opened), not after it adjourned.
//
// Only the commands of a scheduled meeting take their own time; any other
// command given one is refused. Returns nil when at is acceptable, and a
// *Error naming CommandTimeField otherwise. Whether the meeting's state
// admits the command at all (a ballot after the vote closed) is Decide's
// to say.
func CheckCommandTime(history []Event, cmd Command, at, now time.Time) error {
	if _, ok := cmd.(ScheduleMeeting); ok || cmd == nil || category(cmd.Stream()) != "meeting" {
		return invalid(CommandTimeField, "command_time_not_taken", "only a meeting's commands carry their own time", "只有会议中的操作可以附带自己的时间")
	}
	if at.After(now.Add(CommandTimeSkew)) {
		return invalid(CommandTimeField, "command_time_in_future",
			"the command's time "+utcSecond(at)+" is later than the server's clock "+utcSecond(now)+": check the device's clock",
			"操作时间 "+utcSecond(at)+" 晚于服务器时间 "+utcSecond(now)+"，请检查设备的时钟")
	}
	w := meetingWindow(history)
	start, startWhat, startZH := w.opened, "the meeting opened", "会议开始"
	if start.IsZero() {
		start, startWhat, startZH = w.scheduled, "the meeting was scheduled", "会议安排"
	}
	end, endWhat, endZH := w.adjourned, "the meeting adjourned", "散会"
	switch c := cmd.(type) {
	case CastVote, RecordBallots, CloseVoting:
		motion := motionOf(c)
		start, startWhat, startZH = w.votingOpened[motion], "voting opened", "开始表决"
		if t, ok := w.votingClosed[motion]; ok {
			end, endWhat, endZH = t, "voting closed", "表决结束"
		}
	case DraftMinutes, PublishMinutes, ObjectToMinutes:
		start, startWhat, startZH = w.adjourned, "the meeting adjourned", "散会"
		end = time.Time{}
	}
	if !start.IsZero() && at.Before(start.Add(-CommandTimeSkew)) {
		return invalid(CommandTimeField, "command_time_before_window",
			"the command's time "+utcSecond(at)+" is before "+startWhat+" ("+utcSecond(start)+")",
			"操作时间 "+utcSecond(at)+" 早于"+startZH+"时间（"+utcSecond(start)+"）")
	}
	if !end.IsZero() && at.After(end.Add(CommandTimeSkew)) {
		return invalid(CommandTimeField, "command_time_after_window",
			"the command's time "+utcSecond(at)+" is after "+endWhat+" ("+utcSecond(end)+")",
			"操作时间 "+utcSecond(at)+" 晚于"+endZH+"时间（"+utcSecond(end)+"）")
	}
	return nil
}

// window is when a meeting's phases began and ended, by the times its
// events carry.
type window struct {
	scheduled, opened, adjourned time.Time
	votingOpened, votingClosed   map[string]time.Time
}

func meetingWindow(history []Event) window {
	w := window{votingOpened: map[string]time.Time{}, votingClosed: map[string]time.Time{}}
	for _, e := range history {
		switch e := e.(type) {
		case MeetingScheduled:
			w.scheduled = e.At
		case MeetingOpened:
			w.opened = e.At
		case MeetingAdjourned:
			w.adjourned = e.At
		case VotingOpened:
			w.votingOpened[e.MotionID] = e.At
		case VotingClosed:
			w.votingClosed[e.MotionID] = e.At
		}
	}
	return w
}

// motionOf is the motion a voting command names.
func motionOf(cmd Command) string {
	switch c := cmd.(type) {
	case CastVote:
		return c.MotionID
	case RecordBallots:
		return c.MotionID
	case CloseVoting:
		return c.MotionID
	}
	return ""
}

// refusalZone is the time zone of the times a refusal writes: the
// communities Yishi serves keep China Standard Time.
var refusalZone = time.FixedZone("UTC+8", 8*3600)

// utcSecond writes t for a refusal, to the second, in refusalZone.
func utcSecond(t time.Time) string {
	return t.In(refusalZone).Format("2006-01-02 15:04:05 (MST)")
}
