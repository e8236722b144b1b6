package seal

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/yishi-civic/yishi/eventstore"
)

// ErrRange is returned by the proofs of a Log for an index or a size it
// does not hold.
var ErrRange = errors.New("seal: outside the tree")

// Log is the Merkle tree of a live log, safe for concurrent use: Follow
// (or Take, handed another subscription's deliveries) adds each event the
// store commits, and the proofs are answered from the
// stored hashes (two per event, 64 bytes): those of a loaded saved tree
// read in place from its mapped file, the later ones in memory. It is the
// tree Build
// makes, kept up to date, so a checkpoint signed from a Log equals the one
// `yishi seal sign` signs over the same events.
type Log struct {
	mu        sync.RWMutex
	tree      Tree
	positions stored[eventstore.Position] // by leaf index
	unsafe    int64
	// unmap unmaps the saved tree's file that tree and positions read in
	// place (Load, Spill), nil while they read none.
	unmap func()
	// saves counts the saves under way (Save), which read a frozen copy
	// of the tree without the lock: a spill unmaps the file it no longer
	// reads only when none is.
	saves    atomic.Int32
	grew     chan struct{} // closed and replaced whenever the tree grows
	isUnsafe func(eventstore.Event) bool
	// caughtUp is set once Follow (or Take) has added every event the
	// store held when its subscription started.
	caughtUp atomic.Bool
	// onDamage, if set, is told of the first damaged part found in each
	// saved file read in place (OnDamage).
	onDamage func(error, os.FileInfo)
}

// OnDamage has f called, once per saved file l reads in place (Load,
// Spill), when a part of it is first found damaged (ErrDamaged), by
// whatever read found it: a proof, a save, CheckSaved, with the damaged
// file's information (nil when it could not be had): a save or a
// CheckSaved under way during a Spill may find damage in the file the
// spill replaced, whose path then names the new file (os.SameFile tells
// them apart). f must not call l's methods. Set it before Load.
func (l *Log) OnDamage(f func(err error, file os.FileInfo)) { l.onDamage = f }

// NewLog returns an empty Log. unsafe, if not nil, names the events whose
// leaf hash must not be published (a secret ballot written before hash
// scheme 3 salted it); Unsafe counts them.
func NewLog(unsafe func(eventstore.Event) bool) *Log {
	return &Log{grew: make(chan struct{}), isUnsafe: unsafe}
}

// Add records the next event of the log.
func (l *Log) Add(ev eventstore.Event) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.add(ev)
}

// add records ev. The caller holds mu.
func (l *Log) add(ev eventstore.Event) error {
	if err := l.tree.Add(ev); err != nil {
		return err
	}
	l.positions.add(ev.Position)
	if l.isUnsafe != nil && l.isUnsafe(ev) {
		l.unsafe++
	}
	close(l.grew)
	l.grew = make(chan struct{})
	return nil
}

// Follow adds every event of store to l, from the first one l does not
// hold, until ctx ends (returning ctx's error) or the store fails.
func (l *Log) Follow(ctx context.Context, store eventstore.Store) error {
	for d, err := range store.Subscribe(ctx, eventstore.SubscribeOptions{After: l.After()}) {
		if err != nil {
			return fmt.Errorf("seal: follow the log: %w", err)
		}
		if err := l.Take(d); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// After is the position of the last event l holds: it takes the log's
// events after it.
func (l *Log) After() eventstore.Position {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.tree.head
}

// Take takes one delivery of a subscription to the whole log, unfiltered,
// from After or earlier: it adds the delivery's event unless l holds it
// already, and the caught-up checkpoint marks l caught up. Follow takes
// its own subscription's; a server hands it those of the projections'
// runner (projections.Config.Tap), so that one read of the log feeds both
// the views and the tree.
func (l *Log) Take(d eventstore.Delivery) error {
	if ev := d.Event; ev != nil {
		l.mu.Lock()
		var err error
		if ev.Position > l.tree.head {
			err = l.add(*ev)
		}
		l.mu.Unlock()
		if err != nil {
			return err
		}
	}
	if d.CaughtUp {
		l.caughtUp.Store(true)
	}
	return nil
}

// CaughtUp reports whether Follow (or Take) has added every event the
// store held when its subscription started: until then a checkpoint of l
// is of a prefix of the log, and the service is not ready.
func (l *Log) CaughtUp() bool { return l.caughtUp.Load() }

// Wait returns once l holds the event at pos (or a later one), or with
// ctx's error.
func (l *Log) Wait(ctx context.Context, pos eventstore.Position) error {
	for {
		l.mu.RLock()
		head, grew := l.tree.head, l.grew
		l.mu.RUnlock()
		if head >= pos {
			return nil
		}
		select {
		case <-grew:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Unsafe is the number of events whose leaf hash must not be published
// (see NewLog).
func (l *Log) Unsafe() int64 {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.unsafe
}

// Head returns the tree's size, root and the position of its last event.
func (l *Log) Head() (Checkpoint, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	root, err := l.tree.Root()
	if err != nil {
		return Checkpoint{}, fmt.Errorf("seal: root: %w", err)
	}
	return Checkpoint{Size: l.tree.n, Root: root, Head: l.tree.head}, nil
}

// Index returns the leaf index of the event at pos, and false when no
// event of the tree is there.
func (l *Log) Index(pos eventstore.Position) (int64, bool) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	n := int(l.positions.len())
	i := sort.Search(n, func(i int) bool { return l.positions.at(int64(i)) >= pos })
	if i == n || l.positions.at(int64(i)) != pos {
		return 0, false
	}
	return int64(i), true
}

// Position returns the global position of the event at leaf index i.
func (l *Log) Position(i int64) (eventstore.Position, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if i < 0 || i >= l.positions.len() {
		return 0, fmt.Errorf("%w: leaf %d of %d", ErrRange, i, l.positions.len())
	}
	return l.positions.at(i), nil
}

// Leaf returns the hash of leaf i: tlog.RecordHash of the event's chain
// hash.
func (l *Log) Leaf(i int64) (tlog.Hash, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if i < 0 || i >= l.tree.n {
		return tlog.Hash{}, fmt.Errorf("%w: leaf %d of %d", ErrRange, i, l.tree.n)
	}
	var h tlog.Hash
	err := undamaged(func() error {
		h = l.tree.hashes.at(tlog.StoredHashIndex(0, i))
		return nil
	})
	return h, err
}

// InclusionProof proves that leaf i is in the tree of the first size
// leaves (tlog.ProveRecord; check it with tlog.CheckRecord).
func (l *Log) InclusionProof(i, size int64) (tlog.RecordProof, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if size > l.tree.n || i < 0 || i >= size {
		return nil, fmt.Errorf("%w: leaf %d in a tree of %d (the log holds %d)", ErrRange, i, size, l.tree.n)
	}
	p, err := tlog.ProveRecord(size, i, &l.tree)
	if err != nil {
		return nil, fmt.Errorf("seal: inclusion proof: %w", err)
	}
	return p, nil
}

// ConsistencyProof proves that the tree of the first size leaves extends
// the tree of the first old ones (tlog.ProveTree; check it with
// tlog.CheckTree).
func (l *Log) ConsistencyProof(old, size int64) (tlog.TreeProof, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if size > l.tree.n || old < 1 || old > size {
		return nil, fmt.Errorf("%w: from %d to %d leaves (the log holds %d)", ErrRange, old, size, l.tree.n)
	}
	p, err := tlog.ProveTree(size, old, &l.tree)
	if err != nil {
		return nil, fmt.Errorf("seal: consistency proof: %w", err)
	}
	return p, nil
}

// Frontier is the right edge of a Merkle tree: the hashes of its perfect
// subtrees, largest first. It is enough to add leaves and compute the
// root, in memory of O(log n), for a reader that streams a log once (yishi
// audit). The zero Frontier is empty.
type Frontier struct {
	n      int64
	hashes []tlog.Hash
}

// Add appends a leaf hash (tlog.RecordHash of the leaf's data).
func (f *Frontier) Add(leaf tlog.Hash) {
	h := leaf
	for k := f.n; k&1 == 1; k >>= 1 {
		h = tlog.NodeHash(f.hashes[len(f.hashes)-1], h)
		f.hashes = f.hashes[:len(f.hashes)-1]
	}
	f.hashes = append(f.hashes, h)
	f.n++
}

// Size is the number of leaves added.
func (f *Frontier) Size() int64 { return f.n }

// Root is the tree's root hash, as tlog.TreeHash computes it.
func (f *Frontier) Root() tlog.Hash {
	if f.n == 0 {
		return tlog.Hash{}
	}
	h := f.hashes[len(f.hashes)-1]
	for i := len(f.hashes) - 2; i >= 0; i-- {
		h = tlog.NodeHash(f.hashes[i], h)
	}
	return h
}

// Fingerprint is the SHA-256 of the leaf hashes of a set of events (a
// decision's), concatenated in the log's order. Leaf hashes are public
// (every inclusion proof carries some), so anyone holding the leaves can
// recompute it, and it changes when any of those events is rewritten.
func Fingerprint(leaves []tlog.Hash) [sha256.Size]byte {
	h := sha256.New()
	for _, l := range leaves {
		h.Write(l[:])
	}
	var fp [sha256.Size]byte
	h.Sum(fp[:0])
	return fp
}

// Matches reports whether c is a checkpoint of l's log as it is now: the
// tree of its first c.Size events has c's root and its c.Size-th event is
// at c's head position. A checkpoint signed before the log was rewritten
// no longer matches.
func (l *Log) Matches(c Checkpoint) (bool, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if c.Size < 1 || c.Size > l.tree.n {
		return false, nil
	}
	root, err := tlog.TreeHash(c.Size, &l.tree)
	if err != nil {
		return false, fmt.Errorf("seal: root of %d leaves: %w", c.Size, err)
	}
	return root == c.Root && l.positions.at(c.Size-1) == c.Head, nil
}

// Damaged reports whether a part of the saved tree's file that l reads in
// place did not match its checksum (ErrDamaged): a file to hash again
// from the log rather than load again.
func (l *Log) Damaged() bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	c := l.tree.hashes.check
	return c != nil && c.damaged.Load()
}

// CheckSaved checks every part of the saved tree's file that l reads in
// place and no read has checked yet, one at a time with pause between two
// (a start reads none of them: this finds damage where no proof reads),
// reading them from the file, not through the mapping, and without l's
// lock (a read from the disk holds back no proof, and no event the fold
// adds). It returns how many parts it read, and the first ErrDamaged,
// other error of a read, or ctx's error. A spill meanwhile, which closes
// the file it replaces, has it start again over the new file (damage it
// found in the file replaced is that file's); spills coming faster than
// one pass over the file would keep it from finishing.
func (l *Log) CheckSaved(ctx context.Context, pause time.Duration) (checked int64, err error) {
	buf := make([]byte, partLen)
	var file *partsCheck
	for k := int64(0); ; k++ {
		if err := ctx.Err(); err != nil {
			return checked, err
		}
		check, n := l.partToCheck(k)
		if check != file && k > 0 {
			k, file = -1, check // a spill swapped the file: from its start
			continue
		}
		file = check
		switch {
		case n == 0:
			return checked, nil
		case n < 0: // checked by a read already
			continue
		}
		if checking != nil {
			checking()
		}
		if err := check.read(k, n, buf); err != nil {
			if l.saved() != check { // swapped meanwhile
				k, file = -1, nil
				continue
			}
			return checked, err
		}
		checked++
		select {
		case <-ctx.Done():
			return checked, ctx.Err()
		case <-time.After(pause):
		}
	}
}

// checking, when set (by tests), is called by CheckSaved before each read
// of a part, without l's lock.
var checking func()

// saved returns the check of the saved file l reads in place, nil for
// none.
func (l *Log) saved() *partsCheck {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.tree.hashes.check
}

// partToCheck returns the check of the saved file l reads in place, and
// how many bytes part k of its stored hashes holds: 0 past the last part
// (or when l reads no file), -1 when a read has checked it already.
func (l *Log) partToCheck(k int64) (check *partsCheck, n int64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	h := &l.tree.hashes
	size := h.n * h.size
	switch {
	case h.check == nil || k*partLen >= size:
		return h.check, 0
	case h.check.ok[k].Load():
		return h.check, -1
	}
	return h.check, min(size-k*partLen, partLen)
}
