package http

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math/rand/v2"
	"net"
	nethttp "net/http"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/auth"
)

// noisyPNG is a PNG of a few kilobytes (noise does not compress).
func noisyPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 40))
	r := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.IntN(256))
	}
	img.Set(0, 0, color.RGBA{1, 2, 3, 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// slowUpload sends a photo upload over a raw connection, the body in
// chunks of size every interval, and returns the answer's status (0 when
// the server closed the connection without one) and how long it took.
func slowUpload(t *testing.T, addr, token string, body []byte, size int, interval time.Duration) (int, time.Duration) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	fmt.Fprintf(c, "POST /v1/attachments HTTP/1.1\r\nHost: yishi\r\nAuthorization: Bearer %s\r\nContent-Type: image/png\r\nContent-Length: %d\r\n\r\n", token, len(body))
	for i := 0; i < len(body); i += size {
		if _, err := c.Write(body[i:min(i+size, len(body))]); err != nil {
			return 0, time.Since(start)
		}
		time.Sleep(interval)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := nethttp.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, time.Since(start)
	}
	resp.Body.Close()
	return resp.StatusCode, time.Since(start)
}

// TestSlowUploadAllowed: a photo sent slowly but steadily (a mobile
// network) is accepted although it takes several read timeouts, while a
// client trickling bytes below the minimum rate is still cut after about
// one read timeout.
func TestSlowUploadAllowed(t *testing.T) {
	const readTimeout = 300 * time.Millisecond
	e := mustServe(t, func(c *Config) {
		c.ReadTimeout, c.WriteTimeout = readTimeout, readTimeout
		c.UploadMinRate = 1000 // bytes per second: 300 bytes per read timeout
		c.UploadTimeout = time.Minute
	})
	addr := serveReal(t, e)
	tok := e.token(auth.RoleResident, auth.Scope{Community: "c"}, "r1")
	photo := noisyPNG(t)
	if len(photo) < 3000 {
		t.Fatalf("the test photo has only %d bytes", len(photo))
	}
	// 400 bytes every 100 ms: 4,000 B/s, well above the minimum.
	status, took := slowUpload(t, addr, tok, photo, 400, 100*time.Millisecond)
	if status != 201 || took < 2*readTimeout {
		t.Fatalf("a steady slow upload: status %d after %s, want 201 after more than %s", status, took, 2*readTimeout)
	}
	// 10 bytes every 100 ms: 100 B/s, below the minimum: cut.
	status, took = slowUpload(t, addr, tok, photo, 10, 100*time.Millisecond)
	if status == 201 || took > 5*time.Second {
		t.Fatalf("a trickling upload: status %d after %s, want the connection cut early", status, took)
	}
}
