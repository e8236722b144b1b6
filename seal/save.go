package seal

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"os"
	"slices"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/internal/durable"
)

// saveMagic starts a saved tree; the format is magic, then little-endian
// n, head, unsafe and the number of stored hashes (8 bytes each), the n
// leaves' positions (8 bytes each), the stored hashes (32 bytes each), the
// CRC-32C (Castagnoli) of each partLen bytes of the stored hashes
// (big-endian, 4 bytes each), and the CRC-32C of everything before it but
// the stored hashes, big-endian. A load reads the positions and checks
// them (in order, under the last checksum); the stored hashes, nine tenths
// of the file (650 MB at ten million events), are checked a part at a
// time as they are first read (stored.at), a save checking every part it
// writes: a start reads none of them. The checksums find damage; they are
// no seal (whoever can write the file can write its checksums): a load
// checks the last leaf against the log's event at the head (matchesStore),
// and whoever reads a proof checks it against a signed head.
//
// A file of the second format (saveMagicV2) ends with one CRC-32C of
// everything before it, and one of the first format (saveMagicV1) with
// its SHA-256 (CRC-32C is checked seven times as fast: 6 against 42 ms for
// a million events' 72 MB here, docs/performance.md); both are read as
// well, checked whole at the load. A binary of an earlier format refuses a
// file of a later one, and hashes the whole log again.
const saveMagic = "yishi-tree v3\n"

// saveMagicV2 starts a saved tree of the second format (one CRC-32C).
const saveMagicV2 = "yishi-tree v2\n"

// saveMagicV1 starts a saved tree of the first format (SHA-256).
const saveMagicV1 = "yishi-tree v1\n"

// castagnoli is the CRC-32C table of saved trees' checksums.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// checksumOf returns the checksum a saved tree starting with magic ends
// with, or nil for a magic of no format.
func checksumOf(magic []byte) hash.Hash {
	switch string(magic) {
	case saveMagic, saveMagicV2:
		return crc32.New(castagnoli)
	case saveMagicV1:
		return sha256.New()
	}
	return nil
}

// Save writes what l holds to path, atomically (durable.WriteFile), so
// that the next start loads it (Load) and follows the log from its head
// instead of hashing the whole log again. It writes a frozen copy of the
// tree (frozen), not under l's lock: events go on being added meanwhile,
// and proofs answered, however long a tree of millions takes to write.
func (l *Log) Save(path string) error {
	l.mu.RLock()
	t, positions, unsafe := l.frozen()
	l.saves.Add(1) // under the lock: a swap after it sees this save
	l.mu.RUnlock()
	defer l.saves.Add(-1)
	if saving != nil {
		saving()
	}
	err := durable.WriteFile(path, func(out io.Writer) error {
		h := checksumOf([]byte(saveMagic))
		w := io.MultiWriter(out, h)
		head := []byte(saveMagic)
		for _, v := range []uint64{uint64(t.n), uint64(t.head), uint64(unsafe), uint64(t.hashes.len())} {
			head = binary.LittleEndian.AppendUint64(head, v)
		}
		if _, err := w.Write(head); err != nil {
			return err
		}
		if err := positions.writeTo(w, appendPosition); err != nil {
			return err
		}
		var sums partSums
		if err := t.hashes.writeTo(io.MultiWriter(out, &sums), appendHash); err != nil {
			return err
		}
		table := make([]byte, 0, 4*(len(sums.done)+1))
		for _, sum := range sums.sums() {
			table = binary.BigEndian.AppendUint32(table, sum)
		}
		if _, err := w.Write(table); err != nil {
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

// saving, when set (by tests), is called by every Save once it has frozen
// the tree and counted itself, before it writes.
var saving func()

// frozen returns l's tree, positions and unsafe count as they stand, to be
// read without l's lock: the lists only grow, in blocks that never move,
// so copies of their block lists hold exactly the values held now. The
// caller holds l.mu (read).
func (l *Log) frozen() (Tree, stored[eventstore.Position], int64) {
	t, positions := l.tree, l.positions
	t.hashes.more.blocks = slices.Clone(t.hashes.more.blocks)
	positions.more.blocks = slices.Clone(positions.more.blocks)
	return t, positions, l.unsafe
}

// Spill saves l to path (Save), then reads the hashes and positions the
// save holds in place from the file, as Load does: a tree hashed from the
// whole log (a first start, or a saved tree refused) keeps 72 bytes an
// event on the heap, some 720 MB at ten million events, and keeps only
// those added since the save once spilled. Events added between the save
// and the swap are kept.
//
// A tree that reads from a file already (Load, or an earlier Spill) may
// be spilled again, to hold on the heap none of the events added since:
// the earlier file is unmapped then, and its room on disk returned, unless
// a save is under way (another caller's Save, which may be reading it):
// its mapping then stays for the life of the process, its pages dropped,
// and so does that file's room on disk.
func (l *Log) Spill(path string) error {
	if err := l.Save(path); err != nil {
		return err
	}
	return l.readSaved(path)
}

// Held returns how many of l's events have their hashes on the heap, and
// how many are read from a saved tree's file (Load, Spill).
func (l *Log) Held() (heap, file int64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.positions.more.len(), l.positions.n
}

// readSaved swaps l's tree and positions for those of the tree just saved
// to path, read in place from the file, with the values added since
// after them.
func (l *Log) readSaved(path string) error {
	// A file refused is the one just saved: removed, as the next start
	// would load it.
	refuse := func(err error) error {
		if rmErr := os.Remove(path); rmErr != nil && !errors.Is(rmErr, os.ErrNotExist) {
			err = fmt.Errorf("%w (and remove it: %v)", err, rmErr)
		}
		return fmt.Errorf("seal: spill the tree to %s: %w", path, err)
	}
	t, positions, _, unmap, err := openSavedFile(path)
	if err != nil {
		return refuse(err)
	}
	l.mu.Lock()
	old, oldUnmap := [][]byte{l.tree.hashes.base, l.positions.base}, l.unmap
	swapped := false
	defer func() {
		// Read by none but a save under way, if any: with none, the file
		// read before (if any) is unmapped; or else its pages leave the
		// process's memory (a save reads them all), read again from the
		// file if that save goes on. The lock is held while saves are
		// counted, so that a save counted after it reads the new tree.
		unused := l.saves.Load() == 0
		l.mu.Unlock()
		if !swapped {
			return
		}
		if unused && oldUnmap != nil {
			oldUnmap()
			return
		}
		for _, b := range old {
			release(b)
		}
	}()
	if t.n > l.tree.n || t.hashes.len() > l.tree.hashes.len() || positions.len() > l.positions.len() {
		unmap()
		return refuse(fmt.Errorf("the file holds %d events, the tree %d", t.n, l.tree.n))
	}
	// The file's root is the tree's at its size: a save written or read
	// back wrong (or damaged where the next events combine) is refused
	// here, not found at the next event.
	if t.n > 0 {
		var file, held tlog.Hash
		err := undamaged(func() error {
			var err error
			if file, err = tlog.TreeHash(t.n, &t); err == nil {
				held, err = tlog.TreeHash(t.n, &l.tree)
			}
			return err
		})
		if err == nil && file != held {
			err = errors.New("its root is not the tree's")
		}
		if err != nil {
			unmap()
			return refuse(err)
		}
	}
	if c := t.hashes.check; c != nil {
		c.notify = l.onDamage
	}
	for i := t.hashes.len(); i < l.tree.hashes.len(); i++ {
		t.hashes.add(l.tree.hashes.at(i))
	}
	for i := positions.len(); i < l.positions.len(); i++ {
		positions.add(l.positions.at(i))
	}
	t.n, t.head = l.tree.n, l.tree.head
	l.tree, l.positions, l.unmap = t, positions, unmap
	swapped = true
	return nil
}

// ErrNoSave is returned by Load when there is no saved tree.
var ErrNoSave = errors.New("seal: no saved tree")

// Load fills l, which must be empty, with the tree Save wrote to path,
// after checking the file's checksum and shape, and that its last leaf is
// the chain hash of the event store holds at the same position (a saved
// tree of another or an older ledger is refused). On any error l stays
// empty: the caller builds the tree from the log as before.
//
// The file is checked (its positions whole; its stored hashes, in a file
// of the third format, a part at a time as they are read, those of the
// root now), then mapped, not copied: the hashes and positions it holds
// (72 bytes an event) are read in place, so a proof brings only the pages
// it reads into memory, and a tree of tens of millions of events costs
// the server no heap. Events added later are kept in memory until the
// next Spill.
func (l *Log) Load(ctx context.Context, path string, store eventstore.Store) error {
	t, positions, unsafe, unmap, err := openSavedFile(path)
	if errors.Is(err, ErrNoSave) {
		return ErrNoSave
	}
	if err != nil {
		return fmt.Errorf("seal: load the saved tree %s: %w", path, err)
	}
	if t.n > 0 {
		if err := matchesStore(ctx, t, store); err != nil {
			unmap()
			return fmt.Errorf("seal: load the saved tree %s: %w", path, err)
		}
		// The root reads the hashes the next events added combine with:
		// a part of them damaged refuses the file now, for the log to be
		// hashed again, rather than stop the views at the next event.
		if _, err := tlog.TreeHash(t.n, &t); err != nil {
			unmap()
			return fmt.Errorf("seal: load the saved tree %s: %w", path, err)
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tree.n != 0 {
		unmap()
		return fmt.Errorf("seal: load the saved tree: the tree holds %d events already", l.tree.n)
	}
	if l.unmap != nil { // an empty tree spilled: nothing is read from it
		l.unmap()
	}
	if c := t.hashes.check; c != nil {
		c.notify = l.onDamage
	}
	l.tree, l.positions, l.unsafe, l.unmap = t, positions, unsafe, unmap
	return nil
}

// openSavedFile is openSaved of the file at path; ErrNoSave when there is
// none.
func openSavedFile(path string) (Tree, stored[eventstore.Position], int64, func(), error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return Tree{}, stored[eventstore.Position]{}, 0, nil, ErrNoSave
	}
	if err != nil {
		return Tree{}, stored[eventstore.Position]{}, 0, nil, err
	}
	t, positions, unsafe, unmap, err := openSaved(f)
	if err != nil || t.hashes.check == nil {
		f.Close()
	}
	return t, positions, unsafe, unmap, err
}

// openSaved checks the saved tree in f (its counts against its size, its
// positions in order, its checksum: over the whole file for the first two
// formats, read from start to end; over all but the stored hashes for the
// third, whose parts are checked as they are read), then maps it and
// returns the tree and positions read in place from the mapping, and the
// function that unmaps it (for a tree not used after all).
func openSaved(f *os.File) (Tree, stored[eventstore.Position], int64, func(), error) {
	var none stored[eventstore.Position]
	const head = len(saveMagic) + 4*8
	fi, err := f.Stat()
	if err != nil {
		return Tree{}, none, 0, nil, err
	}
	size := fi.Size()
	r := bufio.NewReaderSize(f, 1<<20)
	hdr := make([]byte, head)
	if size < int64(head) {
		return Tree{}, none, 0, nil, errors.New("not a saved tree")
	}
	if _, err := io.ReadFull(r, hdr); err != nil {
		return Tree{}, none, 0, nil, err
	}
	sum := checksumOf(hdr[:len(saveMagic)])
	if sum == nil || size < int64(head+sum.Size()) {
		return Tree{}, none, 0, nil, errors.New("not a saved tree")
	}
	sum.Write(hdr)
	b := hdr[len(saveMagic):]
	next := func() uint64 { v := binary.LittleEndian.Uint64(b); b = b[8:]; return v }
	n, headPos, unsafe, count := int64(next()), eventstore.Position(next()), int64(next()), next()
	// Bounded by the file first, so that no product below overflows.
	body := uint64(size) - uint64(head+sum.Size())
	// A file of the third format checks its stored hashes by parts, each
	// with its checksum after them (4 bytes each).
	partwise := string(hdr[:len(saveMagic)]) == saveMagic
	table := uint64(0)
	if partwise && count <= body/tlog.HashSize {
		table = 4 * uint64(parts(int64(count)*tlog.HashSize))
	}
	if n < 0 || uint64(n) > body/8 || count > body/tlog.HashSize || unsafe < 0 || unsafe > n ||
		count != uint64(tlog.StoredHashCount(n)) || body != uint64(n)*8+count*tlog.HashSize+table {
		return Tree{}, none, 0, nil, fmt.Errorf("%d events do not match its size", n)
	}
	if n == 0 && (headPos != 0 || unsafe != 0) {
		// An empty tree stands before the first event: a head would make
		// Follow skip every event up to it.
		return Tree{}, none, 0, nil, errors.New("an empty tree with a head")
	}
	// The positions, checked in order as they pass; what is wrong with
	// them is told only once the checksum holds (a flipped bit is a
	// checksum mismatch, not a disorder).
	var disorder error
	var last eventstore.Position
	chunk := make([]byte, 64<<10) // a whole number of positions
	for i := int64(0); i < n; {
		k := min(n-i, int64(len(chunk)/8))
		p := chunk[:8*k]
		if _, err := io.ReadFull(r, p); err != nil {
			return Tree{}, none, 0, nil, err
		}
		sum.Write(p)
		for ; len(p) > 0; p, i = p[8:], i+1 {
			pos := eventstore.Position(binary.LittleEndian.Uint64(p))
			if i > 0 && pos <= last && disorder == nil {
				disorder = fmt.Errorf("positions out of order at leaf %d", i)
			}
			last = pos
		}
	}
	if n > 0 && last != headPos && disorder == nil {
		disorder = errors.New("the head is not the last leaf's position")
	}
	posAt, hashAt := int64(head), int64(head)+8*n
	tableAt := hashAt + int64(count)*tlog.HashSize
	var sums []uint32
	want := make([]byte, sum.Size())
	if partwise {
		// The stored hashes are not read: their parts' checksums are.
		rest := make([]byte, int(table)+len(want))
		if _, err := f.ReadAt(rest, tableAt); err != nil {
			return Tree{}, none, 0, nil, err
		}
		sum.Write(rest[:table])
		for b := rest[:table]; len(b) > 0; b = b[4:] {
			sums = append(sums, binary.BigEndian.Uint32(b))
		}
		copy(want, rest[table:])
	} else {
		if _, err := io.CopyN(sum, r, int64(count)*tlog.HashSize); err != nil {
			return Tree{}, none, 0, nil, err
		}
		if _, err := io.ReadFull(r, want); err != nil {
			return Tree{}, none, 0, nil, err
		}
	}
	if !bytes.Equal(sum.Sum(nil), want) {
		return Tree{}, none, 0, nil, errors.New("checksum mismatch")
	}
	if disorder != nil {
		return Tree{}, none, 0, nil, disorder
	}
	m, unmap, err := mapFile(f, size)
	if err != nil {
		return Tree{}, none, 0, nil, err
	}
	positions := stored[eventstore.Position]{base: m[posAt:hashAt], size: 8, n: n, decode: decodePosition}
	hashes := stored[tlog.Hash]{base: m[hashAt:tableAt], size: tlog.HashSize, n: int64(count), decode: decodeHash}
	if partwise {
		// f stays open (openSavedFile), for CheckSaved to read the parts
		// with pread rather than fault them in through the mapping.
		hashes.check = newPartsCheck(sums, f, hashAt)
		unmapOnly := unmap
		unmap = func() { unmapOnly(); f.Close() }
	}
	return Tree{hashes: hashes, n: n, head: headPos}, positions, unsafe, unmap, nil
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
		var want tlog.Hash
		if err := undamaged(func() error {
			want = t.hashes.at(tlog.StoredHashIndex(0, t.n-1))
			return nil
		}); err != nil {
			return err
		}
		if tlog.RecordHash(data) != want {
			return fmt.Errorf("its last leaf is not the event at position %d", t.head)
		}
		return nil
	}
	return fmt.Errorf("the store holds no event at its head, position %d", t.head)
}
