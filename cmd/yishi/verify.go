package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/projections"
	"github.com/yishi-civic/yishi/seal"
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
	checkpoint := fs.String("checkpoint", "", "also check a signed checkpoint from yishi seal sign")
	vkeyFile := fs.String("vkey", "", "the verifier key file of the checkpoint's signer; on a re-sealed ledger (yishi reseal), the server's, to check its note")
	views := fs.Bool("views", false, "also rebuild every view from the log and compare it with the projection snapshots and with the views a server would serve from them")
	snapshots := fs.String("snapshots", "", "the projection snapshots for --views (default: STORE/projections for a data directory)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *views && *snapshots == "" {
		if kurrent.IsConnectionString(*spec) {
			return fmt.Errorf("--views on KurrentDB needs --snapshots, the server's DATA/projections directory")
		}
		*snapshots = filepath.Join(*spec, "projections")
	}
	var cp *seal.Checkpoint
	if *checkpoint != "" {
		c, err := openCheckpoint(*checkpoint, *vkeyFile)
		if err != nil {
			return err
		}
		cp = &c
	}
	store, desc, err := openStoreReadOnly(ctx, *spec)
	if err != nil {
		return err
	}
	defer closeStore(store, &err)
	fmt.Fprintf(stderr, "verifying %s\n", desc)
	start := time.Now()
	bar := newProgress(stderr, -1, "verifying")
	rep, err := ledger.Verify(ctx, store, func(n uint64, _ eventstore.Position) {
		_ = bar.Set64(int64(n)) // it only fails on a closed writer
	})
	_ = bar.Finish()
	var tamper *ledger.TamperError
	if errors.As(err, &tamper) {
		fmt.Fprintf(stdout, "FAILED after %d good events: %v\n", rep.Events, tamper)
		return fmt.Errorf("the ledger does not verify")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "OK: %d events in %d streams verified, head position %d, in %s\n", rep.Events, rep.Streams, rep.Head, time.Since(start).Round(time.Millisecond))
	if rep.Dense {
		fmt.Fprintf(stdout, "OK: positions run from 1 to %d without a gap\n", rep.Head)
	}
	if n := rep.Schemes[ledger.HashSchemeV1]; n > 0 {
		fmt.Fprintf(stdout, "note: %d events were written before hash scheme %d and their hashes do not cover their recorded time; %d do\n",
			n, ledger.HashSchemeV2, rep.Events-n)
	}
	if n := rep.Schemes[ledger.HashSchemeV1] + rep.Schemes[ledger.HashSchemeV2]; n > 0 {
		fmt.Fprintf(stdout, "note: %d events were written before hash scheme %d and their hashes carry no salt\n", n, ledger.HashSchemeV3)
	}
	if err := reportReseal(ctx, store, *vkeyFile, stdout); err != nil {
		return err
	}
	if cp != nil {
		bar := newProgress(stderr, cp.Size, "hashing")
		err = seal.Check(ctx, store, *cp, func(n int64) { _ = bar.Set64(n) })
		_ = bar.Finish()
		if errors.Is(err, seal.ErrMismatch) {
			fmt.Fprintf(stdout, "FAILED: checkpoint of %q (%d events): %v\n", cp.Origin, cp.Size, err)
			return fmt.Errorf("the ledger does not match the checkpoint")
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "OK: the first %d events match the checkpoint signed for %q (root %s)\n", cp.Size, cp.Origin, cp.Root)
	}
	if *views {
		return verifyViews(ctx, store, *snapshots, stdout, stderr)
	}
	return nil
}

// verifyViews rebuilds the views from the log and compares them with the
// snapshots in dir (see projections.VerifyViews). It needs no key store:
// the views keep personal data sealed as the log stores it, and open it
// only when read (docs/privacy.md).
func verifyViews(ctx context.Context, store eventstore.Store, dir string, stdout, stderr io.Writer) error {
	fmt.Fprintf(stderr, "rebuilding the views from the log to compare with %s\n", dir)
	bar := newProgress(stderr, -1, "folding")
	rep, err := projections.VerifyViews(ctx, store, dir, projections.NewDecoder().Decode, func(n uint64, _ eventstore.Position) {
		_ = bar.Set64(int64(n)) // it only fails on a closed writer
	})
	_ = bar.Finish()
	var m *projections.ViewMismatch
	if errors.As(err, &m) {
		fmt.Fprintf(stdout, "FAILED: %v\n", m)
		return fmt.Errorf("the views do not match the log")
	}
	if err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(rep.Skipped)) {
		fmt.Fprintf(stdout, "note: %s snapshot not compared: %s\n", name, rep.Skipped[name])
	}
	for _, name := range slices.Sorted(maps.Keys(rep.Snapshots)) {
		fmt.Fprintf(stdout, "OK: the %s snapshot (position %d) equals the view rebuilt from the log\n", name, rep.Snapshots[name])
	}
	fmt.Fprintf(stdout, "OK: the views served from these snapshots equal the views rebuilt from the log's %d domain events (head position %d)\n", rep.Events, rep.Head)
	return nil
}

// openCheckpoint reads a signed checkpoint and checks its signature.
func openCheckpoint(file, vkeyFile string) (seal.Checkpoint, error) {
	if vkeyFile == "" {
		return seal.Checkpoint{}, fmt.Errorf("--checkpoint needs --vkey, the signer's verifier key")
	}
	msg, err := os.ReadFile(file)
	if err != nil {
		return seal.Checkpoint{}, fmt.Errorf("--checkpoint: %w", err)
	}
	verifier, err := readVerifier(vkeyFile)
	if err != nil {
		return seal.Checkpoint{}, err
	}
	return seal.Open(msg, verifier)
}

func closeStore(s eventstore.Store, err *error) {
	if cerr := s.Close(); cerr != nil && *err == nil {
		*err = fmt.Errorf("close store: %w", cerr)
	}
}
