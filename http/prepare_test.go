package http

import (
	"context"
	"fmt"
	"log/slog"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/internal/answershelf"
	"github.com/yishi-civic/yishi/privacy"
	"github.com/yishi-civic/yishi/projections"
)

// TestPublicFirstPagesArePreparedAhead: before any read, a pass (which
// waits while requests are being answered) puts on
// the shelf the public first page of every proposal, as an anonymous read
// answers it, masked; the first read is then answered from the shelf; a
// second pass makes none; a story that grew and an erasure make them
// again, the erased person erased.
func TestPublicFirstPagesArePreparedAhead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var shelf *answershelf.Shelf
	e, c, root, sub := keptSetUp(t, func(cfg *Config) {
		var err error
		shelf, err = answershelf.Open(ctx, dir, "", cfg.Ledger.Sealer().Keys(), slog.New(slog.DiscardHandler))
		require.NoError(t, err)
		t.Cleanup(func() { _ = shelf.Close() })
		cfg.Answers = shelf
	})
	other := e.write(t, c.r2, "/v1/proposals", map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "title": "单元门禁坏了",
		"text": "3单元门禁刷不开", "category": "设施", "place": "3单元", "channel": "online",
	}, 201)
	caughtUp := func(pos uint64) {
		t.Helper()
		require.NoError(t, e.srv.cfg.Runner.WaitFor(ctx, eventstore.Position(pos)))
	}
	caughtUp(other.Position)
	pass := func() int {
		t.Helper()
		made, err := e.srv.preparePass(ctx, map[string]preparedPage{}, false)
		require.NoError(t, err)
		return made
	}
	prepared := map[string]preparedPage{}
	passAgain := func() int {
		t.Helper()
		made, err := e.srv.preparePass(ctx, prepared, false)
		require.NoError(t, err)
		return made
	}
	shelved := func(id string) (string, bool) {
		t.Helper()
		steps, last, ok, err := e.srv.cfg.Runner.Views().Timeline.Length(id)
		require.NoError(t, err)
		require.True(t, ok)
		b, ok, err := shelf.Get(e.srv.sealerGeneration(), id+"|"+fmt.Sprint(projections.DefaultLimit), timelineVersion(steps, last))
		require.NoError(t, err)
		return string(b), ok
	}
	read := func(id string, at uint64, query string) string {
		t.Helper()
		return string(e.do(req{method: "GET", path: fmt.Sprintf("/v1/proposals/%s/timeline?wait_for=%d%s", id, at, query)}).want(t, 200).body)
	}

	// A pass that paces itself waits while requests are being answered.
	e.srv.busy.Add(1)
	paced, stop := context.WithCancel(ctx)
	t.Cleanup(stop) // the pass ends with the test, also one that failed
	done := make(chan int, 1)
	go func() {
		made, err := e.srv.preparePass(paced, prepared, true)
		if paced.Err() == nil {
			assert.NoError(t, err)
		}
		done <- made
	}()
	select {
	case made := <-done:
		t.Fatalf("a pass made %d pages while requests were being answered", made)
	case <-time.After(200 * time.Millisecond):
	}
	e.srv.busy.Add(-1)
	require.Equal(t, 2, <-done, "one page for each of the two proposals")
	for _, id := range []string{sub.ID, other.ID} {
		kept, ok := shelved(id)
		require.True(t, ok, "no page prepared for %s", id)
		// The largest page size is not answered from the default size's
		// page on the shelf; for a story this short it is the same page.
		answered := read(id, other.Position, fmt.Sprintf("&limit=%d", projections.MaxLimit))
		require.True(t, strings.HasPrefix(answered, strings.TrimSuffix(kept, "}")+`,"position":`),
			"the prepared page is not the anonymous answer:\n%s\n%s", kept, answered)
	}
	kept, _ := shelved(sub.ID)
	require.Contains(t, kept, "张*")
	require.NotContains(t, kept, "张三")

	hits := testutil.ToFloat64(e.srv.metrics.shelfReads.WithLabelValues("timeline_page", "hit"))
	read(sub.ID, other.Position, "")
	require.Equal(t, hits+1, testutil.ToFloat64(e.srv.metrics.shelfReads.WithLabelValues("timeline_page", "hit")), "the first read was not answered from the shelf")
	require.Equal(t, 0, passAgain(), "the pages prepared are not made again")
	require.Equal(t, 0, pass(), "the pages on the shelf are not made again")

	// A wipe at the generation the shelf has (a late one, after another
	// erasure's) destroys the pages too, and they are made again.
	require.NoError(t, shelf.Wipe(e.srv.sealerGeneration()))
	rewiped := 0
	require.Eventually(t, func() bool { rewiped += passAgain(); return rewiped >= 2 }, 5*time.Second, 10*time.Millisecond,
		"the pages a wipe destroyed were not made again")
	require.Equal(t, 2, rewiped)

	sup := e.write(t, c.r2, "/v1/proposals/"+sub.ID+"/support", nil, 200)
	caughtUp(sup.Position)
	require.Equal(t, 1, passAgain(), "only the story that grew")
	kept, ok := shelved(sub.ID)
	require.True(t, ok)
	require.Contains(t, kept, "李*")

	// A page whose making panics is one page not made, not the server
	// down.
	_, err := e.srv.preparePage(ctx, &projections.Views{}, sub.ID, map[string]preparedPage{})
	require.ErrorContains(t, err, "panic")
	require.ErrorContains(t, err, sub.ID)

	er := eraseR1(t, e, root)
	caughtUp(er.Position)
	remade := 0
	require.Eventually(t, func() bool {
		remade += passAgain()
		_, ok := shelved(sub.ID)
		return ok
	}, 5*time.Second, 10*time.Millisecond, "the shelf, made again after the erasure, holds no prepared page")
	require.Equal(t, 2, remade+passAgain(), "after an erasure every page is made again, once")
	kept, _ = shelved(sub.ID)
	require.NotContains(t, kept, "张")
	require.Contains(t, kept, privacy.ErasedName)
}

// TestBusyCountsTheRequestsBeingAnswered: a request counts as work while
// its handler works, not while it waits for the views (wait_for), also
// through a page's own call to the API, nor while it holds a stream open.
func TestBusyCountsTheRequestsBeingAnswered(t *testing.T) {
	e, c, _, sub := keptSetUp(t)
	release := make(chan struct{})
	e.srv.echo.GET("/test/hold", func(c echo.Context) error {
		<-release
		return c.NoContent(nethttp.StatusNoContent)
	})
	busy := func() int64 { return e.srv.busy.Load() }
	held := make(chan struct{})
	go func() {
		defer close(held)
		res, err := e.ts.Client().Get(e.ts.URL + "/test/hold") // a route of this test's: not in the API's description
		if assert.NoError(t, err) {
			res.Body.Close()
		}
	}()
	require.Eventually(t, func() bool { return busy() == 1 }, 5*time.Second, time.Millisecond, "a request being answered is not counted")
	close(release)
	<-held
	require.Eventually(t, func() bool { return busy() == 0 }, 5*time.Second, time.Millisecond, "an answered request is still counted")

	e.openSSE("/v1/events/live", c.auditor, nil)
	waited := make(chan struct{})
	go func() {
		defer close(waited)
		e.do(req{method: "GET", path: fmt.Sprintf("/v1/board?wait_for=%d", sub.Position+1)})
	}()
	inFlight := func() float64 { return testutil.ToFloat64(e.srv.metrics.inFlight) }
	require.Eventually(t, func() bool { return inFlight() == 2 && busy() == 0 }, 5*time.Second, time.Millisecond,
		"a stream held open or a read waiting for the views is counted")
	require.Never(t, func() bool { return busy() != 0 }, 200*time.Millisecond, time.Millisecond,
		"a stream held open or a read waiting for the views is counted")
	first := e.write(t, c.r2, "/v1/proposals/"+sub.ID+"/support", nil, 200)
	<-waited
	require.Eventually(t, func() bool { return busy() == 0 }, 5*time.Second, time.Millisecond)

	// A page calls the API in-process, with its own request's context (as
	// web does): while that call waits for the views, the page is not
	// counted either.
	e.srv.echo.GET("/test/page", func(c echo.Context) error {
		inner := httptest.NewRequestWithContext(context.WithoutCancel(c.Request().Context()), "GET",
			fmt.Sprintf("/v1/board?wait_for=%d", first.Position+1), nil)
		e.srv.ServeHTTP(httptest.NewRecorder(), inner)
		return c.NoContent(nethttp.StatusNoContent)
	})
	paged := make(chan struct{})
	go func() {
		defer close(paged)
		res, err := e.ts.Client().Get(e.ts.URL + "/test/page")
		if assert.NoError(t, err) {
			res.Body.Close()
		}
	}()
	require.Eventually(t, func() bool { return inFlight() == 3 && busy() == 0 }, 5*time.Second, time.Millisecond,
		"a page waiting for the views through its call to the API is counted")
	require.Never(t, func() bool { return busy() != 0 }, 200*time.Millisecond, time.Millisecond,
		"a page waiting for the views through its call to the API is counted")
	e.write(t, c.r2, "/v1/proposals", map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "title": "楼道灯不亮",
		"text": "5号楼楼道灯坏了", "category": "设施", "place": "5号楼", "channel": "online",
	}, 201)
	<-paged
	require.Eventually(t, func() bool { return busy() == 0 }, 5*time.Second, time.Millisecond)
}
