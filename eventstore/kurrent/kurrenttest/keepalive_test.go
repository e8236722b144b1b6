package kurrenttest_test

import (
	"context"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"github.com/yishi-civic/yishi/eventstore/kurrent/kurrenttest"
)

// TestIdleSubscriptionSurvivesKeepalive keeps a subscription of the bare
// client idle for longer than gRPC's default enforcement lets its 10 s pings
// go unpunished (two strikes, then GOAWAY after about 30 s), then checks that
// the subscription still delivers. It takes 35 s, so it runs in parallel.
func TestIdleSubscriptionSurvivesKeepalive(t *testing.T) {
	if testing.Short() {
		t.Skip("takes 35 s of idling; skipped with -short")
	}
	t.Parallel()
	srv := kurrenttest.MustStart(t)
	cfg, err := esdb.ParseConnectionString("esdb://" + srv.Addr() + "?tls=false")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = esdb.NoopLogging()
	client, err := esdb.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	sub, err := client.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{From: esdb.End{}})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	time.Sleep(35 * time.Second)

	id := uuid.New()
	if _, err := client.AppendToStream(ctx, "idle-1", esdb.AppendToStreamOptions{}, esdb.EventData{EventID: id, EventType: "idle.v1", ContentType: esdb.ContentTypeJson, Data: []byte(`{}`)}); err != nil {
		t.Fatalf("append after idling: %v", err)
	}
	for {
		ev := sub.Recv()
		if ev.SubscriptionDropped != nil {
			t.Fatalf("idle subscription dropped: %v", ev.SubscriptionDropped.Error)
		}
		if ev.EventAppeared != nil {
			if got := ev.EventAppeared.Event.EventID; got != id {
				t.Fatalf("delivered %s, want %s", got, id)
			}
			return
		}
	}
}
