package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedBuffer is a bytes.Buffer safe for the server goroutine and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listening = regexp.MustCompile(`yishi listening on (http://\S+)`)

// TestServeDemoThenVerifyAndExport runs the README's first command on a
// fresh data directory, walks the printed doors, stops the server the way
// SIGTERM does, and checks the ledger it left behind.
func TestServeDemoThenVerifyAndExport(t *testing.T) {
	dir := t.TempDir()
	getenv := func(string) string { return "" }
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--demo", "--data", dir, "--addr", "127.0.0.1:0"}, getenv, &out, &errOut)
	}()

	var base string
	require.Eventually(t, func() bool {
		m := listening.FindStringSubmatch(out.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	}, 60*time.Second, 20*time.Millisecond, "server did not start:\n%s\n%s", out.String(), errOut.String())
	require.Eventually(t, func() bool {
		res, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 30*time.Second, 20*time.Millisecond)

	// Every printed door answers with its token.
	tokens := 0
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	curl := regexp.MustCompile(`curl -H 'Authorization: Bearer (\S+)' '(\S+)'`)
	for sc.Scan() {
		m := curl.FindStringSubmatch(sc.Text())
		if m == nil || strings.HasSuffix(m[2], "/v1/events/live") {
			continue
		}
		tokens++
		req, err := http.NewRequest(http.MethodGet, m[2], nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+m[1])
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		assert.Equal(t, http.StatusOK, res.StatusCode, "%s: %s", m[2], body)
	}
	assert.Equal(t, 5, tokens, "printed doors")

	res, err := http.Get(base + "/v1/register")
	require.NoError(t, err)
	var register struct {
		Items []json.RawMessage `json:"items"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&register))
	res.Body.Close()
	assert.NotEmpty(t, register.Items, "the public register lists the demo's decisions")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop after its context ended")
	}

	var vout, verr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"verify", "--store", dir}, getenv, &vout, &verr), verr.String())
	assert.Contains(t, vout.String(), "OK:")

	keyDir := t.TempDir()
	var sout, serr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"seal", "keygen", "--name", "yishi-test", "--dir", keyDir}, getenv, &sout, &serr), serr.String())
	cpFile := keyDir + "/checkpoint"
	require.NoError(t, run(context.Background(), []string{"seal", "sign", "--store", dir, "--key", keyDir + "/yishi-test.skey", "--origin", "yishi demo", "--out", cpFile}, getenv, &sout, &serr), serr.String())
	vout.Reset()
	require.NoError(t, run(context.Background(), []string{"verify", "--store", dir, "--checkpoint", cpFile, "--vkey", keyDir + "/yishi-test.vkey"}, getenv, &vout, &verr), verr.String())
	assert.Contains(t, vout.String(), `match the checkpoint signed for "yishi demo"`)
	require.Error(t, run(context.Background(), []string{"verify", "--store", dir, "--checkpoint", cpFile, "--vkey", keyDir + "/yishi-test.skey"}, getenv, &vout, &verr),
		"a checkpoint checked with the wrong key file is refused")

	var eout, eerr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"export", "--store", dir}, getenv, &eout, &eerr), eerr.String())
	lines := strings.Split(strings.TrimSpace(eout.String()), "\n")
	assert.Greater(t, len(lines), 800)
	var first exportedEvent
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	assert.Equal(t, "organisation.community_registered.v1", first.Type)
}
