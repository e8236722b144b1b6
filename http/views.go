package http

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	nethttp "net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/policy"
	"github.com/yishi-civic/yishi/projections"
)

// viewSet returns the views a read is served from: the live set, once it
// has folded wait_for when the read asks for it, or a set built as_of a
// past position or time (admins and auditors only: it replays the log).
func (s *Server) viewSet(c echo.Context) (*projections.Views, error) {
	if s.cfg.Runner == nil {
		return nil, notReady(text{"视图尚未启动", "the views are not running"})
	}
	q := c.QueryParams()
	if v := q.Get("as_of"); v != "" {
		if err := requireRole(principalOf(c), rolesAuditors...); err != nil {
			return nil, err
		}
		var at projections.AsOf
		if n, err := strconv.ParseUint(v, 10, 64); err == nil {
			if n == 0 {
				// Position 0 is before the first event: every view is
				// empty (projections.AsOf's zero Position means the whole
				// log, which is not what a client asking for 0 means).
				return projections.NewViews(), nil
			}
			at.Position = eventstore.Position(n)
		} else if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			at.Time = t
		} else {
			return nil, fieldErr(kindBadRequest, "as_of", text{"应为全局位置或 RFC 3339 时间", "want a global position or an RFC 3339 time"})
		}
		return s.cfg.Runner.AsOf(c.Request().Context(), at)
	}
	if v := q.Get("wait_for"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return nil, fieldErr(kindBadRequest, "wait_for", text{"应为写入返回的全局位置（非负整数）", "want a global position a write returned (a non-negative integer)"})
		}
		if w := workOf(c); w != nil {
			w.pause() // waiting for the fold is not work of the request's
			defer w.resume()
		}
		if err := s.cfg.Runner.WaitFor(c.Request().Context(), eventstore.Position(n)); err != nil {
			if errors.Is(err, projections.ErrWaitTimeout) || errors.Is(err, projections.ErrStopped) {
				return nil, notReady(text{"视图在等待时间内未更新到 wait_for 指定的位置", "the views did not reach wait_for in time"})
			}
			return nil, err
		}
	}
	return s.cfg.Runner.Views(), nil
}

func notReady(detail text) error {
	e := refuse(kindNotReady, detail)
	e.retryAfter = 1
	return e
}

// listParams are the paging parameters of list views.
type listParams struct {
	after string
	limit int
}

// cursorPattern is the shape of every next_cursor the views give: a
// global position, or rank.due.position for outcomes.
var cursorPattern = regexp.MustCompile(`^(?:[0-9]{1,20}|[0-9]{1,3}\.-?[0-9]{1,20}\.[0-9]{1,20})$`)

// parseList reads cursor and limit. A cursor the service never gave is a
// 400 naming it, not a silent restart at the first page.
func parseList(c echo.Context) (listParams, error) {
	lp := listParams{after: c.QueryParam("cursor")}
	if lp.after != "" && !cursorPattern.MatchString(lp.after) {
		return lp, fieldErr(kindBadRequest, "cursor", text{"应为上一页返回的 next_cursor", "want the next_cursor of the previous page"})
	}
	if v := c.QueryParam("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > projections.MaxLimit {
			return lp, fieldErr(kindBadRequest, "limit", text{"应为 1 到 " + strconv.Itoa(projections.MaxLimit) + " 的整数", "want an integer from 1 to " + strconv.Itoa(projections.MaxLimit)})
		}
		lp.limit = n
	}
	return lp, nil
}

// scoped narrows a list read's community and grid filters to the
// principal's scope: a scoped token reads its own community or grid (by
// default, and only those); a public reader, or an unscoped token, any.
func scoped(c echo.Context) (community, grid string, err error) {
	community, grid = c.QueryParam("community"), c.QueryParam("grid")
	p := principalOf(c)
	sc := p.token.Scope
	if !p.authenticated() {
		return community, grid, nil
	}
	if sc.Community != "" {
		if community == "" {
			community = sc.Community
		}
		if community != sc.Community {
			return "", "", requireScope(p, community, grid)
		}
	}
	if sc.Grid != "" {
		if grid == "" {
			grid = sc.Grid
		}
		if grid != sc.Grid {
			return "", "", requireScope(p, community, grid)
		}
	}
	return community, grid, nil
}

// publicScoped reads the community and grid filters of the public views
// (register, statistics). They are public: a token is never refused nor
// narrowed to its scope when it names a community or grid (each entry is
// masked by the place of its own record, see renderPage). A token that
// names none reads its own scope by default, and a grid named alone is a
// grid of the token's community.
func publicScoped(c echo.Context) (community, grid string) {
	community, grid = c.QueryParam("community"), c.QueryParam("grid")
	p := principalOf(c)
	if !p.authenticated() || community != "" {
		return community, grid
	}
	community = p.token.Scope.Community
	if grid == "" {
		grid = p.token.Scope.Grid
	}
	return community, grid
}

// reader is the principal as the read policy knows it.
func (p principal) reader() policy.Reader {
	return policy.Reader{Authenticated: p.authenticated(), Role: p.token.Role, Scope: p.token.Scope, Open: p.open}
}

// readerOf returns the request's reader.
func readerOf(c echo.Context) policy.Reader { return principalOf(c).reader() }

// queryTime reads an optional time parameter (RFC 3339, or a date as
// 2006-01-02 in China time).
func queryTime(c echo.Context, name string, def time.Time) (time.Time, error) {
	v := c.QueryParam(name)
	if v == "" {
		return def, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, v, chinaTime); err == nil {
		return t, nil
	}
	return time.Time{}, fieldErr(kindBadRequest, name, text{"应为 RFC 3339 时间或 YYYY-MM-DD 日期", "want an RFC 3339 time or a YYYY-MM-DD date"})
}

// chinaTime is UTC+8, the time of dates in query parameters.
var chinaTime = time.FixedZone("CST", 8*60*60)

func queryInt(c echo.Context, name string) (int, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, fieldErr(kindBadRequest, name, text{"应为非负整数", "want a non-negative integer"})
	}
	return n, nil
}

func queryBool(c echo.Context, name string) (bool, error) {
	v := c.QueryParam(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fieldErr(kindBadRequest, name, text{"应为 true 或 false", "want true or false"})
	}
	return b, nil
}

// viewPage is the body of list views: the page and the position the views
// had folded when it was read.
type viewPage[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
	Position   uint64 `json:"position"`
}

// listQuery is what the list views share: scope, paging, the reference
// time and the overdue filter.
type listQuery struct {
	community, grid string
	list            listParams
	now             time.Time
	overdue         bool
}

func (s *Server) parseListQuery(c echo.Context) (listQuery, error) {
	var q listQuery
	var err error
	if q.community, q.grid, err = scoped(c); err != nil {
		return q, err
	}
	if q.list, err = parseList(c); err != nil {
		return q, err
	}
	if q.now, err = queryTime(c, "now", s.now()); err != nil {
		return q, err
	}
	q.overdue, err = queryBool(c, "overdue")
	return q, err
}

// renderPage answers a list view, each item as the read policy lets the
// reader see it by the item's own community and grid.
func renderPage[T any](c echo.Context, views *projections.Views, items []T, next string, place func(T) (community, grid string)) error {
	out, err := policy.Items(readerOf(c), items, place)
	if err != nil {
		return err
	}
	return c.Blob(nethttp.StatusOK, echo.MIMEApplicationJSON, rawPage(out, next, uint64(views.Position())))
}

// getKeptBoard answers a board page from the answers of its items kept in
// s.itemAnswers by the item's state and the reader's audience, while the
// sealer's generation stays the same, or else kept on the answer shelf
// (Config.Answers) under the same state: only the items kept in neither
// are copied out of the board and answered afresh, then kept in both.
// Sets built as_of are answered afresh whole.
func (s *Server) getKeptBoard(c echo.Context, views *projections.Views, q projections.BoardQuery) error {
	if !s.keepsAnswers(views) {
		page, err := views.Board.Open(q)
		if err != nil {
			return err
		}
		return renderPage(c, views, page.Items, page.Next, func(it projections.BoardItem) (string, string) { return it.CommunityID, it.GridID })
	}
	r := readerOf(c)
	gen := s.sealerGeneration()
	// The answer depends on the reader only through what Answer asks of
	// it: masked or not (whether it opens depends on the server alone).
	audience := func(community, grid string) string {
		if r.SeesPersonalData(community, grid) {
			return "opened"
		}
		return "masked"
	}
	entries, next, err := views.Board.OpenKept(q, func(community, grid, state string) ([]byte, bool) {
		a := audience(community, grid)
		if b, ok := s.itemAnswers.get(gen, a+"|"+state); ok {
			return b, true
		}
		return s.shelvedItem(gen, a, state)
	})
	if err != nil {
		return err
	}
	out := make([]json.RawMessage, len(entries))
	for i, e := range entries {
		if e.Item == nil {
			out[i] = e.Answer
			continue
		}
		b, err := r.Answer(e.Item.CommunityID, e.Item.GridID, *e.Item)
		if err != nil {
			return err
		}
		a := audience(e.Item.CommunityID, e.Item.GridID)
		s.itemAnswers.put(gen, a+"|"+e.State, b)
		if s.cfg.Answers != nil {
			if err := s.cfg.Answers.Put(gen, itemShelfKey(a, e.State), e.State, b); err != nil {
				s.log.Warn("board: the item's answer was not kept on disk", "err", err)
			}
		}
		out[i] = b
	}
	return c.Blob(nethttp.StatusOK, echo.MIMEApplicationJSON, rawPage(out, next, uint64(views.Position())))
}

// shelvedItem returns the answer of a board item in state (Board.stateAt)
// for audience kept on the answer shelf, and puts it back among the
// answers in memory. A restart empties those, and a board page's items
// then cost their table reads, their keys and their masking again: the
// first seconds' pages, most of whose items had not been read since, took
// half a second at one million events (docs/performance.md,
// thirty-fourth session).
func (s *Server) shelvedItem(gen uint64, audience, state string) ([]byte, bool) {
	if s.cfg.Answers == nil {
		return nil, false
	}
	b, ok, err := s.cfg.Answers.Get(gen, itemShelfKey(audience, state), state)
	if err != nil {
		s.log.Warn("board: the item's answer kept on disk was not read", "err", err)
	}
	if !ok || !answerObject(b) {
		s.metrics.shelfReads.WithLabelValues("board_item", "miss").Inc()
		return nil, false
	}
	s.metrics.shelfReads.WithLabelValues("board_item", "hit").Inc()
	s.itemAnswers.put(gen, audience+"|"+state, b)
	return b, true
}

// LoadKeptItems puts the board items' answers kept on the answer shelf
// back among the answers in memory, in one pass over the shelf's files,
// the public's first (up to half of the room), then staff's, up to three
// quarters of the room in all: after a restart a board page's items are
// then answered from memory from its first seconds, rather than each
// from a read of the shelf (a page of twenty items, twenty reads). It
// took 159 ms of a core at one million events, where it fills that room,
// and takes no more at any size. serve runs it once at start, beside
// the first reads; it returns at once without a shelf, and when ctx
// ends.
func (s *Server) LoadKeptItems(ctx context.Context) {
	if s.cfg.Answers == nil {
		return
	}
	began := time.Now()
	gen := s.sealerGeneration()
	room := itemAnswerBytes * 3 / 4
	var items, size int
	for _, audience := range []string{"masked", "opened"} {
		upTo := room
		if audience == "masked" {
			upTo = itemAnswerBytes / 2
		}
		err := s.cfg.Answers.Each(gen, "board|"+audience+"|", func(_, state string, answer []byte) bool {
			if ctx.Err() != nil || size >= upTo {
				return false
			}
			if answerObject(answer) {
				key := audience + "|" + state
				s.itemAnswers.put(gen, key, answer)
				items, size = items+1, size+len(key)+len(answer)
			}
			return true
		})
		if err != nil {
			s.log.Warn("board: the items' answers kept on disk were not read", "err", err)
			return
		}
	}
	s.log.Info("board: items' answers kept on disk put back in memory", "items", items, "bytes", size, "ms", time.Since(began).Milliseconds())
}

// itemShelfKey is the answer shelf's key of the answer of a board item
// for audience, whose state (Board.stateAt) starts with its id: one
// answer an item and audience, its state the answer's version.
func itemShelfKey(audience, state string) string {
	id, _, _ := strings.Cut(state, "@")
	return "board|" + audience + "|" + id
}

// keepsAnswers reports whether answers read from views may be kept: those
// of the runner's live set, not of a set built as_of a past position.
func (s *Server) keepsAnswers(views *projections.Views) bool {
	return views == s.cfg.Runner.Views()
}

// sealerGeneration is the ledger's sealer's generation (0 without one):
// what an answer opens changes only when it does.
func (s *Server) sealerGeneration() uint64 {
	if sealer := s.cfg.Ledger.Sealer(); sealer != nil {
		return sealer.Generation()
	}
	return 0
}

// rawPage writes a viewPage of items that are JSON already, as
// json.Marshal would but without parsing each item again to compact it:
// that second pass was a tenth of a board read's CPU.
func rawPage(items []json.RawMessage, next string, position uint64) []byte {
	n := 64 + len(next)
	for _, it := range items {
		n += len(it) + 1
	}
	b := make([]byte, 0, n)
	b = append(b, `{"items":[`...)
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	b = append(b, ']')
	if next != "" {
		q, _ := json.Marshal(next) // a string always encodes
		b = append(b, `,"next_cursor":`...)
		b = append(b, q...)
	}
	b = append(b, `,"position":`...)
	b = strconv.AppendUint(b, position, 10)
	return append(b, "}\n"...)
}

// getBoard lists open proposals (民情账本): public, masked for the public;
// a scoped token reads its own scope.
func (s *Server) getBoard(c echo.Context) error {
	lq, err := s.parseListQuery(c)
	if err != nil {
		return err
	}
	q := projections.BoardQuery{CommunityID: lq.community, GridID: lq.grid, CompoundID: c.QueryParam("compound"),
		Category: c.QueryParam("category"), Status: c.QueryParam("status"), Channel: c.QueryParam("channel"),
		Now: lq.now, OverdueOnly: lq.overdue, After: lq.list.after, Limit: lq.list.limit}
	if q.MinAgeDays, err = queryInt(c, "min_age_days"); err != nil {
		return err
	}
	if q.MaxAgeDays, err = queryInt(c, "max_age_days"); err != nil {
		return err
	}
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	return s.getKeptBoard(c, views, q)
}

// getBoardGrids counts open and overdue proposals per grid of a community.
func (s *Server) getBoardGrids(c echo.Context) error {
	community, grid, err := scoped(c)
	if err != nil {
		return err
	}
	now, err := queryTime(c, "now", s.now())
	if err != nil {
		return err
	}
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	counts := []projections.GridCount{}
	for _, gc := range views.Board.GridCounts(community, now) {
		if grid == "" || gc.GridID == grid {
			counts = append(counts, gc)
		}
	}
	return c.JSON(nethttp.StatusOK, map[string]any{"grids": counts, "position": uint64(views.Position())})
}

// getRegister lists decisions (公示栏): public, masked for the public.
func (s *Server) getRegister(c echo.Context) error {
	community, grid := publicScoped(c)
	meeting, proposal := c.QueryParam("meeting"), c.QueryParam("proposal")
	if (meeting != "" || proposal != "") && c.QueryParam("community") == "" && c.QueryParam("grid") == "" {
		// One record's decisions, wherever it lies: the token's scope
		// decides only what is masked, not what is found.
		community, grid = "", ""
	}
	lp, err := parseList(c)
	if err != nil {
		return err
	}
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	var newest bool
	switch c.QueryParam("order") {
	case "", "oldest":
	case "newest":
		newest = true
	default:
		return fieldErr(kindBadRequest, "order", text{"应为 oldest 或 newest", "want oldest or newest"})
	}
	page, err := views.Register.Decisions(projections.RegisterQuery{CommunityID: community, GridID: grid,
		MeetingID: meeting, ProposalID: proposal, How: c.QueryParam("how"), Newest: newest, After: lp.after, Limit: lp.limit})
	if err != nil {
		return err
	}
	return renderPage(c, views, page.Items, page.Next, decisionPlace)
}

func decisionPlace(d projections.Decision) (community, grid string) { return d.CommunityID, d.GridID }

// getDecision returns one decision of the register.
func (s *Server) getDecision(c echo.Context) error {
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	d, ok, err := views.Register.Decision(c.Param("meeting") + "/" + c.Param("decision"))
	if err != nil {
		return err
	}
	if !ok {
		return refuse(kindNotFound, text{"没有这项决定", "no such decision"})
	}
	b, err := readerOf(c).Answer(d.CommunityID, d.GridID, d)
	if err != nil {
		return err
	}
	return c.JSONBlob(nethttp.StatusOK, b)
}

// getOutcomes lists actions (行动清单): public, masked for the public; a
// scoped token reads its own scope.
func (s *Server) getOutcomes(c echo.Context) error {
	lq, err := s.parseListQuery(c)
	if err != nil {
		return err
	}
	q := projections.OutcomesQuery{CommunityID: lq.community, GridID: lq.grid, ProposalID: c.QueryParam("proposal"), MeetingID: c.QueryParam("meeting"),
		OwnerID: c.QueryParam("owner"), Status: c.QueryParam("status"), Now: lq.now, OverdueOnly: lq.overdue, After: lq.list.after, Limit: lq.list.limit}
	if q.OpenOnly, err = queryBool(c, "open"); err != nil {
		return err
	}
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	page, err := views.Outcomes.List(q)
	if err != nil {
		return err
	}
	return renderPage(c, views, page.Items, page.Next, func(a projections.ActionItem) (string, string) { return a.CommunityID, a.GridID })
}

// getTimeline tells a proposal's story: public, masked for the public.
func (s *Server) getTimeline(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	lp, err := parseList(c)
	if err != nil {
		return err
	}
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	ctx, r := c.Request().Context(), readerOf(c)
	steps, last, ok, err := views.Timeline.Length(id.String())
	if err != nil {
		return err
	}
	if !ok {
		return refuse(kindNotFound, text{"没有这个议题", "no such proposal"})
	}
	community, grid, err := s.proposalPlace(ctx, views, id.String())
	if err != nil {
		return err
	}
	// The public answer of a page read before, unless the story or what
	// the sealer opens changed since (both are read before the answer is
	// made, so a change meanwhile makes a key no later read asks for).
	var key string
	gen := s.sealerGeneration()
	if s.keepsAnswers(views) && !r.SeesPersonalData(community, grid) {
		key = fmt.Sprintf("%s|%s|%d|%d|%d", id, lp.after, lp.limit, steps, last)
		if b, ok := s.publicAnswers.get(gen, key); ok {
			return timelineAnswer(c, b, views.Position())
		}
	}
	// A story's first page, at the sizes the doors ask for, is also kept
	// on disk (Config.Answers), so that the first read of it after a
	// restart is not made again.
	size := lp.limit
	if size <= 0 {
		size = projections.DefaultLimit
	}
	shelved := key != "" && lp.after == "" && s.cfg.Answers != nil && (size == projections.DefaultLimit || size == projections.MaxLimit)
	shelfKey := shelfKeyOf(id.String(), size)
	version := timelineVersion(steps, last)
	if shelved {
		b, ok, err := s.cfg.Answers.Get(gen, shelfKey, version)
		if err != nil {
			s.log.Warn("timeline: the answer kept on disk was not read", "err", err)
		}
		if ok && answerObject(b) {
			s.metrics.shelfReads.WithLabelValues("timeline_page", "hit").Inc()
			s.publicAnswers.put(gen, key, b)
			return timelineAnswer(c, b, views.Position())
		}
		s.metrics.shelfReads.WithLabelValues("timeline_page", "miss").Inc()
	}
	story, ok, err := views.Timeline.Of(ctx, id.String(), lp.after, lp.limit)
	if err != nil {
		return err
	}
	if !ok {
		return refuse(kindNotFound, text{"没有这个议题", "no such proposal"})
	}
	b, err := r.Answer(community, grid, story)
	if err != nil {
		return err
	}
	if key != "" {
		s.publicAnswers.put(gen, key, b)
	}
	if shelved {
		if err := s.cfg.Answers.Put(gen, shelfKey, version, b); err != nil {
			s.log.Warn("timeline: the answer was not kept on disk", "err", err)
		}
	}
	return timelineAnswer(c, b, views.Position())
}

// proposalPlace returns where proposal id lives: from the board's head in
// memory, or, when the board does not know the proposal yet (a board
// rebuilt from the start of the log while the other views were restored
// from their snapshots, still catching up), from the proposal's first
// event.
func (s *Server) proposalPlace(ctx context.Context, views *projections.Views, id string) (community, grid string, err error) {
	if community, grid, ok := views.Board.Place(id); ok {
		return community, grid, nil
	}
	a, err := s.place(ctx, domain.ProposalStream(id))
	return a.community, a.grid, err
}

// shelfKeyOf is the answer shelf's key of the first page of proposal id's
// timeline at page size size.
func shelfKeyOf(id string, size int) string { return fmt.Sprintf("%s|%d", id, size) }

// timelineVersion is what a story's first page's public answer depends
// on besides its size and the sealer's generation: the story's length and
// its last step.
func timelineVersion(steps int, last eventstore.Position) string {
	return fmt.Sprintf("%d|%d", steps, last)
}

// answerObject reports whether answer ends as a JSON object with members
// does: timelineAnswer writes the views' position as its last member.
func answerObject(answer []byte) bool {
	body := bytes.TrimRight(answer, " \n")
	return len(body) >= 2 && body[len(body)-1] == '}' && body[len(body)-2] != '{'
}

// timelineAnswer answers a page of a story, the JSON object answer, with
// the views' position added as its last member.
func timelineAnswer(c echo.Context, answer json.RawMessage, position eventstore.Position) error {
	body := bytes.TrimRight(answer, " \n")
	if !answerObject(body) {
		return fmt.Errorf("timeline: the answer is not a JSON object with members: %.40q", answer)
	}
	// Written in two pieces, the answer (often a kept one) as it is: no
	// copy of a whole story per read.
	tail := strconv.AppendUint([]byte(`,"position":`), uint64(position), 10)
	tail = append(tail, '}')
	res := c.Response()
	res.Header().Set(echo.HeaderContentType, echo.MIMEApplicationJSON)
	res.Header().Set(echo.HeaderContentLength, strconv.Itoa(len(body)-1+len(tail)))
	res.WriteHeader(nethttp.StatusOK)
	if _, err := res.Write(body[:len(body)-1]); err != nil {
		return err
	}
	_, err := res.Write(tail)
	return err
}

// getStats sums the statistics of a community or grid over a period, with
// an optional breakdown per grid, community or month. Figures hold no
// personal data: public.
func (s *Server) getStats(c echo.Context) error {
	community, grid := publicScoped(c)
	q := projections.StatsQuery{CommunityID: community, GridID: grid}
	var err error
	if q.From, err = queryTime(c, "from", time.Time{}); err != nil {
		return err
	}
	if q.To, err = queryTime(c, "to", time.Time{}); err != nil {
		return err
	}
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	wishes := views.Wishes.Figures(q)
	out := statsAnswer{Figures: views.Stats.Figures(q), Organisation: views.Stats.Organisation(q), Wishes: &wishes, Position: uint64(views.Position())}
	if by := c.QueryParam("by"); by != "" {
		rows, err := views.Stats.Breakdown(q, by)
		if err != nil {
			return fieldErr(kindBadRequest, "by", text{"应为 grid、community 或 month", "want grid, community or month"})
		}
		out.Breakdown = rows
	}
	return c.JSON(nethttp.StatusOK, out)
}

// statsAnswer is the body of GET /v1/stats.
type statsAnswer struct {
	Figures projections.Figures `json:"figures"`
	// Organisation counts the grids, grid heads, grid workers, volunteers
	// and teams of the places selected, as they stand (not per period).
	Organisation projections.OrgFigures `json:"organisation"`
	Breakdown    []projections.StatsRow `json:"breakdown,omitempty"`
	// Wishes are the small wishes' figures of the same grids and period
	// (projections.Wishes.Figures); "wishes fulfilled" is Wishes.Fulfilled.
	Wishes   *projections.WishFigures `json:"wishes,omitempty"`
	Position uint64                   `json:"position"`
}

// getLiveMeeting returns a meeting's live state: attendance, quorum, the
// current motion and its running tally.
func (s *Server) getLiveMeeting(c echo.Context) error {
	state, err := s.liveState(c)
	if err != nil {
		return err
	}
	return c.JSONBlob(nethttp.StatusOK, state)
}

// liveState reads a meeting's live state for the principal, whose scope
// must cover the meeting, as the read policy lets it see it.
func (s *Server) liveState(c echo.Context) (json.RawMessage, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return nil, err
	}
	views, err := s.viewSet(c)
	if err != nil {
		return nil, err
	}
	return s.meetingState(c, views, id.String())
}

func (s *Server) meetingState(c echo.Context, views *projections.Views, id string) (json.RawMessage, error) {
	st, ok, err := views.Live.Meeting(c.Request().Context(), id)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, refuse(kindNotFound, text{"没有这个会议", "no such meeting"})
	}
	p := principalOf(c)
	if err := requireScope(p, st.CommunityID, st.GridID); err != nil {
		return nil, err
	}
	return p.reader().Meeting(st)
}

// getMinutes returns a meeting's minutes drawn from its record (the
// meeting's events and the register's decisions of it, with their
// actions): public once published, masked for the public; before that
// only to those who see the meeting's personal data (staff and auditors
// in its scope), who read the draft.
func (s *Server) getMinutes(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	a, err := s.loadAggregate(c.Request().Context(), domain.MeetingStream(id.String()))
	if err != nil {
		return err
	}
	m := domain.FoldMeeting(a.events)
	r := readerOf(c)
	if m.Status != domain.StatusPublished && !r.SeesPersonalData(m.CommunityID, m.GridID) {
		return refuse(kindNotFound, text{"这次会议的纪要尚未公示", "the minutes of this meeting are not published"})
	}
	decisions, err := views.Register.Decisions(projections.RegisterQuery{MeetingID: m.MeetingID, Limit: projections.MaxLimit})
	if err != nil {
		return err
	}
	b, err := r.Answer(m.CommunityID, m.GridID, minutesAnswer{Minutes: projections.DraftMinutes(m, decisions.Items), Position: uint64(views.Position())})
	if err != nil {
		return err
	}
	return c.JSONBlob(nethttp.StatusOK, b)
}

// minutesAnswer is the body of GET /v1/meetings/{id}/minutes.
type minutesAnswer struct {
	projections.Minutes
	Position uint64 `json:"position"`
}
