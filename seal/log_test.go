package seal_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/seal"
)

// mth is the Merkle tree hash of RFC 6962 section 2.1, written from the
// RFC rather than from tlog, over the leaves' data.
func mth(leaves [][]byte) [32]byte {
	if len(leaves) == 1 {
		return sha256.Sum256(append([]byte{0}, leaves[0]...))
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	l, r := mth(leaves[:k]), mth(leaves[k:])
	return sha256.Sum256(append(append([]byte{1}, l[:]...), r[:]...))
}

// syntheticLog fills a Log with n events whose chain hashes are random,
// at positions 10, 20, 30 …, and returns the hashes' bytes.
func syntheticLog(t *testing.T, rng *rand.Rand, n int) (*seal.Log, [][]byte) {
	t.Helper()
	l := seal.NewLog(nil)
	leaves := make([][]byte, n)
	for i := range n {
		h := make([]byte, 32)
		for j := range h {
			h[j] = byte(rng.Uint32())
		}
		leaves[i] = h
		require.NoError(t, l.Add(eventstore.Event{Stream: "s", Revision: uint64(i), Position: eventstore.Position(10 * (i + 1)), Metadata: eventstore.Metadata{Hash: hex.EncodeToString(h)}}))
	}
	return l, leaves
}

// TestProofsCheckWithTlogsVerifiers builds logs of random sizes and
// checks every answer of the Log against an independent computation: the
// root against RFC 6962's definition, inclusion proofs of random leaves
// in random sizes with tlog.CheckRecord, consistency proofs between random
// sizes with tlog.CheckTree; and a proof of one leaf or size does not
// check for another.
func TestProofsCheckWithTlogsVerifiers(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 1))
	for range 25 {
		n := 1 + rng.IntN(300)
		l, leaves := syntheticLog(t, rng, n)
		head, err := l.Head()
		require.NoError(t, err)
		require.Equal(t, int64(n), head.Size)
		assert.Equal(t, tlog.Hash(mth(leaves)), head.Root, "the root is RFC 6962's Merkle tree hash (size %d)", n)
		assert.Equal(t, eventstore.Position(10*n), head.Head)

		for range 10 {
			size := 1 + rng.Int64N(int64(n))
			i := rng.Int64N(size)
			root := tlog.Hash(mth(leaves[:size]))
			leaf, err := l.Leaf(i)
			require.NoError(t, err)
			require.Equal(t, tlog.RecordHash(leaves[i]), leaf)
			p, err := l.InclusionProof(i, size)
			require.NoError(t, err)
			require.NoError(t, tlog.CheckRecord(p, size, root, i, leaf), "leaf %d in %d of %d", i, size, n)
			if size > 1 {
				other := (i + 1) % size
				assert.Error(t, tlog.CheckRecord(p, size, root, other, tlog.RecordHash(leaves[other])), "the proof of leaf %d does not prove leaf %d", i, other)
			}
			pos, err := l.Position(i)
			require.NoError(t, err)
			got, ok := l.Index(pos)
			require.True(t, ok)
			assert.Equal(t, i, got)

			old := 1 + rng.Int64N(size)
			tp, err := l.ConsistencyProof(old, size)
			require.NoError(t, err)
			require.NoError(t, tlog.CheckTree(tp, size, root, old, tlog.Hash(mth(leaves[:old]))), "%d extends %d", size, old)
			if old < size {
				forked := append([][]byte{}, leaves[:old]...)
				forked[rng.IntN(int(old))] = []byte("rewritten")
				assert.Error(t, tlog.CheckTree(tp, size, root, old, tlog.Hash(mth(forked))), "a rewritten older tree is not extended")
			}
		}
	}
}

func TestLogAnswersOnlyWhatItHolds(t *testing.T) {
	l, _ := syntheticLog(t, rand.New(rand.NewPCG(1, 2)), 5)
	_, err := l.InclusionProof(5, 5)
	assert.ErrorIs(t, err, seal.ErrRange)
	_, err = l.InclusionProof(0, 6)
	assert.ErrorIs(t, err, seal.ErrRange)
	_, err = l.ConsistencyProof(0, 5)
	assert.ErrorIs(t, err, seal.ErrRange)
	_, err = l.ConsistencyProof(3, 6)
	assert.ErrorIs(t, err, seal.ErrRange)
	_, ok := l.Index(15)
	assert.False(t, ok, "no event at position 15")
	_, err = l.Leaf(-1)
	assert.ErrorIs(t, err, seal.ErrRange)
}

// TestLogFollowsTheStore checks that a followed Log is the tree Build
// makes over the same store, and grows with it.
func TestLogFollowsTheStore(t *testing.T) {
	store, led := ledgerWith(t, 3)
	l := seal.NewLog(nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Follow(ctx, store) }()
	t.Cleanup(func() { cancel(); <-done })

	addProposal(t, led)
	tree, err := seal.Build(ctx, store, 0, nil)
	require.NoError(t, err)
	wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
	defer wcancel()
	head, err := l.Head()
	require.NoError(t, err)
	for head.Size < tree.Size() {
		require.NoError(t, l.Wait(wctx, head.Head+1))
		head, err = l.Head()
		require.NoError(t, err)
	}
	root, err := tree.Root()
	require.NoError(t, err)
	assert.Equal(t, tree.Size(), head.Size)
	assert.Equal(t, root, head.Root, "the live tree is the tree seal sign builds")
}

// TestWitnessCatchesAFork has a witness cosign a checkpoint, then the
// server present a larger one whose history was rewritten: the witness
// refuses it; an honest extension it cosigns.
func TestWitnessCatchesAFork(t *testing.T) {
	server, serverV := keys(t)
	wskey, wvkey, err := note.GenerateKey(nil, "street-office")
	require.NoError(t, err)
	witness, err := note.NewSigner(wskey)
	require.NoError(t, err)
	witnessV, err := note.NewVerifier(wvkey)
	require.NoError(t, err)

	rng := rand.New(rand.NewPCG(7, 7))
	l, leaves := syntheticLog(t, rng, 40)
	sign := func(l *seal.Log) []byte {
		h, err := l.Head()
		require.NoError(t, err)
		h.Origin = "yishi test"
		msg, err := h.Sign(server)
		require.NoError(t, err)
		return msg
	}
	first, c1, err := seal.Cosign(sign(l), serverV, witness, nil, nil)
	require.NoError(t, err)
	got, n, err := seal.OpenNote(first, serverV, witnessV)
	require.NoError(t, err)
	assert.Equal(t, c1, got)
	assert.Len(t, n.Sigs, 2, "the server's and the witness's signatures")

	// An honest server appends.
	for i := range 9 {
		h := sha256.Sum256([]byte{byte(i)})
		require.NoError(t, l.Add(eventstore.Event{Position: eventstore.Position(1000 + i), Metadata: eventstore.Metadata{Hash: hex.EncodeToString(h[:])}}))
	}
	proof, err := l.ConsistencyProof(c1.Size, 49)
	require.NoError(t, err)
	_, c2, err := seal.Cosign(sign(l), serverV, witness, &c1, proof)
	require.NoError(t, err)
	assert.Equal(t, int64(49), c2.Size)

	// A server that rewrote event 17 and then appended.
	forked := seal.NewLog(nil)
	for i, h := range leaves {
		if i == 17 {
			h = []byte("rewritten")
		}
		require.NoError(t, forked.Add(eventstore.Event{Position: eventstore.Position(10 * (i + 1)), Metadata: eventstore.Metadata{Hash: hex.EncodeToString(h)}}))
	}
	for i := range 9 {
		h := sha256.Sum256([]byte{byte(i)})
		require.NoError(t, forked.Add(eventstore.Event{Position: eventstore.Position(1000 + i), Metadata: eventstore.Metadata{Hash: hex.EncodeToString(h[:])}}))
	}
	proof, err = forked.ConsistencyProof(c1.Size, 49)
	require.NoError(t, err)
	_, _, err = seal.Cosign(sign(forked), serverV, witness, &c1, proof)
	assert.ErrorIs(t, err, seal.ErrInconsistent)
	_, _, err = seal.Cosign(sign(forked), serverV, witness, &c2, nil)
	assert.ErrorIs(t, err, seal.ErrInconsistent, "same size, another root")

	// A checkpoint signed by another key is not the server's.
	other, _ := keys(t)
	h, err := l.Head()
	require.NoError(t, err)
	h.Origin = "yishi test"
	msg, err := h.Sign(other)
	require.NoError(t, err)
	_, _, err = seal.Cosign(msg, serverV, witness, &c2, nil)
	assert.Error(t, err)
}

func TestFrontierRootIsTheTreeHash(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	l, leaves := syntheticLog(t, rng, 130)
	var f seal.Frontier
	for i := range leaves {
		f.Add(tlog.RecordHash(leaves[i]))
		assert.Equal(t, tlog.Hash(mth(leaves[:i+1])), f.Root(), "size %d", i+1)
	}
	head, err := l.Head()
	require.NoError(t, err)
	assert.Equal(t, head.Root, f.Root())
	assert.Equal(t, int64(130), f.Size())
}

// TestLogCaughtUp: a Log says it caught up only once Follow has added
// every event the store held when it started.
func TestLogCaughtUp(t *testing.T) {
	store, _ := ledgerWith(t, 3)
	ctx := context.Background()
	built, err := seal.Build(ctx, store, 0, nil)
	require.NoError(t, err)
	l := seal.NewLog(nil)
	require.False(t, l.CaughtUp())
	fctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- l.Follow(fctx, store) }()
	t.Cleanup(func() { cancel(); <-done })
	require.Eventually(t, l.CaughtUp, 10*time.Second, time.Millisecond)
	head, err := l.Head()
	require.NoError(t, err)
	require.GreaterOrEqual(t, head.Size, built.Size())
}

// TestLogTakesDeliveriesFromAnEarlierPosition checks that a Log handed a
// subscription's deliveries from before its head (the projections'
// runner reading for both, projections.Config.Tap) adds each event once:
// it is the tree Build makes over the same store, and the caught-up
// checkpoint marks it caught up.
func TestLogTakesDeliveriesFromAnEarlierPosition(t *testing.T) {
	store, _ := ledgerWith(t, 3)
	ctx := context.Background()
	var all []eventstore.Event
	for ev, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		require.NoError(t, err)
		all = append(all, ev)
	}
	require.Greater(t, len(all), 4)
	l := seal.NewLog(nil)
	for _, ev := range all[:len(all)/2] {
		require.NoError(t, l.Add(ev))
	}
	assert.Equal(t, all[len(all)/2-1].Position, l.After())
	for d, err := range store.Subscribe(ctx, eventstore.SubscribeOptions{}) {
		require.NoError(t, err)
		require.NoError(t, l.Take(d))
		if d.CaughtUp {
			break
		}
		assert.False(t, l.CaughtUp())
	}
	assert.True(t, l.CaughtUp())
	assert.Equal(t, all[len(all)-1].Position, l.After())
	tree, err := seal.Build(ctx, store, 0, nil)
	require.NoError(t, err)
	want, err := tree.Root()
	require.NoError(t, err)
	head, err := l.Head()
	require.NoError(t, err)
	assert.Equal(t, tree.Size(), head.Size, "each event once")
	assert.Equal(t, want, head.Root)
}
