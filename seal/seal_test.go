package seal_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/seal"
)

var actor = ledger.Actor{ID: "worker-1", Role: "facilitator"}

// ledgerWith writes n proposals with a support each.
func ledgerWith(t *testing.T, n int) (eventstore.Store, *ledger.Ledger) {
	t.Helper()
	store, err := pebble.Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, store.Close()) })
	l := ledger.New(store, ledger.WithClock(func() time.Time { return time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC) }))
	for range n {
		addProposal(t, l)
	}
	return store, l
}

func addProposal(t *testing.T, l *ledger.Ledger) {
	t.Helper()
	id := uuid.NewString()
	_, err := l.Execute(context.Background(), domain.SubmitProposal{ProposalID: id, CommunityID: "hengyuan", GridID: "grid-1",
		Title: "楼道灯不亮", Text: "3号楼2单元楼道灯坏了", Category: "facilities", Place: "3号楼", Channel: domain.ChannelVisit,
		Author: domain.Party{Kind: domain.PartyPerson, ID: "resident-1", Name: "张明"}}, actor, ledger.Options{})
	require.NoError(t, err)
	_, err = l.Execute(context.Background(), domain.SupportProposal{ProposalID: id, PersonID: "resident-2", Name: "李华"}, actor, ledger.Options{})
	require.NoError(t, err)
}

func keys(t *testing.T) (note.Signer, note.Verifier) {
	t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, "yishi-test")
	require.NoError(t, err)
	signer, err := note.NewSigner(skey)
	require.NoError(t, err)
	verifier, err := note.NewVerifier(vkey)
	require.NoError(t, err)
	return signer, verifier
}

func TestCheckpointHoldsWhileTheLogOnlyGrows(t *testing.T) {
	ctx := context.Background()
	store, l := ledgerWith(t, 5)
	signer, verifier := keys(t)
	tree, err := seal.Build(ctx, store, 0, nil)
	require.NoError(t, err)
	assert.Equal(t, int64(10), tree.Size())
	msg, c, err := seal.Sign(tree, "yishi hengyuan", signer)
	require.NoError(t, err)

	opened, err := seal.Open(msg, verifier)
	require.NoError(t, err)
	assert.Equal(t, c, opened)
	require.NoError(t, seal.Check(ctx, store, opened, nil))

	addProposal(t, l)
	require.NoError(t, seal.Check(ctx, store, opened, nil), "appending after the seal keeps the checkpoint true")

	_, otherVerifier := keys(t)
	_, err = seal.Open(msg, otherVerifier)
	require.Error(t, err, "a checkpoint signed by another key is refused")
	_, err = seal.Open(append([]byte("x"), msg...), verifier)
	require.Error(t, err, "an altered checkpoint is refused")
}

// TestCheckpointCatchesARewrittenChain alters one event and recomputes the
// hash chain of its stream, as someone with write access to the data could:
// the chains verify, the signed checkpoint does not.
func TestCheckpointCatchesARewrittenChain(t *testing.T) {
	ctx := context.Background()
	store, _ := ledgerWith(t, 5)
	signer, verifier := keys(t)
	tree, err := seal.Build(ctx, store, 0, nil)
	require.NoError(t, err)
	msg, _, err := seal.Sign(tree, "yishi hengyuan", signer)
	require.NoError(t, err)
	c, err := seal.Open(msg, verifier)
	require.NoError(t, err)

	forged := rewrittenStore{Store: store, at: 5}
	_, err = ledger.Verify(ctx, forged, nil)
	require.NoError(t, err, "the forger recomputed the chain")
	err = seal.Check(ctx, forged, c, nil)
	require.ErrorIs(t, err, seal.ErrMismatch)

	short := c
	short.Size = 11
	require.ErrorIs(t, seal.Check(ctx, store, short, nil), seal.ErrMismatch, "a log shorter than its checkpoint")
}

// rewrittenStore changes the data of the at-th event (1-based) of the log
// and re-chains the rest of its stream.
type rewrittenStore struct {
	eventstore.Store
	at int
}

func (s rewrittenStore) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		n := 0
		var stream, prev string
		for ev, err := range s.Store.ReadAll(ctx, opts) {
			if err == nil {
				if n++; n == s.at {
					stream = ev.Stream
					ev.Data = []byte(fmt.Sprintf(`{"proposal_id":%q,"title":"改过的"}`, ev.Stream))
				}
				if stream != "" && ev.Stream == stream {
					if n != s.at {
						ev.Metadata.PrevHash = prev
					}
					ev.Metadata.Hash = ledger.ChainHash(ev.Metadata.PrevHash, ev.Stream, ev.Revision, ev.ID, ev.Type, ev.Data, ev.Metadata, ev.Recorded)
					prev = ev.Metadata.Hash
				}
			}
			if !yield(ev, err) {
				return
			}
		}
	}
}
