package seal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"runtime/debug"
	"sync/atomic"

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
	// check, when set, holds the checksums of base's parts, each checked
	// on the first read of a value in it (a file of the third format's
	// stored hashes); without it, base was checked whole when the file was
	// opened.
	check *partsCheck
}

// partLen is how many bytes of a saved tree's stored hashes one checksum
// of a file of the third format covers (2,048 hashes): a start reads
// none of them but the root's, and a proof, which reads a few dozen
// hashes, checks the parts that hold them on their first read (a
// millisecond or so for all when the page cache holds them, more when
// they are read from the disk).
const partLen = 64 << 10

// ErrDamaged is the error of a read of a saved tree's part whose bytes do
// not match their checksum.
var ErrDamaged = errors.New("seal: the saved tree is damaged")

// partsCheck is the checksums (CRC-32C) of the parts of a mapped file's
// bytes, partLen each but the last, and which of them have been checked.
// It is safe for concurrent use: two first reads of one part check it
// twice.
type partsCheck struct {
	sums []uint32
	ok   []atomic.Bool
	// damaged is set once a part did not match its checksum; notify, if
	// set, is then called once with the error (Log.OnDamage).
	damaged atomic.Bool
	notify  func(error, os.FileInfo)
	// file is the file mapped, the stored hashes at offset at, for read
	// (closed once a spill has replaced it: a read then fails); info its
	// information, taken when it was opened (nil when that failed).
	file *os.File
	info os.FileInfo
	at   int64
}

func newPartsCheck(sums []uint32, file *os.File, at int64) *partsCheck {
	c := &partsCheck{sums: sums, ok: make([]atomic.Bool, len(sums)), file: file, at: at}
	if file != nil {
		c.info, _ = file.Stat() // nil when it fails
	}
	return c
}

// read checks part k, of n bytes, read from the file into buf (partLen
// bytes) rather than through the mapping: a check of the whole file that
// faulted each page in cost five times the CPU, and kept pages mapped.
// It holds no lock of the Log's: a spill may close the file meanwhile,
// and the read then fails (os.ErrClosed; a read under way when it is
// closed ends first, the descriptor closed after it).
func (c *partsCheck) read(k, n int64, buf []byte) error {
	part := buf[:n]
	if _, err := c.file.ReadAt(part, c.at+k*partLen); errors.Is(err, io.EOF) {
		return c.fail(fmt.Errorf("%w: part %d of its stored hashes is cut short", ErrDamaged, k))
	} else if err != nil {
		return fmt.Errorf("seal: read part %d of the saved tree's stored hashes: %w", k, err)
	}
	return c.match(k, part)
}

// fail marks the file damaged, tells notify the first time, with the
// file's information, and returns err.
func (c *partsCheck) fail(err error) error {
	if c.damaged.CompareAndSwap(false, true) && c.notify != nil {
		c.notify(err, c.info)
	}
	return err
}

// parts returns how many parts n bytes are cut into.
func parts(n int64) int64 { return (n + partLen - 1) / partLen }

// ensure checks, once, the part of b that holds byte off, and returns an
// ErrDamaged when it does not match its checksum.
func (c *partsCheck) ensure(b []byte, off int64) error {
	k := off / partLen
	if c.ok[k].Load() {
		return nil
	}
	return c.match(k, b[k*partLen:min(int64(len(b)), (k+1)*partLen)])
}

// match checks that part, a copy of part k or the part in place, matches
// k's checksum, and returns an ErrDamaged when it does not.
func (c *partsCheck) match(k int64, part []byte) error {
	if crc32.Checksum(part, castagnoli) != c.sums[k] {
		return c.fail(fmt.Errorf("%w: part %d of its stored hashes (their bytes [%d, %d)) does not match its checksum", ErrDamaged, k, k*partLen, k*partLen+int64(len(part))))
	}
	c.ok[k].Store(true)
	return nil
}

// partSums is a writer that keeps the checksum of each partLen bytes
// written to it (the last part may be shorter, see sums).
type partSums struct {
	done []uint32
	crc  uint32
	n    int
}

func (p *partSums) Write(b []byte) (int, error) {
	written := len(b)
	for len(b) > 0 {
		k := min(len(b), partLen-p.n)
		p.crc = crc32.Update(p.crc, castagnoli, b[:k])
		p.n += k
		b = b[k:]
		if p.n == partLen {
			p.done, p.crc, p.n = append(p.done, p.crc), 0, 0
		}
	}
	return written, nil
}

// sums returns the checksums of every part written, the last one shorter
// included.
func (p *partSums) sums() []uint32 {
	if p.n > 0 {
		return append(p.done, p.crc)
	}
	return p.done
}

// len returns the number of values held.
func (s *stored[T]) len() int64 { return s.n + s.more.len() }

// at returns value i; i must be in [0, len). A read of the mapped file
// that faults (the file cut short in place under the server, against the
// rule that only Save writes it) panics instead of killing the process,
// and so does a read of a part that does not match its checksum (check),
// with an ErrDamaged.
func (s *stored[T]) at(i int64) T {
	if i < s.n {
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		if s.check != nil {
			if err := s.check.ensure(s.base, i*s.size); err != nil {
				panic(err)
			}
		}
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
	if s.check != nil {
		// Each part is copied, checked and written from the copy: a save
		// never writes a damaged part under new checksums, nor bytes
		// other than those it checked.
		buf := make([]byte, partLen)
		for k := int64(0); k*partLen < int64(len(all)); k++ {
			part := all[k*partLen : min(int64(len(all)), (k+1)*partLen)]
			copied := buf[:len(part)]
			if err := readMapped(func() error { copy(copied, part); return nil }); err != nil {
				return err
			}
			if err := s.check.match(k, copied); err != nil {
				return err
			}
			if _, err := w.Write(copied); err != nil {
				return err
			}
			release(part)
		}
	}
	for len(all) > 0 && s.check == nil {
		part := all[:min(len(all), releaseEvery)]
		if err := readMapped(func() error { _, err := w.Write(part); return err }); err != nil {
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

// readMapped runs f, which reads a mapped file: a read that faults (the
// file cut short in place under the server) panics instead of killing the
// process, and is returned as an error; any other panic goes on.
func readMapped(f func() error) (err error) {
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
	return f()
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
