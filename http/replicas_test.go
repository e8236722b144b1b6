package http

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/blob/blobtest"
	"github.com/yishi-civic/yishi/eventstore/kurrent"
	"github.com/yishi-civic/yishi/eventstore/kurrent/kurrenttest"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
	"github.com/yishi-civic/yishi/projections"
)

// replica starts one yishi server as `yishi serve` does on a KurrentDB
// store: its own connection to the KurrentDB server, its own clients of the
// S3 bucket for attachments (blobsURL) and for the shared key store
// (keysURL, wrapped under kek), its own caches and views.
func replica(t *testing.T, kurrentURL, blobsURL, keysURL string, kek []byte) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	store, err := kurrent.Open(ctx, kurrentURL)
	if err != nil {
		t.Fatal(err)
	}
	photos, err := blob.Open(ctx, blobsURL, blobtest.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	keyBucket, err := blob.Open(ctx, keysURL, blobtest.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := privacy.OpenSharedKeys(ctx, keyBucket, kek)
	if err != nil {
		t.Fatal(err)
	}
	sealer := privacy.NewSealer(keys)
	l := ledger.New(store, ledger.WithSealer(sealer), ledger.WithPhotos(privacy.NewBlobs(photos, sealer)))
	if _, err := l.ApplyErasures(ctx); err != nil {
		t.Fatal(err)
	}
	runner, err := projections.New(store, projections.Config{Decode: projections.NewDecoder().Decode})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Store: store, Ledger: l, Runner: runner, RatePerSecond: 10000, Burst: 10000})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 2)
	go func() { done <- srv.Run(ctx) }()
	go func() { done <- runner.Run(ctx) }()
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.close()
		ts.Close()
		cancel()
		for range 2 {
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				t.Errorf("replica: %v", err)
			}
		}
		_ = store.Close()
	})
	return &env{tb: t, srv: srv, ts: ts, ledger: l}
}

// TestTwoReplicasServeOnePhoto: two servers on one KurrentDB (the
// in-process protocol server) and one S3 bucket (gofakes3), sharing
// attachments under one prefix and the key store under another, each with
// its own caches and views. A proposal with a name and a photo written
// through one reads the same through the other; the bucket holds the photo
// encrypted only. Both creating one new key at once end with one key. The
// person erased through one reads as erased on the other once it has
// folded the erasure (its cached key dropped, its views rebuilt), and the
// photo is gone from both.
func TestTwoReplicasServeOnePhoto(t *testing.T) {
	kdb := kurrenttest.MustStart(t)
	bucket := blobtest.StartFakeS3(t).Bucket(t, "yishi")
	kek := make([]byte, privacy.KEKSize)
	if _, err := rand.Read(kek); err != nil {
		t.Fatal(err)
	}
	a := replica(t, kdb.ConnectionString(), bucket+"&prefix=attachments/", bucket+"&prefix=keys/", kek)
	b := replica(t, kdb.ConnectionString(), bucket+"&prefix=attachments/", bucket+"&prefix=keys/", kek)
	ctx := context.Background()

	c := newCast(a)
	organise(t, a, c)
	root := a.tokenNamed(auth.RoleAdmin, auth.Scope{}, "root", "系统管理员")
	if err := b.srv.tokens.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	photo := jpegWithGPS(t)
	var up Attachment
	a.do(req{method: "POST", path: "/v1/attachments", token: c.r1, body: photo, header: map[string]string{"Content-Type": "image/jpeg"}}).want(t, 201).decode(t, &up)
	sub := a.write(t, c.r1, "/v1/proposals", map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "title": "车棚杂物", "text": "我家门口501室堆满杂物", "category": "环境",
		"place": "3号院车棚", "photos": []string{up.SHA256}, "channel": "photo_report",
	}, 201)
	photoPath := "/v1/attachments/" + up.SHA256 + "?item=proposal-" + sub.ID

	fromA := a.do(req{method: "GET", path: photoPath}).want(t, 200).body
	fromB := b.do(req{method: "GET", path: photoPath}).want(t, 200).body
	if !bytes.Equal(fromA, fromB) || len(fromA) == 0 {
		t.Fatalf("the replicas serve different bytes: %d and %d", len(fromA), len(fromB))
	}
	// Through the other replica too, a photo nobody refers to is refused.
	b.do(req{method: "GET", path: "/v1/attachments/" + up.SHA256 + "?item=proposal-00000000-0000-4000-8000-000000000000"}).wantProblem(t, 404, "not-found")
	// B opens what A sealed: the name and the text, with A's keys.
	timeline := fmt.Sprintf("/v1/proposals/%s/timeline?wait_for=%d", sub.ID, sub.Position)
	before := b.do(req{method: "GET", path: timeline, token: c.auditor}).want(t, 200).body
	for _, s := range []string{"张三", "501室", "3号院车棚"} {
		if !bytes.Contains(before, []byte(s)) {
			t.Fatalf("replica B does not show %q that A sealed: %s", s, before)
		}
	}
	// The bucket holds neither the photo's bytes nor a key in the clear.
	for in, err := range a.srv.photos.Store().List(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		stored, err := a.srv.photos.Store().Get(ctx, in.Key)
		if err != nil || bytes.Contains(stored, fromA[len(fromA)/2:]) {
			t.Fatalf("stored photo %s is not encrypted (%v)", in.Key, err)
		}
	}

	// Both replicas create one new person's key at once: one key.
	var wg sync.WaitGroup
	keys := make([][]byte, 2)
	errs := make([]error, 2)
	for i, r := range []*env{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ks := r.ledger.Sealer().Keys()
			if _, errs[i] = ks.Ensure(ctx, []string{privacy.PersonKey("r-new")}); errs[i] == nil {
				keys[i], errs[i] = ks.Key(ctx, privacy.PersonKey("r-new"))
			}
		}()
	}
	wg.Wait()
	if errors.Join(errs...) != nil || !bytes.Equal(keys[0], keys[1]) {
		t.Fatalf("concurrent Ensure: %v; the replicas hold different keys: %t", errs, !bytes.Equal(keys[0], keys[1]))
	}

	// Erased through A: B stops showing the person once it has folded the
	// erasure, without a restart.
	var er WriteResult
	a.do(req{method: "POST", path: "/v1/persons/r1/erasure", token: root, body: map[string]string{"ground": "request", "reason": "本人申请删除"}}).want(t, 200).decode(t, &er)
	deadline := time.Now().Add(60 * time.Second)
	var after []byte
	for {
		after = b.do(req{method: "GET", path: fmt.Sprintf("/v1/proposals/%s/timeline?wait_for=%d", sub.ID, er.Position), token: c.auditor}).want(t, 200).body
		if bytes.Contains(after, []byte(privacy.ErasedName)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling B's answer, not waiting for an event
	}
	if !bytes.Contains(after, []byte(privacy.ErasedName)) {
		t.Fatalf("replica B does not show the erased marker within a minute: %s", after)
	}
	for _, s := range []string{"张三", "501室", "3号院车棚"} {
		if bytes.Contains(after, []byte(s)) {
			t.Errorf("replica B still shows %q after the erasure: %s", s, after)
		}
	}
	for name, r := range map[string]*env{"A": a, "B": b} {
		if _, err := r.ledger.Sealer().Keys().Key(ctx, privacy.PersonKey("r1")); !errors.Is(err, privacy.ErrErased) {
			t.Errorf("replica %s's key store: %v, want ErrErased", name, err)
		}
		r.do(req{method: "GET", path: photoPath}).wantProblem(t, 404, "not-found")
	}
}
