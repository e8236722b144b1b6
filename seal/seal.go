// Package seal makes the whole log tamper-evident for auditors who keep a
// copy of a signed checkpoint elsewhere. A Merkle tree (the transparency-log
// tree of golang.org/x/mod/sumdb/tlog, the one Go's checksum database uses)
// is built over the events' chain hashes in global order; a checkpoint is
// its size and root hash, signed with an ed25519 key in the sumdb/note
// format. Re-computing the tree over the first N events of the log and
// comparing it with a checkpoint of size N proves that none of them was
// altered, dropped or reordered since the checkpoint was signed, even by
// someone who rewrote the per-stream hash chains too.
package seal

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/yishi-civic/yishi/eventstore"
)

// ErrMismatch is returned by Check when the log does not match a checkpoint.
var ErrMismatch = errors.New("the log does not match the checkpoint")

// Tree is a Merkle tree over the events of a log, in global order. The
// zero Tree is empty and ready to use.
type Tree struct {
	hashes stored[tlog.Hash] // stored hashes, by tlog storage index
	n      int64
	head   eventstore.Position
}

// ReadHashes implements tlog.HashReader over the stored hashes; a part of
// a saved file that does not match its checksum is an ErrDamaged.
func (t *Tree) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	err := undamaged(func() error {
		for i, x := range indexes {
			if x < 0 || x >= t.hashes.len() {
				return fmt.Errorf("seal: hash %d not stored", x)
			}
			out[i] = t.hashes.at(x)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// undamaged runs f, which reads stored hashes, and returns the ErrDamaged
// a read of a damaged part panics with (stored.at) as its error; any other
// panic goes on.
func undamaged(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok && errors.Is(e, ErrDamaged) {
				err = e
				return
			}
			panic(r)
		}
	}()
	return f()
}

// leaf is what the tree records of an event: its chain hash, which covers
// its stream, revision, id, type, data and metadata, and through the chain
// every earlier event of its stream.
func leaf(ev eventstore.Event) ([]byte, error) {
	h, err := hex.DecodeString(ev.Metadata.Hash)
	if err != nil || len(h) == 0 {
		return nil, fmt.Errorf("seal: event %s@%d (position %d) has no chain hash", ev.Stream, ev.Revision, ev.Position)
	}
	return h, nil
}

// Add records the next event of the log.
func (t *Tree) Add(ev eventstore.Event) error {
	data, err := leaf(ev)
	if err != nil {
		return err
	}
	hs, err := tlog.StoredHashes(t.n, data, t)
	if err != nil {
		return fmt.Errorf("seal: add event %d: %w", t.n, err)
	}
	t.hashes.add(hs...)
	t.n++
	t.head = ev.Position
	return nil
}

// Size is the number of events recorded.
func (t *Tree) Size() int64 { return t.n }

// Root is the tree's root hash.
func (t *Tree) Root() (tlog.Hash, error) { return tlog.TreeHash(t.n, t) }

// Build reads the log from the start and records its first upTo events
// (all of them when upTo is 0). progress, if not nil, is called every
// 100,000 events.
func Build(ctx context.Context, store eventstore.Store, upTo int64, progress func(n int64)) (*Tree, error) {
	t := &Tree{}
	for ev, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		if err != nil {
			return nil, fmt.Errorf("seal: read the log after %d events: %w", t.n, err)
		}
		if err := t.Add(ev); err != nil {
			return nil, err
		}
		if progress != nil && t.n%100000 == 0 {
			progress(t.n)
		}
		if upTo > 0 && t.n == upTo {
			break
		}
	}
	return t, nil
}

// Checkpoint is a signed statement of the log's size, root and head.
type Checkpoint struct {
	// Origin names the ledger, e.g. "yishi hengyuan".
	Origin string
	Size   int64
	Root   tlog.Hash
	// Head is the global position of the Size-th event.
	Head eventstore.Position
}

// text is the checkpoint's signed body: origin, size, root, head.
func (c Checkpoint) text() string {
	return fmt.Sprintf("%s\n%d\n%s\nhead %d\n", c.Origin, c.Size, c.Root, c.Head)
}

// Sign builds the checkpoint of t and signs it with signer; the result is
// a sumdb note an auditor can keep and check with the verifier key.
func Sign(t *Tree, origin string, signer note.Signer) ([]byte, Checkpoint, error) {
	root, err := t.Root()
	if err != nil {
		return nil, Checkpoint{}, fmt.Errorf("seal: root: %w", err)
	}
	c := Checkpoint{Origin: origin, Size: t.n, Root: root, Head: t.head}
	msg, err := c.Sign(signer)
	if err != nil {
		return nil, Checkpoint{}, err
	}
	return msg, c, nil
}

// Sign returns c as a sumdb note signed by signer.
func (c Checkpoint) Sign(signer note.Signer) ([]byte, error) {
	if strings.ContainsAny(c.Origin, "\n") || c.Origin == "" {
		return nil, fmt.Errorf("seal: origin %q must be one non-empty line", c.Origin)
	}
	msg, err := note.Sign(&note.Note{Text: c.text()}, signer)
	if err != nil {
		return nil, fmt.Errorf("seal: sign: %w", err)
	}
	return msg, nil
}

// Open checks a signed checkpoint against the verifier key and parses it.
func Open(msg []byte, verifier note.Verifier) (Checkpoint, error) {
	c, _, err := OpenNote(msg, verifier)
	return c, err
}

// OpenNote checks a signed checkpoint against the server's verifier key
// and parses it; the note it returns lists in Sigs the signatures of the
// server and of the witnesses among known, and in UnverifiedSigs the
// others.
func OpenNote(msg []byte, server note.Verifier, known ...note.Verifier) (Checkpoint, *note.Note, error) {
	n, err := note.Open(msg, note.VerifierList(append([]note.Verifier{server}, known...)...))
	if err != nil {
		return Checkpoint{}, nil, fmt.Errorf("seal: checkpoint signature: %w", err)
	}
	if !slices.ContainsFunc(n.Sigs, func(s note.Signature) bool { return s.Name == server.Name() && s.Hash == server.KeyHash() }) {
		return Checkpoint{}, nil, fmt.Errorf("seal: checkpoint signature: not signed by %s", server.Name())
	}
	c, err := parseCheckpoint(n.Text)
	return c, n, err
}

// parseCheckpoint parses a checkpoint's text.
func parseCheckpoint(text string) (Checkpoint, error) {
	var err error
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[3], "head ") {
		return Checkpoint{}, fmt.Errorf("seal: checkpoint text is not origin, size, root, head")
	}
	var c Checkpoint
	c.Origin = lines[0]
	if c.Size, err = strconv.ParseInt(lines[1], 10, 64); err != nil || c.Size < 0 {
		return Checkpoint{}, fmt.Errorf("seal: checkpoint size %q", lines[1])
	}
	if c.Root, err = tlog.ParseHash(lines[2]); err != nil {
		return Checkpoint{}, fmt.Errorf("seal: checkpoint root: %w", err)
	}
	head, err := strconv.ParseUint(strings.TrimPrefix(lines[3], "head "), 10, 64)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("seal: checkpoint head %q", lines[3])
	}
	c.Head = eventstore.Position(head)
	return c, nil
}

// Check re-computes the tree over the first c.Size events of the log and
// compares it with the checkpoint. Returns an error matching ErrMismatch
// when the log is shorter (events deleted), its tree's root differs
// (events altered, dropped or reordered), or its c.Size-th event is not at
// the checkpoint's head position (positions shifted).
func Check(ctx context.Context, store eventstore.Store, c Checkpoint, progress func(n int64)) error {
	t, err := Build(ctx, store, c.Size, progress)
	if err != nil {
		return err
	}
	if t.Size() < c.Size {
		return fmt.Errorf("%w: the log holds %d events, the checkpoint %d", ErrMismatch, t.Size(), c.Size)
	}
	root, err := t.Root()
	if err != nil {
		return fmt.Errorf("seal: root: %w", err)
	}
	if root != c.Root {
		return fmt.Errorf("%w: the first %d events hash to %s, the checkpoint says %s", ErrMismatch, c.Size, root, c.Root)
	}
	if t.head != c.Head {
		return fmt.Errorf("%w: the log's event number %d is at position %d, the checkpoint's at %d (positions were shifted)", ErrMismatch, c.Size, t.head, c.Head)
	}
	return nil
}
