package kurrenttest

import (
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"
)

// record is one event in the log.
type record struct {
	stream      string
	revision    uint64
	id          uuid.UUID
	typ         string
	contentType string
	created     string // .NET ticks (100 ns) since the Unix epoch, in decimal
	data, meta  []byte
	pos         uint64 // commit and prepare position: the record's offset in the log
	// pending is set while the append that wrote the record waits for its
	// replication (SetReplicationDelay, HoldReplication). Guarded by db.mu.
	pending bool
}

// tombstoneRevision is the revision KurrentDB gives a stream's tombstone.
const tombstoneRevision = 1<<63 - 1

// database is the node's log: records in position order, an index by stream,
// and a channel closed at every write for live subscriptions.
type database struct {
	mu         sync.Mutex
	records    []*record
	streams    map[string][]*record
	tombstoned map[string]bool
	next       uint64 // position of the next record
	changed    chan struct{}
}

func newDatabase() *database {
	db := &database{
		streams:    make(map[string][]*record),
		tombstoned: make(map[string]bool),
		changed:    make(chan struct{}),
	}
	// A fresh node's log starts with system records.
	db.add(&record{stream: "$settings", id: uuid.New(), typ: "$settings", contentType: "application/json", data: []byte(`{}`)})
	return db
}

// add appends r to the log, giving it a position and a created time. Positions
// are byte offsets as in KurrentDB: increasing, not dense. Call with db.mu held.
func (db *database) add(r *record) {
	r.pos = db.next
	r.created = strconv.FormatInt(time.Now().UnixNano()/100, 10)
	db.next += uint64(64 + len(r.stream) + len(r.typ) + len(r.data) + len(r.meta))
	db.records = append(db.records, r)
	if r.revision != tombstoneRevision {
		db.streams[r.stream] = append(db.streams[r.stream], r)
	}
}

// notify wakes live subscriptions. Call with db.mu held.
func (db *database) notify() {
	close(db.changed)
	db.changed = make(chan struct{})
}

// expectation is an append's expected revision: kind any, noStream,
// streamExists or exact (with rev).
type expectation struct {
	kind string
	rev  uint64
}

// appendResult is the outcome of an append: written (ok and written) or
// answered idempotently (ok) with the last revision and position, a wrong
// expected version (current is -1 for no stream), a tombstoned stream, or
// an idempotent repeat of events still pending replication (notReady).
type appendResult struct {
	ok         bool
	written    bool
	revision   uint64
	pos        uint64
	current    int64
	tombstoned bool
	notReady   bool
}

// appendEvents writes events to stream under the expectation, with
// KurrentDB's idempotency: events whose ids are already at the expected place
// of the stream are not written again, and if any of them is still pending
// replication the repeat is not ready (KurrentDB's IdempotentNotReady).
// Written events are pending when pending is set, until replicated.
func (db *database) appendEvents(stream string, exp expectation, events []*record, pending bool) appendResult {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.tombstoned[stream] {
		return appendResult{tombstoned: true}
	}
	existing := db.streams[stream]
	current := int64(len(existing)) - 1
	wrong := appendResult{current: current}

	// from is the revision the events would take if the expectation held
	// when they were first written; -1 means "look them up by id".
	from := int64(-1)
	switch exp.kind {
	case "exact":
		from = int64(exp.rev) + 1
	case "noStream":
		from = 0
	case "streamExists":
		if current < 0 {
			return wrong
		}
	}
	if from < 0 { // any or stream exists: find the first id in the stream
		for _, r := range existing {
			if r.id == events[0].id {
				from = int64(r.revision)
				break
			}
		}
		if from < 0 {
			return db.write(stream, existing, events, pending)
		}
	} else if from == current+1 {
		return db.write(stream, existing, events, pending)
	}
	// Idempotent only if every event is already there, in order.
	if from > current || from+int64(len(events))-1 > current {
		return wrong
	}
	notReady := false
	for i, e := range events {
		r := existing[from+int64(i)]
		if r.id != e.id {
			return wrong
		}
		notReady = notReady || r.pending
	}
	if notReady {
		return appendResult{notReady: true}
	}
	last := existing[from+int64(len(events))-1]
	return appendResult{ok: true, revision: last.revision, pos: last.pos}
}

// write adds events at the end of stream. Call with db.mu held.
func (db *database) write(stream string, existing []*record, events []*record, pending bool) appendResult {
	rev := uint64(len(existing))
	for _, e := range events {
		e.stream, e.revision, e.pending = stream, rev, pending
		db.add(e)
		rev++
	}
	db.notify()
	last := events[len(events)-1]
	return appendResult{ok: true, written: true, revision: last.revision, pos: last.pos}
}

// replicated ends the pending state of events.
func (db *database) replicated(events []*record) {
	db.mu.Lock()
	defer db.mu.Unlock()
	for _, e := range events {
		e.pending = false
	}
}

// tombstone deletes stream for good and returns the tombstone's position, or
// false if it was tombstoned already.
func (db *database) tombstone(stream string) (uint64, bool) {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.tombstoned[stream] {
		return 0, false
	}
	db.tombstoned[stream] = true
	r := &record{stream: stream, revision: tombstoneRevision, id: uuid.New(), typ: "$streamDeleted", contentType: "application/json", data: []byte{}}
	db.add(r)
	db.notify()
	return r.pos, true
}

// streamState returns a copy of stream's records and whether it is tombstoned.
func (db *database) streamState(stream string) ([]*record, bool) {
	db.mu.Lock()
	defer db.mu.Unlock()
	return append([]*record(nil), db.streams[stream]...), db.tombstoned[stream]
}

// since returns up to max records with positions at or after pos, and the
// channel the next write closes.
func (db *database) since(pos uint64, max int) ([]*record, <-chan struct{}) {
	db.mu.Lock()
	defer db.mu.Unlock()
	i := db.search(pos)
	end := min(len(db.records), i+max)
	return append([]*record(nil), db.records[i:end]...), db.changed
}

// end returns the position the next record will take.
func (db *database) end() uint64 {
	db.mu.Lock()
	defer db.mu.Unlock()
	return db.next
}

// before returns up to max records with positions below pos, newest first.
func (db *database) before(pos uint64, max int) []*record {
	db.mu.Lock()
	defer db.mu.Unlock()
	i := db.search(pos)
	out := make([]*record, 0, min(i, max))
	for j := i - 1; j >= 0 && len(out) < max; j-- {
		out = append(out, db.records[j])
	}
	return out
}

// search returns the index of the first record at or after pos. Call with
// db.mu held.
func (db *database) search(pos uint64) int {
	lo, hi := 0, len(db.records)
	for lo < hi {
		mid := (lo + hi) / 2
		if db.records[mid].pos < pos {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo
}
