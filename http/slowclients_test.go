package http

import (
	"bufio"
	"context"
	"fmt"
	"net"
	nethttp "net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
	"github.com/yishi-civic/yishi/auth"
)

// serveReal runs the server's own Serve (its listener limits and timeouts)
// on a loopback port and returns its address; it stops with the test.
func serveReal(tb testing.TB, e *env) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.Serve(ctx, ln) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// slowAttack opens n connections to addr from 127.0.0.1, sends the headers
// of a POST with a 1,000-byte body and then trickles the body one byte per
// interval, as a slowloris client does. alive reports how many of its
// connections the server has not closed yet.
type slowAttack struct {
	alive atomic.Int64
	wg    sync.WaitGroup
	stop  chan struct{}
}

func startSlowAttack(tb testing.TB, addr string, n int, interval time.Duration) *slowAttack {
	tb.Helper()
	a := &slowAttack{stop: make(chan struct{})}
	head := "POST /v1/communities HTTP/1.1\r\nHost: yishi\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			tb.Fatalf("dial: %v", err)
		}
		a.alive.Add(1)
		a.wg.Add(1)
		go func() {
			defer a.wg.Done()
			defer a.alive.Add(-1)
			defer c.Close()
			if _, err := c.Write([]byte(head)); err != nil {
				return
			}
			// A connection the server closes is seen by a read (EOF or
			// reset) more reliably than by a write.
			closed := make(chan struct{})
			go func() {
				buf := make([]byte, 512)
				for {
					if _, err := c.Read(buf); err != nil {
						close(closed)
						return
					}
				}
			}()
			t := time.NewTicker(interval)
			defer t.Stop()
			for {
				select {
				case <-a.stop:
					return
				case <-closed:
					return
				case <-t.C:
					if _, err := c.Write([]byte(" ")); err != nil {
						return
					}
				}
			}
		}()
	}
	return a
}

func (a *slowAttack) end() {
	close(a.stop)
	a.wg.Wait()
}

// dialFrom returns an HTTP client whose connections come from ip (any
// 127.0.0.0/8 address reaches the loopback interface on Linux).
func dialFrom(ip string) *nethttp.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 2 * time.Second}
	return &nethttp.Client{Timeout: 5 * time.Second, Transport: &nethttp.Transport{DialContext: d.DialContext}}
}

// TestSlowClients is the slow-client attack of issue 10.2, bounded in count
// and time on loopback: 40 connections trickling request bodies from one
// address. The server holds no more of them than its per-address limit,
// drops those it holds once the read timeout passes, and meanwhile answers
// another client and its health checks.
func TestSlowClients(t *testing.T) {
	const perAddr, attackers = 10, 40
	e := mustServe(t, func(c *Config) {
		c.ReadTimeout, c.WriteTimeout = time.Second, 2*time.Second
		c.MaxConnsPerAddr, c.MaxConns = perAddr, 100
	})
	addr := serveReal(t, e)
	a := startSlowAttack(t, addr, attackers, 200*time.Millisecond)
	defer a.end()

	time.Sleep(300 * time.Millisecond)
	if held := testutil.ToFloat64(e.srv.metrics.connsOpen); held > perAddr {
		t.Errorf("the server holds %v connections of one address, limit %d", held, perAddr)
	}
	if refused := testutil.ToFloat64(e.srv.metrics.connsRefused.WithLabelValues("per_address")); refused < attackers-perAddr {
		t.Errorf("%v connections refused for the per-address limit, want at least %d", refused, attackers-perAddr)
	}
	other := dialFrom("127.0.0.2")
	for _, path := range []string{"/healthz", "/readyz", "/v1/register"} {
		res, err := other.Get("http://" + addr + path)
		if err != nil {
			t.Fatalf("another client during the attack: %v", err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("%s during the attack: %d", path, res.StatusCode)
		}
	}

	// The read timeout (1 s) drops every trickling connection.
	deadline := time.Now().Add(5 * time.Second)
	for a.alive.Load() > 0 || testutil.ToFloat64(e.srv.metrics.connsOpen) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("5 s into the attack, %d attacking connections alive, the server holds %v",
				a.alive.Load(), testutil.ToFloat64(e.srv.metrics.connsOpen))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestEventStreamOutlivesTimeouts checks that the read and write timeouts
// spare event streams on purpose: a feed open longer than both still
// delivers.
func TestEventStreamOutlivesTimeouts(t *testing.T) {
	e := mustServe(t, func(c *Config) { c.ReadTimeout, c.WriteTimeout = 500*time.Millisecond, 500*time.Millisecond })
	addr := serveReal(t, e)
	admin := e.token(auth.RoleAdmin, auth.Scope{}, "") // token events reach an unscoped admin's feed only
	hr, err := nethttp.NewRequest("GET", "http://"+addr+"/v1/events/live?stream=token-", nil)
	if err != nil {
		t.Fatal(err)
	}
	hr.Header.Set("Authorization", "Bearer "+admin)
	res, err := nethttp.DefaultClient.Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	events := make(chan string, 16)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if ev, ok := strings.CutPrefix(sc.Text(), "event: "); ok {
				events <- ev
			}
		}
	}()
	waitFor := func(name string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("stream ended before a %q event", name)
				}
				if ev == name {
					return
				}
			case <-timeout:
				t.Fatalf("no %q event", name)
			}
		}
	}
	waitFor("caught-up")
	time.Sleep(1500 * time.Millisecond) // past both timeouts
	e.token(auth.RoleResident, auth.Scope{}, "later")
	waitFor("event")
}

// TestFailedAuthenticationIsRateLimited checks that an address guessing
// tokens gets 429 after a few failures, before its guesses are looked at,
// while a valid token from elsewhere still works.
func TestFailedAuthenticationIsRateLimited(t *testing.T) {
	e := mustServe(t)
	admin := e.token(auth.RoleAdmin, auth.Scope{}, "")
	statuses := map[int]int{}
	for i := range authFailBurst + 5 {
		statuses[e.do(req{method: "GET", path: "/v1/tokens", token: fmt.Sprintf("guess-%d", i)}).status]++
	}
	if statuses[401] != authFailBurst || statuses[429] != 5 {
		t.Fatalf("statuses %v, want %d×401 then 5×429", statuses, authFailBurst)
	}
	p := e.do(req{method: "GET", path: "/v1/tokens", token: "guess-x"}).wantProblem(t, 429, "rate-limited")
	if p.Detail == "" {
		t.Error("no detail")
	}
	e.srv.authFails.buckets.Purge() // another address, as far as the limiter knows
	e.do(req{method: "GET", path: "/v1/tokens", token: admin}).want(t, 200)
}

// TestLimiterIsBounded floods the rate limiter with new keys: it keeps at
// most maxBuckets of them, and a key in use keeps its (empty) bucket.
func TestLimiterIsBounded(t *testing.T) {
	l := newLimiter(1, 1)
	now := time.Now()
	l.allow("busy", now)
	for i := range 3 * maxBuckets {
		l.allow(fmt.Sprintf("ip:%d", i), now)
		if i%1000 == 0 && !l.exhausted("busy", now) {
			t.Fatalf("the busy key lost its bucket after %d new keys", i)
		}
	}
	if n := l.buckets.Len(); n > maxBuckets {
		t.Fatalf("%d buckets, limit %d", n, maxBuckets)
	}
}

// TestHealthChecksHaveTheirOwnBudget checks that an address past its rate
// limit still gets its health checks answered.
func TestHealthChecksHaveTheirOwnBudget(t *testing.T) {
	e := mustServe(t, func(c *Config) { c.RatePerSecond, c.Burst = 0.001, 2 })
	// Ready first: a check just after the start may find the views still
	// catching up, a 503 that has nothing to do with the budget.
	require.Eventually(t, e.srv.cfg.Runner.Ready, 10*time.Second, 10*time.Millisecond)
	for range 2 {
		e.do(req{method: "GET", path: "/v1/register"}).want(t, 200)
	}
	e.do(req{method: "GET", path: "/v1/register"}).wantProblem(t, 429, "rate-limited")
	e.do(req{method: "GET", path: "/healthz"}).want(t, 200)
	e.do(req{method: "GET", path: "/readyz"}).want(t, 200)
}

// BenchmarkSlowClientAttack measures the connections a slow-client attack
// holds: 2,000 connections from one address trickling request bodies, with
// the limits of before issue 10.2 (no read timeout, no connection limits)
// and with the defaults (the read timeout shortened to 5 s so that the run
// is short). It reports the connections the server holds 1 s into the
// attack and 1 s after the read timeout, and how many attackers are still
// connected then. Run it alone:
//
//	go test ./http/ -run '^$' -bench SlowClientAttack -benchtime 1x
func BenchmarkSlowClientAttack(b *testing.B) {
	const attackers = 2000
	for _, tc := range []struct {
		name string
		cfg  func(*Config)
	}{
		{"before", func(c *Config) {
			c.ReadTimeout, c.WriteTimeout, c.MaxConns, c.MaxConnsPerAddr = time.Hour, time.Hour, -1, -1
		}},
		{"after", func(c *Config) { c.ReadTimeout = 5 * time.Second }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for range b.N {
				e := mustServe(b, tc.cfg)
				addr := serveReal(b, e)
				a := startSlowAttack(b, addr, attackers, time.Second)
				time.Sleep(time.Second)
				b.ReportMetric(testutil.ToFloat64(e.srv.metrics.connsOpen), "held@1s")
				time.Sleep(5 * time.Second)
				b.ReportMetric(testutil.ToFloat64(e.srv.metrics.connsOpen), "held@6s")
				b.ReportMetric(float64(a.alive.Load()), "attackers@6s")
				a.end()
			}
		})
	}
}
