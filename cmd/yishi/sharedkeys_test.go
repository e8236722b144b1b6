package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/blob/blobtest"
	"github.com/yishi-civic/yishi/privacy"
)

// TestServeWithSharedKeys starts serve on a shared key store in a bucket
// (gofakes3) with the key-encryption key from a secret file, as compose
// does, and checks that the key-encryption key is printed nowhere; and that
// serve refuses a shared key store without its key-encryption key, with
// another one than the store was made with, or on the attachments' prefix.
func TestServeWithSharedKeys(t *testing.T) {
	bucket := blobtest.StartFakeS3(t).Bucket(t, "yishi")
	kek := make([]byte, 32)
	_, err := rand.Read(kek)
	require.NoError(t, err)
	kekText := base64.StdEncoding.EncodeToString(kek)
	secret := filepath.Join(t.TempDir(), "yishi_kek")
	require.NoError(t, os.WriteFile(secret, []byte(kekText+"\n"), 0o600))
	env := func(extra map[string]string) func(string) string {
		return func(k string) string {
			if v, ok := extra[k]; ok {
				return v
			}
			return blobtest.Getenv(k)
		}
	}
	keys, blobs := bucket+"&prefix=keys/", bucket+"&prefix=attachments/"
	args := func(dir string, more ...string) []string {
		return append([]string{"serve", "--data", dir, "--addr", "127.0.0.1:0", "--keys", keys, "--blobs", blobs}, more...)
	}

	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args(t.TempDir()), env(map[string]string{"YISHI_KEYS_KEK_FILE": secret}), &out, &errOut)
	}()
	require.Eventually(t, func() bool { return listening.MatchString(out.String()) }, 60*time.Second, 20*time.Millisecond,
		"server did not start:\n%s\n%s", out.String(), errOut.String())
	cancel()
	require.NoError(t, <-done)
	require.Contains(t, out.String(), "yishi keys: s3://yishi/keys/ at ")
	for _, shown := range []string{out.String(), errOut.String()} {
		require.NotContains(t, shown, kekText)
		require.NotContains(t, shown, strings.TrimRight(kekText, "="))
	}

	other := make([]byte, 32)
	_, err = rand.Read(other)
	require.NoError(t, err)
	for name, c := range map[string]struct {
		env  map[string]string
		args []string
		want string
	}{
		"no key-encryption key": {nil, nil, "YISHI_KEYS_KEK"},
		"another one":           {map[string]string{"YISHI_KEYS_KEK": base64.StdEncoding.EncodeToString(other)}, nil, "not the one this key store was made with"},
		"not 32 bytes":          {map[string]string{"YISHI_KEYS_KEK": base64.StdEncoding.EncodeToString(kek[:16])}, nil, "16 bytes"},
		"both given":            {map[string]string{"YISHI_KEYS_KEK": kekText, "YISHI_KEYS_KEK_FILE": secret}, nil, "not both"},
		"one prefix":            {map[string]string{"YISHI_KEYS_KEK": kekText}, []string{"--blobs", bucket + "&prefix=keys/photos/"}, "prefix of its own"},
	} {
		err := run(context.Background(), args(t.TempDir(), c.args...), env(c.env), &lockedBuffer{}, &lockedBuffer{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error saying %q", name, err, c.want)
		}
	}
}

// TestCopyKeysIntoSharedStore moves an embedded key store into a shared
// one, as docs/scaling.md says to when a ledger moves to replicas: keys
// and tombstones arrive, and a second copy changes nothing.
func TestCopyKeysIntoSharedStore(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "keys")
	kd, err := privacy.OpenKeyDir(dir)
	require.NoError(t, err)
	_, err = kd.Ensure(ctx, []string{"person/a", "person/b"})
	require.NoError(t, err)
	require.NoError(t, kd.Erase(ctx, time.Now(), "person/b"))
	ka, err := kd.Key(ctx, "person/a")
	require.NoError(t, err)
	require.NoError(t, kd.Close())

	keys := blobtest.StartFakeS3(t).Bucket(t, "yishi") + "&prefix=keys/"
	kek := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{3}, 32))
	getenv := func(k string) string {
		if k == "YISHI_KEYS_KEK" {
			return kek
		}
		return blobtest.Getenv(k)
	}
	for range 2 {
		var out lockedBuffer
		require.NoError(t, copyKeyDirs(ctx, dir, keys, getenv, &out))
		require.Contains(t, out.String(), "copied 2 keys and tombstones")
	}
	shared, err := openKeyStore(ctx, keys, getenv)
	require.NoError(t, err)
	got, err := shared.Key(ctx, "person/a")
	require.NoError(t, err)
	require.Equal(t, ka, got)
	_, err = shared.Key(ctx, "person/b")
	require.ErrorIs(t, err, privacy.ErrErased)
}
