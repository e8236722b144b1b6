package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
)

// storeFlag registers --store on fs: a data directory or a KurrentDB
// connection string, from YISHI_STORE or YISHI_DATA by default.
func storeFlag(fs *flag.FlagSet, getenv func(string) string) *string {
	def := envOr(getenv, "YISHI_STORE", envOr(getenv, "YISHI_DATA", "./data"))
	return fs.String("store", def, "data directory or kurrentdb:// connection string (env YISHI_STORE, YISHI_DATA)")
}

// verify re-computes every stream's hash chain over the whole log.
func verify(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	spec := storeFlag(fs, getenv)
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, desc, err := openStore(ctx, *spec)
	if err != nil {
		return err
	}
	defer closeStore(store, &err)
	fmt.Fprintf(stderr, "verifying %s\n", desc)
	rep, err := ledger.Verify(ctx, store, func(n uint64, at eventstore.Position) {
		fmt.Fprintf(stderr, "  %d events verified (position %d)\n", n, at)
	})
	var tamper *ledger.TamperError
	if errors.As(err, &tamper) {
		fmt.Fprintf(stdout, "FAILED after %d good events: %v\n", rep.Events, tamper)
		return fmt.Errorf("the ledger does not verify")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "OK: %d events in %d streams verified, head position %d\n", rep.Events, rep.Streams, rep.Head)
	return nil
}

func closeStore(s eventstore.Store, err *error) {
	if cerr := s.Close(); cerr != nil && *err == nil {
		*err = fmt.Errorf("close store: %w", cerr)
	}
}
