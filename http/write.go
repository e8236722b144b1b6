package http

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	nethttp "net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
)

// WriteResult is the answer to every write: where its events landed. A
// read with wait_for=head_position sees them and their follow-ups.
type WriteResult struct {
	// ID is the id of what the write created (a proposal, a motion …), when
	// it created something.
	ID       string `json:"id,omitempty"`
	Stream   string `json:"stream"`
	Revision uint64 `json:"revision"`
	// Position is the global position of the command's own (last) event.
	Position uint64 `json:"position"`
	// HeadPosition is the highest position the write reached, its
	// follow-ups included (the proposal an action was attached to …); a
	// read with wait_for=head_position sees all of them.
	HeadPosition uint64 `json:"head_position"`
	// Replayed is set when the request repeated an Idempotency-Key and the
	// first result is returned; nothing new was appended.
	Replayed bool `json:"replayed,omitempty"`
	// Warnings name fields whose text will be public and looks like
	// personal data; the write was accepted.
	Warnings []Warning `json:"warnings,omitempty"`
}

// headerIdempotencyKey names the header that makes a write safe to retry.
const headerIdempotencyKey = "Idempotency-Key"

// headerCommandTime names the header that carries the moment a meeting's
// command was made, when it reaches the API later (the console records
// commands offline and sends them when the network returns): RFC 3339.
// The ledger checks it against the meeting's window and records it as the
// events' "at" (domain.CheckCommandTime); refusals name this header.
const headerCommandTime = "Yishi-Command-Time"

// writeOptions reads If-Match and Idempotency-Key into ledger options. The
// idempotency key is scoped to the token, so two clients never collide,
// and carries a fingerprint of the command, so that the ledger catches a
// key reused for a different command (ledger.ErrKeyReused) in the
// stream's turn.
func writeOptions(c echo.Context, p principal, cmd domain.Command) (ledger.Options, error) {
	var opts ledger.Options
	h := c.Request().Header
	if key := h.Get(headerIdempotencyKey); key != "" {
		if !printableToken(key, 128) {
			return opts, fieldErr(kindBadRequest, headerIdempotencyKey, text{"应为 1 到 128 个可见 ASCII 字符", "want 1 to 128 visible ASCII characters"})
		}
		fp, err := json.Marshal(cmd)
		if err != nil {
			return opts, fmt.Errorf("fingerprint %T: %w", cmd, err)
		}
		sum := sha256.Sum256(append([]byte(fmt.Sprintf("%T\x00", cmd)), fp...))
		opts.KeyPrefix = keyPrefix(p, key)
		opts.CommandID = opts.KeyPrefix + hex.EncodeToString(sum[:8])
	}
	if ct := h.Get(headerCommandTime); ct != "" {
		t, err := time.Parse(time.RFC3339Nano, ct)
		if err != nil {
			return opts, fieldErr(kindBadRequest, headerCommandTime, text{"应为 RFC 3339 时间，如 2026-12-02T10:03:00.000Z", "want an RFC 3339 time such as 2026-12-02T10:03:00.000Z"})
		}
		opts.CommandTime = t
	}
	if im := h.Get("If-Match"); im != "" && im != "*" {
		rev, err := parseETag(im)
		if err != nil {
			return opts, err
		}
		opts.IfMatch = &rev
	}
	opts.CorrelationID = c.Response().Header().Get(echo.HeaderXRequestID)
	// A follow-up (an action's link, a verification's settlement) writes
	// only where the token may write.
	opts.Scope = func(community, grid string) error { return requireScope(p, community, grid) }
	return opts, nil
}

// keyPrefix is the part of a command id an idempotency key determines.
func keyPrefix(p principal, key string) string {
	return "idem:" + p.token.ID.String() + ":" + key + ":"
}

// etag renders a stream revision as an entity tag.
func etag(revision int64) string { return `"` + strconv.FormatInt(revision, 10) + `"` }

// parseETag reads an If-Match value made by etag (a weak W/ prefix is
// accepted, several tags are not).
func parseETag(s string) (int64, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), "W/")
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	rev, err := strconv.ParseInt(s, 10, 64)
	if err != nil || rev < -1 {
		return 0, fieldErr(kindBadRequest, "If-Match", text{"应为本服务给出的 ETag，如 \"3\"", `want an ETag this service gave, such as "3"`})
	}
	return rev, nil
}

// execute runs cmd for the request's principal through the ledger and
// renders the result with the stream's new revision as ETag: 201 with the
// id when the command created something (createdID set), 200 otherwise.
func (s *Server) execute(c echo.Context, cmd domain.Command, createdID string) error {
	p := principalOf(c)
	opts, err := writeOptions(c, p, cmd)
	if err != nil {
		return err
	}
	actor := ledger.Actor{ID: p.token.Actor(), Role: string(p.token.Role)}
	res, err := s.cfg.Ledger.Execute(c.Request().Context(), cmd, actor, opts)
	if err != nil {
		return err
	}
	if !res.Replayed {
		s.metrics.recordAppend(res.Stream, len(res.Events))
	}
	h := c.Response().Header()
	h.Set(headerETag, etag(int64(res.Revision)))
	if res.Replayed {
		h.Set("Idempotent-Replayed", "true")
	}
	status := nethttp.StatusOK
	if createdID != "" {
		status = nethttp.StatusCreated
	}
	return c.JSON(status, WriteResult{ID: createdID, Stream: res.Stream, Revision: res.Revision, Position: uint64(res.Own), HeadPosition: uint64(res.Position),
		Replayed: res.Replayed, Warnings: warningsOf(c)})
}

// recordAppend counts a command that appended n events to a stream.
func (m *metrics) recordAppend(stream string, n int) {
	if n == 0 {
		return
	}
	cat := eventstore.Category(stream)
	m.appends.WithLabelValues(cat).Inc()
	m.events.WithLabelValues(cat).Add(float64(n))
}
