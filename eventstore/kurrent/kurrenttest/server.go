// Package kurrenttest is an in-process stand-in for a KurrentDB node that the
// kurrent adapter's tests run against. It is test code: it keeps everything
// in memory, has no durability, security or clustering, and must never be
// offered as a store.
//
// It serves a subset of KurrentDB's public gRPC protocol through the service
// interfaces generated in the v4 client module (protos/streams,
// protos/gossip), on a real loopback TCP listener, with the semantics the
// KurrentDB documentation and the client's own tests describe:
//
//   - Streams.Append: expected revision any / no stream / stream exists /
//     exact, wrong-expected-version replies carrying the current and expected
//     revisions, idempotent writes by event id (a repeated append of the same
//     ids at the same place answers with the original result and writes
//     nothing), the size limits of a version (SetLimits; 1 MiB an append up
//     to 25.0, 256 MiB an append and 16 MiB an event from 25.1), counted as
//     the server counts and refused with its exceptions and messages, and
//     appends to a tombstoned stream refused with the stream-deleted
//     exception.
//   - Streams.Read of a stream and of $all in both directions (forwards from a
//     position inclusive, backwards from a position exclusive), answering only
//     with event and stream-not-found messages, every event's metadata
//     carrying type, content-type and created (.NET ticks since the Unix
//     epoch, in decimal).
//   - Catch-up subscriptions to $all: the confirmation first, start exclusive
//     of the given position, stream-name or event-type filters (prefixes or a
//     regular expression), checkpoints every window × multiplier records
//     scanned and on going live, a caught-up message (unless OmitCaughtUp),
//     then live events.
//     DropSubscriptions ends them with Aborted, as a node does to slow
//     consumers.
//   - Streams.Tombstone, replying with a position; reads of a tombstoned
//     stream fail with the stream-deleted exception and stream-name trailer.
//   - Gossip.Read, answering with the members set by SetMembers (for
//     connection strings that name several nodes).
//   - Replication (SetReplicationDelay, HoldReplication): an append waits
//     after writing before it answers, and a repeat of its events meanwhile
//     gets no answer until the prepare timeout and then Aborted, as
//     KurrentDB drops an "idempotent, not ready" write.
//   - Clusters (MustStartCluster): nodes sharing one log, one the leader;
//     Elect moves the leadership. A follower refuses a Streams call that
//     carries the requires-leader header with the not-leader exception and
//     the leader's endpoint in the trailers (status NotFound, as KurrentDB's
//     RpcExceptions.LeaderInfo), and serves and counts the others.
//   - With Secure, TLS with a self-signed certificate and basic-auth
//     credentials required on every call (Unauthenticated otherwise).
//   - A keepalive enforcement policy that permits the client's 10 s pings
//     without streams, so idle connections are not ended with GOAWAY.
//
// It does not cover: BatchAppend, soft Delete, stream subscriptions,
// persistent subscriptions, projections, users and ACLs (Secure admits one
// user, to everything), client certificates, resolving links, replication
// lag (a cluster's nodes share one log) and elections of their own (tests
// call Elect), stream metadata ($max-count, $tb …),
// or server features (GetSupportedMethods answers Unimplemented, which the
// client accepts).
// Event ids are checked for idempotency within a stream against all its
// events, where KurrentDB keeps a bounded cache.
//
// Stop and Restart keep the data, so tests can take the node away and bring
// it back on the same address.
package kurrenttest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/gossip"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

// MaxAppendSize is KurrentDB's default limit on the events of one append up
// to server 25.0, in bytes, counted as the server counts (see Limits). The
// server starts with it.
const MaxAppendSize = 1 << 20

// Limits are a node's append size limits in bytes. KurrentDB counts an
// event as its data plus its metadata plus twice the length of its type
// (Event.SizeOnDisk), and an append as the sum over its events; it refuses
// an event over MaxAppendEventSize with the maximum-append-event-size-exceeded
// exception, then an append over MaxAppendSize with
// maximum-append-size-exceeded, both as InvalidArgument.
type Limits struct {
	// MaxAppendSize bounds the sum of an append's event sizes.
	MaxAppendSize int
	// MaxAppendEventSize bounds one event's size; 0 for no bound of its own.
	MaxAppendEventSize int
}

// The default limits of KurrentDB's versions. Both can be changed on a node
// (MaxAppendSize, MaxAppendEventSize settings; the latter from 25.0).
var (
	// LimitsTo25_0 are the defaults up to 25.0: 1 MiB an append, no
	// per-event bound of its own.
	LimitsTo25_0 = Limits{MaxAppendSize: MaxAppendSize}
	// LimitsFrom25_1 are the defaults from 25.1: 256 MiB an append (a
	// chunk), 16 MiB an event (a log record).
	LimitsFrom25_1 = Limits{MaxAppendSize: 256 << 20, MaxAppendEventSize: 16 << 20}
)

// Server is one stand-in KurrentDB node.
type Server struct {
	db *database

	mu      sync.Mutex
	addr    string
	grpc    *grpc.Server
	done    chan struct{} // closed when the gRPC server has stopped serving
	drop    chan struct{} // closed by DropSubscriptions
	members []*gossip.MemberInfo
	// noCaughtUp makes subscriptions omit the caught-up message.
	noCaughtUp bool
	// subscriptions counts the subscriptions served.
	subscriptions int
	// sec is set by Secure.
	sec *security
	// limits are the append size limits; appends counts the append calls
	// received.
	limits  Limits
	appends int
	// allRecords counts the records reads of $all have sent.
	allRecords atomic.Int64
	// cluster is the cluster the node belongs to, nil for a lone node
	// (always the leader); followerCalls counts the calls it served as a
	// follower.
	cluster       *Cluster
	followerCalls int
	// replicationDelay and hold keep written appends pending (see
	// replication); replicating counts those pending now, notReady the
	// repeats dropped meanwhile, after prepareTimeout.
	replicationDelay time.Duration
	hold             chan struct{}
	replicating      int
	notReady         int
	prepareTimeout   time.Duration
	// diskFull makes appends fail as an I/O failure to write (SetDiskFull).
	diskFull bool
}

// DiskFullMessage is how the test server refuses an append while its disk
// is full (SetDiskFull): the .NET exception a node's writer meets when the
// file system has no room, as the server's error text would carry it.
const DiskFullMessage = "System.IO.IOException: No space left on device : '/var/lib/kurrentdb/chunk-000000.000000'"

// SetDiskFull makes the node refuse every append (status Unknown with
// DiskFullMessage) until it is called with false, as a node whose disk is
// full might; reads go on. What a real node answers is not settled
// (docs/kurrentdb.md, "Disk full").
func (s *Server) SetDiskFull(full bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.diskFull = full
}

// New returns a stopped server with an empty log (but for one system event,
// as a fresh node has).
func New() *Server {
	return &Server{db: newDatabase(), drop: make(chan struct{}), limits: LimitsTo25_0, prepareTimeout: PrepareTimeout}
}

// MustStart starts a server on a free loopback port and stops it when the
// test ends.
func MustStart(tb testing.TB) *Server {
	tb.Helper()
	s := New()
	if err := s.Start("127.0.0.1:0"); err != nil {
		tb.Fatalf("start kurrenttest server: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// Start listens on addr (host:port; port 0 picks one) and serves until Stop.
func (s *Server) Start(addr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.grpc != nil {
		return fmt.Errorf("kurrenttest: already serving on %s", s.addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("kurrenttest: listen on %s: %w", addr, err)
	}
	opts := append(append(s.sec.serverOptions(), s.interceptors()...),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: 5 * time.Second, PermitWithoutStream: true}))
	g := grpc.NewServer(opts...)
	api.RegisterStreamsServer(g, &streams{srv: s})
	gossip.RegisterGossipServer(g, &gossipService{srv: s})
	s.addr, s.grpc, s.done = ln.Addr().String(), g, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		_ = g.Serve(ln) // returns when Stop closes the listener
	}(s.done)
	return nil
}

// Stop closes the listener and every connection, ending calls in flight with
// Unavailable. The data stays for Restart.
func (s *Server) Stop() {
	s.mu.Lock()
	g, done := s.grpc, s.done
	s.grpc = nil
	s.mu.Unlock()
	if g == nil {
		return
	}
	g.Stop()
	<-done
}

// Restart serves again on the address the server had, with its data.
func (s *Server) Restart() error {
	s.mu.Lock()
	addr := s.addr
	s.mu.Unlock()
	return s.Start(addr)
}

// Addr returns host:port of the listener.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// ConnectionString returns a kurrentdb:// connection string for the server:
// plain text, or for a secure server TLS verified against its CA file, with
// its credentials.
func (s *Server) ConnectionString() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sec == nil {
		return "kurrentdb://" + s.addr + "?tls=false"
	}
	return "kurrentdb://" + url.UserPassword(s.sec.user, s.sec.pass).String() + "@" + s.addr + "?tlsCAFile=" + url.QueryEscape(s.sec.caFile)
}

// DropSubscriptions ends every running subscription with Aborted, as a node
// does with consumers too slow to keep up. Later subscriptions are not
// affected.
func (s *Server) DropSubscriptions() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.drop)
	s.drop = make(chan struct{})
}

// OmitCaughtUp makes later subscriptions go live without a caught-up
// message, as servers before KurrentDB 23.10 do.
func (s *Server) OmitCaughtUp() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noCaughtUp = true
}

// sendsCaughtUp reports whether subscriptions send the caught-up message.
func (s *Server) sendsCaughtUp() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !s.noCaughtUp
}

// SetLimits sets the append size limits, for example to LimitsFrom25_1.
func (s *Server) SetLimits(l Limits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = l
}

// Appends returns how many append calls the server has received, refused
// ones included.
func (s *Server) Appends() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.appends
}

// AllRecordsSent returns how many records the server's reads of $all have
// sent (what a client asked for and took, not what it used).
func (s *Server) AllRecordsSent() int64 { return s.allRecords.Load() }

// PrepareTimeout is how long a KurrentDB node waits for a write by default
// before it answers Aborted ("Operation timed out").
const PrepareTimeout = 2 * time.Second

// SetReplicationDelay makes every later append wait d after writing its
// events before it answers, as a leader waits for a quorum of followers to
// replicate them. Meanwhile the events are pending: an append of the same
// events (a client's retry) finds them, but KurrentDB does not answer it
// (IdempotentNotReady: "dropping idempotent write … since the original
// write has not yet been replicated"), and it times out after the prepare
// timeout as Aborted. Readers see pending events at once, which a real
// leader does only once they are replicated.
func (s *Server) SetReplicationDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replicationDelay = d
}

// HoldReplication makes later appends wait, their events pending as with
// SetReplicationDelay, until release is called.
func (s *Server) HoldReplication() (release func()) {
	hold := make(chan struct{})
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hold = hold
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			close(hold)
			if s.hold == hold {
				s.hold = nil
			}
		})
	}
}

// SetPrepareTimeout sets how long a dropped, not-ready append waits before
// it answers Aborted (PrepareTimeout by default).
func (s *Server) SetPrepareTimeout(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prepareTimeout = d
}

// Pending returns how many appends have written their events and wait for
// their replication now.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replicating
}

// NotReady returns how many appends the server has dropped because they
// repeated events still pending replication.
func (s *Server) NotReady() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.notReady
}

// replication returns the wait of an append between writing its events and
// answering, nil when appends answer at once. The wait ends with the delay,
// the release of the hold, or ctx; it counts in Pending meanwhile.
func (s *Server) replication() func(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delay, hold := s.replicationDelay, s.hold
	if delay <= 0 && hold == nil {
		return nil
	}
	return func(ctx context.Context) {
		s.mu.Lock()
		s.replicating++
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.replicating--
			s.mu.Unlock()
		}()
		var timeout <-chan time.Time
		if delay > 0 {
			t := time.NewTimer(delay)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-timeout:
		case <-hold: // nil without a hold: never ready
		case <-ctx.Done():
		}
	}
}

// dropNotReady answers an append that repeated pending events as KurrentDB
// does: no answer until the prepare timeout, then Aborted.
func (s *Server) dropNotReady(ctx context.Context) error {
	s.mu.Lock()
	s.notReady++
	timeout := s.prepareTimeout
	s.mu.Unlock()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-t.C:
		return status.Error(codes.Aborted, "Operation timed out: Prepare phase timeout.")
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Member describes one node in the gossip answer.
type Member struct {
	// Addr is host:port of the node's gRPC endpoint.
	Addr string
	// Leader is true for the leader, false for a follower.
	Leader bool
	// Alive is whether the node counts as alive.
	Alive bool
}

// SetMembers sets the cluster the server reports through gossip.
func (s *Server) SetMembers(members ...Member) error {
	infos := make([]*gossip.MemberInfo, len(members))
	for i, m := range members {
		host, port, err := net.SplitHostPort(m.Addr)
		if err != nil {
			return fmt.Errorf("kurrenttest: member %q: %w", m.Addr, err)
		}
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return fmt.Errorf("kurrenttest: member %q: %w", m.Addr, err)
		}
		state := gossip.MemberInfo_Follower
		if m.Leader {
			state = gossip.MemberInfo_Leader
		}
		infos[i] = &gossip.MemberInfo{
			InstanceId:   &shared.UUID{Value: &shared.UUID_String_{String_: fmt.Sprintf("00000000-0000-0000-0000-%012d", i+1)}},
			TimeStamp:    time.Now().UnixNano() / 100,
			State:        state,
			IsAlive:      m.Alive,
			HttpEndPoint: &gossip.EndPoint{Address: host, Port: uint32(p)},
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members = infos
	return nil
}

// Subscriptions returns how many subscriptions to $all the server has
// accepted, resubscriptions included.
func (s *Server) Subscriptions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.subscriptions
}

// subscribed counts a new subscription and returns the channel
// DropSubscriptions closes next.
func (s *Server) subscribed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subscriptions++
	return s.drop
}

// gossipService answers Gossip.Read with the configured members.
type gossipService struct {
	gossip.UnimplementedGossipServer
	srv *Server
}

// Read returns the cluster's members.
func (g *gossipService) Read(context.Context, *shared.Empty) (*gossip.ClusterInfo, error) {
	g.srv.mu.Lock()
	defer g.srv.mu.Unlock()
	return &gossip.ClusterInfo{Members: g.srv.members}, nil
}
