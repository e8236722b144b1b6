package auth

import (
	"context"
	"fmt"

	"github.com/yishi-civic/yishi/domain"
)

// Loader reads a stream's decoded events; *ledger.Ledger is one.
type Loader interface {
	Load(ctx context.Context, stream string) ([]domain.Event, int64, error)
}

// CheckIssue refuses a token the organisation's events do not bear out,
// with a *domain.Error naming the request's field:
//
//   - the scope's community must be registered and its grid created
//     (not_found, field community or grid);
//   - a facilitator's or grid worker's subject must be the head or a
//     (not removed) worker of the scope's grid, or of a grid of the scope's
//     community when the scope has no grid (subject_not_staff);
//   - a unit representative's subject must be a partner unit registered in
//     the scope's community (subject_not_partner);
//   - a resident's subject may not be a person or unit the registers name
//     as staff or partner: a resident token never borrows their identity
//     (subject_is_staff). Residents themselves are not all registered (a
//     tenant is not an owner), so any other subject is taken;
//   - one subject holds one valid token at a time when the issuer is
//     scoped to a community (a community admin): minting a second token for
//     an identity that already has one is refused (subject_has_token), so
//     that an admin cannot vote as someone without revoking that person's
//     token first, which the ledger records. An unscoped issuer (the street
//     office, the operator's command line) may issue a second one.
//
// A subject whose personal data was erased gets no token at all
// (subject_erased, when reg is given): the erasure revoked its tokens.
//
// Admins and auditors need no register entry; their scope is checked all
// the same. The check reads the registry: a caller that issues tokens
// concurrently makes the check and the issue one step (the HTTP door
// issues one token at a time and waits for the registry to know it). reg may be nil when the caller keeps no registry (then the
// one-token-per-subject rule is not checked).
func CheckIssue(ctx context.Context, l Loader, reg *Registry, req IssueRequest, issuer Scope) error {
	if reg != nil && req.Subject != "" && reg.Erased(req.Subject) {
		return &domain.Error{Code: domain.CodeConflict, Reason: "subject_erased", Field: "subject",
			Message: "this person's data was erased: no token may act as them", MessageZH: "此人的个人信息已删除，不能再为其签发令牌"}
	}
	if req.Scope.Community == "" {
		return checkSubjectUnique(reg, req, issuer)
	}
	events, _, err := l.Load(ctx, domain.OrganisationStream(req.Scope.Community))
	if err != nil {
		return fmt.Errorf("check token: load community %s: %w", req.Scope.Community, err)
	}
	org := domain.FoldOrganisation(events)
	if !org.Exists {
		return &domain.Error{Code: domain.CodeNotFound, Reason: "community_not_found", Field: "community",
			Message: "there is no community " + req.Scope.Community, MessageZH: "没有社区 " + req.Scope.Community}
	}
	if req.Scope.Grid != "" {
		if _, ok := org.Grids[req.Scope.Grid]; !ok {
			return &domain.Error{Code: domain.CodeNotFound, Reason: "grid_not_found", Field: "grid",
				Message: "community " + req.Scope.Community + " has no grid " + req.Scope.Grid, MessageZH: "社区 " + req.Scope.Community + " 没有网格 " + req.Scope.Grid}
		}
	}
	if req.Subject != "" {
		staff, partner := staffOf(org, req.Scope.Grid, req.Subject), org.Partners[req.Subject].PartnerID != ""
		switch req.Role {
		case RoleFacilitator, RoleGridWorker:
			if !staff {
				return subjectErr("subject_not_staff", "a facilitator's or grid worker's subject must be a head or worker of the scope's grid", "主持人或网格员令牌的主体必须是该网格的网格长或网格员")
			}
		case RoleUnitRep:
			if !partner {
				return subjectErr("subject_not_partner", "a unit representative's subject must be a partner unit registered in the community", "单位代表令牌的主体必须是社区登记的共建单位")
			}
		case RoleResident:
			if staffOf(org, "", req.Subject) || partner {
				return subjectErr("subject_is_staff", "a resident token cannot act as a grid head, grid worker or partner unit", "居民令牌不能以网格长、网格员或共建单位的身份行事")
			}
		}
	}
	return checkSubjectUnique(reg, req, issuer)
}

// checkSubjectUnique refuses a community-scoped issuer a second valid token
// for one subject.
func checkSubjectUnique(reg *Registry, req IssueRequest, issuer Scope) error {
	if reg == nil || req.Subject == "" || issuer.Community == "" {
		return nil
	}
	for _, t := range reg.List() {
		// An unused sign-in code acts for nobody until it is exchanged;
		// a new code withdraws it (WithdrawCodes).
		if t.Subject == req.Subject && t.Revoked.IsZero() && t.Kind != KindSignIn {
			return &domain.Error{Code: domain.CodeConflict, Reason: "subject_has_token", Field: "subject",
				Message: "this person already holds a valid token; revoke it first", MessageZH: "此人已有有效令牌，须先吊销"}
		}
	}
	return nil
}

// staffOf reports whether person is the head or a worker of grid (of any
// grid of org when grid is empty).
func staffOf(org domain.OrganisationState, grid, person string) bool {
	for id, g := range org.Grids {
		if grid != "" && id != grid {
			continue
		}
		if _, ok := g.Workers[person]; ok || g.Head.PersonID == person {
			return true
		}
	}
	return false
}

func subjectErr(reason, en, zh string) error {
	return &domain.Error{Code: domain.CodeInvalid, Reason: reason, Field: "subject", Message: en, MessageZH: zh}
}
