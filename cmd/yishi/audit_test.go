package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	pebbledb "github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	yhttp "github.com/yishi-civic/yishi/http"
	"github.com/yishi-civic/yishi/ledger"
)

// yishi runs the binary's run with args and returns its output (stdout
// then stderr) and error.
func yishi(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut)
	return out.String() + errOut.String(), err
}

// yishiOK is yishi that must succeed; it returns standard output only.
func yishiOK(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, &out, &errOut)
	require.NoError(t, err, "yishi %s:\n%s%s", strings.Join(args, " "), out.String(), errOut.String())
	return out.String()
}

// atSeconds finds the seconds' last digit of an "at" time in event data.
var atSeconds = regexp.MustCompile(`"at":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d(\d)`)

// rewriteEvent changes one digit of the recorded "at" time in the data of
// an event early in the log that is the last of its stream, and, when
// rehash is set, recomputes its chain hash as a forger who knows the
// scheme would (nothing links to it, so every chain still holds), and
// deletes the Merkle tree the server saved at its last stop, whose leaf
// still holds the old hash (the server would serve the old tree). It
// returns the event's position and stream.
func rewriteEvent(t *testing.T, dir string, before eventstore.Position, rehash bool) (eventstore.Position, string) {
	t.Helper()
	s, err := pebble.Open(dir, pebble.ReadOnly())
	require.NoError(t, err)
	var events []eventstore.Event
	last := map[string]int{}
	for ev, err := range s.ReadAll(context.Background(), eventstore.ReadAllOptions{}) {
		require.NoError(t, err)
		last[ev.Stream] = len(events)
		events = append(events, ev)
	}
	require.NoError(t, s.Close())
	var victim *eventstore.Event
	for i := len(events) / 4; i < len(events); i++ {
		if last[events[i].Stream] == i && events[i].Position < before && atSeconds.Match(events[i].Data) {
			victim = &events[i]
			break
		}
	}
	require.NotNil(t, victim, "an event to rewrite")
	m := atSeconds.FindSubmatchIndex(victim.Data)
	data := bytes.Clone(victim.Data)
	data[m[2]] = '0' + (data[m[2]]-'0'+1)%10
	oldHash := victim.Metadata.Hash
	newHash := ledger.ChainHash(victim.Metadata.PrevHash, victim.Stream, victim.Revision, victim.ID, victim.Type, data, victim.Metadata, victim.Recorded)
	tamperStore(t, dir, func(db *pebbledb.DB, _ [][2][]byte) {
		key := positionKey(uint64(victim.Position))
		v, closer, err := db.Get(key)
		require.NoError(t, err)
		value := bytes.Clone(v)
		require.NoError(t, closer.Close())
		require.True(t, bytes.HasSuffix(value, victim.Data))
		value = append(value[:len(value)-len(victim.Data)], data...)
		if rehash {
			require.Equal(t, 1, bytes.Count(value, []byte(oldHash)))
			value = bytes.Replace(value, []byte(oldHash), []byte(newHash), 1)
		}
		require.NoError(t, db.Set(key, value, pebbledb.Sync))
	})
	if rehash {
		require.NoError(t, os.Remove(filepath.Join(dir, "seal", "tree.snap")))
	}
	return victim.Position, victim.Stream
}

// witnessCheckpoints reads GET /v1/checkpoints.
func witnessCheckpoints(t *testing.T, base string) yhttp.CheckpointList {
	t.Helper()
	res, err := http.Get(base + "/v1/checkpoints")
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode)
	var list yhttp.CheckpointList
	require.NoError(t, json.NewDecoder(res.Body).Decode(&list))
	return list
}

// TestAuditFromAnotherMachine audits a served ledger with nothing but its
// URL, an auditor's token and what the last audit kept; a witness cosigns
// along and sends its cosignatures back to the server, which lists them.
// Then someone with the server's files rewrites an event and
// recomputes its hash: the chains still hold and a fresh audit finds
// nothing, but the kept audit names the event, the witness refuses to
// sign, the server's list shows the witnessed checkpoint no longer
// matching its log, and an audit given the witness's checkpoint fails. Rewriting an
// event without its hash is named by any audit.
func TestAuditFromAnotherMachine(t *testing.T) {
	dir := buildLedger(t, "300")
	token := strings.TrimSpace(yishiOK(t, "token", "create", "--data", dir, "--role", "auditor"))
	admin := strings.TrimSpace(yishiOK(t, "token", "create", "--data", dir, "--role", "admin"))
	keep := filepath.Join(t.TempDir(), "audit")
	wdir := t.TempDir()
	yishiOK(t, "seal", "keygen", "--name", "street-office", "--dir", wdir)
	witnessed := filepath.Join(wdir, "witnessed")
	cosign := func(base string) (string, error) {
		return yishi(t, "seal", "cosign", "--url", base, "--key", filepath.Join(wdir, "street-office.skey"),
			"--vkey", filepath.Join(dir, "seal", "server.vkey"), "--keep", witnessed)
	}
	auditArgs := func(base string, more ...string) []string {
		return append([]string{"audit", "--url", base, "--token", token}, more...)
	}

	var size int64
	withServer(t, dir, func(base string, _ map[string]any) {
		out := yishiOK(t, auditArgs(base, "--keep", keep)...)
		assert.Contains(t, out, "pinning the server's own")
		assert.Regexp(t, `OK: the log of "yishi" holds \d+ events`, out)
		_, err := fmt.Sscanf(out[strings.Index(out, "holds ")+len("holds "):], "%d", &size)
		require.NoError(t, err)
		pinned, err := os.ReadFile(filepath.Join(keep, "server.vkey"))
		require.NoError(t, err)
		served, err := os.ReadFile(filepath.Join(dir, "seal", "server.vkey"))
		require.NoError(t, err)
		assert.Equal(t, string(served), string(pinned), "the key pinned is the one serve created beside the data")

		out, err = cosign(base)
		require.Error(t, err, "the server does not know the witness yet")
		assert.Contains(t, err.Error(), "no registered witness signed it")
		assert.Contains(t, out, "its first checkpoint", "the witness signed and kept it all the same")
		wkey, err := os.ReadFile(filepath.Join(wdir, "street-office.vkey"))
		require.NoError(t, err)
		body, err := json.Marshal(map[string]string{"key": string(wkey)})
		require.NoError(t, err)
		req, err := http.NewRequest(http.MethodPut, base+"/v1/witnesses/street-office", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+admin)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.NoError(t, res.Body.Close())
		require.Equal(t, http.StatusOK, res.StatusCode, "an admin registers the witness")
		out, err = cosign(base)
		require.NoError(t, err, out)
		assert.Contains(t, out, "consistent with the") // it kept its signature the first time
		assert.Contains(t, out, "the server keeps it")
		list := witnessCheckpoints(t, base)
		require.Len(t, list.Witnesses, 1)
		assert.Equal(t, yhttp.WitnessInfo{Name: "street-office", Key: strings.TrimSpace(string(wkey)), LatestSize: size, LatestMatches: true}, list.Witnesses[0])
		require.NotEmpty(t, list.Items)
		assert.Equal(t, size, list.Items[0].Size)
		assert.True(t, list.Items[0].Latest && list.Items[0].MatchesLog)
		assert.Equal(t, []string{"street-office"}, list.Items[0].CosignedBy)
		wv, err := note.NewVerifier(strings.TrimSpace(string(wkey)))
		require.NoError(t, err)
		sv, err := note.NewVerifier(strings.TrimSpace(string(served)))
		require.NoError(t, err)
		n, err := note.Open([]byte(list.Items[0].Note), note.VerifierList(sv, wv))
		require.NoError(t, err, "the listed note carries both signatures")
		assert.Len(t, n.Sigs, 2)
		out = yishiOK(t, auditArgs(base, "--keep", keep)...)
		assert.Contains(t, out, fmt.Sprintf("extends the checkpoint of %d events kept", size))
		assert.Contains(t, out, "OK: 0 new events checked")
	})

	yishiOK(t, "generate", "--data", dir, "--events", "60", "--grids", "10", "--seed", "3",
		"--open-meetings", "1", "--voters", "4", "--writers", "2", "--out", filepath.Join(t.TempDir(), "ids.json"))
	withServer(t, dir, func(base string, _ map[string]any) {
		out := yishiOK(t, auditArgs(base, "--keep", keep, "--witness", filepath.Join(witnessed, "latest.note"),
			"--witness-key", filepath.Join(wdir, "street-office.vkey"))...)
		assert.Contains(t, out, fmt.Sprintf("extends the checkpoint of %d events kept", size))
		assert.Contains(t, out, fmt.Sprintf("extends the checkpoint of %d events cosigned by street-office", size))
		assert.NotContains(t, out, "OK: 0 new events")
		out, err := cosign(base)
		require.NoError(t, err, out)
		assert.Contains(t, out, fmt.Sprintf("consistent with the %d events signed before", size))
	})

	naive := copyDir(t, dir)
	pos, stream := rewriteEvent(t, dir, eventstore.Position(size), true)
	withServer(t, dir, func(base string, _ map[string]any) {
		vkey := filepath.Join(keep, "server.vkey")
		out, err := yishi(t, auditArgs(base, "--vkey", vkey)...)
		require.NoError(t, err, "the forger recomputed the hash: the chains and the server's new tree agree\n%s", out)

		out, err = yishi(t, auditArgs(base, "--keep", keep)...)
		require.Error(t, err, out)
		assert.Contains(t, out, "does not extend the one of")
		assert.Regexp(t, fmt.Sprintf(`FAILED at leaf \d+ \(position %d, event %s@\d+ `, pos, regexp.QuoteMeta(stream)), out, "names the rewritten event")

		out, err = cosign(base)
		require.Error(t, err, out)
		assert.Contains(t, out, "REFUSED")
		refused, _ := filepath.Glob(filepath.Join(witnessed, "refused-*.note"))
		assert.Len(t, refused, 1, "the witness keeps the evidence")
		list := witnessCheckpoints(t, base)
		require.Len(t, list.Witnesses, 1)
		assert.False(t, list.Witnesses[0].LatestMatches, "the server's own list shows the fork")
		for _, it := range list.Items {
			if !it.Latest {
				assert.False(t, it.MatchesLog, "the checkpoint of %d events the witness signed no longer matches the log", it.Size)
			}
		}
		// The witness's old cosignature is refused as not of this log.
		old, err := os.ReadFile(filepath.Join(witnessed, "latest.note"))
		require.NoError(t, err)
		res, err := http.Post(base+"/v1/checkpoints/cosigned", "text/plain", bytes.NewReader(old))
		require.NoError(t, err)
		require.NoError(t, res.Body.Close())
		assert.Equal(t, http.StatusConflict, res.StatusCode)

		out, err = yishi(t, auditArgs(base, "--vkey", vkey, "--witness", filepath.Join(witnessed, "latest.note"))...)
		require.Error(t, err, out)
		assert.Contains(t, out, "cosigned by street-office (key not given)")
	})

	pos, stream = rewriteEvent(t, naive, eventstore.Position(size), false)
	withServer(t, naive, func(base string, _ map[string]any) {
		out, err := yishi(t, auditArgs(base, "--vkey", filepath.Join(keep, "server.vkey"))...)
		require.Error(t, err, out)
		assert.Regexp(t, fmt.Sprintf(`FAILED at leaf \d+: event %s@\d+ \(position %d\) fails verification: stored bytes`, regexp.QuoteMeta(stream), pos), out)
	})

	out, err := yishi(t, "audit", "--url", "ftp://x")
	require.Error(t, err, out)
	_, err = yishi(t, "audit", "--url", "http://127.0.0.1:1")
	require.ErrorContains(t, err, "--vkey")
}

// TestServeKeepsTheMerkleTree: a stop saves the tree of the log beside
// the server's key, and the next start loads it instead of hashing the
// whole log again; a saved tree that does not match the log is set aside
// with a warning, and the tree is built from the log.
func TestServeKeepsTheMerkleTree(t *testing.T) {
	dir := buildLedger(t, "100")
	first := withServer(t, dir, func(string, map[string]any) {
		// Hashed from the whole log, the tree is saved and read from its
		// file as soon as it has caught up, not only at the stop.
		require.Eventually(t, func() bool {
			_, err := os.Stat(filepath.Join(dir, "seal", "tree.snap"))
			return err == nil
		}, 10*time.Second, 10*time.Millisecond)
	})
	require.NotContains(t, first, "Merkle tree loaded")
	require.FileExists(t, filepath.Join(dir, "seal", "tree.snap"))
	require.Contains(t, first, "its file holds every event; not saved again", "spilled when it caught up, nothing new at the stop")
	saved, err := os.ReadFile(filepath.Join(dir, "seal", "tree.snap"))
	require.NoError(t, err)
	second := withServer(t, dir, func(string, map[string]any) {})
	require.Contains(t, second, "Merkle tree loaded")
	require.Contains(t, second, "not saved again")

	// Events appended while it was stopped are on the heap at the next
	// stop, which saves the tree with them.
	var out, errOut bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"generate", "--data", dir, "--events", "50", "--grids", "10", "--seed", "5",
		"--open-meetings", "1", "--voters", "4", "--out", filepath.Join(t.TempDir(), "ids.json")},
		func(string) string { return "" }, &out, &errOut), errOut.String())
	grown := withServer(t, dir, func(string, map[string]any) {})
	require.Contains(t, grown, "Merkle tree loaded")
	require.NotContains(t, grown, "not saved again")
	now, err := os.ReadFile(filepath.Join(dir, "seal", "tree.snap"))
	require.NoError(t, err)
	require.Greater(t, len(now), len(saved), "saved with the events added")
	require.Contains(t, withServer(t, dir, func(string, map[string]any) {}), "not saved again")
	// A file removed while the server runs is written again at the stop.
	withServer(t, dir, func(string, map[string]any) {
		require.NoError(t, os.Remove(filepath.Join(dir, "seal", "tree.snap")))
	})
	require.FileExists(t, filepath.Join(dir, "seal", "tree.snap"))

	other := buildLedger(t, "60")
	require.NoError(t, os.MkdirAll(filepath.Join(other, "seal"), 0o700))
	raw, err := os.ReadFile(filepath.Join(dir, "seal", "tree.snap"))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(other, "seal", "tree.snap"), raw, 0o600))
	third := withServer(t, other, func(string, map[string]any) {
		// The tree hashed again from this log is saved over the other one
		// while the server runs.
		require.Eventually(t, func() bool {
			now, err := os.ReadFile(filepath.Join(other, "seal", "tree.snap"))
			return err == nil && !bytes.Equal(now, raw)
		}, 10*time.Second, 10*time.Millisecond)
	})
	require.Contains(t, third, "saved Merkle tree not used")
	require.NotContains(t, third, "Merkle tree loaded")
}
