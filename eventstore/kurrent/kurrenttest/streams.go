package kurrenttest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strings"

	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"github.com/google/uuid"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// batch is how many records a read or subscription takes from the log at once.
const batch = 256

// streams implements the Streams service.
type streams struct {
	api.UnimplementedStreamsServer
	srv *Server
}

// Append writes one append request: options first, then the events.
func (s *streams) Append(stream api.Streams_AppendServer) error {
	first, err := stream.Recv()
	if err != nil {
		return err
	}
	opts := first.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "append: the first message must carry the options")
	}
	name := string(opts.GetStreamIdentifier().GetStreamName())
	if name == "" {
		return status.Error(codes.InvalidArgument, "append: empty stream name")
	}
	var exp expectation
	switch opts.GetExpectedStreamRevision().(type) {
	case *api.AppendReq_Options_Revision:
		exp = expectation{kind: "exact", rev: opts.GetRevision()}
	case *api.AppendReq_Options_NoStream:
		exp.kind = "noStream"
	case *api.AppendReq_Options_StreamExists:
		exp.kind = "streamExists"
	default:
		exp.kind = "any"
	}
	var events []*record
	size := 0
	s.srv.mu.Lock()
	limits, diskFull := s.srv.limits, s.srv.diskFull
	s.srv.appends++
	s.srv.mu.Unlock()
	if diskFull {
		// The writer fails at the write, after the whole request was read:
		// answering before the client has sent it all makes the client's
		// send fail with EOF instead of reading the status.
		for {
			if _, err := stream.Recv(); err != nil {
				break
			}
		}
		return status.Error(codes.Unknown, DiskFullMessage)
	}
	for {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		pm := req.GetProposedMessage()
		if pm == nil {
			return status.Error(codes.InvalidArgument, "append: expected a proposed message")
		}
		r, err := proposed(pm)
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "append to %s: %v", name, err)
		}
		// KurrentDB's Event.SizeOnDisk: the type counts twice (UTF-16).
		eventSize := len(r.data) + len(r.meta) + 2*len(r.typ)
		if limits.MaxAppendEventSize > 0 && eventSize > limits.MaxAppendEventSize {
			stream.SetTrailer(metadata.Pairs("exception", "maximum-append-event-size-exceeded",
				"maximum-append-event-size", fmt.Sprint(limits.MaxAppendEventSize),
				"event-id", r.id.String(), "proposed-append-event-size", fmt.Sprint(eventSize)))
			return status.Errorf(codes.InvalidArgument, "Event with Id: %s, Size: %d, exceeds Maximum Append Event Size of %d.", r.id, eventSize, limits.MaxAppendEventSize)
		}
		if size += eventSize; size > limits.MaxAppendSize {
			stream.SetTrailer(metadata.Pairs("exception", "maximum-append-size-exceeded", "maximum-append-size", fmt.Sprint(limits.MaxAppendSize)))
			return status.Errorf(codes.InvalidArgument, "Maximum Append Size of %d Exceeded.", limits.MaxAppendSize)
		}
		events = append(events, r)
	}
	if len(events) == 0 {
		return status.Error(codes.InvalidArgument, "append: no events")
	}
	wait := s.srv.replication()
	res := s.srv.db.appendEvents(name, exp, events, wait != nil)
	switch {
	case res.notReady:
		return s.srv.dropNotReady(stream.Context())
	case res.written && wait != nil:
		wait(stream.Context())
		s.srv.db.replicated(events)
	}
	switch {
	case res.tombstoned:
		return streamDeleted(stream, name)
	case !res.ok:
		return stream.SendAndClose(&api.AppendResp{Result: &api.AppendResp_WrongExpectedVersion_{WrongExpectedVersion: wrongVersion(exp, res.current)}})
	}
	return stream.SendAndClose(&api.AppendResp{Result: &api.AppendResp_Success_{Success: &api.AppendResp_Success{
		CurrentRevisionOption: &api.AppendResp_Success_CurrentRevision{CurrentRevision: res.revision},
		PositionOption:        &api.AppendResp_Success_Position{Position: &api.AppendResp_Position{CommitPosition: res.pos, PreparePosition: res.pos}},
	}}})
}

// proposed checks one proposed event and turns it into a record.
func proposed(pm *api.AppendReq_ProposedMessage) (*record, error) {
	id, err := fromUUID(pm.GetId())
	if err != nil {
		return nil, err
	}
	md := pm.GetMetadata()
	typ, ct := md["type"], md["content-type"]
	if typ == "" || ct == "" {
		return nil, fmt.Errorf("event %s: metadata needs type and content-type", id)
	}
	return &record{id: id, typ: typ, contentType: ct, data: pm.GetData(), meta: pm.GetCustomMetadata()}, nil
}

// wrongVersion builds the wrong-expected-version reply.
func wrongVersion(exp expectation, current int64) *api.AppendResp_WrongExpectedVersion {
	w := &api.AppendResp_WrongExpectedVersion{}
	if current < 0 {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentNoStream{CurrentNoStream: &shared.Empty{}}
	} else {
		w.CurrentRevisionOption = &api.AppendResp_WrongExpectedVersion_CurrentRevision{CurrentRevision: uint64(current)}
	}
	switch exp.kind {
	case "exact":
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedRevision{ExpectedRevision: exp.rev}
	case "noStream":
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedNoStream{ExpectedNoStream: &shared.Empty{}}
	case "streamExists":
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedStreamExists{ExpectedStreamExists: &shared.Empty{}}
	default:
		w.ExpectedRevisionOption = &api.AppendResp_WrongExpectedVersion_ExpectedAny{ExpectedAny: &shared.Empty{}}
	}
	return w
}

// streamDeleted fails a call on a tombstoned stream the way KurrentDB does:
// the exception and the stream's name travel in the trailers.
func streamDeleted(stream grpc.ServerStream, name string) error {
	stream.SetTrailer(metadata.Pairs("exception", "stream-deleted", "stream-name", name))
	return status.Errorf(codes.FailedPrecondition, "Event stream '%s' is deleted.", name)
}

// Tombstone deletes a stream for good. The reply carries the tombstone's
// position, which the client reads unconditionally.
func (s *streams) Tombstone(ctx context.Context, req *api.TombstoneReq) (*api.TombstoneResp, error) {
	name := string(req.GetOptions().GetStreamIdentifier().GetStreamName())
	pos, ok := s.srv.db.tombstone(name)
	if !ok {
		_ = grpc.SetTrailer(ctx, metadata.Pairs("exception", "stream-deleted", "stream-name", name))
		return nil, status.Errorf(codes.FailedPrecondition, "Event stream '%s' is deleted.", name)
	}
	return &api.TombstoneResp{PositionOption: &api.TombstoneResp_Position_{Position: &api.TombstoneResp_Position{CommitPosition: pos, PreparePosition: pos}}}, nil
}

// Read serves reads of a stream or of $all, and subscriptions to $all.
func (s *streams) Read(req *api.ReadReq, stream api.Streams_ReadServer) error {
	opts := req.GetOptions()
	if opts == nil {
		return status.Error(codes.InvalidArgument, "read: no options")
	}
	f, err := newFilter(opts.GetFilter())
	if err != nil {
		return err
	}
	structured := opts.GetUuidOption().GetString_() == nil
	send := func(r *record) error { return stream.Send(eventResp(r, structured)) }

	if opts.GetSubscription() != nil {
		if opts.GetAll() == nil {
			return status.Error(codes.Unimplemented, "kurrenttest: stream subscriptions are not implemented")
		}
		return s.subscribe(stream, opts.GetAll(), f, send)
	}
	n := opts.GetCount()
	backwards := opts.GetReadDirection() == api.ReadReq_Options_Backwards
	if all := opts.GetAll(); all != nil {
		return s.readAll(all, backwards, n, f, send)
	}
	so := opts.GetStream()
	name := string(so.GetStreamIdentifier().GetStreamName())
	records, tombstoned := s.srv.db.streamState(name)
	if tombstoned {
		return streamDeleted(stream, name)
	}
	if len(records) == 0 {
		return stream.Send(&api.ReadResp{Content: &api.ReadResp_StreamNotFound_{StreamNotFound: &api.ReadResp_StreamNotFound{StreamIdentifier: so.GetStreamIdentifier()}}})
	}
	sent := uint64(0)
	if backwards {
		from := len(records) - 1
		if _, ok := so.GetRevisionOption().(*api.ReadReq_Options_StreamOptions_Revision); ok {
			from = int(min(so.GetRevision(), uint64(len(records)-1)))
		}
		for i := from; i >= 0 && sent < n; i-- {
			if err := send(records[i]); err != nil {
				return err
			}
			sent++
		}
		return nil
	}
	from := uint64(0)
	switch so.GetRevisionOption().(type) {
	case *api.ReadReq_Options_StreamOptions_Revision:
		from = so.GetRevision()
	case *api.ReadReq_Options_StreamOptions_End:
		from = uint64(len(records))
	}
	for i := from; i < uint64(len(records)) && sent < n; i++ {
		if err := send(records[i]); err != nil {
			return err
		}
		sent++
	}
	return nil
}

// readAll serves a read of $all: forwards from a position inclusive,
// backwards from a position exclusive (the position ends the range).
func (s *streams) readAll(all *api.ReadReq_Options_AllOptions, backwards bool, n uint64, f *filter, send func(*record) error) error {
	db := s.srv.db
	sent := uint64(0)
	defer func() { s.srv.allRecords.Add(int64(sent)) }()
	if backwards {
		pos := uint64(math.MaxUint64)
		if p := all.GetPosition(); p != nil {
			pos = p.GetCommitPosition()
		}
		for sent < n {
			records := db.before(pos, batch)
			if len(records) == 0 {
				return nil
			}
			pos = records[len(records)-1].pos
			if err := sendMatching(records, f, send, &sent, n); err != nil {
				return err
			}
		}
		return nil
	}
	pos := uint64(0)
	switch all.GetAllOption().(type) {
	case *api.ReadReq_Options_AllOptions_Position:
		pos = all.GetPosition().GetCommitPosition()
	case *api.ReadReq_Options_AllOptions_End:
		return nil
	}
	for sent < n {
		records, _ := db.since(pos, batch)
		if len(records) == 0 {
			return nil
		}
		pos = records[len(records)-1].pos + 1
		if err := sendMatching(records, f, send, &sent, n); err != nil {
			return err
		}
	}
	return nil
}

// sendMatching sends the records that pass f until *sent reaches n.
func sendMatching(records []*record, f *filter, send func(*record) error, sent *uint64, n uint64) error {
	for _, r := range records {
		if *sent == n {
			return nil
		}
		if !f.match(r) {
			continue
		}
		if err := send(r); err != nil {
			return err
		}
		*sent++
	}
	return nil
}

// subscribe serves a catch-up subscription to $all: the confirmation, the
// events after the start position (exclusive), checkpoints, the caught-up
// message, then live events until the client leaves, the server stops or
// DropSubscriptions.
func (s *streams) subscribe(stream api.Streams_ReadServer, all *api.ReadReq_Options_AllOptions, f *filter, send func(*record) error) error {
	db := s.srv.db
	drop := s.srv.subscribed()
	ctx := stream.Context()
	if err := stream.Send(&api.ReadResp{Content: &api.ReadResp_Confirmation{Confirmation: &api.ReadResp_SubscriptionConfirmation{SubscriptionId: uuid.NewString()}}}); err != nil {
		return err
	}
	pos := uint64(0)
	switch all.GetAllOption().(type) {
	case *api.ReadReq_Options_AllOptions_Position:
		pos = all.GetPosition().GetCommitPosition() + 1 // exclusive
	case *api.ReadReq_Options_AllOptions_End:
		pos = db.end()
	}
	checkpoint := func(at uint64) error {
		return stream.Send(&api.ReadResp{Content: &api.ReadResp_Checkpoint_{Checkpoint: &api.ReadResp_Checkpoint{CommitPosition: at, PreparePosition: at}}})
	}
	live := false
	caughtUp := s.srv.sendsCaughtUp()
	scanned := uint32(0)
	for {
		select {
		case <-drop:
			return status.Error(codes.Aborted, "subscription dropped: consumer too slow")
		default:
		}
		records, changed := db.since(pos, batch)
		for _, r := range records {
			pos = r.pos + 1
			if f.match(r) {
				if err := send(r); err != nil {
					return err
				}
			}
			if scanned++; f != nil && scanned%f.interval == 0 {
				if err := checkpoint(r.pos); err != nil {
					return err
				}
			}
		}
		if len(records) > 0 {
			continue
		}
		if !live {
			live = true
			if caughtUp {
				if err := stream.Send(&api.ReadResp{Content: &api.ReadResp_CaughtUp_{CaughtUp: &api.ReadResp_CaughtUp{}}}); err != nil {
					return err
				}
			}
			if f != nil && pos > 0 {
				if err := checkpoint(pos - 1); err != nil {
					return err
				}
			}
		}
		select {
		case <-changed:
		case <-drop:
			return status.Error(codes.Aborted, "subscription dropped: consumer too slow")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// filter is a server-side filter of a read or subscription; nil passes all.
type filter struct {
	onType   bool // filter event types, else stream names
	prefixes []string
	re       *regexp.Regexp
	interval uint32 // records scanned between checkpoints
}

// newFilter compiles the request's filter options.
func newFilter(fo *api.ReadReq_Options_FilterOptions) (*filter, error) {
	if fo == nil {
		return nil, nil
	}
	f := &filter{}
	expr := fo.GetStreamIdentifier()
	if e := fo.GetEventType(); e != nil {
		f.onType, expr = true, e
	}
	if expr == nil {
		return nil, status.Error(codes.InvalidArgument, "filter: no expression")
	}
	f.prefixes = expr.GetPrefix()
	if rx := expr.GetRegex(); rx != "" {
		re, err := regexp.Compile(rx)
		if err != nil {
			return nil, status.Errorf(codes.InvalidArgument, "filter: %v", err)
		}
		f.re = re
	}
	window := fo.GetMax()
	if window == 0 {
		window = 32
	}
	f.interval = window * max(fo.GetCheckpointIntervalMultiplier(), 1)
	return f, nil
}

// match reports whether r passes the filter.
func (f *filter) match(r *record) bool {
	if f == nil {
		return true
	}
	s := r.stream
	if f.onType {
		s = r.typ
	}
	if f.re != nil {
		return f.re.MatchString(s)
	}
	for _, p := range f.prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// eventResp renders a record as a read response.
func eventResp(r *record, structured bool) *api.ReadResp {
	return &api.ReadResp{Content: &api.ReadResp_Event{Event: &api.ReadResp_ReadEvent{
		Event: &api.ReadResp_ReadEvent_RecordedEvent{
			Id:               toUUID(r.id, structured),
			StreamIdentifier: &shared.StreamIdentifier{StreamName: []byte(r.stream)},
			StreamRevision:   r.revision,
			PreparePosition:  r.pos,
			CommitPosition:   r.pos,
			Metadata:         map[string]string{"type": r.typ, "content-type": r.contentType, "created": r.created},
			CustomMetadata:   r.meta,
			Data:             r.data,
		},
		Position: &api.ReadResp_ReadEvent_CommitPosition{CommitPosition: r.pos},
	}}}
}

// fromUUID decodes either of the protocol's UUID forms.
func fromUUID(u *shared.UUID) (uuid.UUID, error) {
	if st := u.GetStructured(); st != nil {
		var id uuid.UUID
		for i := range 8 {
			id[i] = byte(uint64(st.GetMostSignificantBits()) >> (56 - 8*i))
			id[8+i] = byte(uint64(st.GetLeastSignificantBits()) >> (56 - 8*i))
		}
		return id, nil
	}
	id, err := uuid.Parse(u.GetString_())
	if err != nil {
		return uuid.Nil, fmt.Errorf("event id: %w", err)
	}
	return id, nil
}

// toUUID encodes id in the form the reader asked for.
func toUUID(id uuid.UUID, structured bool) *shared.UUID {
	if !structured {
		return &shared.UUID{Value: &shared.UUID_String_{String_: id.String()}}
	}
	var most, least uint64
	for i := range 8 {
		most = most<<8 | uint64(id[i])
		least = least<<8 | uint64(id[8+i])
	}
	return &shared.UUID{Value: &shared.UUID_Structured_{Structured: &shared.UUID_Structured{MostSignificantBits: int64(most), LeastSignificantBits: int64(least)}}}
}
