package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestVerifyViewsOpensSealedData: a server's views hold personal data
// opened with the key store, so verify --views must open it too (read-only)
// to rebuild the same views; before, every fresh demo failed with
// "rebuilt \"sealed:v1:…\"".
func TestVerifyViewsOpensSealedData(t *testing.T) {
	dir := buildLedger(t, "300")
	snapshotViews(t, dir)
	evidence := copyDir(t, dir)
	before := dirFiles(t, evidence)
	got, err := verifyOut(t, "--store", evidence, "--views")
	require.NoError(t, err, got)
	require.Contains(t, got, "OK: the views served from these snapshots equal the views rebuilt")
	assertSameFiles(t, before, evidence, "verify --views with the key store")
}
