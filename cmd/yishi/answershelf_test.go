package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/internal/answershelf"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
)

// TestAServerRunsWithoutAShelfThatDoesNotOpen: a shelf another process
// holds is neither used nor removed; a free one is opened.
func TestAServerRunsWithoutAShelfThatDoesNotOpen(t *testing.T) {
	dir := t.TempDir()
	log := slog.New(slog.DiscardHandler)
	keys := privacy.NewMemoryKeys()
	held, err := answershelf.Open(context.Background(), dir, "s", keys, log)
	require.NoError(t, err)
	require.NoError(t, held.Put(0, "p1", "v", []byte("{}")))
	require.Nil(t, openAnswerShelf(context.Background(), dir, "s", keys, log))
	_, ok, err := held.Get(0, "p1", "v")
	require.NoError(t, err)
	require.True(t, ok, "the shelf in use was left as it was")
	require.NoError(t, held.Close())

	s := openAnswerShelf(context.Background(), dir, "s", keys, log)
	require.NotNil(t, s)
	_, ok, err = s.Get(0, "p1", "v")
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, s.Close())
}

// TestAStartAfterAnErasureRecordedMeanwhileEmptiesTheShelf: serve keeps a
// public page on its shelf; while it is stopped, an erasure is recorded
// in the log by another writer (another replica; not the CLI, which
// empties the shelf itself); the next start answers the page with the
// person erased, not from the shelf.
func TestAStartAfterAnErasureRecordedMeanwhileEmptiesTheShelf(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	record := func(do func(l *ledger.Ledger)) { t.Helper(); recordIn(t, dir, do) }
	id := submitIn(t, dir)
	// read reads the proposal's public timeline in a server started for
	// it, and says whether it came from the shelf.
	read := func() (string, bool) {
		t.Helper()
		var page, metrics string
		// Without preparing the pages ahead: whether a read is answered
		// from the shelf depends on the reads before it alone.
		serveWhile(t, dir, []string{"--prepare-answers=false"}, func(base, metricsBase string) {
			res, err := http.Get(base + "/v1/proposals/" + id + "/timeline")
			require.NoError(t, err)
			defer res.Body.Close()
			var b json.RawMessage
			require.NoError(t, json.NewDecoder(res.Body).Decode(&b))
			require.Equal(t, http.StatusOK, res.StatusCode, "%s", b)
			page = string(b)
			mr, err := http.Get(metricsBase + "/metrics")
			require.NoError(t, err)
			defer mr.Body.Close()
			mb, err := io.ReadAll(mr.Body)
			require.NoError(t, err)
			metrics = string(mb)
		})
		return page, strings.Contains(metrics, `yishi_answer_shelf_reads_total{answer="timeline_page",outcome="hit"} 1`)
	}
	page, shelved := read()
	require.Contains(t, page, "张*")
	require.False(t, shelved)
	page, shelved = read()
	require.Contains(t, page, "张*")
	require.True(t, shelved, "a read after a restart is answered from the shelf")

	record(func(l *ledger.Ledger) {
		_, err := l.Erase(ctx, domain.EraseData{Subject: domain.ErasePerson, ID: "r1", Ground: "request", Reason: "本人申请删除", By: "admin-1"},
			ledger.Actor{ID: "admin-1", Role: "admin"}, ledger.Options{})
		require.NoError(t, err)
	})

	page, shelved = read()
	require.False(t, shelved)
	require.NotContains(t, page, "张")
	require.Contains(t, page, privacy.ErasedName)
	// The next start (its sealer past the erasure it re-applied) answers
	// from the shelf again.
	page, shelved = read()
	require.True(t, shelved)
	require.NotContains(t, page, "张")
}

// recordIn has do record in the ledger in dir, as another writer would.
func recordIn(t *testing.T, dir string, do func(l *ledger.Ledger)) {
	t.Helper()
	store, err := pebble.Open(dir)
	require.NoError(t, err)
	kd, err := privacy.OpenKeyDir(filepath.Join(dir, "keys"))
	require.NoError(t, err)
	do(ledger.New(store, ledger.WithSealer(privacy.NewSealer(kd))))
	require.NoError(t, kd.Close())
	require.NoError(t, store.Close())
}

// submitIn records a proposal by 张三 in the ledger in dir and returns
// its id.
func submitIn(t *testing.T, dir string) string {
	t.Helper()
	id := uuid.NewString()
	recordIn(t, dir, func(l *ledger.Ledger) {
		_, err := l.Execute(context.Background(), domain.SubmitProposal{ProposalID: id, CommunityID: "hengyuan", GridID: "g1", Title: "停车棚夹道乱堆乱放",
			Text: "车棚夹道堆满杂物", Category: "环境", Place: "3号院车棚", Channel: domain.ChannelVisit,
			Author: domain.Party{Kind: domain.PartyPerson, ID: "r1", Name: "张三"}}, ledger.Actor{ID: "worker-1", Role: "grid_worker"}, ledger.Options{})
		require.NoError(t, err)
	})
	return id
}

// TestAServerPreparesThePublicPagesAhead: serve, by default, puts a
// story's public first page on the shelf before anyone reads it, and the
// first read is answered from there.
func TestAServerPreparesThePublicPagesAhead(t *testing.T) {
	dir := t.TempDir()
	id := submitIn(t, dir)
	serveWhile(t, dir, nil, func(base, metricsBase string) {
		metrics := func() string {
			res, err := http.Get(metricsBase + "/metrics")
			require.NoError(t, err)
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			require.NoError(t, err)
			return string(b)
		}
		require.Eventually(t, func() bool { return strings.Contains(metrics(), "yishi_answers_prepared_total 1\n") },
			30*time.Second, 20*time.Millisecond, "no page was prepared")
		res, err := http.Get(base + "/v1/proposals/" + id + "/timeline")
		require.NoError(t, err)
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, res.StatusCode, "%s", b)
		require.Contains(t, string(b), "张*")
		m := metrics()
		require.Contains(t, m, `yishi_answer_shelf_reads_total{answer="timeline_page",outcome="hit"} 1`, "the first read was not answered from the shelf")
		require.NotContains(t, m, `yishi_answer_shelf_reads_total{answer="timeline_page",outcome="miss"}`)
	})
}

var metricsOn = regexp.MustCompile(`yishi metrics on (http://\S+)/metrics`)

// serveWhile runs serve on dir with the flags more, calls fn with its base
// URL and its metrics' once it is ready, and stops it.
func serveWhile(t *testing.T, dir string, more []string, fn func(base, metricsBase string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut lockedBuffer
	done := make(chan error, 1)
	go func() {
		args := append([]string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"}, more...)
		done <- run(ctx, args, func(string) string { return "" }, &out, &errOut)
	}()
	var base string
	require.Eventually(t, func() bool {
		m := listening.FindStringSubmatch(out.String())
		if m == nil {
			return false
		}
		base = m[1]
		res, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 60*time.Second, 20*time.Millisecond, "server did not start:\n%s\n%s", out.String(), errOut.String())
	m := metricsOn.FindStringSubmatch(out.String())
	require.NotNil(t, m, out.String())
	fn(base, m[1])
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, errOut.String())
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	require.False(t, strings.Contains(errOut.String(), "answer shelf did not open"), errOut.String())
}

// TestKeyBackupsLeaveTheShelfKeysOut: a key file written for a backup,
// a copy of the keys and an import skip the shelves' keys: a key store
// restored from a backup must not bring one back after an erasure
// destroyed it.
func TestKeyBackupsLeaveTheShelfKeysOut(t *testing.T) {
	ctx := context.Background()
	src := privacy.NewMemoryKeys()
	_, err := src.Ensure(ctx, []string{"person/r1", answershelf.KeyPrefix + "s1"})
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "keys.jsonl")
	n, err := writeKeyFile(ctx, src, file)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.NotContains(t, string(b), answershelf.KeyPrefix)

	dst := privacy.NewMemoryKeys()
	n, err = copyKeys(ctx, src, dst)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = dst.Key(ctx, answershelf.KeyPrefix+"s1")
	require.ErrorIs(t, err, privacy.ErrNoKey)

	k, err := src.Key(ctx, answershelf.KeyPrefix+"s1")
	require.NoError(t, err)
	line, err := json.Marshal(keyLine{ID: answershelf.KeyPrefix + "s2", Key: k})
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(file, append(append(b, line...), '\n'), 0o600))
	into := privacy.NewMemoryKeys()
	n, err = readKeyFile(ctx, into, file)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	_, err = into.Key(ctx, answershelf.KeyPrefix+"s2")
	require.ErrorIs(t, err, privacy.ErrNoKey)
}
