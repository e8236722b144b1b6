package pebble

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/yishi-civic/yishi/eventstore"
)

// The key space. Every key starts with one byte naming its table:
//
//	'e' position(8, big-endian)                  → the encoded event
//	's' stream 0x00 revision(8, big-endian)      → position(8)
//	'i' event id(16)                             → position(8) revision(8) stream
//
// Big-endian numbers keep pebble's byte order equal to numeric order; stream
// names never contain 0x00 (ValidateStream), so a stream's index entries are
// one contiguous range.
const (
	tableEvents  = 'e'
	tableStreams = 's'
	tableIDs     = 'i'
)

// valueVersion is the first byte of every encoded event, so that the format
// can change later without guessing. Version 2 added the hash scheme after
// the hash, version 3 the salt after the scheme; version 1 values (hash
// scheme 0) and version 2 values (no salt) are still read.
const valueVersion = 3

var errCorrupt = errors.New("pebble store: corrupt record")

func eventKey(pos eventstore.Position) []byte {
	k := make([]byte, 9)
	k[0] = tableEvents
	binary.BigEndian.PutUint64(k[1:], uint64(pos))
	return k
}

func keyPosition(k []byte) eventstore.Position {
	return eventstore.Position(binary.BigEndian.Uint64(k[1:]))
}

// streamPrefix is the prefix of every index entry of stream.
func streamPrefix(stream string) []byte {
	k := make([]byte, 0, len(stream)+10)
	k = append(k, tableStreams)
	k = append(k, stream...)
	return append(k, 0)
}

func streamKey(stream string, rev uint64) []byte {
	return binary.BigEndian.AppendUint64(streamPrefix(stream), rev)
}

func idKey(id uuid.UUID) []byte {
	k := make([]byte, 17)
	k[0] = tableIDs
	copy(k[1:], id[:])
	return k
}

// idEntry is what the id index says about a written event.
type idEntry struct {
	pos    eventstore.Position
	rev    uint64
	stream string
}

func encodeIDEntry(e idEntry) []byte {
	v := make([]byte, 16, 16+len(e.stream))
	binary.BigEndian.PutUint64(v, uint64(e.pos))
	binary.BigEndian.PutUint64(v[8:], e.rev)
	return append(v, e.stream...)
}

func decodeIDEntry(v []byte) (idEntry, error) {
	if len(v) < 16 {
		return idEntry{}, fmt.Errorf("%w: id index entry of %d bytes", errCorrupt, len(v))
	}
	return idEntry{
		pos:    eventstore.Position(binary.BigEndian.Uint64(v)),
		rev:    binary.BigEndian.Uint64(v[8:]),
		stream: string(v[16:]),
	}, nil
}

// encodeEvent appends e's stored form to b: a version byte, the revision and
// recorded time as varints, the id, the length-prefixed stream, type and
// metadata strings, the hash scheme as a uvarint, the length-prefixed salt,
// then the JSON data to the end. The position is the key.
func encodeEvent(b []byte, e *eventstore.Event) []byte {
	b = append(b, valueVersion)
	b = binary.AppendUvarint(b, e.Revision)
	b = binary.AppendVarint(b, e.Recorded.UnixNano())
	b = append(b, e.ID[:]...)
	for _, s := range [...]string{e.Stream, e.Type, e.Metadata.Actor, e.Metadata.Role,
		e.Metadata.CorrelationID, e.Metadata.CausationID, e.Metadata.PrevHash, e.Metadata.Hash} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	b = binary.AppendUvarint(b, uint64(e.Metadata.HashScheme))
	b = binary.AppendUvarint(b, uint64(len(e.Metadata.Salt)))
	b = append(b, e.Metadata.Salt...)
	return append(b, e.Data...)
}

// decoder reads an encoded event field by field and remembers the first
// error. Across events it keeps the strings it made (stream names and types
// repeat) and one arena for the events' data, so that reading a chunk of the
// log costs a few allocations rather than several per event.
type decoder struct {
	b     []byte
	err   error
	strs  map[string]string
	arena []byte
}

// arenaSize is the largest block the decoder copies event data into; the
// first block of a read is small (firstArena) and each next one twice the
// last, so that reading one event (where an aggregate lives, a stream's
// first event) does not allocate a block sized for a chunk of the log.
const (
	arenaSize  = 256 << 10
	firstArena = 4 << 10
)

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errCorrupt
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) bytes(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if uint64(len(d.b)) < n {
		d.err = errCorrupt
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

// str reads a length-prefixed string.
func (d *decoder) str() string { return string(d.bytes(d.uvarint())) }

// shared reads a length-prefixed string that repeats from event to event (a
// stream name or type), reusing an equal one made before.
func (d *decoder) shared() string {
	b := d.bytes(d.uvarint())
	if len(b) == 0 {
		return ""
	}
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	if d.strs == nil || len(d.strs) >= 1024 {
		d.strs = make(map[string]string)
	}
	s := string(b)
	d.strs[s] = s
	return s
}

// own copies b into the arena and returns the copy, whose capacity ends
// with it so that appending to it cannot overwrite a neighbour.
func (d *decoder) own(b []byte) []byte {
	if len(b) > arenaSize/4 {
		return append([]byte(nil), b...)
	}
	if cap(d.arena)-len(d.arena) < len(b) {
		d.arena = make([]byte, 0, min(arenaSize, max(firstArena, 2*cap(d.arena), len(b))))
	}
	start := len(d.arena)
	d.arena = append(d.arena, b...)
	return d.arena[start:len(d.arena):len(d.arena)]
}

// event parses the stored form v of the event at pos. The result owns its
// memory: v may be reused by the caller.
func (d *decoder) event(pos eventstore.Position, v []byte) (eventstore.Event, error) {
	e, _, err := d.eventIf(pos, v, eventstore.Filter{})
	return e, err
}

// eventIf decodes the event at pos if it passes f, and reports whether it
// did. The stream and type come first in the value, so an event the filter
// drops costs no allocation for its metadata and data.
func (d *decoder) eventIf(pos eventstore.Position, v []byte, f eventstore.Filter) (eventstore.Event, bool, error) {
	if len(v) == 0 || v[0] < 1 || v[0] > valueVersion {
		return eventstore.Event{}, false, fmt.Errorf("%w at position %d: unknown format", errCorrupt, pos)
	}
	d.b, d.err = v[1:], nil
	e := eventstore.Event{Position: pos}
	e.Revision = d.uvarint()
	recorded := d.varint()
	id := d.bytes(16)
	e.Stream = d.shared()
	e.Type = d.shared()
	if d.err != nil {
		return eventstore.Event{}, false, fmt.Errorf("%w at position %d", d.err, pos)
	}
	if !f.Match(e.Stream, e.Type) {
		return eventstore.Event{}, false, nil
	}
	e.Recorded = time.Unix(0, recorded).UTC()
	copy(e.ID[:], id)
	e.Metadata.Actor = d.str()
	e.Metadata.Role = d.str()
	e.Metadata.CorrelationID = d.str()
	e.Metadata.CausationID = d.str()
	e.Metadata.PrevHash = d.str()
	e.Metadata.Hash = d.str()
	if v[0] >= 2 {
		e.Metadata.HashScheme = int(d.uvarint())
	}
	if v[0] >= 3 {
		e.Metadata.Salt = d.str()
	}
	if d.err != nil {
		return eventstore.Event{}, false, fmt.Errorf("%w at position %d", d.err, pos)
	}
	e.Data = d.own(d.b)
	return e, true, nil
}
