package http

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	nethttp "net/http"
	"net/netip"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/auth"
	"golang.org/x/time/rate"
)

// requestID gives every request an id: the client's X-Request-Id when it is
// 1 to 64 letters, digits, '.', '_', ':' or '-', a fresh UUID v7 otherwise
// (so that nothing a client sends reaches logs or answers unchecked). It is
// echoed in the response, logged, and put into problem bodies. Every answer
// also starts as Cache-Control: no-store (ledger data and tokens are not
// for shared caches); a handler serving something cacheable says so.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		rid := c.Request().Header.Get(echo.HeaderXRequestID)
		if !safeRequestID(rid) {
			rid = uuid.Must(uuid.NewV7()).String()
		}
		h := c.Response().Header()
		h.Set(echo.HeaderXRequestID, rid)
		h.Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}

// safeRequestID reports whether a client's request id may be kept: 1 to 64
// of [A-Za-z0-9._:-].
func safeRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}

// printableToken reports whether s is 1..max bytes of visible ASCII.
func printableToken(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// observe logs one line per request and records its latency. Errors are
// rendered here (not after the middleware chain) so that the status logged
// and measured is the one sent.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		s.metrics.inFlight.Inc()
		defer s.metrics.inFlight.Dec()
		w, nested := c.Request().Context().Value(workingKey).(*working)
		if !nested {
			// A page's own calls to the API (web) come back through here
			// with the page's request's context: they count as the page.
			w = &working{busy: &s.busy}
			w.resume()
			defer w.pause()
			c.SetRequest(c.Request().WithContext(context.WithValue(c.Request().Context(), workingKey, w)))
			c.Response().Before(func() {
				if strings.HasPrefix(c.Response().Header().Get(echo.HeaderContentType), "text/event-stream") {
					w.pause() // a stream held open is not work under way
				}
			})
		}
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		elapsed := time.Since(start)
		req, res := c.Request(), c.Response()
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		s.metrics.latency.WithLabelValues(req.Method, route, strconv.Itoa(res.Status)).Observe(elapsed.Seconds())
		attrs := []slog.Attr{
			slog.String("request_id", res.Header().Get(echo.HeaderXRequestID)),
			slog.String("method", req.Method),
			slog.String("route", route),
			slog.String("client", clientAddr(req)),
			slog.Int("status", res.Status),
			slog.Int64("bytes", res.Size),
			slog.Float64("ms", float64(elapsed.Microseconds())/1000),
		}
		if p := principalOf(c); p.authenticated() {
			attrs = append(attrs, slog.String("token", p.token.ID.String()), slog.String("role", string(p.token.Role)))
		}
		s.log.LogAttrs(req.Context(), slog.LevelInfo, "request", attrs...)
		return nil
	}
}

// workingKey is where a request's working is kept, in its context.Context
// (which a page's own calls to the API carry too).
const workingKey = workingKeyType("yishi.working")

type workingKeyType string

// working counts one request in Server.busy while the server works on it:
// not while it waits on nothing the server does, such as the stream it
// holds open or the views it waits for (wait_for).
type working struct {
	busy    *atomic.Int64
	counted atomic.Bool
}

// pause stops counting the request.
func (w *working) pause() {
	if w.counted.CompareAndSwap(true, false) {
		w.busy.Add(-1)
	}
}

// resume counts the request again.
func (w *working) resume() {
	if w.counted.CompareAndSwap(false, true) {
		w.busy.Add(1)
	}
}

// workOf returns the request's working, nil outside observe.
func workOf(c echo.Context) *working {
	w, _ := c.Request().Context().Value(workingKey).(*working)
	return w
}

// recoverPanics turns a handler's panic into an internal error (a 500
// problem, logged with its stack) instead of a dropped connection.
func recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			if r := recover(); r != nil {
				if r == nethttp.ErrAbortHandler {
					panic(r)
				}
				err = fmt.Errorf("panic: %v\n%s", r, debug.Stack())
			}
		}()
		return next(c)
	}
}

// principal is who sends a request: a token's holder, or nobody.
type principal struct {
	token auth.Token
	// open opens the sealed fields of an answer (policy.Reader.Open).
	open func(json.RawMessage) (json.RawMessage, error)
}

func (p principal) authenticated() bool { return p.token.ID != uuid.Nil }

const principalKey = "yishi.principal"

func principalOf(c echo.Context) principal {
	p, _ := c.Get(principalKey).(principal)
	return p
}

// opener returns what opens the sealed personal fields of the answers
// to a request with context ctx: the views keep them sealed
// (privacy.Sealer.OpenJSON). Nil when the ledger seals nothing.
func (s *Server) opener(ctx context.Context) func(json.RawMessage) (json.RawMessage, error) {
	sealer := s.cfg.Ledger.Sealer()
	if sealer == nil {
		return nil
	}
	return func(b json.RawMessage) (json.RawMessage, error) { return sealer.OpenJSON(ctx, b) }
}

// authenticate reads a bearer token when one is sent. A request without
// Authorization goes on anonymously (public reads); a malformed, unknown or
// revoked token is refused with 401 whatever the route. An address that
// keeps sending tokens that fail is refused with 429 before its token is
// even looked at, so secrets cannot be guessed at speed.
func (s *Server) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := principal{open: s.opener(c.Request().Context())}
		c.Set(principalKey, p)
		h := c.Request().Header.Get(echo.HeaderAuthorization)
		if h == "" {
			return next(c)
		}
		scheme, secret, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
			return refuse(kindUnauthorized, text{"Authorization 头应为 \"Bearer <令牌>\"", `the Authorization header must be "Bearer <token>"`})
		}
		addr := clientAddr(c.Request())
		if s.authFails.exhausted(addr, time.Now()) {
			return rateLimited(int(1 / authFailRate))
		}
		tok, err := s.tokens.Authenticate(strings.TrimSpace(secret))
		if err != nil {
			s.authFails.allow(addr, time.Now())
			return err
		}
		p.token = tok
		c.Set(principalKey, p)
		return next(c)
	}
}

// allow admits only authenticated requests whose role is one of roles.
// Scope checks need the aggregate and happen in the handlers.
func allow(roles ...auth.Role) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if err := requireRole(principalOf(c), roles...); err != nil {
				return err
			}
			return next(c)
		}
	}
}

func requireRole(p principal, roles ...auth.Role) error {
	if !p.authenticated() {
		return refuse(kindUnauthorized, text{"此操作需要访问令牌", "this needs an access token"})
	}
	for _, r := range roles {
		if p.token.Role == r {
			return nil
		}
	}
	return refuse(kindForbidden, text{"角色 " + string(p.token.Role) + " 不能执行此操作", "role " + string(p.token.Role) + " may not do this"})
}

// requireScope refuses a principal whose scope does not cover an aggregate
// of the given community and grid.
func requireScope(p principal, community, grid string) error {
	if p.token.Scope.Covers(community, grid) {
		return nil
	}
	return refuse(kindForbidden, text{"令牌的范围（" + p.token.Scope.String() + "）不包括此记录", "the token's scope (" + p.token.Scope.String() + ") does not cover this record"})
}

// limiter is a token bucket per key (token id, or client address for
// anonymous requests). It keeps at most maxBuckets keys, dropping the least
// recently used: an active key keeps its bucket, and a flood of new keys
// (addresses, guessed tokens) costs bounded memory and constant time.
type limiter struct {
	rps     rate.Limit
	burst   int
	buckets *lru.Cache[string, *rate.Limiter]
}

// maxBuckets bounds each limiter's memory (about 200 bytes a key).
const maxBuckets = 10000

func newLimiter(rps float64, burst int) *limiter {
	c, err := lru.New[string, *rate.Limiter](maxBuckets)
	if err != nil {
		panic(fmt.Sprintf("http: limiter cache: %v", err)) // only for a size <= 0
	}
	return &limiter{rps: rate.Limit(rps), burst: burst, buckets: c}
}

// bucket returns key's bucket, made full for a new key.
func (l *limiter) bucket(key string) *rate.Limiter {
	b, ok := l.buckets.Get(key)
	if !ok {
		b = rate.NewLimiter(l.rps, l.burst)
		if prev, ok, _ := l.buckets.PeekOrAdd(key, b); ok {
			b = prev
		}
	}
	return b
}

func (l *limiter) allow(key string, now time.Time) bool {
	return l.bucket(key).AllowN(now, 1)
}

// exhausted reports whether key's bucket is empty now, without taking
// from it.
func (l *limiter) exhausted(key string, now time.Time) bool {
	return l.bucket(key).TokensAt(now) < 1
}

// Rates of the limiters other than the per-token one.
const (
	// authFailRate and authFailBurst bound the failed authentications an
	// address may make: 10 at once, then one every 6 s.
	authFailRate  = 1.0 / 6
	authFailBurst = 10
	// healthRate and healthBurst are the health checks' own budget per
	// address, apart from everyone else's requests.
	healthRate  = 20
	healthBurst = 40
)

// healthRoutes are the probes that get their own rate budget, so that
// neither a busy client nor a limited one starves them.
var healthRoutes = map[string]bool{"/healthz": true, "/readyz": true}

// rateLimit refuses requests past the per-token (or per-address) rate with
// 429 and Retry-After. Health checks draw on a budget of their own.
func (s *Server) rateLimit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		lim, key := s.limits, "ip:"+clientAddr(c.Request())
		if healthRoutes[c.Path()] {
			lim = s.healthLimits
		} else if p := principalOf(c); p.authenticated() {
			key = "token:" + p.token.ID.String()
		}
		if !lim.allow(key, time.Now()) {
			return rateLimited(1)
		}
		return next(c)
	}
}

func rateLimited(retryAfter int) error {
	e := refuse(kindRateLimited, text{"请求过于频繁，请稍后再试", "too many requests; slow down"})
	e.retryAfter = retryAfter
	return e
}

// clientAddr is the request's peer address without the port. Forwarded
// headers are not trusted: put a proxy's own limits in front if needed.
func clientAddr(r *nethttp.Request) string {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return ap.Addr().String()
}
