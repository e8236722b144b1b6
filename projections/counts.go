package projections

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// counts are a bucket's tallies of one kind as its snapshot writes them:
// counts by word, sorted by word, written as a JSON object, as the map
// they were first kept in was written.
type counts []count

// count is one word's number.
type count struct {
	Key string
	N   int
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

func compareCounts(a, b count) int { return strings.Compare(a.Key, b.Key) }
