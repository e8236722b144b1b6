package projections

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	gojson "github.com/goccy/go-json"

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
	st boardState
	// items holds each proposal's BoardItem; actions an action's proposal.
	items   *entries[BoardItem]
	actions *entries[string]
	// idx holds proposal ids in submission order, rebuilt from st.
	idx placeIndex
	// names interns the heads' repeated strings (grids, categories …).
	names names
}

// names keeps one copy of each string it is given: the heads' ids of
// communities, grids and compounds (ids), and their categories, channels
// and statuses (words), which repeat over many items and grow with the
// city, not the ledger. Unlike countKeys (an interner shared by every
// view's counts, locked and bounded to a handful of words), a view's
// names are its own, used by its fold alone (under the write lock) and
// as many as the city's places. The words are kept apart: a look-up in a
// map of a dozen stays in the CPU's cache, where one in the map of a
// city's grids and compounds misses it (docs/performance.md).
type names struct {
	ids, words map[string]string
}

func newNames() names { return names{ids: map[string]string{}, words: map[string]string{}} }

// of returns the copy of the id s kept, keeping s if it is new.
func (n names) of(s string) string { return keep(n.ids, s) }

// word returns the copy of the word s kept, keeping s if it is new.
func (n names) word(s string) string { return keep(n.words, s) }

// keep returns the copy of s in m, putting s there if it is new.
func keep(m map[string]string, s string) string {
	if v, ok := m[s]; ok {
		return v
	}
	m[s] = s
	return s
}

type boardState struct {
	Heads map[string]boardHead `json:"heads"`
}

// boardHead is what the board's queries read of a proposal without its
// item: where it is, what it is, its status and its actions' due dates.
// Times are Unix nanoseconds, 0 for none.
type boardHead struct {
	CommunityID string              `json:"c"`
	GridID      string              `json:"g"`
	CompoundID  string              `json:"cp,omitempty"`
	Category    string              `json:"k"`
	Channel     string              `json:"ch"`
	Status      string              `json:"s"`
	Submitted   int64               `json:"t"`
	Position    eventstore.Position `json:"p"`
	Actions     []actionMark        `json:"a,omitempty"`
	// Changed is the position of the last event that changed the item in
	// this process (0 for an item as its snapshot was loaded): with the
	// overdue flags, it names the item's state (stateAt).
	Changed eventstore.Position `json:"-"`
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

// headOf is the head of it, its strings interned; its action marks reuse
// marks' room (the head it replaces: a fold's update allocates none).
func (b *Board) headOf(it *BoardItem, changed eventstore.Position, marks []actionMark) boardHead {
	h := boardHead{
		CommunityID: it.CommunityID, GridID: it.GridID, CompoundID: it.CompoundID, Category: it.Category,
		Channel: it.Channel, Status: it.Status, Submitted: unixNano(it.Submitted), Position: it.Position, Changed: changed,
	}
	b.intern(&h)
	if len(it.Actions) > 0 {
		h.Actions = marks[:0]
		for _, a := range it.Actions {
			h.Actions = append(h.Actions, actionMark{Due: unixNano(a.Due), Open: actionOpen(a.Status)})
		}
	}
	return h
}

// intern makes h's strings the copies b.names keeps.
func (b *Board) intern(h *boardHead) {
	h.CommunityID, h.GridID, h.CompoundID = b.names.of(h.CommunityID), b.names.of(h.GridID), b.names.of(h.CompoundID)
	h.Category, h.Channel, h.Status = b.names.word(h.Category), b.names.word(h.Channel), b.names.word(h.Status)
}

// stateAt names the state of the item of id, whose head is h, as answered
// at now: its id, the last event that changed it and its actions' overdue
// flags at now. Two reads of an item in the same state answer the same, so
// an answer may be kept by it (OpenKept).
func (h *boardHead) stateAt(id string, now time.Time) string {
	n := unixNano(now)
	b := make([]byte, 0, len(id)+24+len(h.Actions))
	b = append(b, id...)
	b = append(b, '@')
	b = strconv.AppendUint(b, uint64(h.Changed), 10)
	b = append(b, '/')
	for _, m := range h.Actions {
		if m.overdue(n) {
			b = append(b, '1')
		} else {
			b = append(b, '0')
		}
	}
	return string(b)
}

// overdueAt reports whether any of the item's actions is overdue at now
// (Unix nanoseconds).
func (h *boardHead) overdueAt(now int64) bool {
	for _, m := range h.Actions {
		if m.overdue(now) {
			return true
		}
	}
	return false
}

func newBoard(mu *sync.RWMutex) *Board {
	b := &Board{mu: mu, items: newEntries[BoardItem]("items"), actions: newEntries[string]("actions")}
	b.reset(boardState{Heads: map[string]boardHead{}}, newNames())
	return b
}

// reset makes st the board's state, its heads' strings interned in names.
func (b *Board) reset(st boardState, names names) {
	b.names, b.st = names, st
	rebuild(&b.idx, st.Heads, func(h boardHead) (string, string, eventstore.Position) {
		return h.CommunityID, h.GridID, h.Position
	})
}

// Name implements View.
func (b *Board) Name() string { return "board" }

// Version implements View.
func (b *Board) Version() int { return 2 }

// tables implements tabled.
func (b *Board) tables() []table { return []table{b.items, b.actions} }

// MarshalSnapshot implements View.
func (b *Board) MarshalSnapshot() ([]byte, error) { return gojson.Marshal(&b.st) }

// mapSizes implements sized.
func (b *Board) mapSizes() map[string]int { return mapSizesOf(&b.st) }

// UnmarshalSnapshot implements View.
func (b *Board) UnmarshalSnapshot(r io.Reader) error {
	var st boardState
	names := newNames()
	if err := decodeSnapshot(r, &st, readerOf((*boardHead).read, names)); err != nil {
		return fmt.Errorf("board snapshot: %w", err)
	}
	if st.Heads == nil {
		return fmt.Errorf("board snapshot: missing heads")
	}
	b.reset(st, names)
	return nil
}

// read reads h as MarshalSnapshot wrote it, its repeated strings interned
// in keep (members).
func (h *boardHead) read(dec *jsontext.Decoder, keep names) error {
	return members(dec, func(name []byte) (err error) {
		switch string(name) {
		case "c":
			h.CommunityID, err = readString(dec, keep.ids)
		case "g":
			h.GridID, err = readString(dec, keep.ids)
		case "cp":
			h.CompoundID, err = readString(dec, keep.ids)
		case "k":
			h.Category, err = readString(dec, keep.words)
		case "ch":
			h.Channel, err = readString(dec, keep.words)
		case "s":
			h.Status, err = readString(dec, keep.words)
		case "t":
			h.Submitted, err = readInt(dec)
		case "p":
			h.Position, err = readPosition(dec)
		case "a":
			err = jsonv2.UnmarshalDecode(dec, &h.Actions)
		default:
			err = dec.SkipValue()
		}
		return err
	})
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
		b.items.put(d.ProposalID, it)
		h := b.headOf(it, e.Position, nil)
		b.st.Heads[d.ProposalID] = h
		b.idx.add(d.ProposalID, h.CommunityID, h.GridID)
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
		if _, ok := b.st.Heads[d.ProposalID]; !ok {
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
	if _, ok := b.st.Heads[id]; !ok {
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
	b.st.Heads[id] = b.headOf(it, e.Position, b.st.Heads[id].Actions)
	return nil
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

func (q *BoardQuery) match(h *boardHead) bool {
	if q.Status == "" && !openStatus(h.Status) || q.Status != "" && h.Status != q.Status {
		return false
	}
	if q.CommunityID != "" && h.CommunityID != q.CommunityID || q.GridID != "" && h.GridID != q.GridID ||
		q.CompoundID != "" && h.CompoundID != q.CompoundID || q.Category != "" && h.Category != q.Category ||
		q.Channel != "" && h.Channel != q.Channel {
		return false
	}
	if q.MinAgeDays > 0 && h.Submitted > unixNano(q.Now.AddDate(0, 0, -q.MinAgeDays)) {
		return false
	}
	if q.MaxAgeDays > 0 && h.Submitted < unixNano(q.Now.AddDate(0, 0, -q.MaxAgeDays)) {
		return false
	}
	return true
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
// state at the query's now (see boardHead.stateAt) and either the answer the
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
		e := BoardEntry{State: h.stateAt(id, q.Now)}
		if a, ok := kept(h.CommunityID, h.GridID, e.State); ok {
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
	ids := b.idx.keys(q.CommunityID, q.GridID)
	after := parsePositionCursor(q.After)
	start := sort.Search(len(ids), func(i int) bool { return b.st.Heads[ids[i]].Position > after })
	limit := pageLimit(q.Limit)
	now := unixNano(q.Now)
	var n int
	var last eventstore.Position
	for _, id := range ids[start:] {
		h := b.st.Heads[id]
		if !q.match(&h) {
			continue
		}
		if q.OverdueOnly && !h.overdueAt(now) {
			continue
		}
		if n == limit {
			return positionCursor(last), nil
		}
		if err := fn(id, &h); err != nil {
			return "", err
		}
		n, last = n+1, h.Position
	}
	return "", nil
}

// Place returns the community and grid of a proposal the board knows, from
// its head in memory: a read's scope check costs no read of the log.
func (b *Board) Place(id string) (community, grid string, ok bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	h, ok := b.st.Heads[id]
	return h.CommunityID, h.GridID, ok
}

// Proposal returns one proposal as the board knows it, whatever its status,
// with overdue flags at now.
func (b *Board) Proposal(id string, now time.Time) (BoardItem, bool, error) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	h, ok := b.st.Heads[id]
	if !ok {
		return BoardItem{}, false, nil
	}
	it, err := b.item(id, &h, now)
	return it, err == nil, err
}

// GridCounts counts the open proposals of each grid of a community (of
// every community when communityID is empty), with how many have an
// overdue action at now, sorted by community and grid.
func (b *Board) GridCounts(communityID string, now time.Time) []GridCount {
	b.mu.RLock()
	defer b.mu.RUnlock()
	ids := b.idx.keys(communityID, "")
	n := unixNano(now)
	counts := map[[2]string]*GridCount{}
	for _, id := range ids {
		h := b.st.Heads[id]
		if !openStatus(h.Status) {
			continue
		}
		k := [2]string{h.CommunityID, h.GridID}
		c := counts[k]
		if c == nil {
			c = &GridCount{CommunityID: h.CommunityID, GridID: h.GridID, ByStatus: map[string]int{}}
			counts[k] = c
		}
		c.Open++
		c.ByStatus[h.Status]++
		if h.overdueAt(n) {
			c.Overdue++
		}
	}
	out := make([]GridCount, 0, len(counts))
	for _, c := range counts {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b GridCount) int {
		return cmp.Or(cmp.Compare(a.CommunityID, b.CommunityID), cmp.Compare(a.GridID, b.GridID))
	})
	return out
}
