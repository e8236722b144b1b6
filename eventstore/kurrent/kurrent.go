// Package kurrent is the KurrentDB (formerly EventStoreDB) backend of the
// Yishi event store, built on github.com/EventStore/EventStore-Client-Go/v4.
// It maps the eventstore port onto KurrentDB's streams and its $all log:
// Yishi positions are KurrentDB commit positions plus one, revisions are the
// same, and the envelope fields KurrentDB has no place for (actor, role,
// correlation, causation, the hash chain) travel in each event's JSON
// metadata. The in-process protocol server the tests run against lives in
// kurrenttest; it is test code and never a store.
package kurrent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/yishi-civic/yishi/eventstore"
	"google.golang.org/grpc/metadata"
)

// schemes maps the connection string schemes Yishi accepts to the ones the
// v4 client parses. KurrentDB documents kurrentdb:// (and kurrentdb+discover://
// for DNS discovery); esdb:// is the EventStoreDB spelling the client knows.
var schemes = map[string]string{
	"kurrentdb":          "esdb",
	"kurrentdb+discover": "esdb+discover",
	"kurrent":            "esdb",
	"kurrent+discover":   "esdb+discover",
	"kdb":                "esdb",
	"kdb+discover":       "esdb+discover",
	"esdb":               "esdb",
	"esdb+discover":      "esdb+discover",
}

// IsConnectionString reports whether s names a KurrentDB server (one of the
// kurrentdb://, kdb:// or esdb:// schemes, with or without +discover) rather
// than, say, a data directory.
func IsConnectionString(s string) bool {
	scheme, _, ok := strings.Cut(s, "://")
	if !ok {
		return false
	}
	_, known := schemes[strings.ToLower(scheme)]
	return known
}

// ParseConnectionString turns a KurrentDB connection string into the
// client's configuration. Besides the client's own esdb:// and
// esdb+discover:// it accepts kurrentdb://, kurrent:// and kdb:// (and their
// +discover forms). Several comma-separated hosts are gossip seeds of a
// cluster; credentials, tls, tlsCAFile, tlsVerifyCert and the client's other
// settings go in the user info and query as the client documents.
// Returns ErrInvalid for a string the client cannot parse, a defaultDeadline
// that is not a whole number of milliseconds above 0 (the client would make
// it 0 and fail every call), and credentials with tls=false (the client
// sends credentials only over TLS and would silently leave them out). Errors
// never repeat the string, which may hold a password.
func ParseConnectionString(s string) (*esdb.Configuration, error) {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return nil, fmt.Errorf("%w connection string: want kurrentdb://host:2113?tls=false or the like", eventstore.ErrInvalid)
	}
	target, known := schemes[strings.ToLower(scheme)]
	if !known {
		return nil, fmt.Errorf("%w connection string: unknown scheme %q, want kurrentdb:// or esdb://", eventstore.ErrInvalid, scheme)
	}
	cfg, err := esdb.ParseConnectionString(target + "://" + rest)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // url.Error repeats the whole string, password included
		}
		return nil, fmt.Errorf("%w connection string: %v", eventstore.ErrInvalid, err)
	}
	if err := checkConfig(cfg); err != nil {
		return nil, fmt.Errorf("%w connection string: %v", eventstore.ErrInvalid, err)
	}
	cfg.Logger = esdb.NoopLogging()
	return cfg, nil
}

// checkConfig refuses the settings the client accepts without a word but
// then misbehaves with.
func checkConfig(cfg *esdb.Configuration) error {
	// The client turns a defaultDeadline it cannot parse, or one of 0, into
	// a deadline of zero, which fails every call at once.
	if cfg.DefaultDeadline != nil && *cfg.DefaultDeadline <= 0 {
		return errors.New("defaultDeadline must be a whole number of milliseconds above 0")
	}
	// The client sends credentials only over TLS and leaves them out
	// otherwise, so that a node with authentication would refuse every call.
	if cfg.DisableTLS && (cfg.Username != "" || cfg.Password != "") {
		return errors.New("credentials are only sent over TLS, and tls=false turns it off: drop the credentials for an insecure node, or drop tls=false")
	}
	return nil
}

// Redact returns the connection string s with its password replaced, for
// logs and progress output.
func Redact(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return s
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return s
	}
	return scheme + "://" + user + ":xxxxx" + rest[at:]
}

// Store is the eventstore.Store on a KurrentDB server or cluster. It is safe
// for concurrent use.
type Store struct {
	cfg esdb.Configuration

	// life ends when the store closes; reads and subscriptions derive from it.
	life     context.Context
	shutdown context.CancelFunc

	mu     sync.RWMutex
	closed bool
	conn   *conn

	// callLimit bounds the wait for a client call that should have ended by
	// the client's own deadline; see guard.
	callLimit time.Duration

	// retryDelay is the first pause before a subscription resubscribes; it
	// doubles up to maxRetryDelay.
	retryDelay, maxRetryDelay time.Duration

	// log takes the lines about foreign events (see SetLogger); foreign
	// counts them.
	log     atomic.Pointer[slog.Logger]
	foreign atomic.Uint64
}

var _ eventstore.Store = (*Store)(nil)

// Open connects to the KurrentDB server or cluster named by the connection
// string (see ParseConnectionString) and checks that it answers a read of
// $all. Returns ErrInvalid for a malformed string, ErrUnavailable when no
// node answers and ErrAccessDenied when the credentials are refused.
func Open(ctx context.Context, connectionString string) (*Store, error) {
	cfg, err := ParseConnectionString(connectionString)
	if err != nil {
		return nil, err
	}
	return OpenConfig(ctx, cfg)
}

// OpenConfig is Open with a configuration built by the caller.
func OpenConfig(ctx context.Context, cfg *esdb.Configuration) (*Store, error) {
	if err := checkConfig(cfg); err != nil {
		return nil, fmt.Errorf("%w kurrentdb configuration: %v", eventstore.ErrInvalid, err)
	}
	client, err := esdb.NewClient(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w kurrentdb configuration: %v", eventstore.ErrInvalid, err)
	}
	life, shutdown := context.WithCancel(context.Background())
	deadline := 10 * time.Second // the client's default for calls that are not streams
	if cfg.DefaultDeadline != nil {
		deadline = *cfg.DefaultDeadline
	}
	s := &Store{
		cfg:           *cfg,
		life:          life,
		shutdown:      shutdown,
		conn:          &conn{Client: client},
		callLimit:     deadline + 5*time.Second,
		retryDelay:    50 * time.Millisecond,
		maxRetryDelay: 2 * time.Second,
	}
	if _, _, err := s.head(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("connect to kurrentdb: %w", err)
	}
	return s, nil
}

// SetLogger sets where the store logs the events of other applications it
// skips (see ForeignEvents); slog.Default() until it is called. It may be
// called at any time.
func (s *Store) SetLogger(l *slog.Logger) { s.log.Store(l) }

// logger returns the store's logger.
func (s *Store) logger() *slog.Logger {
	if l := s.log.Load(); l != nil {
		return l
	}
	return slog.Default()
}

// ForeignEvents returns how many events reads of $all and subscriptions
// have skipped because another application wrote them: events in streams
// whose names do not start with $ (so the server does not filter them out
// as system events) but whose metadata is not Yishi's JSON. A server that
// Yishi shares with other applications may hold such events; they never
// stop a subscription, and so never stop the views.
func (s *Store) ForeignEvents() uint64 { return s.foreign.Load() }

// skipForeign counts and logs a foreign event that a read of $all or a
// subscription leaves out: the first one, then whenever the count reaches a
// power of two, so that a busy neighbour does not flood the log.
func (s *Store) skipForeign(r *esdb.RecordedEvent, why error) {
	n := s.foreign.Add(1)
	if n&(n-1) != 0 {
		return
	}
	s.logger().Warn("kurrentdb: skipped an event Yishi did not write",
		"stream", r.StreamID, "revision", r.EventNumber, "event_id", r.EventID.String(), "type", r.EventType,
		"reason", why.Error(), "skipped_so_far", n)
}

// conn is one client and the calls running on it.
type conn struct {
	*esdb.Client
	calls sync.WaitGroup
}

// begin registers a call and returns the connection to make it on, or
// ErrClosed. The caller must call c.calls.Done when it is finished.
func (s *Store) begin() (*conn, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, eventstore.ErrClosed
	}
	s.conn.calls.Add(1)
	return s.conn, nil
}

// renew replaces a client that has shut itself down. The v4 client stops for
// good once discovery fails maxDiscoverAttempts times in a row (a node
// outage longer than about a second does that), and every later call
// answers "connection closed". The dead client is not closed: its
// connection goroutine has already ended, and closing its channel would make
// a call still queued on it panic.
func (s *Store) renew(dead *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.conn != dead {
		return
	}
	fresh, err := esdb.NewClient(&s.cfg)
	if err != nil {
		return // the configuration was valid when the store opened
	}
	s.conn = &conn{Client: fresh}
}

// errStuck is the failure of a client call that outlived its limit.
var errStuck = errors.New("kurrentdb client call did not return")

// guard runs f, a call on c that starts by asking the client's connection
// goroutine for a connection, and waits for it, for ctx, or for limit. The
// v4 client's connection goroutine ends for good when discovery fails, and
// calls that were queued on it then wait forever, ignoring their context;
// guard lets the caller go (with ErrUnavailable after translate) and
// releases whatever f returns late with release.
func guard[T any](ctx context.Context, c *conn, limit time.Duration, f func() (T, error), release func(T)) (T, error) {
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1)
	c.calls.Add(1)
	go func() {
		defer c.calls.Done()
		v, err := f()
		done <- result{v, err}
	}()
	t := time.NewTimer(limit)
	defer t.Stop()
	abandon := func() {
		if r := <-done; r.err == nil && release != nil {
			release(r.v)
		}
	}
	var zero T
	select {
	case r := <-done:
		return r.v, r.err
	case <-ctx.Done():
		go abandon()
		return zero, ctx.Err()
	case <-t.C:
		go abandon()
		return zero, errStuck
	}
}

// closeTimeout bounds how long Close waits for calls in flight.
const closeTimeout = 10 * time.Second

// Close ends every subscription and read with ErrClosed, waits for calls in
// flight (appends complete or fail), and closes the connection.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	c := s.conn
	s.mu.Unlock()
	s.shutdown()

	done := make(chan struct{})
	go func() { c.calls.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(closeTimeout):
		// A call stuck inside the client would panic if its channel closed
		// under it; leaving the connection to the garbage collector is safer.
		return fmt.Errorf("close kurrentdb store: calls still running after %s", closeTimeout)
	}
	if err := c.Close(); err != nil {
		return fmt.Errorf("close kurrentdb client: %w", err)
	}
	return nil
}

// isClosed reports whether Close has been called.
func (s *Store) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// withLife returns a context that ends when ctx ends or the store closes,
// for a call to the server (see outgoing).
func (s *Store) withLife(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(s.outgoing(ctx))
	stop := context.AfterFunc(s.life, cancel)
	return ctx, func() { stop(); cancel() }
}

// requiresLeader is the request header that tells a KurrentDB node to serve
// a call only as the leader.
const requiresLeader = "requires-leader"

// outgoing returns ctx for a call to the server: with the requires-leader
// header when the store prefers the leader (nodePreference=leader, the
// default). The v4 client means to send that header but attaches it to the
// incoming metadata of the call's context, which gRPC never sends; without
// it a follower forwards writes and serves reads from its own copy, which
// may lag. With it, a follower answers "not leader" with the leader's
// endpoint, the client reconnects there, and the adapter makes the call
// again (see retriable).
func (s *Store) outgoing(ctx context.Context) context.Context {
	if s.cfg.NodePreference != esdb.NodePreferenceLeader {
		return ctx
	}
	if md, ok := metadata.FromOutgoingContext(ctx); ok && len(md.Get(requiresLeader)) > 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, requiresLeader, "true")
}
