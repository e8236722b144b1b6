// Package projections folds the event log into the views people read: the
// open-issues board (民情账本), the decision register (公示栏), the outcomes
// list (行动清单), the timeline of one proposal, statistics, the live
// state of a meeting, and the directory of places. Each view is a pure
// fold in its own file; runner.go owns the subscription, the order of
// events, snapshots with checkpoints, rebuilds, read-your-writes and views
// as of a past point. Nothing here decides anything: the domain decides,
// projections fold.
package projections

import (
	"io"
	"sync"
	"time"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// Event is one decoded event as the views see it: the envelope's place and
// time plus the domain event, decoded once by the runner.
type Event struct {
	// Stream is the stream the event belongs to.
	Stream string
	// Revision is the event's place in its stream.
	Revision uint64
	// Position is the event's place in the global log.
	Position eventstore.Position
	// Type is the stored, versioned event type.
	Type string
	// Recorded is when the event was recorded (eventstore.Event.Recorded).
	Recorded time.Time
	// Actor is the envelope's actor, if any.
	Actor string
	// Data is the decoded domain event (a struct value such as
	// domain.ProposalSubmitted).
	Data domain.Event

	// ref names the stored event (id and chain hash), for the snapshots'
	// identity.
	ref eventRef
}

// View is a fold of the event log that the Runner feeds. Apply is called
// with every domain event in global order, from one goroutine, while the
// view set's write lock is held; the query methods of a view take the read
// lock. A view's snapshot is its whole state; Version changes whenever the
// fold's code changes in a way that makes old snapshots wrong, which makes
// the runner rebuild that view from the start of the log.
type View interface {
	// Name is the view's stable name; its snapshot file is named after it.
	Name() string
	// Version is the fold's code version.
	Version() int
	// Apply folds one event. An error stops the runner at that event.
	Apply(e Event) error
	// MarshalSnapshot encodes the view's state.
	MarshalSnapshot() ([]byte, error)
	// UnmarshalSnapshot replaces the view's state with the snapshot r
	// holds, read to its end (decodeSnapshot). On any error, the reader's
	// included (a damaged snapshot fails its checksum at the end), the view
	// keeps its state.
	UnmarshalSnapshot(r io.Reader) error
}

// Views is one consistent set of views, all folded up to the same position.
// The runner's live set changes with every event; a set returned by AsOf
// never changes. Query methods are safe for concurrent use and return
// copies.
type Views struct {
	// Board is the open-issues board (民情账本).
	Board *Board
	// Register is the decision register (公示栏).
	Register *Register
	// Outcomes is the outcomes list (行动清单).
	Outcomes *Outcomes
	// Timeline holds the story of every proposal.
	Timeline *Timeline
	// Stats holds statistics per grid, community and month.
	Stats *Stats
	// Live holds the live state of every meeting.
	Live *Live
	// Directory holds every community's name, grids and compounds.
	Directory *Directory
	// Resources is the resource map (资源图谱): who can help.
	Resources *Resources
	// Services holds volunteer service orders and points accounts.
	Services *Services
	// Wishes holds the small wishes (微心愿) and their figures.
	Wishes *Wishes
	// Notifications is the outbox: inboxes, settings, deliveries due.
	Notifications *Notifications

	mu  *sync.RWMutex
	all []View
	// pos is the position the set has folded up to, at the event it names;
	// guarded by mu.
	pos eventstore.Position
	at  eventRef
}

// NewViews returns an empty set of every view.
func NewViews() *Views {
	mu := new(sync.RWMutex)
	v := &Views{
		Board:     newBoard(mu),
		Register:  newRegister(mu),
		Outcomes:  newOutcomes(mu),
		Timeline:  newTimeline(mu),
		Stats:     newStats(mu),
		Live:      newLive(mu),
		Directory: newDirectory(mu),
		Resources: newResources(mu),
		Services:  newServices(mu),
		Wishes:    newWishes(mu),
		mu:        mu,
	}
	v.Notifications = newNotifications(mu)
	v.all = []View{v.Board, v.Register, v.Outcomes, v.Timeline, v.Stats, v.Live, v.Directory, v.Resources, v.Services, v.Wishes, v.Notifications}
	return v
}

// ReadFrom makes views made by NewViews read what they keep as positions
// (stories' steps, inboxes, published meetings) from store's log, decoded
// as NewDecoder decodes; the runner's views read from its own store.
func (v *Views) ReadFrom(store eventstore.Store) {
	v.readWith(logReader(store, NewDecoder().Decode))
}

// readWith gives every view that keeps positions its reader of the log.
func (v *Views) readWith(read LogReader) {
	v.Timeline.read, v.Notifications.read, v.Live.read = read, read, read
}

// Position is the global position the set has folded up to.
func (v *Views) Position() eventstore.Position {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.pos
}

// List returns the set's views in the order the runner feeds them.
func (v *Views) List() []View { return v.all }
