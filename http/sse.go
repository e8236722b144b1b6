package http

import (
	"context"
	"encoding/json"
	"fmt"
	nethttp "net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/policy"
)

// sseHeartbeat is how often an idle stream sends a comment, so that proxies
// and clients see the connection alive.
const sseHeartbeat = 15 * time.Second

// sseStream writes Server-Sent Events to one response.
type sseStream struct {
	c echo.Context
}

// startSSE commits the response as an event stream.
func (s *Server) startSSE(c echo.Context) *sseStream {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	c.Response().WriteHeader(nethttp.StatusOK)
	c.Response().Flush()
	return &sseStream{c: c}
}

// send writes one event: id (omitted when empty), event name and JSON data.
func (st *sseStream) send(id, event string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("sse: encode %s: %w", event, err)
	}
	var sb strings.Builder
	if id != "" {
		sb.WriteString("id: " + id + "\n")
	}
	sb.WriteString("event: " + event + "\n")
	sb.WriteString("data: ")
	sb.Write(b)
	sb.WriteString("\n\n")
	if _, err := st.c.Response().Write([]byte(sb.String())); err != nil {
		return fmt.Errorf("sse: write: %w", err)
	}
	st.c.Response().Flush()
	return nil
}

// comment writes an SSE comment line (heartbeats).
func (st *sseStream) comment(s string) error {
	if _, err := st.c.Response().Write([]byte(": " + s + "\n\n")); err != nil {
		return fmt.Errorf("sse: write: %w", err)
	}
	st.c.Response().Flush()
	return nil
}

// pump sends what arrives on items through send, with a heartbeat comment
// while idle, until ctx ends, items closes, or a send fails.
func pump[T any](ctx context.Context, st *sseStream, items <-chan T, send func(T) error) {
	tick := time.NewTicker(sseHeartbeat)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if st.comment("keepalive") != nil {
				return
			}
		case it, ok := <-items:
			// A stream whose token was revoked meanwhile sends nothing more.
			if !ok || ctx.Err() != nil || send(it) != nil {
				return
			}
		}
	}
}

// lastEventID reads where a client resumes: the Last-Event-ID header (sent
// by EventSource on reconnection) or the last_event_id query parameter,
// both a global position; 0 when absent.
func lastEventID(c echo.Context) (eventstore.Position, error) {
	v := c.Request().Header.Get("Last-Event-ID")
	field := "Last-Event-ID"
	if v == "" {
		v, field = c.QueryParam("last_event_id"), "last_event_id"
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fieldErr(kindBadRequest, field, text{"应为事件的全局位置（非负整数）", "want an event's global position (a non-negative integer)"})
	}
	return eventstore.Position(n), nil
}

// streamContext ends when the request ends, the server shuts down, or the
// request's token is revoked: a stream never outlives the right to read it.
func (s *Server) streamContext(c echo.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(c.Request().Context())
	var revoked <-chan struct{}
	if p := principalOf(c); p.authenticated() {
		revoked = s.tokens.Revocation(p.token.ID)
	}
	go func() {
		select {
		case <-s.closing:
			cancel()
		case <-revoked:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// FeedEvent is one event of the live feed and of the log listing.
type FeedEvent struct {
	ID       string          `json:"id"`
	Stream   string          `json:"stream"`
	Revision uint64          `json:"revision"`
	Position uint64          `json:"position"`
	Type     string          `json:"type"`
	Recorded time.Time       `json:"recorded"`
	Data     json.RawMessage `json:"data"`
	Metadata any             `json:"metadata"`
}

func feedEvent(ev eventstore.Event) FeedEvent {
	return FeedEvent{
		ID: ev.ID.String(), Stream: ev.Stream, Revision: ev.Revision, Position: uint64(ev.Position),
		Type: ev.Type, Recorded: ev.Recorded, Data: ev.Data, Metadata: ev.Metadata,
	}
}

// domainStreams are the stream categories whose first event says where
// their record lies.
var domainStreams = []string{"proposal-", "meeting-", "action-", "organisation-"}

// streamPlace returns the community and grid of stream's record: those of
// its first event for a domain stream, none for any other.
func (s *Server) streamPlace(ctx context.Context, stream string) (community, grid string, err error) {
	for _, prefix := range domainStreams {
		if strings.HasPrefix(stream, prefix) {
			a, err := s.place(ctx, stream)
			if err != nil {
				return "", "", err
			}
			return a.community, a.grid, nil
		}
	}
	return "", "", nil
}

// feedEventFor returns what r may read of ev in the raw log, and false
// when ev is none of r's business (another community's, a token's).
func (s *Server) feedEventFor(ctx context.Context, r policy.Reader, ev eventstore.Event) (FeedEvent, bool, error) {
	community, grid, err := s.streamPlace(ctx, ev.Stream)
	if err != nil {
		return FeedEvent{}, false, err
	}
	if !r.SeesStream(ev.Stream, community, grid) {
		return FeedEvent{}, false, nil
	}
	opened, err := s.openedData(ctx, ev)
	if err != nil {
		return FeedEvent{}, false, err
	}
	data, err := r.EventData(ev.Type, opened, community, grid)
	if err != nil {
		return FeedEvent{}, false, err
	}
	fe := feedEvent(ev)
	fe.Data = data
	if !r.SeesChainHashes() {
		m := ev.Metadata
		m.PrevHash, m.Hash, m.Salt = "", "", ""
		fe.Metadata = m
	}
	return fe, true, nil
}

// feedFilter reads the stream and type prefix filters of the event routes
// (comma-separated "stream" and "type" query parameters).
func feedFilter(c echo.Context) eventstore.Filter {
	split := func(v string) []string {
		if v == "" {
			return nil
		}
		return strings.Split(v, ",")
	}
	return eventstore.Filter{StreamPrefixes: split(c.QueryParam("stream")), TypePrefixes: split(c.QueryParam("type"))}
}

// getEventFeed streams the log's new events as SSE, each with its global
// position as id; a client that reconnects with Last-Event-ID misses
// nothing and sees nothing twice. A "caught-up" event marks the end of the
// backlog. Admins and auditors only: events carry personal data. Each
// reader sees only the streams of its scope, token streams only an
// unscoped admin, secret ballots' choices and the hash chain only an
// auditor (policy.Reader.SeesStream, EventData, SeesChainHashes).
func (s *Server) getEventFeed(c echo.Context) error {
	after, err := lastEventID(c)
	if err != nil {
		return err
	}
	r := readerOf(c)
	ctx, cancel := s.streamContext(c)
	defer cancel()
	st := s.startSSE(c)
	s.metrics.sseClients.Inc()
	defer s.metrics.sseClients.Dec()

	type item struct {
		d   eventstore.Delivery
		err error
	}
	items := make(chan item)
	go func() {
		defer close(items)
		for d, err := range s.cfg.Store.Subscribe(ctx, eventstore.SubscribeOptions{After: after, Filter: feedFilter(c)}) {
			select {
			case items <- item{d, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	pump(ctx, st, items, func(it item) error {
		switch {
		case it.err != nil:
			if ctx.Err() == nil {
				s.log.Warn("event feed ended", "error", it.err)
			}
			return it.err
		case it.d.Event != nil:
			fe, ok, err := s.feedEventFor(ctx, r, *it.d.Event)
			if err != nil || !ok {
				return err
			}
			return st.send(strconv.FormatUint(uint64(it.d.Position), 10), "event", fe)
		case it.d.CaughtUp:
			return st.send(strconv.FormatUint(uint64(it.d.Position), 10), "caught-up", map[string]uint64{"position": uint64(it.d.Position)})
		}
		return nil
	})
	return nil
}

// getLiveMeetingStream streams a meeting's live state as SSE: the state
// now, then the state again after each of the meeting's events, once the
// views have folded it. Each "state" event's id is the position it
// reflects; the state is whole every time, so a reconnecting client needs
// nothing replayed.
func (s *Server) getLiveMeetingStream(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if s.cfg.Runner == nil {
		return notReady(text{"视图尚未启动", "the views are not running"})
	}
	views := s.cfg.Runner.Views()
	from := views.Position()
	state, err := s.meetingState(c, views, id.String())
	if err != nil {
		return err
	}
	ctx, cancel := s.streamContext(c)
	defer cancel()
	st := s.startSSE(c)
	s.metrics.sseClients.Inc()
	defer s.metrics.sseClients.Dec()
	if err := st.send(strconv.FormatUint(uint64(from), 10), "state", state); err != nil {
		return nil
	}
	changes := make(chan eventstore.Position)
	go func() {
		defer close(changes)
		filter := eventstore.Filter{StreamPrefixes: []string{"meeting-" + id.String()}}
		for d, err := range s.cfg.Store.Subscribe(ctx, eventstore.SubscribeOptions{After: from, Filter: filter}) {
			if err != nil {
				return
			}
			if d.Event == nil || d.Event.Stream != "meeting-"+id.String() {
				continue
			}
			select {
			case changes <- d.Position:
			case <-ctx.Done():
				return
			}
		}
	}()
	pump(ctx, st, changes, func(pos eventstore.Position) error {
		if err := s.cfg.Runner.WaitFor(ctx, pos); err != nil {
			return err
		}
		state, err := s.meetingState(c, s.cfg.Runner.Views(), id.String())
		if err != nil {
			return err
		}
		return st.send(strconv.FormatUint(uint64(pos), 10), "state", state)
	})
	return nil
}
