package seal

import (
	"encoding/binary"
	"fmt"
	"io"
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

// releaseEvery is how many bytes of a mapped file writeTo writes before it
// drops their pages from the process's memory.
const releaseEvery = 1 << 20

// writeTo writes every value to w in order, as the saved file holds them
// (encode appends one value's bytes): the mapped file's bytes as they are,
// then the values added since, a block at a time. The pages of the mapped
// file it has written leave the process's memory as it goes (release): a
// save writes every one of them, 72 MB at a million events, which the
// process would otherwise hold until the kernel needs the room. Written
// value by value, through a writer and a checksum each, a save of ten
// million events took 4 – 6 s (docs/performance.md, twenty-first session).
func (s *stored[T]) writeTo(w io.Writer, encode func([]byte, T) []byte) error {
	all := s.base[:s.n*s.size]
	for len(all) > 0 {
		part := all[:min(len(all), releaseEvery)]
		if err := writeMapped(w, part); err != nil {
			return err
		}
		release(part)
		all = all[len(part):]
	}
	if len(s.more.blocks) == 0 {
		return nil
	}
	var zero T
	buf := make([]byte, 0, chunkLen*len(encode(nil, zero)))
	for _, b := range s.more.blocks {
		buf = buf[:0]
		for _, v := range b {
			buf = encode(buf, v)
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}

// writeMapped writes b, part of a mapped file, to w: a read that faults
// (the file cut short in place under the server) panics instead of killing
// the process, and is returned as an error; any other panic goes on.
func writeMapped(w io.Writer, b []byte) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			fault, ok := r.(interface {
				error
				Addr() uintptr
			})
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("read the saved tree: %w", fault)
		}
	}()
	_, err = w.Write(b)
	return err
}

// decodeHash reads a stored hash from the start of b.
func decodeHash(b []byte) tlog.Hash { return tlog.Hash(b) }

// decodePosition reads a little-endian position from the start of b.
func decodePosition(b []byte) eventstore.Position {
	return eventstore.Position(binary.LittleEndian.Uint64(b))
}

// appendHash appends a stored hash as a saved tree holds it.
func appendHash(b []byte, h tlog.Hash) []byte { return append(b, h[:]...) }

// appendPosition appends a position as a saved tree holds it.
func appendPosition(b []byte, p eventstore.Position) []byte {
	return binary.LittleEndian.AppendUint64(b, uint64(p))
}
