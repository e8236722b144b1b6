package eventstore

import (
	"context"
	"errors"
	"fmt"
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

// ReadAt returns the events of s at positions, in the order given: with
// the store's own PositionReader when it has one (both of Yishi's stores
// do), else with a read of the global log from each position, one event
// long, one after the other. Views that keep only positions (the
// projections' timeline) read the details so. It fails with ErrNoEventAt
// when a position holds no event.
func ReadAt(ctx context.Context, s Store, positions []Position) ([]Event, error) {
	if pr, ok := s.(PositionReader); ok {
		return pr.ReadAt(ctx, positions)
	}
	evs := make([]Event, 0, len(positions))
	for _, p := range positions {
		n := len(evs)
		for e, err := range s.ReadAll(ctx, ReadAllOptions{From: p, Max: 1}) {
			if err != nil {
				return nil, fmt.Errorf("read the event at %d: %w", p, err)
			}
			if e.Position == p {
				evs = append(evs, e)
			}
		}
		if len(evs) == n {
			return nil, fmt.Errorf("read the event at %d: %w", p, ErrNoEventAt)
		}
	}
	return evs, nil
}
