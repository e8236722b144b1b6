package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/policy"
	"github.com/yishi-civic/yishi/seal"
)

// serverKey returns the key the server signs its checkpoints with, and
// its verifier key: dir/server.skey (readable by the server alone) and
// dir/server.vkey, created the first time with the key name name.
func serverKey(dir, name string) (note.Signer, string, error) {
	skeyFile, vkeyFile := filepath.Join(dir, "server.skey"), filepath.Join(dir, "server.vkey")
	skey, err := os.ReadFile(skeyFile)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, "", fmt.Errorf("checkpoint key: %w", err)
		}
		s, v, err := note.GenerateKey(rand.Reader, name)
		if err != nil {
			return nil, "", fmt.Errorf("checkpoint key %q: %w", name, err)
		}
		if err := os.WriteFile(vkeyFile, []byte(v+"\n"), 0o644); err != nil {
			return nil, "", fmt.Errorf("checkpoint key: %w", err)
		}
		// O_EXCL: two servers starting at once on one directory do not
		// each write a key.
		f, err := os.OpenFile(skeyFile, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, "", fmt.Errorf("checkpoint key: %w", err)
		}
		_, werr := f.WriteString(s + "\n")
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			return nil, "", fmt.Errorf("checkpoint key: %w", err)
		}
		skey = []byte(s)
	} else if err != nil {
		return nil, "", fmt.Errorf("checkpoint key: %w", err)
	}
	signer, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		return nil, "", fmt.Errorf("checkpoint key %s: %w", skeyFile, err)
	}
	vkey, err := os.ReadFile(vkeyFile)
	if err != nil {
		return nil, "", fmt.Errorf("checkpoint key: %w", err)
	}
	v := strings.TrimSpace(string(vkey))
	verifier, err := note.NewVerifier(v)
	if err != nil || verifier.KeyHash() != signer.KeyHash() || verifier.Name() != signer.Name() {
		return nil, "", fmt.Errorf("checkpoint key: %s is not the verifier key of %s", vkeyFile, skeyFile)
	}
	return signer, v, nil
}

// newSealLog is the server's live Merkle tree, which counts the secret
// ballots whose hashes must not be published (policy.LeafExposes).
func newSealLog() *seal.Log {
	return seal.NewLog(func(ev eventstore.Event) bool { return policy.LeafExposes(ev.Type, ev.Data, ev.Metadata.Salt) })
}
