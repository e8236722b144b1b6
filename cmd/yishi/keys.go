package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/eventstore/kurrent"
	"github.com/yishi-civic/yishi/internal/answershelf"
	"github.com/yishi-civic/yishi/privacy"
)

// keysFlag registers --keys, the key store of personal data
// (docs/privacy.md). Empty means keysDir's default.
func keysFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	return fs.String("keys", getenv("YISHI_KEYS"), "the key store of personal data: a directory (or file:///dir) of the embedded key store, default <data>/keys beside the embedded store; or s3://bucket?endpoint=host:port&prefix=keys/ for a store several replicas share, its keys wrapped under the key-encryption key in env YISHI_KEYS_KEK or the file named by YISHI_KEYS_KEK_FILE (env YISHI_KEYS; docs/scaling.md)")
}

// keysDir is where the key store of the ledger in spec lives: keys when
// given, else the directory "keys" inside the data directory (the
// embedded store's, or dataDir for KurrentDB).
func keysDir(keys, spec, dataDir string) string {
	switch {
	case strings.HasPrefix(keys, "file://"):
		return strings.TrimPrefix(strings.TrimPrefix(keys, "file://"), "localhost")
	case keys != "":
		return keys
	case spec != "" && !kurrent.IsConnectionString(spec):
		return filepath.Join(spec, "keys")
	}
	return filepath.Join(dataDir, "keys")
}

// isSharedKeys reports whether keys (keysDir's answer) names a key store
// that replicas share rather than a directory.
func isSharedKeys(keys string) bool { return strings.HasPrefix(keys, "s3://") }

// openKeyStore opens the key store keys names (keysDir's answer): the
// embedded KeyDir in a directory, opened with opts; or, for an s3:// URL,
// the store several replicas share (privacy.SharedKeys), whose
// key-encryption key must be given (YISHI_KEYS_KEK, or a file named by
// YISHI_KEYS_KEK_FILE such as a compose secret): without one it refuses.
// The key-encryption key is never printed, logged or written anywhere.
func openKeyStore(ctx context.Context, keys string, getenv func(string) string, opts ...privacy.KeyDirOption) (privacy.KeyStore, error) {
	if !isSharedKeys(keys) {
		kd, err := privacy.OpenKeyDir(keys, opts...)
		if err != nil {
			return nil, fmt.Errorf("--keys: %w", err)
		}
		return kd, nil
	}
	kek, err := keyEncryptionKey(getenv)
	if err != nil {
		return nil, err
	}
	bucket, err := blob.Open(ctx, keys, getenv)
	if err != nil {
		return nil, fmt.Errorf("--keys: %w", err)
	}
	ks, err := privacy.OpenSharedKeys(ctx, bucket, kek)
	if err != nil {
		return nil, fmt.Errorf("--keys: %w", err)
	}
	return ks, nil
}

// keyEncryptionKey reads the shared key store's key-encryption key from
// YISHI_KEYS_KEK or the file YISHI_KEYS_KEK_FILE names.
func keyEncryptionKey(getenv func(string) string) ([]byte, error) {
	text, from := getenv("YISHI_KEYS_KEK"), "YISHI_KEYS_KEK"
	if file := getenv("YISHI_KEYS_KEK_FILE"); file != "" {
		if text != "" {
			return nil, errors.New("--keys: set YISHI_KEYS_KEK or YISHI_KEYS_KEK_FILE, not both")
		}
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("--keys: YISHI_KEYS_KEK_FILE: %w", err)
		}
		text, from = string(b), "YISHI_KEYS_KEK_FILE"
	}
	if text == "" {
		return nil, errors.New("--keys: a shared key store needs its key-encryption key: set YISHI_KEYS_KEK (32 bytes in base64: head -c 32 /dev/urandom | base64) or YISHI_KEYS_KEK_FILE, the same on every replica")
	}
	kek, err := privacy.ParseKEK(text)
	if err != nil {
		return nil, fmt.Errorf("--keys: %s: %w", from, err)
	}
	return kek, nil
}

// checkApart refuses a shared key store in the attachment store's place:
// the attachments' sweep erases every object no reference names, so the
// two must not share a bucket prefix (one being a prefix of the other).
func checkApart(blobsURL, keys string) error {
	if !isSharedKeys(keys) || !strings.HasPrefix(blobsURL, "s3://") {
		return nil
	}
	b, err1 := url.Parse(blobsURL)
	k, err2 := url.Parse(keys)
	if err1 != nil || err2 != nil {
		return nil // blob.Open says what is wrong
	}
	bq, kq := b.Query(), k.Query()
	if b.Host != k.Host || bq.Get("endpoint") != kq.Get("endpoint") {
		return nil
	}
	bp, kp := bq.Get("prefix"), kq.Get("prefix")
	if strings.HasPrefix(bp, kp) || strings.HasPrefix(kp, bp) {
		return fmt.Errorf("--keys and --blobs share bucket %s with prefixes %q and %q: give each a prefix of its own (prefix=keys/ and prefix=attachments/), or the sweep of attachments would erase the keys", b.Host, kp, bp)
	}
	return nil
}

// openSealer opens the key store keys names (see openKeyStore) and a
// sealer over it.
func openSealer(ctx context.Context, keys string, getenv func(string) string) (*privacy.Sealer, error) {
	ks, err := openKeyStore(ctx, keys, getenv)
	if err != nil {
		return nil, err
	}
	return privacy.NewSealer(ks), nil
}

// closeSealer closes s's key store, keeping the first error.
func closeSealer(s *privacy.Sealer, err *error) {
	if cerr := s.Keys().Close(); cerr != nil && *err == nil {
		*err = cerr
	}
}

// keyLine is one line of a key file (export --with-keys, person
// import-keys): a key or the tombstone of an erased one.
type keyLine struct {
	ID     string    `json:"id"`
	Key    []byte    `json:"key,omitempty"`
	Erased time.Time `json:"erased,omitzero"`
}

// copyKeys puts every key and tombstone of src into dst, in batches, and
// returns how many.
func copyKeys(ctx context.Context, src, dst privacy.KeyStore) (int, error) {
	n := 0
	var batch []privacy.Entry
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := dst.Put(ctx, batch)
		n += len(batch)
		batch = batch[:0]
		return err
	}
	for e, err := range src.All(ctx) {
		if err != nil {
			return n, fmt.Errorf("read keys: %w", err)
		}
		if shelfKey(e.ID) {
			continue
		}
		batch = append(batch, e)
		if len(batch) == 1000 {
			if err := flush(); err != nil {
				return n, fmt.Errorf("write keys: %w", err)
			}
		}
	}
	if err := flush(); err != nil {
		return n, fmt.Errorf("write keys: %w", err)
	}
	return n, nil
}

// writeKeyFile writes every key and tombstone of ks to path as JSON lines,
// readable by its owner only, and returns how many.
func writeKeyFile(ctx context.Context, ks privacy.KeyStore, path string) (n int, err error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return 0, fmt.Errorf("--with-keys: %w", err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("--with-keys: %w", cerr)
		}
	}()
	bw := bufio.NewWriter(f)
	enc := json.NewEncoder(bw)
	for e, err := range ks.All(ctx) {
		if err != nil {
			return n, fmt.Errorf("--with-keys: %w", err)
		}
		if shelfKey(e.ID) {
			continue
		}
		if err := enc.Encode(keyLine(e)); err != nil {
			return n, fmt.Errorf("--with-keys: %w", err)
		}
		n++
	}
	if err := bw.Flush(); err != nil {
		return n, fmt.Errorf("--with-keys: %w", err)
	}
	return n, f.Sync()
}

// readKeyFile puts the keys of a key file into ks and returns how many.
func readKeyFile(ctx context.Context, ks privacy.KeyStore, path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("--in: %w", err)
	}
	defer f.Close()
	dec := json.NewDecoder(bufio.NewReader(f))
	var entries []privacy.Entry
	for line := 1; ; line++ {
		var k keyLine
		if err := dec.Decode(&k); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return 0, fmt.Errorf("--in: line %d: %w", line, err)
		}
		if k.ID == "" || (k.Key == nil) == k.Erased.IsZero() {
			return 0, fmt.Errorf("--in: line %d: want an id with either a key or an erasure time", line)
		}
		if shelfKey(k.ID) {
			continue
		}
		entries = append(entries, privacy.Entry(k))
	}
	if err := ks.Put(ctx, entries); err != nil {
		return 0, err
	}
	return len(entries), nil
}

// describeKeys says where the key store is, for the start-up lines: never
// credentials, never the key-encryption key.
func describeKeys(keys string) string {
	if !isSharedKeys(keys) {
		return keys
	}
	u, err := url.Parse(keys)
	if err != nil {
		return "a shared key store"
	}
	q := u.Query()
	return fmt.Sprintf("s3://%s/%s at %s, shared, wrapped under the key-encryption key", u.Host, q.Get("prefix"), q.Get("endpoint"))
}

// shelfKey reports whether id is an answer shelf's key: it seals a cache
// of one server, so backups, copies and imports of keys leave it out (a
// key store restored from a backup must not bring back a key an erasure
// destroyed since).
func shelfKey(id string) bool { return strings.HasPrefix(id, answershelf.KeyPrefix) }
