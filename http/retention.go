package http

import (
	"context"
	"fmt"
	nethttp "net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/yishi-civic/yishi/ledger"
)

// RetentionRules are the retention rules' ages in whole days, rounded up
// (a rule of a few hours reads as 1); 0 keeps that kind of data for ever
// (docs/privacy.md).
type RetentionRules struct {
	ProposalTextDays   int `json:"proposal_text_days"`
	ActionPhotosDays   int `json:"action_photos_days"`
	InactivePersonDays int `json:"inactive_person_days"`
}

// RetentionReport answers GET /v1/retention: what the rules would erase at
// At, erasing nothing (a dry run).
type RetentionReport struct {
	At    time.Time      `json:"at"`
	Rules RetentionRules `json:"rules"`
	Due   []ledger.Due   `json:"due"`
}

// RetentionRun answers POST /v1/retention: how many erasures were due, and
// those done, each recorded like a request's erasure.
type RetentionRun struct {
	At     time.Time    `json:"at"`
	Due    int          `json:"due"`
	Erased []ledger.Due `json:"erased"`
}

// rulesOf is r in days.
func rulesOf(r ledger.Retention) RetentionRules {
	days := func(d time.Duration) int { return int((d + 24*time.Hour - 1) / (24 * time.Hour)) }
	return RetentionRules{ProposalTextDays: days(r.ProposalText), ActionPhotosDays: days(r.ActionPhotos), InactivePersonDays: days(r.InactivePerson)}
}

// retentionAdmin refuses anyone but an admin without a community scope:
// the rules erase across communities, as a person is not bound to one.
func retentionAdmin(c echo.Context) error {
	if principalOf(c).token.Scope.Community != "" {
		return refuse(kindForbidden, text{"只有不限社区的管理员可以执行保存期限规则", "only an admin without a community scope may apply the retention rules"})
	}
	return nil
}

// getRetention lists what the retention rules would erase now, or at the
// query's at (RFC 3339), without erasing it: `yishi person retention
// --dry-run` through the API.
func (s *Server) getRetention(c echo.Context) error {
	if err := retentionAdmin(c); err != nil {
		return err
	}
	at := s.now().UTC()
	if v := c.QueryParam("at"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return fieldErr(kindBadRequest, "at", text{"应为 RFC 3339 时间，如 2030-01-01T00:00:00Z", "want an RFC 3339 time such as 2030-01-01T00:00:00Z"})
		}
		at = t.UTC()
	}
	due, err := s.cfg.Ledger.RetentionDue(c.Request().Context(), s.cfg.Retention, at)
	if err != nil {
		return err
	}
	if due == nil {
		due = []ledger.Due{}
	}
	return c.JSON(nethttp.StatusOK, RetentionReport{At: at, Rules: rulesOf(s.cfg.Retention), Due: due})
}

// postRetention erases what the retention rules say is due now, as the
// scheduled job does: each an erasure recorded on the ground
// retention_expired, then its key destroyed; the erased persons' tokens
// are revoked before the answer.
func (s *Server) postRetention(c echo.Context) error {
	if err := retentionAdmin(c); err != nil {
		return err
	}
	if s.cfg.Ledger.Sealer() == nil {
		return refuse(kindUnavailable, text{"本服务未配置密钥库，无法删除", "this service keeps no key store; nothing can be erased"})
	}
	// The erasures must all be done even if the client goes away.
	ctx := context.WithoutCancel(c.Request().Context())
	at := s.now().UTC()
	due, err := s.cfg.Ledger.RetentionDue(ctx, s.cfg.Retention, at)
	if err != nil {
		return err
	}
	n, applyErr := s.cfg.Ledger.ApplyRetention(ctx, due)
	for _, d := range due[:n] {
		s.log.Info("retention: erased", "rule", d.Rule, "subject", d.Subject, "id", d.ID, "since", d.Since, "by", principalOf(c).token.Actor())
	}
	out := RetentionRun{At: at, Due: len(due), Erased: append([]ledger.Due{}, due[:n]...)}
	if n > 0 {
		// What was erased is erased even when a later erasure failed: its
		// tokens go either way.
		if err := s.tokens.Sync(ctx); err != nil {
			return fmt.Errorf("retention: revoke the erased persons' tokens: %w", err)
		}
	}
	if applyErr != nil {
		return fmt.Errorf("retention: %d of %d done: %w", n, len(due), applyErr)
	}
	s.log.Info("retention: done", "due", len(due), "erased", n)
	return c.JSON(nethttp.StatusOK, out)
}
