package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	pebbledb "github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore/kurrent/kurrenttest"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/projections"
	"github.com/yishi-civic/yishi/seal"
)

// buildLedger generates a small domain-valid ledger in a fresh data
// directory and returns it, closed.
func buildLedger(t *testing.T, events string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"generate", "--data", dir, "--events", events, "--grids", "10",
		"--open-meetings", "2", "--voters", "4", "--writers", "2", "--out", filepath.Join(t.TempDir(), "ids.json")},
		func(string) string { return "" }, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	return dir
}

// copyDir copies every file of src into a new directory and returns it.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	copyTo(t, src, dst)
	return dst
}

// copyTo copies every file of src into dst, as a backup or a restore does.
func copyTo(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o750)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o640)
	})
	require.NoError(t, err)
}

// dirFiles reads every file under dir: relative path → contents.
func dirFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = b
		return err
	})
	require.NoError(t, err)
	return files
}

// assertSameFiles fails unless dir holds exactly the files of before, byte
// for byte.
func assertSameFiles(t *testing.T, before map[string][]byte, dir, after string) {
	t.Helper()
	now := dirFiles(t, dir)
	for name, b := range before {
		got, ok := now[name]
		if !ok {
			t.Errorf("after %s: %s was removed", after, name)
		} else if !bytes.Equal(got, b) {
			t.Errorf("after %s: %s changed", after, name)
		}
	}
	for name := range now {
		if _, ok := before[name]; !ok {
			t.Errorf("after %s: %s was created", after, name)
		}
	}
}

// TestAuditCommandsLeaveEvidenceUntouched runs verify, seal sign and export
// on an evidence copy of a store taken while it was open (its write-ahead
// log not yet flushed) and checks that every file of the copy is byte for
// byte what it was.
func TestAuditCommandsLeaveEvidenceUntouched(t *testing.T) {
	ctx := context.Background()
	dir := buildLedger(t, "200")
	store, err := pebble.Open(dir)
	require.NoError(t, err)
	l := ledger.New(store)
	for i := range 5 {
		_, err := l.Record(ctx, "seal-test", int64(i)-1, ledger.Actor{ID: "auditor", Role: "admin"}, "seal.tested.v1", []byte(`{"n":1}`))
		require.NoError(t, err)
	}
	evidence := copyDir(t, dir) // as a running server's disk holds it
	require.NoError(t, store.Close())

	before := dirFiles(t, evidence)
	require.NotEmpty(t, before)
	var wal bool
	for name := range before {
		wal = wal || strings.HasSuffix(name, ".log")
	}
	require.True(t, wal, "the copy holds a write-ahead log")

	keys := t.TempDir()
	getenv := func(string) string { return "" }
	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"seal", "keygen", "--name", "auditor", "--dir", keys}, getenv, &out, &errOut))
	steps := []struct {
		name string
		args []string
	}{
		{"verify", []string{"verify", "--store", evidence}},
		{"seal sign", []string{"seal", "sign", "--store", evidence, "--key", filepath.Join(keys, "auditor.skey"), "--out", filepath.Join(keys, "cp")}},
		{"verify --checkpoint", []string{"verify", "--store", evidence, "--checkpoint", filepath.Join(keys, "cp"), "--vkey", filepath.Join(keys, "auditor.vkey")}},
		{"export", []string{"export", "--store", evidence, "--out", filepath.Join(keys, "export.jsonl")}},
	}
	for _, s := range steps {
		out.Reset()
		errOut.Reset()
		require.NoError(t, run(ctx, s.args, getenv, &out, &errOut), "%s: %s%s", s.name, out.String(), errOut.String())
		assertSameFiles(t, before, evidence, s.name)
	}
	exported, err := os.ReadFile(filepath.Join(keys, "export.jsonl"))
	require.NoError(t, err)
	assert.Contains(t, string(exported), "seal.tested.v1", "the export holds the events still in the write-ahead log")
}

// TestReadOnlyStoreRefusesAppends checks that a store opened read-only
// refuses writes and keeps writers out while it is open.
func TestReadOnlyStoreRefusesAppends(t *testing.T) {
	ctx := context.Background()
	dir := buildLedger(t, "50")
	ro, err := pebble.Open(dir, pebble.ReadOnly())
	require.NoError(t, err)
	_, err = ledger.New(ro).Record(ctx, "seal-test", -1, ledger.Actor{ID: "x", Role: "admin"}, "seal.tested.v1", []byte(`{}`))
	require.ErrorIs(t, err, pebble.ErrReadOnly)
	_, err = pebble.Open(dir)
	require.Error(t, err, "a writer waits for the reader")
	require.NoError(t, ro.Close())
}

// tamperStore opens the embedded store in dir with pebble itself, as an
// attacker with the files would, and lets f change its keys and values.
func tamperStore(t *testing.T, dir string, f func(db *pebbledb.DB, events [][2][]byte)) {
	t.Helper()
	db, err := pebbledb.Open(filepath.Join(dir, "pebble"), &pebbledb.Options{})
	require.NoError(t, err)
	it, err := db.NewIter(&pebbledb.IterOptions{LowerBound: []byte{'e'}, UpperBound: []byte{'f'}})
	require.NoError(t, err)
	var events [][2][]byte
	for it.First(); it.Valid(); it.Next() {
		events = append(events, [2][]byte{slices.Clone(it.Key()), slices.Clone(it.Value())})
	}
	require.NoError(t, it.Close())
	f(db, events)
	require.NoError(t, db.Close())
}

// positionKey is the embedded store's key of the event at pos.
func positionKey(pos uint64) []byte { return binary.BigEndian.AppendUint64([]byte{'e'}, pos) }

// verifyOut runs yishi verify with args and returns its output and error.
func verifyOut(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"verify"}, args...), func(string) string { return "" }, &out, &errOut)
	return out.String() + errOut.String(), err
}

// TestVerifyCatchesWhatTheChainsMissed tries on copies of a store what
// verify and the signed checkpoint did not see before: a changed recorded
// time, positions shifted by 1,000, the last events of a stream or of the
// log deleted.
func TestVerifyCatchesWhatTheChainsMissed(t *testing.T) {
	ctx := context.Background()
	dir := buildLedger(t, "300")
	keys := t.TempDir()
	var out, errOut bytes.Buffer
	getenv := func(string) string { return "" }
	require.NoError(t, run(ctx, []string{"seal", "keygen", "--name", "auditor", "--dir", keys}, getenv, &out, &errOut))
	cp := filepath.Join(keys, "cp")
	require.NoError(t, run(ctx, []string{"seal", "sign", "--store", dir, "--key", filepath.Join(keys, "auditor.skey"), "--out", cp}, getenv, &out, &errOut))
	withCheckpoint := []string{"--checkpoint", cp, "--vkey", filepath.Join(keys, "auditor.vkey")}

	got, err := verifyOut(t, append([]string{"--store", dir}, withCheckpoint...)...)
	require.NoError(t, err, got)
	assert.Contains(t, got, "without a gap")
	assert.NotContains(t, got, "note:", "every event of a new ledger covers its recorded time")

	cases := []struct {
		name   string
		tamper func(t *testing.T, db *pebbledb.DB, events [][2][]byte)
		// without and with say what verify reports without and with the
		// checkpoint ("" when it cannot notice).
		without, with string
	}{
		{"recorded time changed", func(t *testing.T, db *pebbledb.DB, events [][2][]byte) {
			k, v := events[len(events)/2][0], events[len(events)/2][1]
			// Value layout: version, revision (uvarint), recorded (varint ns), …
			_, n := binary.Uvarint(v[1:])
			rec, m := binary.Varint(v[1+n:])
			nv := append(slices.Clone(v[:1+n]), binary.AppendVarint(nil, rec+int64(time.Hour))...)
			nv = append(nv, v[1+n+m:]...)
			require.NoError(t, db.Set(k, nv, pebbledb.Sync))
		}, "do not match the event's hash", "do not match the event's hash"},
		{"positions shifted by 1,000", func(t *testing.T, db *pebbledb.DB, events [][2][]byte) {
			for i := len(events) - 1; i >= 0; i-- {
				pos := binary.BigEndian.Uint64(events[i][0][1:])
				require.NoError(t, db.Delete(events[i][0], pebbledb.NoSync))
				require.NoError(t, db.Set(positionKey(pos+1000), events[i][1], pebbledb.NoSync))
			}
			require.NoError(t, db.Flush())
		}, "position 1001 follows position 0", "position 1001 follows position 0"},
		{"last events of the log deleted", func(t *testing.T, db *pebbledb.DB, events [][2][]byte) {
			for _, e := range events[len(events)-3:] {
				require.NoError(t, db.Delete(e[0], pebbledb.Sync))
			}
		}, "", "the log holds"},
		{"last event of a stream deleted in the middle of the log", func(t *testing.T, db *pebbledb.DB, events [][2][]byte) {
			require.NoError(t, db.Delete(lastOfAStream(t, events), pebbledb.Sync))
		}, "events are missing from the log", "events are missing from the log"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evidence := copyDir(t, dir)
			tamperStore(t, evidence, func(db *pebbledb.DB, events [][2][]byte) { c.tamper(t, db, events) })
			got, err := verifyOut(t, "--store", evidence)
			if c.without == "" {
				require.NoError(t, err, "nothing to compare with: %s", got)
			} else {
				require.Error(t, err, got)
				assert.Contains(t, got, c.without)
			}
			got, err = verifyOut(t, append([]string{"--store", evidence}, withCheckpoint...)...)
			require.Error(t, err, got)
			assert.Contains(t, got, c.with)
		})
	}

	// The checkpoint alone (without the chains' position check) catches
	// shifted positions: its signed head is compared with the log's.
	t.Run("checkpoint alone sees shifted positions", func(t *testing.T) {
		evidence := copyDir(t, dir)
		tamperStore(t, evidence, func(db *pebbledb.DB, events [][2][]byte) {
			for i := len(events) - 1; i >= 0; i-- {
				pos := binary.BigEndian.Uint64(events[i][0][1:])
				require.NoError(t, db.Delete(events[i][0], pebbledb.NoSync))
				require.NoError(t, db.Set(positionKey(pos+1000), events[i][1], pebbledb.NoSync))
			}
		})
		c, err := openCheckpoint(cp, filepath.Join(keys, "auditor.vkey"))
		require.NoError(t, err)
		s, err := pebble.Open(evidence, pebble.ReadOnly())
		require.NoError(t, err)
		defer s.Close()
		err = seal.Check(ctx, s, c, nil)
		require.ErrorIs(t, err, seal.ErrMismatch)
		assert.Contains(t, err.Error(), "positions were shifted")
	})
}

// lastOfAStream returns the key of an event in the middle of the log that
// is the last of its stream.
func lastOfAStream(t *testing.T, events [][2][]byte) []byte {
	t.Helper()
	// The stream name follows version, revision, recorded and the 16-byte id.
	stream := func(v []byte) string {
		_, n := binary.Uvarint(v[1:])
		_, m := binary.Varint(v[1+n:])
		rest := v[1+n+m+16:]
		l, k := binary.Uvarint(rest)
		return string(rest[k : k+int(l)])
	}
	last := map[string]int{}
	for i, e := range events {
		last[stream(e[1])] = i
	}
	for i := len(events) / 3; i < len(events)-10; i++ {
		if last[stream(events[i][1])] == i {
			return events[i][0]
		}
	}
	t.Fatal("no stream ends in the middle of the log")
	return nil
}

// TestCopiedLedgerStillVerifies copies a ledger to KurrentDB and back: the
// recorded times travel with the events, so their hashes still hold.
func TestCopiedLedgerStillVerifies(t *testing.T) {
	dir := buildLedger(t, "100")
	srv := kurrenttest.MustStart(t)
	out, err := runCopy(t, dir, srv.ConnectionString())
	require.NoError(t, err, out)
	got, err := verifyOut(t, "--store", srv.ConnectionString())
	require.NoError(t, err, got)
	back := filepath.Join(t.TempDir(), "back")
	out, err = runCopy(t, srv.ConnectionString(), back)
	require.NoError(t, err, out)
	got, err = verifyOut(t, "--store", back)
	require.NoError(t, err, got)
	assert.Contains(t, got, "without a gap")
}

// snapshotViews runs the projections over the store in dir until they have
// caught up, which writes their snapshots to dir/projections.
func snapshotViews(t *testing.T, dir string) {
	t.Helper()
	// As serve does: the views keep personal data sealed.
	s, err := pebble.Open(dir)
	require.NoError(t, err)
	defer s.Close()
	r, err := projections.New(s, projections.Config{Dir: filepath.Join(dir, "projections"), Decode: projections.NewDecoder().Decode})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	require.Eventually(t, r.Ready, 10*time.Second, time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	require.NoError(t, r.Close())
}

// forgeSnapshot replaces old with new in a snapshot's payload and fixes
// the header's size and checksum, so that a server loads it.
func forgeSnapshot(t *testing.T, path, old, new string) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	i := bytes.IndexByte(b, '\n')
	var h map[string]any
	require.NoError(t, json.Unmarshal(b[:i], &h))
	payload := b[i+1:]
	require.Contains(t, string(payload), old)
	payload = bytes.Replace(payload, []byte(old), []byte(new), 1)
	h["size"] = len(payload)
	h["crc32c"] = crc32.Checksum(payload, crc32.MakeTable(crc32.Castagnoli))
	nh, err := json.Marshal(h)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, append(append(nh, '\n'), payload...), 0o640))
}

// forgeTableEntry replaces old with new in the first entry under prefix
// of the table store in dir that holds old.
func forgeTableEntry(t *testing.T, dir, prefix, old, new string) {
	t.Helper()
	db, err := pebbledb.Open(dir, &pebbledb.Options{})
	require.NoError(t, err)
	defer func() { require.NoError(t, db.Close()) }()
	it, err := db.NewIter(&pebbledb.IterOptions{LowerBound: []byte(prefix)})
	require.NoError(t, err)
	var key []byte
	var value string
	for ok := it.First(); ok && strings.HasPrefix(string(it.Key()), prefix); ok = it.Next() {
		if strings.Contains(string(it.Value()), old) {
			key, value = slices.Clone(it.Key()), string(it.Value())
			break
		}
	}
	require.NoError(t, it.Close())
	require.NotNil(t, key, "an entry under %s holding %s", prefix, old)
	require.NoError(t, db.Set(key, []byte(strings.Replace(value, old, new, 1)), pebbledb.Sync))
}

// TestVerifyViews rebuilds the views from the log and compares them with
// the snapshots a server left and with the views it would serve from them:
// they match; a register snapshot with a forged decision head and a
// recomputed checksum, one with a number written long (the same view, not
// the bytes the register writes), and a decision forged in the register's
// table, are named, with the first difference.
func TestVerifyViews(t *testing.T) {
	ctx := context.Background()
	dir := buildLedger(t, "400")
	snapshotViews(t, dir)
	// More events after the snapshots: the served views fold them on.
	var out, errOut bytes.Buffer
	require.NoError(t, run(ctx, []string{"generate", "--data", dir, "--events", "100", "--grids", "10", "--seed", "7",
		"--open-meetings", "1", "--voters", "4", "--writers", "2", "--out", filepath.Join(t.TempDir(), "ids.json")},
		func(string) string { return "" }, &out, &errOut), errOut.String())

	evidence := copyDir(t, dir)
	before := dirFiles(t, evidence)
	got, err := verifyOut(t, "--store", evidence, "--views")
	require.NoError(t, err, got)
	assert.Contains(t, got, "OK: the register snapshot")
	assert.Contains(t, got, "OK: the views served from these snapshots equal the views rebuilt")
	assertSameFiles(t, before, evidence, "verify --views")

	// A snapshot in the form an older build wrote (the directory's JSON),
	// which a server reads and rewrites, is compared as its JSON.
	older := copyDir(t, dir)
	path := filepath.Join(older, "projections", "directory.snap")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	payload := b[bytes.IndexByte(b, '\n')+1:]
	d := projections.NewViews().Directory
	require.NoError(t, d.UnmarshalSnapshot(bytes.NewReader(payload)))
	asJSON, err := projections.Dump(d)
	require.NoError(t, err)
	require.Equal(t, byte('{'), asJSON[0])
	forgeSnapshot(t, path, string(payload), string(asJSON))
	got, err = verifyOut(t, "--store", older, "--views")
	require.NoError(t, err, got)
	assert.Contains(t, got, "OK: the directory snapshot")

	forged := copyDir(t, dir)
	// The register's heads are rows: "vote", the way of deciding its
	// decisions by vote name, is renamed in its dictionary of words.
	forgeSnapshot(t, filepath.Join(forged, "projections", "register.snap"), "\x04vote", "\x04veto")
	got, err = verifyOut(t, "--store", forged, "--views")
	require.Error(t, err, got)
	assert.Contains(t, got, "FAILED: view register at position")
	assert.Contains(t, got, ".h: \"veto\", rebuilt \"vote\"")

	// The same rows with a number written long (3 as two bytes) read as
	// the same view, but are not the bytes the register writes.
	forged = copyDir(t, dir)
	forgeSnapshot(t, filepath.Join(forged, "projections", "register.snap"), "\x03\tconsensus", "\x83\x00\tconsensus")
	got, err = verifyOut(t, "--store", forged, "--views")
	require.Error(t, err, got)
	assert.Contains(t, got, "FAILED: view register at position")
	assert.Contains(t, got, "its bytes from byte")

	// The register keeps its decisions in its tables (projections/state).
	forged = copyDir(t, dir)
	forgeTableEntry(t, filepath.Join(forged, "projections", "state"), "t/register/decisions/", `"result":"adopted"`, `"result":"not_adopted"`)
	got, err = verifyOut(t, "--store", forged, "--views")
	require.Error(t, err, got)
	assert.Contains(t, got, "FAILED: view register at position")
	assert.Contains(t, got, ".result: \"not_adopted\", rebuilt \"adopted\"")

	// The statistics keep what they know of each proposal in their
	// tables (projections/state): an entry changed there is named too.
	forged = copyDir(t, dir)
	forgeTableEntry(t, filepath.Join(forged, "projections", "state"), "t/stats/proposals/", `"g":"`, `"g":"forged-`)
	got, err = verifyOut(t, "--store", forged, "--views")
	require.Error(t, err, got)
	assert.Contains(t, got, "FAILED: view stats at position")
	assert.Contains(t, got, "the snapshot differs")
	assert.Contains(t, got, "forged-")

	// Snapshots of another ledger are not compared (a server would not
	// load them); the served views are then the rebuilt ones.
	other := buildLedger(t, "50")
	snapshotViews(t, other)
	got, err = verifyOut(t, "--store", evidence, "--views", "--snapshots", filepath.Join(other, "projections"))
	require.NoError(t, err, got)
	assert.Contains(t, got, "note: register snapshot not compared: not of this log")
}

// TestSnapshotsDoNotTravelWithACopy copies a ledger to KurrentDB, where
// its events get other positions, and starts the projections there from
// the embedded store's snapshots: they are discarded, loudly, and the
// views rebuilt.
func TestSnapshotsDoNotTravelWithACopy(t *testing.T) {
	ctx := context.Background()
	dir := buildLedger(t, "100")
	snapshotViews(t, dir)
	srv := kurrenttest.MustStart(t)
	out, err := runCopy(t, dir, srv.ConnectionString())
	require.NoError(t, err, out)
	s, _, err := openStore(ctx, srv.ConnectionString())
	require.NoError(t, err)
	defer s.Close()
	var logged bytes.Buffer
	r, err := projections.New(s, projections.Config{Dir: copyDir(t, filepath.Join(dir, "projections")), Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	require.NoError(t, err)
	assert.Contains(t, logged.String(), "do not belong to this log")
	assert.Zero(t, r.Position(), "rebuilt from the start")
}

// withServer runs yishi serve on dir, calls f with its URL once /readyz
// answers 200 (and what /readyz said), stops it, and returns what the
// server logged.
func withServer(t *testing.T, dir string, f func(base string, ready map[string]any)) (logged string) {
	t.Helper()
	out, errOut, stop := serving(t, dir)
	defer func() {
		stop()
		logged = errOut.String() // with what the stop logged
	}()
	var base string
	require.Eventually(t, func() bool {
		m := listening.FindStringSubmatch(out.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	}, 60*time.Second, 20*time.Millisecond, "server did not start:\n%s\n%s", out.String(), errOut.String())
	var ready map[string]any
	require.Eventually(t, func() bool {
		res, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		defer res.Body.Close()
		ready = nil
		return res.StatusCode == http.StatusOK && json.NewDecoder(res.Body).Decode(&ready) == nil
	}, 30*time.Second, 20*time.Millisecond)
	f(base, ready)
	return errOut.String()
}

// serving starts yishi serve on dir and returns what it prints and logs
// as it goes, and the function that stops it (and fails t if it did not
// stop cleanly).
func serving(t *testing.T, dir string) (out, errOut *lockedBuffer, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut = new(lockedBuffer), new(lockedBuffer)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}, func(string) string { return "" }, out, errOut)
	}()
	return out, errOut, func() {
		cancel()
		require.NoError(t, <-done)
	}
}

// serveUntilReady runs yishi serve on dir until /readyz answers 200, stops
// it, and returns what /readyz said and what the server logged.
func serveUntilReady(t *testing.T, dir string) (map[string]any, string) {
	t.Helper()
	var ready map[string]any
	logged := withServer(t, dir, func(_ string, r map[string]any) { ready = r })
	return ready, logged
}

// TestServeAfterRestoringAnOlderLog is issue 10.3 with the binary: the
// log restored from an older backup under newer snapshots. The server says
// once that it discards them, and is ready at the log's true head.
func TestServeAfterRestoringAnOlderLog(t *testing.T) {
	dir := buildLedger(t, "200")
	first, _ := serveUntilReady(t, dir)
	backup := filepath.Join(t.TempDir(), "pebble")
	copyTo(t, filepath.Join(dir, "pebble"), backup)

	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"generate", "--data", dir, "--events", "100", "--grids", "10", "--seed", "3",
		"--open-meetings", "1", "--voters", "4", "--writers", "2", "--out", filepath.Join(t.TempDir(), "ids.json")},
		func(string) string { return "" }, &out, &errOut), errOut.String())
	newer, _ := serveUntilReady(t, dir)
	require.Greater(t, newer["head"], first["head"])

	require.NoError(t, os.RemoveAll(filepath.Join(dir, "pebble")))
	copyTo(t, backup, filepath.Join(dir, "pebble"))
	restored, logged := serveUntilReady(t, dir)
	assert.Equal(t, first["head"], restored["head"], "the restored log's head")
	assert.Equal(t, restored["head"], restored["position"], "ready at the true head, not at the snapshots' position")
	assert.Equal(t, 1, strings.Count(logged, "do not belong to this log"), logged)
}
