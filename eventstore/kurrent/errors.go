package kurrent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/yishi-civic/yishi/eventstore"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// translate is the one place where the client's errors become the store's.
// op names what failed ("append to proposal-1"); ctx is the caller's, so that
// a cancelled call reports ctx.Err() and not the transport's view of it. A
// client that has shut itself down is replaced for the next call.
//
// It uses errors.As on *esdb.Error rather than esdb.FromError, which answers
// ok == true for a nil error and ok == false for every real one.
func (s *Store) translate(ctx context.Context, c *conn, op string, err error) error {
	if err == nil {
		return nil
	}
	if s.isClosed() {
		return fmt.Errorf("%s: %w", op, eventstore.ErrClosed)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return fmt.Errorf("%s: %w", op, ctxErr)
	}
	var sentinel error
	var esErr *esdb.Error
	if errors.As(err, &esErr) {
		switch esErr.Code() {
		case esdb.ErrorCodeWrongExpectedVersion:
			sentinel = eventstore.ErrWrongRevision
		case esdb.ErrorCodeResourceNotFound:
			sentinel = eventstore.ErrStreamNotFound
		case esdb.ErrorCodeStreamDeleted:
			sentinel = eventstore.ErrStreamDeleted
		case esdb.ErrorCodeAccessDenied, esdb.ErrorCodeUnauthenticated:
			sentinel = eventstore.ErrAccessDenied
		case esdb.ErrorCodeConnectionClosed:
			s.renew(c)
			sentinel = eventstore.ErrUnavailable
		case esdb.ErrorUnavailable, esdb.ErrorCodeNotLeader, esdb.ErrorAborted, esdb.ErrorCodeDeadlineExceeded:
			sentinel = eventstore.ErrUnavailable
		}
	}
	if sentinel == nil && errors.Is(err, errStuck) {
		sentinel = eventstore.ErrUnavailable
	}
	// A gRPC stream whose connection broke answers Send with a bare io.EOF
	// (the real status only comes from the next Recv, which the client does
	// not make); the client reports it as an unknown error.
	if sentinel == nil && (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) {
		sentinel = eventstore.ErrUnavailable
	}
	if sentinel == nil {
		sentinel = fromStatus(err)
	}
	if sentinel == nil {
		return fmt.Errorf("%s: kurrentdb: %w", op, err)
	}
	return fmt.Errorf("%s: %w (kurrentdb: %v)", op, sentinel, err)
}

// fromStatus classifies what the client reports as an unknown error by the
// gRPC status underneath: a write the node's disk had no room for (its
// I/O exception's words; ErrDiskFull, which the HTTP layer answers 507 as
// for the embedded store), a request over one of the server's size limits
// (an append over MaxAppendSize, or from 25.0 an event over
// MaxAppendEventSize; both InvalidArgument, told apart by their messages), a
// follower's answer while its cluster has no leader (Unknown, "No leader
// info available"), a malformed request, or a transport failure. Returns
// nil when nothing fits.
func fromStatus(err error) error {
	st, ok := status.FromError(err)
	if !ok {
		return nil
	}
	msg := strings.ToLower(st.Message())
	switch {
	case strings.Contains(msg, "no space left on device"), // Linux's ENOSPC, in a .NET IOException
		strings.Contains(msg, "not enough space on the disk"), // Windows'
		strings.Contains(msg, "disk full"):
		return eventstore.ErrDiskFull
	case st.Code() == codes.ResourceExhausted,
		strings.Contains(msg, "maximum append size"),
		strings.Contains(msg, "maximum append event size"):
		return eventstore.ErrTooLarge
	case strings.Contains(msg, "no leader info"): // a follower while the cluster elects a leader
		return eventstore.ErrUnavailable
	case st.Code() == codes.InvalidArgument:
		return eventstore.ErrInvalid
	case st.Code() == codes.Unavailable, st.Code() == codes.Aborted:
		return eventstore.ErrUnavailable
	case st.Code() == codes.PermissionDenied, st.Code() == codes.Unauthenticated:
		return eventstore.ErrAccessDenied
	}
	return nil
}

// retriable reports whether a call that failed with err (as the client
// reports it) can be made again at once with hope: a follower refused it
// and the client has moved to the leader it named, or the server gave up
// waiting (Aborted: a write not completed within its timeout, such as a
// retry that arrives while the first send is still being replicated, which
// KurrentDB drops as "idempotent, not ready"; DeadlineExceeded: the
// client's deadline), or the stream ended while the call was still
// sending: a follower that refuses an append as soon as its header
// arrives ends the stream with "not leader", and a client still sending
// the events meets a bare io.EOF instead of that answer (a CI run of
// TestFollowsTheLeader met it once); sent again, the refusal is read.
func retriable(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return true
	}
	var esErr *esdb.Error
	if !errors.As(err, &esErr) {
		return false
	}
	switch esErr.Code() {
	case esdb.ErrorCodeNotLeader, esdb.ErrorAborted, esdb.ErrorCodeDeadlineExceeded:
		return true
	}
	return false
}

// notLeader reports whether err (as the client reports it) is a follower's
// refusal of a call that requires the leader; the client has then moved to
// the leader.
func notLeader(err error) bool {
	var esErr *esdb.Error
	return errors.As(err, &esErr) && esErr.Code() == esdb.ErrorCodeNotLeader
}

// permanent reports whether a subscription that failed with err (already
// translated) must end rather than resubscribe: retrying cannot help a
// refused credential or a malformed request.
func permanent(err error) bool {
	return errors.Is(err, eventstore.ErrAccessDenied) || errors.Is(err, eventstore.ErrInvalid)
}
