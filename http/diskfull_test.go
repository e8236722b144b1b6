package http

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/internal/tmpfs"
)

// TestDiskFullAnswers runs the service on a small tmpfs and fills it: writes
// and uploads are refused with 507 problem+json (not 400, not a dead
// process), reads go on, /readyz says why, the metric shows it, the store
// logs one line, and everything resumes without a restart once the space is
// freed.
func TestDiskFullAnswers(t *testing.T) {
	const mib = 1 << 20
	dir := tmpfs.Mount(t, 128*mib)
	var logs syncBuffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	e := mustServeIn(t, filepath.Join(dir, "data"), []pebble.Option{pebble.WithSpace(64*mib, 32*mib), pebble.WithLogger(logger)},
		func(c *Config) { c.Logger = logger })
	admin := e.token(auth.RoleAdmin, auth.Scope{}, "")
	community := func(id string) map[string]string {
		return map[string]string{"community_id": id, "name": "社区 " + id, "kind": "community", "street": "衡山街道"}
	}
	upload := func() response {
		return e.do(req{method: "POST", path: "/v1/attachments", token: admin, body: pngBytes, header: map[string]string{"Content-Type": "image/png"}})
	}
	e.write(t, admin, "/v1/communities", community("before"), 201)
	upload().want(t, 201)
	// Ready once the views caught up, which they may not have yet so soon
	// after the start.
	require.Eventually(t, e.srv.cfg.Runner.Ready, 10*time.Second, 10*time.Millisecond)
	e.do(req{method: "GET", path: "/readyz"}).want(t, 200)

	filler := filepath.Join(dir, "filler")
	tmpfs.Fill(t, filler)

	p := e.do(req{method: "POST", path: "/v1/communities", token: admin, body: community("during")}).wantProblem(t, 507, "insufficient-storage")
	if !strings.Contains(p.Detail, "磁盘已满") {
		t.Errorf("detail %q does not say the disk is full", p.Detail)
	}
	res := e.do(req{method: "POST", path: "/v1/communities", token: admin, body: community("during"), header: map[string]string{"Accept-Language": "en"}})
	res.wantProblem(t, 507, "insufficient-storage")
	if res.header.Get("Retry-After") == "" {
		t.Error("no Retry-After on 507")
	}
	up := upload()
	up.wantProblem(t, 507, "insufficient-storage")
	e.do(req{method: "GET", path: "/v1/communities/before", token: admin}).want(t, 200)
	ready := e.do(req{method: "GET", path: "/readyz", header: map[string]string{"Accept-Language": "en"}}).wantProblem(t, 503, "unavailable")
	if !strings.Contains(ready.Detail, "disk full") {
		t.Errorf("/readyz detail %q does not say why", ready.Detail)
	}
	metrics := string(e.do(req{method: "GET", path: "/metrics", token: admin, undocumented: true}).want(t, 200).body)
	if !strings.Contains(metrics, "yishi_store_disk_full 1") {
		t.Errorf("metric yishi_store_disk_full is not 1:\n%s", grepLines(metrics, "yishi_store_disk"))
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.do(req{method: "GET", path: "/readyz"}).status != 200 {
		if time.Now().After(deadline) {
			t.Fatal("/readyz not ready 10 s after the space was freed")
		}
		time.Sleep(100 * time.Millisecond)
	}
	e.write(t, admin, "/v1/communities", community("after"), 201)
	upload().want(t, 201)
	metrics = string(e.do(req{method: "GET", path: "/metrics", token: admin, undocumented: true}).want(t, 200).body)
	if !strings.Contains(metrics, "yishi_store_disk_full 0") {
		t.Errorf("metric yishi_store_disk_full is not 0:\n%s", grepLines(metrics, "yishi_store_disk"))
	}
	if n := strings.Count(logs.String(), "disk full"); n != 1 {
		t.Errorf("%d log lines about the full disk, want 1:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "room again"); n != 1 {
		t.Errorf("%d log lines about the disk's room, want 1:\n%s", n, logs.String())
	}
}

// grepLines returns the lines of s that contain substr.
func grepLines(s, substr string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
