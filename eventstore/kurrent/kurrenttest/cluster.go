package kurrenttest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Cluster is a stand-in KurrentDB cluster: nodes that share one log (so
// replication is instant), one of them the leader, each answering gossip
// with the same members. As on a real cluster, a follower asked for a call
// that requires the leader (the requires-leader header) refuses it with the
// not-leader exception and the leader's endpoint in the trailers; a call
// without the header is served by the follower (writes forwarded to the
// leader, reads from the follower's copy, which on a real cluster may lag),
// and counted (FollowerCalls).
type Cluster struct {
	nodes []*Server

	mu     sync.Mutex
	leader *Server
}

// MustStartCluster starts n nodes on free loopback ports, the first one
// the leader, and stops them when the test ends.
func MustStartCluster(tb testing.TB, n int) *Cluster {
	tb.Helper()
	c := &Cluster{}
	db := newDatabase()
	for range n {
		s := New()
		s.db, s.cluster = db, c
		if err := s.Start("127.0.0.1:0"); err != nil {
			tb.Fatalf("start kurrenttest cluster node: %v", err)
		}
		tb.Cleanup(s.Stop)
		c.nodes = append(c.nodes, s)
	}
	if err := c.Elect(c.nodes[0]); err != nil {
		tb.Fatal(err)
	}
	return c
}

// Nodes returns the cluster's nodes.
func (c *Cluster) Nodes() []*Server { return append([]*Server(nil), c.nodes...) }

// Leader returns the node that is leader now.
func (c *Cluster) Leader() *Server {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.leader
}

// Elect makes node the leader and tells every node's gossip, as after an
// election; a nil node leaves the cluster without a leader, as during an
// election. Calls in flight are not disturbed.
func (c *Cluster) Elect(node *Server) error {
	members := make([]Member, len(c.nodes))
	for i, n := range c.nodes {
		members[i] = Member{Addr: n.Addr(), Leader: n == node, Alive: true}
	}
	for _, n := range c.nodes {
		if err := n.SetMembers(members...); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.leader = node
	return nil
}

// ConnectionString names every node as a gossip seed and asks for the
// leader.
func (c *Cluster) ConnectionString() string {
	hosts := make([]string, len(c.nodes))
	for i, n := range c.nodes {
		hosts[i] = n.Addr()
	}
	return "kurrentdb://" + strings.Join(hosts, ",") + "?tls=false&nodePreference=leader"
}

// leaderFor returns the leader as node s sees it: s itself when it is no
// cluster's node.
func (c *Cluster) leaderFor(s *Server) *Server {
	if c == nil {
		return s
	}
	return c.Leader()
}

// streamsMethod prefixes the Streams service's method names.
const streamsMethod = "/event_store.client.streams.Streams/"

// admit decides whether the node serves a call: a secure node checks the
// credentials; a follower refuses a Streams call that requires the leader
// with KurrentDB's not-leader answer (status NotFound, the exception and
// the leader's endpoint in the trailers, set through trailer), or while the
// cluster has no leader with its "no leader info" answer (status Unknown),
// and counts the others.
func (s *Server) admit(ctx context.Context, method string, trailer func(metadata.MD)) error {
	if err := s.sec.authorize(ctx, method); err != nil {
		return err
	}
	leader := s.cluster.leaderFor(s)
	if leader == s || !strings.HasPrefix(method, streamsMethod) {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	if v := md.Get("requires-leader"); len(v) > 0 && strings.EqualFold(v[0], "true") {
		if leader == nil { // KurrentDB's RpcExceptions.NoLeaderInfo
			return status.Error(codes.Unknown, "No leader info available in response")
		}
		host, port, err := net.SplitHostPort(leader.Addr())
		if err != nil {
			return status.Errorf(codes.Internal, "kurrenttest: leader address: %v", err)
		}
		trailer(metadata.Pairs("exception", "not-leader", "leader-endpoint-host", host, "leader-endpoint-port", port))
		return status.Error(codes.NotFound, "Leader info available")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.followerCalls++
	return nil
}

// interceptors return the server options that run admit before every call.
func (s *Server) interceptors() []grpc.ServerOption {
	return []grpc.ServerOption{
		grpc.UnaryInterceptor(func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
			if err := s.admit(ctx, info.FullMethod, func(md metadata.MD) { _ = grpc.SetTrailer(ctx, md) }); err != nil {
				return nil, err
			}
			return handler(ctx, req)
		}),
		grpc.StreamInterceptor(func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
			if err := s.admit(ss.Context(), info.FullMethod, ss.SetTrailer); err != nil {
				return err
			}
			return handler(srv, ss)
		}),
	}
}

// FollowerCalls returns how many Streams calls the node has served while a
// follower: calls that did not require the leader.
func (s *Server) FollowerCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.followerCalls
}

// String names the node by its address, for test messages.
func (s *Server) String() string { return fmt.Sprintf("node %s", s.Addr()) }
