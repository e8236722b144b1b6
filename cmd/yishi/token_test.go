package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/ledger"
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
	// The community and grid must exist, and a facilitator be their staff.
	var refused bytes.Buffer
	if err := run(context.Background(), []string{"token", "create", "--data", dir, "--role", "facilitator", "--community", "hengyuan", "--grid", "g3"}, getenv, &bytes.Buffer{}, &refused); err == nil {
		t.Fatal("a token for a community that does not exist was issued")
	}
	store, err := pebble.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	l := ledger.New(store)
	for _, cmd := range []domain.Command{
		domain.RegisterCommunity{CommunityID: "hengyuan", Name: "衡苑社区", Kind: domain.CommunityUrban, Street: "街道"},
		domain.CreateGrid{CommunityID: "hengyuan", GridID: "g3", Name: "第三网格", Kind: domain.GridResidential},
		domain.AppointGridHead{CommunityID: "hengyuan", GridID: "g3", PersonID: "head-3", Name: "网格长"},
	} {
		if _, err := l.Execute(context.Background(), cmd, ledger.Actor{ID: "test", Role: "admin"}, ledger.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"token", "create", "--data", dir, "--role", "facilitator", "--community", "hengyuan", "--grid", "g3", "--subject", "r-9"}, getenv, &bytes.Buffer{}, &refused); err == nil {
		t.Fatal("a facilitator token for someone who is not staff was issued")
	}
	secret, _ := runOK("token", "create", "--data", dir, "--role", "facilitator", "--community", "hengyuan", "--grid", "g3", "--name", "网格长", "--subject", "head-3")
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
