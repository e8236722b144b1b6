package http

import (
	"cmp"
	"context"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/google/uuid"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/projections"
)

// How the public first pages are prepared ahead of their reads
// (PrepareAnswers).
const (
	// prepareBatch is how many proposals' ids a pass takes from the board
	// at a time (under the views' read lock).
	prepareBatch = 64
	// prepareShare bounds the preparing's share of one core: after each
	// page it rests (prepareShare-1) times as long as the page took.
	prepareShare = 4
	// prepareBusyRest is how long it rests while requests are being
	// answered: the readers come first.
	prepareBusyRest = 5 * time.Millisecond
	// preparePause is the rest between two passes.
	preparePause = time.Minute
	// prepareNewest is how many proposals a pass goes over, the newest
	// first: the stories residents read (the board's, the ones their
	// notifications link to) are mostly recent. A page costs 0.6–1.4 ms
	// of CPU to make and about 2 KB of shelf: at one million events the
	// newest 8,192 took 5.0–8.2 s of CPU and 15 MB, whatever the ledger's
	// size.
	prepareNewest = 8192
)

// preparedPage is what a prepared first page was made from: the story's
// length and last step, the sealer's generation, and the epoch of the
// shelf's files it was kept in.
type preparedPage struct {
	steps int
	last  eventstore.Position
	gen   uint64
	epoch uint64
}

// PrepareAnswers keeps the public first page of the newest proposals'
// timelines (prepareNewest of them) on the answer shelf (Config.Answers)
// ahead of their first read, until ctx ends: a story read for the first
// time costs up to a millisecond and more of CPU (its steps read from the
// log, its sealed fields opened, its answer masked), which a burst of
// first reads does not have (docs/performance.md, twenty-ninth session).
// Once the views have caught up, it goes over the board's newest
// proposals, then again every preparePause for the new ones, the stories
// that grew, and after an erasure (which empties the shelf). It works in
// the server's idle time: while requests are being worked on it waits
// (Server.busy), and after each proposal it rests three times as long as
// the proposal took. The pages it cannot make are logged, once a pass,
// and left to their first reads. Without a shelf or views it returns at
// once.
func (s *Server) PrepareAnswers(ctx context.Context) {
	if s.cfg.Answers == nil || s.cfg.Runner == nil {
		return
	}
	if err := s.cfg.Runner.WaitCaughtUp(ctx); err != nil {
		if ctx.Err() == nil {
			s.log.Warn("public first pages not prepared: the views did not catch up", "err", err)
		}
		return
	}
	prepared := map[string]preparedPage{}
	for {
		if _, err := s.preparePass(ctx, prepared, true); err != nil {
			return // ctx ended
		}
		if err := rest(ctx, preparePause); err != nil {
			return
		}
	}
}

// preparePass goes once over the board's newest proposals and puts on the shelf
// the public first page of each whose story or the sealer's generation
// changed since prepared says, pacing itself when pace is set, and leaves
// in prepared only the proposals it went over. It returns how many pages
// it made, and ctx's error when ctx ended.
func (s *Server) preparePass(ctx context.Context, prepared map[string]preparedPage, pace bool) (int, error) {
	made, failed := 0, 0
	var firstErr error
	visited := make(map[string]bool, len(prepared))
	views := s.cfg.Runner.Views()
	for seen := 0; seen < prepareNewest; {
		ids := views.Board.Proposals(seen, min(prepareBatch, prepareNewest-seen))
		if len(ids) == 0 {
			break
		}
		seen += len(ids)
		for _, id := range ids {
			visited[id] = true
			for pace && s.busy.Load() > 0 {
				if err := rest(ctx, prepareBusyRest); err != nil {
					return made, err
				}
			}
			start := time.Now()
			did, err := s.preparePage(ctx, views, id, prepared)
			if ctx.Err() != nil {
				return made, ctx.Err()
			}
			switch {
			case err != nil:
				failed++
				firstErr = cmp.Or(firstErr, err)
			case did:
				made++
			}
			if pace {
				if err := rest(ctx, (prepareShare-1)*time.Since(start)); err != nil {
					return made, err
				}
			}
		}
	}
	for id := range prepared {
		if !visited[id] {
			delete(prepared, id) // no longer among the newest
		}
	}
	if failed > 0 {
		s.log.Warn("public first pages not prepared: their first reads make them", "pages", failed, "first_err", firstErr)
	}
	return made, nil
}

// preparePage puts on the shelf the public first page of proposal id's
// timeline, at the default page size, as getTimeline answers an anonymous
// read of it, unless prepared (or the shelf) has it as the story is now.
// It reports whether it made the page.
func (s *Server) preparePage(ctx context.Context, views *projections.Views, id string, prepared map[string]preparedPage) (made bool, err error) {
	defer func() {
		if r := recover(); r != nil { // as a read's would be: one page not made, not the server down
			made, err = false, wrapPrepare(id, fmt.Errorf("panic: %v\n%s", r, debug.Stack()))
		}
	}()
	if u, err := uuid.Parse(id); err != nil || u.String() != id {
		return false, nil // not an id a read can ask for (pathID)
	}
	steps, last, ok, err := views.Timeline.Length(id)
	if err != nil || !ok {
		return false, wrapPrepare(id, err)
	}
	gen := s.sealerGeneration()
	epoch, keeps := s.cfg.Answers.Keeps(gen)
	if !keeps {
		return false, nil // the shelf is made again after a wipe, or stopped
	}
	now := preparedPage{steps: steps, last: last, gen: gen, epoch: epoch}
	if prepared[id] == now {
		return false, nil
	}
	community, grid, err := s.proposalPlace(ctx, views, id)
	if err != nil {
		return false, wrapPrepare(id, err)
	}
	shelfKey, version := shelfKeyOf(id, projections.DefaultLimit), timelineVersion(steps, last)
	b, ok, err := s.cfg.Answers.Get(gen, shelfKey, version)
	if err != nil {
		return false, wrapPrepare(id, err)
	}
	if ok && answerObject(b) {
		prepared[id] = now
		return false, nil
	}
	story, ok, err := views.Timeline.Of(ctx, id, "", projections.DefaultLimit)
	if err != nil || !ok {
		return false, wrapPrepare(id, err)
	}
	public := principal{open: s.opener(ctx)}.reader() // anonymous: masked
	if b, err = public.Answer(community, grid, story); err != nil {
		return false, wrapPrepare(id, err)
	}
	if err := s.cfg.Answers.Put(gen, shelfKey, version, b); err != nil {
		return false, wrapPrepare(id, err)
	}
	if e, ok := s.cfg.Answers.Keeps(gen); !ok || e != epoch {
		return false, nil // a wipe meanwhile: made again in the next pass
	}
	prepared[id] = now
	s.metrics.prepared.Inc()
	return true, nil
}

// wrapPrepare says which proposal's page err kept from being prepared
// (nil for nil).
func wrapPrepare(id string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("prepare the public first page of %s: %w", id, err)
}

// rest waits for d, or until ctx ends (returning its error).
func rest(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
