package kurrent

import (
	"context"
	"fmt"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"golang.org/x/sync/errgroup"

	"github.com/yishi-civic/yishi/eventstore"
)

// readsInFlight bounds the one-event reads ReadAt has in flight: each is a
// round trip to the server.
const readsInFlight = 8

// ReadAt returns the events at positions, in the order given: a read of
// $all from each position that asks the server for one record (ReadAll,
// which filters on this side, must ask for the rest of the log and stop
// the stream), up to readsInFlight at a time. A position that holds no
// event of Yishi's (none, a system record, another application's) fails
// with eventstore.ErrNoEventAt. See eventstore.PositionReader.
func (s *Store) ReadAt(ctx context.Context, positions []eventstore.Position) ([]eventstore.Event, error) {
	c, err := s.begin()
	if err != nil {
		return nil, fmt.Errorf("read at positions: %w", err)
	}
	defer c.calls.Done()
	ctx, cancel := s.withLife(ctx)
	defer cancel()
	evs := make([]eventstore.Event, len(positions))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readsInFlight)
	for i, p := range positions {
		g.Go(func() error {
			if p != eventstore.Start {
				commit := toCommit(p)
				ro := esdb.ReadAllOptions{Direction: esdb.Forwards, From: esdb.Position{Commit: commit, Prepare: commit}}
				for e, err := range s.readAll(gctx, c, ro, 1) {
					if err != nil {
						return fmt.Errorf("read at position %d: %w", p, err)
					}
					if e.Position == p {
						evs[i] = e
						return nil
					}
				}
			}
			return fmt.Errorf("read at position %d: %w", p, eventstore.ErrNoEventAt)
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return evs, nil
}
