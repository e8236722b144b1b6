package http

import (
	"bytes"
	"context"
	"net/http/httptest"
	"testing"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/blob/blobtest"
	"github.com/yishi-civic/yishi/eventstore/kurrent"
	"github.com/yishi-civic/yishi/eventstore/kurrent/kurrenttest"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
	"github.com/yishi-civic/yishi/projections"
)

// replica starts one yishi server on its own connection to a KurrentDB
// server and its own client of an S3 bucket, sharing the key store keys
// (the port a KMS implements; docs/scaling.md).
func replica(t *testing.T, kurrentURL, bucketURL string, keys privacy.KeyStore) *env {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	store, err := kurrent.Open(ctx, kurrentURL)
	if err != nil {
		t.Fatal(err)
	}
	photos, err := blob.Open(ctx, bucketURL, blobtest.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	sealer := privacy.NewSealer(keys)
	l := ledger.New(store, ledger.WithSealer(sealer), ledger.WithPhotos(privacy.NewBlobs(photos, sealer)))
	runner, err := projections.New(store, projections.Config{Decode: projections.NewDecoder().Opening(sealer).Decode})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Store: store, Ledger: l, Runner: runner, RatePerSecond: 10000, Burst: 10000})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 2)
	go func() { _ = srv.Run(ctx); done <- struct{}{} }()
	go func() { _ = runner.Run(ctx); done <- struct{}{} }()
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.close()
		ts.Close()
		cancel()
		<-done
		<-done
		_ = store.Close()
	})
	return &env{tb: t, srv: srv, ts: ts, ledger: l}
}

// TestTwoReplicasServeOnePhoto: two servers on one KurrentDB (the
// in-process protocol server) and one S3 bucket (gofakes3): a photo
// uploaded through one, referred to by a proposal submitted through it, is
// served by the other through the read policy, and the bucket holds it
// encrypted only.
func TestTwoReplicasServeOnePhoto(t *testing.T) {
	kdb := kurrenttest.MustStart(t)
	bucket := blobtest.StartFakeS3(t).Bucket(t, "photos")
	keys := privacy.NewMemoryKeys()
	a := replica(t, kdb.ConnectionString(), bucket, keys)
	b := replica(t, kdb.ConnectionString(), bucket, keys)

	tok := a.token(auth.RoleResident, auth.Scope{Community: "hengyuan", Grid: "g1"}, "r1")
	photo := jpegWithGPS(t)
	var up Attachment
	a.do(req{method: "POST", path: "/v1/attachments", token: tok, body: photo, header: map[string]string{"Content-Type": "image/jpeg"}}).want(t, 201).decode(t, &up)
	pid := a.write(t, tok, "/v1/proposals", map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "title": "车棚杂物", "text": "见照片", "category": "环境",
		"place": "3号院", "photos": []string{up.SHA256}, "channel": "photo_report",
	}, 201).ID

	fromA := a.do(req{method: "GET", path: "/v1/attachments/" + up.SHA256 + "?item=proposal-" + pid}).want(t, 200).body
	fromB := b.do(req{method: "GET", path: "/v1/attachments/" + up.SHA256 + "?item=proposal-" + pid}).want(t, 200).body
	if !bytes.Equal(fromA, fromB) || len(fromA) == 0 {
		t.Fatalf("the replicas serve different bytes: %d and %d", len(fromA), len(fromB))
	}
	// Through the other replica too, a photo nobody refers to is refused.
	b.do(req{method: "GET", path: "/v1/attachments/" + up.SHA256 + "?item=proposal-00000000-0000-4000-8000-000000000000"}).wantProblem(t, 404, "not-found")
}
