package web

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"time"

	nethttp "net/http"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/auth"
	yhttp "github.com/yishi-civic/yishi/http"
	"github.com/yishi-civic/yishi/projections"
)

// The downloads of the auditor's door: the export (JSON Lines, the lines
// `yishi export` writes) and the register and the outcomes as CSV. Each is
// written as it is read from the API, a page (or a chunk of the log) at a
// time, never built whole in memory.

// exportChunk is how many leaves of the log one read of GET /v1/log asks.
const exportChunk = 50_000

// downloadExport streams the log's events as the visitor may read them
// through GET /v1/log: one line per event, the event as stored (the line
// `yishi export` writes). Events the reader may not read (token streams,
// streams outside its scope) are left out; the log's tree still counts
// them. It is an auditor's: an admin reads no hash chain, so the API gives
// an admin no event of the log, and the page says so.
func (w *Web) downloadExport(c echo.Context) error {
	if sessionOf(c).Token.Role != auth.RoleAuditor {
		return &apiError{Problem: yhttp.Problem{Type: "/problems/forbidden", Title: "forbidden", Status: nethttp.StatusForbidden,
			Detail: w.lang(c).T("audit.download.auditors")}}
	}
	res := c.Response()
	committed := false
	for from := int64(0); ; {
		st, err := w.openStream(c, "/v1/log", url.Values{"from": {strconv.FormatInt(from, 10)}, "max": {strconv.Itoa(exportChunk)}})
		if err != nil {
			return err
		}
		size, _ := strconv.ParseInt(st.header.Get("X-Log-Size"), 10, 64)
		if !committed {
			attachment(c, "application/x-ndjson", "yishi-export-"+stamp(c)+".jsonl")
			committed = true
		}
		n, err := copyEvents(res, st.body)
		st.close()
		if err != nil {
			return err
		}
		res.Flush()
		from += n
		if n < exportChunk || from >= size {
			return nil
		}
	}
}

// copyEvents writes the event of each line of GET /v1/log to out (lines
// without one, leaf hashes only, are skipped) and counts the lines read.
func copyEvents(out io.Writer, in io.Reader) (int64, error) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	bw := bufio.NewWriterSize(out, 64<<10)
	var n int64
	for sc.Scan() {
		n++
		var entry struct {
			Event json.RawMessage `json:"event"`
		}
		if err := json.Unmarshal(sc.Bytes(), &entry); err != nil {
			return n, fmt.Errorf("web: export: line %d of the log: %w", n, err)
		}
		if len(entry.Event) == 0 {
			continue
		}
		if _, err := bw.Write(append(entry.Event, '\n')); err != nil {
			return n, err
		}
	}
	if err := sc.Err(); err != nil {
		return n, fmt.Errorf("web: export: %w", err)
	}
	return n, bw.Flush()
}

// downloadRegister writes the place's register as CSV, in the visitor's
// language, as of the page's as_of when given.
func (w *Web) downloadRegister(c echo.Context) error {
	l := w.lang(c)
	wd := words{l}
	wh, err := w.where(c)
	if err != nil {
		return err
	}
	var cw *csv.Writer
	_, err = readAll(w, c, "/v1/register", wh.query("order", "newest"), func(items []decision) error {
		if cw == nil {
			cw = w.startCSV(c, "register", wh, []string{"audit.csv.decided", "audit.csv.meeting", "audit.csv.place", "audit.csv.item",
				"audit.csv.motion", "audit.csv.how", "audit.csv.rule", "audit.csv.verdict", "audit.csv.result", "audit.csv.tally",
				"audit.csv.attendance", "audit.csv.adopted", "audit.csv.proposal", "audit.csv.meetingid", "audit.csv.key"})
		}
		for _, d := range items {
			card, err := wd.decisionCard(d, wh)
			if err != nil {
				return err
			}
			if err := cw.Write([]string{d.Decided.In(china).Format("2006-01-02 15:04"), d.MeetingTitle, card.Place, d.ItemTitle, d.Text, card.How,
				card.Rule, card.Verdict, card.Result, card.Brief, card.Attendance, card.Label, d.ProposalID, d.MeetingID, d.Key}); err != nil {
				return err
			}
		}
		return flushCSV(c, cw)
	})
	if err == nil && cw == nil {
		return fmt.Errorf("web: register download: no page")
	}
	return err
}

// downloadOutcomes writes the place's actions as CSV, every one of them
// (in progress, done, cancelled), as of the page's as_of when given.
func (w *Web) downloadOutcomes(c echo.Context) error {
	l := w.lang(c)
	wd := words{l}
	wh, err := w.where(c)
	if err != nil {
		return err
	}
	var cw *csv.Writer
	_, err = readAll(w, c, "/v1/outcomes", wh.query(), func(items []projections.ActionItem) error {
		if cw == nil {
			cw = w.startCSV(c, "outcomes", wh, []string{"audit.csv.action", "audit.csv.place", "audit.csv.owner", "audit.csv.due",
				"audit.csv.status", "audit.csv.percent", "audit.csv.occurrences", "audit.csv.overdue", "audit.csv.assigned",
				"audit.csv.completed", "audit.csv.satisfied", "audit.csv.reopened", "audit.csv.proposal", "audit.csv.actionid"})
		}
		for _, a := range items {
			satisfied := ""
			switch {
			case a.Satisfied == nil:
			case *a.Satisfied:
				satisfied = l.T("story.satisfied")
			default:
				satisfied = l.T("story.unsatisfied")
			}
			overdue := ""
			if a.Overdue {
				overdue = l.T("outcomes.overdue")
			}
			if err := cw.Write([]string{a.Title, wh.communityName(a.CommunityID) + " · " + wh.gridName(a.CommunityID, a.GridID), a.Owner.Name,
				wd.date(a.Due), wd.code("action", a.Status), strconv.Itoa(a.Percent), strconv.Itoa(a.Occurrences), overdue,
				wd.date(a.Assigned), wd.date(a.Completed), satisfied, strconv.Itoa(a.Reopened), a.ProposalID, a.ActionID}); err != nil {
				return err
			}
		}
		return flushCSV(c, cw)
	})
	if err == nil && cw == nil {
		return fmt.Errorf("web: outcomes download: no page")
	}
	return err
}

// startCSV commits the response as a CSV download named after what, the
// place and the moment: UTF-8 with a byte order mark, so that a
// spreadsheet opens its Chinese text as such, and a header row of the
// catalogue's column names.
func (w *Web) startCSV(c echo.Context, what string, wh where, columns []string) *csv.Writer {
	name := "yishi-" + what
	if wh.Community != "" {
		name += "-" + wh.Community
	}
	if wh.Grid != "" {
		name += "-" + wh.Grid
	}
	attachment(c, "text/csv; charset=utf-8", name+"-"+stamp(c)+".csv")
	_, _ = io.WriteString(c.Response(), "\ufeff")
	cw := csv.NewWriter(c.Response())
	l := w.lang(c)
	head := make([]string, len(columns))
	for i, k := range columns {
		head[i] = l.T(k)
	}
	_ = cw.Write(head) // a write error shows at the flush
	return cw
}

// flushCSV sends what cw holds.
func flushCSV(c echo.Context, cw *csv.Writer) error {
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	c.Response().Flush()
	return nil
}

// attachment commits the response as a file to save, named name.
func attachment(c echo.Context, contentType, name string) {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, contentType)
	h.Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(nethttp.StatusOK)
}

// unsafeName is what a file name keeps out.
var unsafeName = regexp.MustCompile(`[^0-9A-Za-z-]+`)

// stamp names the moment of a download: the page's as_of (a position, or
// a time in China time), or now.
func stamp(c echo.Context) string {
	if v := c.QueryParam("as_of"); v != "" {
		if t, ok := pageTime(v); ok {
			at, _ := time.Parse(time.RFC3339Nano, t)
			return "asof-" + at.In(china).Format("20060102-1504")
		}
		return "asof-" + unsafeName.ReplaceAllString(v, "")
	}
	return time.Now().In(china).Format("20060102-1504")
}
