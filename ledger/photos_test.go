package ledger_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"iter"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
)

// TestErasureErasesPhotos: erasing a person erases the photos only their
// items refer to and keeps a photo another person's item refers to too;
// SweepPhotos erases old uploads nothing refers to and keeps young ones.
func TestErasureErasesPhotos(t *testing.T) {
	ctx := context.Background()
	store := MustOpenStore(t)
	dir, err := blob.OpenDir(t.TempDir())
	require.NoError(t, err)
	sealer := privacy.NewSealer(privacy.NewMemoryKeys())
	photos := privacy.NewBlobs(dir, sealer)
	l := ledger.New(store, ledger.WithClock(clock), ledger.WithSealer(sealer), ledger.WithPhotos(photos))
	put := func(content string) string {
		s := sha256.Sum256([]byte(content))
		sum := hex.EncodeToString(s[:])
		require.NoError(t, photos.Put(ctx, sum, []byte(content)))
		return sum
	}
	own, shared, old, young := put("r1's door"), put("a shared view"), put("never used, old"), put("never used, new")
	p1 := submit(uuid.NewString())
	p1.Photos = []string{own, shared}
	p2 := submit(uuid.NewString())
	p2.Author = domain.Party{Kind: domain.PartyPerson, ID: "resident-2", Name: "王芳"}
	p2.Photos = []string{shared}
	for _, cmd := range []domain.Command{p1, p2} {
		_, err := l.Execute(ctx, cmd, facilitator, ledger.Options{})
		require.NoError(t, err)
	}
	readable := func(sum string) bool {
		_, err := photos.Get(ctx, sum)
		return err == nil
	}

	_, err = l.Erase(ctx, domain.EraseData{Subject: domain.ErasePerson, ID: "resident-1", Ground: domain.GroundRequest, Reason: "本人申请", By: "admin-1"},
		ledger.Actor{ID: "admin-1", Role: "admin"}, ledger.Options{})
	require.NoError(t, err)
	require.False(t, readable(own), "the erased person's photo is still readable")
	_, err = dir.Stat(ctx, own)
	require.ErrorIs(t, err, blob.ErrNotFound, "the erased person's photo is still stored")
	require.True(t, readable(shared), "a photo another person refers to was erased")
	require.True(t, readable(old) && readable(young), "an erasure touched photos the person never referred to")

	now := time.Now()
	require.NoError(t, os.Chtimes(dir.Path(old), now.Add(-48*time.Hour), now.Add(-48*time.Hour)))
	n, err := l.SweepPhotos(ctx, now, now.Add(-ledger.PhotoGrace))
	require.NoError(t, err)
	require.Equal(t, 1, n)
	require.False(t, readable(old), "an old upload nothing refers to was kept")
	require.True(t, readable(young), "a fresh upload was swept before its command could refer to it")
	require.True(t, readable(shared))
}

// readCounting counts the reads of the whole log.
type readCounting struct {
	eventstore.Store
	reads int
}

func (r *readCounting) ReadAll(ctx context.Context, opts eventstore.ReadAllOptions) iter.Seq2[eventstore.Event, error] {
	r.reads++
	return r.Store.ReadAll(ctx, opts)
}

// TestSweepReadsTheLogOnlyForOldPhotos: a start sweeps the photos, and
// with none old enough to go it does not read the log for their
// references (at a million events, seconds of a start).
func TestSweepReadsTheLogOnlyForOldPhotos(t *testing.T) {
	ctx := context.Background()
	store := &readCounting{Store: MustOpenStore(t)}
	dir, err := blob.OpenDir(t.TempDir())
	require.NoError(t, err)
	sealer := privacy.NewSealer(privacy.NewMemoryKeys())
	photos := privacy.NewBlobs(dir, sealer)
	l := ledger.New(store, ledger.WithClock(clock), ledger.WithSealer(sealer), ledger.WithPhotos(photos))
	_, err = l.Execute(ctx, submit(uuid.NewString()), facilitator, ledger.Options{})
	require.NoError(t, err)
	content := []byte("just uploaded")
	s := sha256.Sum256(content)
	sum := hex.EncodeToString(s[:])
	require.NoError(t, photos.Put(ctx, sum, content))
	now := time.Now()
	store.reads = 0
	n, err := l.SweepPhotos(ctx, now, now.Add(-ledger.PhotoGrace))
	require.NoError(t, err)
	require.Zero(t, n)
	require.Zero(t, store.reads, "the log was read with no photo old enough to go")
	require.NoError(t, os.Chtimes(dir.Path(sum), now.Add(-48*time.Hour), now.Add(-48*time.Hour)))
	n, err = l.SweepPhotos(ctx, now, now.Add(-ledger.PhotoGrace))
	require.NoError(t, err)
	require.Equal(t, 1, n, "the unused upload, old now, goes")
	require.Equal(t, 1, store.reads)
}
