package privacy

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/yishi-civic/yishi/blob"
)

// Blobs keeps attachments (photos that may show a person or a door)
// encrypted in a blob.Store, content-addressed by the SHA-256 of their
// plaintext. Each stored photo is sealed (AES-256-GCM) under a key of its
// own, "blob/<sha256>/<generation>", kept in the same key store as every
// other key; the object holds only the key's id and the ciphertext. The
// ledger destroys that key, and deletes the object, when the last person or
// item whose sealed events refer to the photo is erased (ledger.Erase), so
// that every copy of the object (the bucket's replicas, backups, a yishi
// copy) becomes unreadable while a photo two items share stays with the one
// not erased. docs/privacy.md explains the choice. Safe for concurrent use.
type Blobs struct {
	store blob.Store
	seal  *Sealer
}

// NewBlobs returns the encrypted attachment store over store, with the
// keys of seal.
func NewBlobs(store blob.Store, seal *Sealer) *Blobs { return &Blobs{store: store, seal: seal} }

// Store returns the underlying blob store (for copies: objects travel as
// they are stored, ciphertext).
func (b *Blobs) Store() blob.Store { return b.store }

// blobMagic starts every sealed object: "yishi-blob:v1\n<key id>\n" then
// the nonce and the ciphertext (the key id is the additional data). An
// object without it is a file written before encryption, read as it is.
const blobMagic = "yishi-blob:v1\n"

// BlobKeyPrefix starts the ids of the photos' keys in the key store.
const BlobKeyPrefix = "blob/"

// ErrBlobDamaged is returned by Get for an object that is not the photo its
// address names (a wrong or damaged object).
var ErrBlobDamaged = errors.New("stored attachment does not match its address")

// Put stores plain under sum, the SHA-256 of plain in lowercase hex, sealed
// under a fresh key created (durably) first, and returns once the object is
// durable. A photo already stored and readable is not written again
// (deduplication); one whose key was erased is stored anew under a new key.
func (b *Blobs) Put(ctx context.Context, sum string, plain []byte) error {
	if got := sha256.Sum256(plain); hex.EncodeToString(got[:]) != sum {
		return fmt.Errorf("attachment %s: the bytes have another hash", sum)
	}
	if _, err := b.Get(ctx, sum); err == nil {
		return nil
	} else if !errors.Is(err, blob.ErrNotFound) && !errors.Is(err, ErrErased) && !errors.Is(err, ErrBlobDamaged) {
		return err
	}
	gen := make([]byte, 8)
	if _, err := rand.Read(gen); err != nil {
		return fmt.Errorf("attachment %s: key id: %w", sum, err)
	}
	id := BlobKeyPrefix + sum + "/" + hex.EncodeToString(gen)
	if _, err := b.seal.keys.Ensure(ctx, []string{id}); err != nil {
		return fmt.Errorf("attachment %s: %w", sum, err)
	}
	a, err := b.seal.cipherFor(ctx, id)
	if err != nil {
		return fmt.Errorf("attachment %s: %w", sum, err)
	}
	if a == nil {
		return fmt.Errorf("attachment %s: key %s: %w", sum, id, ErrNoKey)
	}
	obj := make([]byte, 0, len(blobMagic)+len(id)+1+a.NonceSize()+len(plain)+a.Overhead())
	obj = append(append(append(obj, blobMagic...), id...), '\n')
	nonce := make([]byte, a.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("attachment %s: nonce: %w", sum, err)
	}
	obj = append(obj, nonce...)
	obj = a.Seal(obj, nonce, plain, []byte(id))
	if err := b.store.Put(ctx, sum, obj); err != nil {
		return fmt.Errorf("attachment %s: %w", sum, err)
	}
	return nil
}

// keyOf returns the key id an object is sealed under and the sealed part;
// ok is false for an object written before encryption.
func keyOf(obj []byte) (id string, sealed []byte, ok bool) {
	rest, found := bytes.CutPrefix(obj, []byte(blobMagic))
	if !found {
		return "", nil, false
	}
	line, sealed, found := bytes.Cut(rest, []byte{'\n'})
	if !found {
		return "", nil, false
	}
	return string(line), sealed, true
}

// Get returns the photo stored under sum. Returns an error wrapping
// blob.ErrNotFound when there is none, ErrErased when its key was erased,
// and ErrBlobDamaged when the object does not open to bytes hashing to sum.
func (b *Blobs) Get(ctx context.Context, sum string) ([]byte, error) {
	obj, err := b.store.Get(ctx, sum)
	if err != nil {
		return nil, fmt.Errorf("attachment %s: %w", sum, err)
	}
	plain := obj
	if id, sealed, ok := keyOf(obj); ok {
		a, err := b.seal.cipherFor(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("attachment %s: %w", sum, err)
		}
		if a == nil {
			return nil, fmt.Errorf("attachment %s: %w", sum, ErrErased)
		}
		if len(sealed) < a.NonceSize() {
			return nil, fmt.Errorf("attachment %s: %w", sum, ErrBlobDamaged)
		}
		if plain, err = a.Open(nil, sealed[:a.NonceSize()], sealed[a.NonceSize():], []byte(id)); err != nil {
			return nil, fmt.Errorf("attachment %s: %w", sum, ErrBlobDamaged)
		}
	}
	if got := sha256.Sum256(plain); hex.EncodeToString(got[:]) != sum {
		return nil, fmt.Errorf("attachment %s: %w", sum, ErrBlobDamaged)
	}
	return plain, nil
}

// Erase destroys the keys of the photos sums, dated at, and deletes their
// objects: every copy of them, wherever it is kept, is unreadable from then
// on. A photo not stored is skipped.
func (b *Blobs) Erase(ctx context.Context, at time.Time, sums ...string) error {
	for _, sum := range sums {
		obj, err := b.store.Get(ctx, sum)
		if errors.Is(err, blob.ErrNotFound) || errors.Is(err, blob.ErrBadKey) {
			continue
		}
		if err != nil {
			return fmt.Errorf("erase attachment %s: %w", sum, err)
		}
		if id, _, ok := keyOf(obj); ok {
			if err := b.seal.Erase(ctx, at, id); err != nil {
				return fmt.Errorf("erase attachment %s: %w", sum, err)
			}
		}
		if err := b.store.Delete(ctx, sum); err != nil {
			return fmt.Errorf("erase attachment %s: %w", sum, err)
		}
	}
	return nil
}
