package ledger_test

import (
	"context"
	"crypto/rand"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
)

// TestFollowErasures: two ledgers on one log, each with its own client of
// one shared key store (two replicas). An erasure recorded through one is
// applied by the other's FollowErasures: its cached key is dropped, so
// what it loads reads as erased. A ledger does not apply again, nor report,
// an erasure it made itself.
func TestFollowErasures(t *testing.T) {
	store := MustOpenStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	var following sync.WaitGroup
	defer func() { cancel(); following.Wait() }()
	dir, kek := t.TempDir(), make([]byte, privacy.KEKSize)
	_, err := rand.Read(kek)
	require.NoError(t, err)
	replica := func() *ledger.Ledger {
		bs, err := blob.OpenDir(dir)
		require.NoError(t, err)
		keys, err := privacy.OpenSharedKeys(ctx, bs, kek)
		require.NoError(t, err)
		l := ledger.New(store, ledger.WithSealer(privacy.NewSealer(keys)))
		_, err = l.ApplyErasures(ctx)
		require.NoError(t, err)
		return l
	}
	a, b := replica(), replica()
	type followed struct {
		d   domain.DataErased
		pos eventstore.Position
	}
	follow := func(l *ledger.Ledger) <-chan followed {
		ch := make(chan followed, 8)
		following.Add(1)
		go func() {
			defer following.Done()
			_ = l.FollowErasures(ctx, func(d domain.DataErased, pos eventstore.Position) { ch <- followed{d, pos} })
		}()
		return ch
	}
	fromA, fromB := follow(a), follow(b)

	id := uuid.NewString()
	_, err = a.Execute(ctx, submit(id), facilitator, ledger.Options{})
	require.NoError(t, err)
	events, _, err := b.Load(ctx, domain.ProposalStream(id))
	require.NoError(t, err)
	require.Equal(t, "张明", events[0].(domain.ProposalSubmitted).Author.Name, "b opens what a sealed")

	erase := func(l *ledger.Ledger, person string) ledger.Result {
		res, err := l.Erase(ctx, domain.EraseData{Subject: domain.ErasePerson, ID: person, Ground: domain.GroundRequest, Reason: "本人申请", By: "admin-1"},
			ledger.Actor{ID: "admin-1", Role: "admin"}, ledger.Options{})
		require.NoError(t, err)
		return res
	}
	first := erase(a, "resident-1")
	var got followed
	select {
	case got = <-fromB:
	case <-ctx.Done():
		t.Fatal("b did not follow a's erasure")
	}
	require.Equal(t, "resident-1", got.d.ID)
	require.Equal(t, first.Own, got.pos)
	events, _, err = b.Load(ctx, domain.ProposalStream(id))
	require.NoError(t, err)
	require.Equal(t, privacy.ErasedName, events[0].(domain.ProposalSubmitted).Author.Name, "b still opens the erased person's name")

	// a reports b's erasure, having passed its own without reporting it.
	second := erase(b, "resident-2")
	select {
	case got = <-fromA:
	case <-ctx.Done():
		t.Fatal("a did not follow b's erasure")
	}
	require.Equal(t, "resident-2", got.d.ID, "a reported its own erasure")
	require.Equal(t, second.Own, got.pos)
}
