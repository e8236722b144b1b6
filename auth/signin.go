package auth

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
)

// Kind says what a token is for.
type Kind string

// The kinds of token.
const (
	// KindAPI is a bearer token for programs (the zero Kind).
	KindAPI Kind = ""
	// KindSignIn is a one-time sign-in code a grid worker or facilitator
	// hands a resident as a link or QR code. It never authenticates a
	// request; a browser exchanges it once, within SignInTTL, for a
	// session (Exchange).
	KindSignIn Kind = "signin"
	// KindSession is a browser session: a token made by exchanging a
	// sign-in code, with the code's role, scope, name and subject, whose
	// secret lives only in the browser's HttpOnly cookie.
	KindSession Kind = "session"
)

// SignInTTL is how long a sign-in code may wait to be used.
const SignInTTL = 7 * 24 * time.Hour

// ErrCodeExpired is returned by Exchange for a sign-in code older than
// SignInTTL.
var ErrCodeExpired = errors.New("sign-in code expired")

// Code returns the unused sign-in code whose secret is secret. Returns
// ErrUnknownToken for a secret no sign-in code has, and ErrRevoked for a
// code already used or withdrawn.
func (r *Registry) Code(secret string) (Token, error) {
	t, err := r.lookup(secret)
	if err != nil {
		return Token{}, err
	}
	if t.Kind != KindSignIn {
		return Token{}, ErrUnknownToken
	}
	return t, nil
}

// Exchange turns the sign-in code secret into a browser session: it
// revokes the code (with the expected revision of its stream, so that of
// two exchanges at once only one succeeds; the other gets ErrRevoked) and
// issues a session token with the code's role, scope, name and subject,
// recorded as done by the code's holder. It returns the session, its
// secret (for the cookie) and where the issue landed. Returns
// ErrUnknownToken, ErrRevoked (used or withdrawn) or ErrCodeExpired for a
// code that cannot be used.
func Exchange(ctx context.Context, store eventstore.Store, rec Recorder, reg *Registry, secret string, now time.Time) (Token, string, eventstore.AppendResult, error) {
	code, err := reg.Code(secret)
	if err != nil {
		return Token{}, "", eventstore.AppendResult{}, fmt.Errorf("exchange sign-in code: %w", err)
	}
	if now.Sub(code.Issued) > SignInTTL {
		return Token{}, "", eventstore.AppendResult{}, fmt.Errorf("exchange sign-in code %s: %w", code.ID, ErrCodeExpired)
	}
	by := ledger.Actor{ID: code.Actor(), Role: string(code.Role)}
	if _, err := Revoke(ctx, store, rec, by, code.ID, "exchanged for a browser session", now); err != nil {
		if errors.Is(err, eventstore.ErrWrongRevision) || errors.Is(err, ErrAlreadyRevoked) {
			return Token{}, "", eventstore.AppendResult{}, fmt.Errorf("exchange sign-in code %s: %w", code.ID, ErrRevoked)
		}
		return Token{}, "", eventstore.AppendResult{}, fmt.Errorf("exchange sign-in code: %w", err)
	}
	tok, sec, res, err := Issue(ctx, rec, by, IssueRequest{Role: code.Role, Scope: code.Scope, Name: code.Name, Subject: code.Subject, Kind: KindSession, Code: code.ID}, now)
	if err != nil {
		return Token{}, "", res, fmt.Errorf("exchange sign-in code %s: %w", code.ID, err)
	}
	return tok, sec, res, nil
}

// pendingCodes returns the unused sign-in codes of subject.
func (r *Registry) pendingCodes(subject string) []uuid.UUID {
	var out []uuid.UUID
	for _, t := range r.List() {
		if t.Kind == KindSignIn && t.Subject == subject && t.Revoked.IsZero() {
			out = append(out, t.ID)
		}
	}
	return out
}

// WithdrawCodes revokes every unused sign-in code of subject (a new code
// replaces them, so that only the last one handed out works) and returns
// the highest position written.
func WithdrawCodes(ctx context.Context, store eventstore.Store, rec Recorder, reg *Registry, by ledger.Actor, subject string, now time.Time) (eventstore.Position, error) {
	var last eventstore.Position
	for _, id := range reg.pendingCodes(subject) {
		res, err := Revoke(ctx, store, rec, by, id, "replaced by a new sign-in code", now)
		if err != nil && !errors.Is(err, ErrAlreadyRevoked) {
			return last, fmt.Errorf("withdraw sign-in codes: %w", err)
		}
		last = max(last, res.Position)
	}
	return last, nil
}
