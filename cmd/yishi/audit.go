package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/yishi-civic/yishi/eventstore"
	yhttp "github.com/yishi-civic/yishi/http"
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
// and the leaves, and compares the tree with the checkpoint. The chains
// are checked on one goroutine per core (chainShard: streams are
// independent, each stream's events stay in order on one of them), the
// positions and the tree on this one, while another fetches ahead. The
// first inconsistency reported is the one at the lowest leaf index: after
// one is found no new batch is handed out, and every batch handed out
// before is checked to the end.
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
	a.leaves = slices.Grow(a.leaves, int(max(0, a.now.Size-from)))
	var failed atomic.Bool
	shards := make([]*chainShard, chainShards())
	var wg sync.WaitGroup
	for n := range shards {
		sh := &chainShard{n: uint32(n), of: uint32(len(shards)), in: make(chan *logBatch, 4), failed: &failed,
			chains: ledger.Chains{Heads: map[string]ledger.ChainHead{}}, names: map[string]string{}}
		shards[n] = sh
		wg.Go(sh.run)
	}
	for stream, h := range a.chains.Heads {
		shards[shardOf(stream, uint32(len(shards)))].chains.Heads[stream] = h
	}
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		for _, sh := range shards {
			close(sh.in)
		}
		wg.Wait()
	}
	var fail *auditFailure
	bar := newProgress(a.stderr, a.now.Size-from, "auditing")
	for b, err := range a.r.batches(ctx, from, a.now.Size) {
		if err != nil {
			stop()
			if fail = firstFailure(shards, nil); fail != nil {
				break // found before the fetch failed: report it
			}
			return err
		}
		b.refs.Store(int32(len(shards) + 1))
		for _, sh := range shards {
			sh.in <- b
		}
		for i := range b.frames {
			fr := &b.frames[i]
			if fr.Position <= head {
				fail = &auditFailure{index: fr.Index, msg: fmt.Sprintf("FAILED at leaf %d: position %d does not follow position %d", fr.Index, fr.Position, head)}
				break
			}
			if !fr.HasEvent {
				a.treeOnly++
			}
			head = fr.Position
			f.Add(fr.LeafHash)
			a.leaves = append(a.leaves, fr.LeafHash)
		}
		n := len(b.frames)
		b.release()
		a.fetched += int64(n)
		_ = bar.Add(n) // it only fails on a closed writer
		if fail != nil || failed.Load() {
			break
		}
	}
	stop()
	if fail = firstFailure(shards, fail); fail != nil {
		fmt.Fprintln(a.stdout, fail.msg)
		return errAuditFailed
	}
	_ = bar.Finish()
	a.chains.Heads = make(map[string]ledger.ChainHead, len(a.chains.Heads))
	for _, sh := range shards {
		maps.Copy(a.chains.Heads, sh.chains.Heads)
		a.chained += len(sh.names)
		a.unsalted += sh.unsalted
	}
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

// auditFailure is an inconsistency found at leaf index, described by msg.
type auditFailure struct {
	index int64
	msg   string
}

// firstFailure is the failure at the lowest leaf index among fail and the
// shards' (nil for none).
func firstFailure(shards []*chainShard, fail *auditFailure) *auditFailure {
	for _, sh := range shards {
		if sh.fail != nil && (fail == nil || sh.fail.index <= fail.index) {
			fail = sh.fail
		}
	}
	return fail
}

// chainShard checks the hash chains of the streams shardOf gives it, and
// that each of their events' chain hash gives the leaf the server's tree
// holds. Only its own goroutine touches it until in is closed and it
// returned.
type chainShard struct {
	n, of  uint32
	in     chan *logBatch
	failed *atomic.Bool
	chains ledger.Chains
	// names interns the names of the streams with events in this run, so
	// that an event's stream is not a new string each time.
	names    map[string]string
	unsalted int64
	fail     *auditFailure
}

// chainShards is how many goroutines check chains: one per core.
func chainShards() int { return max(1, runtime.GOMAXPROCS(0)) }

// shardOf is the shard, of n, that checks stream's chain.
func shardOf[S string | []byte](stream S, n uint32) uint32 {
	h := uint32(2166136261) // FNV-1a
	for i := 0; i < len(stream); i++ {
		h = (h ^ uint32(stream[i])) * 16777619
	}
	return h % n
}

// run checks each batch it is handed, until in is closed; after a failure
// it only releases them.
func (sh *chainShard) run() {
	for b := range sh.in {
		for i := range b.frames {
			if sh.fail != nil {
				break
			}
			fr := &b.frames[i]
			if fr.HasEvent && shardOf(fr.Stream, sh.of) == sh.n {
				if sh.fail = sh.check(fr); sh.fail != nil {
					sh.failed.Store(true)
				}
			}
		}
		b.release()
	}
}

// check checks one event's link in its stream's chain and its leaf.
func (sh *chainShard) check(fr *yhttp.LogFrame) *auditFailure {
	stream, ok := sh.names[string(fr.Stream)]
	if !ok {
		stream = string(fr.Stream)
		sh.names[stream] = stream
	}
	ev := eventstore.Event{
		ID: fr.ID, Stream: stream, Revision: fr.Revision, Position: fr.Position, Type: string(fr.Type),
		Recorded: time.Unix(0, fr.Recorded).UTC(), Data: fr.Data,
		Metadata: eventstore.Metadata{
			Actor: string(fr.Actor), Role: string(fr.Role), CorrelationID: string(fr.Correlation), CausationID: string(fr.Causation),
			PrevHash: string(fr.PrevHash), Hash: string(fr.Hash), HashScheme: fr.HashScheme, Salt: string(fr.Salt),
		},
	}
	if err := sh.chains.Check(ev); err != nil {
		return &auditFailure{index: fr.Index, msg: fmt.Sprintf("FAILED at leaf %d: %v", fr.Index, err)}
	}
	var chain [sha256.Size]byte
	if n, err := hex.Decode(chain[:], fr.Hash); err != nil || n != len(chain) {
		return &auditFailure{index: fr.Index, msg: fmt.Sprintf("FAILED at leaf %d: event %s@%d (position %d) carries hash %q, not %d hex bytes", fr.Index, stream, fr.Revision, fr.Position, fr.Hash, sha256.Size)}
	}
	if leaf := tlog.RecordHash(chain[:]); leaf != fr.LeafHash {
		return &auditFailure{index: fr.Index, msg: fmt.Sprintf("FAILED at leaf %d: event %s@%d (position %d) hashes to leaf %s, the server's tree holds %s", fr.Index, stream, fr.Revision, fr.Position, leaf, fr.LeafHash)}
	}
	if len(fr.Salt) == 0 {
		sh.unsalted++
	}
	return nil
}

// locate compares the server's leaves with the kept ones and names the
// first that differs: the event the server rewrote.
func (a *auditor) locate(ctx context.Context) {
	for b, err := range a.r.batches(ctx, 0, min(a.now.Size, a.kept.Size)) {
		if err != nil {
			fmt.Fprintf(a.stdout, "could not fetch the server's leaves to find the first changed one: %v\n", err)
			return
		}
		b.refs.Store(1)
		for i := range b.frames {
			fr := &b.frames[i]
			if fr.LeafHash == a.leaves[fr.Index] {
				continue
			}
			what := "an event you may not read"
			if fr.HasEvent {
				what = fmt.Sprintf("event %s@%d (%s)", fr.Stream, fr.Revision, fr.Type)
			}
			fmt.Fprintf(a.stdout, "FAILED at leaf %d (position %d, %s): the server's tree now holds leaf %s, the kept one was %s\n", fr.Index, fr.Position, what, fr.LeafHash, a.leaves[fr.Index])
			return
		}
		b.release()
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
