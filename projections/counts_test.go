package projections

import (
	"strings"
	"testing"
	"unsafe"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	gojson "github.com/goccy/go-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCountsReadAndWriteAsTheMapTheyReplace: a bucket's counts are written
// as the JSON object of the map they replaced (sorted keys, left out when
// empty), read back equal, and counted in key order whatever the order
// of arrival, so that a bucket folded and one read from a snapshot are
// the same.
func TestCountsReadAndWriteAsTheMapTheyReplace(t *testing.T) {
	var b bucket
	for _, ch := range []string{"online", "door", "online", "hotline", "online"} {
		b.ByChannel.add(ch)
	}
	assert.Equal(t, counts{{"door", 1}, {"hotline", 1}, {"online", 3}}, b.ByChannel)
	out, err := gojson.Marshal(&b)
	require.NoError(t, err)
	assert.JSONEq(t, `{"ch":{"door":1,"hotline":1,"online":3}}`, string(out))

	var back bucket
	require.NoError(t, gojson.Unmarshal(out, &back))
	assert.Equal(t, b, back)
	assert.Nil(t, back.AtMeetings)
	require.Error(t, gojson.Unmarshal([]byte(`{"ch":{"door":"x"}}`), &back))
}

// TestCountsKeysAreKeptOnce: the same key read from two snapshots is one
// string in memory.
func TestCountsKeysAreKeptOnce(t *testing.T) {
	var a, b counts
	require.NoError(t, gojson.Unmarshal([]byte(`{"online":1}`), &a))
	require.NoError(t, gojson.Unmarshal([]byte(`{"online":2}`), &b))
	assert.Same(t, unsafe.StringData(a[0].Key), unsafe.StringData(b[0].Key))
}

// TestCountsAreReadAsTheSnapshotsReadThem: JSON v2, which reads the
// snapshots, reads counts member by member (UnmarshalJSONFrom): sorted
// whatever the order written, escaped keys unescaped, null as none, and a
// key given twice, a fraction or a string refused.
func TestCountsAreReadAsTheSnapshotsReadThem(t *testing.T) {
	var b bucket
	require.NoError(t, jsonv2.Unmarshal([]byte(`{"ch":{"online":3,"d\u006For":1,"hotline":2},"am":null}`), &b))
	assert.Equal(t, counts{{"door", 1}, {"hotline", 2}, {"online", 3}}, b.ByChannel)
	assert.Nil(t, b.AtMeetings)

	var empty bucket
	require.NoError(t, jsonv2.Unmarshal([]byte(`{"ch":{}}`), &empty))
	assert.Equal(t, counts{}, empty.ByChannel)

	// A null count is 0, as the map read it.
	var nulls bucket
	require.NoError(t, jsonv2.Unmarshal([]byte(`{"ch":{"door":null}}`), &nulls))
	assert.Equal(t, counts{{"door", 0}}, nulls.ByChannel)

	// The snapshots are read with duplicate names allowed: counts refuse
	// a key given twice themselves.
	var twice bucket
	require.ErrorContains(t, jsonv2.Unmarshal([]byte(`{"ch":{"door":1,"door":2}}`), &twice, jsontext.AllowDuplicateNames(true)), `"door" given twice`)

	for _, bad := range []string{
		`{"ch":{"door":1,"door":2}}`,
		`{"ch":{"door":1.5}}`,
		`{"ch":{"door":"1"}}`,
		`{"ch":[1]}`,
		`{"ch":{"door":1}`,
	} {
		var got bucket
		assert.Error(t, jsonv2.Unmarshal([]byte(bad), &got), bad)
	}

	// Bytes not UTF-8 in a key are written as U+FFFD, not refused.
	out, err := counts{{"a\xffb", 1}}.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `{"a\ufffdb":1}`, strings.ReplaceAll(string(out), "\ufffd", `\ufffd`))

	// What is written is read back the same, through either decoder.
	want := counts{{"a<b", 1}, {"talk", 24}, {"会议", 2}}
	out, err = want.MarshalJSON()
	require.NoError(t, err)
	var viaV2, viaGoccy counts
	require.NoError(t, jsonv2.Unmarshal(out, &viaV2))
	require.NoError(t, gojson.Unmarshal(out, &viaGoccy))
	assert.Equal(t, want, viaV2)
	assert.Equal(t, want, viaGoccy)
}

// TestCountsAreReadAtTheirLength: counts read from a snapshot take the
// room of their keys and no more, however many keys (a bucket holds one
// or two in most counts, and tens of thousands of buckets hold them).
func TestCountsAreReadAtTheirLength(t *testing.T) {
	for _, in := range []string{`{}`, `{"a":1}`, `{"a":1,"b":2}`, `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6}`,
		`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11}`} {
		var c counts
		require.NoError(t, jsonv2.Unmarshal([]byte(in), &c))
		assert.Equal(t, len(c), cap(c), in)
	}
}
