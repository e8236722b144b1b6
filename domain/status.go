package domain

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

// statusZH names statuses in Chinese for refusal messages.
var statusZH = map[string]string{
	StatusSubmitted: "提交", StatusAccepted: "受理", StatusHandling: "即时办理", StatusOnAgenda: "列入议程",
	StatusDecided: "形成决定", StatusReopened: "重新打开", StatusRejected: "不予受理", StatusMerged: "合并",
	StatusWithdrawn: "撤回", StatusClosed: "结束", StatusScheduled: "安排", StatusOpen: "开始", StatusAdjourned: "休会",
	StatusPublished: "公示", StatusTabled: "提出", StatusVoting: "开始表决", StatusAgreed: "达成一致",
	StatusAssigned: "分派", StatusInProgress: "进行", StatusBlocked: "受阻", StatusCompleted: "完成",
	StatusVerified: "验收", StatusCancelled: "取消",
}
