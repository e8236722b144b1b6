package main

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/ledger"
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
	return dst
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
