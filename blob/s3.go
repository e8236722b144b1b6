package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3 is the Store on an S3-compatible bucket. Objects are private: the
// service reads them with its own credentials and serves them through its
// read policy; it never hands out a bucket URL.
type S3 struct {
	client *minio.Client
	bucket string
	prefix string
	desc   string
}

var _ Store = (*S3)(nil)

// openS3 opens the bucket an s3:// URL names (see Open).
func openS3(ctx context.Context, u *url.URL, getenv func(string) string) (*S3, error) {
	if u.User != nil {
		return nil, errors.New("blob: an s3 URL must not carry credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
	}
	bucket := u.Host
	if bucket == "" {
		return nil, errors.New("blob: s3 URL names no bucket (s3://bucket?endpoint=host:port)")
	}
	q := u.Query()
	endpoint := q.Get("endpoint")
	if endpoint == "" {
		endpoint = "s3.amazonaws.com"
	}
	secure := true
	if v := q.Get("secure"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("blob: s3 URL: secure=%q: want true or false", v)
		}
		secure = b
	}
	lookup := minio.BucketLookupAuto
	if v := q.Get("path"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("blob: s3 URL: path=%q: want true or false", v)
		}
		if b {
			lookup = minio.BucketLookupPath
		}
	}
	for k := range q {
		switch k {
		case "endpoint", "secure", "path", "region", "prefix":
		default:
			return nil, fmt.Errorf("blob: s3 URL: unknown parameter %q (want endpoint, secure, path, region, prefix)", k)
		}
	}
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	id, secret := getenv("AWS_ACCESS_KEY_ID"), getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" {
		id, secret = getenv("MINIO_ROOT_USER"), getenv("MINIO_ROOT_PASSWORD")
	}
	client, err := minio.New(endpoint, &minio.Options{
		Creds:        credentials.NewStaticV4(id, secret, getenv("AWS_SESSION_TOKEN")),
		Secure:       secure,
		Region:       q.Get("region"),
		BucketLookup: lookup,
	})
	if err != nil {
		return nil, fmt.Errorf("blob: s3 client for %s: %w", endpoint, err)
	}
	scheme := "https"
	if !secure {
		scheme = "http"
	}
	s := &S3{client: client, bucket: bucket, prefix: q.Get("prefix"),
		desc: fmt.Sprintf("s3://%s/%s at %s://%s", bucket, q.Get("prefix"), scheme, endpoint)}
	ok, err := client.BucketExists(ctx, bucket)
	if err != nil {
		return nil, fmt.Errorf("blob: %s: %w", s.desc, err)
	}
	if !ok {
		return nil, fmt.Errorf("blob: %s: the bucket does not exist", s.desc)
	}
	return s, nil
}

// String implements Store.
func (s *S3) String() string { return s.desc }

// notFound reports whether err is S3's answer for a missing object.
func notFound(err error) bool {
	code := minio.ToErrorResponse(err).Code
	return code == minio.NoSuchKey || code == "NotFound"
}

// Put implements Store: one PUT with a Content-MD5, so the server refuses
// bytes damaged on the way; the object exists once it answers.
func (s *S3) Put(ctx context.Context, key string, data []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	_, err := s.client.PutObject(ctx, s.bucket, s.prefix+key, bytes.NewReader(data), int64(len(data)),
		minio.PutObjectOptions{ContentType: "application/octet-stream", SendContentMd5: true, DisableMultipart: true})
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	return nil
}

// Create implements Store: a PUT with If-None-Match: *, which S3 (since
// 2024), MinIO and gofakes3 decide atomically; 412 Precondition Failed is
// ErrExists. AWS answers 409 ConditionalRequestConflict while another
// conditional write of the key is in flight: the PUT is then tried again.
func (s *S3) Create(ctx context.Context, key string, data []byte) error {
	if err := checkKey(key); err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		opts := minio.PutObjectOptions{ContentType: "application/octet-stream", SendContentMd5: true, DisableMultipart: true}
		opts.SetMatchETagExcept("*")
		_, err := s.client.PutObject(ctx, s.bucket, s.prefix+key, bytes.NewReader(data), int64(len(data)), opts)
		resp := minio.ToErrorResponse(err)
		switch {
		case err == nil:
			return nil
		case resp.Code == "PreconditionFailed" || resp.StatusCode == http.StatusPreconditionFailed:
			return fmt.Errorf("%w: %s", ErrExists, key)
		case resp.Code == "ConditionalRequestConflict" && attempt < 5:
			select {
			case <-ctx.Done():
				return fmt.Errorf("blob: create %s: %w", key, ctx.Err())
			case <-time.After(time.Duration(attempt+1) * 50 * time.Millisecond):
			}
			continue
		}
		return fmt.Errorf("blob: create %s: %w", key, err)
	}
}

// Get implements Store.
func (s *S3) Get(ctx context.Context, key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, s.prefix+key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("blob: get %s: %w", key, err)
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	if notFound(err) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: get %s: %w", key, err)
	}
	return b, nil
}

// Stat implements Store.
func (s *S3) Stat(ctx context.Context, key string) (Info, error) {
	if err := checkKey(key); err != nil {
		return Info{}, err
	}
	oi, err := s.client.StatObject(ctx, s.bucket, s.prefix+key, minio.StatObjectOptions{})
	if notFound(err) {
		return Info{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return Info{}, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	return Info{Key: key, Size: oi.Size, Modified: oi.LastModified}, nil
}

// Delete implements Store.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	err := s.client.RemoveObject(ctx, s.bucket, s.prefix+key, minio.RemoveObjectOptions{})
	if err != nil && !notFound(err) {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	return nil
}

// List implements Store (S3 lists keys in order).
func (s *S3) List(ctx context.Context) iter.Seq2[Info, error] {
	return func(yield func(Info, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		for oi := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true}) {
			if oi.Err != nil {
				yield(Info{}, fmt.Errorf("blob: list %s: %w", s.desc, oi.Err))
				return
			}
			key := strings.TrimPrefix(oi.Key, s.prefix)
			if checkKey(key) != nil {
				continue
			}
			if !yield(Info{Key: key, Size: oi.Size, Modified: oi.LastModified}, nil) {
				return
			}
		}
	}
}

// Versioned reports whether the bucket keeps old versions of objects
// (versioning enabled or suspended with versions kept): a store that must
// destroy bytes, such as privacy.SharedKeys, refuses such a bucket.
func (s *S3) Versioned(ctx context.Context) (bool, error) {
	cfg, err := s.client.GetBucketVersioning(ctx, s.bucket)
	if err != nil {
		return false, fmt.Errorf("blob: versioning of %s: %w", s.desc, err)
	}
	return cfg.Enabled() || cfg.Suspended(), nil
}
