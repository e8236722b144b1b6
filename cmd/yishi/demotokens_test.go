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
// tokens the last start printed, so six demo tokens and two sign-in links
// (a resident's, a volunteer's) are valid however often it starts (issue
// 10, 17).
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
	valid, codes := 0, 0
	for _, tok := range reg.List() {
		if tok.Revoked.IsZero() {
			valid++
			assert.Equal(t, "demo", tok.IssuedBy)
			if tok.Kind == auth.KindSignIn {
				codes++
			}
		}
	}
	assert.Equal(t, len(demoDoors)+2, valid, "valid demo tokens and sign-in codes after two starts")
	assert.Equal(t, 2, codes, "valid demo sign-in codes after two starts")
	// usable reports whether a printed secret still works, as a token or
	// as a sign-in code.
	usable := func(s string) bool {
		_, errTok := reg.Authenticate(s)
		_, errCode := reg.Code(s)
		return errTok == nil || errCode == nil
	}
	for _, s := range secret.FindAllString(first.String(), -1) {
		assert.False(t, usable(s), "a token or code of the first start still works")
	}
	for _, s := range secret.FindAllString(second.String(), -1) {
		assert.True(t, usable(s), "a token or code of the second start")
	}
	assert.Contains(t, second.String(), "the 8 of the last start are revoked")
	assert.Contains(t, second.String(), "http://x/signin?code=yst_")
}
