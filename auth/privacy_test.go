package auth_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
)

// TestTokenNamesAreSealed: a token's holder name enters the ledger only
// as ciphertext and reads back through a registry that opens it; a
// registry without the key store sees no name in plaintext.
func TestTokenNamesAreSealed(t *testing.T) {
	ctx := context.Background()
	store, err := pebble.Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	sealer := privacy.NewSealer(privacy.NewMemoryKeys())
	l := ledger.New(store, ledger.WithSealer(sealer))
	op := ledger.Actor{ID: "operator", Role: "operator"}
	tok, _, _, err := auth.Issue(ctx, l, op, auth.IssueRequest{Role: auth.RoleResident, Name: "3号楼 张三", Subject: "p1"}, time.Now())
	require.NoError(t, err)
	require.Equal(t, "3号楼 张三", tok.Name)
	noSubject, _, _, err := auth.Issue(ctx, l, op, auth.IssueRequest{Role: auth.RoleAdmin, Name: "街道 王主任"}, time.Now())
	require.NoError(t, err)
	for ev, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		require.NoError(t, err)
		for _, secret := range []string{"张三", "王主任"} {
			require.False(t, bytes.Contains(ev.Data, []byte(secret)), "%s in plaintext in %s", secret, ev.Type)
		}
	}
	reg := auth.NewRegistry(store, auth.Opening(sealer))
	require.NoError(t, reg.Sync(ctx))
	got, _ := reg.Get(tok.ID)
	require.Equal(t, "3号楼 张三", got.Name)
	got, _ = reg.Get(noSubject.ID)
	require.Equal(t, "街道 王主任", got.Name, "a name without a subject is sealed under the token's own key")
	blind := auth.NewRegistry(store)
	require.NoError(t, blind.Sync(ctx))
	got, _ = blind.Get(tok.ID)
	require.True(t, privacy.IsSealed(got.Name))
}

// TestErasureRevokesTokens: erasing a person revokes every token that acts
// as them, through the registry (so that bearer tokens, the sessions that
// stand for them and open streams all end), erases the tokens' names even
// where they were stored before sealing, and no new token may act as them.
func TestErasureRevokesTokens(t *testing.T) {
	ctx := context.Background()
	store, err := pebble.Open(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { store.Close() })
	sealer := privacy.NewSealer(privacy.NewMemoryKeys())
	op := ledger.Actor{ID: "operator", Role: "operator"}
	// A token issued before names were sealed, and one after.
	old, oldSecret, _, err := auth.Issue(ctx, ledger.New(store), op, auth.IssueRequest{Role: auth.RoleResident, Name: "张三", Subject: "p1"}, time.Now())
	require.NoError(t, err)
	l := ledger.New(store, ledger.WithSealer(sealer))
	cur, curSecret, _, err := auth.Issue(ctx, l, op, auth.IssueRequest{Role: auth.RoleResident, Name: "张三 手机", Subject: "p1"}, time.Now())
	require.NoError(t, err)
	other, otherSecret, _, err := auth.Issue(ctx, l, op, auth.IssueRequest{Role: auth.RoleResident, Name: "李四", Subject: "p2"}, time.Now())
	require.NoError(t, err)

	reg := auth.NewRegistry(store, auth.Opening(sealer))
	require.NoError(t, reg.Sync(ctx))
	stream := reg.Revocation(cur.ID)
	res, err := l.Erase(ctx, domain.EraseData{Subject: domain.ErasePerson, ID: "p1", Ground: domain.GroundRequest, Reason: "本人申请", By: "admin"}, op, ledger.Options{})
	require.NoError(t, err)
	require.NoError(t, reg.Sync(ctx))
	require.NoError(t, reg.WaitFor(ctx, res.Position))

	for _, s := range []string{oldSecret, curSecret} {
		_, err := reg.Authenticate(s)
		require.ErrorIs(t, err, auth.ErrRevoked)
	}
	select {
	case <-stream:
	default:
		t.Fatal("a stream held open by the erased person's token is not told")
	}
	for _, tok := range []auth.Token{old, cur} {
		got, _ := reg.Get(tok.ID)
		require.Equal(t, privacy.ErasedName, got.Name)
		require.False(t, got.Revoked.IsZero())
	}
	got, err := reg.Authenticate(otherSecret)
	require.NoError(t, err, "another person's token stays valid")
	require.Equal(t, other.ID, got.ID)
	require.Equal(t, "李四", got.Name)

	err = auth.CheckIssue(ctx, l, reg, auth.IssueRequest{Role: auth.RoleResident, Subject: "p1"}, auth.Scope{})
	var de *domain.Error
	require.True(t, errors.As(err, &de), "%v", err)
	require.Equal(t, "subject_erased", de.Reason)

	// A registry built afresh (a restart) folds the same.
	fresh := auth.NewRegistry(store, auth.Opening(sealer))
	require.NoError(t, fresh.Sync(ctx))
	for _, s := range []string{oldSecret, curSecret} {
		_, err := fresh.Authenticate(s)
		require.ErrorIs(t, err, auth.ErrRevoked)
	}
	got, _ = fresh.Get(old.ID)
	require.Equal(t, privacy.ErasedName, got.Name)
}
