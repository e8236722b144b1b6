package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestTokenCommands(t *testing.T) {
	dir := t.TempDir()
	getenv := func(string) string { return "" }
	runOK := func(args ...string) (string, string) {
		t.Helper()
		var out, errOut bytes.Buffer
		if err := run(context.Background(), args, getenv, &out, &errOut); err != nil {
			t.Fatalf("yishi %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		return out.String(), errOut.String()
	}
	secret, _ := runOK("token", "create", "--data", dir, "--role", "facilitator", "--community", "hengyuan", "--grid", "g3", "--name", "网格长")
	secret = strings.TrimSpace(secret)
	if !strings.HasPrefix(secret, "yst_") || len(secret) < 40 {
		t.Fatalf("secret %q", secret)
	}
	list, _ := runOK("token", "list", "--data", dir)
	if !strings.Contains(list, "facilitator") || !strings.Contains(list, "grid g3") || strings.Contains(list, secret) {
		t.Fatalf("list:\n%s", list)
	}
	id := strings.Fields(strings.Split(list, "\n")[1])[0]
	runOK("token", "revoke", "--data", dir, id)
	list, _ = runOK("token", "list", "--data", dir)
	if fields := strings.Fields(strings.Split(list, "\n")[1]); fields[len(fields)-1] == "-" {
		t.Fatalf("revoked token listed as valid:\n%s", list)
	}
	var errOut bytes.Buffer
	if err := run(context.Background(), []string{"token", "revoke", "--data", dir, id}, getenv, &bytes.Buffer{}, &errOut); err == nil {
		t.Fatal("revoking twice succeeded")
	}
	if err := run(context.Background(), []string{"token", "create", "--data", dir, "--role", "mayor"}, getenv, &bytes.Buffer{}, &errOut); err == nil {
		t.Fatal("unknown role accepted")
	}
}
