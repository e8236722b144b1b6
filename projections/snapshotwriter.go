package projections

import (
	"hash/crc32"
	"io"
)

// snapshotChunk is how many bytes of a snapshot an encoder holds before it
// writes them out.
const snapshotChunk = 256 << 10

// snapshotWriter is where a view's snapshot is encoded (encoded): the
// encoder appends to buf and calls next after each row, which writes buf
// out to w once it holds snapshotChunk bytes, so that a snapshot is never
// whole in memory. With no w, buf is the whole snapshot (MarshalSnapshot).
// The first error of w is kept, and nothing is written after it.
type snapshotWriter struct {
	w   io.Writer
	buf []byte
	err error
	// out counts the bytes written out to w.
	out int
}

// offset is how many bytes were encoded so far.
func (s *snapshotWriter) offset() int { return s.out + len(s.buf) }

// newSnapshotWriter writes a snapshot to w in parts.
func newSnapshotWriter(w io.Writer) *snapshotWriter {
	return &snapshotWriter{w: w, buf: make([]byte, 0, snapshotChunk+snapshotChunk/4)}
}

// next writes buf out when it is full.
func (s *snapshotWriter) next() {
	if s.w != nil && len(s.buf) >= snapshotChunk {
		s.flush()
	}
}

// write adds b, which is written out as it is, not copied into buf.
func (s *snapshotWriter) write(b []byte) {
	if s.w == nil {
		s.buf = append(s.buf, b...)
		return
	}
	if s.flush() == nil {
		_, s.err = s.w.Write(b)
	}
	s.out += len(b)
}

// flush writes buf out, and returns w's first error.
func (s *snapshotWriter) flush() error {
	if s.w == nil {
		return nil
	}
	if s.err == nil && len(s.buf) > 0 {
		_, s.err = s.w.Write(s.buf)
	}
	s.out += len(s.buf)
	s.buf = s.buf[:0]
	return s.err
}

// encoded is a view whose snapshot is encoded into a snapshotWriter, so
// that the runner writes it to its file as it is encoded (stageSnapshot);
// its MarshalSnapshot is marshalEncoded.
type encoded interface {
	encodeSnapshot(s *snapshotWriter) error
}

// marshalEncoded is v's snapshot whole, in a buffer made with room for
// size bytes.
func marshalEncoded(v encoded, size int) ([]byte, error) {
	s := &snapshotWriter{buf: make([]byte, 0, size)}
	if err := v.encodeSnapshot(s); err != nil {
		return nil, err
	}
	return s.buf, nil
}

// checksummed counts and checksums (CRC-32C) what is written through it.
type checksummed struct {
	w   io.Writer
	n   int
	crc uint32
}

// Write implements io.Writer.
func (c *checksummed) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += n
	c.crc = crc32.Update(c.crc, castagnoli, b[:n])
	return n, err
}
