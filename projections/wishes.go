package projections

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	gojson "github.com/goccy/go-json"

	"github.com/yishi-civic/yishi/domain"
)

// WishItem is one small wish (微心愿) as lists show it. The wish-maker is
// personal data the read policy drops whole from public answers (no name,
// no initial); the wish-maker's own words and door are not in the view.
type WishItem struct {
	WishID      string `json:"wish_id"`
	CommunityID string `json:"community_id"`
	GridID      string `json:"grid_id"`
	Title       string `json:"title"`
	Category    string `json:"category"`
	Status      string `json:"status"`
	// WishMaker is the person in need; PostedBy is who posted the wish
	// (the wish-maker, or a grid worker for them).
	WishMaker *WishMaker `json:"wish_maker,omitempty"`
	PostedAt  time.Time  `json:"posted_at"`
	// Claims counts the claims, Releases those given up; Claimer and As
	// are the current claim's (kept once fulfilled and confirmed).
	Claims      int           `json:"claims"`
	Releases    int           `json:"releases"`
	Claimer     *domain.Party `json:"claimer,omitempty"`
	As          string        `json:"as,omitempty"`
	ClaimedAt   time.Time     `json:"claimed_at,omitzero"`
	FulfilledAt time.Time     `json:"fulfilled_at,omitzero"`
	ConfirmedAt time.Time     `json:"confirmed_at,omitzero"`
	// Photos are the fulfilment's photo references.
	Photos  []string  `json:"photos,omitempty"`
	Updated time.Time `json:"updated"`
	// Mine and MyClaim are set for the reader a query names: the reader
	// made or posted the wish, or holds its claim.
	Mine    bool `json:"mine,omitempty"`
	MyClaim bool `json:"my_claim,omitempty"`
}

// WishMaker is who made a wish and who posted it for them.
type WishMaker struct {
	PersonID string `json:"person_id"`
	Name     string `json:"name"`
	PostedBy string `json:"posted_by"`
}

// wishBucket holds a grid's wish figures in one month: each counted in
// the month it happened.
type wishBucket struct {
	Community string `json:"c"`
	Grid      string `json:"g"`
	Month     string `json:"m"`
	Posted    int    `json:"p,omitempty"`
	Claimed   int    `json:"cl,omitempty"`
	Released  int    `json:"r,omitempty"`
	Fulfilled int    `json:"f,omitempty"`
	Confirmed int    `json:"cf,omitempty"`
	Cancelled int    `json:"x,omitempty"`
}

// WishFigures are the small wishes' figures of a set of grids over a
// period, each event counted in the month it happened: wishes posted,
// claims made and released, wishes fulfilled (the street office's "wishes
// fulfilled"), confirmed by their wish-makers, and cancelled.
type WishFigures struct {
	Posted    int `json:"posted"`
	Claimed   int `json:"claimed"`
	Released  int `json:"released"`
	Fulfilled int `json:"fulfilled"`
	Confirmed int `json:"confirmed"`
	Cancelled int `json:"cancelled"`
}

type wishesState struct {
	Wishes  map[string]*WishItem   `json:"wishes"`
	Buckets map[string]*wishBucket `json:"buckets"`
}

// Wishes holds every small wish and the wish figures per grid and month.
type Wishes struct {
	mu *sync.RWMutex
	st wishesState
}

func newWishes(mu *sync.RWMutex) *Wishes {
	return &Wishes{mu: mu, st: wishesState{Wishes: map[string]*WishItem{}, Buckets: map[string]*wishBucket{}}}
}

// Name implements View.
func (w *Wishes) Name() string { return "wishes" }

// Version implements View.
func (w *Wishes) Version() int { return 1 }

// MarshalSnapshot implements View.
func (w *Wishes) MarshalSnapshot() ([]byte, error) { return gojson.Marshal(&w.st) }

// UnmarshalSnapshot implements View.
func (w *Wishes) UnmarshalSnapshot(r io.Reader) error {
	var st wishesState
	if err := decodeSnapshot(r, &st); err != nil {
		return fmt.Errorf("wishes snapshot: %w", err)
	}
	if st.Wishes == nil || st.Buckets == nil {
		return fmt.Errorf("wishes snapshot: missing maps")
	}
	w.st = st
	return nil
}

func (w *Wishes) bucket(it *WishItem, at time.Time) *wishBucket {
	k := it.CommunityID + "\x00" + it.GridID + "\x00" + monthOf(at)
	b := w.st.Buckets[k]
	if b == nil {
		b = &wishBucket{Community: it.CommunityID, Grid: it.GridID, Month: monthOf(at)}
		w.st.Buckets[k] = b
	}
	return b
}

// Apply implements View.
func (w *Wishes) Apply(e Event) error {
	if d, ok := e.Data.(domain.WishPosted); ok {
		it := &WishItem{WishID: d.WishID, CommunityID: d.CommunityID, GridID: d.GridID, Title: d.Title, Category: d.Category,
			Status: domain.WishStatusOpen, WishMaker: &WishMaker{PersonID: d.WishMaker.PersonID, Name: d.WishMaker.Name, PostedBy: d.By},
			PostedAt: d.At, Updated: d.At}
		w.st.Wishes[d.WishID] = it
		w.bucket(it, d.At).Posted++
		return nil
	}
	it := w.wish(e.Data)
	if it == nil {
		return nil
	}
	switch d := e.Data.(type) {
	case domain.WishClaimed:
		c := d.Claimer
		it.Status, it.Claims, it.Claimer, it.As, it.ClaimedAt, it.Updated = domain.WishStatusClaimed, d.Claim, &c, d.As, d.At, d.At
		w.bucket(it, d.At).Claimed++
	case domain.WishReleased:
		it.Status, it.Releases, it.Claimer, it.As, it.ClaimedAt, it.Updated = domain.WishStatusOpen, it.Releases+1, nil, "", time.Time{}, d.At
		w.bucket(it, d.At).Released++
	case domain.WishFulfilled:
		it.Status, it.FulfilledAt, it.Photos, it.Updated = domain.WishStatusFulfilled, d.At, slices.Clone(d.Photos), d.At
		w.bucket(it, d.At).Fulfilled++
	case domain.WishConfirmed:
		it.Status, it.ConfirmedAt, it.Updated = domain.WishStatusConfirmed, d.At, d.At
		w.bucket(it, d.At).Confirmed++
	case domain.WishCancelled:
		it.Status, it.Updated = domain.WishStatusCancelled, d.At
		w.bucket(it, d.At).Cancelled++
	}
	return nil
}

// wish returns the wish an event is about, nil for other events.
func (w *Wishes) wish(ev domain.Event) *WishItem {
	var id string
	switch d := ev.(type) {
	case domain.WishClaimed:
		id = d.WishID
	case domain.WishReleased:
		id = d.WishID
	case domain.WishFulfilled:
		id = d.WishID
	case domain.WishConfirmed:
		id = d.WishID
	case domain.WishCancelled:
		id = d.WishID
	default:
		return nil
	}
	return w.st.Wishes[id]
}

// WishQuery selects wishes: of a community and grid, in a status; Reader,
// when set, is the id the reader acts as, for Mine and MyClaim (and for
// MineOnly: only the reader's own wishes and claims).
type WishQuery struct {
	CommunityID string
	GridID      string
	Status      string
	Reader      string
	MineOnly    bool
}

// wishRank orders a list: open wishes first, then claimed, fulfilled
// (awaiting confirmation), and the settled last.
var wishRank = map[string]int{domain.WishStatusOpen: 0, domain.WishStatusClaimed: 1, domain.WishStatusFulfilled: 2, domain.WishStatusConfirmed: 3}

// List lists the wishes q selects, open ones first, then by posting time
// (oldest first: they have waited longest).
func (w *Wishes) List(q WishQuery) []WishItem {
	w.mu.RLock()
	defer w.mu.RUnlock()
	var out []WishItem
	for _, it := range w.st.Wishes {
		if (q.CommunityID != "" && it.CommunityID != q.CommunityID) || (q.GridID != "" && it.GridID != q.GridID) || (q.Status != "" && it.Status != q.Status) {
			continue
		}
		c := *it
		if c.WishMaker != nil {
			m := *c.WishMaker
			c.WishMaker = &m
		}
		if c.Claimer != nil {
			p := *c.Claimer
			c.Claimer = &p
		}
		c.Photos = slices.Clone(c.Photos)
		if q.Reader != "" {
			c.Mine = c.WishMaker != nil && (c.WishMaker.PersonID == q.Reader || c.WishMaker.PostedBy == q.Reader)
			c.MyClaim = c.Claimer != nil && c.Claimer.ID == q.Reader
		}
		if q.MineOnly && !c.Mine && !c.MyClaim {
			continue
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b WishItem) int {
		return cmp.Or(cmp.Compare(rankOf(wishRank, a.Status), rankOf(wishRank, b.Status)), a.PostedAt.Compare(b.PostedAt), cmp.Compare(a.WishID, b.WishID))
	})
	return out
}

// Figures sums the wish figures of the grids and months q selects. The
// street office's "wishes fulfilled" is Fulfilled.
func (w *Wishes) Figures(q StatsQuery) WishFigures {
	w.mu.RLock()
	defer w.mu.RUnlock()
	var f WishFigures
	for _, b := range w.st.Buckets {
		if !q.selects(b.Community, b.Grid, b.Month) {
			continue
		}
		f.Posted += b.Posted
		f.Claimed += b.Claimed
		f.Released += b.Released
		f.Fulfilled += b.Fulfilled
		f.Confirmed += b.Confirmed
		f.Cancelled += b.Cancelled
	}
	return f
}
