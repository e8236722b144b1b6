package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/seal"
)

const auditUsage = `usage: yishi audit --url URL [--token TOKEN] [--vkey SERVER.vkey] [--keep DIR] [--witness FILE]... [--witness-key FILE]...

Audits a running server from another machine, with no access to its data:
fetches its latest signed checkpoint, checks that it extends the one kept in
DIR by the last audit (a consistency proof) and the witnesses' cosigned
checkpoints given with --witness, then fetches every event since (GET
/v1/log, an auditor's token), re-checks each stream's hash chain and the
Merkle tree, and compares the root and head with the checkpoint. It names
the first event that does not match. DIR keeps the server's verifier key
(pinned on the first run), the checkpoint, the tree's leaves and the
chains' heads, so the next audit fetches only what is new.
`

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// errAuditFailed is the error of an audit that found an inconsistency, after
// printing it.
var errAuditFailed = errors.New("the ledger does not pass the audit")

// audit is `yishi audit`.
func audit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, auditUsage); fs.PrintDefaults() }
	base := fs.String("url", "", "the server, e.g. https://yishi.example")
	token := fs.String("token", getenv("YISHI_TOKEN"), "an auditor's token (env YISHI_TOKEN)")
	vkeyFile := fs.String("vkey", "", "the server's verifier key file (default: the one pinned in --keep)")
	keepDir := fs.String("keep", "", "the auditor's directory: what the last audit saw, to go on from")
	var witnesses, witnessKeys multiFlag
	fs.Var(&witnesses, "witness", "a checkpoint a witness cosigned (yishi seal cosign); repeatable")
	fs.Var(&witnessKeys, "witness-key", "a witness's verifier key, to check its signature; repeatable")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *base == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("audit needs --url, and nothing else")
	}
	r, err := newRemote(*base, *token)
	if err != nil {
		return err
	}
	a := &auditor{r: r, stdout: stdout, stderr: stderr}
	if err := a.loadKeep(ctx, *keepDir, *vkeyFile); err != nil {
		return err
	}
	for _, f := range witnessKeys {
		v, err := readVerifier(f)
		if err != nil {
			return fmt.Errorf("--witness-key: %w", err)
		}
		a.witnessKeys = append(a.witnessKeys, v)
	}
	start := time.Now()
	if err := a.run(ctx, witnesses); err != nil {
		return err
	}
	if *keepDir != "" {
		if err := a.save(*keepDir); err != nil {
			return err
		}
	}
	d := time.Since(start)
	fmt.Fprintf(stdout, "OK: %d new events checked in %s (%.0f events/s): %d streams' chains re-computed, %d events outside the token's reach checked in the tree only\n",
		a.fetched, d.Round(time.Millisecond), float64(a.fetched)/max(d.Seconds(), 1e-9), a.chained, a.treeOnly)
	fmt.Fprintf(stdout, "OK: the log of %q holds %d events, root %s, head position %d, as its checkpoint says\n", a.now.Origin, a.now.Size, a.now.Root, a.now.Head)
	return nil
}

// auditor is one run of yishi audit.
type auditor struct {
	r              *remote
	stdout, stderr io.Writer
	server         note.Verifier
	witnessKeys    []note.Verifier
	// What the last audit kept: its checkpoint (nil for none), the tree's
	// leaves up to it, and the chains' heads.
	kept   *seal.Checkpoint
	leaves []tlog.Hash
	chains ledger.Chains
	// This run: the server's checkpoint and note, what was fetched.
	now      seal.Checkpoint
	nowMsg   []byte
	fetched  int64
	chained  int
	treeOnly int64
	unsalted int64
	// vkeyNew is the server's key to pin in the directory, on its first run.
	vkeyNew string
}

// Files of the auditor's directory.
const (
	keepVkey       = "server.vkey"
	keepCheckpoint = "checkpoint.note"
	keepLeaves     = "leaves"
	keepChains     = "chains.json"
)

// loadKeep reads what the last audit kept in dir (none when dir is empty
// or new) and settles the server's verifier key: vkeyFile, else the one
// pinned in dir, else the server's own, pinned on this first run.
func (a *auditor) loadKeep(ctx context.Context, dir, vkeyFile string) error {
	read := func(name string) ([]byte, error) {
		if dir == "" {
			return nil, iofs.ErrNotExist
		}
		return os.ReadFile(filepath.Join(dir, name))
	}
	pinned, err := read(keepVkey)
	if err != nil && !errors.Is(err, iofs.ErrNotExist) {
		return fmt.Errorf("--keep: %w", err)
	}
	var vkey string
	switch {
	case vkeyFile != "":
		b, err := os.ReadFile(vkeyFile)
		if err != nil {
			return fmt.Errorf("--vkey: %w", err)
		}
		vkey = strings.TrimSpace(string(b))
		if pinned != nil && strings.TrimSpace(string(pinned)) != vkey {
			return fmt.Errorf("--vkey %s is not the key pinned in %s: the server's key changed, or this is another server", vkeyFile, filepath.Join(dir, keepVkey))
		}
	case pinned != nil:
		vkey = strings.TrimSpace(string(pinned))
	case dir != "":
		b, err := a.r.getAll(ctx, "/v1/checkpoint/key")
		if err != nil {
			return err
		}
		vkey = strings.TrimSpace(string(b))
		fmt.Fprintf(a.stdout, "note: no verifier key given; pinning the server's own, %s, in %s (check it with the server's operator once)\n", vkey, dir)
	default:
		return errors.New("audit needs --vkey (the server's verifier key) or --keep DIR (to pin the server's own)")
	}
	if a.server, err = note.NewVerifier(vkey); err != nil {
		return fmt.Errorf("the server's verifier key: %w", err)
	}
	if pinned == nil {
		a.vkeyNew = vkey
	}
	msg, err := read(keepCheckpoint)
	if errors.Is(err, iofs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("--keep: %w", err)
	}
	c, err := seal.Open(msg, a.server)
	if err != nil {
		return fmt.Errorf("%s: %w", filepath.Join(dir, keepCheckpoint), err)
	}
	b, err := read(keepLeaves)
	if err != nil {
		return fmt.Errorf("--keep: %w", err)
	}
	if int64(len(b)) != c.Size*tlog.HashSize {
		return fmt.Errorf("--keep: %s holds %d bytes, not the %d leaves of the kept checkpoint", filepath.Join(dir, keepLeaves), len(b), c.Size)
	}
	a.leaves = make([]tlog.Hash, c.Size)
	for i := range a.leaves {
		copy(a.leaves[i][:], b[i*tlog.HashSize:])
	}
	cb, err := read(keepChains)
	if err != nil {
		return fmt.Errorf("--keep: %w", err)
	}
	if err := json.Unmarshal(cb, &a.chains.Heads); err != nil {
		return fmt.Errorf("--keep: %s: %w", filepath.Join(dir, keepChains), err)
	}
	a.kept = &c
	return nil
}

// run checks the server's checkpoint against what was kept and the
// witnesses', then every event since.
func (a *auditor) run(ctx context.Context, witnesses []string) error {
	msg, err := a.r.checkpoint(ctx)
	if err != nil {
		return err
	}
	c, n, err := seal.OpenNote(msg, a.server)
	if err != nil {
		return fmt.Errorf("the server's checkpoint: %w", err)
	}
	a.now, a.nowMsg = c, msg
	fmt.Fprintf(a.stdout, "checkpoint of %q signed by %s: %d events, root %s, head position %d\n", c.Origin, n.Sigs[0].Name, c.Size, c.Root, c.Head)
	if a.kept != nil {
		proof, err := a.r.consistency(ctx, a.kept.Size, c.Size)
		if err != nil && c.Size >= a.kept.Size {
			return err
		}
		if err := seal.Consistent(*a.kept, c, proof); err != nil {
			fmt.Fprintf(a.stdout, "FAILED: the server's checkpoint does not extend the one of %d events this auditor kept: %v\n", a.kept.Size, err)
			a.locate(ctx)
			return errAuditFailed
		}
		fmt.Fprintf(a.stdout, "OK: it extends the checkpoint of %d events kept from the last audit\n", a.kept.Size)
	}
	for _, f := range witnesses {
		if err := a.witness(ctx, f); err != nil {
			return err
		}
	}
	return a.events(ctx)
}

// witness checks that the server's checkpoint extends one a witness
// cosigned.
func (a *auditor) witness(ctx context.Context, file string) error {
	msg, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("--witness: %w", err)
	}
	w, n, err := seal.OpenNote(msg, a.server, a.witnessKeys...)
	if err != nil {
		return fmt.Errorf("--witness %s: %w", file, err)
	}
	var signers []string
	for _, s := range n.Sigs[1:] {
		signers = append(signers, s.Name)
	}
	for _, s := range n.UnverifiedSigs {
		signers = append(signers, s.Name+" (key not given)")
	}
	if len(signers) == 0 {
		signers = []string{"no witness"}
	}
	var proof tlog.TreeProof
	if w.Size < a.now.Size {
		if proof, err = a.r.consistency(ctx, w.Size, a.now.Size); err != nil {
			return err
		}
	}
	if err := seal.Consistent(w, a.now, proof); err != nil {
		fmt.Fprintf(a.stdout, "FAILED: the server's checkpoint does not extend the one of %d events cosigned by %s (%s): %v\n", w.Size, strings.Join(signers, ", "), file, err)
		return errAuditFailed
	}
	fmt.Fprintf(a.stdout, "OK: it extends the checkpoint of %d events cosigned by %s\n", w.Size, strings.Join(signers, ", "))
	return nil
}

// events fetches every event after the kept checkpoint, checks the chains
// and the leaves, and compares the tree with the checkpoint.
func (a *auditor) events(ctx context.Context) error {
	var f seal.Frontier
	for _, l := range a.leaves {
		f.Add(l)
	}
	from := f.Size()
	head := eventstore.Position(0)
	if a.kept != nil {
		head = a.kept.Head
	}
	streams := map[string]bool{}
	bar := newProgress(a.stderr, a.now.Size-from, "auditing")
	for e, err := range a.r.entries(ctx, from, a.now.Size) {
		if err != nil {
			return err
		}
		leaf := e.LeafHash
		if e.Event != nil {
			ev := eventstore.Event(*e.Event)
			if err := a.chains.Check(ev); err != nil {
				fmt.Fprintf(a.stdout, "FAILED at leaf %d: %v\n", e.Index, err)
				return errAuditFailed
			}
			chain, err := hex.DecodeString(ev.Metadata.Hash)
			if err != nil {
				return fmt.Errorf("leaf %d: %w", e.Index, err)
			}
			if leaf = tlog.RecordHash(chain); leaf != e.LeafHash {
				fmt.Fprintf(a.stdout, "FAILED at leaf %d: event %s@%d (position %d) hashes to leaf %s, the server's tree holds %s\n", e.Index, ev.Stream, ev.Revision, ev.Position, leaf, e.LeafHash)
				return errAuditFailed
			}
			if ev.Metadata.Salt == "" {
				a.unsalted++
			}
			streams[ev.Stream] = true
		} else {
			a.treeOnly++
		}
		if eventstore.Position(e.Position) <= head {
			fmt.Fprintf(a.stdout, "FAILED at leaf %d: position %d does not follow position %d\n", e.Index, e.Position, head)
			return errAuditFailed
		}
		head = eventstore.Position(e.Position)
		f.Add(leaf)
		a.leaves = append(a.leaves, leaf)
		a.fetched++
		_ = bar.Add(1) // it only fails on a closed writer
	}
	_ = bar.Finish()
	a.chained = len(streams)
	if root := f.Root(); root != a.now.Root {
		fmt.Fprintf(a.stdout, "FAILED: the %d leaves the server serves hash to %s, its checkpoint says %s\n", f.Size(), root, a.now.Root)
		return errAuditFailed
	}
	if head != a.now.Head {
		fmt.Fprintf(a.stdout, "FAILED: the last event is at position %d, the checkpoint says %d\n", head, a.now.Head)
		return errAuditFailed
	}
	if a.unsalted > 0 {
		fmt.Fprintf(a.stdout, "note: %d events were written before hash scheme %d and their hashes carry no salt\n", a.unsalted, ledger.HashSchemeV3)
	}
	return nil
}

// locate compares the server's leaves with the kept ones and names the
// first that differs: the event the server rewrote.
func (a *auditor) locate(ctx context.Context) {
	for e, err := range a.r.entries(ctx, 0, min(a.now.Size, a.kept.Size)) {
		if err != nil {
			fmt.Fprintf(a.stdout, "could not fetch the server's leaves to find the first changed one: %v\n", err)
			return
		}
		if e.LeafHash == a.leaves[e.Index] {
			continue
		}
		what := "an event you may not read"
		if ev := e.Event; ev != nil {
			what = fmt.Sprintf("event %s@%d (%s)", ev.Stream, ev.Revision, ev.Type)
		}
		fmt.Fprintf(a.stdout, "FAILED at leaf %d (position %d, %s): the server's tree now holds leaf %s, the kept one was %s\n", e.Index, e.Position, what, e.LeafHash, a.leaves[e.Index])
		return
	}
	if a.now.Size < a.kept.Size {
		fmt.Fprintf(a.stdout, "FAILED at leaf %d: the server's log now ends there; the kept one held %d events\n", a.now.Size, a.kept.Size)
	}
}

// save keeps this audit's checkpoint, leaves and chains in dir.
func (a *auditor) save(dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("--keep: %w", err)
	}
	if a.vkeyNew != "" {
		if err := writeFileSync(filepath.Join(dir, keepVkey), []byte(a.vkeyNew+"\n")); err != nil {
			return err
		}
	}
	b := make([]byte, 0, len(a.leaves)*tlog.HashSize)
	for _, l := range a.leaves {
		b = append(b, l[:]...)
	}
	heads, err := json.Marshal(a.chains.Heads)
	if err != nil {
		return fmt.Errorf("--keep: %w", err)
	}
	// The checkpoint last: a run cut short leaves the older checkpoint,
	// whose size the leaves file then no longer matches, and says so.
	for _, f := range []struct {
		name string
		b    []byte
	}{{keepLeaves, b}, {keepChains, heads}, {keepCheckpoint, a.nowMsg}} {
		if err := writeFileSync(filepath.Join(dir, f.name), f.b); err != nil {
			return err
		}
	}
	return nil
}
