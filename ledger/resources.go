package ledger

import (
	"context"

	"github.com/yishi-civic/yishi/domain"
)

// checkTeamOwner: an action assigned to a volunteer team names a team of
// the action's community's resource map (资源图谱).
func (l *Ledger) checkTeamOwner(ctx context.Context, c domain.AssignAction) error {
	if c.Owner.Kind != domain.PartyTeam {
		return nil
	}
	org, _, err := l.organisation(ctx, c.CommunityID)
	if err != nil {
		return err
	}
	if _, ok := org.Teams[c.Owner.ID]; !ok {
		return &domain.Error{Code: domain.CodeNotFound, Reason: "team_not_found", Field: "owner.id",
			Message: "there is no such volunteer team in this community", MessageZH: "本社区没有这个志愿服务队"}
	}
	return nil
}

// checkAccept: a volunteer accepting an action assigned to a team is one
// of the team's members.
func (l *Ledger) checkAccept(ctx context.Context, a domain.ActionState, c domain.AcceptAction) error {
	if a.Owner.Kind != domain.PartyTeam {
		return nil
	}
	org, _, err := l.organisation(ctx, a.CommunityID)
	if err != nil {
		return err
	}
	if !org.InTeam(a.Owner.ID, c.Volunteer.PersonID) {
		return &domain.Error{Code: domain.CodeForbidden, Reason: "not_a_member", Field: "volunteer.person_id",
			Message: "only a member of the team the action is assigned to can accept it", MessageZH: "只有负责该行动的服务队成员才能接单"}
	}
	return nil
}
