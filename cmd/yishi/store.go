package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent"
	"github.com/yishi-civic/yishi/eventstore/pebble"
)

// openStore opens the store spec names: a KurrentDB connection string
// (kurrentdb://, kdb:// or esdb://, see kurrent.ParseConnectionString) or
// else the data directory of the embedded store. It also returns a
// description for output, with any password masked. opts apply to the
// embedded store; every command keeps the same ballast (see
// pebble.WithSpace), so that any of them can release it on a full disk.
func openStore(ctx context.Context, spec string, opts ...pebble.Option) (eventstore.Store, string, error) {
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
	s, err := pebble.Open(spec, append([]pebble.Option{pebble.WithSpace(0, ballastBytes)}, opts...)...)
	if err != nil {
		return nil, desc, fmt.Errorf("open %s: %w", desc, err)
	}
	return s, desc, nil
}

// storeRetry is the pause between two attempts of openStoreWaiting.
const storeRetry = time.Second

// openStoreWaiting is openStore for serve: while the store is unavailable
// (a KurrentDB node that answers /health/live but does not serve yet, a
// cluster still electing its leader) it logs and tries again every
// storeRetry, until wait has passed or ctx ends.
func openStoreWaiting(ctx context.Context, spec string, wait time.Duration, log *slog.Logger, opts ...pebble.Option) (eventstore.Store, string, error) {
	giveUp := time.Now().Add(wait)
	for {
		s, desc, err := openStore(ctx, spec, opts...)
		if err == nil || !errors.Is(err, eventstore.ErrUnavailable) || time.Now().Add(storeRetry).After(giveUp) {
			return s, desc, err
		}
		log.Warn("store unavailable, trying again", "store", desc, "error", err.Error(), "retry_in", storeRetry.String())
		t := time.NewTimer(storeRetry)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, desc, fmt.Errorf("open %s: %w", desc, ctx.Err())
		case <-t.C:
		}
	}
}

// openStoreReadOnly opens the store spec names for reading only: an
// embedded store's files stay byte for byte as they were (see
// pebble.ReadOnly), so auditors can run verify, seal sign and export on an
// evidence copy. A KurrentDB store is only read through its client.
func openStoreReadOnly(ctx context.Context, spec string) (eventstore.Store, string, error) {
	s, desc, err := openStore(ctx, spec, pebble.ReadOnly())
	if err == nil && !kurrent.IsConnectionString(spec) {
		desc += " (read-only)"
	}
	return s, desc, err
}

// ballastBytes is the space the embedded store keeps in reserve in its data
// directory, released when the disk fills up (docs/hardening.md).
const ballastBytes = 32 << 20
