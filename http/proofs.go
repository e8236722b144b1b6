package http

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	nethttp "net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/labstack/echo/v4"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/policy"
	"github.com/yishi-civic/yishi/seal"
)

// checkpoints signs the log's tree heads and remembers the newest one, so
// that every request of the same size gets the same note.
type checkpoints struct {
	mu   sync.Mutex
	size int64
	msg  []byte
	head seal.Checkpoint
}

// latestCheckpoint returns the checkpoint of the tree as it is now, signed.
func (s *Server) latestCheckpoint() ([]byte, seal.Checkpoint, error) {
	if s.cfg.Seal == nil || s.cfg.Signer == nil {
		return nil, seal.Checkpoint{}, refuse(kindUnavailable, text{"本服务未配置签名检查点", "this server publishes no checkpoints"})
	}
	head, err := s.cfg.Seal.Head()
	if err != nil {
		return nil, seal.Checkpoint{}, err
	}
	cp := &s.checkpoints
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if cp.msg != nil && cp.size == head.Size {
		return cp.msg, cp.head, nil
	}
	head.Origin = s.cfg.Origin
	msg, err := head.Sign(s.cfg.Signer)
	if err != nil {
		return nil, seal.Checkpoint{}, err
	}
	cp.size, cp.msg, cp.head = head.Size, msg, head
	return msg, head, nil
}

// getCheckpoint answers the log's signed tree head: a sumdb note of the
// origin, the number of events, the Merkle root and the head position.
func (s *Server) getCheckpoint(c echo.Context) error {
	msg, _, err := s.latestCheckpoint()
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(nethttp.StatusOK, "text/plain; charset=utf-8", msg)
}

// getCheckpointKey answers the verifier key of the server's checkpoints.
func (s *Server) getCheckpointKey(c echo.Context) error {
	if s.cfg.VerifierKey == "" {
		return refuse(kindUnavailable, text{"本服务未配置签名检查点", "this server publishes no checkpoints"})
	}
	return c.Blob(nethttp.StatusOK, "text/plain; charset=utf-8", []byte(s.cfg.VerifierKey+"\n"))
}

// InclusionProof is the answer of GET /v1/proofs/inclusion: the event at
// Position is leaf Index of the tree of Size events, whose leaf hash is
// LeafHash (tlog.RecordHash of the event's chain hash, never the chain
// hash itself); tlog.CheckRecord(Proof, Size, root, Index, LeafHash) holds
// for the root of that tree. Checkpoint is the signed tree head of Size
// events, when Size is the latest.
type InclusionProof struct {
	Position   uint64      `json:"position"`
	Index      int64       `json:"index"`
	Size       int64       `json:"size"`
	LeafHash   tlog.Hash   `json:"leaf_hash"`
	Proof      []tlog.Hash `json:"proof"`
	Checkpoint string      `json:"checkpoint,omitempty"`
}

// ConsistencyProof is the answer of GET /v1/proofs/consistency: the tree
// of To events extends the tree of From events;
// tlog.CheckTree(Proof, To, rootTo, From, rootFrom) holds. Checkpoint is
// the signed tree head of To events, when To is the latest.
type ConsistencyProof struct {
	From       int64       `json:"from"`
	To         int64       `json:"to"`
	Proof      []tlog.Hash `json:"proof"`
	Checkpoint string      `json:"checkpoint,omitempty"`
}

// proofTarget reads the size a proof is asked against (the query
// parameter name, default the latest checkpoint's) and refuses a reader
// the proofs must not be shown to.
func (s *Server) proofTarget(c echo.Context, name string) (int64, []byte, error) {
	msg, latest, err := s.latestCheckpoint()
	if err != nil {
		return 0, nil, err
	}
	if n := s.cfg.Seal.Unsafe(); n > 0 && !readerOf(c).SeesChainHashes() {
		return 0, nil, refuse(kindForbidden, text{
			fmt.Sprintf("账本中有 %d 张在哈希加盐之前写入的不记名选票；它们的哈希会泄露选择，证明只向审计员提供", n),
			fmt.Sprintf("the log holds %d secret ballots written before hash scheme 3 salted their hashes, which would give their choices away: proofs are for auditors only", n)})
	}
	size := latest.Size
	if v := c.QueryParam(name); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > latest.Size {
			return 0, nil, fieldErr(kindBadRequest, name, text{
				fmt.Sprintf("应为 1 到 %d 之间的事件数", latest.Size),
				fmt.Sprintf("want a number of events from 1 to %d", latest.Size)})
		}
		size = n
	}
	if size != latest.Size {
		msg = nil
	}
	return size, msg, nil
}

// getInclusionProof proves that an event is in the tree of the log's
// first size events (default: the latest checkpoint's).
func (s *Server) getInclusionProof(c echo.Context) error {
	size, msg, err := s.proofTarget(c, "size")
	if err != nil {
		return err
	}
	pos, err := strconv.ParseUint(c.QueryParam("position"), 10, 64)
	if err != nil || pos == 0 {
		return fieldErr(kindBadRequest, "position", text{"应为事件的全局位置（正整数）", "want an event's global position (a positive integer)"})
	}
	i, ok := s.cfg.Seal.Index(eventstore.Position(pos))
	if !ok {
		return refuse(kindNotFound, text{fmt.Sprintf("位置 %d 没有事件", pos), fmt.Sprintf("no event at position %d", pos)})
	}
	if i >= size {
		return fieldErr(kindValidation, "size", text{
			fmt.Sprintf("位置 %d 的事件是第 %d 个，不在前 %d 个事件中", pos, i+1, size),
			fmt.Sprintf("the event at position %d is event number %d, not among the first %d", pos, i+1, size)})
	}
	proof, err := s.cfg.Seal.InclusionProof(i, size)
	if err != nil {
		return err
	}
	leaf, err := s.cfg.Seal.Leaf(i)
	if err != nil {
		return err
	}
	return c.JSON(nethttp.StatusOK, InclusionProof{Position: pos, Index: i, Size: size, LeafHash: leaf, Proof: proof, Checkpoint: string(msg)})
}

// getConsistencyProof proves that the tree of the log's first "to" events
// (default: the latest checkpoint's) extends the tree of its first "from".
func (s *Server) getConsistencyProof(c echo.Context) error {
	to, msg, err := s.proofTarget(c, "to")
	if err != nil {
		return err
	}
	from, err := strconv.ParseInt(c.QueryParam("from"), 10, 64)
	if err != nil || from < 1 {
		return fieldErr(kindBadRequest, "from", text{"应为较早检查点的事件数（正整数）", "want the number of events of the older checkpoint (a positive integer)"})
	}
	if from > to {
		return fieldErr(kindValidation, "from", text{fmt.Sprintf("大于 %d", to), fmt.Sprintf("greater than %d", to)})
	}
	proof, err := s.cfg.Seal.ConsistencyProof(from, to)
	if err != nil {
		return err
	}
	return c.JSON(nethttp.StatusOK, ConsistencyProof{From: from, To: to, Proof: proof, Checkpoint: string(msg)})
}

// LogEntry is one line of GET /v1/log: leaf Index of the tree, the event
// at Position, and its LeafHash as the server's tree holds it. Event is
// the event exactly as stored (its data as stored, sealed personal data
// as ciphertext, its whole metadata with hashes and salt) when the reader
// may read its stream and its hash chain; otherwise only the leaf hash is
// given, which is enough to recompute the tree but not the stream's chain.
type LogEntry struct {
	Index    int64        `json:"index"`
	Position uint64       `json:"position"`
	LeafHash tlog.Hash    `json:"leaf_hash"`
	Event    *StoredEvent `json:"event,omitempty"`
}

// StoredEvent is a whole event as stored: every field its chain hash
// covers. It is a line of `yishi export` too.
type StoredEvent struct {
	ID       uuid.UUID           `json:"id"`
	Stream   string              `json:"stream"`
	Revision uint64              `json:"revision"`
	Position eventstore.Position `json:"position"`
	Type     string              `json:"type"`
	Recorded time.Time           `json:"recorded"`
	Data     json.RawMessage     `json:"data"`
	Metadata eventstore.Metadata `json:"metadata"`
}

// maxLogEntries bounds one answer of GET /v1/log.
const maxLogEntries = 100_000

// getLog streams the leaves of the log's tree from index "from", at most
// "max" of them (default and bound maxLogEntries), as JSON Lines.
func (s *Server) getLog(c echo.Context) error {
	if s.cfg.Seal == nil {
		return refuse(kindUnavailable, text{"本服务未配置签名检查点", "this server publishes no checkpoints"})
	}
	head, err := s.cfg.Seal.Head()
	if err != nil {
		return err
	}
	from, err := strconv.ParseInt(c.QueryParam("from"), 10, 64)
	if c.QueryParam("from") == "" {
		from, err = 0, nil
	}
	if err != nil || from < 0 || from > head.Size {
		return fieldErr(kindBadRequest, "from", text{fmt.Sprintf("应为 0 到 %d 之间的序号", head.Size), fmt.Sprintf("want a leaf index from 0 to %d", head.Size)})
	}
	limit, err := queryInt(c, "max")
	if err != nil {
		return err
	}
	if limit == 0 || limit > maxLogEntries {
		limit = maxLogEntries
	}
	end := min(head.Size, from+int64(limit))
	r := readerOf(c)
	ctx := c.Request().Context()
	frames := acceptsLogFrames(c.Request().Header.Values(echo.HeaderAccept))
	res := c.Response()
	if frames {
		res.Header().Set(echo.HeaderContentType, LogFramesType)
	} else {
		res.Header().Set(echo.HeaderContentType, "application/x-ndjson")
	}
	res.Header().Set("X-Log-Size", strconv.FormatInt(head.Size, 10))
	res.WriteHeader(nethttp.StatusOK)
	if from == end {
		return nil
	}
	start, err := s.cfg.Seal.Position(from)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(res, 256<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false) // the data's bytes as stored: its hash covers them
	var frame []byte
	i := from
	for ev, err := range s.cfg.Store.ReadAll(ctx, eventstore.ReadAllOptions{From: start, Max: uint64(end - from)}) {
		if err != nil {
			return fmt.Errorf("read the log at leaf %d: %w", i, err)
		}
		leaf, err := s.cfg.Seal.Leaf(i)
		if err != nil {
			return err
		}
		readable, err := s.logReadable(ctx, r, ev)
		if err != nil {
			return err
		}
		if frames {
			if readable {
				frame = AppendLogFrame(frame[:0], i, leaf, ev.Position, &ev)
			} else {
				frame = AppendLogFrame(frame[:0], i, leaf, ev.Position, nil)
			}
			if _, err := bw.Write(frame); err != nil {
				return err
			}
			i++
			continue
		}
		e := LogEntry{Index: i, Position: uint64(ev.Position), LeafHash: leaf}
		if readable {
			se := StoredEvent(ev)
			e.Event = &se
		}
		if err := enc.Encode(e); err != nil {
			return err
		}
		i++
	}
	return bw.Flush()
}

// acceptsLogFrames reports whether a request's Accept headers ask for
// LogFramesType.
func acceptsLogFrames(accept []string) bool {
	for _, a := range accept {
		for _, t := range strings.Split(a, ",") {
			mt, _, _ := strings.Cut(t, ";")
			if strings.TrimSpace(mt) == LogFramesType {
				return true
			}
		}
	}
	return false
}

// logReadable reports whether r reads ev whole in GET /v1/log: an auditor
// whose scope covers its stream, a secret ballot only where r reads
// ballots. The stream's place is looked up only when r's scope makes it
// matter (policy.Reader.PlaceMatters), which spares an unscoped auditor
// a lookup per event.
func (s *Server) logReadable(ctx context.Context, r policy.Reader, ev eventstore.Event) (bool, error) {
	if !r.SeesChainHashes() {
		return false, nil
	}
	var community, grid string
	if r.PlaceMatters() {
		var err error
		community, grid, err = s.streamPlace(ctx, ev.Stream)
		if errors.As(err, new(*requestError)) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
	return r.SeesStream(ev.Stream, community, grid) && !r.RedactsBallot(ev.Type, ev.Data, community, grid), nil
}

// DecisionProof is the answer of GET /v1/proofs/decisions/{meeting}/{decision}:
// the events a decision of the register was made of (projections.Decision's
// Events), each with its leaf hash and its inclusion proof in the tree of
// Size events, whose signed tree head is Checkpoint. Fingerprint is
// seal.Fingerprint of the leaf hashes in hex: the register prints its
// first 12 digits beside the decision, and its QR code carries it whole.
type DecisionProof struct {
	Key         string          `json:"key"`
	Fingerprint string          `json:"fingerprint"`
	Size        int64           `json:"size"`
	Checkpoint  string          `json:"checkpoint"`
	Events      []DecisionEvent `json:"events"`
}

// DecisionEvent is one event of a DecisionProof: leaf Index of the tree,
// the event at Position of type Type, its LeafHash (never its chain hash)
// and Proof, for tlog.CheckRecord(Proof, Size, root, Index, LeafHash).
type DecisionEvent struct {
	Position uint64      `json:"position"`
	Type     string      `json:"type"`
	Index    int64       `json:"index"`
	LeafHash tlog.Hash   `json:"leaf_hash"`
	Proof    []tlog.Hash `json:"proof"`
}

// getDecisionProof proves that the events of a decision of the register
// are in the latest checkpoint. It publishes nothing the other proofs do
// not: leaf hashes, and the positions and types of the decision's events
// (a public register entry quotes them); it is refused like them while
// the log holds an unsalted secret ballot.
func (s *Server) getDecisionProof(c echo.Context) error {
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	d, ok, err := views.Register.Decision(c.Param("meeting") + "/" + c.Param("decision"))
	if err != nil {
		return err
	}
	if !ok || len(d.Events) == 0 {
		return refuse(kindNotFound, text{"没有这项决定", "no such decision"})
	}
	ctx := c.Request().Context()
	if s.cfg.Seal != nil {
		// The views may be ahead of the tree when it follows the store on
		// its own (seal.Log.Follow); fed by the views' reading, it is not.
		if err := s.cfg.Seal.Wait(ctx, d.Events[len(d.Events)-1]); err != nil {
			return fmt.Errorf("wait for the tree to hold the decision: %w", err)
		}
	}
	size, msg, err := s.proofTarget(c, "size")
	if err != nil {
		return err
	}
	out := DecisionProof{Key: d.Key, Size: size, Checkpoint: string(msg), Events: make([]DecisionEvent, 0, len(d.Events))}
	leaves := make([]tlog.Hash, 0, len(d.Events))
	for _, pos := range d.Events {
		i, ok := s.cfg.Seal.Index(pos)
		if !ok || i >= size {
			return refuse(kindNotFound, text{fmt.Sprintf("位置 %d 的事件不在前 %d 个事件中", pos, size), fmt.Sprintf("the event at position %d is not among the first %d", pos, size)})
		}
		proof, err := s.cfg.Seal.InclusionProof(i, size)
		if err != nil {
			return err
		}
		leaf, err := s.cfg.Seal.Leaf(i)
		if err != nil {
			return err
		}
		typ := ""
		for ev, err := range s.cfg.Store.ReadAll(ctx, eventstore.ReadAllOptions{From: pos, Max: 1}) {
			if err != nil {
				return fmt.Errorf("read the event at position %d: %w", pos, err)
			}
			typ = ev.Type
		}
		leaves = append(leaves, leaf)
		out.Events = append(out.Events, DecisionEvent{Position: uint64(pos), Type: typ, Index: i, LeafHash: leaf, Proof: proof})
	}
	fp := seal.Fingerprint(leaves)
	out.Fingerprint = hex.EncodeToString(fp[:])
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.JSON(nethttp.StatusOK, out)
}
