// Package auth holds Yishi's access tokens: their roles and scopes, the two
// events that issue and revoke them (recorded in the ledger like every other
// fact, in streams "token-<id>"), and a Registry that folds those events into
// the set of valid tokens. A token's secret is never stored: only its SHA-256
// hash is. Checking what a role may do to a given aggregate belongs to the
// HTTP layer; the domain itself checks membership (who may vote).
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// Role is what a token's holder is in the deliberation.
type Role string

// The roles.
const (
	// RoleAdmin administers a community (or every community when unscoped):
	// organisation, tokens, everything a facilitator does.
	RoleAdmin Role = "admin"
	// RoleFacilitator is a grid head or community worker who convenes and
	// runs meetings, triages proposals and assigns actions.
	RoleFacilitator Role = "facilitator"
	// RoleGridWorker is a grid worker (网格员): collects proposals, reports
	// progress, records meetings in their grid.
	RoleGridWorker Role = "grid_worker"
	// RoleResident is a resident: submits and supports proposals, votes
	// where registered, verifies outcomes.
	RoleResident Role = "resident"
	// RoleUnitRep represents a participating unit (物业, 供暖公司 …): reports
	// on actions it owns, speaks and votes where invited.
	RoleUnitRep Role = "unit_rep"
	// RoleAuditor reads everything and writes nothing.
	RoleAuditor Role = "auditor"
)

// Roles lists every role, in the order documentation shows them.
var Roles = []Role{RoleAdmin, RoleFacilitator, RoleGridWorker, RoleResident, RoleUnitRep, RoleAuditor}

// ParseRole returns the role named s, or an error naming the valid ones.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return "", fmt.Errorf("unknown role %q (want one of %s)", s, strings.Join(names, ", "))
}

// Scope limits a token to one community, or to one grid of a community.
// The zero Scope is unscoped: every community (for admins and auditors of a
// street office or town).
type Scope struct {
	Community string `json:"community,omitempty"`
	Grid      string `json:"grid,omitempty"`
}

// Covers reports whether an aggregate of the given community and grid lies
// within s. An aggregate with no grid (a community-wide meeting) is covered
// only by a scope without a grid.
func (s Scope) Covers(community, grid string) bool {
	if s.Community != "" && s.Community != community {
		return false
	}
	if s.Grid != "" && s.Grid != grid {
		return false
	}
	return true
}

// String renders s for listings: "*", "community c", "community c / grid g".
func (s Scope) String() string {
	switch {
	case s.Community == "" && s.Grid == "":
		return "*"
	case s.Grid == "":
		return "community " + s.Community
	default:
		return "community " + s.Community + " / grid " + s.Grid
	}
}

// Token is what the ledger knows about an access token: never its secret.
type Token struct {
	// ID is the token's id; its stream is "token-<ID>".
	ID uuid.UUID `json:"id"`
	// Role is the holder's role.
	Role Role `json:"role"`
	// Scope is where the holder may act.
	Scope Scope `json:"scope"`
	// Name describes the holder for people ("3号楼 张三", "物业 值班").
	Name string `json:"name,omitempty"`
	// Subject is the person or unit id the holder acts as; it becomes the
	// actor of every event the token causes, and is the id the domain
	// checks for membership (electorates, authors). Empty means the token's
	// own id.
	Subject string `json:"subject,omitempty"`
	// Issued is when the token was issued.
	Issued time.Time `json:"issued"`
	// IssuedBy is the actor who issued it (see Issued.IssuedBy).
	IssuedBy string `json:"issued_by,omitempty"`
	// Revoked is when the token was revoked; zero while valid.
	Revoked time.Time `json:"revoked,omitzero"`
	// Kind is what the token is for: an API token, a sign-in code or a
	// browser session.
	Kind Kind `json:"kind,omitempty"`
}

// Actor returns the id recorded as the actor of what the token does.
func (t Token) Actor() string {
	if t.Subject != "" {
		return t.Subject
	}
	return "token:" + t.ID.String()
}

// Stream returns the name of the token's stream.
func Stream(id uuid.UUID) string { return "token-" + id.String() }

// secretPrefix marks Yishi tokens so that secret scanners can spot them.
const secretPrefix = "yst_"

// NewSecret returns a fresh bearer secret (32 random bytes, base64url) and
// its hash.
func NewSecret() (secret, hash string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", fmt.Errorf("new token secret: %w", err)
	}
	secret = secretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return secret, HashSecret(secret), nil
}

// HashSecret returns the hex SHA-256 of a bearer secret: what the ledger
// stores and what authentication looks up.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// Errors of authentication and token management.
var (
	// ErrUnknownToken is returned for a secret that no issued token has.
	ErrUnknownToken = errors.New("unknown token")
	// ErrRevoked is returned for a token that was revoked.
	ErrRevoked = errors.New("token revoked")
	// ErrNotFound is returned when revoking a token id that was never issued.
	ErrNotFound = errors.New("no such token")
	// ErrAlreadyRevoked is returned when revoking a token a second time.
	ErrAlreadyRevoked = errors.New("token already revoked")
)
