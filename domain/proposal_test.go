package domain

import (
	"strings"
	"testing"
)

var (
	photo     = strings.Repeat("ab", 32)
	resident  = Party{Kind: PartyPerson, ID: "r1", Name: "米阿姨"}
	gridHead  = Party{Kind: PartyPerson, ID: "h1", Name: "李网格长"}
	submitted = ProposalSubmitted{ProposalID: "p1", CommunityID: community, GridID: "g1", CompoundID: "c1", Title: "停车棚夹道乱堆乱放",
		Text: "公共区域停车棚内有个夹道，里面乱堆乱放", Category: "环境卫生", Place: "3号院停车棚", Photos: []string{photo},
		Channel: ChannelMeeting, Author: resident, At: now}
	submit = SubmitProposal{ProposalID: "p1", CommunityID: community, GridID: "g1", CompoundID: "c1", Title: submitted.Title,
		Text: submitted.Text, Category: submitted.Category, Place: submitted.Place, Photos: []string{photo}, Channel: ChannelMeeting, Author: resident}
	accepted   = ProposalAccepted{ProposalID: "p1", Owner: gridHead, By: "h1", At: now}
	linked     = ProposalActionLinked{ProposalID: "p1", ActionID: "a1", Title: "清理夹道", At: now}
	settled    = ProposalActionSettled{ProposalID: "p1", ActionID: "a1", Outcome: StatusVerified, At: now}
	closedProp = ProposalClosed{ProposalID: "p1", By: "h1", At: now}
)

// with returns base followed by more, without sharing base's array.
func with(base []Event, more ...Event) []Event {
	return append(append([]Event{}, base...), more...)
}

func TestProposal(t *testing.T) {
	p := []Event{submitted}
	acc := with(p, accepted)
	withAction := with(acc, linked)
	verified := with(withAction, settled)
	closed := with(verified, closedProp)
	edit := func(f func(*SubmitProposal)) SubmitProposal { c := submit; c.Photos = []string{photo}; f(&c); return c }
	run(t, []spec{
		{name: "submit", when: submit, then: []Event{submitted}},
		{name: "submit twice", given: p, when: submit, code: CodeConflict, reason: "proposal_exists"},
		{name: "submit without title", when: edit(func(c *SubmitProposal) { c.Title = " " }), code: CodeInvalid, reason: "required", field: "title"},
		{name: "submit with long title", when: edit(func(c *SubmitProposal) { c.Title = strings.Repeat("长", 201) }), code: CodeInvalid, reason: "too_long", field: "title"},
		{name: "submit with bad photo", when: edit(func(c *SubmitProposal) { c.Photos = []string{"cat.jpg"} }), code: CodeInvalid, reason: "bad_photo_ref", field: "photos"},
		{name: "submit with too many photos", when: edit(func(c *SubmitProposal) { c.Photos = make([]string, 21) }), code: CodeInvalid, reason: "too_many", field: "photos"},
		{name: "submit with unknown channel", when: edit(func(c *SubmitProposal) { c.Channel = "pigeon" }), code: CodeInvalid, reason: "not_allowed", field: "channel"},
		{name: "photo report without photo", when: edit(func(c *SubmitProposal) { c.Channel, c.Photos = ChannelPhotoReport, nil }), code: CodeInvalid, reason: "photo_required", field: "photos"},
		{name: "submit without author", when: edit(func(c *SubmitProposal) { c.Author = Party{} }), code: CodeInvalid, reason: "not_allowed", field: "author.kind"},
		{name: "support before submit", when: SupportProposal{ProposalID: "p1", PersonID: "r2", Name: "李女士"}, code: CodeNotFound, reason: "proposal_not_found"},
		{name: "support", given: p, when: SupportProposal{ProposalID: "p1", PersonID: "r2", Name: "李女士"},
			then: []Event{ProposalSupported{ProposalID: "p1", PersonID: "r2", Name: "李女士", At: now}}},
		{name: "support twice", given: with(p, ProposalSupported{ProposalID: "p1", PersonID: "r2", Name: "李女士"}), when: SupportProposal{ProposalID: "p1", PersonID: "r2", Name: "李女士"},
			code: CodeConflict, reason: "already_supported"},
		{name: "author supports own", given: p, when: SupportProposal{ProposalID: "p1", PersonID: "r1", Name: "米阿姨"}, code: CodeForbidden, reason: "author_cannot_support"},
		{name: "support closed", given: closed, when: SupportProposal{ProposalID: "p1", PersonID: "r2", Name: "李女士"}, code: CodeConflict, reason: "proposal_not_open"},
		{name: "support without name", given: p, when: SupportProposal{ProposalID: "p1", PersonID: "r2"}, code: CodeInvalid, reason: "required"},
		{name: "accept", given: p, when: AcceptProposal{ProposalID: "p1", Owner: gridHead, By: "h1"}, then: []Event{accepted}},
		{name: "accept twice", given: acc, when: AcceptProposal{ProposalID: "p1", Owner: gridHead, By: "h1"}, code: CodeConflict, reason: "not_awaiting_triage"},
		{name: "accept without owner", given: p, when: AcceptProposal{ProposalID: "p1", By: "h1"}, code: CodeInvalid, reason: "not_allowed", field: "owner.kind"},
		{name: "reject", given: p, when: RejectProposal{ProposalID: "p1", Reason: "不属于社区事务", By: "h1"},
			then: []Event{ProposalRejected{ProposalID: "p1", Reason: "不属于社区事务", By: "h1", At: now}}},
		{name: "reject without reason", given: p, when: RejectProposal{ProposalID: "p1", By: "h1"}, code: CodeInvalid, reason: "required", field: "reason"},
		{name: "reject with open action", given: withAction, when: RejectProposal{ProposalID: "p1", Reason: "x", By: "h1"}, code: CodeConflict, reason: "actions_open"},
		{name: "reject withdrawn", given: with(p, ProposalWithdrawn{ProposalID: "p1", AuthorID: "r1"}), when: RejectProposal{ProposalID: "p1", Reason: "x", By: "h1"}, code: CodeConflict, reason: "proposal_not_open"},
		{name: "merge", given: with(p, ProposalSupported{ProposalID: "p1", PersonID: "r2", Name: "李"}), when: MergeProposal{ProposalID: "p1", SurvivorID: "p0", Reason: "重复", By: "h1"},
			then: []Event{ProposalMerged{ProposalID: "p1", SurvivorID: "p0", Reason: "重复", Supporters: []string{"r2"}, AuthorID: "r1", By: "h1", At: now}}},
		{name: "merge into itself", given: p, when: MergeProposal{ProposalID: "p1", SurvivorID: "p1", Reason: "重复", By: "h1"}, code: CodeInvalid, reason: "merge_into_itself"},
		{name: "merge merged", given: with(p, ProposalMerged{ProposalID: "p1", SurvivorID: "p0"}), when: MergeProposal{ProposalID: "p1", SurvivorID: "p2", Reason: "重复", By: "h1"}, code: CodeConflict, reason: "proposal_not_open"},
		{name: "merge with open action", given: withAction, when: MergeProposal{ProposalID: "p1", SurvivorID: "p2", Reason: "重复", By: "h1"}, code: CodeConflict, reason: "actions_open"},
		{name: "merge without reason", given: p, when: MergeProposal{ProposalID: "p1", SurvivorID: "p2", By: "h1"}, code: CodeInvalid, reason: "required", field: "reason"},
		{name: "absorb duplicate", given: with(p, ProposalSupported{ProposalID: "p1", PersonID: "r2"}),
			when: AbsorbDuplicate{ProposalID: "p1", DuplicateID: "p9", Supporters: []string{"r3", "r2", "r1", "r3", "r4"}},
			then: []Event{ProposalDuplicateAbsorbed{ProposalID: "p1", DuplicateID: "p9", NewSupporters: []string{"r3", "r4"}, SupportersWere: 1, At: now}}},
		{name: "absorb duplicate again", given: with(p, ProposalDuplicateAbsorbed{ProposalID: "p1", DuplicateID: "p9"}), when: AbsorbDuplicate{ProposalID: "p1", DuplicateID: "p9"}, then: nil},
		{name: "absorb into missing survivor", when: AbsorbDuplicate{ProposalID: "p1", DuplicateID: "p9"}, code: CodeNotFound, reason: "proposal_not_found"},
		{name: "withdraw", given: p, when: WithdrawProposal{ProposalID: "p1", PersonID: "r1", Reason: "已自行解决"},
			then: []Event{ProposalWithdrawn{ProposalID: "p1", AuthorID: "r1", Reason: "已自行解决", At: now}}},
		{name: "withdraw by another", given: p, when: WithdrawProposal{ProposalID: "p1", PersonID: "r2"}, code: CodeForbidden, reason: "not_the_author"},
		{name: "withdraw rejected", given: with(p, ProposalRejected{ProposalID: "p1", Reason: "x"}), when: WithdrawProposal{ProposalID: "p1", PersonID: "r1"}, code: CodeConflict, reason: "proposal_not_open"},
		{name: "withdraw with open action", given: withAction, when: WithdrawProposal{ProposalID: "p1", PersonID: "r1"}, code: CodeConflict, reason: "actions_open"},
		{name: "handle directly", given: acc, when: HandleDirectly{ProposalID: "p1", Handler: gridHead, Note: "网格员当场清理", By: "h1"},
			then: []Event{ProposalHandledDirectly{ProposalID: "p1", Handler: gridHead, Note: "网格员当场清理", By: "h1", At: now}}},
		{name: "handle directly when on agenda", given: with(p, ProposalPutOnAgenda{ProposalID: "p1", MeetingID: "m1", ItemID: "i1"}),
			when: HandleDirectly{ProposalID: "p1", Handler: gridHead, By: "h1"}, code: CodeConflict, reason: "cannot_handle_directly"},
		{name: "handle directly without handler", given: p, when: HandleDirectly{ProposalID: "p1", By: "h1"}, code: CodeInvalid, reason: "not_allowed"},
		{name: "put on agenda", given: acc, when: PutOnAgenda{ProposalID: "p1", MeetingID: "m1", ItemID: "i1", MeetingTitle: "楼院议事", StartsAt: now},
			then: []Event{ProposalPutOnAgenda{ProposalID: "p1", MeetingID: "m1", ItemID: "i1", MeetingTitle: "楼院议事", StartsAt: now, At: now}}},
		{name: "put on agenda again", given: with(p, ProposalPutOnAgenda{ProposalID: "p1", MeetingID: "m1", ItemID: "i1"}), when: PutOnAgenda{ProposalID: "p1", MeetingID: "m1", ItemID: "i1"}, then: nil},
		{name: "record decision", given: acc, when: RecordDecision{ProposalID: "p1", MeetingID: "m1", MotionID: "mo1", How: DecidedByVote, Adopted: true, OptionID: "yes", Outcome: "重新划线: 同意"},
			then: []Event{ProposalDecided{ProposalID: "p1", MeetingID: "m1", MotionID: "mo1", How: DecidedByVote, Adopted: true, OptionID: "yes", Outcome: "重新划线: 同意", At: now}}},
		{name: "record decision again", given: with(p, ProposalDecided{ProposalID: "p1", MeetingID: "m1", MotionID: "mo1"}), when: RecordDecision{ProposalID: "p1", MeetingID: "m1", MotionID: "mo1"}, then: nil},
		{name: "link action", given: acc, when: LinkAction{ProposalID: "p1", ActionID: "a1", Title: "清理夹道"}, then: []Event{linked}},
		{name: "link action again", given: withAction, when: LinkAction{ProposalID: "p1", ActionID: "a1", Title: "清理夹道"}, then: nil},
		{name: "settle action", given: withAction, when: SettleAction{ProposalID: "p1", ActionID: "a1", Outcome: StatusVerified}, then: []Event{settled}},
		{name: "settle action again", given: verified, when: SettleAction{ProposalID: "p1", ActionID: "a1", Outcome: StatusVerified}, then: nil},
		{name: "settle unknown action", given: acc, when: SettleAction{ProposalID: "p1", ActionID: "a9", Outcome: StatusVerified}, code: CodeNotFound, reason: "action_not_linked"},
		{name: "close", given: verified, when: CloseProposal{ProposalID: "p1", By: "h1"}, then: []Event{closedProp}},
		{name: "close with open action", given: with(verified, ProposalActionLinked{ProposalID: "p1", ActionID: "a2"}), when: CloseProposal{ProposalID: "p1", By: "h1"}, code: CodeConflict, reason: "actions_open"},
		{name: "close unverified", given: acc, when: CloseProposal{ProposalID: "p1", By: "h1"}, code: CodeConflict, reason: "not_verified"},
		{name: "close only cancelled actions", given: with(withAction, ProposalActionSettled{ProposalID: "p1", ActionID: "a1", Outcome: StatusCancelled}), when: CloseProposal{ProposalID: "p1", By: "h1"}, code: CodeConflict, reason: "not_verified"},
		{name: "close twice", given: closed, when: CloseProposal{ProposalID: "p1", By: "h1"}, code: CodeConflict, reason: "proposal_not_open"},
		{name: "close without closer", given: verified, when: CloseProposal{ProposalID: "p1"}, code: CodeInvalid, reason: "required", field: "by"},
		{name: "reopen closed", given: closed, when: ReopenProposal{ProposalID: "p1", Reason: "杂物又堆回来了", By: "r1"},
			then: []Event{ProposalReopened{ProposalID: "p1", Reason: "杂物又堆回来了", By: "r1", At: now}}},
		{name: "reopen after unsatisfied verification", given: withAction, when: ReopenProposal{ProposalID: "p1", ActionID: "a1", Reason: "没清干净", By: "r1"},
			then: []Event{ProposalReopened{ProposalID: "p1", ActionID: "a1", Reason: "没清干净", By: "r1", At: now}}},
		{name: "reopen open proposal", given: acc, when: ReopenProposal{ProposalID: "p1", Reason: "x", By: "r1"}, code: CodeConflict, reason: "not_closed"},
		{name: "reopen without reason", given: closed, when: ReopenProposal{ProposalID: "p1", By: "r1"}, code: CodeInvalid, reason: "required", field: "reason"},
		{name: "close again at once after a reopen", given: with(closed, ProposalReopened{ProposalID: "p1", Reason: "杂物又堆回来了"}),
			when: CloseProposal{ProposalID: "p1", By: "h1"}, code: CodeConflict, reason: "not_verified"},
		{name: "close after a reopen and a new verification", given: with(closed, ProposalReopened{ProposalID: "p1", Reason: "x"},
			ProposalActionLinked{ProposalID: "p1", ActionID: "a2"}, ProposalActionSettled{ProposalID: "p1", ActionID: "a2", Outcome: StatusVerified}),
			when: CloseProposal{ProposalID: "p1", By: "h1"}, then: []Event{closedProp}},
		{name: "withdraw after a meeting decided", given: with(acc, ProposalDecided{ProposalID: "p1", MeetingID: "m1", MotionID: "mo1", Adopted: true}),
			when: WithdrawProposal{ProposalID: "p1", PersonID: "r1"}, code: CodeConflict, reason: "already_decided"},
		{name: "withdraw a survivor of duplicates", given: with(p, ProposalDuplicateAbsorbed{ProposalID: "p1", DuplicateID: "p9"}),
			when: WithdrawProposal{ProposalID: "p1", PersonID: "r1"}, code: CodeConflict, reason: "carries_duplicates"},
		{name: "accept reopened", given: with(closed, ProposalReopened{ProposalID: "p1", Reason: "x"}), when: AcceptProposal{ProposalID: "p1", Owner: gridHead, By: "h1"}, then: []Event{accepted}},
		{name: "meeting command on a proposal stream", given: p, when: wrongStream{"proposal-p1"}, code: CodeInvalid, reason: "unknown_command"},
	})
}

func TestFoldProposal(t *testing.T) {
	s := FoldProposal([]Event{submitted,
		ProposalSupported{ProposalID: "p1", PersonID: "r2"},
		ProposalDuplicateAbsorbed{ProposalID: "p1", DuplicateID: "p9", NewSupporters: []string{"r3"}},
		accepted,
		ProposalPutOnAgenda{ProposalID: "p1", MeetingID: "m1", ItemID: "i1"},
		ProposalDecided{ProposalID: "p1", MeetingID: "m1", MotionID: "mo1", Adopted: true},
		linked,
		ProposalActionLinked{ProposalID: "p1", ActionID: "a2"},
		ProposalActionSettled{ProposalID: "p1", ActionID: "a2", Outcome: StatusCancelled},
	})
	if s.Status != StatusDecided || len(s.Supporters) != 2 || s.Duplicates[0] != "p9" || s.Owner != gridHead {
		t.Fatalf("state: %+v", s)
	}
	if open := s.OpenActions(); len(open) != 1 || open[0] != "a1" {
		t.Fatalf("open actions: %v", open)
	}
	s = FoldProposal([]Event{submitted, ProposalRejected{ProposalID: "p1"}, ProposalPutOnAgenda{ProposalID: "p1", MeetingID: "m1"}, ProposalDecided{ProposalID: "p1"}})
	if s.Status != StatusRejected || len(s.Agenda) != 1 || len(s.Decisions) != 1 {
		t.Fatalf("a settled proposal's status moved: %+v", s)
	}
}
