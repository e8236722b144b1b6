package projections

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"testing/iotest"
	"unsafe"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	gojson "github.com/goccy/go-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
)

// fill sets every field of the struct v points to (strings and whole
// numbers: the heads' fields) to random values, so that a reader that
// forgets a field reads a value unlike the one written. Fields JSON leaves
// out ("-") stay zero.
func fill(t *testing.T, rng *rand.Rand, v reflect.Value) {
	words := []string{"g1", "c-7", "会议", "a\"b", "tab\there", "\x00nul", "</script>", "online", ""}
	for i := range v.NumField() {
		f, sf := v.Field(i), v.Type().Field(i)
		if sf.Tag.Get("json") == "-" {
			continue
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString(words[rng.IntN(len(words))])
		case reflect.Int64:
			f.SetInt(rng.Int64N(1<<62) - 1<<61)
		case reflect.Uint64:
			f.SetUint(rng.Uint64())
		default:
			t.Fatalf("fill: no values for %s.%s (%s)", v.Type(), sf.Name, f.Type())
		}
	}
}

// readsAsWritten fills a T at random, writes it as its snapshot does
// (goccy) and reads it back with read: the value must be the one written,
// and what JSON v2's reflection reads of the same bytes.
func readsAsWritten[T any](t *testing.T, rng *rand.Rand, read jsonv2.Options) {
	var v T
	fill(t, rng, reflect.ValueOf(&v).Elem())
	out, err := gojson.Marshal(&v)
	require.NoError(t, err)
	var got, reflected T
	require.NoError(t, jsonv2.Unmarshal(out, &got, read), "%s", out)
	require.NoError(t, jsonv2.Unmarshal(out, &reflected))
	require.Equal(t, v, got, "%s", out)
	require.Equal(t, reflected, got)
}

// TestHeadsReadAsWritten: the register's heads, written as its snapshot
// writes them (goccy), are read by their own reader as they were, and as
// JSON v2's reflection reads the same bytes; every field is set, so a
// field a reader forgets fails. (The board's and the outcomes' heads:
// boardheads_test.go and outcomeheads_test.go; the statistics' buckets:
// statsbuckets_test.go.)
func TestHeadsReadAsWritten(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	keep := newNames()
	heads := readerOf((*decisionHead).read, keep)
	for range 500 {
		readsAsWritten[decisionHead](t, rng, heads)
	}

	// The same grid in two heads is one string, kept in keep.
	var a, b decisionHead
	require.NoError(t, jsonv2.Unmarshal([]byte(`{"g":"grid-9","c":"c\u002d1"}`), &a, heads))
	require.NoError(t, jsonv2.Unmarshal([]byte(`{"g":"grid-9","c":"c-1"}`), &b, heads))
	assert.Same(t, unsafe.StringData(a.GridID), unsafe.StringData(b.GridID))
	assert.Same(t, unsafe.StringData(a.CommunityID), unsafe.StringData(b.CommunityID))
	assert.Equal(t, "c-1", a.CommunityID)
	assert.Equal(t, keep.ids["grid-9"], a.GridID)

	// Names escaped, members unknown (skipped, whatever they hold) and null.
	var c decisionHead
	require.NoError(t, jsonv2.Unmarshal([]byte(`{"\u0063":"x","zz":{"a":[1,{"b":null}]},"h":null,"p":7}`), &c, heads))
	assert.Equal(t, decisionHead{CommunityID: "x", Position: 7}, c)
	var none decisionHead
	require.NoError(t, jsonv2.Unmarshal([]byte(`null`), &none, heads))
	assert.Equal(t, decisionHead{}, none)

	for _, bad := range []string{`[1]`, `"x"`, `{"c":1}`, `{"h":1}`, `{"p":"1"}`, `{"p":-1}`, `{"p":1e3}`, `{"c":"x"`} {
		var got decisionHead
		assert.Error(t, jsonv2.Unmarshal([]byte(bad), &got, heads), bad)
	}
}

// TestMapsOfHeadsAreReadByTheirReaders: a map of heads by id is read
// entry by entry, escaped ids unescaped, a name given twice keeping its
// last value whole, and null as no map; anything but an object is
// refused.
func TestMapsOfHeadsAreReadByTheirReaders(t *testing.T) {
	keep := newNames()
	heads := readerOf((*decisionHead).read, keep)
	var st registerState
	in := `{"heads":{"p\u002d1":{"g":"g1","p":1},"p-2":{"g":"g1","p":2},"p-3":{"g":"gx","p":3},"p-3":{"p":4}}}`
	require.NoError(t, jsonv2.Unmarshal([]byte(in), &st, heads, jsontext.AllowDuplicateNames(true)))
	assert.Equal(t, map[string]decisionHead{"p-1": {GridID: "g1", Position: 1}, "p-2": {GridID: "g1", Position: 2}, "p-3": {Position: 4}}, st.Heads)
	assert.Same(t, unsafe.StringData(st.Heads["p-1"].GridID), unsafe.StringData(st.Heads["p-2"].GridID))

	// Read from a stream a byte at a time, as a snapshot file is read in
	// pieces: each id is taken before its head is read over its bytes.
	want := map[string]decisionHead{}
	for i := range 300 {
		want[fmt.Sprintf("decision-%03d", i)] = decisionHead{GridID: fmt.Sprintf("g%d", i%7), Position: eventstore.Position(i + 1)}
	}
	out, err := gojson.Marshal(registerState{Heads: want})
	require.NoError(t, err)
	var streamed registerState
	require.NoError(t, jsonv2.UnmarshalRead(iotest.OneByteReader(bytes.NewReader(out)), &streamed, heads))
	assert.Equal(t, want, streamed.Heads)

	var none registerState
	require.NoError(t, jsonv2.Unmarshal([]byte(`{"heads":null}`), &none, heads))
	assert.Nil(t, none.Heads)
	for _, bad := range []string{`{"heads":[]}`, `{"heads":{"p":[]}}`, `{"heads":{"p":{"p":"x"}}}`, `{"heads":{"p":{}`} {
		var got registerState
		assert.Error(t, jsonv2.Unmarshal([]byte(bad), &got, heads), bad)
	}
}
