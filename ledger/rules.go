package ledger

import (
	"context"
	"slices"

	"github.com/yishi-civic/yishi/domain"
)

// This file holds the rules that span aggregates: the domain decides each
// command against its own stream only, and the ledger checks, before
// appending, what the command says about other streams. A merge's survivor
// must be open and of the same community; an action's proposal must be
// open and its decision adopted, within the action's community; an agenda
// item's proposal belongs to the meeting's community; an outcome is
// verified only by those the proposal names (see verifiers). The checks read the other
// streams through the ledger's cache and are not atomic with the append: a
// change to the other stream in between can still slip through, as with
// checkFollowUps.

// checkRelations refuses cmd, already accepted by the domain on its own
// stream (whose events before the command are history), when it breaks a
// rule that spans aggregates. Returns a *domain.Error naming the field at
// fault.
func (l *Ledger) checkRelations(ctx context.Context, history []domain.Event, cmd domain.Command) error {
	switch c := cmd.(type) {
	case domain.MergeProposal:
		return l.checkMerge(ctx, history, c)
	case domain.AssignAction:
		if err := l.checkTeamOwner(ctx, c); err != nil {
			return err
		}
		return l.checkAssign(ctx, c)
	case domain.AcceptAction:
		return l.checkAccept(ctx, domain.FoldAction(history), c)
	case domain.DispatchService:
		return l.checkDispatch(ctx, domain.FoldService(history), c)
	case domain.AcceptService:
		return l.checkAnswer(ctx, domain.FoldService(history), c.Volunteer.PersonID)
	case domain.DeclineService:
		return l.checkAnswer(ctx, domain.FoldService(history), c.Volunteer.PersonID)
	case domain.RedeemPoints:
		return l.checkRedeem(ctx, c)
	case domain.ClaimWish:
		return l.checkWishClaim(ctx, domain.FoldWish(history), c)
	case domain.SubmitProposal:
		if c.MeetingID == "" {
			return nil
		}
		m, err := l.meeting(ctx, c.MeetingID)
		if err != nil {
			return err
		}
		return sameCommunity("meeting_id", c.CommunityID, m.CommunityID)
	case domain.VerifyAction:
		return l.checkVerifier(ctx, domain.FoldAction(history), c)
	case domain.FollowItem:
		return l.checkExists(ctx, c.Item, "item")
	case domain.AddAgendaItem:
		if c.ProposalID == "" {
			return nil
		}
		p, err := l.proposal(ctx, c.ProposalID, "proposal_id")
		if err != nil {
			return err
		}
		return sameCommunity("proposal_id", communityOf(history), p.CommunityID)
	}
	return nil
}

// checkMerge: the survivor exists, lies in the duplicate's community and
// is still open (not merged, withdrawn, rejected or closed). A survivor
// that was itself merged would make a chain or a cycle (A into B, then B
// into A) with no proposal left to carry the duplicates.
func (l *Ledger) checkMerge(ctx context.Context, history []domain.Event, c domain.MergeProposal) error {
	survivor, err := l.proposal(ctx, c.SurvivorID, "survivor_id")
	if err != nil {
		return err
	}
	if err := sameCommunity("survivor_id", communityOf(history), survivor.CommunityID); err != nil {
		return err
	}
	if settled(survivor) {
		return proposalRefusal("survivor_id", "survivor_not_open", survivor.Status,
			"a proposal can only be merged into one that is still open", "只能合并到仍在办理中的议题")
	}
	return nil
}

// checkAssign: an action's proposal exists, lies in the action's community
// and is still open; an action carrying out a decision names a motion,
// consensus or mediation of a meeting of its community that was adopted.
func (l *Ledger) checkAssign(ctx context.Context, c domain.AssignAction) error {
	if c.ProposalID != "" {
		p, err := l.proposal(ctx, c.ProposalID, "proposal_id")
		if err != nil {
			return err
		}
		if err := sameCommunity("proposal_id", c.CommunityID, p.CommunityID); err != nil {
			return err
		}
		if settled(p) {
			return proposalRefusal("proposal_id", "proposal_not_open", p.Status,
				"an action can only be assigned to a proposal that is still open", "只能为仍在办理中的议题分派行动")
		}
	}
	if c.MeetingID == "" {
		return nil
	}
	m, err := l.meeting(ctx, c.MeetingID)
	if err != nil {
		return err
	}
	if err := sameCommunity("meeting_id", c.CommunityID, m.CommunityID); err != nil {
		return err
	}
	adopted, found := decisionAdopted(m, c.MotionID)
	if !found {
		return &domain.Error{Code: domain.CodeNotFound, Reason: "motion_not_found", Field: "motion_id",
			Message: "the meeting has no such motion or mediation", MessageZH: "该会议没有这项动议或调解"}
	}
	if !adopted {
		return &domain.Error{Code: domain.CodeConflict, Reason: "decision_not_adopted", Field: "motion_id",
			Message:   "an action carries out an adopted decision: this motion was voted down or is not decided yet",
			MessageZH: "行动只能执行已通过的决定：该动议未通过或尚未决定"}
	}
	return nil
}

// verifiers returns who may verify the outcome of an action: the author of
// its proposal and those who put their names to it (supporters, and the
// authors and supporters of proposals merged into it). An action that
// carries out a decision without naming a proposal takes the proposal of
// its motion or mediation; without one, the parties of the mediation, or
// those recorded present (or by proxy) at the meeting that decided it.
// Staff may record the verdict of one of them on their behalf, saying how
// they obtained it; no one else may verify.
func (l *Ledger) verifiers(ctx context.Context, a domain.ActionState) ([]string, error) {
	proposalID := a.ProposalID
	var fallback []string
	if proposalID == "" && a.MeetingID != "" {
		events, _, err := l.Load(ctx, domain.MeetingStream(a.MeetingID))
		if err != nil {
			return nil, err
		}
		m := domain.FoldMeeting(events)
		for _, mo := range m.Motions {
			if mo.MotionID == a.MotionID {
				proposalID = mo.ProposalID
			}
		}
		for _, md := range m.Mediations {
			if md.MediationID == a.MotionID {
				proposalID = md.ProposalID
				for _, p := range md.Parties {
					fallback = append(fallback, p.ID)
				}
			}
		}
		if fallback == nil {
			for id, at := range m.Attendance {
				if at.Attendance == domain.Present || at.Attendance == domain.Proxy {
					fallback = append(fallback, id)
				}
			}
		}
	}
	if proposalID == "" {
		return fallback, nil
	}
	events, _, err := l.Load(ctx, domain.ProposalStream(proposalID))
	if err != nil {
		return nil, err
	}
	p := domain.FoldProposal(events)
	return append([]string{p.Author.ID}, p.Supporters...), nil
}

// checkVerifier: the verifier is one of the action's verifiers.
func (l *Ledger) checkVerifier(ctx context.Context, a domain.ActionState, c domain.VerifyAction) error {
	allowed, err := l.verifiers(ctx, a)
	if err != nil {
		return err
	}
	if slices.Contains(allowed, c.Verifier.PersonID) {
		return nil
	}
	return &domain.Error{Code: domain.CodeForbidden, Reason: "not_a_verifier", Field: "verifier",
		Message:   "only the proposal's author and those who supported it verify its outcome; staff may record their verdict with a note of how it was obtained",
		MessageZH: "只有议题的提出人和附议人可以验收；工作人员可以代为记录他们的意见，并须说明如何征得"}
}

// decisionAdopted reports whether the meeting's motion or mediation id was
// adopted (voting closed with the domain's tally adopting it, consensus
// reached, or the parties agreed), and whether it exists at all.
func decisionAdopted(m domain.MeetingState, id string) (adopted, found bool) {
	for _, mo := range m.Motions {
		if mo.MotionID != id {
			continue
		}
		switch {
		case mo.Consensus != nil:
			return true, true
		case mo.Tally != nil:
			return mo.Tally.Adopted, true
		}
		return false, true
	}
	for _, md := range m.Mediations {
		if md.MediationID == id {
			return md.Agreed != nil, true
		}
	}
	return false, false
}

// proposal folds the proposal id names; a missing one is refused naming
// field.
func (l *Ledger) proposal(ctx context.Context, id, field string) (domain.ProposalState, error) {
	events, _, err := l.Load(ctx, domain.ProposalStream(id))
	if err != nil {
		return domain.ProposalState{}, err
	}
	p := domain.FoldProposal(events)
	if !p.Exists {
		return p, &domain.Error{Code: domain.CodeNotFound, Reason: "proposal_not_found", Field: field,
			Message: "there is no such proposal", MessageZH: "没有这个议题"}
	}
	return p, nil
}

// meeting folds the meeting id names; a missing one is refused naming
// meeting_id.
func (l *Ledger) meeting(ctx context.Context, id string) (domain.MeetingState, error) {
	events, _, err := l.Load(ctx, domain.MeetingStream(id))
	if err != nil {
		return domain.MeetingState{}, err
	}
	m := domain.FoldMeeting(events)
	if !m.Exists {
		return m, &domain.Error{Code: domain.CodeNotFound, Reason: "meeting_not_found", Field: "meeting_id",
			Message: "there is no such meeting", MessageZH: "没有这个会议"}
	}
	return m, nil
}

// settled reports whether a proposal can take no new duplicates or
// actions: merged, withdrawn, rejected or closed.
func settled(p domain.ProposalState) bool {
	switch p.Status {
	case domain.StatusMerged, domain.StatusWithdrawn, domain.StatusRejected, domain.StatusClosed:
		return true
	}
	return false
}

// proposalRefusal refuses because of another proposal's status, naming it.
func proposalRefusal(field, reason, status, en, zh string) *domain.Error {
	stEN, stZH := domain.StatusLabel(status)
	return &domain.Error{Code: domain.CodeConflict, Reason: reason, Field: field,
		Message: en + "; that one is " + stEN, MessageZH: zh + "；该议题当前状态为“" + stZH + "”"}
}

// sameCommunity refuses a link from an aggregate of community to one of
// other: links, merges and follow-ups stay within one community.
func sameCommunity(field, community, other string) error {
	if community == other {
		return nil
	}
	return &domain.Error{Code: domain.CodeForbidden, Reason: "other_community", Field: field,
		Message:   "records of different communities cannot be linked or merged",
		MessageZH: "不同社区的记录不能关联或合并"}
}

// communityOf returns the community of the aggregate whose stream starts
// with events[0], "" for none.
func communityOf(events []domain.Event) string {
	if len(events) == 0 {
		return ""
	}
	c, _ := domain.PlaceOf(events[0])
	return c
}

// checkExists refuses a command about an item whose stream holds no events
// (following a proposal that was never submitted).
func (l *Ledger) checkExists(ctx context.Context, stream, field string) error {
	_, rev, err := l.Load(ctx, stream)
	if err != nil {
		return err
	}
	if rev < 0 {
		return &domain.Error{Code: domain.CodeNotFound, Reason: "item_not_found", Field: field,
			Message: "there is no such item", MessageZH: "没有这个条目"}
	}
	return nil
}
