package pebble_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/eventstore/storetest"
)

// crashChildEnv switches the test binary into the crash child: it appends
// to the store in the named directory until it is killed.
const crashChildEnv = "YISHI_CRASH_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		if err := crashChild(dir); err != nil {
			fmt.Fprintln(os.Stderr, "crash child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// crashPayload is the data of every event the crash child writes: which
// append it belongs to and how many events that append has, so the parent
// can tell a partial append.
type crashPayload struct {
	Append uuid.UUID `json:"append"`
	Count  int       `json:"count"`
	Index  int       `json:"index"`
	Text   string    `json:"text"`
}

const crashWriters = 6

// crashChild appends appends of one to five events from crashWriters
// goroutines, each on its own stream with an exact expected revision, and
// prints "ack STREAM REVISION ID POSITION" for every event of every
// acknowledged append. It runs until it is killed.
func crashChild(dir string) error {
	s, err := pebble.Open(dir)
	if err != nil {
		return err
	}
	var out sync.Mutex
	ack := func(line string) {
		out.Lock()
		defer out.Unlock()
		_, _ = os.Stdout.WriteString(line) // one write per line: atomic on a pipe
	}
	ack("ready\n")
	errs := make(chan error, crashWriters)
	for w := range crashWriters {
		go func() { errs <- crashWriter(s, w, ack) }()
	}
	return <-errs
}

func crashWriter(s *pebble.Store, w int, ack func(string)) error {
	ctx := context.Background()
	stream := fmt.Sprintf("crash-w%d", w)
	expected := eventstore.NoStream()
	next := uint64(0)
	for e, err := range s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.LastRevision, Max: 1}) {
		if err == nil {
			expected, next = eventstore.Exact(e.Revision), e.Revision+1
		}
	}
	rng := rand.New(rand.NewPCG(uint64(os.Getpid()), uint64(w)))
	for {
		n := 1 + rng.IntN(5)
		batch := make([]eventstore.EventData, n)
		appendID := uuid.New()
		for i := range batch {
			data, err := json.Marshal(crashPayload{Append: appendID, Count: n, Index: i, Text: strings.Repeat("议事", 20+rng.IntN(100))})
			if err != nil {
				return err
			}
			batch[i] = eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "crash.appended.v1", Data: data}
		}
		res, err := s.Append(ctx, stream, expected, batch...)
		if err != nil {
			return fmt.Errorf("writer %d: %w", w, err)
		}
		var b strings.Builder
		first := res.NextRevision + 1 - uint64(n)
		for i, e := range batch {
			// Only the last event's position is in the result; the parent
			// checks the others' order.
			pos := uint64(0)
			if i == n-1 {
				pos = uint64(res.Position)
			}
			fmt.Fprintf(&b, "ack %s %d %s %d\n", stream, first+uint64(i), e.ID, pos)
		}
		ack(b.String())
		if first != next {
			return fmt.Errorf("writer %d: appended at %d, expected %d", w, first, next)
		}
		next = res.NextRevision + 1
		expected = eventstore.Exact(res.NextRevision)
	}
}

// acked is one event the crash child reported as acknowledged.
type acked struct {
	stream string
	rev    uint64
	id     uuid.UUID
	pos    eventstore.Position // 0 when the child did not learn it
}

// TestCrashKill9 kills a child that appends from several goroutines with
// SIGKILL at random moments, round after round, and checks after each round
// that every acknowledged event is stored where it was acknowledged and that
// no append is partially visible.
func TestCrashKill9(t *testing.T) {
	rounds := 24
	if testing.Short() {
		rounds = 8
	}
	exe, err := os.Executable()
	require.NoError(t, err)
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var all []acked
	for round := range rounds {
		// Mostly kill while appends run; one round in five kill early,
		// possibly while the child is still opening (recovering) the store.
		early := round%5 == 4
		delay := time.Duration(10+rng.IntN(200)) * time.Millisecond
		if early {
			delay = time.Duration(rng.IntN(30)) * time.Millisecond
		}
		got := runCrashChild(t, exe, dir, delay, early)
		t.Logf("round %d: killed after %s, %d events acknowledged", round, delay, len(got))
		all = append(all, got...)
		checkAfterCrash(t, dir, all)
	}
	require.NotEmpty(t, all, "the child acknowledged nothing in any round")
}

// runCrashChild starts the child, kills it delay after it is ready (or after
// it started, when early), and returns what it acknowledged.
func runCrashChild(t *testing.T, exe, dir string, delay time.Duration, early bool) []acked {
	t.Helper()
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	ready := make(chan struct{})
	lines := make(chan []acked, 1)
	go func() { lines <- readAcks(t, stdout, ready) }()
	if !early {
		select {
		case <-ready:
		case <-time.After(waitForChild):
			_ = cmd.Process.Kill()
			t.Fatalf("crash child not ready within %s", waitForChild)
		}
	}
	time.Sleep(delay)
	require.NoError(t, cmd.Process.Signal(syscall.SIGKILL))
	got := <-lines
	err = cmd.Wait()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "the child must die by the signal, not end by itself")
	status, ok := exit.Sys().(syscall.WaitStatus)
	require.True(t, ok && status.Signaled() && status.Signal() == syscall.SIGKILL, "child ended with %v", err)
	return got
}

// waitForChild bounds the wait for the child to open its store; it guards
// against a hang and asserts nothing about speed.
const waitForChild = 30 * time.Second

// readAcks parses the child's complete "ack" lines until its stdout closes.
func readAcks(t *testing.T, r io.Reader, ready chan<- struct{}) []acked {
	var out []acked
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return out // a line cut by the kill has no newline: it does not count
		}
		f := strings.Fields(line)
		switch {
		case len(f) == 1 && f[0] == "ready":
			close(ready)
		case len(f) == 5 && f[0] == "ack":
			rev, err1 := strconv.ParseUint(f[2], 10, 64)
			id, err2 := uuid.Parse(f[3])
			pos, err3 := strconv.ParseUint(f[4], 10, 64)
			if err1 != nil || err2 != nil || err3 != nil {
				t.Errorf("bad ack line %q", line)
				continue
			}
			out = append(out, acked{stream: f[1], rev: rev, id: id, pos: eventstore.Position(pos)})
		default:
			t.Errorf("unexpected child output %q", line)
		}
	}
}

// checkAfterCrash reopens the store and checks it against every event
// acknowledged so far.
func checkAfterCrash(t *testing.T, dir string, acks []acked) {
	t.Helper()
	s, err := pebble.Open(dir)
	require.NoError(t, err, "reopen after kill -9")
	defer func() { require.NoError(t, s.Close()) }()
	ctx := context.Background()

	stored := map[uuid.UUID]eventstore.Event{}
	appends := map[uuid.UUID][]crashPayload{}
	var last eventstore.Position
	heads := map[string]uint64{}
	for e, err := range s.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		require.NoError(t, err)
		require.Greater(t, e.Position, last, "global order")
		last = e.Position
		require.Equal(t, heads[e.Stream], e.Revision, "stream %s: revisions in order without gaps", e.Stream)
		heads[e.Stream]++
		var p crashPayload
		require.NoError(t, json.Unmarshal(e.Data, &p), "event %s", e.ID)
		appends[p.Append] = append(appends[p.Append], p)
		stored[e.ID] = e
	}
	for id, parts := range appends {
		require.Len(t, parts, parts[0].Count, "append %s is partially visible", id)
		for i, p := range parts {
			require.Equal(t, i, p.Index, "append %s out of order", id)
		}
	}
	for _, a := range acks {
		e, ok := stored[a.id]
		require.True(t, ok, "acknowledged event %s (%s@%d) lost", a.id, a.stream, a.rev)
		require.Equal(t, a.stream, e.Stream, "event %s", a.id)
		require.Equal(t, a.rev, e.Revision, "event %s", a.id)
		if a.pos != 0 {
			require.Equal(t, a.pos, e.Position, "event %s", a.id)
		}
	}
	for stream, n := range heads {
		got, err := storetest.Collect(s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{}))
		require.NoError(t, err)
		require.Len(t, got, int(n), "stream %s: stream index and global log agree", stream)
	}
}
