package projections

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/go-json-experiment/json/jsontext"
)

// counts counts by a key (a channel, a meeting's format): the few keys one
// stats bucket meets, sorted by key in a slice. A map per bucket took
// several times the memory of the figures it held; its keys, a handful of
// words repeated in every bucket, are kept once (interned) when a snapshot
// is read. It reads and writes as a JSON object, as the map did.
type counts []count

// count is one key's number.
type count struct {
	Key string
	N   int
}

// add counts one more of key.
func (c *counts) add(key string) {
	i, found := slices.BinarySearchFunc(*c, key, func(e count, k string) int { return strings.Compare(e.Key, k) })
	if found {
		(*c)[i].N++
		return
	}
	*c = slices.Insert(*c, i, count{Key: key, N: 1})
}

// MarshalJSON writes the counts as an object, in key order: the bytes a
// map of the same counts was written as.
func (c counts) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+16*len(c))
	b = append(b, '{')
	for i, e := range c {
		if i > 0 {
			b = append(b, ',')
		}
		// Bytes not UTF-8 (a key from an imported event) are written as
		// U+FFFD, as the map's encoder wrote them, not refused: a refusal
		// here would leave every view's snapshot unwritten.
		var err error
		if b, err = jsontext.AppendQuote(b, strings.ToValidUTF8(e.Key, "\ufffd")); err != nil {
			return nil, fmt.Errorf("counts: key %q: %w", e.Key, err)
		}
		b = strconv.AppendInt(append(b, ':'), int64(e.N), 10)
	}
	return append(b, '}'), nil
}

// UnmarshalJSON reads an object of whole numbers.
func (c *counts) UnmarshalJSON(b []byte) error {
	return c.UnmarshalJSONFrom(jsontext.NewDecoder(bytes.NewReader(b)))
}

// UnmarshalJSONFrom reads an object of whole numbers from dec, its keys
// interned (JSON v2, which reads the snapshots, calls it in place of
// UnmarshalJSON). It reads each member as it comes, with no map and no
// copy of the object: a snapshot holds one to three counts in each of
// tens of thousands of buckets, and decoding each through a map made the
// stats the slowest view to load (docs/performance.md, fifteenth
// session). A key given twice is an error, null leaves no counts, and a
// null count is 0, as the map read it.
func (c *counts) UnmarshalJSONFrom(dec *jsontext.Decoder) error {
	if dec.PeekKind() == 'n' {
		if _, err := dec.ReadToken(); err != nil {
			return fmt.Errorf("counts: %w", err)
		}
		*c = nil
		return nil
	}
	if tok, err := dec.ReadToken(); err != nil {
		return fmt.Errorf("counts: %w", err)
	} else if tok.Kind() != '{' {
		return fmt.Errorf("counts: want an object, got %v", tok.Kind())
	}
	// Read on the stack, then kept at its length: most counts hold one or
	// two keys, and a slice made for four took 96 bytes for each.
	var buf [4]count
	out := counts(buf[:0])
	var key [64]byte
	for dec.PeekKind() != '}' {
		name, err := dec.ReadValue()
		if err != nil {
			return fmt.Errorf("counts: %w", err)
		}
		// k is a copy: name's bytes are the decoder's, read over by the
		// number.
		k, err := jsontext.AppendUnquote(key[:0], name)
		if err != nil {
			return fmt.Errorf("counts: key %s: %w", name, err)
		}
		num, err := dec.ReadValue()
		if err != nil {
			return fmt.Errorf("counts: %q: %w", string(k), err)
		}
		n := 0
		switch num.Kind() {
		case 'n':
		case '0':
			if n, err = strconv.Atoi(string(num)); err != nil {
				return fmt.Errorf("counts: %q: %w", string(k), err)
			}
		default:
			return fmt.Errorf("counts: %q: want a number, got %s", string(k), num)
		}
		out = append(out, count{Key: countKeys.internBytes(k), N: n})
	}
	if _, err := dec.ReadToken(); err != nil {
		return fmt.Errorf("counts: %w", err)
	}
	if !slices.IsSortedFunc(out, compareCounts) {
		slices.SortFunc(out, compareCounts)
	}
	for i := 1; i < len(out); i++ {
		if out[i].Key == out[i-1].Key {
			return fmt.Errorf("counts: %q given twice", out[i].Key)
		}
	}
	*c = append(make(counts, 0, len(out)), out...)
	return nil
}

func compareCounts(a, b count) int { return strings.Compare(a.Key, b.Key) }

// countKeys keeps one copy of each key counted (channels and formats: a
// handful of words, bounded by maxCountKeys against a snapshot that
// would name many).
var countKeys = interner{m: map[string]string{}}

// maxCountKeys bounds the keys countKeys keeps.
const maxCountKeys = 1024

// interner hands out one copy of each string it keeps.
type interner struct {
	mu sync.Mutex
	m  map[string]string
}

// internBytes returns the copy of k kept, keeping a copy when there is
// room: only a key not kept is copied.
func (in *interner) internBytes(k []byte) string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if v, ok := in.m[string(k)]; ok {
		return v
	}
	s := string(k)
	if len(in.m) < maxCountKeys {
		in.m[s] = s
	}
	return s
}
