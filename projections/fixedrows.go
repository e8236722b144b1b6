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

// fixedRowsMagic begins the snapshot of a list view (the board, the
// outcomes, the register), whose heads hold no pointer: its dictionaries
// as rowsMagic's, then its rows as they lie in memory. A load from a
// snapshot file maps the rows from the file (mapPayload) and reads them
// in place, where reading rows of numbers made each anew in memory the
// load had to fault in page by page: about 90 MB of rows at ten million
// events, on a machine where a page first touched costs about 11 µs
// (docs/performance.md, twenty-third session). The rows are checked as
// readRows checks them; a machine that lays them out otherwise (its
// layout's fingerprint differs) refuses them.
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
// its fields' names, offsets, sizes and kinds and of the machine's byte
// order, the bytes written as zeros (padding between fields, and fields
// tagged `fixed:"zero"`, which only a process's memory keeps), and
// whether it holds a bool (a byte other than 0 or 1 read into one is
// undefined: rows read in place hold none).
type rowLayout struct {
	size        int
	fingerprint uint64
	zeroed      [][2]int // [from, to) within a row
	bools       bool
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
	fmt.Fprintf(h, "byte order %d;", binary.NativeEndian.Uint16([]byte{1, 0}))
	covered := 0
	var walk func(t reflect.Type, at int)
	walk = func(t reflect.Type, at int) {
		switch t.Kind() {
		case reflect.Struct:
			for i := range t.NumField() {
				f := t.Field(i)
				fmt.Fprintf(h, "%s %s:", f.Name, f.Tag.Get("fixed"))
				walk(f.Type, at+int(f.Offset))
				if f.Tag.Get("fixed") == "zero" {
					l.zeroed = append(l.zeroed, [2]int{at + int(f.Offset), at + int(f.Offset+f.Type.Size())})
				}
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
		case reflect.Bool:
			fmt.Fprintf(h, "%d:bool;", at)
			l.cover(&covered, at, 1)
			l.bools = true
		case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Int,
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
		l.zeroed = append(l.zeroed, [2]int{*covered, at})
	}
	*covered = max(*covered, at+n)
}

// bytesOf is the memory of rows, as bytes (nil for none).
func bytesOf[T any](rows []T) []byte {
	if len(rows) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(rows))), len(rows)*int(unsafe.Sizeof(rows[0])))
}

// writeFixedRows writes hs after fixedRowsMagic: its dictionaries; the
// board's marks of actions, each head's in row order, after their count,
// size and layout (writeMarks); its count of rows, their size and the
// fingerprint of their layout, a count of zeros and those zeros, up to an
// offset of eight bytes in the payload (which starts at such an offset in
// a snapshot file); and the rows as they lie in memory, in parts, the
// bytes their layout zeroes written as zeros, and each head's span of
// marks, when acts gives it (the board's), where writeMarks put them. So
// two views that hold the same heads write the same bytes, whatever their
// slabs hold besides.
func writeFixedRows[K rowKey[K], H fixedHead](hs *heads[K, H], s *snapshotWriter, acts func(*H) *span) {
	l := fixedLayout[headRow[K, H]]()
	s.buf = append(s.buf, fixedRowsMagic...)
	hs.writeDictionaries(s)
	hs.writeMarks(s, acts)
	l.writeCount(s, len(hs.rows))
	s.align()
	var each func(i int, row []byte)
	if acts != nil && len(hs.rows) > 0 {
		first := &hs.rows[0]
		off := uintptr(unsafe.Pointer(acts(&first.head))) - uintptr(unsafe.Pointer(first))
		next := int32(0)
		each = func(i int, row []byte) { acts(&hs.rows[i].head).written(&next).put(row, int(off)) }
	}
	writeMemory(s, l, bytesOf(hs.rows), each)
}

// fixedLayout is layoutOf a row type kept in fixed rows, which holds no
// bool.
func fixedLayout[T any]() *rowLayout {
	l := layoutOf[T]()
	if l.bools {
		panic(fmt.Sprintf("projections: %v holds a bool: its rows cannot be read in place", reflect.TypeFor[T]()))
	}
	return l
}

// writeMarks writes the marks of the spans acts gives of each head, in
// row order, after their count, their size and the fingerprint of their
// layout (none without acts).
func (hs *heads[K, H]) writeMarks(s *snapshotWriter, acts func(*H) *span) {
	l := layoutOf[actionMark]()
	if acts == nil {
		l.writeCount(s, 0)
		return
	}
	n := 0
	for i := range hs.rows {
		n += int(acts(&hs.rows[i].head).n)
	}
	l.writeCount(s, n)
	for i := range hs.rows {
		writeMemory(s, l, bytesOf(hs.marks.of(*acts(&hs.rows[i].head))), nil)
	}
}

// writeCount writes how many values of layout l follow, their size and
// the fingerprint of their layout.
func (l *rowLayout) writeCount(s *snapshotWriter, n int) {
	s.buf = binary.AppendUvarint(s.buf, uint64(n))
	s.buf = binary.AppendUvarint(s.buf, uint64(l.size))
	s.buf = binary.LittleEndian.AppendUint64(s.buf, l.fingerprint)
}

// countOf reads what writeCount wrote: how many values of layout l follow
// (no more than the bytes left hold), refused when another layout's.
func (r *rowsReader) countOf(l *rowLayout, what string) int {
	n := r.count(l.size)
	size, fingerprint := r.uvarint(), r.next(8)
	if r.err == nil && (size != uint64(l.size) || binary.LittleEndian.Uint64(fingerprint) != l.fingerprint) {
		r.fail(fmt.Sprintf("%s laid out as this build does not lay them out (%d bytes each, here %d)", what, size, l.size))
	}
	return n
}

// align writes a count of zeros and those zeros, up to an offset of
// eight bytes (rowAlign) in the payload, which starts at such an offset
// in a snapshot file: rows written next lie aligned in a mapping of it.
func (s *snapshotWriter) align() {
	pad := (rowAlign - (s.offset()+1)%rowAlign) % rowAlign
	s.buf = append(s.buf, byte(pad))
	s.buf = append(s.buf, make([]byte, pad)...)
}

// aligned reads what align wrote.
func (r *rowsReader) aligned() {
	if pad := r.next(1); pad != nil && (pad[0] >= rowAlign || !allZero(r.next(int(pad[0])))) {
		r.fail("bad padding")
	}
}

// writeMemory writes raw, values of layout l as they lie in memory, in
// parts, the bytes l zeroes written as zeros; each, when set, is given
// each value's index and bytes as written, to change.
func writeMemory(s *snapshotWriter, l *rowLayout, raw []byte, each func(i int, v []byte)) {
	for i := 0; len(raw) > 0; {
		k := len(raw)
		if s.w != nil {
			k = min(k, max(1, (snapshotChunk-len(s.buf))/l.size)*l.size)
		}
		at := len(s.buf)
		s.buf = append(s.buf, raw[:k]...)
		raw = raw[k:]
		for v := s.buf[at:]; len(v) > 0; v, i = v[l.size:], i+1 {
			for _, z := range l.zeroed {
				clear(v[z[0]:z[1]])
			}
			if each != nil {
				each(i, v[:l.size])
			}
		}
		s.next()
	}
}

// readMarks reads the marks writeMarks wrote into memory made for them,
// with room for an eighth more; marks of another layout, or a flag other
// than 0 or 1, are refused.
func (r *rowsReader) readMarks() []actionMark {
	l := layoutOf[actionMark]()
	n := r.countOf(l, "marks")
	raw := r.next(n * l.size)
	if r.err != nil || n == 0 {
		return nil
	}
	open := int(unsafe.Offsetof(actionMark{}.Open))
	for i := 0; i < len(raw); i += l.size {
		if raw[i+open] > 1 {
			r.fail("a bad flag")
			return nil
		}
	}
	return rowsOf[actionMark](raw, n, false)
}

// rowsOf returns the n values of T that body holds: in place when
// inPlace (body a mapping kept, with room after it up to its capacity:
// an eighth more values go into it before append moves them all to the
// heap), else copied into memory made for them, with room for an eighth
// more.
func rowsOf[T any](body []byte, n int, inPlace bool) []T {
	size := int(unsafe.Sizeof(*new(T)))
	if inPlace {
		return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(body))), min(cap(body)/size, n+n/8))[:n]
	}
	rows := make([]T, n, n+n/8)
	copy(bytesOf(rows), body[:n*size])
	return rows
}

// alignedAt reports whether b starts at an offset of rowAlign bytes in
// memory, as rows read in place must.
func alignedAt(b []byte) bool { return uintptr(unsafe.Pointer(unsafe.SliceData(b)))%rowAlign == 0 }

// readFixedRows reads heads writeFixedRows wrote from payload, which
// begins past fixedRowsMagic. When mapped, the payload is a mapping of
// its file that is never unmapped, with room after it up to its
// capacity: the rows are read in place, and up to an eighth more rows the
// fold adds later go into that room (then append moves them all to the
// heap); inPlace says so. Otherwise (or when the rows do not lie aligned
// in memory) they are copied into memory made for them, with room for an
// eighth more. Every row is checked as readRows checks the rows it reads,
// and indexed.
func readFixedRows[K rowKey[K], H fixedHead](payload []byte, mapped bool) (_ heads[K, H], inPlace bool, err error) {
	r := &rowsReader{b: payload}
	hs := newHeads[K, H](0)
	hs.readDictionaries(r)
	hs.marks = slab[actionMark]{vals: r.readMarks()}
	l := fixedLayout[headRow[K, H]]()
	n := r.countOf(l, "rows")
	r.aligned()
	off := len(payload) - len(r.b)
	r.next(n * l.size)
	if r.err != nil {
		return heads[K, H]{}, false, r.err
	}
	if len(r.b) > 0 {
		return heads[K, H]{}, false, fmt.Errorf("rows: %d bytes after the last row", len(r.b))
	}
	body := payload[off : off+n*l.size] // its capacity the mapping's room after the payload
	inPlace = mapped && n > 0 && alignedAt(body)
	hs.rows = rowsOf[headRow[K, H]](body, n, inPlace)
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
	if int(names.marksAt) != len(hs.marks.vals) {
		return heads[K, H]{}, false, fmt.Errorf("rows: %d marks of actions no head names", len(hs.marks.vals)-int(names.marksAt))
	}
	hs.marks.used = len(hs.marks.vals)
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
