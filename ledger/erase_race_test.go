package ledger_test

import (
	"context"
	"iter"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
)

// pausingStore pauses a read of stream, once armed, after it yielded every
// event and before the reader goes on.
type pausingStore struct {
	eventstore.Store
	stream  string
	armed   atomic.Bool
	reached chan struct{}
	release chan struct{}
}

func (p *pausingStore) ReadStream(ctx context.Context, stream string, opts eventstore.ReadStreamOptions) iter.Seq2[eventstore.Event, error] {
	inner := p.Store.ReadStream(ctx, stream, opts)
	if stream != p.stream || !p.armed.Load() {
		return inner
	}
	p.armed.Store(false)
	return func(yield func(eventstore.Event, error) bool) {
		for ev, err := range inner {
			if !yield(ev, err) {
				return
			}
		}
		// Every event yielded (and opened by Ledger.load): pause before load
		// caches them.
		close(p.reached)
		<-p.release
	}
}

// TestLoadRacingAnErasureCachesNothing: a load that opened a stream while
// the key still existed, and finishes after the erasure's Forget, must not
// cache what it opened: later loads would serve the erased person's
// plaintext from the cache.
func TestLoadRacingAnErasureCachesNothing(t *testing.T) {
	ctx := context.Background()
	id := uuid.NewString()
	ps := &pausingStore{Store: MustOpenStore(t), stream: domain.ProposalStream(id), reached: make(chan struct{}), release: make(chan struct{})}
	l := ledger.New(ps, ledger.WithClock(clock), ledger.WithSealer(privacy.NewSealer(privacy.NewMemoryKeys())))
	_, err := l.Execute(ctx, submit(id), facilitator, ledger.Options{})
	require.NoError(t, err)
	l.Forget()
	ps.armed.Store(true)
	done := make(chan error, 1)
	go func() { _, _, err := l.Load(ctx, domain.ProposalStream(id)); done <- err }()
	<-ps.reached
	_, err = l.Erase(ctx, domain.EraseData{Subject: domain.ErasePerson, ID: "resident-1", Ground: domain.GroundRequest, Reason: "本人申请", By: "admin-1"},
		ledger.Actor{ID: "admin-1", Role: "admin"}, ledger.Options{})
	require.NoError(t, err)
	close(ps.release)
	require.NoError(t, <-done)
	events, _, err := l.Load(ctx, domain.ProposalStream(id))
	require.NoError(t, err)
	require.Equal(t, privacy.ErasedName, events[0].(domain.ProposalSubmitted).Author.Name, "read after the erasure answered")
}
