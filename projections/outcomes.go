package projections

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// Action statuses.
const (
	ActionAssigned  = "assigned"
	ActionStarted   = "started"
	ActionBlocked   = "blocked"
	ActionCompleted = "completed"
	ActionVerified  = "verified"
	ActionReopened  = "reopened"
	ActionCancelled = "cancelled"
)

// ProgressReport is one progress report on an action.
type ProgressReport struct {
	Percent int       `json:"percent"`
	Note    string    `json:"note,omitempty"`
	Photos  []string  `json:"photos,omitempty"`
	At      time.Time `json:"at"`
}

// Verification is residents' verdict on a completed action.
type Verification struct {
	Verifier  domain.Voter `json:"verifier"`
	Satisfied bool         `json:"satisfied"`
	Reason    string       `json:"reason,omitempty"`
	At        time.Time    `json:"at"`
}

// ActionItem is one entry of the outcomes list (行动清单).
type ActionItem struct {
	ActionID    string           `json:"action_id"`
	CommunityID string           `json:"community_id"`
	GridID      string           `json:"grid_id"`
	ProposalID  string           `json:"proposal_id,omitempty"`
	MeetingID   string           `json:"meeting_id,omitempty"`
	MotionID    string           `json:"motion_id,omitempty"`
	Title       string           `json:"title"`
	Description string           `json:"description,omitempty"`
	Owner       domain.Party     `json:"owner"`
	Due         time.Time        `json:"due"`
	Recurrence  string           `json:"recurrence,omitempty"`
	Status      string           `json:"status"`
	Percent     int              `json:"percent"`
	Progress    []ProgressReport `json:"progress,omitempty"`
	// Occurrences counts the occurrences held of a recurring action.
	Occurrences   int            `json:"occurrences,omitempty"`
	BlockedReason string         `json:"blocked_reason,omitempty"`
	Evidence      []string       `json:"evidence,omitempty"`
	Completed     time.Time      `json:"completed,omitzero"`
	Verifications []Verification `json:"verifications,omitempty"`
	// Satisfied is the latest verification's verdict, nil before any.
	Satisfied    *bool               `json:"satisfied,omitempty"`
	Reopened     int                 `json:"reopened,omitempty"`
	CancelReason string              `json:"cancel_reason,omitempty"`
	Assigned     time.Time           `json:"assigned"`
	Updated      time.Time           `json:"updated"`
	Position     eventstore.Position `json:"position"`
	// Overdue is computed by the query: open and due before its "now".
	Overdue bool `json:"overdue,omitempty"`
}

func (a *ActionItem) clone() ActionItem {
	c := *a
	c.Progress = slices.Clone(a.Progress)
	c.Evidence = cloneStrings(a.Evidence)
	c.Verifications = slices.Clone(a.Verifications)
	if a.Satisfied != nil {
		s := *a.Satisfied
		c.Satisfied = &s
	}
	return c
}

// OutcomesQuery filters the outcomes list. Empty fields do not filter.
type OutcomesQuery struct {
	CommunityID string
	GridID      string
	ProposalID  string
	MeetingID   string
	// OwnerID is the owning person's or unit's id.
	OwnerID string
	Status  string
	// OpenOnly keeps actions with work left (not completed, verified or
	// cancelled).
	OpenOnly bool
	// OverdueOnly keeps open actions past their due date at Now.
	OverdueOnly bool
	// Now is the reference time for overdue flags and the order (a query
	// parameter, not the clock).
	Now time.Time
	// After is the cursor of the previous page (OutcomesPage.Next).
	After string
	// Limit is the page size (DefaultLimit when 0, at most MaxLimit).
	Limit int
}

// OutcomesPage is one page of the outcomes list: overdue and reopened
// actions first, then other open ones, then those awaiting verification,
// then settled ones; within each, earliest due date first.
type OutcomesPage struct {
	Items []ActionItem `json:"items"`
	// Next is the cursor of the next page, empty on the last page.
	Next string `json:"next,omitempty"`
}

// Outcomes is the outcomes list (行动清单): every action with its owner, due
// date, progress, evidence, verification and satisfaction.
//
// As on the board, what the list filters and orders by is kept in memory
// for every action (a head), and the rest of each action in a table, from
// which a page reads only its own actions.
type Outcomes struct {
	mu *sync.RWMutex
	// heads holds every action's head, in assignment order.
	heads heads[ident, outcomeHead]
	// items holds each action's ActionItem.
	items *entries[ActionItem]
}

// outcomeHead is what the outcomes list reads of an action without its
// item: where it is, what it belongs to, who owns it, its status and due
// date: in Unix nanoseconds for the overdue flag (unixNano, 0 for none)
// and in Unix seconds for the order, as the cursor has it (whatever the
// year). Its community, grid and owner are numbers in the list's places,
// its status in its words (heads). Its proposal's and meeting's ids are
// idents of its own, not numbers in a dictionary: few actions share one
// (at ten million generated events, each of 182,683 meetings decided one
// action).
type outcomeHead struct {
	community, grid, owner, status int32
	ProposalID                     ident
	MeetingID                      ident
	Due                            int64
	DueUnix                        int64
	Position                       eventstore.Position
}

// place implements located.
func (h outcomeHead) place() (community, grid int32) { return h.community, h.grid }

// position implements located: the action's assignment.
func (h outcomeHead) position() eventstore.Position { return h.Position }

// overdue reports whether the action of h, in status, is open and due
// before now (Unix nanoseconds; never for 0, a zero now).
func (h *outcomeHead) overdue(status string, now int64) bool {
	return now != 0 && actionOpen(status) && h.Due != 0 && h.Due < now
}

// key is the action's place in the list's order at now.
func (o *Outcomes) key(h *outcomeHead, now int64) outcomeKey {
	status := o.heads.words.name(h.status)
	return outcomeKey{rank(status, h.overdue(status, now)), h.DueUnix, h.Position}
}

// headOf is the head of a, its places and words numbered.
func (o *Outcomes) headOf(a *ActionItem) outcomeHead {
	places := &o.heads.places
	return outcomeHead{
		community: places.of(a.CommunityID), grid: places.of(a.GridID), owner: places.of(a.Owner.ID),
		status: o.heads.words.of(a.Status), ProposalID: o.heads.ident(a.ProposalID), MeetingID: o.heads.ident(a.MeetingID),
		Due: unixNano(a.Due), DueUnix: a.Due.Unix(), Position: a.Position,
	}
}

func newOutcomes(mu *sync.RWMutex) *Outcomes {
	return &Outcomes{mu: mu, heads: newHeads[ident, outcomeHead](0), items: newEntries[ActionItem]("items")}
}

// Name implements View.
func (o *Outcomes) Name() string { return "outcomes" }

// Version implements View.
func (o *Outcomes) Version() int { return 2 }

// tables implements tabled.
func (o *Outcomes) tables() []table { return []table{o.items} }

// MarshalSnapshot implements View: the heads as fixed rows
// (fixedRowsMagic).
func (o *Outcomes) MarshalSnapshot() ([]byte, error) {
	return marshalEncoded(o, 1024+96*len(o.heads.rows))
}

// encodeSnapshot implements encoded.
func (o *Outcomes) encodeSnapshot(s *snapshotWriter) error {
	writeFixedRows(&o.heads, s, nil)
	return nil
}

// snapshotJSON implements readable: {"heads": the heads as the map of
// heads by id was written}, as snapshots held them before rows.
func (o *Outcomes) snapshotJSON() ([]byte, error) {
	out, err := o.heads.snapshot(appendOutcomeHead)
	if err != nil {
		return nil, fmt.Errorf("outcomes snapshot: %w", err)
	}
	return out, nil
}

// mapSizes implements sized.
func (o *Outcomes) mapSizes() map[string]int { return map[string]int{"heads": len(o.heads.rows)} }

// UnmarshalSnapshot implements View.
func (o *Outcomes) UnmarshalSnapshot(r io.Reader) error {
	hs, err := readHeadsSnapshot[ident](r, (*outcomeHead).read, (*outcomeHead).readBinary)
	if err != nil {
		return fmt.Errorf("outcomes snapshot: %w", err)
	}
	o.heads = hs
	return nil
}

// read reads h as appendOutcomeHead wrote it, its places, words and ids
// numbered in d's dictionaries.
func (h *outcomeHead) read(dec *jsontext.Decoder, d *headNames) error {
	places, words := d.places, d.words
	return members(dec, func(name []byte) (err error) {
		switch string(name) {
		case "c":
			h.community, err = readNamed(dec, places)
		case "g":
			h.grid, err = readNamed(dec, places)
		case "pr":
			h.ProposalID, err = readIdent(dec, d.others)
		case "m":
			h.MeetingID, err = readIdent(dec, d.others)
		case "o":
			h.owner, err = readNamed(dec, places)
		case "s":
			h.status, err = readNamed(dec, words)
		case "d":
			h.Due, err = readInt(dec)
		case "du":
			h.DueUnix, err = readInt(dec)
		case "p":
			h.Position, err = readPosition(dec)
		default:
			err = dec.SkipValue()
		}
		return err
	})
}

// appendOutcomeHead appends h as goccy/go-json wrote the outcomes' heads
// when they were kept in a map by id: members c, g, pr, m and o (each
// left out when empty), s, d (left out when 0), du and p.
func appendOutcomeHead(hs *heads[ident, outcomeHead], out []byte, h *outcomeHead) ([]byte, error) {
	o := newObject(out)
	o.str("c", hs.places.name(h.community), false)
	o.str("g", hs.places.name(h.grid), false)
	o.ident("pr", h.ProposalID, &hs.others, true)
	o.ident("m", h.MeetingID, &hs.others, true)
	o.str("o", hs.places.name(h.owner), true)
	o.str("s", hs.words.name(h.status), false)
	o.int("d", h.Due, true)
	o.int("du", h.DueUnix, false)
	o.position("p", h.Position)
	return o.close()
}

// Apply implements View.
func (o *Outcomes) Apply(e Event) error {
	switch d := e.Data.(type) {
	case domain.ActionAssigned:
		a := &ActionItem{
			ActionID: d.ActionID, CommunityID: d.CommunityID, GridID: d.GridID, ProposalID: d.ProposalID,
			MeetingID: d.MeetingID, MotionID: d.MotionID, Title: d.Title, Description: d.Description,
			Owner: d.Owner, Due: d.Due, Recurrence: d.Recurrence, Status: ActionAssigned,
			Assigned: d.At, Updated: d.At, Position: e.Position,
		}
		r, again := o.heads.rowOf(d.ActionID)
		if again {
			// Not from the ledger, which assigns an action once: the action
			// keeps its row, and the position that orders it there.
			a.Position = o.heads.rows[r].head.Position
		}
		o.items.put(d.ActionID, a)
		if again {
			o.heads.set(r, o.headOf(a))
			return nil
		}
		o.heads.add(d.ActionID, o.headOf(a))
	case domain.ActionStarted:
		return o.update(d.ActionID, d.At, func(a *ActionItem) { a.Status = ActionStarted })
	case domain.ActionProgressReported:
		return o.update(d.ActionID, d.At, func(a *ActionItem) {
			a.Percent = d.Percent
			a.Progress = append(a.Progress, ProgressReport{Percent: d.Percent, Note: d.Note, Photos: d.Photos, At: d.At})
			a.Status = ActionStarted
			a.BlockedReason = ""
		})
	case domain.ActionOccurrenceHeld:
		return o.update(d.ActionID, d.At, func(a *ActionItem) {
			a.Occurrences = max(a.Occurrences, d.Number)
			if a.Status == ActionAssigned {
				a.Status = ActionStarted
			}
		})
	case domain.ActionBlocked:
		return o.update(d.ActionID, d.At, func(a *ActionItem) { a.Status = ActionBlocked; a.BlockedReason = d.Reason })
	case domain.ActionCompleted:
		return o.update(d.ActionID, d.At, func(a *ActionItem) {
			a.Status = ActionCompleted
			a.Evidence = append(a.Evidence, d.Evidence...)
			a.Completed = d.At
			a.Percent = 100
		})
	case domain.ActionVerified:
		return o.update(d.ActionID, d.At, func(a *ActionItem) {
			a.Verifications = append(a.Verifications, Verification{Verifier: d.Verifier, Satisfied: d.Satisfied, Reason: d.Reason, At: d.At})
			s := d.Satisfied
			a.Satisfied = &s
			if d.Satisfied {
				a.Status = ActionVerified
			} else {
				a.Status = ActionReopened
				a.Reopened++
			}
		})
	case domain.ActionCancelled:
		return o.update(d.ActionID, d.At, func(a *ActionItem) { a.Status = ActionCancelled; a.CancelReason = d.Reason })
	}
	return nil
}

// update changes the action id, if the list has it, with f, and its head
// with it.
func (o *Outcomes) update(id string, at time.Time, f func(*ActionItem)) error {
	h := o.heads.head(id)
	if h == nil {
		return nil
	}
	a, err := o.items.named(id, true)
	if err != nil {
		return fmt.Errorf("outcomes: %w", err)
	}
	f(a)
	if at.After(a.Updated) {
		a.Updated = at
	}
	*h = o.headOf(a)
	return nil
}

// rank orders actions: 0 overdue or reopened, 1 other open, 2 completed
// and awaiting verification, 3 verified or cancelled.
func rank(status string, overdue bool) int {
	switch {
	case status == ActionReopened || overdue:
		return 0
	case actionOpen(status):
		return 1
	case status == ActionCompleted:
		return 2
	default:
		return 3
	}
}

// outcomeKey is an action's place in the list's order; a cursor encodes it.
type outcomeKey struct {
	rank int
	due  int64
	pos  eventstore.Position
}

func (k outcomeKey) compare(l outcomeKey) int {
	return cmp.Or(cmp.Compare(k.rank, l.rank), cmp.Compare(k.due, l.due), cmp.Compare(k.pos, l.pos))
}

func (k outcomeKey) cursor() string {
	return fmt.Sprintf("%d.%d.%d", k.rank, k.due, k.pos)
}

func parseOutcomeCursor(c string) (outcomeKey, bool) {
	parts := strings.Split(c, ".")
	if len(parts) != 3 {
		return outcomeKey{}, false
	}
	r, err1 := strconv.Atoi(parts[0])
	d, err2 := strconv.ParseInt(parts[1], 10, 64)
	p, err3 := strconv.ParseUint(parts[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return outcomeKey{}, false
	}
	return outcomeKey{r, d, eventstore.Position(p)}, true
}

// matcher returns what q filters by as a test of a head at now; nothing
// matches when q names a place, owner or status the list never saw.
func (o *Outcomes) matcher(q *OutcomesQuery, now int64) func(h *outcomeHead) bool {
	hs := &o.heads
	var f numbers
	community, grid, owner := f.of(&hs.places, q.CommunityID), f.of(&hs.places, q.GridID), f.of(&hs.places, q.OwnerID)
	status := f.of(&hs.words, q.Status)
	proposal, meeting := f.ident(&hs.others, q.ProposalID), f.ident(&hs.others, q.MeetingID)
	if f.none {
		return func(*outcomeHead) bool { return false }
	}
	return func(h *outcomeHead) bool {
		st := hs.words.name(h.status)
		return is(community, h.community) && is(grid, h.grid) && is(owner, h.owner) && is(status, h.status) &&
			(q.ProposalID == "" || h.ProposalID == proposal) && (q.MeetingID == "" || h.MeetingID == meeting) &&
			(!q.OpenOnly || actionOpen(st)) && (!q.OverdueOnly || h.overdue(st, now))
	}
}

// List returns one page of the actions that match q, overdue and reopened
// first (see OutcomesPage). A page's order is computed at q.Now, so pages
// of one listing must use the same Now.
func (o *Outcomes) List(q OutcomesQuery) (OutcomesPage, error) {
	o.mu.RLock()
	defer o.mu.RUnlock()
	type keyed struct {
		k  outcomeKey
		id ident
	}
	now := unixNano(q.Now)
	var found []keyed
	match := o.matcher(&q, now)
	list, all := o.heads.list(q.CommunityID, q.GridID)
	o.heads.each(list, all, 0, func(row *headRow[ident, outcomeHead]) bool {
		if match(&row.head) {
			found = append(found, keyed{o.key(&row.head, now), row.id})
		}
		return true
	})
	slices.SortFunc(found, func(a, b keyed) int { return a.k.compare(b.k) })
	start := 0
	if after, ok := parseOutcomeCursor(q.After); ok {
		start, _ = slices.BinarySearchFunc(found, after, func(e keyed, t outcomeKey) int {
			if e.k.compare(t) <= 0 {
				return -1
			}
			return 1
		})
	}
	limit := pageLimit(q.Limit)
	page := OutcomesPage{Items: []ActionItem{}}
	for _, f := range found[start:] {
		if len(page.Items) == limit {
			page.Next = found[start+limit-1].k.cursor()
			break
		}
		a, err := o.item(f.id.text(&o.heads.others), q.Now)
		if err != nil {
			return OutcomesPage{}, err
		}
		page.Items = append(page.Items, a)
	}
	return page, nil
}

// item returns a copy of the action id with its overdue flag at now. The
// caller holds the read lock.
func (o *Outcomes) item(id string, now time.Time) (ActionItem, error) {
	a, err := o.items.named(id, false)
	if err != nil {
		return ActionItem{}, fmt.Errorf("outcomes: %w", err)
	}
	c := a.clone()
	c.Overdue = !now.IsZero() && actionOpen(c.Status) && !c.Due.IsZero() && c.Due.Before(now)
	return c, nil
}

// check implements fixedHead.
func (h outcomeHead) check(r *rowsReader, d *headNames) {
	r.checkNumbers(d.places, h.community, h.grid, h.owner)
	r.checkNumbers(d.words, h.status)
	r.checkIdents(d.others, h.ProposalID, h.MeetingID)
}

// readBinary reads h as the rows of numbers held it (rowsMagic).
func (h *outcomeHead) readBinary(r *rowsReader, d *headNames) {
	h.community, h.grid, h.owner, h.status = r.number(d.places), r.number(d.places), r.number(d.places), r.number(d.words)
	h.ProposalID, h.MeetingID = r.ident(d.others), r.ident(d.others)
	h.Due, h.DueUnix, h.Position = r.varint(), r.varint(), r.position()
}
