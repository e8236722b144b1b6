package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/yishi-civic/yishi/seal"
)

const sealUsage = `usage: yishi seal <keygen|sign|cosign> [flags]

  keygen --name NAME [--dir DIR]
         writes NAME.skey (secret, keep it off the server) and NAME.vkey (give it to auditors)
  sign   --store DIR|URL --key NAME.skey [--origin TEXT] [--out FILE]
         signs a checkpoint (size and Merkle root of the whole log); auditors keep the file
         and check it later with: yishi verify --checkpoint FILE --vkey NAME.vkey
  cosign --url URL --key WITNESS.skey --vkey SERVER.vkey --keep DIR [--post=false]
         a witness (a street office, a residents' committee) fetches the server's latest
         checkpoint, checks that it extends the last one it signed (kept in DIR) with the
         server's consistency proof, and only then adds its signature: DIR/<size>.note
         and DIR/latest.note hold the cosigned checkpoints; then it sends the cosigned
         checkpoint back to the server, which keeps it once an admin registered the
         witness's key (PUT /v1/witnesses/NAME) and lists it at GET /v1/checkpoints
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
		signer, err := readSigner(*keyFile)
		if err != nil {
			return err
		}
		store, desc, err := openStoreReadOnly(ctx, *spec)
		if err != nil {
			return err
		}
		defer closeStore(store, &err)
		bar := newProgress(stderr, -1, "hashing")
		tree, err := seal.Build(ctx, store, 0, func(n int64) { _ = bar.Set64(n) })
		_ = bar.Finish()
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
	case "cosign":
		return cosign(ctx, fs, args[1:], stdout)
	default:
		fmt.Fprint(stderr, sealUsage)
		return fmt.Errorf("seal: unknown subcommand %q", args[0])
	}
}

// cosign is `yishi seal cosign`.
func cosign(ctx context.Context, flags *flag.FlagSet, args []string, stdout io.Writer) error {
	fs := flags
	base := fs.String("url", "", "the server, e.g. https://yishi.example")
	keyFile := fs.String("key", "", "the witness's secret key file (yishi seal keygen)")
	vkeyFile := fs.String("vkey", "", "the server's verifier key file, obtained once from its operator (or GET /v1/checkpoint/key)")
	keep := fs.String("keep", "", "the witness's directory of cosigned checkpoints")
	post := fs.Bool("post", true, "send the cosigned checkpoint back to the server, which keeps it for everyone to see (GET /v1/checkpoints) once an admin registered the witness's key")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *base == "" || *keyFile == "" || *vkeyFile == "" || *keep == "" {
		return errors.New("seal cosign needs --url, --key, --vkey and --keep")
	}
	witness, err := readSigner(*keyFile)
	if err != nil {
		return err
	}
	server, err := readVerifier(*vkeyFile)
	if err != nil {
		return err
	}
	r, err := newRemote(*base, "")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*keep, 0o750); err != nil {
		return fmt.Errorf("--keep: %w", err)
	}
	latest := filepath.Join(*keep, "latest.note")
	var last *seal.Checkpoint
	if b, err := os.ReadFile(latest); err == nil {
		c, err := seal.Open(b, server)
		if err != nil {
			return fmt.Errorf("%s: %w", latest, err)
		}
		last = &c
	} else if !errors.Is(err, iofs.ErrNotExist) {
		return fmt.Errorf("--keep: %w", err)
	}
	msg, err := r.checkpoint(ctx)
	if err != nil {
		return err
	}
	c, err := seal.Open(msg, server)
	if err != nil {
		return err
	}
	var proof tlog.TreeProof
	if last != nil && last.Size < c.Size {
		if proof, err = r.consistency(ctx, last.Size, c.Size); err != nil {
			return err
		}
	}
	signed, c, err := seal.Cosign(msg, server, witness, last, proof)
	if errors.Is(err, seal.ErrInconsistent) {
		evidence := filepath.Join(*keep, fmt.Sprintf("refused-%d.note", c.Size))
		if werr := os.WriteFile(evidence, msg, 0o644); werr != nil {
			return errors.Join(err, werr)
		}
		fmt.Fprintf(stdout, "REFUSED: the server's checkpoint of %d events does not extend the one of %d events this witness signed: %v\nthe server's checkpoint is kept as evidence in %s\n", c.Size, last.Size, err, evidence)
		return fmt.Errorf("the server's log was rewritten")
	}
	if err != nil {
		return err
	}
	file := filepath.Join(*keep, fmt.Sprintf("%d.note", c.Size))
	if err := writeFileSync(file, signed); err != nil {
		return err
	}
	if err := writeFileSync(latest, signed); err != nil {
		return err
	}
	from := "its first checkpoint"
	if last != nil {
		from = fmt.Sprintf("consistent with the %d events signed before", last.Size)
	}
	fmt.Fprintf(stdout, "cosigned %q: %d events, root %s (%s) → %s\n", c.Origin, c.Size, c.Root, from, file)
	if !*post {
		return nil
	}
	if err := r.postCosigned(ctx, signed); err != nil {
		return fmt.Errorf("cosigned and kept, but the server did not take it: %w", err)
	}
	fmt.Fprintf(stdout, "sent to %s: the server keeps it\n", *base)
	return nil
}

// readSigner reads a note signer key file.
func readSigner(file string) (note.Signer, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--key: %w", err)
	}
	s, err := note.NewSigner(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("--key %s: %w", file, err)
	}
	return s, nil
}

// readVerifier reads a note verifier key file.
func readVerifier(file string) (note.Verifier, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--vkey: %w", err)
	}
	v, err := note.NewVerifier(strings.TrimSpace(string(b)))
	if err != nil {
		return nil, fmt.Errorf("--vkey %s: %w", file, err)
	}
	return v, nil
}

// writeFileSync writes b to file through a temporary file and a rename, synced.
func writeFileSync(file string, b []byte) error {
	tmp := file + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	_, werr := f.Write(b)
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	if err := os.Rename(tmp, file); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}
