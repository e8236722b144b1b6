package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/ledger"
)

// TestDemoTokensDoNotPileUp: serving a store with --demo again revokes the
// tokens the last start printed, so six demo tokens are valid however
// often it starts (issue 10, 17).
func TestDemoTokensDoNotPileUp(t *testing.T) {
	store, err := pebble.Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, store.Close()) })
	l := ledger.New(store)
	reg := auth.NewRegistry(store)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = reg.Run(ctx) }()
	secret := regexp.MustCompile(`yst_[A-Za-z0-9_-]+`)

	var first, second bytes.Buffer
	require.NoError(t, printDemoTokens(ctx, l, reg, "http://x", &first))
	require.NoError(t, printDemoTokens(ctx, l, reg, "http://x", &second))
	require.NoError(t, reg.Sync(ctx))
	valid := 0
	for _, tok := range reg.List() {
		if tok.Revoked.IsZero() {
			valid++
			assert.Equal(t, "demo", tok.IssuedBy)
		}
	}
	assert.Equal(t, len(demoDoors), valid, "valid demo tokens after two starts")
	for _, s := range secret.FindAllString(first.String(), -1) {
		_, err := reg.Authenticate(s)
		assert.Error(t, err, "a token of the first start still authenticates")
	}
	for _, s := range secret.FindAllString(second.String(), -1) {
		_, err := reg.Authenticate(s)
		assert.NoError(t, err, "a token of the second start")
	}
	assert.Contains(t, second.String(), "the 6 of the last start are revoked")
}
