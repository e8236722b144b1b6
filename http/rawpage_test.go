package http

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRawPageIsTheMarshalledPage: the page written by hand is, byte for
// byte, what json.Marshal makes of the same viewPage (with the newline
// echo's encoder adds), cursor or none, items or none.
func TestRawPageIsTheMarshalledPage(t *testing.T) {
	for _, tc := range []struct {
		items []json.RawMessage
		next  string
	}{
		{[]json.RawMessage{}, ""},
		{[]json.RawMessage{json.RawMessage(`{"a":1}`)}, ""},
		{[]json.RawMessage{json.RawMessage(`{"a":1}`), json.RawMessage(`{"title":"车棚\u003c通道\u003e","n":[1,2]}`)}, "1234"},
		{[]json.RawMessage{json.RawMessage(`"x"`)}, "cur\"sor<&>"},
	} {
		want, err := json.Marshal(viewPage[json.RawMessage]{Items: tc.items, NextCursor: tc.next, Position: 987654321})
		require.NoError(t, err)
		require.Equal(t, string(want)+"\n", string(rawPage(tc.items, tc.next, 987654321)))
	}
}
