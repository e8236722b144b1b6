// Command yishi is the Yishi ledger's one binary: serve, and the operator and
// auditor commands around it.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "yishi:", err)
		os.Exit(1)
	}
}

const usage = `usage: yishi <command> [flags]

commands:
  serve     run the HTTP service
  copy      copy a whole ledger between stores (embedded <-> KurrentDB)
  token     create, list and revoke access tokens
  verify    re-compute every stream's hash chain and name the first event that does not match
            (--checkpoint: against a signed checkpoint; --views: rebuild the views and compare the snapshots)
  seal      make signing keys and signed checkpoints of the whole log; cosign a server's as a witness
  audit     audit a running server from another machine: checkpoints, proofs, every event since
  export    write every event, in global order, as JSON lines
  import    load an export into an empty store and verify it
  reseal    copy a ledger written before sealing into an empty store, sealing its personal data; signed note of why
  person    erase a person's data, export a person's own data, run the retention rules
  vapid-keys  print a new VAPID key pair for Web Push notifications (docs/notifications.md)
  generate  add generated, domain-valid events (communities, proposals, meetings, votes, actions) for load tests
`

// run is the whole program; tests call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], getenv, stdout, stderr)
	case "token":
		return tokenCmd(ctx, args[1:], getenv, stdout, stderr)
	case "generate":
		return generate(ctx, args[1:], getenv, stdout, stderr)
	case "verify":
		return verify(ctx, args[1:], getenv, stdout, stderr)
	case "audit":
		return audit(ctx, args[1:], getenv, stdout, stderr)
	case "seal":
		return sealCmd(ctx, args[1:], getenv, stdout, stderr)
	case "export":
		return export(ctx, args[1:], getenv, stdout, stderr)
	case "import":
		return importCmd(ctx, args[1:], getenv, stdout, stderr)
	case "copy":
		return copyCmd(ctx, args[1:], getenv, stdout, stderr)
	case "reseal":
		return resealCmd(ctx, args[1:], getenv, stdout, stderr)
	case "person":
		return personCmd(ctx, args[1:], getenv, stdout, stderr)
	case "vapid-keys":
		return vapidKeys(ctx, args[1:], stdout)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", args[0])
	}
}

// envOr returns the environment variable key, or def when it is empty.
func envOr(getenv func(string) string, key, def string) string {
	if v := getenv(key); v != "" {
		return v
	}
	return def
}
