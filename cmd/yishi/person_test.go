package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/internal/answershelf"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
)

// sealedLedger writes a proposal by 张三 (r1) supported by 李四 (r2) into
// a fresh data directory with its key store, as serve would.
func sealedLedger(t *testing.T, dir string, at time.Time) {
	t.Helper()
	ctx := context.Background()
	store, err := pebble.Open(dir, pebble.WithNow(func() time.Time { return at }))
	require.NoError(t, err)
	kd, err := privacy.OpenKeyDir(filepath.Join(dir, "keys"))
	require.NoError(t, err)
	l := ledger.New(store, ledger.WithSealer(privacy.NewSealer(kd)), ledger.WithClock(func() time.Time { return at }))
	actor := ledger.Actor{ID: "worker-1", Role: "grid_worker"}
	_, err = l.Execute(ctx, domain.SubmitProposal{ProposalID: "p1", CommunityID: "hengyuan", GridID: "g1", Title: "停车棚夹道乱堆乱放",
		Text: "我家3号楼2单元501室门口堆满杂物", Category: "环境", Place: "3号院车棚", Channel: domain.ChannelVisit,
		Author: domain.Party{Kind: domain.PartyPerson, ID: "r1", Name: "张三"}}, actor, ledger.Options{})
	require.NoError(t, err)
	_, err = l.Execute(ctx, domain.SupportProposal{ProposalID: "p1", PersonID: "r2", Name: "李四"}, actor, ledger.Options{})
	require.NoError(t, err)
	_, err = l.Execute(ctx, domain.WithdrawProposal{ProposalID: "p1", PersonID: "r1", Reason: "已自行清理"}, ledger.Actor{ID: "r1", Role: "resident"}, ledger.Options{})
	require.NoError(t, err)
	require.NoError(t, kd.Close())
	require.NoError(t, store.Close())
}

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, &stdout, &stderr)
	return stdout.String() + stderr.String(), err
}

func TestPersonCommands(t *testing.T) {
	dir := t.TempDir()
	sealedLedger(t, dir, time.Now().UTC())
	out, err := runCLI(t, "person", "export", "--data", dir, "--person", "r1")
	require.NoError(t, err, out)
	require.Contains(t, out, "张三")
	require.Contains(t, out, "501室")
	require.NotContains(t, out, "李四", "another person's data is withheld")

	// An open-data export holds no plaintext and no key; a backup export
	// writes the keys to their own file.
	exp := filepath.Join(t.TempDir(), "events.jsonl")
	out, err = runCLI(t, "export", "--store", dir, "--out", exp)
	require.NoError(t, err, out)
	b, err := os.ReadFile(exp)
	require.NoError(t, err)
	require.NotContains(t, string(b), "张三")
	require.NotContains(t, string(b), "501室")
	require.Contains(t, string(b), "sealed:v2:")
	keyFile := filepath.Join(t.TempDir(), "keys.jsonl")
	out, err = runCLI(t, "export", "--store", dir, "--out", exp, "--with-keys", keyFile)
	require.NoError(t, err, out)
	require.Contains(t, out, "exported 3 keys")

	// A copy without keys reads as erased; with keys it reads in full.
	bare, full := filepath.Join(t.TempDir(), "bare"), filepath.Join(t.TempDir(), "full")
	out, err = runCLI(t, "copy", "--from", dir, "--to", bare)
	require.NoError(t, err, out)
	require.Contains(t, out, "keys not copied")
	out, err = runCLI(t, "person", "export", "--data", bare, "--person", "r1")
	require.NoError(t, err, out)
	require.NotContains(t, out, "张三")
	out, err = runCLI(t, "copy", "--from", dir, "--to", full, "--with-keys")
	require.NoError(t, err, out)
	out, err = runCLI(t, "person", "export", "--data", full, "--person", "r1")
	require.NoError(t, err, out)
	require.Contains(t, out, "张三")

	// Erase r1: the export now says so, the data is gone, the chain holds.
	// The views' snapshots keep personal data sealed and stay; one of a
	// version that held it in plaintext goes.
	snapshotViews(t, dir)
	snaps, err := filepath.Glob(filepath.Join(dir, "projections", "*.snap"))
	require.NoError(t, err)
	require.NotEmpty(t, snaps)
	old := filepath.Join(dir, "projections", "old.snap")
	require.NoError(t, os.WriteFile(old, []byte(`{"format":2,"view":"old","version":1}`+"\n张三"), 0o600))
	// The public answers kept on disk go too (the shelf reopened with
	// the same stamp would keep them).
	shelfDir := filepath.Join(dir, "answers")
	withShelf := func(do func(*answershelf.Shelf)) {
		t.Helper()
		kd, err := privacy.OpenKeyDir(filepath.Join(dir, "keys"))
		require.NoError(t, err)
		shelf, err := answershelf.Open(context.Background(), shelfDir, "", kd, slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		do(shelf)
		require.NoError(t, shelf.Close())
		require.NoError(t, kd.Close())
	}
	withShelf(func(shelf *answershelf.Shelf) {
		require.NoError(t, shelf.Put(0, "p1", "v", []byte(`{"author":"张*"}`)))
	})
	out, err = runCLI(t, "person", "erase", "--data", dir, "--person", "r1", "--reason", "本人申请删除")
	require.NoError(t, err, out)
	require.Contains(t, out, "person r1 erased")
	withShelf(func(shelf *answershelf.Shelf) {
		_, kept, err := shelf.Get(0, "p1", "v")
		require.NoError(t, err)
		require.False(t, kept, "the erasure left the public answers kept on disk")
	})
	require.Contains(t, out, "1 view snapshots of an older version")
	require.NoFileExists(t, old)
	for _, f := range snaps {
		require.FileExists(t, f)
	}
	out, err = runCLI(t, "person", "export", "--data", dir, "--person", "r1")
	require.NoError(t, err, out)
	require.Contains(t, out, `"erased": true`)
	require.NotContains(t, out, "张三")
	require.NotContains(t, out, "501室")
	require.Contains(t, out, privacy.ErasedName)
	out, err = runCLI(t, "verify", "--store", dir)
	require.NoError(t, err, out)

	// Restoring the old key file brings nothing back: the log's erasure wins.
	out, err = runCLI(t, "person", "import-keys", "--data", dir, "--in", keyFile)
	require.NoError(t, err, out)
	require.Contains(t, out, "1 recorded erasures re-applied")
	out, err = runCLI(t, "person", "export", "--data", dir, "--person", "r1")
	require.NoError(t, err, out)
	require.NotContains(t, out, "张三")
}

func TestPersonRetention(t *testing.T) {
	dir := t.TempDir()
	sealedLedger(t, dir, time.Now().UTC())
	later := time.Now().UTC().AddDate(4, 0, 0).Format(time.RFC3339)
	out, err := runCLI(t, "person", "retention", "--data", dir, "--dry-run")
	require.NoError(t, err, out)
	require.Contains(t, out, "0 erasures due", "nothing is due today")
	out, err = runCLI(t, "person", "retention", "--data", dir, "--dry-run", "--at", later)
	require.NoError(t, err, out)
	require.Contains(t, out, "proposal_text\titem proposal-p1")
	require.NotContains(t, out, "inactive_person", "people are kept 5 years by default")
	require.Contains(t, out, "1 erasures due (dry run")
	out, err = runCLI(t, "person", "retention", "--data", dir, "--inactive-person", "4y", "--dry-run", "--at", later)
	require.NoError(t, err, out)
	require.Contains(t, out, "inactive_person\tperson r1")
	require.Contains(t, out, "inactive_person\tperson r2")

	out, err = runCLI(t, "person", "retention", "--data", dir, "--at", later)
	require.NoError(t, err, out)
	require.Contains(t, out, "retention: 1 of 1 due erasures done")
	out, err = runCLI(t, "person", "export", "--data", dir, "--person", "r1")
	require.NoError(t, err, out)
	require.Contains(t, out, "张三", "the item's erasure keeps its author's name")
	require.NotContains(t, out, "501室")
	out, err = runCLI(t, "person", "retention", "--data", dir, "--dry-run", "--at", later)
	require.NoError(t, err, out)
	require.True(t, strings.Contains(out, "0 erasures due"), out)
	out, err = runCLI(t, "verify", "--store", dir)
	require.NoError(t, err, out)
}
