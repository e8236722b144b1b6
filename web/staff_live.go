package web

import (
	"bufio"
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
func (w *Web) meetingEvents(c echo.Context, _ *Session) error {
	m, err := w.meetingRecord(c)
	if err != nil {
		return err
	}
	var id string
	return w.relay(c, "/v1/meetings/"+m.MeetingID+"/live/stream", func(line string) string {
		switch {
		case strings.HasPrefix(line, "id: "):
			id = strings.TrimPrefix(line, "id: ")
		case line == "event: state":
			return "id: " + id + "\nevent: changed\ndata: " + id + "\n\n"
		case strings.HasPrefix(line, ":"):
			return line + "\n\n"
		}
		return ""
	})
}

// relay reads an event stream of the API in-process, as the visitor (with
// the session's token, so the stream ends when the token is revoked, and
// with Last-Event-ID), and sends the page what pass makes of each of its
// lines (nothing for ""). A refusal of the API is sent as one event
// "refused" whose data is the problem's detail.
func (w *Web) relay(c echo.Context, path string, pass func(line string) string) error {
	st, err := w.openStream(c, path, nil)
	var refused *apiError
	if err != nil && !errors.As(err, &refused) {
		return err
	}
	// A stream outlives the server's write timeout: clear it, and bound
	// each write instead, as the API does for its own streams.
	rc := nethttp.NewResponseController(c.Response())
	if err := errors.Join(rc.SetReadDeadline(time.Time{}), rc.SetWriteDeadline(time.Time{})); err != nil && !errors.Is(err, nethttp.ErrNotSupported) {
		return fmt.Errorf("web: stream deadlines: %w", err)
	}
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	c.Response().WriteHeader(nethttp.StatusOK)
	c.Response().Flush()
	if refused != nil {
		_, err := io.WriteString(c.Response(), "event: refused\ndata: "+strings.ReplaceAll(refused.Problem.Detail, "\n", " ")+"\n\n")
		return err
	}
	defer st.close()
	sc := bufio.NewScanner(st.body)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		out := pass(sc.Text())
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
