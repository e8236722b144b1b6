package seal

import (
	"encoding/binary"
	"runtime/debug"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/yishi-civic/yishi/eventstore"
)

// chunkLen is the number of values of one block of a chunks list.
const chunkLen = 1 << 15

// chunks is an append-only list kept in blocks of chunkLen values, so that
// growing it never copies what it holds. A tree of a million events kept in
// one slice doubled it on the first event after a start: 128 MiB cleared
// and 64 MiB copied at once, over a second of CPU while votes waited.
type chunks[T any] struct {
	blocks [][]T
	n      int64
}

// len returns the number of values held.
func (c *chunks[T]) len() int64 { return c.n }

// at returns value i; i must be in [0, len).
func (c *chunks[T]) at(i int64) T { return c.blocks[i/chunkLen][i%chunkLen] }

// add appends vs.
func (c *chunks[T]) add(vs ...T) {
	for _, v := range vs {
		if c.n%chunkLen == 0 {
			c.blocks = append(c.blocks, make([]T, 0, chunkLen))
		}
		b := &c.blocks[len(c.blocks)-1]
		*b = append(*b, v)
		c.n++
	}
}

// all calls f with each value in order until f returns an error.
func (c *chunks[T]) all(f func(T) error) error {
	for _, b := range c.blocks {
		for _, v := range b {
			if err := f(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// stored is an append-only list: the values of a saved tree, read in place
// from its mapped file (base, size bytes each), then the values added
// since, in blocks. The zero stored is empty and ready to use.
type stored[T any] struct {
	base   []byte
	size   int64
	n      int64 // values in base
	decode func([]byte) T
	more   chunks[T]
}

// len returns the number of values held.
func (s *stored[T]) len() int64 { return s.n + s.more.len() }

// at returns value i; i must be in [0, len). A read of the mapped file
// that faults (the file cut short in place under the server, against the
// rule that only Save writes it) panics instead of killing the process.
func (s *stored[T]) at(i int64) T {
	if i < s.n {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		return s.decode(s.base[i*s.size:])
	}
	return s.more.at(i - s.n)
}

// add appends vs.
func (s *stored[T]) add(vs ...T) { s.more.add(vs...) }

// releaseEvery is how many bytes of a mapped file all reads before it
// drops their pages from the process's memory.
const releaseEvery = 1 << 20

// all calls f with each value in order until f returns an error. The pages
// of the mapped file it has read leave the process's memory as it goes
// (release): a save reads every one of them, 72 MB at a million events,
// which the process would otherwise hold until the kernel needs the room.
func (s *stored[T]) all(f func(T) error) error {
	from := int64(0) // s.base[from:] not yet released
	for i := range s.n {
		if err := f(s.at(i)); err != nil {
			return err
		}
		if to := (i + 1) * s.size; to-from >= releaseEvery || i == s.n-1 {
			release(s.base[from:to])
			from = to
		}
	}
	return s.more.all(f)
}

// decodeHash reads a stored hash from the start of b.
func decodeHash(b []byte) tlog.Hash { return tlog.Hash(b) }

// decodePosition reads a little-endian position from the start of b.
func decodePosition(b []byte) eventstore.Position {
	return eventstore.Position(binary.LittleEndian.Uint64(b))
}
