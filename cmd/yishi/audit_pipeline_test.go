package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/yishi-civic/yishi/eventstore"
	yhttp "github.com/yishi-civic/yishi/http"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/seal"
)

// chainedLog is a log of n events over streams streams, each chained as
// the ledger chains them, with its leaves.
func chainedLog(t testing.TB, n, streams int) ([]eventstore.Event, []tlog.Hash) {
	t.Helper()
	events := make([]eventstore.Event, n)
	leaves := make([]tlog.Hash, n)
	prev := map[string]eventstore.Event{}
	at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	for i := range events {
		stream := fmt.Sprintf("proposal-%04d", i%streams)
		ev := eventstore.Event{ID: uuid.New(), Stream: stream, Position: eventstore.Position(i + 1), Type: "proposal.supported.v1",
			Recorded: at.Add(time.Duration(i) * time.Second), Data: []byte(fmt.Sprintf(`{"n":%d}`, i)),
			Metadata: eventstore.Metadata{Actor: "p-1", Role: "resident", HashScheme: ledger.HashSchemeV3, Salt: ledger.NewSalt()}}
		if p, ok := prev[stream]; ok {
			ev.Revision, ev.Metadata.PrevHash = p.Revision+1, p.Metadata.Hash
		}
		ev.Metadata.Hash = ledger.ChainHash(ev.Metadata.PrevHash, ev.Stream, ev.Revision, ev.ID, ev.Type, ev.Data, ev.Metadata, ev.Recorded)
		chain, err := hex.DecodeString(ev.Metadata.Hash)
		require.NoError(t, err)
		events[i], leaves[i], prev[stream] = ev, tlog.RecordHash(chain), ev
	}
	return events, leaves
}

// serveFrames serves GET /v1/log's compact form of events and leaves, as
// given (tampered or not).
func serveFrames(t testing.TB, events []eventstore.Event, leaves []tlog.Hash) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		from, _ := strconv.Atoi(r.URL.Query().Get("from"))
		n, _ := strconv.Atoi(r.URL.Query().Get("max"))
		w.Header().Set("Content-Type", yhttp.LogFramesType)
		var b []byte
		for i := from; i < min(from+n, len(events)); i++ {
			b = yhttp.AppendLogFrame(b, int64(i), leaves[i], events[i].Position, &events[i])
		}
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestAuditNamesTheFirstInconsistency checks that the audit's pipeline
// (chains checked on one goroutine per core, positions and tree on
// another) reports the inconsistency at the lowest leaf, whichever
// goroutine finds which, over more than one batch.
func TestAuditNamesTheFirstInconsistency(t *testing.T) {
	const n, streams = 3*batchFrames + 100, 37
	audit := func(events []eventstore.Event, leaves []tlog.Hash, size int) (string, error) {
		var f seal.Frontier
		for _, l := range leaves[:size] {
			f.Add(l)
		}
		r, err := newRemote(serveFrames(t, events, leaves), "")
		require.NoError(t, err)
		var out bytes.Buffer
		a := &auditor{r: r, stdout: &out, stderr: io.Discard, now: seal.Checkpoint{Size: int64(size), Root: f.Root(), Head: events[size-1].Position}}
		err = a.events(context.Background())
		if err == nil {
			assert.Equal(t, int64(size), a.fetched)
			assert.Equal(t, min(size, streams), a.chained)
			assert.Len(t, a.chains.Heads, min(size, streams))
			assert.Equal(t, leaves[:size], a.leaves)
		}
		return out.String(), err
	}
	events, leaves := chainedLog(t, n, streams)
	_, err := audit(events, leaves, n)
	require.NoError(t, err)
	_, err = audit(events, leaves, 5)
	require.NoError(t, err, "a log shorter than one batch")

	// Two streams checked on different goroutines where there are two.
	shards := uint32(chainShards())
	other := -1
	for i := 2*batchFrames + 1; i < n; i++ {
		if shardOf(events[i].Stream, shards) != shardOf(events[2*batchFrames].Stream, shards) || shards == 1 {
			other = i
			break
		}
	}
	require.Positive(t, other)
	tamper := func(i int) []eventstore.Event {
		e := append([]eventstore.Event(nil), events...)
		e[i].Data = []byte(`{"n":-1}`)
		return e
	}
	for _, c := range []struct {
		name string
		at   []int
		want int
	}{
		{"the earlier of two, in the same batch", []int{2 * batchFrames, other}, 2 * batchFrames},
		{"the earlier of two, given in the other order", []int{other, 2 * batchFrames}, 2 * batchFrames},
		{"the earlier of two, batches apart", []int{n - 1, 7}, 7},
	} {
		e := events
		for _, i := range c.at {
			e = append([]eventstore.Event(nil), e...)
			e[i].Data = []byte(`{"n":-1}`)
		}
		out, err := audit(e, leaves, n)
		require.ErrorIs(t, err, errAuditFailed, c.name)
		assert.Contains(t, out, fmt.Sprintf("FAILED at leaf %d: event %s@%d (position %d) fails verification: stored bytes", c.want, e[c.want].Stream, e[c.want].Revision, e[c.want].Position), c.name)
	}

	// A position out of order, found on this goroutine, before and after
	// a broken chain found on another.
	backwards := func(e []eventstore.Event, i int) []eventstore.Event {
		e = append([]eventstore.Event(nil), e...)
		e[i].Position = e[i-1].Position
		return e
	}
	out, err := audit(backwards(tamper(batchFrames+10), batchFrames+3), leaves, n)
	require.ErrorIs(t, err, errAuditFailed)
	assert.Contains(t, out, fmt.Sprintf("FAILED at leaf %d: position %d does not follow position %d", batchFrames+3, batchFrames+3, batchFrames+3))
	out, err = audit(backwards(tamper(batchFrames+3), batchFrames+10), leaves, n)
	require.ErrorIs(t, err, errAuditFailed)
	assert.Contains(t, out, fmt.Sprintf("FAILED at leaf %d: event", batchFrames+3))

	// A leaf the server's tree holds that the event does not give.
	bad := append([]tlog.Hash(nil), leaves...)
	bad[batchFrames+5][0] ^= 1
	out, err = audit(events, bad, n)
	require.ErrorIs(t, err, errAuditFailed)
	assert.Contains(t, out, fmt.Sprintf("FAILED at leaf %d: event %s@%d (position %d) hashes to leaf %s, the server's tree holds %s",
		batchFrames+5, events[batchFrames+5].Stream, events[batchFrames+5].Revision, events[batchFrames+5].Position, leaves[batchFrames+5], bad[batchFrames+5]))

	// A root the leaves do not give.
	r, err := newRemote(serveFrames(t, events, leaves), "")
	require.NoError(t, err)
	var buf bytes.Buffer
	a := &auditor{r: r, stdout: &buf, stderr: io.Discard, now: seal.Checkpoint{Size: n, Root: tlog.Hash{1}, Head: events[n-1].Position}}
	require.ErrorIs(t, a.events(context.Background()), errAuditFailed)
	assert.Contains(t, buf.String(), fmt.Sprintf("FAILED: the %d leaves the server serves hash to", n))
}

// BenchmarkAuditEvents measures the audit's side of checking 200,000
// events over loopback (the frames are written once, so the server's
// side costs a copy): fetching, parsing, the chains, the leaves and the
// tree. The whole audit of a served million is measured in
// docs/performance.md.
func BenchmarkAuditEvents(b *testing.B) {
	const n = 200_000
	events, leaves := chainedLog(b, n, 20_000)
	var body []byte
	for i := range events {
		body = yhttp.AppendLogFrame(body, int64(i), leaves[i], events[i].Position, &events[i])
	}
	starts := make([]int, n+1) // each frame's offset, to serve a page
	for off, i := 0, 0; i < n; i++ {
		starts[i] = off
		size, k := binary.Uvarint(body[off:])
		off += k + int(size)
		starts[i+1] = off
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		from, _ := strconv.Atoi(r.URL.Query().Get("from"))
		k, _ := strconv.Atoi(r.URL.Query().Get("max"))
		w.Header().Set("Content-Type", yhttp.LogFramesType)
		_, _ = w.Write(body[starts[from]:starts[min(from+k, n)]])
	}))
	b.Cleanup(srv.Close)
	var f seal.Frontier
	for _, l := range leaves {
		f.Add(l)
	}
	now := seal.Checkpoint{Size: n, Root: f.Root(), Head: events[n-1].Position}
	r, err := newRemote(srv.URL, "")
	require.NoError(b, err)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		a := &auditor{r: r, stdout: io.Discard, stderr: io.Discard, now: now}
		if err := a.events(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
