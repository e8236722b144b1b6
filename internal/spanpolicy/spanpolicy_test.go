package spanpolicy

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFirstByteEndsAtTheTable: the end is the first key past the start's
// first byte; the empty key ends at 0x00, and nothing lies past 0xff.
func TestFirstByteEndsAtTheTable(t *testing.T) {
	for start, end := range map[string]string{"e\x00\x00\x01": "f", "s": "t", "iabc": "j", "": "\x00"} {
		_, got, err := FirstByte([]byte(start))
		require.NoError(t, err)
		require.Equal(t, end, string(got), "%q", start)
	}
	_, got, err := FirstByte([]byte{0xff, 1})
	require.NoError(t, err)
	require.Nil(t, got)
}
