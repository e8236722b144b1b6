package http

import (
	"errors"
	nethttp "net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/ledger"
)

// signInCodeRequest is the body of POST /v1/signin-codes.
type signInCodeRequest struct {
	Role      string `json:"role"`
	Community string `json:"community"`
	Grid      string `json:"grid"`
	Name      string `json:"name"`
	Subject   string `json:"subject"`
}

// SignInCode is the answer to POST /v1/signin-codes: the one-time code,
// shown once, and the page that takes it.
type SignInCode struct {
	TokenView
	// Code is the secret to hand over; Path is the sign-in page with it
	// ("/signin?code=…"), to print as a link or QR code.
	Code     string    `json:"code"`
	Path     string    `json:"path"`
	Expires  time.Time `json:"expires"`
	Position uint64    `json:"position"`
}

// postSignInCode issues a one-time sign-in code for a resident (or a unit
// representative): staff hand it over as a link or QR code, and the
// resident's browser exchanges it for a session (POST /v1/sessions). The
// code's scope defaults to the issuer's and may not be wider; the issue
// rules of tokens (auth.CheckIssue) apply, so a community-scoped worker
// cannot mint a code for someone who still holds a valid token or session.
// A new code withdraws the subject's unused ones.
func (s *Server) postSignInCode(c echo.Context) error {
	var req signInCodeRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	role := auth.RoleResident
	if req.Role != "" {
		r, err := auth.ParseRole(req.Role)
		if err != nil || (r != auth.RoleResident && r != auth.RoleUnitRep) {
			return fieldErr(kindValidation, "role", text{"登录码只发给居民（resident）或单位代表（unit_rep）", "sign-in codes are for residents (resident) or unit representatives (unit_rep)"})
		}
		role = r
	}
	if req.Subject == "" {
		return fieldErr(kindValidation, "subject", text{"须指明登录者是谁（人员或单位编号）", "say who signs in (a person or unit id)"})
	}
	p := principalOf(c)
	if req.Community == "" && req.Grid == "" {
		req.Community, req.Grid = p.token.Scope.Community, p.token.Scope.Grid
	}
	if req.Grid != "" && req.Community == "" {
		return fieldErr(kindValidation, "community", text{"指定网格时必须指定社区", "a grid scope needs its community"})
	}
	if err := requireScope(p, req.Community, req.Grid); err != nil {
		return err
	}
	if (p.token.Scope.Community != "" && req.Community == "") || (p.token.Scope.Grid != "" && req.Grid == "") {
		return refuse(kindForbidden, text{"不能签发比自己范围更大的登录码", "may not issue a sign-in code wider than its own scope"})
	}
	ir := auth.IssueRequest{Role: role, Scope: auth.Scope{Community: req.Community, Grid: req.Grid}, Name: req.Name, Subject: req.Subject, Kind: auth.KindSignIn}
	ctx := c.Request().Context()
	s.issuing.Lock()
	defer s.issuing.Unlock()
	if err := auth.CheckIssue(ctx, s.cfg.Ledger, s.tokens, ir, p.token.Scope); err != nil {
		return err
	}
	by := ledger.Actor{ID: p.token.Actor(), Role: string(p.token.Role)}
	if _, err := auth.WithdrawCodes(ctx, s.cfg.Store, s.cfg.Ledger, s.tokens, by, req.Subject, s.now()); err != nil {
		return err
	}
	tok, secret, res, err := auth.Issue(ctx, s.cfg.Ledger, by, ir, s.now())
	if err != nil {
		return err
	}
	if err := s.tokens.WaitFor(ctx, res.Position); err != nil {
		return err
	}
	return c.JSON(nethttp.StatusCreated, SignInCode{TokenView: tokenView(tok), Code: secret, Path: "/signin?code=" + secret,
		Expires: tok.Issued.Add(auth.SignInTTL), Position: uint64(res.Position)})
}

// sessionRequest is the body of POST /v1/sessions.
type sessionRequest struct {
	Code string `json:"code"`
}

// postSession exchanges a sign-in code for a session (auth.Exchange): the
// answer's secret is the session's, which the pages keep in an HttpOnly
// cookie. An address whose codes keep failing is slowed down as failed
// tokens are.
func (s *Server) postSession(c echo.Context) error {
	var req sessionRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	addr := clientAddr(c.Request())
	if s.authFails.exhausted(addr, time.Now()) {
		return rateLimited(int(1 / authFailRate))
	}
	ctx := c.Request().Context()
	tok, secret, res, err := auth.Exchange(ctx, s.cfg.Store, s.cfg.Ledger, s.tokens, req.Code, s.now())
	switch {
	case errors.Is(err, auth.ErrUnknownToken):
		s.authFails.allow(addr, time.Now())
		return fieldErr(kindValidation, "code", text{"登录码无效：请向网格员索取新的登录链接", "this sign-in code is not valid: ask your grid worker for a new sign-in link"})
	case errors.Is(err, auth.ErrRevoked):
		return fieldErr(kindConflict, "code", text{"登录码已用过或已被收回：请向网格员索取新的登录链接", "this sign-in code was already used or withdrawn: ask your grid worker for a new sign-in link"})
	case errors.Is(err, auth.ErrCodeExpired):
		return fieldErr(kindConflict, "code", text{"登录码已过期（有效期 7 天）：请向网格员索取新的登录链接", "this sign-in code has expired (codes last 7 days): ask your grid worker for a new sign-in link"})
	case err != nil:
		return err
	}
	if err := s.tokens.WaitFor(ctx, res.Position); err != nil {
		return err
	}
	return c.JSON(nethttp.StatusCreated, IssuedToken{TokenView: tokenView(tok), Secret: secret, Position: uint64(res.Position)})
}

// deleteOwnToken revokes the token the request carries: a browser's sign
// out, or a program giving up its token.
func (s *Server) deleteOwnToken(c echo.Context) error {
	p := principalOf(c)
	by := ledger.Actor{ID: p.token.Actor(), Role: string(p.token.Role)}
	res, err := auth.Revoke(c.Request().Context(), s.cfg.Store, s.cfg.Ledger, by, p.token.ID, "revoked by its holder", s.now())
	if err != nil {
		return err
	}
	if err := s.tokens.WaitFor(c.Request().Context(), res.Position); err != nil {
		return err
	}
	return c.JSON(nethttp.StatusOK, WriteResult{Stream: auth.Stream(p.token.ID), Revision: res.NextRevision, Position: uint64(res.Position), HeadPosition: uint64(res.Position)})
}
