package http

import (
	nethttp "net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/ledger"
)

// tokenRequest is the body of POST /v1/tokens.
type tokenRequest struct {
	Role      string `json:"role"`
	Community string `json:"community"`
	Grid      string `json:"grid"`
	Name      string `json:"name"`
	Subject   string `json:"subject"`
}

// TokenView is a token as the API shows it: never its secret or hash.
type TokenView struct {
	ID        string    `json:"id"`
	Role      string    `json:"role"`
	Community string    `json:"community,omitempty"`
	Grid      string    `json:"grid,omitempty"`
	Name      string    `json:"name,omitempty"`
	Subject   string    `json:"subject,omitempty"`
	Issued    time.Time `json:"issued"`
	// IssuedBy is who issued the token.
	IssuedBy string     `json:"issued_by,omitempty"`
	Revoked  *time.Time `json:"revoked,omitempty"`
	// Kind is "signin" for a sign-in code, "session" for a browser
	// session, empty for an API token.
	Kind string `json:"kind,omitempty"`
}

// IssuedToken is the answer to POST /v1/tokens: the secret, shown once.
type IssuedToken struct {
	TokenView
	Secret   string `json:"secret"`
	Position uint64 `json:"position"`
}

func tokenView(t auth.Token) TokenView {
	v := TokenView{ID: t.ID.String(), Role: string(t.Role), Community: t.Scope.Community, Grid: t.Scope.Grid, Name: t.Name, Subject: t.Subject, Issued: t.Issued, IssuedBy: t.IssuedBy, Kind: string(t.Kind)}
	if !t.Revoked.IsZero() {
		r := t.Revoked
		v.Revoked = &r
	}
	return v
}

// postToken issues a token. An admin issues tokens only within its own
// scope, and never one wider than its own.
func (s *Server) postToken(c echo.Context) error {
	var req tokenRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	role, err := auth.ParseRole(req.Role)
	if err != nil {
		return fieldErr(kindValidation, "role", text{"未知角色，应为 admin、facilitator、grid_worker、resident、unit_rep 或 auditor", "unknown role; want admin, facilitator, grid_worker, resident, unit_rep or auditor"})
	}
	if req.Grid != "" && req.Community == "" {
		return fieldErr(kindValidation, "community", text{"指定网格时必须指定社区", "a grid scope needs its community"})
	}
	p := principalOf(c)
	if err := requireScope(p, req.Community, req.Grid); err != nil {
		return err
	}
	if p.token.Scope.Community != "" && req.Community == "" {
		return refuse(kindForbidden, text{"不能签发比自己范围更大的令牌", "may not issue a token wider than its own scope"})
	}
	ir := auth.IssueRequest{Role: role, Scope: auth.Scope{Community: req.Community, Grid: req.Grid}, Name: req.Name, Subject: req.Subject}
	// The check and the issue are one step: the registry knows the new
	// token (WaitFor) before the next request is checked.
	s.issuing.Lock()
	defer s.issuing.Unlock()
	if err := auth.CheckIssue(c.Request().Context(), s.cfg.Ledger, s.tokens, ir, p.token.Scope); err != nil {
		return err
	}
	by := ledger.Actor{ID: p.token.Actor(), Role: string(p.token.Role)}
	tok, secret, res, err := auth.Issue(c.Request().Context(), s.cfg.Ledger, by, ir, s.now())
	if err != nil {
		return err
	}
	if err := s.tokens.WaitFor(c.Request().Context(), res.Position); err != nil {
		return err
	}
	return c.JSON(nethttp.StatusCreated, IssuedToken{TokenView: tokenView(tok), Secret: secret, Position: uint64(res.Position)})
}

// getTokens lists the tokens within the admin's scope.
func (s *Server) getTokens(c echo.Context) error {
	p := principalOf(c)
	out := []TokenView{}
	for _, t := range s.tokens.List() {
		if p.token.Scope.Covers(t.Scope.Community, t.Scope.Grid) {
			out = append(out, tokenView(t))
		}
	}
	return c.JSON(nethttp.StatusOK, map[string][]TokenView{"tokens": out})
}

// deleteToken revokes a token within the admin's scope.
func (s *Server) deleteToken(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	t, ok := s.tokens.Get(id)
	if !ok {
		return refuse(kindNotFound, text{"没有这个令牌", "no such token"})
	}
	p := principalOf(c)
	if err := requireScope(p, t.Scope.Community, t.Scope.Grid); err != nil {
		return err
	}
	by := ledger.Actor{ID: p.token.Actor(), Role: string(p.token.Role)}
	res, err := auth.Revoke(c.Request().Context(), s.cfg.Store, s.cfg.Ledger, by, id, "revoked through the API", s.now())
	if err != nil {
		return err
	}
	if err := s.tokens.WaitFor(c.Request().Context(), res.Position); err != nil {
		return err
	}
	return c.JSON(nethttp.StatusOK, WriteResult{Stream: auth.Stream(id), Revision: res.NextRevision, Position: uint64(res.Position), HeadPosition: uint64(res.Position)})
}
