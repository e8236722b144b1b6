package ledger

import (
	"context"
	"fmt"

	"github.com/yishi-civic/yishi/domain"
)

// The rules of meetings that read another aggregate, the community's
// organisation: an owners' assembly's compound lies in the meeting's grid,
// and the register of units an owners' vote locks (PRC Civil Code art.
// 278) is the organisation's, never the caller's.

// prepare completes or refuses a command with what only other streams
// know, before the domain decides it on history, the target stream's
// events. It runs on every attempt, so a retried command reads the other
// stream again.
func (l *Ledger) prepare(ctx context.Context, cmd domain.Command, history []domain.Event) (domain.Command, error) {
	switch c := cmd.(type) {
	case domain.ScheduleMeeting:
		return c, l.checkCompound(ctx, c)
	case domain.OpenVoting:
		return l.ownersRegister(ctx, c, history)
	}
	return cmd, nil
}

// checkCompound refuses a meeting whose compound is not one of its grid's
// compounds in the community's organisation.
func (l *Ledger) checkCompound(ctx context.Context, c domain.ScheduleMeeting) error {
	if c.CompoundID == "" || c.CommunityID == "" {
		return nil
	}
	org, _, err := l.organisation(ctx, c.CommunityID)
	if err != nil {
		return err
	}
	comp, ok := org.Compounds[c.CompoundID]
	if !ok {
		return &domain.Error{Code: domain.CodeNotFound, Reason: "compound_not_found", Field: "compound_id",
			Message: "there is no such compound in this community", MessageZH: "本社区没有这个楼院/小区"}
	}
	if comp.GridID != c.GridID {
		return &domain.Error{Code: domain.CodeInvalid, Reason: "compound_outside_grid", Field: "compound_id",
			Message:   fmt.Sprintf("compound %s (%s) belongs to grid %s, not to the meeting's grid %s", comp.CompoundID, comp.Name, comp.GridID, c.GridID),
			MessageZH: fmt.Sprintf("楼院/小区“%s”属于网格 %s，不属于本次会议的网格 %s", comp.Name, comp.GridID, c.GridID)}
	}
	return nil
}

// ownersRegister fills in the register of an owners' vote: the units of
// the meeting's compound with their exclusive areas and owners as the
// organisation's events have them now, the owners (with their names) as
// the electorate, and the organisation stream's revision. A command that
// brings its own register or electorate for an owners' vote is refused.
// Other motions are left to the domain.
func (l *Ledger) ownersRegister(ctx context.Context, c domain.OpenVoting, history []domain.Event) (domain.Command, error) {
	m := domain.FoldMeeting(history)
	var rule domain.Rule
	for _, mo := range m.Motions {
		if mo.MotionID == c.MotionID {
			rule = mo.Rule
		}
	}
	if rule.Kind != domain.RuleOwnersOrdinary && rule.Kind != domain.RuleOwnersMajor {
		return c, nil
	}
	if len(c.Units) > 0 {
		return nil, &domain.Error{Code: domain.CodeInvalid, Reason: "register_not_yours", Field: "units",
			Message:   "the register of units of an owners' vote is built by the server from the organisation's records; it cannot be supplied",
			MessageZH: "业主表决的房屋登记由系统根据组织登记生成，不能由开启表决的人提供"}
	}
	if len(c.Electorate) > 0 {
		return nil, &domain.Error{Code: domain.CodeInvalid, Reason: "register_not_yours", Field: "electorate",
			Message:   "the electorate of an owners' vote is every owner in the compound's register; it cannot be supplied",
			MessageZH: "业主表决的表决名单即房屋登记中的全体业主，不能由开启表决的人提供"}
	}
	org, revision, err := l.organisation(ctx, m.CommunityID)
	if err != nil {
		return nil, err
	}
	c.Units, c.Electorate = org.Register(m.CompoundID)
	if len(c.Units) == 0 {
		return nil, &domain.Error{Code: domain.CodeConflict, Reason: "register_empty", Field: "compound_id",
			Message:   "the meeting's compound has no units registered: register its units and owners before an owners' vote",
			MessageZH: "本次会议的楼院/小区尚未登记房屋：请先登记房屋及业主，再进行业主表决"}
	}
	c.RegisterRevision = &revision
	return c, nil
}

// organisation folds a community's organisation stream and returns its
// revision.
func (l *Ledger) organisation(ctx context.Context, communityID string) (domain.OrganisationState, int64, error) {
	events, revision, err := l.Load(ctx, domain.OrganisationStream(communityID))
	if err != nil {
		return domain.OrganisationState{}, 0, fmt.Errorf("read the organisation of %s: %w", communityID, err)
	}
	return domain.FoldOrganisation(events), revision, nil
}
