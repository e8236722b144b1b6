package domain

// FollowUps returns the commands the application layer must run next, on
// other streams, after events were appended to stream: in the events'
// order, and the same for the same input. Each follow-up is idempotent
// (running it twice appends nothing the second time) except ReopenProposal,
// which the application layer deduplicates by its command id. The
// cross-aggregate effects are:
//
//   - proposal.merged.v1 → AbsorbDuplicate on the survivor;
//   - meeting.agenda_item_added.v1 with a proposal → PutOnAgenda;
//   - meeting.voting_closed.v1, meeting.consensus_reached.v1 and
//     meeting.mediation_agreed.v1 with a proposal → RecordDecision;
//   - action.assigned.v1 with a proposal → LinkAction, so that the
//     proposal cannot close while the action is open;
//   - action.verified.v1 with a proposal: satisfied → SettleAction,
//     not satisfied → ReopenProposal (the action reopened itself);
//   - action.cancelled.v1 with a proposal → SettleAction;
//   - service.confirmed.v1 satisfied → AwardPoints on the volunteer's
//     points account (idempotent per service).
func FollowUps(stream string, events []Event) []Command {
	var out []Command
	for _, e := range events {
		if c := followUp(e); c != nil {
			out = append(out, c)
		}
	}
	return out
}

// followUp returns the command one event asks for on another stream.
func followUp(e Event) Command {
	switch e := e.(type) {
	case ProposalMerged:
		return AbsorbDuplicate{ProposalID: e.SurvivorID, DuplicateID: e.ProposalID, Supporters: append([]string{e.AuthorID}, e.Supporters...)}
	case AgendaItemAdded:
		if e.ProposalID != "" {
			return PutOnAgenda{ProposalID: e.ProposalID, MeetingID: e.MeetingID, ItemID: e.ItemID, MeetingTitle: e.MeetingTitle, StartsAt: e.StartsAt}
		}
	case VotingClosed:
		if e.ProposalID != "" {
			return RecordDecision{ProposalID: e.ProposalID, MeetingID: e.MeetingID, MotionID: e.MotionID, How: DecidedByVote,
				Adopted: e.Tally.Adopted, OptionID: e.Tally.WinningOptionID, Outcome: VoteOutcome(e.Text, e.Tally)}
		}
	case ConsensusReached:
		if e.ProposalID != "" {
			return RecordDecision{ProposalID: e.ProposalID, MeetingID: e.MeetingID, MotionID: e.MotionID, How: DecidedByConsensus,
				Adopted: true, OptionID: e.OptionID, Outcome: e.Text + ": " + e.Label}
		}
	case MediationAgreed:
		if e.ProposalID != "" {
			return RecordDecision{ProposalID: e.ProposalID, MeetingID: e.MeetingID, MotionID: e.MediationID, How: DecidedByMediation,
				Adopted: true, OptionID: e.OptionID, Outcome: e.Dispute + ": " + e.Label}
		}
	case ActionAssigned:
		if e.ProposalID != "" {
			return LinkAction{ProposalID: e.ProposalID, ActionID: e.ActionID, Title: e.Title}
		}
	case ActionVerified:
		switch {
		case e.ProposalID == "":
		case e.Satisfied:
			return SettleAction{ProposalID: e.ProposalID, ActionID: e.ActionID, Outcome: StatusVerified}
		default:
			return ReopenProposal{ProposalID: e.ProposalID, ActionID: e.ActionID, Reason: e.Reason, By: e.Verifier.PersonID}
		}
	case ActionCancelled:
		if e.ProposalID != "" {
			return SettleAction{ProposalID: e.ProposalID, ActionID: e.ActionID, Outcome: StatusCancelled}
		}
	case ServiceConfirmed:
		if e.Satisfied && e.Points > 0 {
			return AwardPoints{CommunityID: e.CommunityID, PersonID: e.VolunteerID, ServiceID: e.ServiceID, Minutes: e.Minutes, Points: e.Points, Rule: e.Rule}
		}
	}
	return nil
}
