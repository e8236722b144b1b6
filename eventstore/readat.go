package eventstore

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sync/errgroup"
)

// ErrNoEventAt is returned by ReadAt for a position that holds no event.
var ErrNoEventAt = errors.New("no event at this position")

// PositionReader is implemented by stores that read events at given global
// positions in one call: the embedded store (one iterator over ascending
// positions), KurrentDB (a one-record read of $all for each).
type PositionReader interface {
	// ReadAt returns the events at positions, in the order given. It fails
	// with ErrNoEventAt when a position holds no event.
	ReadAt(ctx context.Context, positions []Position) ([]Event, error)
}

// readsInFlight bounds the one-event reads ReadAt has in flight on a
// store without a PositionReader.
const readsInFlight = 8

// ReadAt returns the events of s at positions, in the order given: with
// the store's own PositionReader when it has one, else with reads of the
// global log from each position, one event long, up to readsInFlight at a
// time. Views that keep only positions (the projections' timeline) read
// the details so. It fails with ErrNoEventAt when a position holds no
// event.
func ReadAt(ctx context.Context, s Store, positions []Position) ([]Event, error) {
	if pr, ok := s.(PositionReader); ok {
		return pr.ReadAt(ctx, positions)
	}
	evs := make([]Event, len(positions))
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(readsInFlight)
	for i, p := range positions {
		g.Go(func() error {
			for e, err := range s.ReadAll(ctx, ReadAllOptions{From: p, Max: 1}) {
				if err != nil {
					return fmt.Errorf("read the event at %d: %w", p, err)
				}
				if e.Position == p {
					evs[i] = e
					return nil
				}
			}
			return fmt.Errorf("read the event at %d: %w", p, ErrNoEventAt)
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return evs, nil
}
