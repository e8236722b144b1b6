package projections

import (
	"bytes"
	"encoding/hex"

	"github.com/google/uuid"
)

// ident is an id as the list views keep it, in 16 bytes: a UUID in the
// form the ledger writes every id it makes (36 characters, lower case) as
// its own 16 bytes, and any other string (a test's "p-1", a UUID in upper
// case, one whose first twelve bytes are zero) as twelve zero bytes and
// its number in the view's dictionary of other ids. The zero ident is "".
// Where a row kept an id string of 16 bytes pointing at 48 more, it keeps
// 16 (docs/performance.md, nineteenth session).
type ident [16]byte

// uuidIdent returns the ident s is kept as in its own bytes: false when s
// is not a UUID of 36 characters in lower case (google/uuid's parser, which
// takes upper case too, and other forms, reads the rest), or is one whose
// first twelve bytes are zero (the form of an ident numbered in the
// dictionary of other ids).
func uuidIdent[T string | []byte](s T) (ident, bool) {
	if len(s) != 36 {
		return ident{}, false
	}
	for i := range len(s) {
		if c := s[i]; 'A' <= c && c <= 'F' {
			return ident{}, false
		}
	}
	var u uuid.UUID
	var err error
	switch v := any(s).(type) {
	case string:
		u, err = uuid.Parse(v)
	case []byte:
		u, err = uuid.ParseBytes(v)
	}
	id := ident(u)
	return id, err == nil && id.held()
}

// held reports whether id is a UUID kept in its own bytes, not a number
// in the dictionary of other ids.
func (id ident) held() bool { return [12]byte(id[:12]) != [12]byte{} }

// number is the number in the dictionary of other ids of an ident that
// is not held.
func (id ident) number() int32 {
	return int32(id[12])<<24 | int32(id[13])<<16 | int32(id[14])<<8 | int32(id[15])
}

// otherIdent is the ident of the string numbered n in the dictionary of
// other ids.
func otherIdent(n int32) (id ident) {
	id[12], id[13], id[14], id[15] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	return id
}

// identOf returns s's ident, numbering s in others if it must.
func identOf(s string, others *dictionary) ident {
	if id, ok := uuidIdent(s); ok {
		return id
	}
	return otherIdent(others.of(s))
}

// identOfBytes is identOf for a decoder's bytes, copied only if they are
// numbered anew.
func identOfBytes(b []byte, others *dictionary) ident {
	if id, ok := uuidIdent(b); ok {
		return id
	}
	return otherIdent(others.ofBytes(b))
}

// findIdent returns s's ident without numbering anything: false for a
// string others never numbered (which no row holds).
func findIdent(s string, others *dictionary) (ident, bool) {
	if id, ok := uuidIdent(s); ok {
		return id, true
	}
	n, ok := others.find(s)
	return otherIdent(n), ok
}

// appendText appends the string id stands for.
func (id ident) appendText(out []byte, others *dictionary) []byte {
	if !id.held() {
		return append(out, others.name(id.number())...)
	}
	for i, g := range [...][2]int{{0, 4}, {4, 6}, {6, 8}, {8, 10}, {10, 16}} { // its five groups of bytes
		if i > 0 {
			out = append(out, '-')
		}
		out = hex.AppendEncode(out, id[g[0]:g[1]])
	}
	return out
}

// text is the string id stands for.
func (id ident) text(others *dictionary) string {
	if !id.held() {
		return others.name(id.number())
	}
	var b [36]byte
	return string(id.appendText(b[:0], others))
}

// compareIdents orders a and b as their strings are ordered: a UUID's
// bytes are in the order of its lower-case hex digits.
func compareIdents(a, b ident, others *dictionary) int {
	if a.held() && b.held() {
		return bytes.Compare(a[:], b[:])
	}
	var x, y [36]byte
	return bytes.Compare(a.appendText(x[:0], others), b.appendText(y[:0], others))
}

// appendJSON appends id as a JSON string, as goccy/go-json writes it.
func (id ident) appendJSON(out []byte, others *dictionary) ([]byte, error) {
	if id.held() {
		return append(id.appendText(append(out, '"'), others), '"'), nil
	}
	return appendJSONString(out, others.name(id.number()))
}

// identPair is a key of two ids, "<first>/<second>", as the register's
// "<meeting id>/<motion or mediation id>": a key whose first id is held
// as a UUID keeps both as idents; any other, the whole key as the second
// ident after a zero first.
type identPair [2]ident

// pairOf returns s's pair, numbering in others what it must; of is
// identOf or identOfBytes.
func pairOf[T string | []byte](s T, others *dictionary, of func(T, *dictionary) ident) identPair {
	if len(s) > 36 && s[36] == '/' {
		if first, ok := uuidIdent(s[:36]); ok {
			return identPair{first, of(s[37:], others)}
		}
	}
	return identPair{{}, of(s, others)}
}

// findPair returns s's pair without numbering anything: false for one no
// row holds.
func findPair(s string, others *dictionary) (identPair, bool) {
	if len(s) > 36 && s[36] == '/' {
		if first, ok := uuidIdent(s[:36]); ok {
			second, ok := findIdent(s[37:], others)
			return identPair{first, second}, ok
		}
	}
	whole, ok := findIdent(s, others)
	return identPair{{}, whole}, ok
}

// appendText appends the key p stands for.
func (p identPair) appendText(out []byte, others *dictionary) []byte {
	if p[0] == (ident{}) {
		return p[1].appendText(out, others)
	}
	return p[1].appendText(append(p[0].appendText(out, others), '/'), others)
}

// compareIdentPairs orders a and b as their keys are ordered.
func compareIdentPairs(a, b identPair, others *dictionary) int {
	if a[0].held() && b[0].held() {
		if c := bytes.Compare(a[0][:], b[0][:]); c != 0 {
			return c
		}
		return compareIdents(a[1], b[1], others)
	}
	var x, y [80]byte
	return bytes.Compare(a.appendText(x[:0], others), b.appendText(y[:0], others))
}

// rowKey is the key of a list view's rows, ident or identPair; its
// methods of, ofBytes and find make keys, whatever the value they are
// called on (the zero one).
type rowKey[K any] interface {
	comparable
	// of returns s's key, numbering in others what it must.
	of(s string, others *dictionary) K
	// ofBytes is of for a decoder's bytes.
	ofBytes(b []byte, others *dictionary) K
	// find returns s's key without numbering: false for one no row holds.
	find(s string, others *dictionary) (K, bool)
	// appendText appends the string the key stands for.
	appendText(out []byte, others *dictionary) []byte
	// appendJSON appends that string as goccy/go-json writes it.
	appendJSON(out []byte, others *dictionary) ([]byte, error)
	// compare orders keys as their strings are ordered.
	compare(b K, others *dictionary) int
	// appendBinary appends the key's bytes to a snapshot of rows, a fixed
	// number of them.
	appendBinary(out []byte) []byte
	// readBinary reads what appendBinary wrote.
	readBinary(r *rowsReader, others *dictionary) K
	// check checks a key read in place as readBinary checks what it reads.
	check(r *rowsReader, others *dictionary)
}

func (ident) of(s string, others *dictionary) ident           { return identOf(s, others) }
func (ident) ofBytes(b []byte, others *dictionary) ident      { return identOfBytes(b, others) }
func (ident) find(s string, others *dictionary) (ident, bool) { return findIdent(s, others) }
func (id ident) compare(b ident, others *dictionary) int      { return compareIdents(id, b, others) }

func (identPair) of(s string, others *dictionary) identPair { return pairOf(s, others, identOf) }
func (identPair) ofBytes(b []byte, others *dictionary) identPair {
	return pairOf(b, others, identOfBytes)
}
func (identPair) find(s string, others *dictionary) (identPair, bool) { return findPair(s, others) }
func (p identPair) compare(b identPair, others *dictionary) int {
	return compareIdentPairs(p, b, others)
}

// appendJSON appends the key as a JSON string, as goccy/go-json writes it.
func (p identPair) appendJSON(out []byte, others *dictionary) ([]byte, error) {
	if (p[0] == ident{} || p[0].held()) && p[1].held() {
		return append(p.appendText(append(out, '"'), others), '"'), nil
	}
	var b [80]byte
	return appendJSONString(out, string(p.appendText(b[:0], others)))
}
