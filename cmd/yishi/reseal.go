package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
	"github.com/yishi-civic/yishi/seal"
)

const resealUsage = `usage: yishi reseal --from STORE --to STORE --reason TEXT [--from-keys DIR] [--to-keys DIR] [--seal DIR] [--origin NAME]

Copies a ledger written before personal fields were sealed into an EMPTY
store, sealing on the way every personal field still held in plaintext
(docs/privacy.md): the same events, ids, streams, revisions, order and
recorded times, under a new hash chain and Merkle log. The target's first
event, ledger.resealed.v1, holds the source's checkpoint and a statement
of what was done and why, both signed with the server's key (--seal, the
directory holding server.skey and server.vkey: default <from>/seal), so
that an auditor can tie the new chain to the old one (docs/audit.md).
The source's key store (--from-keys, default <from>/keys) is copied into
the target's (--to-keys, default <to>/keys) first, and the new keys go
there. At the end the target is verified and every event is read back
from both sides and compared, opened. Run it while nothing writes to
either store; an interrupted run leaves a partial target: empty it and
run again. The source is not changed.
`

// resealCmd is `yishi reseal`.
func resealCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	fs := flag.NewFlagSet("reseal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, resealUsage); fs.PrintDefaults() }
	from := fs.String("from", "", "the source store: a data directory or a kurrentdb:// connection string")
	to := fs.String("to", "", "the target store, empty: a data directory or a kurrentdb:// connection string")
	fromKeys := fs.String("from-keys", "", "the source's key store; default <from>/keys")
	toKeys := fs.String("to-keys", "", "the target's key store; default <to>/keys")
	sealDir := fs.String("seal", "", "the server's key directory (server.skey, server.vkey); default <from>/seal")
	origin := fs.String("origin", envOr(getenv, "YISHI_ORIGIN", "yishi"), "the source ledger's name in its checkpoint (env YISHI_ORIGIN)")
	reason := fs.String("reason", "", "why the ledger is re-sealed, in words (one line, no personal data)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" || *to == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("reseal needs --from and --to, and nothing else")
	}
	if *from == *to {
		return errors.New("reseal: --from and --to name the same store")
	}
	if r := strings.TrimSpace(*reason); r == "" || strings.ContainsAny(r, "\n\r") {
		return errors.New("reseal: --reason is required, on one line")
	}
	for _, k := range []struct{ flag, v, spec string }{{"--from-keys", *fromKeys, *from}, {"--to-keys", *toKeys, *to}, {"--seal", *sealDir, *from}} {
		if k.v == "" && kurrent.IsConnectionString(k.spec) {
			return fmt.Errorf("reseal: a KurrentDB store needs %s", k.flag)
		}
	}
	if *sealDir == "" {
		*sealDir = filepath.Join(*from, "seal")
	}
	signer, err := readSigner(filepath.Join(*sealDir, "server.skey"))
	if err != nil {
		return fmt.Errorf("reseal: the server's key: %w", err)
	}
	verifier, err := readVerifier(filepath.Join(*sealDir, "server.vkey"))
	if err != nil {
		return fmt.Errorf("reseal: the server's key: %w", err)
	}

	src, srcDesc, err := openStoreReadOnly(ctx, *from)
	if err != nil {
		return fmt.Errorf("reseal from: %w", err)
	}
	defer closeStore(src, &err)
	dst, dstDesc, err := openStore(ctx, *to)
	if err != nil {
		return fmt.Errorf("reseal to: %w", err)
	}
	defer closeStore(dst, &err)
	for _, err := range dst.ReadAll(ctx, eventstore.ReadAllOptions{Max: 1}) {
		if err != nil {
			return fmt.Errorf("reseal to: %w", err)
		}
		return fmt.Errorf("reseal: %s already holds events; the target must be empty", dstDesc)
	}
	fmt.Fprintf(stdout, "re-sealing %s\n        into %s\n", srcDesc, dstDesc)

	fromK, toK := keysDir(*fromKeys, *from, ""), keysDir(*toKeys, *to, "")
	if _, serr := os.Stat(fromK); serr == nil {
		if err := copyKeyDirs(ctx, fromK, toK, getenv, stdout); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(stdout, "no key store at %s: every personal field is sealed under new keys\n", fromK)
	}
	sealer, err := openSealer(ctx, toK, getenv)
	if err != nil {
		return err
	}
	defer closeSealer(sealer, &err)

	r := &resealer{src: src, dst: dst, sealer: sealer, progress: stderr}
	start := time.Now()
	if err := r.run(ctx, resealNote{origin: *origin, reason: strings.TrimSpace(*reason), by: operator(), signer: signer}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "source checkpoint: %d events, root %s, head %d (signed by %s)\n", r.note.Size, r.note.Root, r.note.Head, signer.Name())
	fmt.Fprintf(stdout, "copied %d events in %d streams in %s: %d personal fields sealed in %d events; %d events kept as stored\n",
		r.copied, len(r.streams), time.Since(start).Round(time.Millisecond), r.fields, r.changed, len(r.kept))
	for _, k := range r.kept {
		fmt.Fprintf(stdout, "  kept as stored: %s\n", k)
	}

	rep, err := ledger.Verify(ctx, dst, nil)
	var tamper *ledger.TamperError
	if errors.As(err, &tamper) {
		fmt.Fprintf(stdout, "FAILED after %d good events: %v\n", rep.Events, tamper)
		return errors.New("the re-sealed ledger does not verify")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "OK: %d events in %d streams verified (yishi verify)\n", rep.Events, rep.Streams)
	n, err := r.compare(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "OK: the target holds the source's %d events with the same ids, streams, revisions, order, recorded times and, opened, the same data\n", n)
	if _, err := openResealNote(ctx, dst, verifier); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "OK: the first event, %s, holds the source's checkpoint and the statement, both verified with %s\n", domain.LedgerResealed{}.EventType(), verifier.Name())

	if err := copyBlobStores(ctx, "", *from, "", *to, getenv, stdout); err != nil {
		return err
	}
	if !kurrent.IsConnectionString(*to) && *sealDir == filepath.Join(*from, "seal") {
		if err := copyServerKey(*sealDir, filepath.Join(*to, "seal"), stdout); err != nil {
			return err
		}
	}
	fmt.Fprintln(stdout, "done: give auditors the statement (GET /v1/events, or yishi export of the target); keep the source until they have checked it")
	return nil
}

// resealNote is what the statement says besides the source's checkpoint.
type resealNote struct {
	origin, reason, by string
	signer             note.Signer
}

// resealer copies a ledger, sealing its plaintext personal fields.
type resealer struct {
	src, dst eventstore.Store
	sealer   *privacy.Sealer
	progress io.Writer

	note domain.LedgerResealed
	// streams holds each copied stream's newest hash in the target.
	streams         map[string]string
	copied, changed int
	fields          int
	// kept lists the events kept as stored although they may hold
	// plaintext: older versions an upcaster reads, bodies that do not
	// round-trip through their type.
	kept []string
}

// run checkpoints the source, writes the statement, then copies.
func (r *resealer) run(ctx context.Context, n resealNote) error {
	bar := newProgress(r.progress, -1, "hashing the source")
	tree, err := seal.Build(ctx, r.src, 0, func(k int64) { _ = bar.Set64(k) })
	_ = bar.Finish()
	if err != nil {
		return err
	}
	total := int(tree.Size())
	msg, cp, err := seal.Sign(tree, n.origin, n.signer)
	if err != nil {
		return err
	}
	id := uuid.Must(uuid.NewV7()).String()
	at := time.Now().UTC()
	text := fmt.Sprintf("yishi reseal v1\nfrom %s %d %s head %d\nto %s\nat %s\nreason %s\n",
		cp.Origin, cp.Size, cp.Root, cp.Head, domain.LedgerStream(id), at.Format(time.RFC3339Nano), n.reason)
	stmt, err := note.Sign(&note.Note{Text: text}, n.signer)
	if err != nil {
		return fmt.Errorf("reseal: sign the statement: %w", err)
	}
	r.note = domain.LedgerResealed{LedgerID: id, Source: cp.Origin, Size: cp.Size, Root: cp.Root.String(), Head: uint64(cp.Head),
		Checkpoint: string(msg), Reason: n.reason, By: n.by, Statement: string(stmt), At: at}
	first, err := ledger.EncodeEvents(domain.LedgerStream(id), -1, "", []domain.Event{r.note}, ledger.Actor{ID: n.by, Role: "operator"},
		ledger.Options{}, func() uuid.UUID { return uuid.Must(uuid.NewV7()) }, at)
	if err != nil {
		return fmt.Errorf("reseal: %w", err)
	}
	if _, err := r.dst.Append(ctx, domain.LedgerStream(id), eventstore.NoStream(), first...); err != nil {
		return fmt.Errorf("reseal: write the statement: %w", err)
	}
	r.streams = map[string]string{}
	c := &copier{dst: r.dst, progress: r.progress, now: time.Now, total: total}
	if err := c.copyAll(ctx, r.resealed(ctx)); err != nil {
		return fmt.Errorf("reseal stopped after %d of %d events (empty the target and run it again): %w", c.copied, total, err)
	}
	r.copied = c.copied
	if int64(r.copied) != cp.Size {
		return fmt.Errorf("reseal: copied %d events, but the source's checkpoint counts %d: was something writing to it?", r.copied, cp.Size)
	}
	return nil
}

// resealed yields the source's events in global order, each with its
// plaintext personal fields sealed and its hash re-chained in the target.
func (r *resealer) resealed(ctx context.Context) iter.Seq2[eventstore.Event, error] {
	return func(yield func(eventstore.Event, error) bool) {
		for ev, err := range r.src.ReadAll(ctx, eventstore.ReadAllOptions{}) {
			if err != nil {
				yield(ev, err)
				return
			}
			data, n, err := r.sealEvent(ctx, ev)
			if err != nil {
				yield(ev, fmt.Errorf("%s@%d (%s): %w", ev.Stream, ev.Revision, ev.Type, err))
				return
			}
			if n > 0 {
				r.changed++
				r.fields += n
			}
			m := ev.Metadata
			m.PrevHash = r.streams[ev.Stream]
			m.HashScheme = ledger.HashScheme
			if m.Salt == "" {
				m.Salt = ledger.NewSalt()
			}
			m.Hash = ledger.ChainHash(m.PrevHash, ev.Stream, ev.Revision, ev.ID, ev.Type, data, m, ev.Recorded)
			r.streams[ev.Stream] = m.Hash
			ev.Data, ev.Metadata = data, m
			if !yield(ev, nil) {
				return
			}
		}
	}
}

// sealEvent returns ev's body with its plaintext personal fields sealed
// and how many it sealed; the stored bytes when there are none, or when
// the body cannot be re-encoded as it was (an older version that an
// upcaster reads, a body that does not round-trip through its type).
func (r *resealer) sealEvent(ctx context.Context, ev eventstore.Event) ([]byte, int, error) {
	var e domain.Event
	if ev.Type == auth.TypeIssued {
		var is auth.Issued
		if err := json.Unmarshal(ev.Data, &is); err != nil {
			return nil, 0, err
		}
		e = is
	} else if d, err := domain.Decode(ev.Type, ev.Data); err == nil {
		e = d
	} else {
		return ev.Data, 0, nil // not a domain event (seals), nothing personal
	}
	sealed, n, err := r.sealer.SealPlaintext(ctx, ev.Stream, []domain.Event{e})
	if err != nil || n == 0 {
		return ev.Data, 0, err
	}
	if e.EventType() != ev.Type {
		r.kept = append(r.kept, fmt.Sprintf("%s@%d: %s, read as %s", ev.Stream, ev.Revision, ev.Type, e.EventType()))
		return ev.Data, 0, nil
	}
	plain, err := json.Marshal(e)
	if err != nil {
		return nil, 0, err
	}
	if !sameJSON(plain, ev.Data) {
		r.kept = append(r.kept, fmt.Sprintf("%s@%d: %s does not round-trip through its type", ev.Stream, ev.Revision, ev.Type))
		return ev.Data, 0, nil
	}
	body, err := json.Marshal(sealed[0])
	if err != nil {
		return nil, 0, err
	}
	return body, n, nil
}

// sameJSON reports whether a and b hold the same JSON value.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// compare reads both ledgers in global order (the target after its
// statement) and checks that each event kept its id, stream, revision,
// type, metadata and recorded time, and that its body, where re-sealing
// changed it, opens to the source's opened.
func (r *resealer) compare(ctx context.Context) (int, error) {
	next, stop := iter.Pull2(r.dst.ReadAll(ctx, eventstore.ReadAllOptions{}))
	defer stop()
	if _, err, ok := next(); !ok || err != nil { // the statement
		return 0, fmt.Errorf("reseal check: the target's first event: %v", err)
	}
	n := 0
	bar := newProgress(r.progress, int64(r.copied), "comparing")
	defer func() { _ = bar.Finish() }()
	for want, err := range r.src.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		if err != nil {
			return n, fmt.Errorf("reseal check: read source: %w", err)
		}
		got, err, ok := next()
		if !ok {
			return n, fmt.Errorf("reseal check: the target ends after %d events", n)
		}
		if err != nil {
			return n, fmt.Errorf("reseal check: read target: %w", err)
		}
		if err := sameEnvelope(want, got); err != nil {
			return n, fmt.Errorf("reseal check: %w", err)
		}
		if !bytes.Equal(want.Data, got.Data) {
			a, err := r.opened(ctx, want)
			if err != nil {
				return n, err
			}
			b, err := r.opened(ctx, got)
			if err != nil {
				return n, err
			}
			if !sameJSON(a, b) {
				return n, fmt.Errorf("reseal check: %s@%d reads otherwise in the target", want.Stream, want.Revision)
			}
		}
		n++
		_ = bar.Set(n)
	}
	if _, _, ok := next(); ok {
		return n, errors.New("reseal check: the target holds more events than the source")
	}
	return n, nil
}

// opened is ev's body with its sealed fields opened.
func (r *resealer) opened(ctx context.Context, ev eventstore.Event) ([]byte, error) {
	var e domain.Event
	if ev.Type == auth.TypeIssued {
		var is auth.Issued
		if err := json.Unmarshal(ev.Data, &is); err != nil {
			return nil, err
		}
		if err := r.sealer.OpenInPlace(ctx, &is); err != nil {
			return nil, err
		}
		e = is
	} else {
		d, err := domain.Decode(ev.Type, ev.Data)
		if err != nil {
			return nil, fmt.Errorf("reseal check: %s@%d: %w", ev.Stream, ev.Revision, err)
		}
		if e, err = r.sealer.Open(ctx, d); err != nil {
			return nil, err
		}
	}
	return json.Marshal(e)
}

// sameEnvelope compares what re-sealing keeps of an event: everything but
// its body (compared opened), its hashes and its position.
func sameEnvelope(want, got eventstore.Event) error {
	m, g := want.Metadata, got.Metadata
	switch {
	case got.ID != want.ID || got.Stream != want.Stream || got.Revision != want.Revision || got.Type != want.Type:
		return fmt.Errorf("event %s (%s@%d, %s) is %s (%s@%d, %s) in the target", want.ID, want.Stream, want.Revision, want.Type, got.ID, got.Stream, got.Revision, got.Type)
	case !got.Recorded.Equal(want.Recorded):
		return fmt.Errorf("event %s was recorded at %s in the target, %s in the source", want.ID, got.Recorded, want.Recorded)
	case m.Actor != g.Actor || m.Role != g.Role || m.CorrelationID != g.CorrelationID || m.CausationID != g.CausationID:
		return fmt.Errorf("event %s has other metadata in the target", want.ID)
	}
	return nil
}

// openResealNote reads a re-sealed ledger's first event and checks both
// signed notes it holds against the server's verifier key: the source's
// checkpoint, and the statement, which must name the same checkpoint and
// this ledger's stream.
func openResealNote(ctx context.Context, store eventstore.Store, verifier note.Verifier) (domain.LedgerResealed, error) {
	for ev, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{Max: 1}) {
		if err != nil {
			return domain.LedgerResealed{}, fmt.Errorf("reseal note: %w", err)
		}
		e, err := domain.Decode(ev.Type, ev.Data)
		d, ok := e.(domain.LedgerResealed)
		if err != nil || !ok {
			return domain.LedgerResealed{}, fmt.Errorf("reseal note: the first event is %s, not a re-sealing's note", ev.Type)
		}
		cp, err := seal.Open([]byte(d.Checkpoint), verifier)
		if err != nil {
			return d, fmt.Errorf("reseal note: the source's checkpoint: %w", err)
		}
		n, err := note.Open([]byte(d.Statement), note.VerifierList(verifier))
		if err != nil {
			return d, fmt.Errorf("reseal note: the statement: %w", err)
		}
		lines := strings.Split(n.Text, "\n")
		wantFrom := fmt.Sprintf("from %s %d %s head %d", cp.Origin, cp.Size, cp.Root, cp.Head)
		if len(lines) < 5 || lines[0] != "yishi reseal v1" || lines[1] != wantFrom || lines[2] != "to "+ev.Stream ||
			cp.Size != d.Size || cp.Root.String() != d.Root || uint64(cp.Head) != d.Head || cp.Origin != d.Source || lines[4] != "reason "+d.Reason {
			return d, fmt.Errorf("reseal note: the statement %q does not match the checkpoint and the event", n.Text)
		}
		return d, nil
	}
	return domain.LedgerResealed{}, errors.New("reseal note: the ledger is empty")
}

// copyServerKey copies the server's key files into a target data
// directory that has none, so that its server signs with the key that
// signed the source's checkpoints and the statement.
func copyServerKey(from, to string, stdout io.Writer) error {
	if _, err := os.Stat(filepath.Join(to, "server.skey")); err == nil {
		fmt.Fprintf(stdout, "the target has a server key of its own in %s: its checkpoints will be signed with it, not the source's\n", to)
		return nil
	}
	if err := os.MkdirAll(to, 0o750); err != nil {
		return fmt.Errorf("copy server key: %w", err)
	}
	for _, f := range []struct {
		name string
		mode os.FileMode
	}{{"server.vkey", 0o644}, {"server.skey", 0o600}} {
		b, err := os.ReadFile(filepath.Join(from, f.name))
		if err != nil {
			return fmt.Errorf("copy server key: %w", err)
		}
		if err := os.WriteFile(filepath.Join(to, f.name), b, f.mode); err != nil {
			return fmt.Errorf("copy server key: %w", err)
		}
	}
	fmt.Fprintf(stdout, "copied the server's key into %s\n", to)
	return nil
}

// reportReseal tells an auditor verifying a re-sealed ledger where it
// comes from, and with the server's verifier key (vkeyFile) checks the
// signed note its first event holds. A ledger that was not re-sealed gets
// no line.
func reportReseal(ctx context.Context, store eventstore.Store, vkeyFile string, stdout io.Writer) error {
	resealed := false
	for ev, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{Max: 1}) {
		if err != nil {
			return err
		}
		resealed = ev.Type == domain.LedgerResealed{}.EventType()
	}
	if !resealed {
		return nil
	}
	if vkeyFile == "" {
		fmt.Fprintln(stdout, "note: this ledger was re-sealed from an older one (its first event, ledger.resealed.v1); give --vkey, the server's verifier key, to check the note")
		return nil
	}
	v, err := readVerifier(vkeyFile)
	if err != nil {
		return err
	}
	d, err := openResealNote(ctx, store, v)
	if err != nil {
		fmt.Fprintf(stdout, "FAILED: %v\n", err)
		return errors.New("the re-sealing's note does not verify")
	}
	fmt.Fprintf(stdout, "OK: re-sealed on %s from %q at %d events (root %s, head %d), because: %s; the source's checkpoint and the statement are signed by %s\n",
		d.At.Format(time.RFC3339), d.Source, d.Size, d.Root, d.Head, d.Reason, v.Name())
	return nil
}
