package projections

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

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
	// Changed is the position of the last event that changed the item in
	// this process (0 for an item as its snapshot was loaded): with the
	// overdue flags, it names the item's state (StateAt).
	Changed eventstore.Position `json:"-"`
}

// StateAt names the item's state as answered at now: its id, the last
// event that changed it and its actions' overdue flags at now. Two reads
// of an item in the same state answer the same, so an answer may be kept
// by it.
func (it *BoardItem) StateAt(now time.Time) string {
	b := make([]byte, 0, len(it.ProposalID)+24+len(it.Actions))
	b = append(b, it.ProposalID...)
	b = append(b, '@')
	b = strconv.AppendUint(b, uint64(it.Changed), 10)
	b = append(b, '/')
	for i := range it.Actions {
		if actionOverdue(&it.Actions[i], now) {
			b = append(b, '1')
		} else {
			b = append(b, '0')
		}
	}
	return string(b)
}

// overdueAt reports whether any of the item's actions is overdue at now.
func (it *BoardItem) overdueAt(now time.Time) bool {
	for i := range it.Actions {
		if actionOverdue(&it.Actions[i], now) {
			return true
		}
	}
	return false
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
type Board struct {
	mu *sync.RWMutex
	st boardState
	// idx holds proposal ids in submission order, rebuilt from st.
	idx placeIndex
}

type boardState struct {
	Proposals map[string]*BoardItem `json:"proposals"`
	// Actions maps an action id to its proposal.
	Actions map[string]string `json:"actions"`
}

func newBoard(mu *sync.RWMutex) *Board {
	b := &Board{mu: mu}
	b.reset(boardState{Proposals: map[string]*BoardItem{}, Actions: map[string]string{}})
	return b
}

func (b *Board) reset(st boardState) {
	b.st = st
	rebuild(&b.idx, st.Proposals, func(it *BoardItem) (string, string, eventstore.Position) {
		return it.CommunityID, it.GridID, it.Position
	})
}

// Name implements View.
func (b *Board) Name() string { return "board" }

// Version implements View.
func (b *Board) Version() int { return 1 }

// MarshalSnapshot implements View.
func (b *Board) MarshalSnapshot() ([]byte, error) { return gojson.Marshal(&b.st) }

// mapSizes implements sized.
func (b *Board) mapSizes() map[string]int { return mapSizesOf(&b.st) }

// UnmarshalSnapshot implements View.
func (b *Board) UnmarshalSnapshot(r io.Reader) error {
	var st boardState
	if err := decodeSnapshot(r, &st); err != nil {
		return fmt.Errorf("board snapshot: %w", err)
	}
	if st.Proposals == nil || st.Actions == nil {
		return fmt.Errorf("board snapshot: missing maps")
	}
	b.reset(st)
	return nil
}

// Apply implements View.
func (b *Board) Apply(e Event) error {
	switch d := e.Data.(type) {
	case domain.ProposalSubmitted:
		it := &BoardItem{
			ProposalID: d.ProposalID, CommunityID: d.CommunityID, GridID: d.GridID, CompoundID: d.CompoundID,
			Title: d.Title, Category: d.Category, Channel: d.Channel, Place: d.Place, Author: d.Author,
			Status: StatusSubmitted, Submitted: d.At, Position: e.Position, Updated: d.At, Changed: e.Position,
		}
		b.st.Proposals[d.ProposalID] = it
		b.idx.add(it.ProposalID, it.CommunityID, it.GridID)
	case domain.ProposalSupported:
		b.update(e, d.ProposalID, d.At, func(it *BoardItem) { it.Supporters++ })
	case domain.ProposalDuplicateAbsorbed:
		b.update(e, d.ProposalID, d.At, func(it *BoardItem) { it.Supporters += len(d.NewSupporters) })
	case domain.ProposalAccepted:
		b.update(e, d.ProposalID, d.At, func(it *BoardItem) { o := d.Owner; it.Owner = &o; it.Status = StatusAccepted })
	case domain.ProposalRejected:
		b.update(e, d.ProposalID, d.At, func(it *BoardItem) { it.Status = StatusRejected })
	case domain.ProposalMerged:
		b.update(e, d.ProposalID, d.At, func(it *BoardItem) { it.Status = StatusMerged; it.MergedInto = d.SurvivorID })
	case domain.ProposalWithdrawn:
		b.update(e, d.ProposalID, d.At, func(it *BoardItem) { it.Status = StatusWithdrawn })
	case domain.ProposalHandledDirectly:
		b.update(e, d.ProposalID, d.At, func(it *BoardItem) { o := d.Handler; it.Owner = &o; it.Status = StatusHandled })
	case domain.ProposalPutOnAgenda:
		b.update(e, d.ProposalID, d.At, func(it *BoardItem) {
			if !slices.Contains(it.Meetings, d.MeetingID) {
				it.Meetings = append(it.Meetings, d.MeetingID)
			}
			if it.Status != StatusHandled {
				it.Status = StatusOnAgenda
			}
		})
	case domain.ProposalDecided:
		b.update(e, d.ProposalID, d.At, func(it *BoardItem) { it.Status = StatusDecided })
	case domain.ProposalClosed:
		b.update(e, d.ProposalID, d.At, func(it *BoardItem) { it.Status = StatusClosed })
	case domain.ProposalReopened:
		b.update(e, d.ProposalID, d.At, func(it *BoardItem) { it.Status = StatusReopened })
	case domain.ActionAssigned:
		if d.ProposalID == "" {
			return nil
		}
		b.st.Actions[d.ActionID] = d.ProposalID
		b.update(e, d.ProposalID, d.At, func(it *BoardItem) {
			it.Actions = append(it.Actions, ItemAction{ActionID: d.ActionID, Title: d.Title, Due: d.Due, Status: ActionAssigned})
		})
	case domain.ActionStarted:
		b.actionStatus(e, d.ActionID, ActionStarted, d.At)
	case domain.ActionBlocked:
		b.actionStatus(e, d.ActionID, ActionBlocked, d.At)
	case domain.ActionProgressReported:
		b.actionStatus(e, d.ActionID, ActionStarted, d.At)
	case domain.ActionCompleted:
		b.actionStatus(e, d.ActionID, ActionCompleted, d.At)
	case domain.ActionVerified:
		if d.Satisfied {
			b.actionStatus(e, d.ActionID, ActionVerified, d.At)
		} else {
			b.actionStatus(e, d.ActionID, ActionReopened, d.At)
		}
	case domain.ActionCancelled:
		b.actionStatus(e, d.ActionID, ActionCancelled, d.At)
	}
	return nil
}

func (b *Board) update(e Event, id string, at time.Time, f func(*BoardItem)) {
	if it, ok := b.st.Proposals[id]; ok {
		f(it)
		it.Changed = e.Position
		if at.After(it.Updated) {
			it.Updated = at
		}
	}
}

func (b *Board) actionStatus(e Event, actionID, status string, at time.Time) {
	pid, ok := b.st.Actions[actionID]
	if !ok {
		return
	}
	b.update(e, pid, at, func(it *BoardItem) {
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

func (q *BoardQuery) match(it *BoardItem) bool {
	if q.Status == "" && !openStatus(it.Status) || q.Status != "" && it.Status != q.Status {
		return false
	}
	if q.CommunityID != "" && it.CommunityID != q.CommunityID || q.GridID != "" && it.GridID != q.GridID ||
		q.CompoundID != "" && it.CompoundID != q.CompoundID || q.Category != "" && it.Category != q.Category ||
		q.Channel != "" && it.Channel != q.Channel {
		return false
	}
	if q.MinAgeDays > 0 && it.Submitted.After(q.Now.AddDate(0, 0, -q.MinAgeDays)) {
		return false
	}
	if q.MaxAgeDays > 0 && it.Submitted.Before(q.Now.AddDate(0, 0, -q.MaxAgeDays)) {
		return false
	}
	return true
}

// Open returns one page of the proposals that match q, oldest submission
// first. Without a Status filter only open proposals (not closed,
// rejected, merged or withdrawn) are listed.
func (b *Board) Open(q BoardQuery) BoardPage {
	page := BoardPage{Items: []BoardItem{}}
	page.Next = b.scan(q, func(it *BoardItem) {
		c := it.clone()
		flag(&c, q.Now)
		page.Items = append(page.Items, c)
	})
	return page
}

// BoardEntry is one item of a board page read by OpenKept: the item's
// state (BoardItem.StateAt the query's now) and either the answer the
// reader kept for that state or a copy of the item, its flags set.
type BoardEntry struct {
	State  string
	Answer []byte
	Item   *BoardItem
}

// OpenKept is Open for a reader that keeps its answers by item state:
// kept returns the answer it holds for an item in a state (it is called
// under the board's read lock, and must not read the views), and only the
// items it holds none for are copied. It returns the entries in the page's
// order and the next page's cursor.
func (b *Board) OpenKept(q BoardQuery, kept func(it *BoardItem, state string) ([]byte, bool)) ([]BoardEntry, string) {
	var entries []BoardEntry
	next := b.scan(q, func(it *BoardItem) {
		e := BoardEntry{State: it.StateAt(q.Now)}
		if a, ok := kept(it, e.State); ok {
			e.Answer = a
		} else {
			c := it.clone()
			flag(&c, q.Now)
			e.Item = &c
		}
		entries = append(entries, e)
	})
	return entries, next
}

// scan calls fn, under the read lock, with each item of the page q asks
// for, in order; it returns the next page's cursor, empty on the last
// page.
func (b *Board) scan(q BoardQuery, fn func(it *BoardItem)) string {
	b.mu.RLock()
	defer b.mu.RUnlock()
	ids := b.idx.keys(q.CommunityID, q.GridID)
	after := parsePositionCursor(q.After)
	start := sort.Search(len(ids), func(i int) bool { return b.st.Proposals[ids[i]].Position > after })
	limit := pageLimit(q.Limit)
	var n int
	var last eventstore.Position
	for _, id := range ids[start:] {
		it := b.st.Proposals[id]
		if !q.match(it) {
			continue
		}
		if q.OverdueOnly && !it.overdueAt(q.Now) {
			continue
		}
		if n == limit {
			return positionCursor(last)
		}
		fn(it)
		n, last = n+1, it.Position
	}
	return ""
}

// Proposal returns one proposal as the board knows it, whatever its status,
// with overdue flags at now.
func (b *Board) Proposal(id string, now time.Time) (BoardItem, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	it, ok := b.st.Proposals[id]
	if !ok {
		return BoardItem{}, false
	}
	c := it.clone()
	flag(&c, now)
	return c, true
}

// GridCounts counts the open proposals of each grid of a community (of
// every community when communityID is empty), with how many have an
// overdue action at now, sorted by community and grid.
func (b *Board) GridCounts(communityID string, now time.Time) []GridCount {
	b.mu.RLock()
	defer b.mu.RUnlock()
	ids := b.idx.keys(communityID, "")
	counts := map[[2]string]*GridCount{}
	for _, id := range ids {
		it := b.st.Proposals[id]
		if !openStatus(it.Status) {
			continue
		}
		k := [2]string{it.CommunityID, it.GridID}
		c := counts[k]
		if c == nil {
			c = &GridCount{CommunityID: it.CommunityID, GridID: it.GridID, ByStatus: map[string]int{}}
			counts[k] = c
		}
		c.Open++
		c.ByStatus[it.Status]++
		for _, a := range it.Actions {
			if actionOpen(a.Status) && !a.Due.IsZero() && !now.IsZero() && a.Due.Before(now) {
				c.Overdue++
				break
			}
		}
	}
	out := make([]GridCount, 0, len(counts))
	for _, c := range counts {
		out = append(out, *c)
	}
	slices.SortFunc(out, func(a, b GridCount) int {
		if a.CommunityID != b.CommunityID {
			if a.CommunityID < b.CommunityID {
				return -1
			}
			return 1
		}
		if a.GridID < b.GridID {
			return -1
		}
		if a.GridID > b.GridID {
			return 1
		}
		return 0
	})
	return out
}
