package main

import (
	"context"
	"fmt"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent"
	"github.com/yishi-civic/yishi/eventstore/pebble"
)

// openStore opens the store spec names: a KurrentDB connection string
// (kurrentdb://, kdb:// or esdb://, see kurrent.ParseConnectionString) or
// else the data directory of the embedded store. It also returns a
// description for output, with any password masked.
func openStore(ctx context.Context, spec string) (eventstore.Store, string, error) {
	if spec == "" {
		return nil, "", fmt.Errorf("no store given: want a data directory or a kurrentdb:// connection string")
	}
	if kurrent.IsConnectionString(spec) {
		desc := "KurrentDB at " + kurrent.Redact(spec)
		s, err := kurrent.Open(ctx, spec)
		if err != nil {
			return nil, desc, fmt.Errorf("open %s: %w", desc, err)
		}
		return s, desc, nil
	}
	desc := "embedded store in " + spec
	s, err := pebble.Open(spec)
	if err != nil {
		return nil, desc, fmt.Errorf("open %s: %w", desc, err)
	}
	return s, desc, nil
}
