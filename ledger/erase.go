package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/privacy"
)

// ErrNoSealer is returned by Erase on a ledger built without WithSealer:
// it has no keys to destroy.
var ErrNoSealer = errors.New("the ledger keeps no keys of personal data")

// ErasureKey is the key an erasure of subject id destroys.
func ErasureKey(subject, id string) string {
	if subject == domain.EraseItem {
		return privacy.ItemKey(id)
	}
	return privacy.PersonKey(id)
}

// Erase records cmd's erasure (domain.DataErased), erases the photos only
// the erased person or item referred to (WithPhotos), and then destroys its
// key, so that every copy of the data, everywhere, reads as erased; the
// ledger's decoded streams are dropped. Erasing what was erased already
// appends nothing and destroys the key again (a crash between the two
// steps is finished by the second call). Returns the domain's refusal for
// an invalid command and ErrNoSealer without a sealer. Views need no
// rebuild: they keep personal data sealed, opened when read.
func (l *Ledger) Erase(ctx context.Context, cmd domain.EraseData, actor Actor, opts Options) (Result, error) {
	if l.seal == nil {
		return Result{}, ErrNoSealer
	}
	res, err := l.executeErasure(ctx, cmd, actor, opts)
	at := l.now()
	switch {
	case domain.ErrorReason(err) == "already_erased":
		res, err = Result{Stream: cmd.Stream(), Replayed: true}, nil
	case err != nil:
		return Result{}, err
	case len(res.Events) > 0:
		if d, ok := res.Events[0].(domain.DataErased); ok {
			at = d.At
		}
	}
	// The photos go first, while the references to them still open; a
	// crash after them and before the key is finished by the next call.
	if err := l.erasePhotosOf(ctx, at, ErasureKey(cmd.Subject, cmd.ID)); err != nil {
		return res, fmt.Errorf("erase %s %s: %w", cmd.Subject, cmd.ID, err)
	}
	if err := l.seal.Erase(ctx, at, ErasureKey(cmd.Subject, cmd.ID)); err != nil {
		return res, fmt.Errorf("erase %s %s: %w", cmd.Subject, cmd.ID, err)
	}
	l.Forget()
	return res, nil
}

// ApplyErasures destroys, again, the key of every erasure the log records:
// the ledger is the authority on what was erased, so a key store restored
// from an older backup cannot bring an erased person back. Then it sweeps
// the attachment store (SweepPhotos, keeping uploads younger than
// PhotoGrace), so that such a key store cannot bring an erased photo back
// either. It returns how many erasures the log holds.
func (l *Ledger) ApplyErasures(ctx context.Context) (int, error) {
	if l.seal == nil {
		return 0, nil
	}
	n := 0
	head, err := l.head(ctx)
	if err != nil {
		return 0, fmt.Errorf("apply erasures: %w", err)
	}
	for ev, err := range l.store.ReadAll(ctx, eventstore.ReadAllOptions{Filter: erasureFilter}) {
		if err != nil {
			return n, fmt.Errorf("apply erasures: %w", err)
		}
		e, err := domain.Decode(ev.Type, ev.Data)
		if err != nil {
			return n, fmt.Errorf("apply erasures: %s@%d: %w", ev.Stream, ev.Revision, err)
		}
		d, ok := e.(domain.DataErased)
		if !ok {
			continue
		}
		if err := l.seal.Erase(ctx, d.At, ErasureKey(d.Subject, d.ID)); err != nil {
			return n, fmt.Errorf("apply erasures: %w", err)
		}
		n++
	}
	l.erasures.appliedThrough(head)
	l.Forget()
	now := l.now()
	if _, err := l.SweepPhotos(ctx, now, now.Add(-PhotoGrace)); err != nil {
		return n, fmt.Errorf("apply erasures: %w", err)
	}
	return n, nil
}

// executeErasure executes cmd between erasures.begin and done, done also
// when Execute panics, so that the follower never waits for it forever.
func (l *Ledger) executeErasure(ctx context.Context, cmd domain.EraseData, actor Actor, opts Options) (res Result, err error) {
	l.erasures.begin()
	settled := false
	defer func() {
		if !settled {
			l.erasures.done(0, false)
		}
	}()
	res, err = l.Execute(ctx, cmd, actor, opts)
	l.erasures.done(res.Own, err == nil && len(res.Events) > 0)
	settled = true
	return res, err
}

// erasureFilter selects the erasures of the log.
var erasureFilter = eventstore.Filter{StreamPrefixes: []string{"erasure-"}, TypePrefixes: []string{"erasure."}}

// erasureLog is what a ledger knows of the erasures it applied itself.
type erasureLog struct {
	mu sync.Mutex
	// through is the log's head when ApplyErasures last started: every
	// erasure up to it was applied (set: ApplyErasures ran).
	through eventstore.Position
	set     bool
	// here holds the positions of the erasures Erase recorded, which
	// FollowErasures need not apply again.
	here map[eventstore.Position]bool
	// pending counts the Erase calls between their append and done
	// (or their failure); settled is signalled when it drops, so that the
	// follower, meeting an erasure while one is pending, waits to learn
	// whether it was made here.
	pending int
	settled *sync.Cond
}

// begin counts an Erase about to append; done(pos, true) records the
// erasure it appended at pos, done(0, false) one that appended nothing.
func (e *erasureLog) begin() {
	e.mu.Lock()
	e.pending++
	e.mu.Unlock()
}

func (e *erasureLog) done(pos eventstore.Position, appended bool) {
	e.mu.Lock()
	if appended {
		if e.here == nil {
			e.here = map[eventstore.Position]bool{}
		}
		e.here[pos] = true
	}
	e.pending--
	if e.settled != nil {
		e.settled.Broadcast()
	}
	e.mu.Unlock()
}

func (e *erasureLog) appliedThrough(pos eventstore.Position) {
	e.mu.Lock()
	e.through, e.set = max(e.through, pos), true
	e.mu.Unlock()
}

// takeHere reports whether the erasure at pos was made here, forgetting it;
// while an Erase is between its append and its record it waits for it.
func (e *erasureLog) takeHere(pos eventstore.Position) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.settled == nil {
		e.settled = sync.NewCond(&e.mu)
	}
	for e.pending > 0 && !e.here[pos] {
		e.settled.Wait()
	}
	if e.here[pos] {
		delete(e.here, pos)
		return true
	}
	return false
}

// head returns the position of the log's last event (0 when empty).
func (l *Ledger) head(ctx context.Context) (eventstore.Position, error) {
	var head eventstore.Position
	for ev, err := range l.store.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End, Max: 1}) {
		if err != nil {
			return 0, fmt.Errorf("read the log's head: %w", err)
		}
		head = ev.Position
	}
	return head, nil
}

// FollowErasures applies, as they are appended, the erasures recorded by
// anyone else sharing the log (another replica, yishi person erase, another
// process's retention job): for each it erases the photos only the erased
// person or item referred to, destroys the key in this process's key store
// and caches (with a shared key store the tombstone is written again, which
// changes nothing if the recording process got that far), drops the
// decoded streams, and then calls followed. It starts after the log's head as ApplyErasures last saw it (or
// as it is now, if ApplyErasures never ran). Erasures this ledger made with
// Erase are skipped: Erase did all of it already. It runs until ctx ends
// and returns ctx's error or the store's; without a sealer it returns nil
// at once.
func (l *Ledger) FollowErasures(ctx context.Context, followed func(d domain.DataErased, pos eventstore.Position)) error {
	if l.seal == nil {
		return nil
	}
	l.erasures.mu.Lock()
	from, set := l.erasures.through, l.erasures.set
	l.erasures.mu.Unlock()
	if !set {
		var err error
		if from, err = l.head(ctx); err != nil {
			return fmt.Errorf("follow erasures: %w", err)
		}
	}
	for dl, err := range l.store.Subscribe(ctx, eventstore.SubscribeOptions{After: from, Filter: erasureFilter}) {
		if err != nil {
			return fmt.Errorf("follow erasures: %w", err)
		}
		if dl.Event == nil || l.erasures.takeHere(dl.Position) {
			continue
		}
		e, err := domain.Decode(dl.Event.Type, dl.Event.Data)
		if err != nil {
			return fmt.Errorf("follow erasures: %s@%d: %w", dl.Event.Stream, dl.Event.Revision, err)
		}
		d, ok := e.(domain.DataErased)
		if !ok {
			continue
		}
		key := ErasureKey(d.Subject, d.ID)
		if err := l.erasePhotosOf(ctx, d.At, key); err != nil {
			return fmt.Errorf("follow erasures: %s %s: %w", d.Subject, d.ID, err)
		}
		if err := l.seal.Erase(ctx, d.At, key); err != nil {
			return fmt.Errorf("follow erasures: %s %s: %w", d.Subject, d.ID, err)
		}
		l.Forget()
		followed(d, dl.Position)
	}
	return ctx.Err()
}
