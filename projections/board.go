package projections

import (
	"cmp"
	"fmt"
	"io"
	"iter"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// Proposal statuses as the board shows them.
const (
	StatusSubmitted = "submitted"
	StatusAccepted  = "accepted"
	StatusHandled   = "handled_directly"
	StatusOnAgenda  = "on_agenda"
	StatusDecided   = "decided"
	StatusReopened  = "reopened"
	StatusClosed    = "closed"
	StatusRejected  = "rejected"
	StatusMerged    = "merged"
	StatusWithdrawn = "withdrawn"
)

// openStatus reports whether a proposal in status s is still open.
func openStatus(s string) bool {
	switch s {
	case StatusClosed, StatusRejected, StatusMerged, StatusWithdrawn:
		return false
	}
	return true
}

// ItemAction is an action linked to a proposal, as the board shows it.
type ItemAction struct {
	ActionID string    `json:"action_id"`
	Title    string    `json:"title"`
	Due      time.Time `json:"due"`
	Status   string    `json:"status"`
	// Overdue is computed by the query: open and due before its "now".
	Overdue bool `json:"overdue,omitempty"`
}

// BoardItem is one proposal on the open-issues board (民情账本).
type BoardItem struct {
	ProposalID  string       `json:"proposal_id"`
	CommunityID string       `json:"community_id"`
	GridID      string       `json:"grid_id"`
	CompoundID  string       `json:"compound_id,omitempty"`
	Title       string       `json:"title"`
	Category    string       `json:"category"`
	Channel     string       `json:"channel"`
	Place       string       `json:"place"`
	Author      domain.Party `json:"author"`
	Status      string       `json:"status"`
	Submitted   time.Time    `json:"submitted"`
	// Position is the position of the submission; the board's order.
	Position   eventstore.Position `json:"position"`
	Supporters int                 `json:"supporters"`
	Owner      *domain.Party       `json:"owner,omitempty"`
	MergedInto string              `json:"merged_into,omitempty"`
	Meetings   []string            `json:"meetings,omitempty"`
	Actions    []ItemAction        `json:"actions,omitempty"`
	Updated    time.Time           `json:"updated"`
	// Overdue is computed by the query: an open action is past its due date.
	Overdue bool `json:"overdue,omitempty"`
}

func (it *BoardItem) clone() BoardItem {
	c := *it
	if it.Owner != nil {
		o := *it.Owner
		c.Owner = &o
	}
	c.Meetings = cloneStrings(it.Meetings)
	c.Actions = slices.Clone(it.Actions)
	return c
}

// actionOpen reports whether an action in status s still has work to do.
func actionOpen(s string) bool {
	switch s {
	case ActionCompleted, ActionVerified, ActionCancelled:
		return false
	}
	return true
}

// BoardQuery filters the board. Empty fields do not filter.
type BoardQuery struct {
	CommunityID string
	GridID      string
	CompoundID  string
	Category    string
	// Status is one proposal status; empty means every open one.
	Status  string
	Channel string
	// Now is the reference time for ages and overdue flags (a query
	// parameter, not the clock).
	Now time.Time
	// MinAgeDays and MaxAgeDays bound the days since submission, relative
	// to Now; zero does not bound.
	MinAgeDays int
	MaxAgeDays int
	// OverdueOnly keeps proposals with an overdue action.
	OverdueOnly bool
	// After is the cursor of the previous page (BoardPage.Next).
	After string
	// Limit is the page size (DefaultLimit when 0, at most MaxLimit).
	Limit int
}

// BoardPage is one page of the board, oldest submission first.
type BoardPage struct {
	Items []BoardItem `json:"items"`
	// Next is the cursor of the next page, empty on the last page.
	Next string `json:"next,omitempty"`
}

// GridCount is the board's count for one grid.
type GridCount struct {
	CommunityID string         `json:"community_id"`
	GridID      string         `json:"grid_id"`
	Open        int            `json:"open"`
	Overdue     int            `json:"overdue"`
	ByStatus    map[string]int `json:"by_status"`
}

// Board is the open-issues board (民情账本): every proposal not yet closed,
// with its linked actions and their overdue flags, filterable and counted
// per grid.
//
// What its queries filter, order and count by is kept in memory for every
// proposal (a head); the rest of each item (title, place, author, owner,
// meetings, actions) is kept in a table, from which a page reads only its
// own items. Memory grows with the ledger by a head per proposal, not by
// the items.
type Board struct {
	mu *sync.RWMutex
	// heads holds every proposal's head, in submission order.
	heads heads[ident, boardHead]
	// items holds each proposal's BoardItem; actions an action's proposal.
	items   *entries[BoardItem]
	actions *entries[string]
}

// boardHead is what the board's queries read of a proposal without its
// item: where it is, what it is, its status and its actions' due dates.
// Its community, grid and compound are numbers in the board's places, its
// category, channel and status in its words (heads); times are Unix
// nanoseconds, 0 for none.
type boardHead struct {
	community, grid, compound int32
	category, channel, status int32
	Submitted                 int64
	Position                  eventstore.Position
	// acts are the item's actions' marks, in its heads' slab of them.
	acts span
	// Changed is the position of the last event that changed the item in
	// this process (0 for an item as its snapshot was loaded: snapshots
	// write it as 0): with the overdue flags, it names the item's state
	// (stateAt).
	Changed eventstore.Position `fixed:"zero"`
}

// actionMark is what a head keeps of an action: its due date and whether
// it still has work to do.
type actionMark struct {
	Due  int64 `json:"d,omitempty"`
	Open bool  `json:"o,omitempty"`
}

// overdue reports whether the action is open and due before now (Unix
// nanoseconds; never for 0, a zero now).
func (m actionMark) overdue(now int64) bool { return now != 0 && m.Open && m.Due != 0 && m.Due < now }

// unixNano is t in Unix nanoseconds, 0 for the zero time. Beyond the
// years int64 nanoseconds hold (1678 to 2262) it saturates at their ends,
// so that it orders as t does against any time within them (a due date in
// 2300 is never overdue, an age cut-off 200,000 days back excludes
// nothing); and the Unix epoch itself, which 0 would mean none, is 1.
func unixNano(t time.Time) int64 {
	switch {
	case t.IsZero():
		return 0
	case t.Before(minUnixNano):
		return math.MinInt64
	case t.After(maxUnixNano):
		return math.MaxInt64
	}
	if n := t.UnixNano(); n != 0 {
		return n
	}
	return 1
}

// The times int64 Unix nanoseconds hold.
var (
	minUnixNano = time.Unix(0, math.MinInt64)
	maxUnixNano = time.Unix(0, math.MaxInt64)
)

// headOf is the head of it, its places and words numbered; its action
// marks take the room of old's (the head it replaces: a fold's update
// allocates none) when they fit in it.
func (b *Board) headOf(it *BoardItem, changed eventstore.Position, old span) boardHead {
	places, words := &b.heads.places, &b.heads.words
	h := boardHead{
		community: places.of(it.CommunityID), grid: places.of(it.GridID), compound: places.of(it.CompoundID),
		category: words.of(it.Category), channel: words.of(it.Channel), status: words.of(it.Status),
		Submitted: unixNano(it.Submitted), Position: it.Position, Changed: changed,
	}
	h.acts = b.heads.marks.resize(old, len(it.Actions))
	marks := b.heads.marks.of(h.acts)
	for i, a := range it.Actions {
		marks[i] = actionMark{Due: unixNano(a.Due), Open: actionOpen(a.Status)}
	}
	return h
}

// spansOf yields the span acts gives of each head, in row order.
func (hs *heads[K, H]) spansOf(acts func(*H) *span) iter.Seq[*span] {
	return func(yield func(*span) bool) {
		for i := range hs.rows {
			if !yield(acts(&hs.rows[i].head)) {
				return
			}
		}
	}
}

// stateAt names the state of the item of id, whose head is h, as answered
// at now: its id, the last event that changed it and its actions' overdue
// flags at now. Two reads of an item in the same state answer the same, so
// an answer may be kept by it (OpenKept).
func (b *Board) stateAt(id string, h *boardHead, now time.Time) string {
	n := unixNano(now)
	marks := b.heads.marks.of(h.acts)
	out := make([]byte, 0, len(id)+24+len(marks))
	out = append(out, id...)
	out = append(out, '@')
	out = strconv.AppendUint(out, uint64(h.Changed), 10)
	out = append(out, '/')
	for _, m := range marks {
		if m.overdue(n) {
			out = append(out, '1')
		} else {
			out = append(out, '0')
		}
	}
	return string(out)
}

// overdueAt reports whether any of marks is overdue at now (Unix
// nanoseconds).
func overdueAt(marks []actionMark, now int64) bool {
	for _, m := range marks {
		if m.overdue(now) {
			return true
		}
	}
	return false
}

func newBoard(mu *sync.RWMutex) *Board {
	return &Board{mu: mu, heads: newHeads[ident, boardHead](0), items: newEntries[BoardItem]("items"), actions: newEntries[string]("actions")}
}

// Name implements View.
func (b *Board) Name() string { return "board" }

// Version implements View.
func (b *Board) Version() int { return 2 }

// tables implements tabled.
func (b *Board) tables() []table { return []table{b.items, b.actions} }

// MarshalSnapshot implements View: the heads as fixed rows
// (fixedRowsMagic).
func (b *Board) MarshalSnapshot() ([]byte, error) {
	return marshalEncoded(b, 1024+80*len(b.heads.rows)+16*b.heads.marks.used)
}

// encodeSnapshot implements encoded.
func (b *Board) encodeSnapshot(s *snapshotWriter) error {
	writeFixedRows(&b.heads, s, func(h *boardHead) *span { return &h.acts })
	return nil
}

// snapshotJSON implements readable: {"heads": the heads as the map of
// heads by id was written}, as snapshots held them before rows.
func (b *Board) snapshotJSON() ([]byte, error) {
	out, err := b.heads.snapshot(appendBoardHead)
	if err != nil {
		return nil, fmt.Errorf("board snapshot: %w", err)
	}
	return out, nil
}

// mapSizes implements sized.
func (b *Board) mapSizes() map[string]int { return map[string]int{"heads": len(b.heads.rows)} }

// UnmarshalSnapshot implements View.
func (b *Board) UnmarshalSnapshot(r io.Reader) error {
	hs, err := readHeadsSnapshot[ident](r, (*boardHead).read, (*boardHead).readBinary)
	if err != nil {
		return fmt.Errorf("board snapshot: %w", err)
	}
	b.heads = hs
	return nil
}

// Apply implements View.
func (b *Board) Apply(e Event) error {
	switch d := e.Data.(type) {
	case domain.ProposalSubmitted:
		it := &BoardItem{
			ProposalID: d.ProposalID, CommunityID: d.CommunityID, GridID: d.GridID, CompoundID: d.CompoundID,
			Title: d.Title, Category: d.Category, Channel: d.Channel, Place: d.Place, Author: d.Author,
			Status: StatusSubmitted, Submitted: d.At, Position: e.Position, Updated: d.At,
		}
		r, again := b.heads.rowOf(d.ProposalID)
		if again {
			// Not from the ledger, which submits a proposal once: the item
			// keeps its row, and the position that orders it there.
			it.Position = b.heads.rows[r].head.Position
		}
		b.items.put(d.ProposalID, it)
		if again {
			b.heads.set(r, b.headOf(it, e.Position, b.heads.rows[r].head.acts))
			b.compactMarks()
			return nil
		}
		b.heads.add(d.ProposalID, b.headOf(it, e.Position, span{}))
	case domain.ProposalSupported:
		return b.update(e, d.ProposalID, d.At, func(it *BoardItem) { it.Supporters++ })
	case domain.ProposalDuplicateAbsorbed:
		return b.update(e, d.ProposalID, d.At, func(it *BoardItem) { it.Supporters += len(d.NewSupporters) })
	case domain.ProposalAccepted:
		return b.update(e, d.ProposalID, d.At, func(it *BoardItem) { o := d.Owner; it.Owner = &o; it.Status = StatusAccepted })
	case domain.ProposalRejected:
		return b.update(e, d.ProposalID, d.At, func(it *BoardItem) { it.Status = StatusRejected })
	case domain.ProposalMerged:
		return b.update(e, d.ProposalID, d.At, func(it *BoardItem) { it.Status = StatusMerged; it.MergedInto = d.SurvivorID })
	case domain.ProposalWithdrawn:
		return b.update(e, d.ProposalID, d.At, func(it *BoardItem) { it.Status = StatusWithdrawn })
	case domain.ProposalHandledDirectly:
		return b.update(e, d.ProposalID, d.At, func(it *BoardItem) { o := d.Handler; it.Owner = &o; it.Status = StatusHandled })
	case domain.ProposalPutOnAgenda:
		return b.update(e, d.ProposalID, d.At, func(it *BoardItem) {
			if !slices.Contains(it.Meetings, d.MeetingID) {
				it.Meetings = append(it.Meetings, d.MeetingID)
			}
			if it.Status != StatusHandled {
				it.Status = StatusOnAgenda
			}
		})
	case domain.ProposalDecided:
		return b.update(e, d.ProposalID, d.At, func(it *BoardItem) { it.Status = StatusDecided })
	case domain.ProposalClosed:
		return b.update(e, d.ProposalID, d.At, func(it *BoardItem) { it.Status = StatusClosed })
	case domain.ProposalReopened:
		return b.update(e, d.ProposalID, d.At, func(it *BoardItem) { it.Status = StatusReopened })
	case domain.ActionAssigned:
		if b.heads.head(d.ProposalID) == nil {
			return nil
		}
		pid := d.ProposalID
		b.actions.put(d.ActionID, &pid)
		return b.update(e, d.ProposalID, d.At, func(it *BoardItem) {
			it.Actions = append(it.Actions, ItemAction{ActionID: d.ActionID, Title: d.Title, Due: d.Due, Status: ActionAssigned})
		})
	case domain.ActionStarted:
		return b.actionStatus(e, d.ActionID, ActionStarted, d.At)
	case domain.ActionBlocked:
		return b.actionStatus(e, d.ActionID, ActionBlocked, d.At)
	case domain.ActionProgressReported:
		return b.actionStatus(e, d.ActionID, ActionStarted, d.At)
	case domain.ActionCompleted:
		return b.actionStatus(e, d.ActionID, ActionCompleted, d.At)
	case domain.ActionVerified:
		if d.Satisfied {
			return b.actionStatus(e, d.ActionID, ActionVerified, d.At)
		}
		return b.actionStatus(e, d.ActionID, ActionReopened, d.At)
	case domain.ActionCancelled:
		return b.actionStatus(e, d.ActionID, ActionCancelled, d.At)
	}
	return nil
}

// update changes the item of proposal id, if the board has it, with f, and
// its head with it.
func (b *Board) update(e Event, id string, at time.Time, f func(*BoardItem)) error {
	h := b.heads.head(id)
	if h == nil {
		return nil
	}
	it, err := b.items.named(id, true)
	if err != nil {
		return fmt.Errorf("board: %w", err)
	}
	f(it)
	if at.After(it.Updated) {
		it.Updated = at
	}
	*h = b.headOf(it, e.Position, h.acts)
	b.compactMarks()
	return nil
}

// compactMarks drops the marks no head names, once they are most of the
// slab (slab.compact).
func (b *Board) compactMarks() {
	b.heads.marks.compact(b.heads.spansOf(func(h *boardHead) *span { return &h.acts }))
}

func (b *Board) actionStatus(e Event, actionID, status string, at time.Time) error {
	pid, err := b.actions.get(actionID)
	if err != nil {
		return fmt.Errorf("board: %w", err)
	}
	if pid == nil {
		return nil
	}
	return b.update(e, *pid, at, func(it *BoardItem) {
		for i := range it.Actions {
			if it.Actions[i].ActionID == actionID {
				it.Actions[i].Status = status
			}
		}
	})
}

// flag computes the item's overdue flags at now; it works on a copy.
func flag(it *BoardItem, now time.Time) {
	it.Overdue = false
	for i := range it.Actions {
		a := &it.Actions[i]
		a.Overdue = actionOverdue(a, now)
		it.Overdue = it.Overdue || a.Overdue
	}
}

// actionOverdue reports whether a is open and due before now (never for a
// zero now).
func actionOverdue(a *ItemAction, now time.Time) bool {
	return !now.IsZero() && actionOpen(a.Status) && !a.Due.IsZero() && a.Due.Before(now)
}

// matcher returns what q filters by as a test of a head; nothing matches
// when q names a place or word the board never saw.
func (b *Board) matcher(q *BoardQuery) func(h *boardHead) bool {
	hs := &b.heads
	var f numbers
	community, grid, compound := f.of(&hs.places, q.CommunityID), f.of(&hs.places, q.GridID), f.of(&hs.places, q.CompoundID)
	category, channel, status := f.of(&hs.words, q.Category), f.of(&hs.words, q.Channel), f.of(&hs.words, q.Status)
	if f.none {
		return func(*boardHead) bool { return false }
	}
	var newest, oldest int64 = math.MaxInt64, math.MinInt64
	if q.MinAgeDays > 0 {
		newest = unixNano(q.Now.AddDate(0, 0, -q.MinAgeDays))
	}
	if q.MaxAgeDays > 0 {
		oldest = unixNano(q.Now.AddDate(0, 0, -q.MaxAgeDays))
	}
	return func(h *boardHead) bool {
		if status < 0 && !openStatus(hs.words.name(h.status)) {
			return false
		}
		return is(status, h.status) && is(community, h.community) && is(grid, h.grid) && is(compound, h.compound) &&
			is(category, h.category) && is(channel, h.channel) && h.Submitted <= newest && h.Submitted >= oldest
	}
}

// item returns a copy of the item of proposal id, whose head is h, with
// its overdue flags at now. The caller holds the read lock.
func (b *Board) item(id string, h *boardHead, now time.Time) (BoardItem, error) {
	it, err := b.items.named(id, false)
	if err != nil {
		return BoardItem{}, fmt.Errorf("board: %w", err)
	}
	c := it.clone()
	flag(&c, now)
	return c, nil
}

// Open returns one page of the proposals that match q, oldest submission
// first. Without a Status filter only open proposals (not closed,
// rejected, merged or withdrawn) are listed.
func (b *Board) Open(q BoardQuery) (BoardPage, error) {
	page := BoardPage{Items: []BoardItem{}}
	var err error
	page.Next, err = b.scan(q, func(id string, h *boardHead) error {
		c, err := b.item(id, h, q.Now)
		page.Items = append(page.Items, c)
		return err
	})
	if err != nil {
		return BoardPage{}, err
	}
	return page, nil
}

// BoardEntry is one item of a board page read by OpenKept: the item's
// state at the query's now (see Board.stateAt) and either the answer the
// reader kept for that state or a copy of the item, its flags set.
type BoardEntry struct {
	State  string
	Answer []byte
	Item   *BoardItem
}

// OpenKept is Open for a reader that keeps its answers by item state:
// kept returns the answer it holds for an item of a community and grid in
// a state (it is called under the board's read lock, and must not read the
// views), and only the items it holds none for are read from the board's
// table and copied. It returns the entries in the page's order and the
// next page's cursor.
func (b *Board) OpenKept(q BoardQuery, kept func(community, grid, state string) ([]byte, bool)) ([]BoardEntry, string, error) {
	var entries []BoardEntry
	next, err := b.scan(q, func(id string, h *boardHead) error {
		e := BoardEntry{State: b.stateAt(id, h, q.Now)}
		if a, ok := kept(b.heads.places.name(h.community), b.heads.places.name(h.grid), e.State); ok {
			e.Answer = a
		} else {
			c, err := b.item(id, h, q.Now)
			if err != nil {
				return err
			}
			e.Item = &c
		}
		entries = append(entries, e)
		return nil
	})
	if err != nil {
		return nil, "", err
	}
	return entries, next, nil
}

// scan calls fn, under the read lock, with each item of the page q asks
// for, in order; it returns the next page's cursor, empty on the last
// page, or fn's first error.
func (b *Board) scan(q BoardQuery, fn func(id string, h *boardHead) error) (string, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	hs := &b.heads
	list, all := hs.list(q.CommunityID, q.GridID)
	match := b.matcher(&q)
	limit := pageLimit(q.Limit)
	now := unixNano(q.Now)
	var found int
	var last eventstore.Position
	var next string
	var err error
	hs.each(list, all, hs.after(list, all, parsePositionCursor(q.After)), func(row *headRow[ident, boardHead]) bool {
		h := &row.head
		if !match(h) || q.OverdueOnly && !overdueAt(hs.marks.of(h.acts), now) {
			return true
		}
		if found == limit {
			next = positionCursor(last)
			return false
		}
		if err = fn(hs.idText(row), h); err != nil {
			return false
		}
		found, last = found+1, h.Position
		return true
	})
	if err != nil {
		return "", err
	}
	return next, nil
}

// Place returns the community and grid of a proposal the board knows, from
// its head in memory: a read's scope check costs no read of the log.
func (b *Board) Place(id string) (community, grid string, ok bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	h := b.heads.head(id)
	if h == nil {
		return "", "", false
	}
	return b.heads.places.name(h.community), b.heads.places.name(h.grid), true
}

// Proposals returns the ids of at most n of the proposals the board
// knows, the newest first, past the skip newest: a caller goes over them
// a batch at a time (a proposal submitted meanwhile moves the batches
// back by one, so one is met twice and none is missed).
func (b *Board) Proposals(skip, n int) []string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var ids []string
	for i := len(b.heads.rows) - 1 - skip; i >= 0 && len(ids) < n; i-- {
		ids = append(ids, b.heads.idText(&b.heads.rows[i]))
	}
	return ids
}

// Proposal returns one proposal as the board knows it, whatever its status,
// with overdue flags at now.
func (b *Board) Proposal(id string, now time.Time) (BoardItem, bool, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	h := b.heads.head(id)
	if h == nil {
		return BoardItem{}, false, nil
	}
	it, err := b.item(id, h, now)
	return it, err == nil, err
}

// GridCounts counts the open proposals of each grid of a community (of
// every community when communityID is empty), with how many have an
// overdue action at now, sorted by community and grid.
func (b *Board) GridCounts(communityID string, now time.Time) []GridCount {
	b.mu.RLock()
	defer b.mu.RUnlock()
	hs := &b.heads
	list, all := hs.list(communityID, "")
	n := unixNano(now)
	counts := map[[2]int32]*GridCount{}
	count := func(h *boardHead) {
		if !openStatus(hs.words.name(h.status)) {
			return
		}
		k := [2]int32{h.community, h.grid}
		c := counts[k]
		if c == nil {
			c = &GridCount{CommunityID: hs.places.name(h.community), GridID: hs.places.name(h.grid), ByStatus: map[string]int{}}
			counts[k] = c
		}
		c.Open++
		c.ByStatus[hs.words.name(h.status)]++
		if overdueAt(hs.marks.of(h.acts), n) {
			c.Overdue++
		}
	}
	hs.each(list, all, 0, func(row *headRow[ident, boardHead]) bool {
		count(&row.head)
		return true
	})
	out := make([]GridCount, 0, len(counts))
	for _, c := range counts {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b GridCount) int {
		return cmp.Or(cmp.Compare(a.CommunityID, b.CommunityID), cmp.Compare(a.GridID, b.GridID))
	})
	return out
}
