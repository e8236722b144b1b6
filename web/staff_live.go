package web

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	nethttp "net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/projections"
)

// meetingEvents tells the console and the projector view when their
// meeting changed: it reads the API's live stream of the meeting
// (GET /v1/meetings/:id/live/stream, in-process, with the session's token,
// so the stream ends when the token is revoked) and sends, for each state
// the API sends, only an event "changed" whose id and data are the
// position it reflects. The pages then read their parts again with
// wait_for: the browser is never sent more than the page itself shows
// (the projector view shows no names, so it receives none).
func (w *Web) meetingEvents(c echo.Context, s *Session) error {
	m, err := w.meetingRecord(c)
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(c.Request().Context())
	defer cancel()
	req, err := nethttp.NewRequestWithContext(ctx, nethttp.MethodGet, "/v1/meetings/"+m.MeetingID+"/live/stream", nil)
	if err != nil {
		return fmt.Errorf("web: live stream: %w", err)
	}
	req.RemoteAddr = c.Request().RemoteAddr
	req.Header.Set(echo.HeaderAuthorization, "Bearer "+s.secret)
	if id := c.Request().Header.Get("Last-Event-ID"); id != "" {
		req.Header.Set("Last-Event-ID", id)
	}
	sw := &streamWriter{header: nethttp.Header{}, w: pw}
	go func() {
		w.cfg.API.ServeHTTP(sw, req)
		_ = pw.Close()
	}()
	defer func() { _ = pr.Close() }()

	// A stream outlives the server's write timeout: clear it, and bound
	// each write instead, as the API does for its own streams.
	rc := nethttp.NewResponseController(c.Response())
	if err := errors.Join(rc.SetReadDeadline(time.Time{}), rc.SetWriteDeadline(time.Time{})); err != nil && !errors.Is(err, nethttp.ErrNotSupported) {
		return fmt.Errorf("web: live stream deadlines: %w", err)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	c.Response().WriteHeader(nethttp.StatusOK)
	c.Response().Flush()
	sc := bufio.NewScanner(pr)
	var id string
	for sc.Scan() {
		line := sc.Text()
		var out string
		switch {
		case strings.HasPrefix(line, "id: "):
			id = strings.TrimPrefix(line, "id: ")
		case line == "event: state":
			out = "id: " + id + "\nevent: changed\ndata: " + id + "\n\n"
		case strings.HasPrefix(line, ":"):
			out = line + "\n\n"
		}
		if out == "" {
			continue
		}
		_ = rc.SetWriteDeadline(time.Now().Add(streamWriteLimit))
		if _, err := io.WriteString(c.Response(), out); err != nil {
			return nil
		}
		c.Response().Flush()
	}
	return nil
}

// streamWriteLimit bounds each write of a change stream: a client that
// reads nothing for that long loses it (its EventSource reconnects).
const streamWriteLimit = 30 * time.Second

// streamWriter is the response writer of the in-process live stream: what
// the API writes goes into a pipe that meetingEvents reads line by line.
type streamWriter struct {
	header nethttp.Header
	w      *io.PipeWriter
}

func (s *streamWriter) Header() nethttp.Header { return s.header }
func (s *streamWriter) WriteHeader(int)        {}
func (s *streamWriter) Flush()                 {}
func (s *streamWriter) Write(b []byte) (int, error) {
	n, err := s.w.Write(b)
	if err != nil {
		return n, fmt.Errorf("web: live stream closed: %w", err)
	}
	return n, nil
}

// projectorData is the projector view: nothing but what the public
// register shows — the meeting, its agenda item, the motion's text, the
// counts of attendance and ballots, and the result with its chart.
type projectorData struct {
	Title, Place, Status string
	// Events is the address of the meeting's change stream.
	Events           string
	Item             string
	Motion           *projections.LiveMotion
	Present, Proxies int
	Invited          int
	Quorum           string
	Chart            template.HTML
	Result           string
}

// projector is the full-screen view for a TV or projector in the room.
// It is a staff page (the room's laptop is signed in as the facilitator),
// but renders no person's name: only counts, texts and the tally.
func (w *Web) projector(c echo.Context, s *Session) error {
	m, err := w.meetingRecord(c)
	if err != nil {
		return err
	}
	live, err := w.liveMeeting(c, m.MeetingID)
	if err != nil {
		return err
	}
	l := w.lang(c)
	d := projectorData{Events: "/staff/meetings/" + m.MeetingID + "/events", Title: m.Title, Place: m.Place, Status: live.Status, Item: currentItem(m, "").Title, Motion: live.Motion,
		Present: live.Present, Proxies: live.Proxies, Invited: live.Invited, Quorum: quorumText(l, live)}
	if live.Motion != nil {
		if d.Chart, err = tallyChart(l, *live.Motion, "projector"); err != nil {
			return err
		}
		if live.Motion.Status == projections.MotionClosed {
			d.Result = resultText(l, live.Motion.Final)
		}
	}
	return w.render(c, nethttp.StatusOK, "staff_projector", Page{Title: m.Title, Data: d})
}
