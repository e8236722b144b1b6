package privacy_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/blob/blobtest"
	"github.com/yishi-civic/yishi/privacy"
)

func sumOf(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// dirFiles returns the bytes of every file under dir.
func dirFiles(t *testing.T, dir string) [][]byte {
	t.Helper()
	var out [][]byte
	require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		out = append(out, b)
		return err
	}))
	return out
}

// TestBlobsSealed stores a photo encrypted under a key of its own: the
// file on disk holds neither the photo nor the key; it reads back whole;
// the same photo is not written twice; erasing it destroys its key and
// deletes the file, so a copy of the file made before (a backup) no longer
// opens even with the key store restored from after the erasure.
func TestBlobsSealed(t *testing.T) {
	dir := t.TempDir()
	store, err := blob.OpenDir(dir)
	require.NoError(t, err)
	keys := privacy.NewMemoryKeys()
	b := privacy.NewBlobs(store, privacy.NewSealer(keys))
	photo := append([]byte("\x89PNG a door: 3号楼2单元1502 "), bytes.Repeat([]byte{7}, 4096)...)
	sum := sumOf(photo)

	require.Error(t, b.Put(ctx, sumOf([]byte("other")), photo), "bytes that do not hash to the address")
	require.NoError(t, b.Put(ctx, sum, photo))
	got, err := b.Get(ctx, sum)
	require.NoError(t, err)
	require.Equal(t, photo, got)
	files := dirFiles(t, dir)
	require.Len(t, files, 1)
	backup := files[0]
	require.False(t, bytes.Contains(backup, []byte("3号楼")), "the stored file holds the photo in plaintext")
	for e, err := range keys.All(ctx) {
		require.NoError(t, err)
		require.False(t, bytes.Contains(backup, e.Key), "the stored file holds its key")
	}

	// Deduplication: the same photo again leaves the object as it was.
	require.NoError(t, b.Put(ctx, sum, photo))
	require.Equal(t, [][]byte{backup}, dirFiles(t, dir))

	// A damaged object is not served.
	damaged := bytes.Clone(backup)
	damaged[len(damaged)-1] ^= 1
	require.NoError(t, store.Put(ctx, sum, damaged))
	_, err = b.Get(ctx, sum)
	require.ErrorIs(t, err, privacy.ErrBlobDamaged)
	require.NoError(t, store.Put(ctx, sum, backup))

	require.NoError(t, b.Erase(ctx, time.Now(), sum))
	_, err = b.Get(ctx, sum)
	require.ErrorIs(t, err, blob.ErrNotFound)
	require.Empty(t, dirFiles(t, dir), "the erased photo's file is still on disk")
	// The backup copy of the object, put back, no longer opens.
	require.NoError(t, store.Put(ctx, sum, backup))
	_, err = b.Get(ctx, sum)
	require.ErrorIs(t, err, privacy.ErrErased)

	// Uploaded again after its erasure, the photo is stored under a new key.
	require.NoError(t, b.Put(ctx, sum, photo))
	got, err = b.Get(ctx, sum)
	require.NoError(t, err)
	require.Equal(t, photo, got)
}

// TestBlobsOnS3 runs the same round trip and erasure on the S3 backend.
func TestBlobsOnS3(t *testing.T) {
	store := blobtest.StartFakeS3(t).MustOpenS3(t, "photos")
	b := privacy.NewBlobs(store, privacy.NewSealer(privacy.NewMemoryKeys()))
	photo := []byte("GIF89a a face")
	sum := sumOf(photo)
	require.NoError(t, b.Put(ctx, sum, photo))
	raw, err := store.Get(ctx, sum)
	require.NoError(t, err)
	require.False(t, bytes.Contains(raw, []byte("a face")))
	got, err := b.Get(ctx, sum)
	require.NoError(t, err)
	require.Equal(t, photo, got)
	require.NoError(t, b.Erase(ctx, time.Now(), sum))
	_, err = store.Get(ctx, sum)
	require.True(t, errors.Is(err, blob.ErrNotFound), "the object is still in the bucket: %v", err)
}

// TestBlobsLegacyPlaintext reads a file written before encryption as it is.
func TestBlobsLegacyPlaintext(t *testing.T) {
	store, err := blob.OpenDir(t.TempDir())
	require.NoError(t, err)
	photo := []byte("an old photo")
	require.NoError(t, store.Put(ctx, sumOf(photo), photo))
	got, err := privacy.NewBlobs(store, privacy.NewSealer(privacy.NewMemoryKeys())).Get(ctx, sumOf(photo))
	require.NoError(t, err)
	require.Equal(t, photo, got)
}
