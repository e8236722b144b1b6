package http

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/yishi-civic/yishi/eventstore"
)

// LogFramesType is the media type of GET /v1/log's compact form, asked
// for with Accept: the same entries as the JSON Lines, each as one frame
// of length-prefixed fields, the event's stored bytes copied as they are
// (no JSON escaping or decoding on either side). yishi audit reads it.
//
// A frame is uvarint(length of the rest), then uvarint(index),
// uvarint(position), the 32 bytes of the leaf hash and one byte: 0 when
// the frame carries the leaf alone, 1 when the event follows: the 16 bytes
// of its id, uvarint(revision), varint(recorded, nanoseconds since the
// Unix epoch), varint(hash scheme), then ten uvarint-length-prefixed byte
// strings: stream, type, data, actor, role, correlation id, causation id,
// previous hash, hash, salt.
const LogFramesType = "application/x-yishi-log-frames"

// maxLogFrame bounds one frame a reader accepts: an event's data is at
// most a few hundred KiB (docs/api.md), far below it.
const maxLogFrame = 16 << 20

// AppendLogFrame appends e as a frame of LogFramesType to b.
func AppendLogFrame(b []byte, index int64, leaf tlog.Hash, pos eventstore.Position, ev *eventstore.Event) []byte {
	var body [3 * binary.MaxVarintLen64]byte
	n := binary.PutUvarint(body[:], uint64(index))
	n += binary.PutUvarint(body[n:], uint64(pos))
	size := n + tlog.HashSize + 1
	if ev != nil {
		size += 16 + uvarintLen(ev.Revision) + varintLen(ev.Recorded.UnixNano()) + varintLen(int64(ev.Metadata.HashScheme))
		for _, f := range eventFields(ev) {
			size += uvarintLen(uint64(len(f))) + len(f)
		}
		size += uvarintLen(uint64(len(ev.Data))) + len(ev.Data)
	}
	b = binary.AppendUvarint(b, uint64(size))
	b = append(b, body[:n]...)
	b = append(b, leaf[:]...)
	if ev == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	b = append(b, ev.ID[:]...)
	b = binary.AppendUvarint(b, ev.Revision)
	b = binary.AppendVarint(b, ev.Recorded.UnixNano())
	b = binary.AppendVarint(b, int64(ev.Metadata.HashScheme))
	f := eventFields(ev)
	b = appendField(b, f[0]) // stream
	b = appendField(b, f[1]) // type
	b = binary.AppendUvarint(b, uint64(len(ev.Data)))
	b = append(b, ev.Data...)
	for _, s := range f[2:] {
		b = appendField(b, s)
	}
	return b
}

// eventFields are the string fields of a frame but the data, in frame order
// around it: stream and type come before the data, the rest after.
func eventFields(ev *eventstore.Event) [9]string {
	m := &ev.Metadata
	return [9]string{ev.Stream, ev.Type, m.Actor, m.Role, m.CorrelationID, m.CausationID, m.PrevHash, m.Hash, m.Salt}
}

func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func uvarintLen(v uint64) int {
	n := 1
	for ; v >= 0x80; v >>= 7 {
		n++
	}
	return n
}

func varintLen(v int64) int {
	u := uint64(v) << 1
	if v < 0 {
		u = ^u
	}
	return uvarintLen(u)
}

// LogFrame is one frame of LogFramesType as read by a LogFrameReader. Its
// byte slices point into the reader's buffer: they hold until the buffer
// given to the next Read is reused.
type LogFrame struct {
	Index    int64
	Position eventstore.Position
	LeafHash tlog.Hash
	// HasEvent tells whether the frame carries the event (the other fields).
	HasEvent   bool
	ID         [16]byte
	Revision   uint64
	Recorded   int64 // nanoseconds since the Unix epoch
	HashScheme int
	// The event's stored strings and data, as the frame carries them.
	Stream, Type, Data, Actor, Role              []byte
	Correlation, Causation, PrevHash, Hash, Salt []byte
}

// Event returns the frame's event, its strings and data copied out of the
// buffer.
func (f *LogFrame) Event() eventstore.Event {
	return eventstore.Event{
		ID: f.ID, Stream: string(f.Stream), Revision: f.Revision, Position: f.Position, Type: string(f.Type),
		Recorded: time.Unix(0, f.Recorded).UTC(), Data: append([]byte(nil), f.Data...),
		Metadata: eventstore.Metadata{
			Actor: string(f.Actor), Role: string(f.Role), CorrelationID: string(f.Correlation), CausationID: string(f.Causation),
			PrevHash: string(f.PrevHash), Hash: string(f.Hash), HashScheme: f.HashScheme, Salt: string(f.Salt),
		},
	}
}

// LogFrameReader reads frames of LogFramesType.
type LogFrameReader struct {
	r *bufio.Reader
}

// NewLogFrameReader reads frames from r.
func NewLogFrameReader(r io.Reader) *LogFrameReader {
	return &LogFrameReader{r: bufio.NewReaderSize(r, 256<<10)}
}

// ErrBadFrame is the error of a frame that does not parse.
var ErrBadFrame = errors.New("malformed log frame")

// Read reads the next frame into f, its bytes appended to buf, and returns
// buf grown by them: f's slices point into it. It returns io.EOF at the
// end of the input between frames.
func (lr *LogFrameReader) Read(f *LogFrame, buf []byte) ([]byte, error) {
	size, err := binary.ReadUvarint(lr.r)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return buf, io.EOF
		}
		return buf, fmt.Errorf("%w: %w", ErrBadFrame, err)
	}
	if size > maxLogFrame {
		return buf, fmt.Errorf("%w: a frame of %d bytes", ErrBadFrame, size)
	}
	start := len(buf)
	if cap(buf)-start < int(size) {
		nb := make([]byte, start, max(2*cap(buf), start+int(size)))
		copy(nb, buf)
		buf = nb
	}
	buf = buf[:start+int(size)]
	if _, err := io.ReadFull(lr.r, buf[start:]); err != nil {
		return buf[:start], fmt.Errorf("%w: %w", ErrBadFrame, io.ErrUnexpectedEOF)
	}
	if err := parseLogFrame(f, buf[start:]); err != nil {
		return buf[:start], err
	}
	return buf, nil
}

// parseLogFrame parses the body of one frame into f, its slices into b.
func parseLogFrame(f *LogFrame, b []byte) error {
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrBadFrame, what) }
	uv := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	index, ok1 := uv()
	pos, ok2 := uv()
	if !ok1 || !ok2 || len(b) < tlog.HashSize+1 {
		return bad("short leaf")
	}
	f.Index, f.Position = int64(index), eventstore.Position(pos)
	copy(f.LeafHash[:], b)
	kind := b[tlog.HashSize]
	b = b[tlog.HashSize+1:]
	switch kind {
	case 0:
		f.HasEvent = false
		if len(b) != 0 {
			return bad("bytes after a leaf")
		}
		return nil
	case 1:
	default:
		return bad(fmt.Sprintf("kind %d", kind))
	}
	f.HasEvent = true
	if len(b) < 16 {
		return bad("short id")
	}
	copy(f.ID[:], b)
	b = b[16:]
	rev, ok := uv()
	if !ok {
		return bad("revision")
	}
	rec, n := binary.Varint(b)
	if n <= 0 {
		return bad("recorded")
	}
	b = b[n:]
	scheme, n := binary.Varint(b)
	if n <= 0 || scheme < 0 || scheme > 1<<16 {
		return bad("hash scheme")
	}
	b = b[n:]
	f.Revision, f.Recorded, f.HashScheme = rev, rec, int(scheme)
	for _, dst := range []*[]byte{&f.Stream, &f.Type, &f.Data, &f.Actor, &f.Role, &f.Correlation, &f.Causation, &f.PrevHash, &f.Hash, &f.Salt} {
		l, ok := uv()
		if !ok || l > uint64(len(b)) {
			return bad("short field")
		}
		*dst = b[:l:l]
		b = b[l:]
	}
	if len(b) != 0 {
		return bad("bytes after the event")
	}
	return nil
}
