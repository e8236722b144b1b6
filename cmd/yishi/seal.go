package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/yishi-civic/yishi/seal"
)

const sealUsage = `usage: yishi seal <keygen|sign> [flags]

  keygen --name NAME [--dir DIR]
         writes NAME.skey (secret, keep it off the server) and NAME.vkey (give it to auditors)
  sign   --store DIR|URL --key NAME.skey [--origin TEXT] [--out FILE]
         signs a checkpoint (size and Merkle root of the whole log); auditors keep the file
         and check it later with: yishi verify --checkpoint FILE --vkey NAME.vkey
`

// sealCmd makes signing keys and signed checkpoints of the log.
func sealCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (err error) {
	if len(args) == 0 {
		fmt.Fprint(stderr, sealUsage)
		return errors.New("seal: no subcommand given")
	}
	fs := flag.NewFlagSet("seal "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	switch args[0] {
	case "keygen":
		name := fs.String("name", "", "key name, e.g. yishi-hengyuan")
		dir := fs.String("dir", ".", "directory for the key files")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		skey, vkey, err := note.GenerateKey(rand.Reader, *name)
		if err != nil {
			return fmt.Errorf("seal keygen: %w", err)
		}
		base := filepath.Join(*dir, *name)
		if err := os.WriteFile(base+".skey", []byte(skey+"\n"), 0o600); err != nil {
			return fmt.Errorf("seal keygen: %w", err)
		}
		if err := os.WriteFile(base+".vkey", []byte(vkey+"\n"), 0o644); err != nil {
			return fmt.Errorf("seal keygen: %w", err)
		}
		fmt.Fprintf(stdout, "wrote %s.skey (secret) and %s.vkey (for auditors)\n", base, base)
		return nil
	case "sign":
		spec := storeFlag(fs, getenv)
		keyFile := fs.String("key", "", "the secret key file from yishi seal keygen")
		origin := fs.String("origin", "yishi", "the name of this ledger, written into the checkpoint")
		out := fs.String("out", "-", "checkpoint file, - for standard output")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		skey, err := os.ReadFile(*keyFile)
		if err != nil {
			return fmt.Errorf("--key: %w", err)
		}
		signer, err := note.NewSigner(strings.TrimSpace(string(skey)))
		if err != nil {
			return fmt.Errorf("--key: %w", err)
		}
		store, desc, err := openStoreReadOnly(ctx, *spec)
		if err != nil {
			return err
		}
		defer closeStore(store, &err)
		tree, err := seal.Build(ctx, store, 0, func(n int64) { fmt.Fprintf(stderr, "  %d events hashed\n", n) })
		if err != nil {
			return err
		}
		msg, c, err := seal.Sign(tree, *origin, signer)
		if err != nil {
			return err
		}
		if *out == "-" {
			_, err = stdout.Write(msg)
			return err
		}
		if err := os.WriteFile(*out, msg, 0o644); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		fmt.Fprintf(stdout, "sealed %s: %d events, root %s, head position %d → %s\n", desc, c.Size, c.Root, c.Head, *out)
		return nil
	default:
		fmt.Fprint(stderr, sealUsage)
		return fmt.Errorf("seal: unknown subcommand %q", args[0])
	}
}
