package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseSteps(t *testing.T) {
	got, err := parseSteps("board@500, timeline*8,vote@2.5")
	require.NoError(t, err)
	assert.Equal(t, []step{{kind: "board", rate: 500}, {kind: "timeline", conns: 8}, {kind: "vote", rate: 2.5}}, got)
	assert.Equal(t, "timeline*8", got[1].String())
	assert.Equal(t, "vote@2.5", got[2].String())
	for _, bad := range []string{"", "board", "stats@10", "board@0", "board@-1", "vote*1.5", "board@1e9"} {
		_, err := parseSteps(bad)
		assert.Error(t, err, bad)
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, ok := range []string{"http://127.0.0.1:8080", "http://[::1]:9000/", "http://127.0.0.2"} {
		_, err := loopbackURL(ok)
		assert.NoError(t, err, ok)
	}
	for _, bad := range []string{"http://example.com", "http://10.0.0.1:8080", "https://127.0.0.1", "http://localhost.example:80", "ftp://127.0.0.1"} {
		_, err := loopbackURL(bad)
		assert.Error(t, err, bad)
	}
}

func TestErrorSummary(t *testing.T) {
	assert.Equal(t, "0", errorSummary(nil))
	assert.Equal(t, "409×3 timeout×1", errorSummary(map[string]int{"timeout": 1, "409": 3}))
}
