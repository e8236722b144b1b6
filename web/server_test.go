package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/demo"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	yhttp "github.com/yishi-civic/yishi/http"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/policy"
	"github.com/yishi-civic/yishi/privacy"
	"github.com/yishi-civic/yishi/projections"
	"github.com/yishi-civic/yishi/seal"
	"golang.org/x/mod/sumdb/note"
)

// server is a real Yishi service (API and pages, as serve wires them) on a
// loopback port, over an embedded store in a temp dir.
type server struct {
	url    string
	api    *yhttp.Server
	ledger *ledger.Ledger
}

// mustServe starts a server, with the demo data set when withDemo; the
// test's cleanup stops it.
func mustServe(tb testing.TB, withDemo bool) *server {
	tb.Helper()
	return mustServeWith(tb, withDemo, "")
}

// mustServeWith is mustServe with the API offering Web Push under the
// VAPID public key pushKey (none when empty), and its configuration
// changed by opts.
func mustServeWith(tb testing.TB, withDemo bool, pushKey string, opts ...func(*yhttp.Config)) *server {
	tb.Helper()
	var load demoLoader
	if withDemo {
		load = demo.LoadStories
	}
	return serveLoaded(tb, load, pushKey, opts...)
}

// demoLoader writes a demo data set: demo.Load (with 紫陵镇's figures) or
// demo.LoadStories (the stories alone, quicker).
type demoLoader func(context.Context, eventstore.Store, demo.PhotoStore, ...ledger.Option) (demo.Summary, error)

// serveLoaded is mustServeWith with the demo data set load writes (none
// when nil).
func serveLoaded(tb testing.TB, load demoLoader, pushKey string, opts ...func(*yhttp.Config)) *server {
	tb.Helper()
	dir := tb.TempDir()
	store, err := pebble.Open(dir)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	sealer := privacy.NewSealer(privacy.NewMemoryKeys())
	blobs, err := blob.OpenDir(filepath.Join(dir, "attachments"))
	if err != nil {
		tb.Fatalf("open attachments: %v", err)
	}
	l := ledger.New(store, ledger.WithSealer(sealer), ledger.WithPhotos(privacy.NewBlobs(blobs, sealer)))
	runner, err := projections.New(store, projections.Config{Decode: projections.NewDecoder().Decode})
	if err != nil {
		tb.Fatalf("new runner: %v", err)
	}
	// The log's tree and the server's key, as yishi serve has them: the
	// pages print decisions' fingerprints from its proofs. A key whose
	// base64 holds a '+' (half of them do), which the browser's check must
	// not mistake for the key's separators.
	var skey, vkey string
	for strings.Count(vkey, "+") < 3 {
		if skey, vkey, err = note.GenerateKey(rand.Reader, "yishi-web-test"); err != nil {
			tb.Fatal(err)
		}
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		tb.Fatal(err)
	}
	tree := seal.NewLog(func(ev eventstore.Event) bool { return policy.LeafExposes(ev.Type, ev.Data, ev.Metadata.Salt) })
	cfg := yhttp.Config{Store: store, Ledger: l, Runner: runner, RatePerSecond: 10000, Burst: 10000, PushPublicKey: pushKey,
		Seal: tree, Signer: signer, VerifierKey: vkey, Origin: "yishi web test",
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))}
	for _, o := range opts {
		o(&cfg)
	}
	api, err := yhttp.New(cfg)
	if err != nil {
		tb.Fatalf("new server: %v", err)
	}
	pages, err := New(Config{API: api, Tokens: api.Tokens()})
	if err != nil {
		tb.Fatalf("new pages: %v", err)
	}
	api.Mount(pages)
	ctx, cancel := context.WithCancel(context.Background())
	if load != nil {
		if _, err := load(ctx, store, api.SaveAttachment, ledger.WithSealer(sealer)); err != nil {
			tb.Fatalf("demo: %v", err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("listen: %v", err)
	}
	done := make(chan error, 4)
	go func() { done <- ignoreCanceled(tree.Follow(ctx, store)) }()
	go func() { done <- ignoreCanceled(runner.Run(ctx)) }()
	go func() { done <- api.Run(ctx) }()
	go func() { done <- api.Serve(ctx, ln) }()
	tb.Cleanup(func() {
		cancel()
		for range 4 {
			if err := <-done; err != nil {
				tb.Errorf("server: %v", err)
			}
		}
		if err := store.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	})
	// Wait until the views have caught up with the demo.
	wctx, wcancel := context.WithTimeout(ctx, 30*time.Second)
	defer wcancel()
	var head eventstore.Position
	for ev, err := range store.ReadAll(wctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End, Max: 1}) {
		if err != nil {
			tb.Fatalf("head: %v", err)
		}
		head = ev.Position
	}
	if err := runner.WaitFor(wctx, head); err != nil {
		tb.Fatalf("views: %v", err)
	}
	if err := tree.Wait(wctx, head); err != nil {
		tb.Fatalf("the log's tree: %v", err)
	}
	return &server{url: "http://" + ln.Addr().String(), api: api, ledger: l}
}

func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// mustToken issues a token as the operator's command line does.
func (s *server) mustToken(tb testing.TB, req auth.IssueRequest) (auth.Token, string) {
	tb.Helper()
	tok, secret, res, err := auth.Issue(context.Background(), s.ledger, ledger.Actor{ID: "operator", Role: "operator"}, req, time.Now())
	if err != nil {
		tb.Fatalf("issue token: %v", err)
	}
	if err := s.api.Tokens().WaitFor(context.Background(), res.Position); err != nil {
		tb.Fatalf("token registry: %v", err)
	}
	return tok, secret
}

// write sends a JSON write to the API as token's holder and returns its
// result, failing the test unless the API accepts it.
func (s *server) write(tb testing.TB, token, path string, body any) yhttp.WriteResult {
	tb.Helper()
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			tb.Fatal(err)
		}
	}
	req, err := http.NewRequest("POST", s.url+path, bytes.NewReader(raw))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if res.StatusCode >= 300 {
		tb.Fatalf("POST %s: %d %s", path, res.StatusCode, b)
	}
	var w yhttp.WriteResult
	if err := json.Unmarshal(b, &w); err != nil {
		tb.Fatalf("POST %s: %v", path, err)
	}
	return w
}

// read GETs an API path as token's holder (anonymous when empty) into out.
func (s *server) read(tb testing.TB, token, path string, out any) {
	tb.Helper()
	req, err := http.NewRequest("GET", s.url+path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if res.StatusCode != 200 {
		tb.Fatalf("GET %s: %d %s", path, res.StatusCode, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		tb.Fatalf("GET %s: %v", path, err)
	}
}
