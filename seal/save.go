package seal

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/internal/durable"
)

// saveMagic starts a saved tree; the format is magic, then little-endian
// n, head, unsafe and the number of stored hashes (8 bytes each), the n
// leaves' positions (8 bytes each), the stored hashes (32 bytes each), and
// the SHA-256 of everything before it.
const saveMagic = "yishi-tree v1\n"

// Save writes what l holds to path, atomically (durable.WriteFile), so that the next start loads it (Load) and follows
// the log from its head instead of hashing the whole log again.
func (l *Log) Save(path string) error {
	l.mu.RLock()
	defer l.mu.RUnlock()
	err := durable.WriteFile(path, func(out io.Writer) error {
		h := sha256.New()
		w := io.MultiWriter(out, h)
		var b [8]byte
		put := func(v uint64) error {
			binary.LittleEndian.PutUint64(b[:], v)
			_, err := w.Write(b[:])
			return err
		}
		if _, err := io.WriteString(w, saveMagic); err != nil {
			return err
		}
		for _, v := range []uint64{uint64(l.tree.n), uint64(l.tree.head), uint64(l.unsafe), uint64(l.tree.hashes.len())} {
			if err := put(v); err != nil {
				return err
			}
		}
		if err := l.positions.all(func(p eventstore.Position) error { return put(uint64(p)) }); err != nil {
			return err
		}
		if err := l.tree.hashes.all(func(h tlog.Hash) error { _, err := w.Write(h[:]); return err }); err != nil {
			return err
		}
		_, err := out.Write(h.Sum(nil))
		return err
	})
	if err != nil {
		return fmt.Errorf("seal: save the tree: %w", err)
	}
	return nil
}

// ErrNoSave is returned by Load when there is no saved tree.
var ErrNoSave = errors.New("seal: no saved tree")

// Load fills l, which must be empty, with the tree Save wrote to path,
// after checking the file's checksum and shape, and that its last leaf is
// the chain hash of the event store holds at the same position (a saved
// tree of another or an older ledger is refused). On any error l stays
// empty: the caller builds the tree from the log as before.
func (l *Log) Load(ctx context.Context, path string, store eventstore.Store) error {
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return ErrNoSave
	}
	if err != nil {
		return fmt.Errorf("seal: load the saved tree: %w", err)
	}
	t, positions, unsafe, err := decodeSaved(raw)
	if err != nil {
		return fmt.Errorf("seal: load the saved tree %s: %w", path, err)
	}
	if t.n > 0 {
		if err := matchesStore(ctx, t, store); err != nil {
			return fmt.Errorf("seal: load the saved tree %s: %w", path, err)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tree.n != 0 {
		return fmt.Errorf("seal: load the saved tree: the tree holds %d events already", l.tree.n)
	}
	l.tree, l.positions, l.unsafe = t, positions, unsafe
	return nil
}

// decodeSaved parses and checks a saved tree.
func decodeSaved(raw []byte) (Tree, chunks[eventstore.Position], int64, error) {
	const head = len(saveMagic) + 4*8
	if len(raw) < head+sha256.Size || !bytes.HasPrefix(raw, []byte(saveMagic)) {
		return Tree{}, chunks[eventstore.Position]{}, 0, errors.New("not a saved tree")
	}
	body, sum := raw[:len(raw)-sha256.Size], raw[len(raw)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return Tree{}, chunks[eventstore.Position]{}, 0, errors.New("checksum mismatch")
	}
	r := body[len(saveMagic):]
	next := func() uint64 { v := binary.LittleEndian.Uint64(r); r = r[8:]; return v }
	n, headPos, unsafe, stored := int64(next()), eventstore.Position(next()), int64(next()), next()
	// Bounded by the file first, so that no product below overflows and no
	// slice is made larger than what the file holds.
	if n < 0 || uint64(n) > uint64(len(r))/8 || stored > uint64(len(r))/tlog.HashSize || unsafe < 0 || unsafe > n ||
		stored != uint64(tlog.StoredHashCount(n)) || uint64(len(r)) != uint64(n)*8+stored*tlog.HashSize {
		return Tree{}, chunks[eventstore.Position]{}, 0, fmt.Errorf("%d events do not match its size", n)
	}
	var positions chunks[eventstore.Position]
	for i := range n {
		p := eventstore.Position(next())
		if i > 0 && p <= positions.at(i-1) {
			return Tree{}, chunks[eventstore.Position]{}, 0, fmt.Errorf("positions out of order at leaf %d", i)
		}
		positions.add(p)
	}
	if n > 0 && positions.at(n-1) != headPos {
		return Tree{}, chunks[eventstore.Position]{}, 0, errors.New("the head is not the last leaf's position")
	}
	var hashes chunks[tlog.Hash]
	for i := range stored {
		hashes.add(tlog.Hash(r[i*tlog.HashSize:]))
	}
	return Tree{hashes: hashes, n: n, head: headPos}, positions, unsafe, nil
}

// matchesStore checks that t's last leaf is the record hash of the event
// store holds at t's head.
func matchesStore(ctx context.Context, t Tree, store eventstore.Store) error {
	for ev, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{From: t.head, Max: 1}) {
		if err != nil {
			return fmt.Errorf("read the event at its head: %w", err)
		}
		if ev.Position != t.head {
			break
		}
		data, err := leaf(ev)
		if err != nil {
			return err
		}
		want := t.hashes.at(tlog.StoredHashIndex(0, t.n-1))
		if tlog.RecordHash(data) != want {
			return fmt.Errorf("its last leaf is not the event at position %d", t.head)
		}
		return nil
	}
	return fmt.Errorf("the store holds no event at its head, position %d", t.head)
}
