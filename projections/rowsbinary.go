package projections

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/yishi-civic/yishi/eventstore"
)

// rowsMagic began the snapshot of a list view (the board, the outcomes,
// the register) from the nineteenth session to the twenty-third, and is
// still read: its dictionaries, then its rows in position order, each a
// key of fixed size and a head of numbers as varints. Reading it looks up
// no name and sorts nothing, where reading the JSON such a view wrote
// before (which starts with "{", and is still read too) looked up each
// head's places and words, and sorted the rows: the board's load at ten
// million events went from 1.8 s to a fraction of it (docs/performance.md,
// nineteenth session). The views now write fixed rows (fixedRowsMagic);
// the register's meetings come first under a magic of their own
// (registerMagic), where they came under rowsMagic.
const rowsMagic = "\x00yishi rows 1\n"

// writeDictionaries writes hs's places, words and other ids, each a count
// and then each name after its length.
func (hs *heads[K, H]) writeDictionaries(s *snapshotWriter) {
	for _, d := range []*dictionary{&hs.places, &hs.words, &hs.others} {
		s.buf = binary.AppendUvarint(s.buf, uint64(len(d.names)-1)) // "" is 0 in every dictionary
		for _, name := range d.names[1:] {
			s.buf = binary.AppendUvarint(s.buf, uint64(len(name)))
			s.buf = append(s.buf, name...)
			s.next()
		}
	}
}

// readDictionaries reads what writeDictionaries wrote into hs's
// dictionaries, which are new.
func (hs *heads[K, H]) readDictionaries(r *rowsReader) {
	r.dictionary(&hs.places)
	r.dictionary(&hs.words)
	r.otherIDs(&hs.others)
}

// rowsReader reads the numbers writeRows and the heads' writers wrote,
// the statistics' buckets and organisations (bucketSet.writeBinary,
// writeOrgs) and the directory's places (textReader); its first error
// stops it (every read after it returns zeros).
type rowsReader struct {
	b   []byte
	err error
}

// fail records what is wrong, where, once.
func (r *rowsReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("rows: %s, %d bytes before the end", what, len(r.b))
	}
	r.b = nil
}

// uvarint reads an unsigned number.
func (r *rowsReader) uvarint() uint64 { return readVarint(r, binary.Uvarint) }

// varint reads a signed number.
func (r *rowsReader) varint() int64 { return readVarint(r, binary.Varint) }

// readVarint reads a number of r's by read (binary.Uvarint or Varint).
func readVarint[T uint64 | int64](r *rowsReader, read func([]byte) (T, int)) T {
	v, n := read(r.b)
	if n <= 0 {
		r.fail("a bad number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// position reads a position in the log.
func (r *rowsReader) position() eventstore.Position { return eventstore.Position(r.uvarint()) }

// next reads n bytes.
func (r *rowsReader) next(n int) []byte {
	if n > len(r.b) {
		r.fail("bytes past the end")
		return nil
	}
	b := r.b[:n:n]
	r.b = r.b[n:]
	return b
}

// count reads how many of something follow, each of at least each bytes:
// no more than the bytes left hold, so that a damaged count cannot ask for
// more memory than the snapshot could fill.
func (r *rowsReader) count(each int) int {
	v := r.uvarint()
	if v > uint64(len(r.b)/each) {
		r.fail("a count past the end")
		return 0
	}
	return int(v)
}

// number reads a number of d's.
func (r *rowsReader) number(d *dictionary) int32 {
	v := r.uvarint()
	if v >= uint64(len(d.names)) {
		r.fail("a number not in its dictionary")
		return 0
	}
	return int32(v)
}

// flag reads a boolean of one byte.
func (r *rowsReader) flag() bool {
	b := r.next(1)
	if b != nil && b[0] > 1 {
		r.fail("a bad flag")
	}
	return b != nil && b[0] == 1
}

// ident reads an ident, which must be a UUID's bytes or a number in
// others.
func (r *rowsReader) ident(others *dictionary) ident {
	b := r.next(16)
	if b == nil {
		return ident{}
	}
	id := ident(b)
	if r.checkIdents(others, id); r.err != nil {
		return ident{}
	}
	return id
}

// dictionary reads a dictionary writeRows wrote into d, which is new.
func (r *rowsReader) dictionary(d *dictionary) {
	names := r.texts(r.count(2)) // a name takes its length and a byte at least
	if r.err != nil {
		return
	}
	d.names = append(make([]string, 1, len(names)+1), names...)
	if slices.Contains(names, "") { // "" is 0 in every dictionary
		r.fail(`"" named twice`)
		return
	}
	if k, ok := d.index.bulk(1, len(names), func(k int32) uint64 { return hashString(d.names[k]) },
		func(a, b int32) bool { return d.names[a] == d.names[b] }); !ok {
		r.fail(fmt.Sprintf("%q named twice", d.names[k]))
	}
}

// texts reads n strings, each after its length, cut from one string made
// for them all: one allocation, not one a string. Their lengths are read
// first, so that nothing is made for strings a damaged count says are
// there and are not.
func (r *rowsReader) texts(n int) []string {
	at, total := r.b, 0
	for range n {
		total += len(r.next(r.count(1)))
	}
	if r.err != nil {
		return nil
	}
	var all strings.Builder
	all.Grow(total)
	r.b = at
	for range n {
		all.Write(r.next(r.count(1)))
	}
	text, out := all.String(), make([]string, n)
	r.b = at
	for i := range out {
		k := len(r.next(r.count(1)))
		out[i], text = text[:k], text[k:]
	}
	return out
}

// appendBinary implements rowKey: the ident's 16 bytes.
func (id ident) appendBinary(out []byte) []byte { return append(out, id[:]...) }

// readBinary implements rowKey.
func (ident) readBinary(r *rowsReader, others *dictionary) ident { return r.ident(others) }

// check implements rowKey.
func (id ident) check(r *rowsReader, others *dictionary) { r.checkIdents(others, id) }

// appendBinary implements rowKey: the two idents' 32 bytes.
func (p identPair) appendBinary(out []byte) []byte {
	return append(append(out, p[0][:]...), p[1][:]...)
}

// readBinary implements rowKey: a first ident is a UUID's bytes, or zero
// before a key kept whole that does not start with a UUID and "/" (which
// pairOf splits).
func (identPair) readBinary(r *rowsReader, others *dictionary) identPair {
	p := identPair{r.ident(others), r.ident(others)}
	p.checkSplit(r, others)
	return p
}

// check implements rowKey.
func (p identPair) check(r *rowsReader, others *dictionary) {
	r.checkIdents(others, p[0], p[1])
	if r.err == nil {
		p.checkSplit(r, others)
	}
}

// checkSplit checks that p is split as pairOf splits the key it stands
// for.
func (p identPair) checkSplit(r *rowsReader, others *dictionary) {
	switch {
	case p[0] != (ident{}) && !p[0].held():
		r.fail("a key's first id is not a UUID")
	case p[0] == (ident{}) && p != identPair{}.of(string(p[1].appendText(nil, others)), others):
		r.fail("a key kept whole that its first id splits")
	}
}

// otherIDs reads the dictionary of other ids into d: none of them may be
// a UUID as identOf keeps in its bytes.
func (r *rowsReader) otherIDs(d *dictionary) {
	r.dictionary(d)
	for _, name := range d.names {
		if _, ok := uuidIdent(name); ok {
			r.fail(fmt.Sprintf("%q numbered, not kept as its bytes", name))
			return
		}
	}
}

// textWriter writes strings as a snapshot of text and shapes holds them:
// each string into one text, its length into the shape, with the shape's
// numbers.
type textWriter struct{ text, shape []byte }

// str adds strings.
func (w *textWriter) str(ss ...string) {
	for _, s := range ss {
		w.text = append(w.text, s...)
		w.shape = binary.AppendUvarint(w.shape, uint64(len(s)))
	}
}

// num adds numbers to the shape.
func (w *textWriter) num(ns ...uint64) {
	for _, n := range ns {
		w.shape = binary.AppendUvarint(w.shape, n)
	}
}

// writeTo writes the text, after its length, then the shape.
func (w *textWriter) writeTo(s *snapshotWriter) {
	s.buf = binary.AppendUvarint(s.buf, uint64(len(w.text)))
	s.write(w.text)
	s.write(w.shape)
}

// textReader reads what a textWriter wrote: the text is made one string,
// and each string cut from it in turn, of a length its rowsReader reads.
type textReader struct {
	*rowsReader
	text string
}

// newTextReader reads the text at the start of r's bytes.
func newTextReader(r *rowsReader) *textReader {
	return &textReader{rowsReader: r, text: string(r.next(r.count(1)))}
}

// next returns the next string.
func (t *textReader) next() string {
	n := t.uvarint()
	if n > uint64(len(t.text)) {
		t.fail("a name past the text")
		return ""
	}
	s := t.text[:n]
	t.text = t.text[n:]
	return s
}

// rowsHeadReader reads a head as the rows of numbers held it (rowsMagic),
// with its numbers in its heads' dictionaries: a head type's readBinary
// method, such as (*boardHead).readBinary.
type rowsHeadReader[H any] func(h *H, r *rowsReader, d *headNames)

// readRows reads heads writeRows wrote, past rowsMagic, each head by
// readHead, and indexes them. Rows out of position order, a key given
// twice, a number past its dictionary, an id in a form the writer never
// makes (otherIDs, identPair.readBinary) or bytes left over are refused.
func readRows[K rowKey[K], H located](r *rowsReader, readHead rowsHeadReader[H]) (heads[K, H], error) {
	hs := newHeads[K, H](0)
	hs.readDictionaries(r)
	var zero K
	n := r.count(len(zero.appendBinary(nil)) + 1)
	hs.rows = make([]headRow[K, H], n, n+n/8)
	names := hs.names()
	for i := range hs.rows {
		row := &hs.rows[i]
		row.id = zero.readBinary(r, &hs.others)
		readHead(&row.head, r, names)
		if i > 0 && row.head.position() < hs.rows[i-1].head.position() {
			r.fail("rows out of position order")
		}
		if r.err != nil {
			return heads[K, H]{}, r.err
		}
	}
	if r.err != nil {
		return heads[K, H]{}, r.err
	}
	if len(r.b) > 0 {
		return heads[K, H]{}, fmt.Errorf("rows: %d bytes after the last row", len(r.b))
	}
	if err := hs.indexSorted(); err != nil {
		return heads[K, H]{}, err
	}
	return hs, nil
}

// rowsOrJSON reads the snapshot r holds: if it begins with magic
// (rowsMagic, placesMagic, or bucketsPrefix for any version of the
// buckets), read is called with the bytes after it and rows is true; or
// else it returns a reader of the JSON it holds instead (as every
// snapshot was before these forms were written), which the caller reads
// to its end, with rows false. A snapshot file's payload is mapped
// from the file (checkedReader.mapPayload), valid only while read runs;
// any other is read to r's end (a snapshot file's checksum is checked
// there).
func rowsOrJSON(r io.Reader, magic string, read func([]byte) error) (json io.Reader, rows bool, err error) {
	return rowsOrJSONKept(r, []string{magic}, 0, func(_ string, payload []byte, _ bool) (bool, error) {
		return false, read(payload)
	})
}

// rowsOrJSONKept is rowsOrJSON for a payload that may begin with any of
// magics, and whose reader may keep it: read is told which magic begins it
// and whether the payload is mapped from its file, writable, with room
// bytes of zeroed memory after it (mapPayload; never without room), and
// returns whether it keeps the mapping, which is then never unmapped (a
// payload read into memory is the reader's anyway).
func rowsOrJSONKept(r io.Reader, magics []string, room int, read func(magic string, payload []byte, mapped bool) (keep bool, err error)) (json io.Reader, rows bool, err error) {
	size := 0
	if c, ok := r.(*checkedReader); ok {
		size = c.h.Size // no more than its file holds (loadSnapshot)
		payload, unmap, err := c.mapPayload(room)
		switch {
		case err == nil:
			for _, magic := range magics {
				if bytes.HasPrefix(payload, []byte(magic)) {
					keep, err := read(magic, payload[len(magic):], room > 0) // writable only with room
					if !keep || err != nil {
						unmap()
					}
					return nil, true, err
				}
			}
			unmap()
		case !errors.Is(err, errNotMapped):
			return nil, false, err
		}
	}
	longest := 0
	for _, magic := range magics {
		longest = max(longest, len(magic))
	}
	br := bufio.NewReaderSize(r, 64<<10)
	first, _ := br.Peek(longest)
	at := slices.IndexFunc(magics, func(m string) bool { return bytes.HasPrefix(first, []byte(m)) })
	if at < 0 {
		return br, false, nil // JSON, or too short for rows: the JSON reader says what is wrong
	}
	// Made at the header's size, with the room ReadFrom wants: one buffer,
	// no copy as it grows.
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	if _, err := buf.ReadFrom(br); err != nil {
		return nil, false, fmt.Errorf("rows: %w", err)
	}
	_, err = read(magics[at], buf.Bytes()[len(magics[at]):], false)
	return nil, true, err
}
