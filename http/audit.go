package http

import (
	"context"
	"errors"
	"fmt"
	nethttp "net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/seal"
)

// The auditor's routes (docs/audit.md, "The auditor's door"): the log
// searched page by page, and the verification run on the live server.

// EventPage is the answer of GET /v1/events: the events that match, in the
// order asked, each as the live feed gives it to the reader. NextFrom is
// the position to continue from (absent at the end of the log); Scanned
// counts the events read to answer, which is bounded, so a page may hold
// fewer than limit events and still have a NextFrom.
type EventPage struct {
	Events   []FeedEvent `json:"events"`
	NextFrom uint64      `json:"next_from,omitempty"`
	Scanned  int         `json:"scanned"`
}

// maxEventScan bounds the events one GET /v1/events reads, so a filter
// that matches little answers in bounded time with where to go on.
const maxEventScan = 20_000

// eventQuery is what GET /v1/events filters by, besides the store's own
// stream and type prefixes.
type eventQuery struct {
	actor, correlation string
	since, until       time.Time
}

func (q eventQuery) match(ev eventstore.Event) bool {
	switch {
	case q.actor != "" && ev.Metadata.Actor != q.actor,
		q.correlation != "" && ev.Metadata.CorrelationID != q.correlation,
		!q.since.IsZero() && ev.Recorded.Before(q.since),
		!q.until.IsZero() && !ev.Recorded.Before(q.until):
		return false
	}
	return true
}

// getEvents answers one page of the log's events that match the filters:
// stream and type prefixes (comma-separated), the actor, the correlation
// id, the recorded time (since inclusive, until exclusive), from a
// position on (inclusive), oldest or newest first. Each event is what the
// live feed gives the reader (policy: its scope's streams, token streams
// to an unscoped admin, secret choices and the hash chain to auditors).
func (s *Server) getEvents(c echo.Context) error {
	var q eventQuery
	var errs []error
	q.actor, q.correlation = c.QueryParam("actor"), c.QueryParam("correlation")
	var err error
	if q.since, err = queryTime(c, "since", time.Time{}); err != nil {
		errs = append(errs, err)
	}
	if q.until, err = queryTime(c, "until", time.Time{}); err != nil {
		errs = append(errs, err)
	}
	dir := eventstore.Forwards
	switch c.QueryParam("order") {
	case "", "oldest":
	case "newest":
		dir = eventstore.Backwards
	default:
		errs = append(errs, fieldErr(kindBadRequest, "order", text{"应为 oldest 或 newest", "want oldest or newest"}))
	}
	from := eventstore.Start
	if dir == eventstore.Backwards {
		from = eventstore.End
	}
	if v := c.QueryParam("from"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			errs = append(errs, fieldErr(kindBadRequest, "from", text{"应为全局位置（正整数）", "want a global position (a positive integer)"}))
		}
		from = eventstore.Position(n)
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		errs = append(errs, err)
	}
	if limit > 500 {
		errs = append(errs, fieldErr(kindBadRequest, "limit", text{"应为 1 到 500", "want 1 to 500"}))
	}
	if err := joinFieldErrors(errs); err != nil {
		return err
	}
	if limit == 0 {
		limit = 50
	}
	ctx := c.Request().Context()
	r := readerOf(c)
	page := EventPage{Events: []FeedEvent{}}
	var last eventstore.Position
	for ev, err := range s.cfg.Store.ReadAll(ctx, eventstore.ReadAllOptions{Direction: dir, From: from, Max: maxEventScan, Filter: feedFilter(c)}) {
		if err != nil {
			return fmt.Errorf("events: read the log: %w", err)
		}
		page.Scanned++
		last = ev.Position
		if !q.match(ev) {
			continue
		}
		fe, ok, err := s.feedEventFor(ctx, r, ev)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		page.Events = append(page.Events, fe)
		if len(page.Events) == limit {
			break
		}
	}
	more := len(page.Events) == limit || page.Scanned == maxEventScan
	switch {
	case !more || last == 0:
	case dir == eventstore.Forwards:
		page.NextFrom = uint64(last) + 1
	case last > 1:
		page.NextFrom = uint64(last) - 1
	}
	return c.JSON(nethttp.StatusOK, page)
}

// joinFieldErrors returns the one refusal of several field errors, naming
// every field at fault (nil when there are none).
func joinFieldErrors(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	var first *requestError
	if !errors.As(errs[0], &first) {
		return errs[0]
	}
	for _, err := range errs[1:] {
		var re *requestError
		if errors.As(err, &re) {
			first.fields = append(first.fields, re.fields...)
		}
	}
	return first
}

// Verification is one message of GET /v1/verification. Phase is "chains"
// (every stream's hash chain, ledger.Verify) or "tree" (the Merkle tree
// against the latest checkpoint, seal.Check); Done of Total events. The
// last message (event "result") has Finished set, OK, the figures, and,
// when something fails, Failure: where, and why to auditors.
type Verification struct {
	Phase    string `json:"phase"`
	Done     int64  `json:"done"`
	Total    int64  `json:"total"`
	Finished bool   `json:"finished,omitempty"`
	OK       bool   `json:"ok,omitempty"`
	Events   uint64 `json:"events,omitempty"`
	Streams  int    `json:"streams,omitempty"`
	Head     uint64 `json:"head,omitempty"`
	Dense    bool   `json:"dense,omitempty"`
	// Checkpoint is the size of the checkpoint the tree was checked
	// against, 0 when the server publishes none.
	Checkpoint int64  `json:"checkpoint,omitempty"`
	Root       string `json:"root,omitempty"`
	Failure    string `json:"failure,omitempty"`
}

// verifying is set while a verification runs: one at a time.
type verifying struct{ running atomic.Bool }

// progressEvery is how often a verification reports its progress.
const progressEvery = 200 * time.Millisecond

// getVerification runs the verification of `yishi verify` on the live
// server and streams its progress as Server-Sent Events ("progress", then
// one "result"): every stream's hash chain, then the Merkle tree of the
// whole log against the latest signed checkpoint. One run at a time (409
// while one runs); closing the stream stops it. Unscoped readers only:
// it reads every community's events.
func (s *Server) getVerification(c echo.Context) error {
	if p := principalOf(c); p.token.Scope != (auth.Scope{}) {
		return refuse(kindForbidden, text{"校验读取全部社区的事件，只限不限范围的令牌", "the verification reads every community's events: for unscoped tokens only"})
	}
	if !s.verifying.running.CompareAndSwap(false, true) {
		return refuse(kindConflict, text{"已有一次校验正在进行，请稍后再试", "a verification is running already; try again when it has ended"})
	}
	defer s.verifying.running.Store(false)
	ctx, cancel := s.streamContext(c)
	defer cancel()
	total, err := s.logSize(ctx)
	if err != nil {
		return err
	}
	r := readerOf(c)
	st := s.startSSE(c)
	if w := workOf(c); w != nil {
		w.resume() // a stream, but the whole ledger checked meanwhile: work
	}
	s.metrics.sseClients.Inc()
	defer s.metrics.sseClients.Dec()
	var sendErr error
	last := time.Time{}
	report := func(phase string, done int64) {
		if sendErr != nil || time.Since(last) < progressEvery {
			return
		}
		last = time.Now()
		sendErr = st.send("", "progress", Verification{Phase: phase, Done: done, Total: total})
	}
	res := Verification{Phase: "chains", Total: total, Finished: true}
	rep, err := ledger.Verify(ctx, s.cfg.Store, func(n uint64, _ eventstore.Position) { report("chains", int64(n)) })
	res.Events, res.Streams, res.Head, res.Dense, res.Done = rep.Events, rep.Streams, uint64(rep.Head), rep.Dense, int64(rep.Events)
	var tamper *ledger.TamperError
	switch {
	case errors.As(err, &tamper):
		res.Failure = s.failure(r, tamper.Stream, tamper.Revision, tamper.Position, tamper.Reason)
		return st.send("", "result", res)
	case err != nil:
		return s.streamFailed(st, "verification", err)
	}
	if s.cfg.Seal != nil && s.cfg.Signer != nil {
		_, cp, err := s.latestCheckpoint()
		if err != nil {
			return s.streamFailed(st, "verification", err)
		}
		res.Phase, res.Checkpoint, res.Root, res.Done, res.Total = "tree", cp.Size, cp.Root.String(), 0, cp.Size
		last = time.Time{}
		err = seal.Check(ctx, s.cfg.Store, cp, func(n int64) { report("tree", n) })
		res.Done = cp.Size
		switch {
		case errors.Is(err, seal.ErrMismatch):
			res.Failure = fmt.Sprintf("checkpoint of %d events: %v", cp.Size, err)
			return st.send("", "result", res)
		case err != nil:
			return s.streamFailed(st, "verification", err)
		}
	}
	res.OK = true
	return st.send("", "result", res)
}

// failure says where a verification failed, and why to a reader of the
// hash chain (the reason may quote hashes).
func (s *Server) failure(r interface{ SeesChainHashes() bool }, stream string, rev uint64, pos eventstore.Position, reason string) string {
	if !r.SeesChainHashes() {
		return fmt.Sprintf("event %s@%d (position %d) fails verification", stream, rev, pos)
	}
	return fmt.Sprintf("event %s@%d (position %d) fails verification: %s", stream, rev, pos, reason)
}

// streamFailed ends an event stream on a fault of the service: logged
// with its cause, told to the client as an "error" event without it.
func (s *Server) streamFailed(st *sseStream, what string, err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	s.log.Error(what+" failed", "error", err)
	return st.send("", "error", map[string]string{"detail": "internal"})
}

// logSize is the number of events in the log: the tree's size when the
// server keeps one, else the head's position.
func (s *Server) logSize(ctx context.Context) (int64, error) {
	if s.cfg.Seal != nil {
		h, err := s.cfg.Seal.Head()
		if err == nil {
			return h.Size, nil
		}
	}
	for ev, err := range s.cfg.Store.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End, Max: 1}) {
		if err != nil {
			return 0, fmt.Errorf("log size: %w", err)
		}
		return int64(ev.Position), nil
	}
	return 0, nil
}
