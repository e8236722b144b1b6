package projections

import (
	"sync"

	"github.com/yishi-civic/yishi/eventstore"
)

// item is one delivery on its way from the subscription, where it is
// decoded, to the fold.
type item struct {
	// e is the decoded event; e.Data is nil for a checkpoint.
	e Event
	// pos is the event's position or the checkpoint's.
	pos      eventstore.Position
	caughtUp bool
	// err is the decoding failure of the event at pos.
	err error
}

// maxPending bounds the items waiting for the fold; the subscription waits
// when the fold is that far behind.
const maxPending = 4096

// pipe hands items from the subscription goroutine to the folding
// goroutine in order, in batches of whatever has arrived, so that decoding
// and folding run on two cores and the views' lock is taken once per batch.
type pipe struct {
	mu      sync.Mutex
	items   []item
	closed  bool // no more items will come
	stopped bool // the fold stopped; pushes fail
	wake    chan struct{}
	room    chan struct{}
}

func newPipe() *pipe {
	return &pipe{wake: make(chan struct{}, 1), room: make(chan struct{}, 1)}
}

func signal(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// push queues it, waiting while the queue is full. It reports false once
// the fold has stopped.
func (p *pipe) push(it item) bool {
	p.mu.Lock()
	for len(p.items) >= maxPending && !p.stopped {
		p.mu.Unlock()
		<-p.room
		p.mu.Lock()
	}
	if p.stopped {
		p.mu.Unlock()
		return false
	}
	p.items = append(p.items, it)
	first := len(p.items) == 1
	p.mu.Unlock()
	if first {
		signal(p.wake)
	}
	return true
}

// close says that no more items will come.
func (p *pipe) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	signal(p.wake)
}

// take returns the items queued so far, giving back spare for reuse, and
// waits while there are none. It returns nil once the pipe is closed and
// empty.
func (p *pipe) take(spare []item) []item {
	for {
		p.mu.Lock()
		if len(p.items) > 0 {
			batch := p.items
			p.items = spare[:0]
			p.mu.Unlock()
			signal(p.room)
			return batch
		}
		closed := p.closed
		p.mu.Unlock()
		if closed {
			return nil
		}
		<-p.wake
	}
}

// stop makes every later push fail and releases a waiting pusher.
func (p *pipe) stop() {
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	signal(p.room)
}
