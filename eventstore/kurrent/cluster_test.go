package kurrent_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent"
	"github.com/yishi-civic/yishi/eventstore/kurrent/kurrenttest"
)

// TestThreeNodeConnectionString connects through a connection string that
// names three nodes: the client asks a node for gossip, picks the leader and
// writes there, whichever seed it tries first.
func TestThreeNodeConnectionString(t *testing.T) {
	nodes := []*kurrenttest.Server{kurrenttest.MustStart(t), kurrenttest.MustStart(t), kurrenttest.MustStart(t)}
	leader := nodes[1]
	members := make([]kurrenttest.Member, len(nodes))
	hosts := make([]string, len(nodes))
	for i, n := range nodes {
		members[i] = kurrenttest.Member{Addr: n.Addr(), Leader: n == leader, Alive: true}
		hosts[i] = n.Addr()
	}
	for _, n := range nodes {
		if err := n.SetMembers(members...); err != nil {
			t.Fatal(err)
		}
	}
	url := "kurrentdb://" + strings.Join(hosts, ",") + "?tls=false&nodePreference=leader"
	cfg, err := kurrent.ParseConnectionString(url)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.GossipSeeds) != 3 {
		t.Fatalf("%s parsed to %d gossip seeds, want 3", url, len(cfg.GossipSeeds))
	}
	s, err := kurrent.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("open the cluster: %v", err)
	}
	defer s.Close()
	e := event("proposal.submitted.v1", 1)
	mustAppend(t, s, "proposal-c", eventstore.NoStream(), e)

	for _, n := range nodes {
		direct := mustOpen(t, n)
		var got []eventstore.Event
		for ev, err := range direct.ReadStream(context.Background(), "proposal-c", eventstore.ReadStreamOptions{}) {
			if err != nil && !errors.Is(err, eventstore.ErrStreamNotFound) {
				t.Fatal(err)
			}
			if err == nil {
				got = append(got, ev)
			}
		}
		if want := n == leader; (len(got) == 1 && got[0].ID == e.ID) != want {
			t.Errorf("node %s (leader %v) holds %d events of proposal-c", n.Addr(), want, len(got))
		}
	}
}
