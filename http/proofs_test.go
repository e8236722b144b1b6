package http

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/policy"
	"github.com/yishi-civic/yishi/projections"
	"github.com/yishi-civic/yishi/seal"
	"github.com/yishi-civic/yishi/seal/sealtest"
)

// withSeal gives the server a live tree of its log and a signing key, as
// yishi serve does; the tree follows the store until the test ends.
func withSeal(tb testing.TB) func(*Config) {
	return func(cfg *Config) {
		skey, vkey, err := note.GenerateKey(rand.Reader, "yishi-test")
		require.NoError(tb, err)
		signer, err := note.NewSigner(skey)
		require.NoError(tb, err)
		tree := seal.NewLog(func(ev eventstore.Event) bool { return policy.LeafExposes(ev.Type, ev.Data, ev.Metadata.Salt) })
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { defer close(done); _ = tree.Follow(ctx, cfg.Store) }()
		tb.Cleanup(func() { cancel(); <-done })
		witnesses, err := seal.OpenWitnesses(tb.TempDir())
		require.NoError(tb, err)
		cfg.Seal, cfg.Signer, cfg.VerifierKey, cfg.Origin, cfg.Witnesses = tree, signer, vkey, "yishi test", witnesses
	}
}

// record appends an event outside the domain to stream and waits until
// the server's tree holds it.
func (e *env) record(t *testing.T, stream string, typ string, body string) eventstore.AppendResult {
	t.Helper()
	ctx := context.Background()
	rev := int64(-1)
	for ev, err := range e.store.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.LastRevision, Max: 1}) {
		if err == nil {
			rev = int64(ev.Revision)
		}
	}
	res, err := e.ledger.Record(ctx, stream, rev, ledger.Actor{ID: "worker-1", Role: "facilitator"}, typ, []byte(body))
	require.NoError(t, err)
	e.waitSealed(t, res.Position)
	return res
}

func (e *env) waitSealed(t *testing.T, pos eventstore.Position) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, e.srv.cfg.Seal.Wait(ctx, pos))
}

// checkpoint fetches and opens the server's checkpoint as a stranger
// would: with the key it pinned.
func (e *env) checkpoint(t *testing.T, v note.Verifier) seal.Checkpoint {
	t.Helper()
	msg := e.do(req{method: "GET", path: "/v1/checkpoint"}).want(t, 200).body
	c, err := seal.Open(msg, v)
	require.NoError(t, err)
	return c
}

func TestProofsAnyoneCanCheck(t *testing.T) {
	e := mustServe(t, withSeal(t))
	ctx := context.Background()
	for i := range 7 {
		e.record(t, fmt.Sprintf("seal-test-%d", i%3), "seal.tested.v1", fmt.Sprintf(`{"n":%d}`, i))
	}
	vkey := strings.TrimSpace(string(e.do(req{method: "GET", path: "/v1/checkpoint/key"}).want(t, 200).body))
	v, err := note.NewVerifier(vkey)
	require.NoError(t, err)
	c1 := e.checkpoint(t, v)
	assert.Equal(t, "yishi test", c1.Origin)
	assert.Equal(t, int64(7), c1.Size)

	var events []eventstore.Event
	for ev, err := range e.store.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		require.NoError(t, err)
		events = append(events, ev)
	}
	for i, ev := range events {
		var p InclusionProof
		e.do(req{method: "GET", path: fmt.Sprintf("/v1/proofs/inclusion?position=%d", ev.Position)}).want(t, 200).decode(t, &p)
		chain, err := hex.DecodeString(ev.Metadata.Hash)
		require.NoError(t, err)
		leaf := tlog.RecordHash(chain)
		assert.Equal(t, leaf, p.LeafHash, "the leaf is the record hash of the chain hash")
		assert.Equal(t, int64(i), p.Index)
		assert.NotEmpty(t, p.Checkpoint, "the proof against the latest checkpoint carries it")
		require.NoError(t, tlog.CheckRecord(p.Proof, c1.Size, c1.Root, p.Index, leaf), "event %d", i)
	}

	for i := range 5 {
		e.record(t, "seal-test-more", "seal.tested.v1", fmt.Sprintf(`{"m":%d}`, i))
	}
	c2 := e.checkpoint(t, v)
	require.Equal(t, int64(12), c2.Size)
	var cp ConsistencyProof
	e.do(req{method: "GET", path: fmt.Sprintf("/v1/proofs/consistency?from=%d", c1.Size)}).want(t, 200).decode(t, &cp)
	assert.Equal(t, c2.Size, cp.To)
	require.NoError(t, seal.Consistent(c1, c2, cp.Proof))
	// An older tree than the latest: no checkpoint in the answer.
	var old InclusionProof
	e.do(req{method: "GET", path: fmt.Sprintf("/v1/proofs/inclusion?position=%d&size=%d", events[2].Position, c1.Size)}).want(t, 200).decode(t, &old)
	assert.Empty(t, old.Checkpoint)
	require.NoError(t, tlog.CheckRecord(old.Proof, c1.Size, c1.Root, 2, old.LeafHash))

	for _, bad := range []struct {
		path, field string
		status      int
	}{
		{"/v1/proofs/inclusion?position=abc", "position", 400},
		{"/v1/proofs/inclusion", "position", 400},
		{"/v1/proofs/inclusion?position=1&size=0", "size", 400},
		{"/v1/proofs/inclusion?position=1&size=13", "size", 400},
		{fmt.Sprintf("/v1/proofs/inclusion?position=%d&size=3", events[5].Position), "size", 422},
		{"/v1/proofs/consistency?from=0", "from", 400},
		{"/v1/proofs/consistency?from=9&to=4", "from", 422},
	} {
		slug := "bad-request"
		if bad.status == 422 {
			slug = "validation"
		}
		p := e.do(req{method: "GET", path: bad.path}).wantProblem(t, bad.status, slug)
		assert.Equal(t, bad.field, p.Field, bad.path)
	}
	e.do(req{method: "GET", path: "/v1/proofs/inclusion?position=999999"}).wantProblem(t, 404, "not-found")
}

// TestProofsKeepSecretBallotsSecret publishes the leaf hash of a secret
// ballot and has someone who knows every other field of it (even the
// previous event's chain hash, which only auditors read) try each option:
// under hash scheme 3 none matches, because of the salt. A ballot written
// before the salt would be found, so while the log holds one the proofs
// are for auditors only.
func TestProofsKeepSecretBallotsSecret(t *testing.T) {
	e := mustServe(t, withSeal(t))
	auditor := e.token(auth.RoleAuditor, auth.Scope{}, "")
	ballot := func(option string) string {
		return `{"meeting_id":"m1","motion_id":"mo1","voter_id":"r1","cast_by":"r1","option_id":"` + option + `","secret":true,"at":"2026-07-01T09:00:00Z"}`
	}
	typ := "meeting.vote_cast.v1"
	e.record(t, "ballot-test", "seal.tested.v1", `{}`)
	res := e.record(t, "ballot-test", typ, ballot("against"))

	var p InclusionProof
	e.do(req{method: "GET", path: fmt.Sprintf("/v1/proofs/inclusion?position=%d", res.Position)}).want(t, 200).decode(t, &p)
	var stored eventstore.Event
	for ev, err := range e.store.ReadAll(context.Background(), eventstore.ReadAllOptions{From: res.Position, Max: 1}) {
		require.NoError(t, err)
		stored = ev
	}
	try := func(ev eventstore.Event, option string) tlog.Hash {
		m := ev.Metadata
		m.Salt = "" // what nobody but an auditor reads
		h := ledger.ChainHash(m.PrevHash, ev.Stream, ev.Revision, ev.ID, ev.Type, []byte(ballot(option)), m, ev.Recorded)
		b, _ := hex.DecodeString(h)
		return tlog.RecordHash(b)
	}
	for _, option := range []string{"for", "against", ""} {
		assert.NotEqual(t, p.LeafHash, try(stored, option), "trying %q does not find the salted ballot", option)
	}

	// A ballot as written before the salt: trying the options finds it.
	old := eventstore.EventData{ID: stored.ID, Type: typ, Data: []byte(ballot("for")),
		Metadata: eventstore.Metadata{Actor: "r1", Role: "resident", HashScheme: ledger.HashSchemeV2}, Recorded: stored.Recorded}
	old.ID[15] ^= 1
	old.Metadata.Hash = ledger.ChainHash("", "ballot-old", 0, old.ID, typ, old.Data, old.Metadata, old.Recorded)
	ar, err := e.store.Append(context.Background(), "ballot-old", eventstore.NoStream(), old)
	require.NoError(t, err)
	e.waitSealed(t, ar.Position)
	oldEvent := eventstore.Event{ID: old.ID, Stream: "ballot-old", Type: typ, Metadata: old.Metadata, Recorded: old.Recorded}
	var ap InclusionProof
	e.do(req{method: "GET", path: fmt.Sprintf("/v1/proofs/inclusion?position=%d", ar.Position), token: auditor}).want(t, 200).decode(t, &ap)
	assert.Equal(t, ap.LeafHash, try(oldEvent, "for"), "an unsalted ballot's leaf gives its choice away")
	pr := e.do(req{method: "GET", path: fmt.Sprintf("/v1/proofs/inclusion?position=%d", res.Position)}).wantProblem(t, 403, "forbidden")
	assert.Contains(t, pr.Detail, "1 张")
	e.do(req{method: "GET", path: "/v1/proofs/consistency?from=1"}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "GET", path: "/v1/checkpoint"}).want(t, 200)
}

// TestLogServesEventsAsStored reads GET /v1/log as an unscoped auditor (every
// event but the token streams' as stored, with its salt), as a scoped one
// (leaf hashes only outside its scope) and as an admin (leaf hashes only).
func TestLogServesEventsAsStored(t *testing.T) {
	e := mustServe(t, withSeal(t))
	auditor := e.token(auth.RoleAuditor, auth.Scope{}, "")
	scoped := e.token(auth.RoleAuditor, auth.Scope{Community: "hengyuan"}, "")
	admin := e.token(auth.RoleAdmin, auth.Scope{}, "")
	last := e.record(t, "seal-test", "seal.tested.v1", `{"text":"<b>&</b>"}`)

	read := func(token, query string) []LogEntry {
		r := e.do(req{method: "GET", path: "/v1/log" + query, token: token}).want(t, 200)
		assert.Equal(t, "application/x-ndjson", r.header.Get("Content-Type"))
		var out []LogEntry
		sc := bufio.NewScanner(bytes.NewReader(r.body))
		for sc.Scan() {
			var le LogEntry
			require.NoError(t, json.Unmarshal(sc.Bytes(), &le))
			out = append(out, le)
		}
		return out
	}
	all := read(auditor, "")
	require.Len(t, all, 4, "three token events and one of seal-test")
	for i, le := range all {
		assert.Equal(t, int64(i), le.Index)
		leaf, err := e.srv.cfg.Seal.Leaf(int64(i))
		require.NoError(t, err)
		assert.Equal(t, leaf, le.LeafHash)
	}
	for _, le := range all[:3] {
		assert.Nil(t, le.Event, "an auditor reads no token event")
	}
	got := all[3]
	require.NotNil(t, got.Event)
	assert.Equal(t, uint64(last.Position), got.Position)
	assert.Equal(t, last.Position, got.Event.Position)
	m := got.Event.Metadata
	assert.Len(t, m.Salt, 2*ledger.SaltBytes)
	assert.Equal(t, `{"text":"<b>&</b>"}`, string(got.Event.Data), "the data's bytes as stored")
	assert.Equal(t, m.Hash, ledger.ChainHash(m.PrevHash, got.Event.Stream, got.Event.Revision, got.Event.ID, got.Event.Type, got.Event.Data, m, got.Event.Recorded),
		"the entry holds everything the chain hash covers")

	for _, token := range []string{scoped, admin} {
		for _, le := range read(token, "") {
			assert.Nil(t, le.Event, "leaf hashes only")
		}
	}
	// The compact form carries the same entries, the event's bytes as stored.
	frames := func(token, query string) []LogEntry {
		r := e.do(req{method: "GET", path: "/v1/log" + query, token: token, header: map[string]string{"Accept": "application/json, " + LogFramesType + ";q=0.9"}}).want(t, 200)
		assert.Equal(t, LogFramesType, r.header.Get("Content-Type"))
		var out []LogEntry
		lr := NewLogFrameReader(bytes.NewReader(r.body))
		var buf []byte
		for {
			var f LogFrame
			var err error
			if buf, err = lr.Read(&f, buf[:0]); err == io.EOF {
				break
			}
			require.NoError(t, err)
			le := LogEntry{Index: f.Index, Position: uint64(f.Position), LeafHash: f.LeafHash}
			if f.HasEvent {
				se := StoredEvent(f.Event())
				le.Event = &se
			}
			out = append(out, le)
		}
		return out
	}
	for _, token := range []string{auditor, scoped, admin} {
		for _, q := range []string{"", "?from=1&max=2"} {
			want, got := read(token, q), frames(token, q)
			require.Len(t, got, len(want))
			for i := range want {
				if want[i].Event != nil {
					require.NotNil(t, got[i].Event)
					assert.True(t, want[i].Event.Recorded.Equal(got[i].Event.Recorded))
					got[i].Event.Recorded = want[i].Event.Recorded
				}
				assert.Equal(t, want[i], got[i])
			}
		}
	}
	stored := eventstore.Event(*got.Event)
	_, err := NewLogFrameReader(bytes.NewReader(AppendLogFrame(nil, 3, tlog.Hash{1}, 4, &stored)[:40])).Read(new(LogFrame), nil)
	assert.ErrorIs(t, err, ErrBadFrame, "a frame cut short")

	page := read(auditor, "?from=2&max=1")
	require.Len(t, page, 1)
	assert.Equal(t, int64(2), page[0].Index)
	assert.Empty(t, read(auditor, "?from=4"))
	e.do(req{method: "GET", path: "/v1/log?from=5", token: auditor}).wantProblem(t, 400, "bad-request")
	e.do(req{method: "GET", path: "/v1/log"}).wantProblem(t, 401, "unauthorized")
}

// TestDecisionProofChecksOut proves a decision of the register to a
// stranger: every event it was made of is in the signed checkpoint, the
// fingerprint is the hash of their leaves, and nothing but leaf hashes is
// given; while an unsalted secret ballot is in the log it is refused like
// every proof.
func TestDecisionProofChecksOut(t *testing.T) {
	e := mustServe(t, withSeal(t))
	c := newCast(e)
	organise(t, e, c)
	base, item := convene(t, e, c, "council", "", "夹道清理", map[string]string{"r1": "张三"}, "")
	motion := e.write(t, c.facilitator, base+"/motions", map[string]any{"item_id": item, "text": "清理夹道",
		"options": []map[string]string{{"id": "yes", "label": "同意"}}, "rule": map[string]string{"kind": "consensus"}}, 201).ID
	last := e.write(t, c.facilitator, base+"/motions/"+motion+"/consensus", map[string]string{"option_id": "yes"}, 200)
	var page viewPage[projections.Decision]
	e.do(req{method: "GET", path: fmt.Sprintf("/v1/register?wait_for=%d", last.HeadPosition)}).want(t, 200).decode(t, &page)
	require.Len(t, page.Items, 1)
	d := page.Items[0]
	require.Len(t, d.Events, 2, "tabled, then reached by consensus")

	var p DecisionProof
	r := e.do(req{method: "GET", path: "/v1/proofs/decisions/" + d.Key}).want(t, 200)
	r.decode(t, &p)
	body := r.body
	assert.NotContains(t, string(body), `"hash"`, "no chain hash is published")
	vkey := strings.TrimSpace(string(e.do(req{method: "GET", path: "/v1/checkpoint/key"}).want(t, 200).body))
	v, err := note.NewVerifier(vkey)
	require.NoError(t, err)
	cp, err := seal.Open([]byte(p.Checkpoint), v)
	require.NoError(t, err)
	assert.Equal(t, cp.Size, p.Size)
	var leaves []tlog.Hash
	for i, ev := range p.Events {
		assert.Equal(t, uint64(d.Events[i]), ev.Position)
		var stored eventstore.Event
		for se, err := range e.store.ReadAll(context.Background(), eventstore.ReadAllOptions{From: d.Events[i], Max: 1}) {
			require.NoError(t, err)
			stored = se
		}
		assert.Equal(t, stored.Type, ev.Type)
		chain, err := hex.DecodeString(stored.Metadata.Hash)
		require.NoError(t, err)
		assert.Equal(t, tlog.RecordHash(chain), ev.LeafHash)
		require.NoError(t, tlog.CheckRecord(ev.Proof, cp.Size, cp.Root, ev.Index, ev.LeafHash))
		leaves = append(leaves, ev.LeafHash)
	}
	want := sha256.Sum256(append(leaves[0][:], leaves[1][:]...))
	assert.Equal(t, hex.EncodeToString(want[:]), p.Fingerprint)

	e.do(req{method: "GET", path: "/v1/proofs/decisions/" + d.MeetingID + "/nope"}).wantProblem(t, 404, "not-found")
	e.do(req{method: "GET", path: "/v1/proofs/decisions/" + d.MeetingID + "/" + motion + "?size=0"}).wantProblem(t, 400, "bad-request")

	// An unsalted secret ballot in the log: auditors only.
	old := eventstore.EventData{ID: uuid.New(), Type: "meeting.vote_cast.v1",
		Data:     []byte(`{"meeting_id":"m1","motion_id":"mo1","voter_id":"r1","cast_by":"r1","option_id":"for","secret":true,"at":"2026-07-01T09:00:00Z"}`),
		Metadata: eventstore.Metadata{Actor: "r1", Role: "resident", HashScheme: ledger.HashSchemeV2}, Recorded: time.Now().UTC()}
	old.Metadata.Hash = ledger.ChainHash("", "ballot-old", 0, old.ID, old.Type, old.Data, old.Metadata, old.Recorded)
	ar, err := e.store.Append(context.Background(), "ballot-old", eventstore.NoStream(), old)
	require.NoError(t, err)
	e.waitSealed(t, ar.Position)
	e.do(req{method: "GET", path: "/v1/proofs/decisions/" + d.Key}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "GET", path: "/v1/proofs/decisions/" + d.Key, token: e.token(auth.RoleAuditor, auth.Scope{}, "")}).want(t, 200)
}

// TestNotReadyUntilTheTreeCaughtUp: /readyz says not ready while the
// Merkle tree the checkpoints are signed from has not yet read the log
// (a checkpoint then would be of a prefix), and ready once it has.
func TestNotReadyUntilTheTreeCaughtUp(t *testing.T) {
	tree := seal.NewLog(nil)
	e := mustServe(t, func(cfg *Config) { cfg.Seal = tree })
	// Once the views have caught up with the (empty) log, which the
	// server does not wait for, the tree alone keeps it from ready.
	readyz := req{method: "GET", path: "/readyz", header: map[string]string{"Accept-Language": "en"}}
	require.Eventually(t, func() bool {
		r := e.do(readyz)
		return r.status == 503 && strings.Contains(string(r.body), "integrity tree")
	}, 10*time.Second, 10*time.Millisecond, "not ready for the tree alone")
	p := e.do(readyz).wantProblem(t, 503, "not-ready")
	require.Contains(t, p.Detail, "integrity tree")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = tree.Follow(ctx, e.store) }()
	t.Cleanup(func() { cancel(); <-done })
	require.Eventually(t, func() bool { return e.do(req{method: "GET", path: "/readyz"}).status == 200 }, 10*time.Second, 10*time.Millisecond)
}

// TestNotReadyWithADamagedSavedTree: a saved tree found damaged where no
// proof read it (seal.Log.CheckSaved) keeps /readyz from ready, saying to
// restart, which hashes the log again.
func TestNotReadyWithADamagedSavedTree(t *testing.T) {
	ctx := context.Background()
	// A log of its own, as the tree sees one: 5,000 events, five parts of
	// saved hashes, of which the first is damaged (no peak is in it).
	other := sealtest.Store(t, 5000)
	follow := func(l *seal.Log) {
		ctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); _ = l.Follow(ctx, other) }()
		t.Cleanup(func() { cancel(); <-done })
		require.Eventually(t, l.CaughtUp, 10*time.Second, time.Millisecond)
	}
	path := filepath.Join(t.TempDir(), "tree.snap")
	whole := seal.NewLog(nil)
	follow(whole)
	require.NoError(t, whole.Save(path))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	raw[sealtest.HashesAt(5000)+100] ^= 1 // in the first part of the stored hashes
	require.NoError(t, os.WriteFile(path, raw, 0o600))

	tree := seal.NewLog(nil)
	require.NoError(t, tree.Load(ctx, path, other))
	follow(tree)
	_, err = tree.CheckSaved(ctx, 0)
	require.ErrorIs(t, err, seal.ErrDamaged)
	e := mustServe(t, func(cfg *Config) { cfg.Seal = tree })
	readyz := req{method: "GET", path: "/readyz", header: map[string]string{"Accept-Language": "en"}}
	require.Eventually(t, func() bool {
		r := e.do(readyz)
		return r.status == 503 && strings.Contains(string(r.body), "damaged")
	}, 10*time.Second, 10*time.Millisecond)
	p := e.do(readyz).wantProblem(t, 503, "not-ready")
	require.Contains(t, p.Detail, "restart the server")
}
