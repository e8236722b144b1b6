package kurrent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent/kurrenttest"
)

// TestServerSizeLimitIsTooLarge checks the translation of the server's
// refusal of an append over 1 MiB, which the client reports as an unknown
// error. The adapter's own limits stop such appends before they are sent, so
// the refusal is provoked through the bare client.
func TestServerSizeLimitIsTooLarge(t *testing.T) {
	s, c := mustConn(t)
	big := esdb.EventData{EventID: uuid.New(), EventType: "bulk.v1", ContentType: esdb.ContentTypeJson,
		Data: append(append([]byte(`"`), bytes.Repeat([]byte("x"), kurrenttest.MaxAppendSize)...), '"')}
	_, err := c.AppendToStream(context.Background(), "bulk-1", esdb.AppendToStreamOptions{}, big)
	var esErr *esdb.Error
	if !errors.As(err, &esErr) || esErr.Code() != esdb.ErrorCodeUnknown {
		t.Fatalf("oversized append through the client: %v, want an unknown-code client error", err)
	}
	if got := s.translate(context.Background(), c, "append to bulk-1", err); !errors.Is(got, eventstore.ErrTooLarge) {
		t.Errorf("translate(%v) = %v, want ErrTooLarge", err, got)
	}
	if got := s.translate(context.Background(), c, "op", nil); got != nil {
		t.Errorf("translate(nil) = %v, want nil", got)
	}
}

// TestBrokenStreamIsUnavailable covers a gRPC stream whose connection broke
// between two sends: Send answers a bare io.EOF, which the client wraps in
// an unknown-code error. The flaky outage test first showed it.
func TestBrokenStreamIsUnavailable(t *testing.T) {
	s, c := mustConn(t)
	for _, cause := range []error{io.EOF, io.ErrUnexpectedEOF} {
		err := fmt.Errorf("could not send append request. Reason: %w", cause)
		if got := s.translate(context.Background(), c, "append to meeting-o", err); !errors.Is(got, eventstore.ErrUnavailable) {
			t.Errorf("translate(%v) = %v, want ErrUnavailable", err, got)
		}
	}
}

// TestAppendSentAgainAfterABrokenSend: an append whose stream ended while
// it was being sent (a follower refusing it at its header) is sent again,
// as a follower's refusal is; a refusal the client read whole is not.
func TestAppendSentAgainAfterABrokenSend(t *testing.T) {
	for _, cause := range []error{io.EOF, io.ErrUnexpectedEOF} {
		if err := fmt.Errorf("could not send append request. Reason: %w", cause); !retriable(err) {
			t.Errorf("retriable(%v) = false, want true", err)
		}
	}
	if err := errors.New("could not send append request. Reason: permission denied"); retriable(err) {
		t.Errorf("retriable(%v) = true, want false", err)
	}
}

// mustConn opens the adapter on a test server and holds one of its
// connections for the test.
func mustConn(t *testing.T) (*Store, *conn) {
	t.Helper()
	srv := kurrenttest.MustStart(t)
	s, err := Open(context.Background(), srv.ConnectionString())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	c, err := s.begin()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.calls.Done)
	return s, c
}
