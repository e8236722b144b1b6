package http

import (
	"errors"
	"io"
	"net"
	nethttp "net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of the limits on slow clients (Config says what each does).
const (
	defaultReadTimeout      = 60 * time.Second
	defaultWriteTimeout     = 60 * time.Second
	defaultMaxConns         = 2048
	defaultMaxConnsPerAddr  = 64
	defaultStreamWriteLimit = 30 * time.Second
	defaultUploadTimeout    = 10 * time.Minute
	defaultUploadMinRate    = 1 << 10
)

// uploads are the routes whose bodies are photos: their read timeout is
// lifted to Config.UploadTimeout while the body keeps moving.
var uploads = map[string]bool{"/v1/attachments": true}

// longLived are the routes that stream Server-Sent Events: exempt from the
// read and write timeouts on purpose, each write bounded instead.
var longLived = map[string]bool{"/v1/meetings/:id/live/stream": true, "/v1/events/live": true, "/v1/verification/stream": true}

// connLimiter is a net.Listener that holds at most max connections, and at
// most perAddr from one client address. A connection past either limit is
// closed at once, before a byte is read: a client trickling requests holds
// its own share and nobody else's. net/http's timeouts then close what a
// slow client holds.
type connLimiter struct {
	net.Listener
	max, perAddr int
	open         prometheus.Gauge
	refused      *prometheus.CounterVec

	mu     sync.Mutex
	total  int
	byAddr map[netip.Addr]int
}

func newConnLimiter(ln net.Listener, max, perAddr int, m *metrics) *connLimiter {
	return &connLimiter{Listener: ln, max: max, perAddr: perAddr, open: m.connsOpen, refused: m.connsRefused, byAddr: make(map[netip.Addr]int)}
}

// Accept returns the next connection within the limits.
func (l *connLimiter) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		addr := peerAddr(c)
		if reason := l.admit(addr); reason != "" {
			l.refused.WithLabelValues(reason).Inc()
			c.Close()
			continue
		}
		return &limitedConn{Conn: c, l: l, addr: addr}, nil
	}
}

// admit counts a new connection from addr, or says which limit it is past.
func (l *connLimiter) admit(addr netip.Addr) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.max > 0 && l.total >= l.max:
		return "total"
	case l.perAddr > 0 && l.byAddr[addr] >= l.perAddr:
		return "per_address"
	}
	l.total++
	l.byAddr[addr]++
	l.open.Inc()
	return ""
}

func (l *connLimiter) release(addr netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.byAddr[addr]--; l.byAddr[addr] <= 0 {
		delete(l.byAddr, addr)
	}
	l.open.Dec()
}

// peerAddr is a connection's remote address without the port; the zero
// Addr for a non-IP connection (all of those then share one budget).
func peerAddr(c net.Conn) netip.Addr {
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return ta.AddrPort().Addr().Unmap()
	}
	return netip.Addr{}
}

// limitedConn gives its slot back once, when closed.
type limitedConn struct {
	net.Conn
	l    *connLimiter
	addr netip.Addr
	once sync.Once
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.release(c.addr) })
	return err
}

// streamDeadlines lifts the server's read and write timeouts from an
// event stream (which lives as long as its client wants) and bounds each of
// its writes instead, so that a client that stops reading is dropped.
func (s *Server) streamDeadlines(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		rc := nethttp.NewResponseController(c.Response().Writer)
		if err := errors.Join(rc.SetReadDeadline(time.Time{}), rc.SetWriteDeadline(time.Time{})); err != nil && !errors.Is(err, nethttp.ErrNotSupported) {
			return err
		}
		c.Response().Writer = &deadlineWriter{ResponseWriter: c.Response().Writer, rc: rc, limit: s.cfg.StreamWriteTimeout}
		return next(c)
	}
}

// deadlineWriter sets a write deadline before each write and flush.
type deadlineWriter struct {
	nethttp.ResponseWriter
	rc    *nethttp.ResponseController
	limit time.Duration
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.limit))
	return w.ResponseWriter.Write(p)
}

// FlushError flushes within the limit; http.ResponseController calls it.
func (w *deadlineWriter) FlushError() error {
	_ = w.rc.SetWriteDeadline(time.Now().Add(w.limit))
	return w.rc.Flush()
}

// Flush is FlushError for callers that use http.Flusher.
func (w *deadlineWriter) Flush() { _ = w.FlushError() }

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *deadlineWriter) Unwrap() nethttp.ResponseWriter { return w.ResponseWriter }

// uploadDeadlines lets an upload take up to UploadTimeout while its body
// keeps arriving at UploadMinRate or faster: the read deadline starts
// ReadTimeout ahead, as on every route, and moves ReadTimeout ahead again
// each time another ReadTimeout's worth of bytes at the minimum rate has
// arrived, never past UploadTimeout. A slowloris client gains nothing: it
// is cut after ReadTimeout. The answer gets WriteTimeout from the end of
// the body.
func (s *Server) uploadDeadlines(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		rc := nethttp.NewResponseController(c.Response().Writer)
		now := time.Now()
		end := now.Add(s.cfg.UploadTimeout)
		if err := errors.Join(rc.SetReadDeadline(now.Add(min(s.cfg.ReadTimeout, s.cfg.UploadTimeout))),
			rc.SetWriteDeadline(end.Add(s.cfg.WriteTimeout))); err != nil && !errors.Is(err, nethttp.ErrNotSupported) {
			return err
		}
		req := c.Request()
		step := int64(float64(s.cfg.UploadMinRate) * s.cfg.ReadTimeout.Seconds())
		req.Body = &progressBody{ReadCloser: req.Body, rc: rc, step: max(step, 1), left: max(step, 1),
			window: s.cfg.ReadTimeout, end: end, writeTimeout: s.cfg.WriteTimeout}
		return next(c)
	}
}

// progressBody moves its connection's read deadline as bytes arrive.
type progressBody struct {
	io.ReadCloser
	rc           *nethttp.ResponseController
	step, left   int64
	window       time.Duration
	end          time.Time
	writeTimeout time.Duration
}

func (b *progressBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if b.left -= int64(n); b.left <= 0 {
		b.left = b.step
		now := time.Now()
		deadline := now.Add(b.window)
		if deadline.After(b.end) {
			deadline = b.end
		}
		_ = b.rc.SetReadDeadline(deadline)
	}
	if err == io.EOF {
		_ = b.rc.SetWriteDeadline(time.Now().Add(b.writeTimeout))
	}
	return n, err
}
