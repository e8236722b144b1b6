package ledger_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
)

// TestSealedAppendAndLoad checks that the ledger stores a resident's name
// and text only as ciphertext, loads them back in plaintext, reads them as
// erased once the person's key is destroyed, and that the hash chain
// verifies before and after.
func TestSealedAppendAndLoad(t *testing.T) {
	ctx := context.Background()
	store := MustOpenStore(t)
	sealer := privacy.NewSealer(privacy.NewMemoryKeys())
	l := ledger.New(store, ledger.WithClock(clock), ledger.WithSealer(sealer))
	id := uuid.NewString()
	_, err := l.Execute(ctx, submit(id), facilitator, ledger.Options{})
	require.NoError(t, err)
	_, err = l.Execute(ctx, support(id, 1), facilitator, ledger.Options{})
	require.NoError(t, err)

	for ev, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		require.NoError(t, err)
		for _, secret := range []string{"张明", "李1", "自行车棚夹道堆满杂物", "3号楼自行车棚"} {
			require.False(t, bytes.Contains(ev.Data, []byte(secret)), "%s stored in plaintext in %s", secret, ev.Type)
		}
	}
	events, _, err := l.Load(ctx, domain.ProposalStream(id))
	require.NoError(t, err)
	require.Equal(t, "张明", events[0].(domain.ProposalSubmitted).Author.Name)
	require.Equal(t, "李1", events[1].(domain.ProposalSupported).Name)
	_, err = ledger.Verify(ctx, store, nil)
	require.NoError(t, err)

	require.NoError(t, sealer.Erase(ctx, time.Now(), privacy.PersonKey("resident-1")))
	l.Forget()
	events, _, err = l.Load(ctx, domain.ProposalStream(id))
	require.NoError(t, err)
	p := events[0].(domain.ProposalSubmitted)
	require.Equal(t, privacy.ErasedName, p.Author.Name)
	require.Equal(t, privacy.ErasedText, p.Text)
	require.Equal(t, "李1", events[1].(domain.ProposalSupported).Name)
	_, err = ledger.Verify(ctx, store, nil)
	require.NoError(t, err, "an erasure changes no stored byte")

	// The proposal still takes commands: its author's id still links.
	_, err = l.Execute(ctx, support(id, 2), facilitator, ledger.Options{})
	require.NoError(t, err)
}
