package auth_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/ledger"
)

func TestScopeCovers(t *testing.T) {
	cases := []struct {
		scope           auth.Scope
		community, grid string
		want            bool
	}{
		{auth.Scope{}, "c1", "g1", true},
		{auth.Scope{Community: "c1"}, "c1", "g1", true},
		{auth.Scope{Community: "c1"}, "c1", "", true},
		{auth.Scope{Community: "c1"}, "c2", "g1", false},
		{auth.Scope{Community: "c1", Grid: "g1"}, "c1", "g1", true},
		{auth.Scope{Community: "c1", Grid: "g1"}, "c1", "g2", false},
		{auth.Scope{Community: "c1", Grid: "g1"}, "c1", "", false},
	}
	for _, c := range cases {
		if got := c.scope.Covers(c.community, c.grid); got != c.want {
			t.Errorf("%v covers %s/%s = %v, want %v", c.scope, c.community, c.grid, got, c.want)
		}
	}
}

func TestParseRole(t *testing.T) {
	for _, r := range auth.Roles {
		if got, err := auth.ParseRole(string(r)); err != nil || got != r {
			t.Errorf("ParseRole(%s) = %v, %v", r, got, err)
		}
	}
	if _, err := auth.ParseRole("mayor"); err == nil {
		t.Error("ParseRole accepted mayor")
	}
}

func TestIssueAuthenticateRevoke(t *testing.T) {
	ctx := context.Background()
	store, err := pebble.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	l := ledger.New(store)
	op := ledger.Actor{ID: "operator", Role: "operator"}
	tok, secret, _, err := auth.Issue(ctx, l, op, auth.IssueRequest{Role: auth.RoleResident, Scope: auth.Scope{Community: "c"}, Subject: "p1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if tok.Actor() != "p1" {
		t.Fatalf("actor %q", tok.Actor())
	}
	reg := auth.NewRegistry(store)
	if err := reg.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := reg.Authenticate(secret)
	if err != nil || got.ID != tok.ID || got.Role != auth.RoleResident {
		t.Fatalf("authenticate: %+v, %v", got, err)
	}
	if _, err := reg.Authenticate(secret + "x"); !errors.Is(err, auth.ErrUnknownToken) {
		t.Fatalf("wrong secret: %v", err)
	}
	if _, err := auth.Revoke(ctx, store, l, op, tok.ID, "lost phone", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := reg.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Authenticate(secret); !errors.Is(err, auth.ErrRevoked) {
		t.Fatalf("revoked token: %v", err)
	}
	if _, err := auth.Revoke(ctx, store, l, op, tok.ID, "", time.Now()); !errors.Is(err, auth.ErrAlreadyRevoked) {
		t.Fatalf("second revoke: %v", err)
	}
	if _, _, _, err := auth.Issue(ctx, l, op, auth.IssueRequest{Role: auth.RoleFacilitator, Scope: auth.Scope{Grid: "g"}}, time.Now()); err == nil {
		t.Fatal("grid scope without community accepted")
	}
}

// TestSyncAndRunTogether folds the same events through Sync and Run at
// once: a revoked token stays revoked whichever folds first.
func TestSyncAndRunTogether(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store, err := pebble.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	l := ledger.New(store)
	op := ledger.Actor{ID: "operator", Role: "operator"}
	var secrets []string
	var last eventstore.Position
	for range 20 {
		tok, secret, _, err := auth.Issue(ctx, l, op, auth.IssueRequest{Role: auth.RoleResident}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		res, err := auth.Revoke(ctx, store, l, op, tok.ID, "", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		secrets, last = append(secrets, secret), res.Position
	}
	reg := auth.NewRegistry(store)
	done := make(chan error, 1)
	go func() { done <- reg.Run(ctx) }()
	if err := reg.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	if err := reg.WaitFor(wctx, last); err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if _, err := reg.Authenticate(s); !errors.Is(err, auth.ErrRevoked) {
			t.Fatalf("revoked token authenticates: %v", err)
		}
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("run: %v", err)
	}
}
