package privacy_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/privacy"
)

func TestKeyDir(t *testing.T) {
	dir := t.TempDir()
	kd, err := privacy.OpenKeyDir(dir)
	require.NoError(t, err)
	erased, err := kd.Ensure(ctx, []string{"person/a", "person/b", "item/proposal-1"})
	require.NoError(t, err)
	require.Empty(t, erased)
	ka, err := kd.Key(ctx, "person/a")
	require.NoError(t, err)
	require.Len(t, ka, privacy.KeySize)
	_, err = kd.Key(ctx, "person/none")
	require.ErrorIs(t, err, privacy.ErrNoKey)

	require.NoError(t, kd.Erase(ctx, time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC), "person/a"))
	_, err = kd.Key(ctx, "person/a")
	require.ErrorIs(t, err, privacy.ErrErased)
	erased, err = kd.Ensure(ctx, []string{"person/a"})
	require.NoError(t, err)
	require.Equal(t, []string{"person/a"}, erased, "an erased key is never created again")
	require.NoError(t, kd.Close())

	// The erasure is durable, and the key's bytes are in no file of the
	// key store any more.
	kd, err = privacy.OpenKeyDir(dir)
	require.NoError(t, err)
	_, err = kd.Key(ctx, "person/a")
	require.ErrorIs(t, err, privacy.ErrErased)
	kb, err := kd.Key(ctx, "person/b")
	require.NoError(t, err)
	require.NoError(t, kd.Close())
	files := 0
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		if bytes.Contains(b, ka) {
			return errors.New(p + " still holds the erased key")
		}
		return nil
	}))
	require.NotZero(t, files)

	// All and Put carry keys and tombstones to another store.
	kd, err = privacy.OpenKeyDir(dir)
	require.NoError(t, err)
	defer kd.Close()
	other := privacy.NewMemoryKeys()
	var all []privacy.Entry
	for e, err := range kd.All(ctx) {
		require.NoError(t, err)
		all = append(all, e)
	}
	require.Len(t, all, 3)
	require.NoError(t, other.Put(ctx, all))
	got, err := other.Key(ctx, "person/b")
	require.NoError(t, err)
	require.Equal(t, kb, got)
	_, err = other.Key(ctx, "person/a")
	require.ErrorIs(t, err, privacy.ErrErased)
	// A key never replaces a tombstone.
	require.NoError(t, kd.Put(ctx, []privacy.Entry{{ID: "person/a", Key: ka}}))
	_, err = kd.Key(ctx, "person/a")
	require.ErrorIs(t, err, privacy.ErrErased)
}
