package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestVerifyViewsNeedsNoKeys: a server's views keep personal data sealed,
// as the log stores it (opened only when an answer is read), so verify
// --views rebuilds the same views from an evidence copy that carries no
// key store at all, and changes nothing in it.
func TestVerifyViewsNeedsNoKeys(t *testing.T) {
	dir := buildLedger(t, "300")
	snapshotViews(t, dir)
	evidence := copyDir(t, dir)
	require.NoError(t, os.RemoveAll(filepath.Join(evidence, "keys")))
	before := dirFiles(t, evidence)
	got, err := verifyOut(t, "--store", evidence, "--views")
	require.NoError(t, err, got)
	require.Contains(t, got, "OK: the views served from these snapshots equal the views rebuilt")
	assertSameFiles(t, before, evidence, "verify --views without a key store")
}
