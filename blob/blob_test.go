package blob_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/blob/blobtest"
)

// TestDirConformance runs the suite against the local directory store.
func TestDirConformance(t *testing.T) {
	blobtest.Run(t, func(t testing.TB) blob.Store {
		s, err := blob.Open(context.Background(), "file://"+t.TempDir()+"/blobs", nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestS3Conformance runs the same suite against the S3 store on an
// in-process S3-compatible server.
func TestS3Conformance(t *testing.T) {
	fake := blobtest.StartFakeS3(t)
	var n atomic.Int64
	blobtest.Run(t, func(t testing.TB) blob.Store {
		return fake.MustOpenS3(t, fmt.Sprintf("bucket%d", n.Add(1)))
	})
}

// TestS3Prefix keeps a store's keys under its prefix, apart from another
// store's in the same bucket.
func TestS3Prefix(t *testing.T) {
	ctx := context.Background()
	fake := blobtest.StartFakeS3(t)
	url := fake.Bucket(t, "shared")
	a, err := blob.Open(ctx, url+"&prefix=a/", blobtest.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	b, err := blob.Open(ctx, url+"&prefix=b/", blobtest.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Put(ctx, "k", []byte("of a")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "k"); err == nil {
		t.Fatal("b reads a's blob")
	}
	for in, err := range a.List(ctx) {
		if err != nil || in.Key != "k" {
			t.Fatalf("list: %+v, %v", in, err)
		}
	}
}

// TestOpenRefuses bad URLs with a message naming what is wrong.
func TestOpenRefuses(t *testing.T) {
	fake := blobtest.StartFakeS3(t)
	ok := fake.Bucket(t, "there")
	for url, want := range map[string]string{
		"ftp://x":                    "want file:///path",
		"file://host/x":              "names a host",
		"s3://?endpoint=x":           "no bucket",
		"s3://u:p@bucket?endpoint=x": "must not carry credentials",
		strings.Replace(ok, "secure=false", "secure=maybe", 1): "secure",
		ok + "&colour=blue":                        `unknown parameter "colour"`,
		strings.Replace(ok, "there", "nothere", 1): "does not exist",
	} {
		_, err := blob.Open(context.Background(), url, blobtest.Getenv)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", url, err, want)
		}
	}
}
