package projections

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/cockroachdb/pebble/v2"

	"github.com/yishi-civic/yishi/eventstore"
)

// lists is a table of lists of log positions by id: a proposal's story, a
// meeting's steps, a person's notifications. The store keeps one key per
// position (<prefix><id>\x00<position, 8 bytes big-endian>, no value), so
// the fold files a position without reading the list (a blind write: the
// lists of a city's ledger are far more than any cache holds, and the fold
// adds to them at random), and a spill writes only the positions added,
// never a whole list again. A read scans the id's keys, which are in
// order; a list holds each position once.
//
// Its methods are safe for concurrent use, as entries': the fold adds
// under the set's write lock, queries read under its read lock.
type lists struct {
	tname  string
	store  *tableStore
	prefix []byte

	// mu guards the maps. dirty holds the changes since the last flush or
	// spill, pending the changes flushed and not yet committed (the
	// snapshot's writer clears it while the fold goes on); mem every list,
	// for a table without a store.
	mu      sync.Mutex
	dirty   map[string]*listChange
	pending map[string]*listChange
	mem     map[string][]eventstore.Position

	// changeSlab and firsts are where new changes and lists of up to
	// slabListLen positions are cut from, so that a list the fold starts,
	// changes for the first time since a flush, or grows costs no
	// allocation of its own (a list that outgrows them moves to memory of
	// its own, as append does). A chunk lives while any change or list cut
	// from it does.
	changeSlab []listChange
	firsts     []eventstore.Position
}

// slabLen is how many changes a chunk holds, and how many lists' first
// positions (firstLen each) a chunk of positions holds.
const slabLen = 1024

// firstLen is how many positions a list's first block in the chunk holds
// (the next ones twice as many each, up to slabListLen): four rather than
// two took a tenth of an allocation off each event the fold replays, for
// 1% more heap of the views (docs/performance.md).
const firstLen = 4

// slabListLen is the longest list cut from the chunk: a proposal's story,
// a meeting's steps and a person's inbox mostly hold fewer positions, and
// lists growing one allocation at a time to that length took a fifth of an
// allocation off each event the fold replays (docs/performance.md).
const slabListLen = 32

// listChange is what happened to a list since the layer below it: emptied
// first (an erasure), then positions added.
type listChange struct {
	cleared bool
	added   []eventstore.Position
}

func newLists(name string) *lists {
	return &lists{tname: name, dirty: map[string]*listChange{}, mem: map[string][]eventstore.Position{}}
}

func (l *lists) name() string { return l.tname }

func (l *lists) bind(st *tableStore, prefix []byte) { l.store, l.prefix = st, prefix }

// add files position p in list id.
func (l *lists) add(id string, p eventstore.Position) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.store == nil {
		l.mem[id] = l.appendTo(l.mem[id], p)
		return
	}
	c := l.dirty[id]
	if c == nil {
		c = l.newChange()
		l.dirty[id] = c
	}
	c.added = l.appendTo(c.added, p)
}

// newChange returns an empty change cut from the chunk; l.mu is held.
func (l *lists) newChange() *listChange {
	if len(l.changeSlab) == cap(l.changeSlab) {
		l.changeSlab = make([]listChange, 0, slabLen)
	}
	l.changeSlab = l.changeSlab[:len(l.changeSlab)+1]
	return &l.changeSlab[len(l.changeSlab)-1]
}

// appendTo appends p to list; l.mu is held. A list of up to slabListLen
// positions is cut from the chunk: its first firstLen positions, then,
// each time it is full, twice as many, into which it is copied (the room
// it leaves is the chunk's until the chunk goes). A longer list moves to
// memory of its own, as append does.
func (l *lists) appendTo(list []eventstore.Position, p eventstore.Position) []eventstore.Position {
	if len(list) == cap(list) && cap(list) < slabListLen {
		n := max(firstLen, 2*cap(list))
		if len(l.firsts)+n > cap(l.firsts) {
			l.firsts = make([]eventstore.Position, 0, firstLen*slabLen)
		}
		at := len(l.firsts)
		l.firsts = l.firsts[:at+n]
		list = append(l.firsts[at:at:at+n], list...)
	}
	return append(list, p)
}

// clear empties list id.
func (l *lists) clear(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.store == nil {
		delete(l.mem, id)
		return
	}
	c := l.newChange()
	c.cleared = true
	l.dirty[id] = c
}

// changes returns copies of id's changes not yet in the store, oldest
// first, and its whole list when the table has no store.
func (l *lists) changes(id string) (layers []listChange, mem []eventstore.Position, inMemory bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.store == nil {
		return nil, slices.Clone(l.mem[id]), true
	}
	for _, c := range []*listChange{l.pending[id], l.dirty[id]} {
		if c != nil {
			layers = append(layers, listChange{cleared: c.cleared, added: slices.Clone(c.added)})
		}
	}
	return layers, nil, false
}

// read returns list id in order, built from what the store holds (stored
// reads it) and the changes not yet written; empty when there is none.
func (l *lists) read(id string, stored func(lo, hi []byte) ([]eventstore.Position, error)) ([]eventstore.Position, error) {
	// The changes before the store: committed may move them into it
	// meanwhile, and a change applies the same whether or not the store
	// holds it already.
	layers, list, inMemory := l.changes(id)
	if !inMemory {
		cleared := slices.ContainsFunc(layers, func(c listChange) bool { return c.cleared })
		if !cleared {
			lo := l.key(id)
			var err error
			if list, err = stored(lo, prefixEnd(lo)); err != nil {
				return nil, fmt.Errorf("table %s: read %s: %w", l.tname, id, err)
			}
		}
		for _, c := range layers {
			if c.cleared {
				list = list[:0]
			}
			list = append(list, c.added...)
		}
	}
	slices.Sort(list)
	return slices.Compact(list), nil
}

// all returns list id in order; empty when there is none.
func (l *lists) all(id string) ([]eventstore.Position, error) {
	return l.read(id, func(lo, hi []byte) ([]eventstore.Position, error) {
		return l.store.positions(lo, hi, 0)
	})
}

// last returns the newest n positions of list id, in order.
func (l *lists) last(id string, n int) ([]eventstore.Position, error) {
	list, err := l.read(id, func(lo, hi []byte) ([]eventstore.Position, error) {
		return l.store.positions(lo, hi, -n)
	})
	return list[max(len(list)-n, 0):], err
}

// first returns the oldest position of list id, false when it is empty.
func (l *lists) first(id string) (eventstore.Position, bool, error) {
	list, err := l.read(id, func(lo, hi []byte) ([]eventstore.Position, error) {
		return l.store.positions(lo, hi, 1)
	})
	if err != nil || len(list) == 0 {
		return 0, false, err
	}
	return list[0], true, nil
}

// key is where list id's keys start: a NUL follows the id, which no id
// holds, so one id's keys never run into another's.
func (l *lists) key(id string) []byte {
	k := make([]byte, 0, len(l.prefix)+len(id)+1)
	return append(append(append(k, l.prefix...), id...), 0)
}

// ops encodes changes into ops: an emptied list's keys deleted, then a key
// for each position added.
func (l *lists) ops(changes map[string]*listChange, ops *[]tableOp) {
	// The keys are cut from one buffer, and ops grown once: a spill
	// writes tens of thousands of them.
	n, size := 0, 0
	for id, c := range changes {
		n += len(c.added) + 1
		size += (len(c.added) + 1) * (len(l.prefix) + len(id) + 9)
	}
	*ops = slices.Grow(*ops, n)
	buf := make([]byte, 0, size)
	// cut appends id's key, ending in sep, and position p when at, and
	// returns it.
	cut := func(id string, sep byte, p eventstore.Position, at bool) []byte {
		from := len(buf)
		buf = append(append(append(buf, l.prefix...), id...), sep)
		if at {
			buf = binary.BigEndian.AppendUint64(buf, uint64(p))
		}
		return buf[from:len(buf):len(buf)]
	}
	for id, c := range changes {
		if c.cleared {
			// From id's key to the first key past all of id's.
			*ops = append(*ops, tableOp{key: cut(id, 0, 0, false), end: cut(id, 1, 0, false)})
		}
		for _, p := range c.added {
			*ops = append(*ops, tableOp{key: cut(id, 0, p, true), value: []byte{}})
		}
	}
}

func (l *lists) flush(ops *[]tableOp) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	// Changes flushed before and not committed (their write failed) are
	// written again with these.
	if l.pending == nil {
		l.pending = l.dirty
	} else {
		for id, c := range l.dirty {
			if p := l.pending[id]; p != nil && !c.cleared {
				p.added = append(p.added, c.added...)
			} else {
				l.pending[id] = c
			}
		}
	}
	l.ops(l.pending, ops)
	l.dirty = map[string]*listChange{}
	return nil
}

func (l *lists) changed() (int, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.dirty), len(l.pending) > 0
}

func (l *lists) spill(ops *[]tableOp) (func(), error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops(l.dirty, ops)
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.dirty = map[string]*listChange{}
	}, nil
}

func (l *lists) committed() {
	l.mu.Lock()
	for _, c := range l.pending {
		c.added = nil // its chunk may outlive it
	}
	l.pending = nil
	l.mu.Unlock()
}

// stored returns the lists the store holds, each encoded as a JSON list,
// by id.
func (l *lists) stored() (map[string]json.RawMessage, error) {
	all := map[string]json.RawMessage{}
	if l.store == nil {
		return all, nil
	}
	byID := map[string][]eventstore.Position{}
	err := l.store.scan(l.prefix, func(k, _ []byte) {
		if id, p, ok := l.parse(k); ok {
			byID[id] = append(byID[id], p)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", l.tname, err)
	}
	for id, list := range byID {
		if all[id], err = json.Marshal(list); err != nil {
			return nil, fmt.Errorf("table %s: encode %s: %w", l.tname, id, err)
		}
	}
	return all, nil
}

// parse returns the id and position of a key of the table.
func (l *lists) parse(k []byte) (string, eventstore.Position, bool) {
	rest := k[len(l.prefix):]
	if len(rest) < 9 || rest[len(rest)-9] != 0 {
		return "", 0, false
	}
	return string(rest[:len(rest)-9]), eventstore.Position(binary.BigEndian.Uint64(rest[len(rest)-8:])), true
}

func (l *lists) dump() (map[string]json.RawMessage, error) {
	l.mu.Lock()
	ids := slices.Collect(maps.Keys(l.mem))
	for id := range l.pending {
		ids = append(ids, id)
	}
	for id := range l.dirty {
		ids = append(ids, id)
	}
	l.mu.Unlock()
	all, err := l.stored()
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		list, err := l.all(id)
		if err != nil {
			return nil, err
		}
		if all[id], err = json.Marshal(list); err != nil {
			return nil, fmt.Errorf("table %s: encode %s: %w", l.tname, id, err)
		}
	}
	for id, b := range all {
		if bytes.Equal(b, []byte("[]")) {
			delete(all, id) // an emptied list is none
		}
	}
	return all, nil
}

// positions returns the positions of the keys from lo to hi (a list's
// keys): all of them when n is 0, the first n when n > 0, the last -n when
// n < 0, in order.
func (s *tableStore) positions(lo, hi []byte, n int) ([]eventstore.Position, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return nil, err
	}
	var out []eventstore.Position
	pos := func() eventstore.Position {
		k := it.Key()
		return eventstore.Position(binary.BigEndian.Uint64(k[len(k)-8:]))
	}
	if n >= 0 {
		for ok := it.First(); ok && (n == 0 || len(out) < n); ok = it.Next() {
			out = append(out, pos())
		}
	} else {
		for ok := it.Last(); ok && len(out) < -n; ok = it.Prev() {
			out = append(out, pos())
		}
		slices.Reverse(out)
	}
	return out, errors.Join(it.Error(), it.Close())
}
