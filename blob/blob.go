// Package blob keeps attachments (photos, documents) as immutable blobs
// behind one small port, Store, with two backends: a local directory (the
// embedded default, every write file- and directory-synced) and an
// S3-compatible bucket (MinIO, Alibaba Cloud OSS, Tencent COS, AWS S3)
// through github.com/minio/minio-go/v7. Open picks one from a URL. What a
// blob holds, who may read it and how it is encrypted are not this
// package's business (see privacy.Blobs); blobtest is the conformance suite
// both backends pass.
package blob

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"net/url"
	"regexp"
	"time"
)

// Errors of a Store.
var (
	// ErrNotFound is returned by Get and Stat for a key the store does not
	// hold.
	ErrNotFound = errors.New("blob: not found")
	// ErrBadKey is returned for a key that is not 1 to 128 characters of
	// [0-9A-Za-z._-] starting with a letter or digit.
	ErrBadKey = errors.New("blob: bad key")
	// ErrExists is returned by Create for a key the store holds already.
	ErrExists = errors.New("blob: exists")
)

// Info describes a stored blob.
type Info struct {
	Key      string
	Size     int64
	Modified time.Time
}

// Store keeps blobs by key. A key names one blob for ever: writing it again
// replaces the bytes (callers write the same bytes or a new encryption of
// them). Every method returns ErrBadKey for a malformed key. Safe for
// concurrent use.
type Store interface {
	// Put stores data under key, durably before it returns: on the local
	// backend the file and its directory are synced, on S3 the object is
	// stored. A reader never sees a partial blob.
	Put(ctx context.Context, key string, data []byte) error
	// Create is Put only if no blob has key, decided atomically by the
	// store: of writers creating one key at once, across processes sharing
	// the store, exactly one succeeds and the others get ErrExists (a
	// hard link on the local backend, a PUT with If-None-Match: * on S3).
	// Durable before it returns, as Put.
	Create(ctx context.Context, key string, data []byte) error
	// Get returns the blob's bytes. Returns ErrNotFound when there is none.
	Get(ctx context.Context, key string) ([]byte, error)
	// Stat describes the blob. Returns ErrNotFound when there is none.
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes the blob durably; deleting a missing blob is not an
	// error.
	Delete(ctx context.Context, key string) error
	// List yields every blob, ordered by key.
	List(ctx context.Context) iter.Seq2[Info, error]
	// String describes the store for logs, without credentials.
	String() string
}

var keyPattern = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._-]{0,127}$`)

// checkKey returns ErrBadKey for a malformed key.
func checkKey(key string) error {
	if !keyPattern.MatchString(key) {
		return fmt.Errorf("%w: %q", ErrBadKey, key)
	}
	return nil
}

// Open opens the store a URL names:
//
//	file:///var/lib/yishi/attachments          a local directory
//	s3://bucket?endpoint=minio:9000&secure=false&region=us-east-1&prefix=yishi/
//
// For s3, the endpoint is host[:port] (default s3.amazonaws.com), secure
// says whether to use TLS (default true), prefix is prepended to every key,
// and path=true forces path-style requests (default: chosen by the
// library). Credentials are never in the URL: they come from getenv,
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN), or
// MINIO_ROOT_USER and MINIO_ROOT_PASSWORD. Open checks that the bucket
// exists.
func Open(ctx context.Context, rawURL string, getenv func(string) string) (Store, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("blob: store URL: %w", err)
	}
	switch u.Scheme {
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("blob: file URL %q names a host; want file:///absolute/path", rawURL)
		}
		if u.Path == "" {
			return nil, fmt.Errorf("blob: file URL %q has no path", rawURL)
		}
		return OpenDir(u.Path)
	case "s3":
		return openS3(ctx, u, getenv)
	}
	return nil, fmt.Errorf("blob: store URL %q: want file:///path or s3://bucket?endpoint=host:port", rawURL)
}
