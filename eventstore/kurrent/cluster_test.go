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

// TestFollowsTheLeader elects another leader while the adapter works on the
// old one. Every later call must reach the new leader: the old one, now a
// follower, refuses calls that require the leader and names the new one,
// and the adapter makes them again there. A call the follower served
// instead (a forwarded write, a read of its possibly stale copy, the
// revision of a conflict read from it) fails the test.
func TestFollowsTheLeader(t *testing.T) {
	cluster := kurrenttest.MustStartCluster(t, 3)
	nodes := cluster.Nodes()
	s, err := kurrent.Open(context.Background(), cluster.ConnectionString())
	if err != nil {
		t.Fatalf("open the cluster: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	first := event("proposal.submitted.v1", 1)
	mustAppend(t, s, "proposal-l", eventstore.NoStream(), first)
	sub := subscribe(t, s, eventstore.SubscribeOptions{Filter: eventstore.Filter{StreamPrefixes: []string{"proposal-l"}}})
	got, _ := sub.events(1)
	sameIDs(t, "before the election", got, []eventstore.EventData{first})

	if err := cluster.Elect(nodes[1]); err != nil {
		t.Fatal(err)
	}
	nodes[0].DropSubscriptions() // the subscription must come back, on the new leader

	second := event("proposal.triaged.v1", 2)
	if _, err := s.Append(ctx, "proposal-l", eventstore.Exact(0), second); err != nil {
		t.Fatalf("append after the election: %v", err)
	}
	_, err = s.Append(ctx, "proposal-l", eventstore.Exact(0), event("proposal.merged.v1", 3))
	var wrong *eventstore.WrongRevisionError
	if !errors.As(err, &wrong) || wrong.Actual != 1 {
		t.Errorf("conflicting append after the election: %v, want a wrong revision with actual 1", err)
	}
	var read []eventstore.Event
	for e, err := range s.ReadStream(ctx, "proposal-l", eventstore.ReadStreamOptions{}) {
		if err != nil {
			t.Fatalf("read after the election: %v", err)
		}
		read = append(read, e)
	}
	sameIDs(t, "read after the election", read, []eventstore.EventData{first, second})
	got, _ = sub.events(1)
	sameIDs(t, "subscription after the election", got, []eventstore.EventData{second})

	for _, n := range nodes {
		if calls := n.FollowerCalls(); calls != 0 {
			t.Errorf("%s served %d calls as a follower, want every call on the leader", n, calls)
		}
	}
}

// TestOpenWhileElecting opens the store while the cluster has no leader:
// the client connects to a follower, which answers a call that requires the
// leader with "no leader info". That must read as unavailable, which
// callers wait out (serve --store-wait), and the store opens once a leader
// is elected.
func TestOpenWhileElecting(t *testing.T) {
	cluster := kurrenttest.MustStartCluster(t, 3)
	if err := cluster.Elect(nil); err != nil {
		t.Fatal(err)
	}
	url := cluster.ConnectionString() + "&maxDiscoverAttempts=2&discoveryInterval=10"
	if _, err := kurrent.Open(context.Background(), url); !errors.Is(err, eventstore.ErrUnavailable) {
		t.Fatalf("open while the cluster has no leader: %v, want ErrUnavailable", err)
	}
	if err := cluster.Elect(cluster.Nodes()[2]); err != nil {
		t.Fatal(err)
	}
	s, err := kurrent.Open(context.Background(), url)
	if err != nil {
		t.Fatalf("open once a leader is elected: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	mustAppend(t, s, "proposal-e", eventstore.NoStream(), event("proposal.submitted.v1", 1))
}
