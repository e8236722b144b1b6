package domain

import "strings"

// Statuses of proposals, meetings, motions and actions. One word means the
// same in every aggregate.
const (
	// StatusSubmitted: a proposal waits for triage.
	StatusSubmitted = "submitted"
	// StatusAccepted: a proposal was triaged in and has an owner.
	StatusAccepted = "accepted"
	// StatusHandling: a proposal is handled directly (即时办结).
	StatusHandling = "handling"
	// StatusOnAgenda: a proposal is on a meeting's agenda.
	StatusOnAgenda = "on_agenda"
	// StatusDecided: a meeting decided on a proposal.
	StatusDecided = "decided"
	// StatusReopened: a proposal is open again after an unsatisfied
	// verification or a facilitator's reopening.
	StatusReopened = "reopened"
	// StatusRejected: a proposal was triaged out (terminal until reopened).
	StatusRejected = "rejected"
	// StatusMerged: a proposal was merged into another (terminal).
	StatusMerged = "merged"
	// StatusWithdrawn: the author withdrew a proposal (terminal).
	StatusWithdrawn = "withdrawn"
	// StatusClosed: a proposal is done, or a motion's voting closed.
	StatusClosed = "closed"

	// StatusScheduled: a meeting has not started.
	StatusScheduled = "scheduled"
	// StatusOpen: a meeting is in session; a proposal's linked action is
	// neither verified nor cancelled.
	StatusOpen = "open"
	// StatusAdjourned: a meeting ended and its minutes are not published.
	StatusAdjourned = "adjourned"
	// StatusPublished: a meeting's minutes are published (公示).
	StatusPublished = "published"

	// StatusTabled: a motion waits for a vote or a consensus.
	StatusTabled = "tabled"
	// StatusVoting: a motion's voting is open.
	StatusVoting = "voting"
	// StatusAgreed: consensus was reached on a motion, or a mediation's
	// option was agreed.
	StatusAgreed = "agreed"

	// StatusAssigned: an action waits to be started.
	StatusAssigned = "assigned"
	// StatusInProgress: an action is being worked on (also after an
	// unsatisfied verification reopened it).
	StatusInProgress = "in_progress"
	// StatusBlocked: an action cannot go on.
	StatusBlocked = "blocked"
	// StatusCompleted: the owner says an action is done; residents have
	// not verified it yet.
	StatusCompleted = "completed"
	// StatusVerified: residents verified an action and were satisfied.
	StatusVerified = "verified"
	// StatusCancelled: an action will not be done.
	StatusCancelled = "cancelled"
)

// StatusLabel names a status for refusal messages: in English (words,
// not the snake_case key) and in Chinese.
func StatusLabel(status string) (en, zh string) {
	return strings.ReplaceAll(status, "_", " "), statusZH[status]
}

// statusZH names statuses in Chinese.
var statusZH = map[string]string{
	StatusSubmitted: "已提交", StatusAccepted: "已受理", StatusHandling: "即时办理中", StatusOnAgenda: "已列入议程",
	StatusDecided: "已形成决定", StatusReopened: "已重新打开", StatusRejected: "不予受理", StatusMerged: "已合并",
	StatusWithdrawn: "已撤回", StatusClosed: "已结束", StatusScheduled: "待召开", StatusOpen: "进行中", StatusAdjourned: "已休会",
	StatusPublished: "已公示", StatusTabled: "待决定", StatusVoting: "表决中", StatusAgreed: "已达成一致",
	StatusAssigned: "待开始", StatusInProgress: "进行中", StatusBlocked: "受阻", StatusCompleted: "已完成待验收",
	StatusVerified: "已验收", StatusCancelled: "已取消",
}
