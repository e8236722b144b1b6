package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
)

// The token events: the whole catalogue of this package. They live outside
// the domain's catalogue; projections skip them.
const (
	// TypeIssued records a new token: its role, scope, holder and the
	// SHA-256 hash of its secret.
	TypeIssued = "token.issued.v1"
	// TypeRevoked records that a token no longer authenticates.
	TypeRevoked = "token.revoked.v1"
)

// Issued is the body of a token.issued.v1 event.
type Issued struct {
	ID    uuid.UUID `json:"id"`
	Role  Role      `json:"role"`
	Scope Scope     `json:"scope"`
	// Name is the holder's name, personal data: sealed under the subject's
	// key and the token's own (docs/privacy.md), so erasing the subject
	// erases it. Tokens issued before sealing hold it in plaintext.
	Name    string `json:"name,omitempty" pii:"name,person=Subject,item"`
	Subject string `json:"subject,omitempty"`
	// Hash is the hex SHA-256 of the secret; the secret itself is never recorded.
	Hash   string    `json:"hash"`
	Issued time.Time `json:"issued"`
	// IssuedBy is who issued the token (an admin's subject, or "operator"
	// for the command line), and IssuerRole their role: with Subject and
	// Name, the record of who issued a token for whom. Empty in tokens
	// issued before it was recorded (their event's metadata has the actor).
	IssuedBy   string `json:"issued_by,omitempty"`
	IssuerRole string `json:"issuer_role,omitempty"`
	// Kind is what the token is for; empty for an API token.
	Kind Kind `json:"kind,omitempty"`
	// Code is the sign-in code a session was exchanged for.
	Code uuid.UUID `json:"code,omitzero"`
}

// EventType names the event, so that the sealer (privacy.Sealer) seals
// and opens it like the domain's events.
func (Issued) EventType() string { return TypeIssued }

// Revoked is the body of a token.revoked.v1 event.
type Revoked struct {
	ID      uuid.UUID `json:"id"`
	Reason  string    `json:"reason,omitempty"`
	Revoked time.Time `json:"revoked"`
}

// Recorder appends events outside the domain catalogue, sealing their
// personal fields with its sealer (nil: none); *ledger.Ledger is one.
type Recorder interface {
	Record(ctx context.Context, stream string, ifRevision int64, actor ledger.Actor, typ string, body []byte) (eventstore.AppendResult, error)
	Sealer() *privacy.Sealer
}

// IssueRequest describes a token to issue.
type IssueRequest struct {
	Role    Role
	Scope   Scope
	Name    string
	Subject string
	// Kind is what the token is for (KindAPI when empty).
	Kind Kind
	// Code is, for a session, the sign-in code it replaces.
	Code uuid.UUID
}

// Issue records a new token and returns it with its secret, which is shown
// once and never stored. by is who issues it (an admin, or the operator's
// command line).
func Issue(ctx context.Context, rec Recorder, by ledger.Actor, req IssueRequest, now time.Time) (Token, string, eventstore.AppendResult, error) {
	if _, err := ParseRole(string(req.Role)); err != nil {
		return Token{}, "", eventstore.AppendResult{}, err
	}
	if req.Scope.Grid != "" && req.Scope.Community == "" {
		return Token{}, "", eventstore.AppendResult{}, errors.New("a grid scope needs its community")
	}
	secret, hash, err := NewSecret()
	if err != nil {
		return Token{}, "", eventstore.AppendResult{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Token{}, "", eventstore.AppendResult{}, fmt.Errorf("new token id: %w", err)
	}
	ev := Issued{ID: id, Role: req.Role, Scope: req.Scope, Name: req.Name, Subject: req.Subject, Hash: hash, Issued: now.UTC(), IssuedBy: by.ID, IssuerRole: by.Role, Kind: req.Kind, Code: req.Code}
	var stored domain.Event = ev
	if s := rec.Sealer(); s != nil {
		sealed, err := s.Seal(ctx, Stream(id), []domain.Event{ev})
		if err != nil {
			return Token{}, "", eventstore.AppendResult{}, fmt.Errorf("issue token: %w", err)
		}
		stored = sealed[0]
	}
	body, err := json.Marshal(stored)
	if err != nil {
		return Token{}, "", eventstore.AppendResult{}, fmt.Errorf("encode %s: %w", TypeIssued, err)
	}
	res, err := rec.Record(ctx, Stream(id), -1, by, TypeIssued, body)
	if err != nil {
		return Token{}, "", res, fmt.Errorf("issue token: %w", err)
	}
	return ev.token(), secret, res, nil
}

// Revoke records that token id no longer authenticates. Returns ErrNotFound
// for an id that was never issued and ErrAlreadyRevoked for one already
// revoked.
func Revoke(ctx context.Context, store eventstore.Store, rec Recorder, by ledger.Actor, id uuid.UUID, reason string, now time.Time) (eventstore.AppendResult, error) {
	var rev int64 = -1
	for ev, err := range store.ReadStream(ctx, Stream(id), eventstore.ReadStreamOptions{}) {
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return eventstore.AppendResult{}, fmt.Errorf("revoke %s: %w", id, ErrNotFound)
		}
		if err != nil {
			return eventstore.AppendResult{}, fmt.Errorf("revoke %s: %w", id, err)
		}
		if ev.Type == TypeRevoked {
			return eventstore.AppendResult{}, fmt.Errorf("revoke %s: %w", id, ErrAlreadyRevoked)
		}
		rev = int64(ev.Revision)
	}
	if rev < 0 {
		return eventstore.AppendResult{}, fmt.Errorf("revoke %s: %w", id, ErrNotFound)
	}
	body, err := json.Marshal(Revoked{ID: id, Reason: reason, Revoked: now.UTC()})
	if err != nil {
		return eventstore.AppendResult{}, fmt.Errorf("encode %s: %w", TypeRevoked, err)
	}
	res, err := rec.Record(ctx, Stream(id), rev, by, TypeRevoked, body)
	if err != nil {
		return res, fmt.Errorf("revoke token %s: %w", id, err)
	}
	return res, nil
}

func (ev Issued) token() Token {
	return Token{ID: ev.ID, Role: ev.Role, Scope: ev.Scope, Name: ev.Name, Subject: ev.Subject, Issued: ev.Issued, IssuedBy: ev.IssuedBy, Kind: ev.Kind}
}
