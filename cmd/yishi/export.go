package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent"
	yhttp "github.com/yishi-civic/yishi/http"
)

// exportedEvent is one line of `yishi export`: the whole envelope, as
// GET /v1/log serves it to auditors.
type exportedEvent = yhttp.StoredEvent

// export writes every event, in global order, as one JSON object per line.
func export(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	spec := storeFlag(fs, getenv)
	out := fs.String("out", "-", "file to write, - for standard output")
	keys := keysFlag(fs, getenv)
	withKeys := fs.String("with-keys", "", "also write the key store of personal data to this file (a backup; never publish it). Without it the export holds personal data only as ciphertext: an open-data export")
	blobs := blobsFlag(fs, getenv)
	withBlobs := fs.String("with-blobs", "", "also copy the attachments (photos, encrypted as stored: they open with the keys of --with-keys) into this directory beside the file, for yishi import --with-blobs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, desc, err := openStoreReadOnly(ctx, *spec)
	if err != nil {
		return err
	}
	defer closeStore(store, &err)
	w := stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		defer func() {
			if cerr := f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("--out: %w", cerr)
			}
		}()
		w = f
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	// The data as stored (the ledger stores compact JSON): its hash
	// covers those bytes, and yishi import checks them.
	enc.SetEscapeHTML(false)
	start := time.Now()
	bar := newProgress(stderr, -1, "exporting")
	var n uint64
	for ev, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		if err != nil {
			return fmt.Errorf("export from %s after %d events: %w", desc, n, err)
		}
		if err := enc.Encode(exportedEvent(ev)); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		n++
		_ = bar.Add(1) // it only fails on a closed writer
	}
	_ = bar.Finish()
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(stderr, "exported %d events from %s in %s\n", n, desc, time.Since(start).Round(time.Millisecond))
	if *withBlobs != "" {
		copied, err := exportBlobs(ctx, *blobs, *spec, *withBlobs, getenv)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "exported %d attachments to %s\n", copied, *withBlobs)
	}
	if *withKeys == "" {
		fmt.Fprintln(stderr, "no keys exported: personal data stays sealed (yishi export --with-keys FILE for a backup)")
		return nil
	}
	sealer, err := openSealer(ctx, keysDir(*keys, *spec, ""), getenv)
	if err != nil {
		return err
	}
	defer closeSealer(sealer, &err)
	k, err := writeKeyFile(ctx, sealer.Keys(), *withKeys)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d keys and tombstones to %s\n", k, *withKeys)
	return nil
}

// exportBlobs copies the attachment store of the ledger in spec (blobs, or
// its default beside an embedded store) into the directory dir, as stored.
func exportBlobs(ctx context.Context, blobs, spec, dir string, getenv func(string) string) (int, error) {
	if blobs == "" && kurrent.IsConnectionString(spec) {
		return 0, errors.New("--with-blobs: a KurrentDB store keeps its attachments elsewhere: give --blobs")
	}
	src, err := openBlobs(ctx, blobs, spec, "", getenv)
	if err != nil {
		return 0, err
	}
	dst, err := blob.OpenDir(dir)
	if err != nil {
		return 0, fmt.Errorf("--with-blobs: %w", err)
	}
	copied, _, err := copyBlobs(ctx, src, dst)
	return copied, err
}
