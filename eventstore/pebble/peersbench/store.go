package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrConflict is returned by Append when the expected stream version does not
// match the stream's current version (optimistic concurrency).
var ErrConflict = errors.New("expected version mismatch")

// Event is one event of one stream. Version is 1-based inside its stream.
type Event struct {
	Stream  string
	Version uint64
	Type    string
	At      int64 // unix nanoseconds, recorded by the writer
	Data    []byte
}

// Store is what every peer implements.
type Store interface {
	// Append appends evs to stream if the stream currently holds exactly
	// `expected` events; evs[i].Version must be expected+1+i. It returns only
	// once the events are durable (fsync/fdatasync), or ErrConflict.
	Append(stream string, expected uint64, evs []Event) error
	// Replay calls fn for every event in global (commit) order. e and its
	// Data are valid only during the call. pos is the store's global position.
	Replay(fn func(pos uint64, e *Event) error) error
	Close() error
}

// phaseAware stores are told how many concurrent writers the next phase uses.
type phaseAware interface{ Phase(writers int) }

// extraReporter stores add peer-specific numbers to the result.
type extraReporter interface{ Extra() map[string]float64 }

// seqReader stores can read their files sequentially without decoding.
type seqReader interface{ SeqRead() (int64, error) }

// Peer opens a store in a fresh (or, for replay, already written) directory.
type Peer struct {
	Name string
	Desc string
	Open func(dir string, o *Options) (Store, error)
}

var peers = []Peer{
	{"raw", "one file, write+fdatasync per append (concurrent writers serialise on a mutex)", openRaw(false)},
	{"raw-group16", "one file, group commit: up to 16 queued appends per write+fdatasync", openRaw(true)},
	{"yishi-pebble", "eventstore/pebble (this repository) through the eventstore.Store port: ids, envelope, stream and id indexes, group commit; payloads marked as the ledger's own (json.Marshal), so not parsed again", openYishi(true)},
	{"yishi-pebble-checked", "the same, every payload's JSON checked by the store, as for a writer other than the ledger (an import)", openYishi(false)},
	{"design-file", "a layout measured, not a store (designs.go): the events in one file, write+fdatasync; their stream, id and position index entries in pebble after it, not synced", openDesign(layout{eventsInFile: true})},
	{"design-file-positions-per-append", "as design-file, the position index one entry per append", openDesign(layout{eventsInFile: true, positionsPerAppend: true})},
	{"design-file-per-append", "as design-file, the stream and position indexes one entry per append (the id index one per event)", openDesign(layout{eventsInFile: true, streamPerAppend: true, positionsPerAppend: true})},
	{"design-pebble-per-append", "the events and their indexes in one synced pebble batch, as in the store, the stream index one entry per append", openDesign(layout{streamPerAppend: true})},
}

// storePeers are the peers run unless -peers names others: the store and
// the raw floors, not the layouts measured beside the store.
const storePeers = "raw,raw-group16,yishi-pebble,yishi-pebble-checked"

func peerByName(name string) (Peer, error) {
	var names []string
	for _, p := range peers {
		if p.Name == name {
			return p, nil
		}
		names = append(names, p.Name)
	}
	return Peer{}, fmt.Errorf("unknown peer %q (have %s)", name, strings.Join(names, ", "))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// appendRecordBody encodes an event (without its global position) as
// version u64 | at i64 | len u16 | stream | len u16 | type | data.
func appendRecordBody(b []byte, e *Event) []byte {
	b = binary.BigEndian.AppendUint64(b, e.Version)
	b = binary.BigEndian.AppendUint64(b, uint64(e.At))
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.Stream)))
	b = append(b, e.Stream...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(e.Type)))
	b = append(b, e.Type...)
	return append(b, e.Data...)
}

// decodeRecordBody is the inverse of appendRecordBody. e.Data aliases b.
func decodeRecordBody(b []byte, e *Event) error {
	if len(b) < 20 {
		return errors.New("short record")
	}
	e.Version = binary.BigEndian.Uint64(b)
	e.At = int64(binary.BigEndian.Uint64(b[8:]))
	n := int(binary.BigEndian.Uint16(b[16:]))
	b = b[18:]
	if len(b) < n+2 {
		return errors.New("short record")
	}
	e.Stream = string(b[:n])
	b = b[n:]
	n = int(binary.BigEndian.Uint16(b))
	b = b[2:]
	if len(b) < n {
		return errors.New("short record")
	}
	e.Type = string(b[:n])
	e.Data = b[n:]
	return nil
}

// dirUsage returns allocated bytes (st_blocks*512, what du reports) and
// apparent bytes of all regular files under dir.
func dirUsage(dir string) (alloc, apparent int64, files []string, err error) {
	err = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		apparent += fi.Size()
		alloc += allocatedBytes(fi)
		files = append(files, p)
		return nil
	})
	sort.Strings(files)
	return
}
