package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/demo"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
)

// demoDoors are the tokens the demo prints: one per role, each acting as a
// person of the demo's stories, so that every door can be tried at once.
var demoDoors = []struct {
	req  auth.IssueRequest
	try  string
	what string
}{
	{auth.IssueRequest{Role: auth.RoleAdmin, Name: "演示管理员", Subject: "demo-admin"},
		"/v1/communities/" + demo.Hengyuan, "the organisation of 衡苑社区"},
	{auth.IssueRequest{Role: auth.RoleFacilitator, Scope: auth.Scope{Community: demo.Hengyuan, Grid: "hy-grid-2"}, Name: "赵磊", Subject: "hy-w2"},
		"/v1/meetings/" + demo.ID("hy/parking/meeting") + "/live", "the parking-line meeting he ran"},
	{auth.IssueRequest{Role: auth.RoleGridWorker, Scope: auth.Scope{Community: demo.Hengyuan, Grid: "hy-grid-3"}, Name: "孙丽", Subject: "hy-w3"},
		"/v1/board?community=" + demo.Hengyuan + "&grid=hy-grid-3", "the open-issues board (民情账本) of her grid"},
	{auth.IssueRequest{Role: auth.RoleResident, Scope: auth.Scope{Community: demo.Hengyuan}, Name: "张明", Subject: "hy-r3"},
		"/v1/proposals/" + demo.ID("hy/parking") + "/timeline", "the parking proposal's whole story"},
	{auth.IssueRequest{Role: auth.RoleUnitRep, Scope: auth.Scope{Community: demo.Dongzhongxu}, Name: "热力公司片区经理", Subject: "dzx-heating"},
		"/v1/outcomes?community=" + demo.Dongzhongxu, "the actions of 东仲许社区 (行动清单)"},
	{auth.IssueRequest{Role: auth.RoleAuditor, Name: "街道督查", Subject: "demo-auditor"},
		"/v1/events/live", "the live event feed"},
}

// demoSignIn is the one-time sign-in link the demo prints, for the
// resident of demoDoors, so that a new user can take part in a browser.
var demoSignIn = auth.IssueRequest{Role: auth.RoleResident, Scope: auth.Scope{Community: demo.Hengyuan}, Name: "张明", Subject: "hy-r3", Kind: auth.KindSignIn}

// demoVolunteerSignIn is the sign-in link of the volunteer 曹建华, to whom
// the demo leaves an order dispatched and waiting for his answer (接单) and
// a points account (demo/resources.go).
var demoVolunteerSignIn = auth.IssueRequest{Role: auth.RoleResident, Scope: auth.Scope{Community: demo.Hengyuan}, Name: "曹建华", Subject: "hy-v4", Kind: auth.KindSignIn}

// printDemoTokens issues one token per role and prints how to use it,
// then sign-in links for the pages (a resident's and a volunteer's). The
// tokens of an earlier start are revoked first (their secrets were shown
// once and cannot be shown again), so that however often a store is
// served with --demo, only the six printed last are valid.
func printDemoTokens(ctx context.Context, l *ledger.Ledger, reg *auth.Registry, base string, stdout io.Writer) error {
	by := ledger.Actor{ID: "demo", Role: "operator"}
	if err := reg.Sync(ctx); err != nil {
		return fmt.Errorf("demo tokens: %w", err)
	}
	replaced := 0
	for _, t := range reg.List() {
		if t.IssuedBy != by.ID || !t.Revoked.IsZero() {
			continue
		}
		if _, err := auth.Revoke(ctx, l.Store(), l, by, t.ID, "replaced by the demo tokens of a new start", time.Now()); err != nil {
			return fmt.Errorf("demo tokens: revoke %s: %w", t.ID, err)
		}
		replaced++
	}
	fmt.Fprintf(stdout, "\nDemo tokens (each shown once; the next start with --demo revokes them and prints new ones")
	if replaced > 0 {
		fmt.Fprintf(stdout, "; the %d of the last start are revoked", replaced)
	}
	fmt.Fprintf(stdout, "):\n")
	var last eventstore.Position
	for _, d := range demoDoors {
		tok, secret, res, err := auth.Issue(ctx, l, by, d.req, time.Now())
		if err != nil {
			return fmt.Errorf("demo token for %s: %w", d.req.Role, err)
		}
		last = max(last, res.Position)
		fmt.Fprintf(stdout, "  %-12s %s  (%s, scope %s)\n", tok.Role, secret, d.req.Name, tok.Scope)
		fmt.Fprintf(stdout, "               curl -H 'Authorization: Bearer %s' '%s%s'   # %s\n", secret, base, d.try, d.what)
	}
	fmt.Fprintf(stdout, "\nPublic, no token: %s/v1/register (公示栏)  %s/v1/stats?community=%s\n", base, base, demo.Hengyuan)
	fmt.Fprintf(stdout, "\nIn a browser: %s/  (the pages; 中文 / English)\n", base)
	for _, link := range []struct {
		req  auth.IssueRequest
		who  string
		what string
	}{
		{demoSignIn, "the resident", ""},
		{demoVolunteerSignIn, "the volunteer", "; an order waits for his answer at /services"},
	} {
		code, secret, res, err := auth.Issue(ctx, l, by, link.req, time.Now())
		if err != nil {
			return fmt.Errorf("demo sign-in link: %w", err)
		}
		last = max(last, res.Position)
		fmt.Fprintf(stdout, "Sign in as %s %s (one use, 7 days%s): %s/signin?code=%s\n", link.who, code.Name, link.what, base, secret)
	}
	fmt.Fprintln(stdout)
	return reg.WaitFor(ctx, last)
}
