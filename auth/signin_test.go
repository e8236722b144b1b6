package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/ledger"
)

// TestExchangeOnce: a sign-in code authenticates nothing, is exchanged
// for a session once (of two exchanges at once exactly one wins), and
// expires after SignInTTL.
func TestExchangeOnce(t *testing.T) {
	store, err := pebble.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	l := ledger.New(store)
	reg := NewRegistry(store)
	ctx := context.Background()
	now := time.Now()
	by := ledger.Actor{ID: "worker-1", Role: string(RoleGridWorker)}
	issue := func(at time.Time) string {
		_, secret, res, err := Issue(ctx, l, by, IssueRequest{Role: RoleResident, Scope: Scope{Community: "c"}, Name: "陈", Subject: "r9", Kind: KindSignIn}, at)
		if err != nil {
			t.Fatal(err)
		}
		if err := reg.Sync(ctx); err != nil || reg.WaitFor(ctx, res.Position) != nil {
			t.Fatal("sync", err)
		}
		return secret
	}
	code := issue(now)
	if _, err := reg.Authenticate(code); !errors.Is(err, ErrUnknownToken) {
		t.Fatalf("a sign-in code authenticates: %v", err)
	}

	var wg sync.WaitGroup
	results := make([]error, 4)
	secrets := make([]string, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok, secret, _, err := Exchange(ctx, store, l, reg, code, now)
			results[i], secrets[i] = err, secret
			if err == nil && (tok.Kind != KindSession || tok.Subject != "r9" || tok.Scope.Community != "c") {
				t.Errorf("session %+v", tok)
			}
		}()
	}
	wg.Wait()
	won := 0
	for i, err := range results {
		switch {
		case err == nil:
			won++
			if err := reg.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := reg.Authenticate(secrets[i]); err != nil {
				t.Errorf("the session does not authenticate: %v", err)
			}
		case !errors.Is(err, ErrRevoked):
			t.Errorf("a losing exchange: %v, want ErrRevoked", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d exchanges won, want 1", won)
	}

	old := issue(now.Add(-SignInTTL - time.Minute))
	if _, _, _, err := Exchange(ctx, store, l, reg, old, now); !errors.Is(err, ErrCodeExpired) {
		t.Fatalf("an old code: %v, want ErrCodeExpired", err)
	}
}
