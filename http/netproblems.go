package http

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	nethttp "net/http"
	"strings"
)

// netHTTPErrorHeaders is what net/http writes after the status line of the
// answers it sends itself, before any handler runs (a request whose
// headers are too large, a malformed request line or header).
const netHTTPErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// problemListener hands out connections whose net/http-made error answers
// (431, 400, 501: plain text, written straight to the connection) are
// rewritten as problem+json like every other error of the service.
type problemListener struct{ net.Listener }

// Accept wraps each connection.
func (l problemListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &problemConn{Conn: c}, nil
}

// problemConn rewrites net/http's own error answers on one connection.
type problemConn struct{ net.Conn }

// Write passes every write through but net/http's canned error answers,
// which it writes in one piece: "HTTP/1.1 <code> <text>" + the headers
// above + the same text. A handler's answer never has this shape: the
// service's answers always carry X-Request-Id.
func (c *problemConn) Write(p []byte) (int, error) {
	if out, ok := netHTTPProblem(p); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// netHTTPProblem turns net/http's canned 400 and 431 answers into
// problem+json; ok is false for anything else.
func netHTTPProblem(p []byte) (out []byte, ok bool) {
	const prefix = "HTTP/1.1 "
	if !bytes.HasPrefix(p, []byte(prefix)) {
		return nil, false
	}
	// Every answer passes here: look for the canned shape in place, and
	// copy only what it is (a short status line and the same text).
	line, body, found := bytes.Cut(p[len(prefix):], []byte(netHTTPErrorHeaders))
	if !found || !bytes.Equal(body, line) {
		return nil, false
	}
	statusLine := string(line)
	var k kind
	var detail text
	switch {
	case strings.HasPrefix(statusLine, "431 "):
		k, detail = kindHeaderTooLarge, text{"请求头过大", "the request's headers are too large"}
	case statusLine == "400 Bad Request":
		k, detail = kindBadRequest, text{"请求格式错误", "malformed request"}
	case strings.HasPrefix(statusLine, "400 Bad Request: "):
		why := strings.TrimPrefix(statusLine, "400 Bad Request: ")
		k, detail = kindBadRequest, text{"请求格式错误：" + why, "malformed request: " + why}
	default:
		return nil, false
	}
	prob, err := json.Marshal(Problem{Type: problemBase + k.slug, Title: k.title.zh, Status: k.status, Detail: detail.zh})
	if err != nil {
		return nil, false
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\r\nContent-Type: application/problem+json\r\nContent-Language: zh-CN\r\nCache-Control: no-store\r\nConnection: close\r\nContent-Length: %d\r\n\r\n",
		k.status, nethttp.StatusText(k.status), len(prob))
	b.Write(prob)
	return b.Bytes(), true
}
