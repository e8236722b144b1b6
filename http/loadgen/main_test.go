package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

func TestRunReportsEachLevel(t *testing.T) {
	var mu sync.Mutex
	bodies := map[string]int{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies[string(b)]++
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusUnauthorized)
		}
	}))
	defer ts.Close()
	var out bytes.Buffer
	if err := run([]string{"-url", ts.URL, "-method", "POST", "-body", `{"option_id":"{{alt}}"}`, "-token", "tok", "-c", "1,2", "-d", "200ms"}, &out); err != nil {
		t.Fatal(err)
	}
	rows := 0
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(l, "| 1 |") || strings.HasPrefix(l, "| 2 |") {
			rows++
			if !strings.HasSuffix(l, "| 0 |") {
				t.Errorf("errors reported: %s", l)
			}
		}
	}
	if rows != 2 {
		t.Fatalf("want 2 rows:\n%s", out.String())
	}
	if bodies[`{"option_id":"a"}`] == 0 || bodies[`{"option_id":"b"}`] == 0 {
		t.Fatalf("{{alt}} did not alternate: %v", bodies)
	}
	if err := run([]string{"-url", "http://example.com/"}, &out); err == nil {
		t.Fatal("a non-loopback URL was accepted")
	}
}
