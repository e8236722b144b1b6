package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"text/tabwriter"
	"time"

	"github.com/google/uuid"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
)

const tokenUsage = `usage: yishi token <create|list|revoke> [flags]

  create --data DIR --role ROLE [--community ID] [--grid ID] [--name NAME] [--subject ID] [--keys DIR]
         prints a new bearer token (shown once; only its hash is stored; the
         name is sealed with the key store, docs/privacy.md)
  list   --data DIR [--keys DIR]
  revoke --data DIR [--reason TEXT] TOKEN-ID
`

// tokenCmd manages access tokens in a ledger that no server holds open
// (the embedded store is locked by a running server: use the API's
// /v1/tokens there).
func tokenCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return errors.New("token: no subcommand given")
	}
	sub := args[0]
	fs := flag.NewFlagSet("token "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", envOr(getenv, "YISHI_DATA", "./data"), "data directory of the embedded store (env YISHI_DATA)")
	storeSpec := fs.String("store", getenv("YISHI_STORE"), "store: a data directory or a kurrentdb:// connection string (env YISHI_STORE); default --data")
	keys := keysFlag(fs, getenv)
	var role, community, grid, name, subject, reason *string
	switch sub {
	case "create":
		role = fs.String("role", "", "admin, facilitator, grid_worker, resident, unit_rep or auditor")
		community = fs.String("community", "", "community the token is limited to (empty: every community)")
		grid = fs.String("grid", "", "grid the token is limited to (needs --community)")
		name = fs.String("name", "", "who holds the token, for people")
		subject = fs.String("subject", "", "person or unit id the holder acts as (the actor of its events)")
	case "list":
	case "revoke":
		reason = fs.String("reason", "", "why the token is revoked")
	default:
		fmt.Fprint(stderr, tokenUsage)
		return fmt.Errorf("token: unknown subcommand %q", sub)
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	spec := *storeSpec
	if spec == "" {
		spec = *data
	}
	store, desc, err := openStore(ctx, spec)
	if err != nil {
		return err
	}
	defer store.Close()
	// Names are sealed with the key store: create needs it (and makes it on
	// a fresh ledger), list opens it read-only when there is one.
	var sealer *privacy.Sealer
	var opts []ledger.Option
	dir := keysDir(*keys, spec, *data)
	if _, serr := os.Stat(dir); sub == "create" || serr == nil || isSharedKeys(dir) {
		var ko []privacy.KeyDirOption
		if sub != "create" {
			ko = append(ko, privacy.ReadOnly())
		}
		kd, kerr := openKeyStore(ctx, dir, getenv, ko...)
		if kerr != nil {
			return kerr
		}
		sealer = privacy.NewSealer(kd)
		defer closeSealer(sealer, &err)
		opts = append(opts, ledger.WithSealer(sealer))
	}
	l := ledger.New(store, opts...)
	reg := auth.NewRegistry(store, auth.Opening(sealer))
	by := ledger.Actor{ID: operator(), Role: "operator"}
	switch sub {
	case "create":
		r, err := auth.ParseRole(*role)
		if err != nil {
			return fmt.Errorf("token create: %w", err)
		}
		req := auth.IssueRequest{Role: r, Scope: auth.Scope{Community: *community, Grid: *grid}, Name: *name, Subject: *subject}
		if err := reg.Sync(ctx); err != nil {
			return fmt.Errorf("token create in %s: %w", desc, err)
		}
		if err := auth.CheckIssue(ctx, l, reg, req, auth.Scope{}); err != nil {
			return fmt.Errorf("token create in %s: %w", desc, err)
		}
		tok, secret, _, err := auth.Issue(ctx, l, by, req, time.Now())
		if err != nil {
			return fmt.Errorf("token create in %s: %w", desc, err)
		}
		fmt.Fprintf(stderr, "token %s (%s, scope %s) issued; the secret below is shown once:\n", tok.ID, tok.Role, tok.Scope)
		fmt.Fprintln(stdout, secret)
		return nil
	case "list":
		if err := reg.Sync(ctx); err != nil {
			return fmt.Errorf("token list in %s: %w", desc, err)
		}
		w := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tROLE\tSCOPE\tNAME\tSUBJECT\tISSUED\tREVOKED")
		for _, t := range reg.List() {
			revoked := "-"
			if !t.Revoked.IsZero() {
				revoked = t.Revoked.Format(time.RFC3339)
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Role, t.Scope, t.Name, t.Subject, t.Issued.Format(time.RFC3339), revoked)
		}
		return w.Flush()
	default: // revoke
		if fs.NArg() != 1 {
			fmt.Fprint(stderr, tokenUsage)
			return errors.New("token revoke: give exactly one token id")
		}
		id, err := uuid.Parse(fs.Arg(0))
		if err != nil {
			return fmt.Errorf("token revoke: %q is not a token id", fs.Arg(0))
		}
		if _, err := auth.Revoke(ctx, store, l, by, id, *reason, time.Now()); err != nil {
			return fmt.Errorf("token revoke in %s: %w", desc, err)
		}
		fmt.Fprintf(stdout, "token %s revoked\n", id)
		return nil
	}
}

// operator names the person at the command line, recorded as the actor of
// token events issued there.
func operator() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "operator:" + u.Username
	}
	return "operator"
}
