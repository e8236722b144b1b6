package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/yishi-civic/yishi/eventstore/kurrent"
	"github.com/yishi-civic/yishi/privacy"
)

// keysFlag registers --keys, the key store of personal data
// (docs/privacy.md). Empty means keysDir's default.
func keysFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	return fs.String("keys", getenv("YISHI_KEYS"), "the key store of personal data; default <data>/keys beside the embedded store (env YISHI_KEYS)")
}

// keysDir is where the key store of the ledger in spec lives: keys when
// given, else the directory "keys" inside the data directory (the
// embedded store's, or dataDir for KurrentDB).
func keysDir(keys, spec, dataDir string) string {
	switch {
	case keys != "":
		return keys
	case spec != "" && !kurrent.IsConnectionString(spec):
		return filepath.Join(spec, "keys")
	}
	return filepath.Join(dataDir, "keys")
}

// openSealer opens the key store in dir and a sealer over it.
func openSealer(dir string) (*privacy.Sealer, error) {
	kd, err := privacy.OpenKeyDir(dir)
	if err != nil {
		return nil, fmt.Errorf("--keys: %w", err)
	}
	return privacy.NewSealer(kd), nil
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
		entries = append(entries, privacy.Entry(k))
	}
	if err := ks.Put(ctx, entries); err != nil {
		return 0, err
	}
	return len(entries), nil
}
