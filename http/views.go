package http

import (
	"context"

	"github.com/yishi-civic/yishi/eventstore"
)

// Views is what the HTTP layer needs of the projections runner.
type Views interface {
	// Ready reports whether the views have caught up with the log as it was
	// when they started.
	Ready() bool
	// Position is the global position every view has folded up to.
	Position() eventstore.Position
	// WaitFor blocks until the views have folded pos, or ctx ends.
	WaitFor(ctx context.Context, pos eventstore.Position) error
}
