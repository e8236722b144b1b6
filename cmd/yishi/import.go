package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"time"

	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent"
	"github.com/yishi-civic/yishi/ledger"
)

const importUsage = `usage: yishi import --store DIR|URL [--with-keys FILE [--keys DIR]] [--with-blobs DIR [--blobs URL]] FILE

Loads an export (JSON Lines, as yishi export writes it; - for standard
input) into an empty store: every event with its id, stream, revision,
recorded time, data and metadata (hashes and salt), in the export's global
order. Then it re-computes every stream's hash chain on the store and reads
the log back against the file, event by event. --with-keys loads the key
file that export --with-keys wrote into the store's key store, so that
personal data reads as it did; --with-blobs copies the attachments (photos)
that export --with-blobs wrote into the store's attachment store (--blobs,
by default the directory attachments beside an embedded store).
`

// importCmd is `yishi import`.
func importCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, importUsage); fs.PrintDefaults() }
	spec := storeFlag(fs, getenv)
	keys := keysFlag(fs, getenv)
	withKeys := fs.String("with-keys", "", "a key file from yishi export --with-keys, loaded into the key store")
	blobs := blobsFlag(fs, getenv)
	withBlobs := fs.String("with-blobs", "", "a directory of attachments from yishi export --with-blobs, copied into the attachment store")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("import needs one export file (- for standard input)")
	}
	file := fs.Arg(0)
	store, desc, err := openStore(ctx, *spec)
	if err != nil {
		return err
	}
	defer closeStore(store, &err)
	for _, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{Max: 1}) {
		if err != nil {
			return fmt.Errorf("import: %w", err)
		}
		return fmt.Errorf("import: %s already holds events; import loads into an empty store (yishi copy merges into one that holds part of the same ledger)", desc)
	}
	fmt.Fprintf(stdout, "importing %s into %s\n", file, desc)
	start := time.Now()
	c := &copier{dst: store, progress: stderr, now: time.Now, total: -1}
	if err := c.copyAll(ctx, readExport(file)); err != nil {
		return fmt.Errorf("import stopped after %d events: %w", c.copied, err)
	}
	fmt.Fprintf(stdout, "imported %d events in %d streams in %s\n", c.copied, len(c.order), time.Since(start).Round(time.Millisecond))

	rep, err := ledger.Verify(ctx, store, nil)
	var tamper *ledger.TamperError
	if errors.As(err, &tamper) {
		fmt.Fprintf(stdout, "FAILED after %d good events: %v\n", rep.Events, tamper)
		return errors.New("the imported ledger does not verify")
	}
	if err != nil {
		return err
	}
	n, err := compareExport(ctx, store, file)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "OK: %d events in %d streams verified; the store reads back the file's %d events, in its order\n", rep.Events, rep.Streams, n)
	if *withBlobs != "" {
		if *blobs == "" && kurrent.IsConnectionString(*spec) {
			return errors.New("--with-blobs: a KurrentDB store keeps its attachments elsewhere: give --blobs")
		}
		src, err := blob.OpenDir(*withBlobs)
		if err != nil {
			return fmt.Errorf("--with-blobs: %w", err)
		}
		dst, err := openBlobs(ctx, *blobs, *spec, "", getenv)
		if err != nil {
			return err
		}
		copied, skipped, err := copyBlobs(ctx, src, dst)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "imported %d attachments (%d were there already) into %s\n", copied, skipped, dst)
	}
	if *withKeys == "" {
		return nil
	}
	sealer, err := openSealer(ctx, keysDir(*keys, *spec, ""), getenv)
	if err != nil {
		return err
	}
	defer closeSealer(sealer, &err)
	k, err := readKeyFile(ctx, sealer.Keys(), *withKeys)
	if err != nil {
		return fmt.Errorf("--with-keys: %w", err)
	}
	fmt.Fprintf(stdout, "loaded %d keys and tombstones from %s\n", k, *withKeys)
	return nil
}

// readExport yields the events of an export file (- for standard input),
// naming the line of the first that does not parse.
func readExport(file string) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		r := io.Reader(os.Stdin)
		if file != "-" {
			f, err := os.Open(file)
			if err != nil {
				yield(eventstore.Event{}, fmt.Errorf("import: %w", err))
				return
			}
			defer f.Close()
			r = f
		}
		dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<20))
		for line := 1; ; line++ {
			var e exportedEvent
			if err := dec.Decode(&e); errors.Is(err, io.EOF) {
				return
			} else if err != nil {
				yield(eventstore.Event{}, fmt.Errorf("%s: event %d: %w", file, line, err))
				return
			}
			if !yield(eventstore.Event(e), nil) {
				return
			}
		}
	}
}

// compareExport reads the store's log and the export side by side and
// checks that they hold the same events (sameEvent) in the same order.
func compareExport(ctx context.Context, store eventstore.Store, file string) (int, error) {
	next, stop := iter.Pull2(readExport(file))
	defer stop()
	n := 0
	for got, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		if err != nil {
			return n, fmt.Errorf("check: read the store: %w", err)
		}
		want, err, ok := next()
		if !ok {
			return n, fmt.Errorf("check: the store holds more events than the file (%d)", n)
		}
		if err != nil {
			return n, fmt.Errorf("check: %w", err)
		}
		if err := sameEvent(want, got); err != nil {
			return n, fmt.Errorf("check: event %d of the file: %w", n+1, err)
		}
		n++
	}
	if _, err, ok := next(); ok {
		if err != nil {
			return n, fmt.Errorf("check: %w", err)
		}
		return n, fmt.Errorf("check: the file holds more events than the store (%d)", n)
	}
	return n, nil
}
