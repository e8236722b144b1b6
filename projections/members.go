package projections

import (
	"bytes"
	"fmt"
	"strconv"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/yishi-civic/yishi/eventstore"
)

// The four types a snapshot holds tens of thousands of (the board's, the
// outcomes' and the register's heads, and the statistics' buckets) are
// read member by member with the functions below, not by JSON v2's
// reflection: their places and words (grids, categories, months) are
// numbered or interned as they are read, with no copy made of a string
// already kept, and no reflection per field; the objects of them are read
// entry by entry (the buckets into their set, statsbuckets.go; the heads
// into their rows, rows.go). At a million events it halved the
// allocations of their load and took a fifth to a third off its time
// (docs/performance.md, fifteenth session). Each reader is tested against
// JSON v2's own decoding of the same bytes.

// members reads the object dec is at, calling member with each member's
// name (unquoted; valid only until member reads the value, as the
// decoder's buffer moves on), which must read the value. null reads as no
// members. A name given twice is an error if dec refuses duplicate names
// (its default), else read twice (decodeSnapshot allows them).
func members(dec *jsontext.Decoder, member func(name []byte) error) error {
	tok, err := dec.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case 'n':
		return nil
	case '{':
	default:
		return fmt.Errorf("want an object, got %v", tok.Kind())
	}
	for dec.PeekKind() != '}' {
		raw, err := dec.ReadValue()
		if err != nil {
			return err
		}
		name, err := unquote(raw)
		if err != nil {
			return fmt.Errorf("member name %s: %w", raw, err)
		}
		// The name as it was, for the error: member reads over its bytes.
		var was [64]byte
		n := copy(was[:], name)
		if err := member(name); err != nil {
			return fmt.Errorf("member %q: %w", string(was[:n]), err)
		}
	}
	_, err = dec.ReadToken()
	return err
}

// readString reads a string, or null as "". With keep, the string is the
// copy keep holds, and a new one is kept there.
func readString(dec *jsontext.Decoder, keep map[string]string) (string, error) {
	b, err := readText(dec)
	if err != nil {
		return "", err
	}
	if keep == nil {
		return string(b), nil
	}
	if s, ok := keep[string(b)]; ok {
		return s, nil
	}
	s := string(b)
	keep[s] = s
	return s, nil
}

// readText reads a string's text, valid until dec reads on (unquote), or
// null as none.
func readText(dec *jsontext.Decoder) ([]byte, error) {
	raw, err := readKind(dec, '"', "a string")
	if err != nil || raw == nil {
		return nil, err
	}
	return unquote(raw)
}

// readKind reads a value of kind (what names it), or null as none.
func readKind(dec *jsontext.Decoder, kind jsontext.Kind, what string) (jsontext.Value, error) {
	raw, err := dec.ReadValue()
	if err != nil {
		return nil, err
	}
	switch raw.Kind() {
	case 'n':
		return nil, nil
	case kind:
		return raw, nil
	}
	return nil, fmt.Errorf("want %s, got %s", what, raw)
}

// unquote returns the text of the string raw (read and checked by a
// jsontext.Decoder): raw's own bytes between the quotes when it has no
// escape, as nearly every name and id has, else a copy unescaped.
func unquote(raw jsontext.Value) ([]byte, error) {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1], nil
	}
	return jsontext.AppendUnquote(nil, raw)
}

// readNumber reads a number's text, or "" for null.
func readNumber(dec *jsontext.Decoder) ([]byte, error) { return readKind(dec, '0', "a number") }

// readInt reads a whole number of 64 bits, or null as 0.
func readInt(dec *jsontext.Decoder) (int64, error) {
	raw, err := readNumber(dec)
	if err != nil || raw == nil {
		return 0, err
	}
	return strconv.ParseInt(string(raw), 10, 64)
}

// readInt32 reads a whole number of 32 bits (a statistics' counter), or
// null as 0.
func readInt32(dec *jsontext.Decoder) (int32, error) {
	raw, err := readNumber(dec)
	if err != nil || raw == nil {
		return 0, err
	}
	n, err := strconv.ParseInt(string(raw), 10, 32)
	return int32(n), err
}

// readPosition reads a position in the log, or null as 0.
func readPosition(dec *jsontext.Decoder) (eventstore.Position, error) {
	raw, err := readNumber(dec)
	if err != nil || raw == nil {
		return 0, err
	}
	p, err := strconv.ParseUint(string(raw), 10, 64)
	return eventstore.Position(p), err
}
