package projections

import (
	"testing"
	"unsafe"

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
	assert.JSONEq(t, `{"c":"","g":"","m":"","ch":{"door":1,"hotline":1,"online":3}}`, string(out))

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
