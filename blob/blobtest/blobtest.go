// Package blobtest is the conformance suite every blob.Store backend
// passes, and an in-process S3-compatible server (gofakes3) for tests that
// need a bucket. Test code only.
package blobtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/yishi-civic/yishi/blob"
)

// Run runs the conformance suite against stores made by open, a fresh
// empty store per subtest.
func Run(t *testing.T, open func(t testing.TB) blob.Store) {
	ctx := context.Background()
	t.Run("PutGet", func(t *testing.T) {
		s := open(t)
		data := random(t, 100_000)
		mustPut(t, s, "ab12", data)
		got, err := s.Get(ctx, "ab12")
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("get: %d bytes, %v; want the %d bytes put", len(got), err, len(data))
		}
		in, err := s.Stat(ctx, "ab12")
		if err != nil || in.Size != int64(len(data)) || in.Key != "ab12" || in.Modified.IsZero() {
			t.Fatalf("stat: %+v, %v", in, err)
		}
	})
	t.Run("Overwrite", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, "k", []byte("first"))
		mustPut(t, s, "k", []byte("second, longer"))
		if got, err := s.Get(ctx, "k"); err != nil || string(got) != "second, longer" {
			t.Fatalf("get: %q, %v", got, err)
		}
	})
	t.Run("Missing", func(t *testing.T) {
		s := open(t)
		if _, err := s.Get(ctx, "nothere"); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("get: %v, want ErrNotFound", err)
		}
		if _, err := s.Stat(ctx, "nothere"); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("stat: %v, want ErrNotFound", err)
		}
		if err := s.Delete(ctx, "nothere"); err != nil {
			t.Errorf("delete of a missing blob: %v", err)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, "gone", []byte("x"))
		mustPut(t, s, "kept", []byte("y"))
		if err := s.Delete(ctx, "gone"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, "gone"); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("get after delete: %v, want ErrNotFound", err)
		}
		if got, err := s.Get(ctx, "kept"); err != nil || string(got) != "y" {
			t.Errorf("the other blob: %q, %v", got, err)
		}
	})
	t.Run("List", func(t *testing.T) {
		s := open(t)
		want := []string{"00aa", "0b", "ab.1", "ab_2", "ff-3", "zz"}
		for i, k := range []int{3, 0, 5, 1, 4, 2} {
			mustPut(t, s, want[k], bytes.Repeat([]byte{'x'}, i+1))
		}
		var got []string
		for in, err := range s.List(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if in.Size == 0 || in.Modified.IsZero() {
				t.Errorf("list: %+v has no size or time", in)
			}
			got = append(got, in.Key)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("list: %v, want %v", got, want)
		}
		for range s.List(ctx) {
			break // stopping early is allowed
		}
	})
	t.Run("BadKeys", func(t *testing.T) {
		s := open(t)
		for _, k := range []string{"", "../x", "a/b", ".hidden", "a b", string(bytes.Repeat([]byte{'a'}, 129)), "é"} {
			if err := s.Put(ctx, k, []byte("x")); !errors.Is(err, blob.ErrBadKey) {
				t.Errorf("put %q: %v, want ErrBadKey", k, err)
			}
			if _, err := s.Get(ctx, k); !errors.Is(err, blob.ErrBadKey) {
				t.Errorf("get %q: %v, want ErrBadKey", k, err)
			}
			if err := s.Delete(ctx, k); !errors.Is(err, blob.ErrBadKey) {
				t.Errorf("delete %q: %v, want ErrBadKey", k, err)
			}
		}
	})
	t.Run("Create", func(t *testing.T) {
		s := open(t)
		if err := s.Create(ctx, "new", []byte("first")); err != nil {
			t.Fatalf("create: %v", err)
		}
		if err := s.Create(ctx, "new", []byte("second")); !errors.Is(err, blob.ErrExists) {
			t.Fatalf("create of an existing key: %v, want ErrExists", err)
		}
		if got, err := s.Get(ctx, "new"); err != nil || string(got) != "first" {
			t.Fatalf("get: %q, %v; want the first creation's bytes", got, err)
		}
		if err := s.Create(ctx, "a/b", nil); !errors.Is(err, blob.ErrBadKey) {
			t.Errorf("create of a bad key: %v, want ErrBadKey", err)
		}
	})
	t.Run("ConcurrentCreate", func(t *testing.T) {
		// Creators of one key at once: exactly one wins, and the blob is
		// the winner's.
		s := open(t)
		const n = 12
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = s.Create(ctx, "race", []byte(fmt.Sprintf("creator %d", i)))
			}()
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("creators %d and %d both succeeded", winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, blob.ErrExists):
				t.Fatalf("creator %d: %v, want nil or ErrExists", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no creator succeeded")
		}
		if got, err := s.Get(ctx, "race"); err != nil || string(got) != fmt.Sprintf("creator %d", winner) {
			t.Fatalf("get: %q, %v; want creator %d's bytes", got, err, winner)
		}
	})
	t.Run("ConcurrentWriters", func(t *testing.T) {
		// Writers of one key and readers of it at once: a reader sees one
		// whole version, never a mix or a part.
		s := open(t)
		versions := [][]byte{random(t, 64<<10), random(t, 64<<10), random(t, 64<<10)}
		mustPut(t, s, "hot", versions[0])
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for i := range 8 {
			wg.Add(2)
			go func() {
				defer wg.Done()
				if err := s.Put(ctx, "hot", versions[i%3]); err != nil {
					errs <- err
				}
			}()
			go func() {
				defer wg.Done()
				got, err := s.Get(ctx, "hot")
				if err != nil {
					errs <- err
					return
				}
				if !slices.ContainsFunc(versions, func(v []byte) bool { return bytes.Equal(v, got) }) {
					errs <- fmt.Errorf("a reader saw %d bytes that are no version written", len(got))
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

func mustPut(t testing.TB, s blob.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(context.Background(), key, data); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func random(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// FakeS3 is an in-process S3-compatible server (gofakes3, in memory).
type FakeS3 struct {
	srv     *httptest.Server
	backend *s3mem.Backend
}

// StartFakeS3 starts a fake S3 server, stopped when tb ends.
func StartFakeS3(tb testing.TB) *FakeS3 {
	tb.Helper()
	backend := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	tb.Cleanup(srv.Close)
	return &FakeS3{srv: srv, backend: backend}
}

// Bucket creates a bucket and returns the s3:// URL of a store on it.
func (f *FakeS3) Bucket(tb testing.TB, name string) string {
	tb.Helper()
	if err := f.backend.CreateBucket(name); err != nil {
		tb.Fatalf("fake s3: create bucket %s: %v", name, err)
	}
	return "s3://" + name + "?endpoint=" + f.srv.Listener.Addr().String() + "&secure=false&path=true&region=us-east-1"
}

// Getenv supplies the (ignored) credentials the fake server accepts.
func Getenv(k string) string {
	switch k {
	case "AWS_ACCESS_KEY_ID":
		return "yishi-test"
	case "AWS_SECRET_ACCESS_KEY":
		return "yishi-test-secret"
	}
	return ""
}

// MustOpenS3 opens a store on a fresh bucket of f.
func (f *FakeS3) MustOpenS3(tb testing.TB, bucket string) blob.Store {
	tb.Helper()
	s, err := blob.Open(context.Background(), f.Bucket(tb, bucket), Getenv)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// Version turns versioning on for bucket (created with Bucket).
func (f *FakeS3) Version(tb testing.TB, bucket string) {
	tb.Helper()
	if err := f.backend.SetVersioningConfiguration(bucket, gofakes3.VersioningConfiguration{Status: gofakes3.VersioningEnabled}); err != nil {
		tb.Fatalf("fake s3: versioning of %s: %v", bucket, err)
	}
}
