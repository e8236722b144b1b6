package http

import (
	"context"
	"io"
	"net"
	nethttp "net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/auth"
)

// TestMetricsNeedAToken checks that /metrics on the service's own address
// is for admins and auditors only, and that the operators' listener serves
// it, and the health checks, without a token and nothing else.
func TestMetricsNeedAToken(t *testing.T) {
	e := mustServe(t)
	e.do(req{method: "GET", path: "/metrics"}).wantProblem(t, 401, "unauthorized")
	resident := e.token(auth.RoleResident, auth.Scope{Community: "c"}, "r1")
	e.do(req{method: "GET", path: "/metrics", token: resident}).wantProblem(t, 403, "forbidden")
	auditor := e.token(auth.RoleAuditor, auth.Scope{}, "")
	if m := e.do(req{method: "GET", path: "/metrics", token: auditor}).want(t, 200); !strings.Contains(string(m.body), "yishi_http_requests_in_flight") {
		t.Fatalf("no metrics for the auditor: %.200s", m.body)
	}

	// The runtime's profiles are on the operators' listener only.
	e.do(req{method: "GET", path: "/debug/pprof/heap", token: auditor, undocumented: true}).want(t, 404)

	ops := httptest.NewServer(e.srv.OpsHandler())
	defer ops.Close()
	for path, want := range map[string]int{"/metrics": 200, "/healthz": 200, "/readyz": 200, "/debug/pprof/heap": 200, "/debug/pprof/cmdline": 404, "/v1/register": 404, "/v1/tokens": 404} {
		res, err := nethttp.Get(ops.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("operators' listener %s: %d, want %d", path, res.StatusCode, want)
		}
		if path == "/metrics" && !strings.Contains(string(body), "yishi_http_requests_in_flight") {
			t.Errorf("operators' /metrics: %.200s", body)
		}
	}
}

// TestAStopCutsAProfileBeingTaken: the operators' listener stops within
// its grace even while a CPU profile is being taken, and the stop does
// not fail for it.
func TestAStopCutsAProfileBeingTaken(t *testing.T) {
	was := opsShutdownGrace
	opsShutdownGrace = 200 * time.Millisecond
	t.Cleanup(func() { opsShutdownGrace = was })
	e := mustServe(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.srv.ServeOps(ctx, ln) }()

	profiling := make(chan error, 1)
	go func() {
		res, err := nethttp.Get("http://" + ln.Addr().String() + "/debug/pprof/profile?seconds=30")
		if err == nil {
			_, err = io.ReadAll(res.Body)
			res.Body.Close()
		}
		profiling <- err
	}()
	time.Sleep(300 * time.Millisecond) // the profile under way
	cancel()
	select {
	case err := <-served:
		require.NoError(t, err, "a stop that cut a profile")
	case <-time.After(5 * time.Second):
		t.Fatal("the operators' listener waited for the profile")
	}
	select {
	case <-profiling:
	case <-time.After(5 * time.Second):
		t.Fatal("the profile's request was not cut")
	}
}
