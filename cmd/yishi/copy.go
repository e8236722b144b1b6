package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"time"

	"github.com/google/uuid"
	"github.com/schollz/progressbar/v3"

	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent"
)

const copyUsage = `usage: yishi copy --from STORE --to STORE [--with-keys [--from-keys DIR] [--to-keys DIR]] [--from-blobs URL] [--to-blobs URL]

Copies a whole ledger from one store to another: every event with its id,
its place in its stream, its recorded time, its data, metadata and hashes,
in global order.
A STORE is a data directory (the embedded store) or a kurrentdb:// connection
string. Run it while nothing writes to either store. It is resumable: events
the target already holds are skipped, and appends expect the exact revision,
so a second run after an interruption finishes the job. At the end it reads
every copied stream back from both sides and checks that they hold the same
events. Keys of personal data are copied only with --with-keys: without them
the copy's personal data reads as erased (docs/privacy.md). Attachments
(photos) are copied too, as they are stored (encrypted: they open with the
keys), from --from-blobs to --to-blobs; each defaults to the directory
attachments of a data directory; without the flag on a KurrentDB side they
are not copied.
`

// copyCmd is `yishi copy`.
func copyCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("copy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, copyUsage); fs.PrintDefaults() }
	from := fs.String("from", "", "the source store: a data directory or a kurrentdb:// connection string")
	to := fs.String("to", "", "the target store: a data directory or a kurrentdb:// connection string")
	withKeys := fs.Bool("with-keys", false, "also copy the key store of personal data")
	fromKeys := fs.String("from-keys", "", "the source's key store; default <from>/keys (required for KurrentDB)")
	toKeys := fs.String("to-keys", "", "the target's key store; default <to>/keys (required for KurrentDB)")
	fromBlobs := fs.String("from-blobs", "", "the source's attachment store (file:///path or s3://bucket?endpoint=…); default <from>/attachments (required for KurrentDB)")
	toBlobs := fs.String("to-blobs", "", "the target's attachment store; default <to>/attachments (required for KurrentDB)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || *to == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("copy needs --from and --to, and nothing else")
	}
	if *from == *to {
		return errors.New("copy: --from and --to name the same store")
	}
	src, srcDesc, err := openStoreReadOnly(ctx, *from)
	if err != nil {
		return fmt.Errorf("copy from: %w", err)
	}
	defer src.Close()
	dst, dstDesc, err := openStore(ctx, *to)
	if err != nil {
		return fmt.Errorf("copy to: %w", err)
	}
	defer dst.Close()
	fmt.Fprintf(stdout, "copying from %s\n          to %s\n", srcDesc, dstDesc)
	c := &copier{src: src, dst: dst, progress: stderr, now: time.Now}
	if err := c.run(ctx, stdout); err != nil {
		return err
	}
	if err := copyBlobStores(ctx, *fromBlobs, *from, *toBlobs, *to, getenv, stdout); err != nil {
		return err
	}
	if !*withKeys {
		fmt.Fprintln(stdout, "keys not copied: the copy's personal data reads as erased (yishi copy --with-keys)")
		return nil
	}
	return copyKeyDirs(ctx, keysDir(*fromKeys, *from, ""), keysDir(*toKeys, *to, ""), getenv, stdout)
}

// copyKeyDirs copies the key store in from into the one in to.
func copyKeyDirs(ctx context.Context, from, to string, getenv func(string) string, stdout io.Writer) (err error) {
	if from == "keys" || to == "keys" {
		return errors.New("copy --with-keys: a KurrentDB store needs --from-keys or --to-keys")
	}
	src, err := openSealer(ctx, from, getenv)
	if err != nil {
		return fmt.Errorf("copy keys from: %w", err)
	}
	defer closeSealer(src, &err)
	dst, err := openSealer(ctx, to, getenv)
	if err != nil {
		return fmt.Errorf("copy keys to: %w", err)
	}
	defer closeSealer(dst, &err)
	n, err := copyKeys(ctx, src.Keys(), dst.Keys())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "copied %d keys and tombstones from %s to %s\n", n, from, to)
	return nil
}

// copier moves a ledger from src to dst.
type copier struct {
	src, dst eventstore.Store
	progress io.Writer
	now      func() time.Time

	// streams maps every stream seen in src to the revision dst holds
	// (-1: none), learned on first sight and kept up to date.
	streams map[string]int64
	// held maps a stream dst already held when first seen to the id of its
	// newest event then, which the source must have at the same revision.
	held map[string]heldEvent
	// order lists the streams in the order they were first seen.
	order []string

	total, copied, skipped int
	bar                    *progressbar.ProgressBar
}

// maxBatch bounds the events of one append: consecutive events of one
// stream travel together, within the store's limits.
const maxBatch = 100

// run copies, then checks.
func (c *copier) run(ctx context.Context, stdout io.Writer) error {
	total, err := c.count(ctx)
	if err != nil {
		return err
	}
	c.total = total
	start := c.now()
	if err := c.copyAll(ctx, c.src.ReadAll(ctx, eventstore.ReadAllOptions{})); err != nil {
		return fmt.Errorf("copy stopped after %d of %d events (run it again to resume): %w", c.copied+c.skipped, c.total, err)
	}
	fmt.Fprintf(stdout, "copied %d events, skipped %d the target already held, %d streams, in %s\n",
		c.copied, c.skipped, len(c.order), c.now().Sub(start).Round(time.Millisecond))
	checked, err := c.check(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "check: both stores hold the same %d events in %d streams\n", checked, len(c.order))
	return nil
}

// count returns the number of events in src, for the progress bar.
func (c *copier) count(ctx context.Context) (int, error) {
	n := 0
	for _, err := range c.src.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		if err != nil {
			return 0, fmt.Errorf("count source events: %w", err)
		}
		n++
	}
	return n, nil
}

// copyAll takes events in global order and appends each run of
// consecutive events of one stream to dst, with a progress bar on
// c.progress (c.total events; -1 for a count not known).
func (c *copier) copyAll(ctx context.Context, events iter.Seq2[eventstore.Event, error]) error {
	c.streams = make(map[string]int64)
	c.held = make(map[string]heldEvent)
	c.bar = newProgress(c.progress, int64(c.total), "copying")
	defer func() { _ = c.bar.Finish() }()
	var batch []eventstore.Event
	for e, err := range events {
		if err != nil {
			return fmt.Errorf("read source: %w", err)
		}
		if len(batch) > 0 && (e.Stream != batch[0].Stream || len(batch) == maxBatch || !fits(batch, e)) {
			if err := c.flush(ctx, batch); err != nil {
				return err
			}
			batch = batch[:0]
		}
		batch = append(batch, e)
	}
	if len(batch) > 0 {
		return c.flush(ctx, batch)
	}
	return nil
}

// fits reports whether e can join batch within the append size limit.
func fits(batch []eventstore.Event, e eventstore.Event) bool {
	size := len(e.Data) + 1024 // metadata is small; leave it room
	for _, b := range batch {
		size += len(b.Data) + 1024
	}
	return size <= eventstore.MaxAppendSize
}

// flush appends the events of batch (all of one stream, consecutive
// revisions) that dst does not hold yet, expecting the exact revision before
// them.
func (c *copier) flush(ctx context.Context, batch []eventstore.Event) error {
	stream := batch[0].Stream
	have, seen := c.streams[stream]
	if !seen {
		newest, err := newestOf(ctx, c.dst, stream)
		if err != nil {
			return err
		}
		have = newest.revision
		if have >= 0 {
			c.held[stream] = newest
		}
		c.streams[stream] = have
		c.order = append(c.order, stream)
	}
	var todo []eventstore.EventData
	for _, e := range batch {
		if int64(e.Revision) <= have {
			// The target has it. Whether it is the same event is checked
			// at the end, but the one the copy continues after must match
			// before anything is written after it.
			if h, ok := c.held[stream]; ok && h.revision == int64(e.Revision) && h.id != e.ID {
				return fmt.Errorf("%s: the target holds event %s at revision %d where the source has %s: the stores have diverged", stream, h.id, e.Revision, e.ID)
			}
			c.skipped++
			continue
		}
		if int64(e.Revision) != have+1+int64(len(todo)) {
			return fmt.Errorf("%s: source event %s has revision %d, but the target holds up to %d", stream, e.ID, e.Revision, have)
		}
		todo = append(todo, eventstore.EventData{ID: e.ID, Type: e.Type, Data: e.Data, Metadata: e.Metadata, Recorded: e.Recorded})
	}
	if len(todo) > 0 {
		exp := eventstore.NoStream()
		if have >= 0 {
			exp = eventstore.Exact(uint64(have))
		}
		res, err := c.dst.Append(ctx, stream, exp, todo...)
		if err != nil {
			return fmt.Errorf("append to target: %w", err)
		}
		c.streams[stream] = int64(res.NextRevision)
		c.copied += len(todo)
	}
	_ = c.bar.Set(c.copied + c.skipped) // it only fails on a closed writer
	return nil
}

// heldEvent is the newest event of a stream in the target: its revision (-1
// for no stream) and id.
type heldEvent struct {
	revision int64
	id       uuid.UUID
}

// newestOf returns the newest event of stream in s.
func newestOf(ctx context.Context, s eventstore.Store, stream string) (heldEvent, error) {
	for e, err := range s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{Direction: eventstore.Backwards, From: eventstore.LastRevision, Max: 1}) {
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			break
		}
		if err != nil {
			return heldEvent{}, fmt.Errorf("read target %s: %w", stream, err)
		}
		return heldEvent{revision: int64(e.Revision), id: e.ID}, nil
	}
	return heldEvent{revision: -1}, nil
}

// check reads every copied stream from both stores and compares them event
// by event: id, revision, type, data and metadata (with the hash chain).
func (c *copier) check(ctx context.Context) (int, error) {
	n := 0
	for _, stream := range c.order {
		want, err := readAllOf(ctx, c.src, stream)
		if err != nil {
			return n, fmt.Errorf("check: read source %s: %w", stream, err)
		}
		got, err := readAllOf(ctx, c.dst, stream)
		if err != nil {
			return n, fmt.Errorf("check: read target %s: %w", stream, err)
		}
		if len(got) != len(want) {
			return n, fmt.Errorf("check: %s has %d events in the source and %d in the target", stream, len(want), len(got))
		}
		for i := range want {
			if err := sameEvent(want[i], got[i]); err != nil {
				return n, fmt.Errorf("check: %s revision %d: %w", stream, want[i].Revision, err)
			}
			n++
		}
	}
	return n, nil
}

// readAllOf reads a whole stream forwards.
func readAllOf(ctx context.Context, s eventstore.Store, stream string) ([]eventstore.Event, error) {
	var out []eventstore.Event
	for e, err := range s.ReadStream(ctx, stream, eventstore.ReadStreamOptions{}) {
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// sameEvent compares what a copy must preserve: everything but the
// position, which is the target's own.
func sameEvent(want, got eventstore.Event) error {
	switch {
	case !got.Recorded.Equal(want.Recorded):
		return fmt.Errorf("event %s was recorded at %s in the target, %s in the source", want.ID, got.Recorded.Format(time.RFC3339Nano), want.Recorded.Format(time.RFC3339Nano))
	case got.Stream != want.Stream:
		return fmt.Errorf("event %s is in stream %s in the target, %s in the source", want.ID, got.Stream, want.Stream)
	case got.ID != want.ID:
		return fmt.Errorf("id %s in the target, %s in the source", got.ID, want.ID)
	case got.Revision != want.Revision:
		return fmt.Errorf("event %s at revision %d in the target", want.ID, got.Revision)
	case got.Type != want.Type:
		return fmt.Errorf("event %s has type %s in the target, %s in the source", want.ID, got.Type, want.Type)
	case !bytes.Equal(got.Data, want.Data):
		return fmt.Errorf("event %s has other data in the target", want.ID)
	case got.Metadata != want.Metadata:
		return fmt.Errorf("event %s has other metadata in the target (hash %s, source %s)", want.ID, got.Metadata.Hash, want.Metadata.Hash)
	}
	return nil
}

// copyBlobStores opens the attachment stores of both sides and copies one
// into the other. A KurrentDB side without its flag is an error: its photos
// would be left behind silently.
func copyBlobStores(ctx context.Context, fromURL, from, toURL, to string, getenv func(string) string, stdout io.Writer) error {
	for _, side := range []struct{ url, spec, flag string }{{fromURL, from, "--from-blobs"}, {toURL, to, "--to-blobs"}} {
		if side.url == "" && kurrent.IsConnectionString(side.spec) {
			fmt.Fprintf(stdout, "attachments not copied: a KurrentDB store keeps them elsewhere (give %s)\n", side.flag)
			return nil
		}
	}
	src, err := openBlobs(ctx, fromURL, from, "", getenv)
	if err != nil {
		return fmt.Errorf("copy attachments from: %w", err)
	}
	dst, err := openBlobs(ctx, toURL, to, "", getenv)
	if err != nil {
		return fmt.Errorf("copy attachments to: %w", err)
	}
	copied, skipped, err := copyBlobs(ctx, src, dst)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "copied %d attachments, skipped %d the target already held, from %s to %s\n", copied, skipped, src, dst)
	return nil
}

// copyBlobs copies every blob of src that dst does not hold with the same
// bytes, as stored, and returns how many it copied and skipped.
func copyBlobs(ctx context.Context, src, dst blob.Store) (copied, skipped int, err error) {
	for in, err := range src.List(ctx) {
		if err != nil {
			return copied, skipped, fmt.Errorf("copy attachments: %w", err)
		}
		b, err := src.Get(ctx, in.Key)
		if err != nil {
			return copied, skipped, fmt.Errorf("copy attachments: %w", err)
		}
		if have, err := dst.Get(ctx, in.Key); err == nil && bytes.Equal(have, b) {
			skipped++
			continue
		} else if err != nil && !errors.Is(err, blob.ErrNotFound) {
			return copied, skipped, fmt.Errorf("copy attachments: %w", err)
		}
		if err := dst.Put(ctx, in.Key, b); err != nil {
			return copied, skipped, fmt.Errorf("copy attachments: %w", err)
		}
		copied++
	}
	return copied, skipped, nil
}
