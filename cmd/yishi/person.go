package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/internal/answershelf"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
	"github.com/yishi-civic/yishi/projections"
)

const personUsage = `usage: yishi person <erase|export|retention|import-keys> [flags]

  erase     --person ID --reason TEXT [--ground G] [--by ID]
            records the erasure (PIPL art. 47) and destroys the person's key:
            their names, texts, photos and door numbers read as erased
            everywhere, in every copy; the hash chain and checkpoints stay valid
  export    --person ID [--out FILE]
            the person's own data as JSON (PIPL art. 45)
  retention [--dry-run] [--at TIME] [--proposal-text AGE] [--action-photos AGE] [--inactive-person AGE]
            erases what the retention rules say is due, and reports it
  import-keys --in FILE
            restores keys from a key file written by yishi export --with-keys;
            a key never replaces the tombstone of an erased one

Every subcommand takes --data, --store, --keys and --blobs; the embedded store and the
key store are locked by a running server: use the admin API there.
AGE is a Go duration or a number of days (1095d) or years (3y).
`

// Retention defaults (docs/privacy.md).
const (
	defaultProposalText   = "3y"
	defaultActionPhotos   = "3y"
	defaultInactivePerson = "5y"
)

// personCmd is `yishi person`.
func personCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	if len(args) == 0 {
		fmt.Fprint(stderr, personUsage)
		return errors.New("person: no subcommand given")
	}
	sub := args[0]
	fs := flag.NewFlagSet("person "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, personUsage); fs.PrintDefaults() }
	data := fs.String("data", envOr(getenv, "YISHI_DATA", "./data"), "data directory (env YISHI_DATA)")
	storeSpec := fs.String("store", getenv("YISHI_STORE"), "store: a data directory or a kurrentdb:// connection string (env YISHI_STORE); default --data")
	keys := keysFlag(fs, getenv)
	blobsSpec := blobsFlag(fs, getenv)
	var person, reason, ground, by, out, in *string
	var dryRun *bool
	var at *string
	var rules retentionFlags
	switch sub {
	case "erase":
		person = fs.String("person", "", "the person's id")
		reason = fs.String("reason", "", "why, in words, without repeating the personal data")
		ground = fs.String("ground", domain.GroundRequest, "request, consent_withdrawn, purpose_achieved, retention_expired or unlawful (PIPL art. 47)")
		by = fs.String("by", "", "the id of who asked for it; default the operating system user")
	case "export":
		person = fs.String("person", "", "the person's id")
		out = fs.String("out", "-", "file to write, - for standard output")
	case "import-keys":
		in = fs.String("in", "", "the key file")
	case "retention":
		dryRun = fs.Bool("dry-run", false, "report what is due without erasing it")
		at = fs.String("at", "", "evaluate the rules as of this time (RFC 3339), to see what falls due when; default now")
		rules.register(fs)
	default:
		fmt.Fprint(stderr, personUsage)
		return fmt.Errorf("person: unknown subcommand %q", sub)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("person %s: unexpected arguments %q", sub, fs.Args())
	}
	if person != nil && *person == "" {
		return fmt.Errorf("person %s: --person is required", sub)
	}
	spec := *storeSpec
	if spec == "" {
		spec = *data
	}
	store, _, err := openStore(ctx, spec)
	if err != nil {
		return err
	}
	defer closeStore(store, &err)
	sealer, err := openSealer(ctx, keysDir(*keys, spec, *data), getenv)
	if err != nil {
		return err
	}
	defer closeSealer(sealer, &err)
	opts := []ledger.Option{ledger.WithSealer(sealer)}
	if sub != "export" {
		// Erasures erase the photos only the erased referred to.
		blobs, err := openBlobs(ctx, *blobsSpec, spec, *data, getenv)
		if err != nil {
			return err
		}
		opts = append(opts, ledger.WithPhotos(privacy.NewBlobs(blobs, sealer)))
	}
	l := ledger.New(store, opts...)
	views := filepath.Join(*data, "projections")
	if sub == "import-keys" {
		n, err := readKeyFile(ctx, sealer.Keys(), *in)
		if err != nil {
			return fmt.Errorf("person import-keys: %w", err)
		}
		// The log stays the authority: keys of recorded erasures go again.
		erasures, err := l.ApplyErasures(ctx)
		if err != nil {
			return err
		}
		emptyAnswerShelf(ctx, *data, sealer.Keys(), false, stderr)
		fmt.Fprintf(stdout, "imported %d keys and tombstones; %d recorded erasures re-applied\n", n, erasures)
		return nil
	}

	switch sub {
	case "erase":
		asker := *by
		if asker == "" {
			asker = operator()
		}
		cmd := domain.EraseData{Subject: domain.ErasePerson, ID: *person, Ground: *ground, Reason: *reason, By: asker}
		res, err := l.Erase(ctx, cmd, ledger.Actor{ID: asker, Role: "admin"}, ledger.Options{})
		if err != nil {
			return fmt.Errorf("person erase: %w", err)
		}
		dropped, err := projections.DropPlaintextSnapshots(views)
		if err != nil {
			return err
		}
		emptyAnswerShelf(ctx, *data, sealer.Keys(), true, stderr)
		if res.Replayed {
			fmt.Fprintf(stdout, "person %s was erased already; key destroyed again\n", *person)
		} else {
			fmt.Fprintf(stdout, "person %s erased at position %d; key destroyed\n", *person, res.Position)
		}
		if dropped > 0 {
			fmt.Fprintf(stdout, "%d view snapshots of an older version, which held personal data in plaintext, dropped (rebuilt at the next start)\n", dropped)
		}
		return nil
	case "export":
		exp, err := l.ExportPerson(ctx, *person)
		if err != nil {
			return fmt.Errorf("person export: %w", err)
		}
		return writeJSONFile(*out, stdout, exp)
	default:
		r, err := rules.parse()
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		if *at != "" {
			if now, err = time.Parse(time.RFC3339, *at); err != nil {
				return fmt.Errorf("--at: %w", err)
			}
		}
		due, err := l.RetentionDue(ctx, r, now)
		if err != nil {
			return err
		}
		for _, d := range due {
			fmt.Fprintf(stdout, "%s\t%s %s\tsince %s\n", d.Rule, d.Subject, d.ID, d.Since.Format(time.DateOnly))
		}
		if *dryRun {
			fmt.Fprintf(stdout, "retention: %d erasures due (dry run: nothing erased)\n", len(due))
			return nil
		}
		n, err := l.ApplyRetention(ctx, due)
		if n > 0 {
			if _, derr := projections.DropPlaintextSnapshots(views); derr != nil && err == nil {
				err = derr
			}
			emptyAnswerShelf(ctx, *data, sealer.Keys(), true, stderr)
		}
		fmt.Fprintf(stdout, "retention: %d of %d due erasures done\n", n, len(due))
		return err
	}
}

// emptyAnswerShelf removes the public answers kept on disk in data after
// an erasure, or after keys were imported (an answer made while a key was
// missing shows its person as erased). A server running on data holds
// them, and removes them itself when it follows the erasure.
// erased says which: a server follows erasures, not imports.
func emptyAnswerShelf(ctx context.Context, data string, keys answershelf.Keys, erased bool, stderr io.Writer) {
	err := answershelf.Empty(ctx, filepath.Join(data, "answers"), keys)
	switch {
	case errors.Is(err, answershelf.ErrInUse) && erased:
		fmt.Fprintf(stderr, "the answers kept on disk in %s are in use by a running server: it removes them itself as it follows the erasure\n", data)
	case errors.Is(err, answershelf.ErrInUse):
		fmt.Fprintf(stderr, "warning: the answers kept on disk in %s are in use by a running server and may show people whose keys were missing as erased: stop it and run this again\n", data)
	case err != nil:
		fmt.Fprintf(stderr, "warning: the answers kept on disk were not removed: %v (remove %s while no server runs on it)\n", err, filepath.Join(data, "answers"))
	}
}

// retentionFlags are the retention rules' ages as flags.
type retentionFlags struct {
	proposalText, actionPhotos, inactivePerson *string
}

func (f *retentionFlags) register(fs *flag.FlagSet) {
	f.proposalText = fs.String("proposal-text", defaultProposalText, "erase an ended proposal's text, place and photos this long after it ended; 0 keeps them")
	f.actionPhotos = fs.String("action-photos", defaultActionPhotos, "erase an ended action's photos this long after it ended; 0 keeps them")
	f.inactivePerson = fs.String("inactive-person", defaultInactivePerson, "erase a person without a role this long after the last event holding their data; 0 keeps them")
}

func (f *retentionFlags) parse() (ledger.Retention, error) {
	var r ledger.Retention
	for _, x := range []struct {
		name string
		v    string
		dst  *time.Duration
	}{{"proposal-text", *f.proposalText, &r.ProposalText}, {"action-photos", *f.actionPhotos, &r.ActionPhotos}, {"inactive-person", *f.inactivePerson, &r.InactivePerson}} {
		d, err := parseAge(x.v)
		if err != nil {
			return r, fmt.Errorf("--%s: %w", x.name, err)
		}
		*x.dst = d
	}
	return r, nil
}

// parseAge reads a Go duration, or a whole number of days ("1095d") or
// years of 365 days ("3y").
func parseAge(s string) (time.Duration, error) {
	for suffix, unit := range map[string]time.Duration{"d": 24 * time.Hour, "y": 365 * 24 * time.Hour} {
		if n, ok := strings.CutSuffix(s, suffix); ok {
			v, err := strconv.Atoi(n)
			if err != nil || v < 0 {
				return 0, fmt.Errorf("%q: want a Go duration, or a whole number of days (1095d) or years (3y)", s)
			}
			return time.Duration(v) * unit, nil
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want a Go duration, or a whole number of days (1095d) or years (3y)", s)
	}
	return d, nil
}

// writeJSONFile writes v as indented JSON to path, or to stdout for "-".
func writeJSONFile(path string, stdout io.Writer, v any) (err error) {
	w := stdout
	if path != "-" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
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
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	return nil
}
