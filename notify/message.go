// Package notify delivers the outbox (projections.Notifications) on the
// external channels a person chose: Web Push to their browsers and the
// community's signed webhook (its SMS gateway, WeCom bot or 12345 system).
// It renders short messages in zh-CN and en, respects quiet hours and
// digests, retries with backoff, raises the reminders of actions falling
// due, and records every outcome in the ledger (notification.sent.v1,
// .failed.v1, .gave_up.v1). It decides nothing about who is told: the
// projection does, from the log. docs/notifications.md.
package notify

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/policy"
	"github.com/yishi-civic/yishi/projections"
)

// Message is one notification rendered for a person.
type Message struct {
	// ID is the notification's id (or a digest's): receivers deduplicate
	// by it.
	ID string `json:"id"`
	// Text is the message, short enough for one SMS (at most MaxText
	// characters), without the link.
	Text string `json:"text"`
	// URL links to the item.
	URL string `json:"url"`
	// Language is the message's language.
	Language string `json:"language"`
}

// MaxText bounds a message's text in characters: one SMS segment holds 70
// Chinese characters, the link goes beside it.
const MaxText = 70

// maxTitle bounds the item title quoted in a message.
const maxTitle = 24

// phrases are the messages of each kind: Chinese and English, each with
// one %s for the item's title.
var phrases = map[string][2]string{
	projections.KindSubmitted:    {"网格内有新议题“%s”，待您处理。", "New item in your grid: \"%s\"."},
	projections.KindAccepted:     {"“%s”已受理。", "\"%s\" was accepted."},
	projections.KindRejected:     {"“%s”未予受理，可查看理由。", "\"%s\" was not accepted; see why."},
	projections.KindMerged:       {"“%s”已与同类议题合并办理。", "\"%s\" was merged with a similar item."},
	projections.KindWithdrawn:    {"“%s”已被撤回。", "\"%s\" was withdrawn."},
	projections.KindHandled:      {"“%s”已转即时办理。", "\"%s\" is being handled directly."},
	projections.KindOnAgenda:     {"“%s”已列入议事会议程。", "\"%s\" is on a meeting's agenda."},
	projections.KindActionSet:    {"“%s”已安排落实行动。", "An action was set up for \"%s\"."},
	projections.KindClosed:       {"“%s”已办结。", "\"%s\" was closed."},
	projections.KindReopened:     {"“%s”已重新打开。", "\"%s\" was reopened."},
	projections.KindProgress:     {"“%s”有新进展。", "\"%s\" made progress."},
	projections.KindCompleted:    {"“%s”已完成，请确认是否满意。", "\"%s\" is done: are you satisfied?"},
	projections.KindVerified:     {"“%s”已验收满意。", "\"%s\" was verified as done."},
	projections.KindUnsatisfied:  {"“%s”验收不满意，需重新处理。", "\"%s\" was found unsatisfactory."},
	projections.KindCancelled:    {"“%s”已取消。", "\"%s\" was cancelled."},
	projections.KindAssigned:     {"“%s”已交由您落实。", "\"%s\" was assigned to you."},
	projections.KindDueSoon:      {"“%s”即将到期。", "\"%s\" is due soon."},
	projections.KindOverdue:      {"“%s”已逾期。", "\"%s\" is overdue."},
	projections.KindVotingOpened: {"“%s”开始表决，请投票。", "Voting opened at \"%s\": please vote."},
	projections.KindMinutes:      {"“%s”会议纪要已公示。", "The minutes of \"%s\" are published."},
}

// Render writes the message for n in language lang, linking to base (the
// pages' address, such as https://yishi.example). The title is the item's
// public title with any personal data typed into it masked (the read
// policy's Text), cut to fit; a result says only adopted or not, never a
// ballot.
func Render(n projections.Notification, lang, base string) Message {
	i := 0
	if lang == domain.LangEN {
		i = 1
	} else {
		lang = domain.LangZH
	}
	title := cut(policy.Text(n.Title), maxTitle)
	var text string
	switch n.Kind {
	case projections.KindDecided, projections.KindVotingClosed:
		if n.Detail == projections.DetailAdopted {
			text = [2]string{"“%s”表决通过。", "\"%s\" was adopted."}[i]
		} else {
			text = [2]string{"“%s”表决未通过。", "\"%s\" was not adopted."}[i]
		}
		text = fmt.Sprintf(text, title)
	default:
		p, ok := phrases[n.Kind]
		if !ok {
			p = [2]string{"“%s”有更新。", "\"%s\" changed."}
		}
		text = fmt.Sprintf(p[i], title)
	}
	return Message{ID: n.ID, Text: cut(text, MaxText), URL: Link(base, n.Item), Language: lang}
}

// RenderDigest writes one message for several notifications, oldest first.
func RenderDigest(id string, ns []projections.Notification, lang, base string) Message {
	if len(ns) == 1 {
		m := Render(ns[0], lang, base)
		m.ID = id
		return m
	}
	first := Render(ns[0], lang, base)
	text := fmt.Sprintf("您关注的事项有 %d 条更新：%s", len(ns), first.Text)
	if first.Language == domain.LangEN {
		text = fmt.Sprintf("%d updates on what you follow: %s", len(ns), first.Text)
	}
	return Message{ID: id, Text: cut(text, MaxText), URL: strings.TrimRight(base, "/") + "/notifications", Language: first.Language}
}

// Link is the address of an item's page.
func Link(base, item string) string {
	cat, id, _ := strings.Cut(item, "-")
	return strings.TrimRight(base, "/") + "/" + cat + "s/" + id
}

// cut shortens s to at most n characters, ending it with an ellipsis.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// china is the time zone of quiet hours and digests (UTC+8, no daylight
// saving).
var china = time.FixedZone("CST", 8*3600)

// minutes reads "HH:MM" as minutes since midnight.
func minutes(hhmm string) int {
	t, err := time.Parse("15:04", hhmm)
	if err != nil {
		return 0
	}
	return t.Hour()*60 + t.Minute()
}

// Quiet reports whether now falls in the quiet hours of s, and when they
// end.
func Quiet(s domain.NotificationSettings, now time.Time) (bool, time.Time) {
	from, to := minutes(s.QuietFrom), minutes(s.QuietTo)
	if from == to {
		return false, time.Time{}
	}
	local := now.In(china)
	m := local.Hour()*60 + local.Minute()
	in := from < to && m >= from && m < to || from > to && (m >= from || m < to)
	if !in {
		return false, time.Time{}
	}
	end := time.Date(local.Year(), local.Month(), local.Day(), to/60, to%60, 0, 0, china)
	if !end.After(local) {
		end = end.AddDate(0, 0, 1)
	}
	return true, end
}

// DigestDue is when a digest holding a notification of time at goes out:
// the end of the next quiet hours after it (07:00 by default), daily, or
// the first such Monday, weekly.
func DigestDue(s domain.NotificationSettings, at time.Time) time.Time {
	to := minutes(s.QuietTo)
	local := at.In(china)
	due := time.Date(local.Year(), local.Month(), local.Day(), to/60, to%60, 0, 0, china)
	if !due.After(local) {
		due = due.AddDate(0, 0, 1)
	}
	if s.Digest == domain.DigestWeekly {
		for due.Weekday() != time.Monday {
			due = due.AddDate(0, 0, 1)
		}
	}
	return due
}
