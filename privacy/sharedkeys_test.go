package privacy_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/blob/blobtest"
	"github.com/yishi-civic/yishi/privacy"
	"github.com/yishi-civic/yishi/privacy/keystoretest"
)

func newKEK(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, privacy.KEKSize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func mustOpenShared(t testing.TB, store blob.Store, kek []byte, opts ...privacy.SharedKeysOption) *privacy.SharedKeys {
	t.Helper()
	ks, err := privacy.OpenSharedKeys(ctx, store, kek, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ks.Close() })
	return ks
}

func mustOpenDir(t testing.TB, dir string) blob.Store {
	t.Helper()
	s, err := blob.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestKeyStoreConformance runs one suite against every key store: the
// embedded KeyDir, MemoryKeys, and SharedKeys on a directory and on S3
// (gofakes3).
func TestKeyStoreConformance(t *testing.T) {
	t.Run("KeyDir", func(t *testing.T) {
		keystoretest.Run(t, func(t testing.TB) privacy.KeyStore {
			kd, err := privacy.OpenKeyDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = kd.Close() })
			return kd
		})
	})
	t.Run("Memory", func(t *testing.T) {
		keystoretest.Run(t, func(testing.TB) privacy.KeyStore { return privacy.NewMemoryKeys() })
	})
	t.Run("SharedOnDir", func(t *testing.T) {
		keystoretest.Run(t, func(t testing.TB) privacy.KeyStore {
			return mustOpenShared(t, mustOpenDir(t, t.TempDir()), newKEK(t))
		})
		keystoretest.RunShared(t, func(t testing.TB) (privacy.KeyStore, privacy.KeyStore) {
			dir, kek := t.TempDir(), newKEK(t)
			return mustOpenShared(t, mustOpenDir(t, dir), kek), mustOpenShared(t, mustOpenDir(t, dir), kek)
		})
	})
	t.Run("SharedOnS3", func(t *testing.T) {
		fake := blobtest.StartFakeS3(t)
		var n atomic.Int64
		keystoretest.Run(t, func(t testing.TB) privacy.KeyStore {
			return mustOpenShared(t, fake.MustOpenS3(t, fmt.Sprintf("keys%d", n.Add(1))), newKEK(t))
		})
		keystoretest.RunShared(t, func(t testing.TB) (privacy.KeyStore, privacy.KeyStore) {
			url, kek := fake.Bucket(t, fmt.Sprintf("shared%d", n.Add(1)))+"&prefix=keys/", newKEK(t)
			var ks [2]privacy.KeyStore
			for i := range ks {
				s, err := blob.Open(ctx, url, blobtest.Getenv)
				if err != nil {
					t.Fatal(err)
				}
				ks[i] = mustOpenShared(t, s, kek)
			}
			return ks[0], ks[1]
		})
	})
}

// TestSharedKeysBucketRevealsNothing: the bucket holds no key's bytes and
// no id, only wrapped objects named by an HMAC.
func TestSharedKeysBucketRevealsNothing(t *testing.T) {
	fake := blobtest.StartFakeS3(t)
	url := fake.Bucket(t, "keys")
	s, err := blob.Open(ctx, url+"&prefix=keys/", blobtest.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	ks := mustOpenShared(t, s, newKEK(t))
	ids := []string{"person/0193a8f0-0000-7000-8000-000000000001", "item/proposal-0193a8f0-0000-7000-8000-000000000002"}
	if _, err := ks.Ensure(ctx, ids); err != nil {
		t.Fatal(err)
	}
	var secrets [][]byte
	for _, id := range ids {
		k, err := ks.Key(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, k, []byte(base64.StdEncoding.EncodeToString(k)), []byte(id), []byte(strings.SplitN(id, "/", 2)[1]))
	}
	objects := 0
	for in, err := range s.List(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		data, err := s.Get(ctx, in.Key)
		if err != nil {
			t.Fatal(err)
		}
		objects++
		for _, sec := range secrets {
			if bytes.Contains(data, sec) || strings.Contains(in.Key, string(sec)) {
				t.Fatalf("object %s shows %q", in.Key, sec)
			}
		}
	}
	if objects != 1+len(ids) { // the KEK check and one per id
		t.Fatalf("%d objects in the bucket, want %d", objects, 1+len(ids))
	}
}

// TestSharedKeysRefusals: a wrong KEK, a bucket that keeps old versions and
// a store that ignores conditional creates are refused at open.
func TestSharedKeysRefusals(t *testing.T) {
	fake := blobtest.StartFakeS3(t)
	store := fake.MustOpenS3(t, "keys")
	mustOpenShared(t, store, newKEK(t))
	if _, err := privacy.OpenSharedKeys(ctx, store, newKEK(t)); !errors.Is(err, privacy.ErrWrongKEK) {
		t.Errorf("open with another KEK: %v, want ErrWrongKEK", err)
	}
	if _, err := privacy.OpenSharedKeys(ctx, store, []byte("short")); err == nil || !strings.Contains(err.Error(), "want 32") {
		t.Errorf("open with a short KEK: %v", err)
	}
	vs := fake.MustOpenS3(t, "versioned")
	fake.Version(t, "versioned")
	if _, err := privacy.OpenSharedKeys(ctx, vs, newKEK(t)); err == nil || !strings.Contains(err.Error(), "versions") {
		t.Errorf("open on a versioned bucket: %v", err)
	}
	if _, err := privacy.OpenSharedKeys(ctx, unconditional{mustOpenDir(t, t.TempDir())}, newKEK(t)); err == nil || !strings.Contains(err.Error(), "If-None-Match") {
		t.Errorf("open on a store ignoring conditional creates: %v", err)
	}
}

// unconditional is a store whose Create overwrites, as an S3-compatible
// server ignoring If-None-Match does.
type unconditional struct{ blob.Store }

func (u unconditional) Create(ctx context.Context, key string, data []byte) error {
	return u.Put(ctx, key, data)
}

// TestSharedKeysMissesBounded: a key is read from the bucket once, however
// many readers ask for it at once or after; an erasure made here needs no
// read to take effect.
func TestSharedKeysMissesBounded(t *testing.T) {
	dir, kek := t.TempDir(), newKEK(t)
	a := mustOpenShared(t, mustOpenDir(t, dir), kek)
	if _, err := a.Ensure(ctx, []string{"person/a"}); err != nil {
		t.Fatal(err)
	}
	b := mustOpenShared(t, mustOpenDir(t, dir), kek, privacy.CacheSize(16))
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := b.Key(ctx, "person/a"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	after := b.Fetched()
	if after < 1 || after >= 32 {
		t.Fatalf("32 concurrent readers made %d reads", after)
	}
	for range 100 {
		if _, err := b.Key(ctx, "person/a"); err != nil {
			t.Fatal(err)
		}
	}
	if b.Fetched() != after {
		t.Fatalf("100 reads of a cached key made %d more reads of the bucket", b.Fetched()-after)
	}
	if err := b.Erase(ctx, time.Now(), "person/a"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Key(ctx, "person/a"); !errors.Is(err, privacy.ErrErased) {
		t.Fatalf("after erasing: %v", err)
	}
	// The cache is bounded: 40 keys through a cache of 16 are all still
	// read correctly.
	ids := make([]string, 40)
	for i := range ids {
		ids[i] = fmt.Sprintf("person/n%d", i)
	}
	if _, err := a.Ensure(ctx, ids); err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		ka, err := a.Key(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		kb, err := b.Key(ctx, id)
		if err != nil || !bytes.Equal(ka, kb) {
			t.Fatalf("%s: %v, or another key", id, err)
		}
	}
}

// TestParseKEK reads base64 with or without padding and a trailing newline,
// and names what is wrong otherwise.
func TestParseKEK(t *testing.T) {
	k := bytes.Repeat([]byte{9}, privacy.KEKSize)
	for _, s := range []string{base64.StdEncoding.EncodeToString(k) + "\n", base64.RawStdEncoding.EncodeToString(k)} {
		got, err := privacy.ParseKEK(s)
		if err != nil || !bytes.Equal(got, k) {
			t.Errorf("%q: %v", s, err)
		}
	}
	for s, want := range map[string]string{"not base64!": "not base64", base64.StdEncoding.EncodeToString(k[:16]): "16 bytes"} {
		if _, err := privacy.ParseKEK(s); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", s, err, want)
		}
	}
}

// BenchmarkSharedKeysMiss measures a cache miss of a fresh replica on the
// in-process fake S3 (loopback HTTP, signing, unwrapping): the client's
// share of what a replica pays per key it meets first; a real bucket adds
// its round trip (docs/scaling.md).
func BenchmarkSharedKeysMiss(b *testing.B) {
	fake := blobtest.StartFakeS3(b)
	url := fake.Bucket(b, "keys") + "&prefix=keys/"
	kek := newKEK(b)
	open := func() *privacy.SharedKeys {
		s, err := blob.Open(ctx, url, blobtest.Getenv)
		if err != nil {
			b.Fatal(err)
		}
		return mustOpenShared(b, s, kek)
	}
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = fmt.Sprintf("person/%d", i)
	}
	if _, err := open().Ensure(ctx, ids); err != nil {
		b.Fatal(err)
	}
	fresh := open()
	b.ResetTimer()
	for _, id := range ids {
		if _, err := fresh.Key(ctx, id); err != nil {
			b.Fatal(err)
		}
	}
}
