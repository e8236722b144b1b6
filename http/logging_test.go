package http

import (
	"fmt"
	"log/slog"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

// timeInPast is a deadline that has passed.
var timeInPast = time.Unix(1, 0)

// TestClientDisconnectIsNotAnError renders the errors a handler gets when
// its client has gone (a broken pipe, a reset, a passed write deadline):
// none is logged as an ERROR, each line names the client's address.
func TestClientDisconnectIsNotAnError(t *testing.T) {
	var buf syncBuffer
	e := mustServe(t, func(c *Config) {
		c.Logger = slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	for _, cause := range []error{syscall.EPIPE, syscall.ECONNRESET, &net.OpError{Op: "write", Net: "tcp", Err: fmt.Errorf("i/o timeout: %w", errDeadline())}} {
		r := httptest.NewRequest("GET", "/v1/register", nil)
		r.RemoteAddr = "192.0.2.7:40000"
		c := e.srv.echo.NewContext(r, httptest.NewRecorder())
		e.srv.handleError(fmt.Errorf("write response: %w", cause), c)
	}
	logs := buf.String()
	if strings.Contains(logs, `"level":"ERROR"`) {
		t.Fatalf("a client that went away was logged as an error:\n%s", logs)
	}
	if n := strings.Count(logs, `"client":"192.0.2.7"`); n != 3 {
		t.Fatalf("%d lines name the client, want 3:\n%s", n, logs)
	}
}

// errDeadline is the error a write past its deadline wraps.
func errDeadline() error {
	c1, c2 := net.Pipe()
	defer c1.Close()
	defer c2.Close()
	_ = c1.SetWriteDeadline(timeInPast)
	_, err := c1.Write([]byte("x"))
	return err
}

// TestRequestLogNamesTheClient checks that every request line carries the
// client's address.
func TestRequestLogNamesTheClient(t *testing.T) {
	var buf syncBuffer
	e := mustServe(t, func(c *Config) { c.Logger = slog.New(slog.NewJSONHandler(&buf, nil)) })
	e.do(req{method: "GET", path: "/healthz"}).want(t, nethttp.StatusOK)
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if strings.Contains(l, `"msg":"request"`) && !strings.Contains(l, `"client":"127.0.0.1"`) {
			t.Fatalf("request line without the client's address: %s", l)
		}
	}
	if !strings.Contains(buf.String(), `"msg":"request"`) {
		t.Fatalf("no request line:\n%s", buf.String())
	}
}
