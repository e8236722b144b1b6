package projections

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	gojson "github.com/goccy/go-json"
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

// MarshalJSON writes the counts as an object.
func (c counts) MarshalJSON() ([]byte, error) {
	m := make(map[string]int, len(c))
	for _, e := range c {
		m[e.Key] = e.N
	}
	return gojson.Marshal(m)
}

// UnmarshalJSON reads an object of numbers.
func (c *counts) UnmarshalJSON(b []byte) error {
	var m map[string]int
	if err := gojson.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("counts: %w", err)
	}
	out := make(counts, 0, len(m))
	for k, n := range m {
		out = append(out, count{Key: countKeys.intern(k), N: n})
	}
	slices.SortFunc(out, func(a, b count) int { return strings.Compare(a.Key, b.Key) })
	*c = out
	return nil
}

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

// intern returns the copy of k kept, keeping k when there is room.
func (in *interner) intern(k string) string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if v, ok := in.m[k]; ok {
		return v
	}
	if len(in.m) < maxCountKeys {
		in.m[k] = k
	}
	return k
}
