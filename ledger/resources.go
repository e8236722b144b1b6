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

// checkDispatch: a service is dispatched to a volunteer or a volunteer
// team registered in the order's community.
func (l *Ledger) checkDispatch(ctx context.Context, s domain.ServiceState, c domain.DispatchService) error {
	org, _, err := l.organisation(ctx, s.CommunityID)
	if err != nil {
		return err
	}
	_, volunteer := org.Volunteers[c.Assignee.ID]
	_, team := org.Teams[c.Assignee.ID]
	if (c.Assignee.Kind == domain.PartyPerson && !volunteer) || (c.Assignee.Kind == domain.PartyTeam && !team) {
		return &domain.Error{Code: domain.CodeNotFound, Reason: "assignee_not_found", Field: "assignee.id",
			Message: "there is no such volunteer or volunteer team in this community", MessageZH: "本社区没有这位志愿者或这个服务队"}
	}
	return nil
}

// checkAnswer: a dispatch to a team is answered by one of its members.
func (l *Ledger) checkAnswer(ctx context.Context, s domain.ServiceState, volunteer string) error {
	if s.Assignee.Kind != domain.PartyTeam {
		return nil
	}
	org, _, err := l.organisation(ctx, s.CommunityID)
	if err != nil {
		return err
	}
	if !org.InTeam(s.Assignee.ID, volunteer) {
		return &domain.Error{Code: domain.CodeForbidden, Reason: "not_a_member", Field: "volunteer.person_id",
			Message: "only a member of the team the order was dispatched to can answer it", MessageZH: "只有接到派单的服务队成员才能接单或拒单"}
	}
	return nil
}

// checkRedeem: points are redeemed at a station of the account's
// community, by a registered volunteer.
func (l *Ledger) checkRedeem(ctx context.Context, c domain.RedeemPoints) error {
	org, _, err := l.organisation(ctx, c.CommunityID)
	if err != nil {
		return err
	}
	if _, ok := org.Stations[c.StationID]; !ok {
		return &domain.Error{Code: domain.CodeNotFound, Reason: "station_not_found", Field: "station_id",
			Message: "there is no such station in this community", MessageZH: "本社区没有这个站点"}
	}
	return nil
}

// checkWishClaim: a unit claims a small wish only if it is a partner unit
// registered in the wish's community.
func (l *Ledger) checkWishClaim(ctx context.Context, s domain.WishState, c domain.ClaimWish) error {
	if c.Claimer.Kind != domain.PartyUnit || !s.Exists {
		return nil
	}
	org, _, err := l.organisation(ctx, s.CommunityID)
	if err != nil {
		return err
	}
	if _, ok := org.Partners[c.Claimer.ID]; !ok {
		return &domain.Error{Code: domain.CodeNotFound, Reason: "unit_not_found", Field: "claimer.id",
			Message: "there is no such participating unit in this community", MessageZH: "本社区没有这个参与单位"}
	}
	return nil
}
