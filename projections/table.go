package projections

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	gojson "github.com/goccy/go-json"

	"github.com/yishi-civic/yishi/internal/spanpolicy"
)

// A table holds a part of a view's state that grows with the ledger:
// entries keyed by id that the fold reads to place later events (what the
// statistics remember of every proposal to count its end in the right
// grid), or the items of a list whose queries keep only a head per item
// in memory and read from the table the items of the page they return (the
// board, the register, the outcomes), or lists of positions a query reads
// by one id (a proposal's story, a meeting's steps, a person's inbox). The
// live set keeps its tables in a
// store of their own (tableStore, <Dir>/state) and holds only a bounded
// number of entries in memory; a view's snapshot file holds the rest of
// its state.
//
// The entries a fold changed since the last snapshots are kept in memory
// (dirty) until the next ones: the runner writes them in one batch with
// the view's position, synced, before it writes the view's snapshot file.
// While the runner catches up, it also writes them when there are many
// (Runner.spillTables), removing the view's position. A snapshot file is
// loaded only when its view's tables are of its very position
// (tableStore.matches); otherwise the view is rebuilt, its tables emptied
// first. So a crash between two such writes costs a rebuild of that view,
// never a view whose parts are of different positions.
//
// Sets built by AsOf keep their tables in memory only.

// spillAt is how many changed entries a view's tables keep in memory
// before the runner writes them (Runner.spillTables). A variable for tests.
// At 32,768 a first start of a million events held some 330 MB of live
// heap in its fold, at 8,192 some 250 MB, for a start about a quarter
// slower (entries dropped are read again; docs/performance.md).
var spillAt = 8192

// tableCap is how many clean entries a table keeps in memory in its newer
// generation (entries.hot): beyond it, a new generation starts, the older
// one (entries.old, as many, or up to spillAt just after a write) is
// dropped, and its entries are read again from the store when the fold
// needs them. A variable for tests.
var tableCap = 4096

// tabled is a view that keeps some of its state in tables.
type tabled interface {
	View
	tables() []table
}

// table is what the runner needs of a view's table, whatever its entries.
type table interface {
	// name is the table's name within its view.
	name() string
	// bind makes the table keep its entries in st, under prefix.
	bind(st *tableStore, prefix []byte)
	// flush encodes the entries changed since the last flush or spill
	// into ops and keeps them, as pending, until committed is called.
	flush(ops *[]tableOp) error
	// changed returns how many entries changed since the last flush or
	// spill, and whether flushed entries wait to be committed.
	changed() (n int, pending bool)
	// spill encodes the entries changed into ops; once they are written,
	// written makes them unchanged and drops entries beyond the cap.
	spill(ops *[]tableOp) (written func(), err error)
	// committed forgets the pending entries: the store holds them.
	committed()
	// dump returns every entry encoded, by id (for comparisons).
	dump() (map[string]json.RawMessage, error)
	// stored returns the entries the store holds, by id.
	stored() (map[string]json.RawMessage, error)
}

// tableOp is one entry to write, or, when end is set, the keys from key
// to end to delete.
type tableOp struct {
	key, value, end []byte
}

// newBatch returns a batch with room for ops: a spill writes tens of
// thousands of entries, and a batch grown one doubling at a time copies
// them again at each.
func (s *tableStore) newBatch(ops []tableOp) *pebble.Batch {
	size := 64
	for _, op := range ops {
		size += len(op.key) + len(op.value) + len(op.end) + 16
	}
	return s.db.NewBatchWithSize(size)
}

// write adds op to batch b.
func (op tableOp) write(b *pebble.Batch) error {
	if op.end != nil {
		return b.DeleteRange(op.key, op.end, nil)
	}
	return b.Set(op.key, op.value, nil)
}

// storeReads counts the entries read back from a table store, by every
// table of the process: what BenchmarkStartToServe reports of a fold's
// misses.
var storeReads atomic.Int64

// entries is a table of entries of type T. Its methods are safe for
// concurrent use: the fold changes entries under the set's write lock, and
// queries read them under its read lock (they must not keep an entry
// beyond it).
type entries[T any] struct {
	tname  string
	store  *tableStore
	prefix []byte

	// mu guards the maps. hot holds entries in memory, every changed one
	// among them; old the entries of the generation before, which go back
	// into hot when they are used again, so that the entries a fold keeps
	// are the ones it used last rather than any (a proposal's events come
	// close together); dirty the ids changed since the last flush or spill
	// (none without a store); pending the entries flushed and not yet
	// committed (the snapshot's writer clears it while the fold goes on).
	mu      sync.Mutex
	hot     map[string]*T
	old     map[string]*T
	dirty   map[string]struct{}
	pending map[string][]byte
}

func newEntries[T any](name string) *entries[T] {
	return &entries[T]{tname: name, hot: map[string]*T{}, dirty: map[string]struct{}{}}
}

func (t *entries[T]) name() string { return t.tname }

func (t *entries[T]) bind(st *tableStore, prefix []byte) {
	t.store, t.prefix = st, prefix
}

// get returns the entry id, or nil. The fold must not change it (see edit).
func (t *entries[T]) get(id string) (*T, error) {
	t.mu.Lock()
	v, ok := t.lookup(id)
	b, flushed := t.pending[id]
	t.mu.Unlock()
	if ok || t.store == nil {
		return v, nil
	}
	if !flushed {
		storeReads.Add(1)
		var err error
		if b, err = t.store.get(t.key(id)); err != nil {
			return nil, fmt.Errorf("table %s: read %s: %w", t.tname, id, err)
		}
	}
	if b == nil {
		return nil, nil
	}
	v = new(T)
	if err := gojson.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("table %s: decode %s: %w", t.tname, id, err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if kept, ok := t.lookup(id); ok {
		return kept, nil // read meanwhile by another query
	}
	t.keep(id, v)
	return v, nil
}

// edit returns the entry id, or nil, for the fold to change in place: it
// is written with the next snapshots (or spill).
func (t *entries[T]) edit(id string) (*T, error) {
	v, err := t.get(id)
	if v != nil && t.store != nil {
		t.mu.Lock()
		t.dirty[id] = struct{}{} // get left it in hot, where changed entries are
		t.mu.Unlock()
	}
	return v, err
}

// editOrNew returns the entry id for the fold to change in place (edit),
// or, when the table has none, a new zero entry put under id.
func (t *entries[T]) editOrNew(id string) (*T, error) {
	v, err := t.edit(id)
	if err != nil || v != nil {
		return v, err
	}
	v = new(T)
	t.put(id, v)
	return v, nil
}

// named returns the entry id, which the view's state names (a list's head
// of it): to change in place (edit) when forEdit, else to read (get). An
// entry missing then is an error, the view's parts disagreeing.
func (t *entries[T]) named(id string, forEdit bool) (*T, error) {
	read := t.get
	if forEdit {
		read = t.edit
	}
	v, err := read(id)
	if err == nil && v == nil {
		err = fmt.Errorf("table %s: no entry %s, which the view names", t.tname, id)
	}
	return v, err
}

// put sets the entry id.
func (t *entries[T]) put(id string, v *T) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.store != nil {
		t.dirty[id] = struct{}{}
	}
	t.keep(id, v)
}

// lookup returns the entry id held in memory, moving it from the older
// generation to the newer one. The caller holds mu.
func (t *entries[T]) lookup(id string) (*T, bool) {
	if v, ok := t.hot[id]; ok {
		return v, true
	}
	v, ok := t.old[id]
	if ok {
		t.keep(id, v)
	}
	return v, ok
}

// keep holds v in memory as id's entry, in hot, first starting a new
// generation when hot holds tableCap clean entries. A table without a
// store keeps every entry. The caller holds mu.
func (t *entries[T]) keep(id string, v *T) {
	if t.store != nil && len(t.hot)-len(t.dirty) >= tableCap {
		t.rotate() // before: v stays in hot, for edit to change
	}
	t.hot[id] = v
	delete(t.old, id) // no-op on a nil map
}

// rotate makes hot the older generation, dropping the one before, and
// starts hot again with the changed entries alone. The caller holds mu.
func (t *entries[T]) rotate() {
	hot := make(map[string]*T, len(t.dirty))
	for id := range t.dirty {
		hot[id] = t.hot[id]
		delete(t.hot, id)
	}
	t.old, t.hot = t.hot, hot
}

func (t *entries[T]) key(id string) []byte {
	return append(slices.Clip(t.prefix), id...)
}

func (t *entries[T]) flush(ops *[]tableOp) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	// Entries flushed before and not committed (their write failed) are
	// written again with these.
	if t.pending == nil {
		t.pending = make(map[string][]byte, len(t.dirty))
	}
	for id := range t.dirty {
		b, err := gojson.Marshal(t.hot[id])
		if err != nil {
			return fmt.Errorf("table %s: encode %s: %w", t.tname, id, err)
		}
		t.pending[id] = b
	}
	for id, b := range t.pending {
		*ops = append(*ops, tableOp{key: t.key(id), value: b})
	}
	// The entries dropped are read from pending until they are committed.
	t.clean()
	return nil
}

// clean makes every entry unchanged. When hot holds more than tableCap
// entries (those just written among them), up to spillAt of them become
// the older generation (the entries just written are the likeliest to be
// used again) and hot starts again empty: a map keeps the room of its
// largest size, and a long fold changes many entries. The caller holds mu.
func (t *entries[T]) clean() {
	t.dirty = map[string]struct{}{}
	if t.store == nil || len(t.hot) <= tableCap {
		return
	}
	old := make(map[string]*T, min(len(t.hot), spillAt))
	for id, v := range t.hot {
		if len(old) == spillAt {
			break
		}
		old[id] = v
	}
	t.old, t.hot = old, map[string]*T{}
}

func (t *entries[T]) changed() (int, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.dirty), len(t.pending) > 0
}

func (t *entries[T]) spill(ops *[]tableOp) (func(), error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for id := range t.dirty {
		b, err := gojson.Marshal(t.hot[id])
		if err != nil {
			return nil, fmt.Errorf("table %s: encode %s: %w", t.tname, id, err)
		}
		*ops = append(*ops, tableOp{key: t.key(id), value: b})
	}
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		t.clean()
	}, nil
}

func (t *entries[T]) committed() {
	t.mu.Lock()
	t.pending = nil
	t.mu.Unlock()
}

func (t *entries[T]) stored() (map[string]json.RawMessage, error) {
	all := map[string]json.RawMessage{}
	if t.store == nil {
		return all, nil
	}
	err := t.store.scan(t.prefix, func(k, v []byte) {
		all[string(k[len(t.prefix):])] = bytes.Clone(v)
	})
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", t.tname, err)
	}
	return all, nil
}

func (t *entries[T]) dump() (map[string]json.RawMessage, error) {
	// pending before the store: committed may move them into it meanwhile.
	t.mu.Lock()
	pending := maps.Clone(t.pending)
	t.mu.Unlock()
	all, err := t.stored()
	if err != nil {
		return nil, err
	}
	for id, b := range pending {
		all[id] = b
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, gen := range []map[string]*T{t.old, t.hot} {
		for id, v := range gen {
			b, err := gojson.Marshal(v)
			if err != nil {
				return nil, fmt.Errorf("table %s: encode %s: %w", t.tname, id, err)
			}
			all[id] = b
		}
	}
	return all, nil
}

// tableStore is the live set's store of tables: one pebble instance in
// <Dir>/state. Keys are "t/<view>/<table>/<id>" for entries and
// "m/<view>" for the identity (position, event, view version) of the
// snapshot the view's entries belong to.
type tableStore struct {
	db *pebble.DB
}

// openTableStore opens the table store in dir: read-only, or else
// creating it if needed. pebble's errors go to log.
func openTableStore(dir string, readOnly bool, log *slog.Logger) (*tableStore, error) {
	if !readOnly {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("projections: table store %s: %w", dir, err)
		}
	}
	o := &pebble.Options{
		FormatMajorVersion: pebble.FormatNewest,
		MemTableSize:       4 << 20,
		// Twice pebble's default: a first start's fold reads back some
		// 130,000 entries at 1M events, and with 8 MiB most of those reads
		// also read the table's index block again. 32 MiB made the fold
		// faster still but timeline reads under load slower
		// (docs/performance.md, sixteenth session).
		CacheSize: 16 << 20,
		Logger:    pebbleLogger{log},
		ReadOnly:  readOnly,
	}
	// Bloom filters: most of the fold's look-ups of an entry not in memory
	// are of one the table never had (a meeting's item that is no proposal,
	// an action of no proposal), answered then without reading a block.
	o.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	o.Experimental.SpanPolicyFunc = tableFiles
	db, err := openPebble(dir, o)
	if err != nil {
		return nil, fmt.Errorf("projections: table store %s: %w", dir, err)
	}
	return &tableStore{db: db}, nil
}

// openPebble is pebble.Open, whose fatal errors (pebbleLogger.Fatalf:
// a disk full as it writes its manifest) are returned, not panics: the
// table store is opened beside the event store (Prepare), whose own
// error on a full disk tells what to do. Any other panic is not
// recovered.
func openPebble(dir string, o *pebble.Options) (db *pebble.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			fatal, ok := r.(pebbleFatal)
			if !ok {
				panic(r)
			}
			db, err = nil, errors.New(string(fatal))
		}
	}()
	return pebble.Open(dir, o)
}

// pebbleFatal is what pebbleLogger.Fatalf panics with.
type pebbleFatal string

// tableFiles ends every file that pebble's flushes and compactions write
// at the end of its first key's table ("t/<view>/<table>/"), of its view
// when the key is where a view's range deletion starts ("t/<view>/", see
// tableStore.reset), or, for the other keys, of their first byte
// (spanpolicy.FirstByte): so that a compaction merges the files of one
// table, not of all of them.
func tableFiles(start []byte) (pebble.SpanPolicy, []byte, error) {
	if rest, ok := bytes.CutPrefix(start, []byte("t/")); ok {
		if n := bytes.IndexByte(rest, '/'); n >= 0 {
			end := 2 + n + 1 // past the view's slash
			if m := bytes.IndexByte(rest[n+1:], '/'); m >= 0 {
				end += m + 1 // past the table's slash
			}
			e := bytes.Clone(start[:end])
			e[len(e)-1]++
			return pebble.SpanPolicy{}, e, nil
		}
	}
	return spanpolicy.FirstByte(start)
}

// pebbleLogger keeps pebble's informational lines out of the service's
// log and passes its errors on.
type pebbleLogger struct{ log *slog.Logger }

func (pebbleLogger) Infof(string, ...any) {}
func (l pebbleLogger) Errorf(format string, args ...any) {
	l.log.Error("projections: table store: " + fmt.Sprintf(format, args...))
}
func (l pebbleLogger) Fatalf(format string, args ...any) {
	msg := "projections: table store: " + fmt.Sprintf(format, args...)
	l.log.Error(msg)
	panic(pebbleFatal(msg))
}

func (s *tableStore) close() error {
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("projections: close the table store: %w", err)
	}
	return nil
}

// get returns a copy of key's value, or nil when there is none.
func (s *tableStore) get(key []byte) ([]byte, error) {
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer closer.Close()
	return bytes.Clone(v), nil
}

// scan calls f with every key and value under prefix, in order.
func (s *tableStore) scan(prefix []byte, f func(k, v []byte)) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		f(it.Key(), it.Value())
	}
	return errors.Join(it.Error(), it.Close())
}

// prefixEnd is the first key after every key that starts with prefix.
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i]++; end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}

func tablePrefix(view, table string) []byte { return []byte("t/" + view + "/" + table + "/") }
func metaKey(view string) []byte            { return []byte("m/" + view) }

// tableMeta is the identity of the snapshot a view's entries belong to.
type tableMeta struct {
	Version  int      `json:"version"`
	Position uint64   `json:"position"`
	At       eventRef `json:"at"`
}

// matches reports why v's tables do not belong to the snapshot whose
// header is h, or nil when they do.
func (s *tableStore) matches(v tabled, h *snapshotHeader) error {
	b, err := s.get(metaKey(v.Name()))
	if err != nil {
		return fmt.Errorf("read its tables' position: %w", err)
	}
	if b == nil {
		return errors.New("its tables hold no position (never written, or written after the snapshot)")
	}
	var m tableMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("its tables' position: %w", err)
	}
	if m.Version != v.Version() || m.Position != uint64(h.Position) || m.At != h.At {
		return fmt.Errorf("its tables are of version %d position %d, the snapshot of version %d position %d", m.Version, m.Position, h.Version, h.Position)
	}
	return nil
}

// reset empties v's tables, for a view rebuilt from the start of the log.
func (s *tableStore) reset(v tabled) error {
	b := s.db.NewBatch()
	defer b.Close()
	name := v.Name()
	prefix := []byte("t/" + name + "/")
	if err := b.DeleteRange(prefix, prefixEnd(prefix), nil); err != nil {
		return fmt.Errorf("projections: empty the tables of %s: %w", name, err)
	}
	if err := b.Delete(metaKey(name), nil); err != nil {
		return fmt.Errorf("projections: empty the tables of %s: %w", name, err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("projections: empty the tables of %s: %w", name, err)
	}
	return nil
}

// commit writes ops and v's identity in one synced batch.
func (s *tableStore) commit(v tabled, ops []tableOp, id identity) error {
	meta, err := json.Marshal(tableMeta{Version: v.Version(), Position: uint64(id.pos), At: id.at})
	if err != nil {
		return fmt.Errorf("projections: tables of %s: %w", v.Name(), err)
	}
	b := s.newBatch(ops)
	defer b.Close()
	for _, op := range ops {
		if err := op.write(b); err != nil {
			return fmt.Errorf("projections: tables of %s: %w", v.Name(), err)
		}
	}
	if err := b.Set(metaKey(v.Name()), meta, nil); err != nil {
		return fmt.Errorf("projections: tables of %s: %w", v.Name(), err)
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("projections: write the tables of %s: %w", v.Name(), err)
	}
	return nil
}

// spill writes ops, entries changed since v's last snapshot, and removes
// v's identity: until its next snapshot, v's tables are of no position. Not
// synced: the next snapshot's batch is, and pebble's log keeps the order.
func (s *tableStore) spill(v tabled, ops []tableOp) error {
	b := s.newBatch(ops)
	defer b.Close()
	if err := b.Delete(metaKey(v.Name()), nil); err != nil {
		return fmt.Errorf("projections: tables of %s: %w", v.Name(), err)
	}
	for _, op := range ops {
		if err := op.write(b); err != nil {
			return fmt.Errorf("projections: tables of %s: %w", v.Name(), err)
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("projections: write the tables of %s: %w", v.Name(), err)
	}
	return nil
}

// bindTables makes every table of v keep its entries in st.
func bindTables(v tabled, st *tableStore) {
	for _, t := range v.tables() {
		t.bind(st, tablePrefix(v.Name(), t.name()))
	}
}

// Dump returns v's whole state as one JSON document: its snapshot and the
// entries of its tables, wherever they are kept. Two views that folded the
// same events dump the same bytes (for tests and comparisons). The fold
// must not run meanwhile.
func Dump(v View) ([]byte, error) {
	snap, err := readableSnapshot(v)
	if err != nil {
		return nil, err
	}
	return withTables(v, snap, table.dump)
}

// readable is a view whose snapshot is not JSON (a list view's rows,
// fixedRowsMagic; the statistics' buckets, bucketsMagic; the directory's
// places, placesMagic): it also writes its
// state as the JSON its snapshots held before, for Dump and the views'
// verification.
type readable interface {
	snapshotJSON() ([]byte, error)
}

// readableSnapshot is v's snapshot as JSON.
func readableSnapshot(v View) ([]byte, error) {
	if r, ok := v.(readable); ok {
		return r.snapshotJSON()
	}
	return v.MarshalSnapshot()
}

// withTables returns snap, the snapshot of v, with the entries of v's
// tables that entriesOf gives, as Dump encodes them; snap alone for a
// view without tables.
func withTables(v View, snap []byte, entriesOf func(table) (map[string]json.RawMessage, error)) ([]byte, error) {
	tv, ok := v.(tabled)
	if !ok {
		return snap, nil
	}
	doc := map[string]any{"snapshot": json.RawMessage(snap)}
	for _, t := range tv.tables() {
		all, err := entriesOf(t)
		if err != nil {
			return nil, fmt.Errorf("projections: dump %s: %w", v.Name(), err)
		}
		doc[t.name()] = all
	}
	return json.Marshal(doc)
}
