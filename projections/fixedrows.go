package projections

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"reflect"
	"sync"
	"unsafe"
)

// fixedRowsMagic begins the snapshot of a list view whose heads hold no
// pointers (the outcomes, the register): its dictionaries as rowsMagic's,
// then its rows as they lie in memory. A load from a snapshot file maps
// the rows from the file (mapPayload) and reads them in place, where
// reading rows of numbers made each anew in memory the load had to fault
// in page by page: at ten million events the outcomes' 35 MB and the
// register's 27 MB of rows, on a machine where a page first touched
// costs about 11 µs (docs/performance.md, twenty-third session). The
// rows are checked as readRows checks them; a machine that lays them
// out otherwise (its layout's fingerprint differs) refuses them.
const fixedRowsMagic = "\x00yishi fixed rows 1\n"

// rowAlign is the alignment of every fixed row's fields at most (int64).
const rowAlign = 8

// fixedHead is a head kept in fixed rows: it holds no pointer, and checks
// that its numbers are in its heads' dictionaries (as its readBinary
// does while it reads them).
type fixedHead interface {
	located
	check(r *rowsReader, d *headNames)
}

// rowLayout is how a row type lies in memory: its size, a fingerprint of
// its fields' offsets, sizes and kinds, and the bytes of padding between
// them (written as zeros).
type rowLayout struct {
	size        int
	fingerprint uint64
	padding     [][2]int // [from, to) within a row
}

var layouts sync.Map // reflect.Type → *rowLayout

// layoutOf returns the layout of T; it panics if T holds a pointer (a row
// mapped from a file is memory the collector does not scan).
func layoutOf[T any]() *rowLayout {
	t := reflect.TypeFor[T]()
	if l, ok := layouts.Load(t); ok {
		return l.(*rowLayout)
	}
	l := &rowLayout{size: int(t.Size())}
	h := fnv.New64a()
	covered := 0
	var walk func(t reflect.Type, at int)
	walk = func(t reflect.Type, at int) {
		switch t.Kind() {
		case reflect.Struct:
			for i := range t.NumField() {
				f := t.Field(i)
				walk(f.Type, at+int(f.Offset))
			}
		case reflect.Array:
			if t.Elem().Kind() == reflect.Uint8 {
				fmt.Fprintf(h, "%d:[%d]byte;", at, t.Len())
				l.cover(&covered, at, int(t.Size()))
				return
			}
			for i := range t.Len() {
				walk(t.Elem(), at+i*int(t.Elem().Size()))
			}
		case reflect.Bool, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int,
			reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uint,
			reflect.Float32, reflect.Float64:
			fmt.Fprintf(h, "%d:%s%d;", at, t.Kind(), t.Size())
			l.cover(&covered, at, int(t.Size()))
		default:
			panic(fmt.Sprintf("projections: %v holds a %v, not a number: its rows cannot be kept fixed", reflect.TypeFor[T](), t))
		}
	}
	walk(t, 0)
	l.cover(&covered, l.size, 0)
	fmt.Fprintf(h, "size %d", l.size)
	l.fingerprint = h.Sum64()
	got, _ := layouts.LoadOrStore(t, l)
	return got.(*rowLayout)
}

// cover records the field at [at, at+n), and the padding before it.
func (l *rowLayout) cover(covered *int, at, n int) {
	if at > *covered {
		l.padding = append(l.padding, [2]int{*covered, at})
	}
	*covered = max(*covered, at+n)
}

// bytesOf is the memory of rows, as bytes.
func bytesOf[T any](rows []T) []byte {
	if len(rows) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(rows))), len(rows)*int(unsafe.Sizeof(rows[0])))
}

// writeFixedRows writes hs after fixedRowsMagic: its dictionaries, its
// slab of marks (the board's) after their count, its count of rows, its
// rows' size and the fingerprint of their layout, a count of zeros and
// those zeros, up to an offset of eight bytes in the payload (which
// starts at such an offset in a snapshot file), and the rows as they lie
// in memory, their padding zeroed, in parts.
func writeFixedRows[K rowKey[K], H fixedHead](hs *heads[K, H], s *snapshotWriter) {
	l := layoutOf[headRow[K, H]]()
	s.buf = append(s.buf, fixedRowsMagic...)
	hs.writeDictionaries(s)
	writeFixed(s, hs.marks)
	s.buf = binary.AppendUvarint(s.buf, uint64(len(hs.rows)))
	s.buf = binary.AppendUvarint(s.buf, uint64(l.size))
	s.buf = binary.LittleEndian.AppendUint64(s.buf, l.fingerprint)
	pad := (rowAlign - (s.offset()+1)%rowAlign) % rowAlign
	s.buf = append(s.buf, byte(pad))
	s.buf = append(s.buf, make([]byte, pad)...)
	writeMemory(s, hs.rows)
}

// writeFixed writes the count of vs, then their memory (writeMemory).
func writeFixed[T any](s *snapshotWriter, vs []T) {
	s.buf = binary.AppendUvarint(s.buf, uint64(len(vs)))
	writeMemory(s, vs)
}

// writeMemory writes vs as they lie in memory, their padding zeroed, in
// parts.
func writeMemory[T any](s *snapshotWriter, vs []T) {
	l := layoutOf[T]()
	raw := bytesOf(vs)
	for len(raw) > 0 {
		part := raw[:min(max(1, (snapshotChunk-len(s.buf))/l.size)*l.size, len(raw))]
		raw = raw[len(part):]
		at := len(s.buf)
		s.buf = append(s.buf, part...)
		for v := s.buf[at:]; len(v) > 0; v = v[l.size:] {
			for _, p := range l.padding {
				clear(v[p[0]:p[1]])
			}
		}
		s.next()
	}
}

// readMarks reads the marks writeFixed wrote into memory made for them,
// with room for an eighth more; a flag other than 0 or 1 is refused.
func (r *rowsReader) readMarks() []actionMark {
	const size = int(unsafe.Sizeof(actionMark{}))
	n := r.count(size)
	raw := r.next(n * size)
	if r.err != nil || n == 0 {
		return nil
	}
	open := int(unsafe.Offsetof(actionMark{}.Open))
	for i := 0; i < len(raw); i += size {
		if raw[i+open] > 1 {
			r.fail("a bad flag")
			return nil
		}
	}
	marks := make([]actionMark, n, n+n/8)
	copy(bytesOf(marks), raw)
	return marks
}

// readFixedRows reads heads writeFixedRows wrote from payload, which
// begins past fixedRowsMagic. When mapped, the
// payload is a mapping of its file that is never unmapped, with room
// after it up to its capacity: the rows are read in place, and up to an
// eighth more rows the fold adds later go into that room (then append
// moves them all to the heap); inPlace says so. Otherwise (or when the rows do
// not lie aligned in memory) they are copied into memory made for them,
// with room for an eighth more. Every row is checked as readRows checks
// the rows it reads, and indexed.
func readFixedRows[K rowKey[K], H fixedHead](payload []byte, mapped bool) (_ heads[K, H], inPlace bool, err error) {
	r := &rowsReader{b: payload}
	hs := newHeads[K, H](0)
	hs.readDictionaries(r)
	hs.marks = r.readMarks()
	l := layoutOf[headRow[K, H]]()
	n := r.count(l.size)
	size, fingerprint := r.uvarint(), r.next(8)
	if r.err != nil {
		return heads[K, H]{}, false, r.err
	}
	if size != uint64(l.size) || binary.LittleEndian.Uint64(fingerprint) != l.fingerprint {
		return heads[K, H]{}, false, fmt.Errorf("rows: laid out as rows of %d bytes that this build does not lay out so (%d bytes)", size, l.size)
	}
	if pad := r.next(1); pad != nil && (pad[0] >= rowAlign || !allZero(r.next(int(pad[0])))) {
		r.fail("bad padding")
	}
	off := len(payload) - len(r.b)
	r.next(n * l.size)
	if r.err != nil {
		return heads[K, H]{}, false, r.err
	}
	if len(r.b) > 0 {
		return heads[K, H]{}, false, fmt.Errorf("rows: %d bytes after the last row", len(r.b))
	}
	body := payload[off : off+n*l.size] // its capacity the mapping's room after the payload
	at := unsafe.Pointer(unsafe.SliceData(body))
	inPlace = mapped && n > 0 && uintptr(at)%rowAlign == 0
	if inPlace {
		hs.rows = unsafe.Slice((*headRow[K, H])(at), min(cap(body)/l.size, n+n/8))[:n]
	} else {
		hs.rows = make([]headRow[K, H], n, n+n/8)
		copy(bytesOf(hs.rows), body)
	}
	names := hs.names()
	for i := range hs.rows {
		row := &hs.rows[i]
		row.id.check(r, &hs.others)
		row.head.check(r, names)
		if i > 0 && row.head.position() < hs.rows[i-1].head.position() {
			r.fail("rows out of position order")
		}
		if r.err != nil {
			return heads[K, H]{}, false, r.err
		}
	}
	if err := hs.indexSorted(); err != nil {
		return heads[K, H]{}, false, err
	}
	return hs, inPlace, nil
}

// checkNumbers checks that each of ns is a number of d's.
func (r *rowsReader) checkNumbers(d *dictionary, ns ...int32) {
	for _, n := range ns {
		if n < 0 || int(n) >= len(d.names) {
			r.fail("a number not in its dictionary")
		}
	}
}

// checkIdents checks that each of ids is a UUID's bytes or a number in
// others, as ident reads them.
func (r *rowsReader) checkIdents(others *dictionary, ids ...ident) {
	for _, id := range ids {
		if n := id.number(); !id.held() && (n < 0 || int(n) >= len(others.names)) {
			r.fail("an id not in its dictionary")
		}
	}
}

// roomFor is the room to map after a snapshot file's payload of fixed
// rows: an eighth of it, as newHeads makes room for an eighth more rows
// (at least a byte, so that the mapping is writable).
func roomFor(r io.Reader) int {
	if c, ok := r.(*checkedReader); ok {
		return max(1, c.h.Size/8)
	}
	return 0
}

// allZero reports whether b holds zeros only.
func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}
