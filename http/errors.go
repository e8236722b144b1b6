package http

import (
	"context"
	"errors"
	"log/slog"
	nethttp "net/http"
	"os"
	"strconv"
	"syscall"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
)

// problemBase prefixes every problem type; GET /problems/{slug} on the
// service itself describes each one.
const problemBase = "/problems/"

// kind is one problem type: the stable part of a problem+json answer.
type kind struct {
	slug   string
	status int
	title  text
}

// text is a message in the two languages the service speaks.
type text struct{ zh, en string }

func (t text) in(l lang) string {
	if l == langEN {
		return t.en
	}
	return t.zh
}

// The problem types. Their slugs are part of the API: never rename one.
var (
	kindBadRequest       = kind{"bad-request", nethttp.StatusBadRequest, catalogued("problem.bad-request")}
	kindUnauthorized     = kind{"unauthorized", nethttp.StatusUnauthorized, catalogued("problem.unauthorized")}
	kindForbidden        = kind{"forbidden", nethttp.StatusForbidden, catalogued("problem.forbidden")}
	kindNotFound         = kind{"not-found", nethttp.StatusNotFound, catalogued("problem.not-found")}
	kindMethodNotAllowed = kind{"method-not-allowed", nethttp.StatusMethodNotAllowed, catalogued("problem.method-not-allowed")}
	kindConflict         = kind{"conflict", nethttp.StatusConflict, catalogued("problem.conflict")}
	kindContention       = kind{"contention", nethttp.StatusConflict, catalogued("problem.contention")}
	kindPrecondition     = kind{"precondition-failed", nethttp.StatusPreconditionFailed, catalogued("problem.precondition-failed")}
	kindTooLarge         = kind{"too-large", nethttp.StatusRequestEntityTooLarge, catalogued("problem.too-large")}
	kindHeaderTooLarge   = kind{"header-too-large", nethttp.StatusRequestHeaderFieldsTooLarge, catalogued("problem.header-too-large")}
	kindUnsupportedMedia = kind{"unsupported-media-type", nethttp.StatusUnsupportedMediaType, catalogued("problem.unsupported-media-type")}
	kindValidation       = kind{"validation", nethttp.StatusUnprocessableEntity, catalogued("problem.validation")}
	kindRateLimited      = kind{"rate-limited", nethttp.StatusTooManyRequests, catalogued("problem.rate-limited")}
	kindNotReady         = kind{"not-ready", nethttp.StatusServiceUnavailable, catalogued("problem.not-ready")}
	kindUnavailable      = kind{"unavailable", nethttp.StatusServiceUnavailable, catalogued("problem.unavailable")}
	kindDiskFull         = kind{"insufficient-storage", nethttp.StatusInsufficientStorage, catalogued("problem.insufficient-storage")}
	kindInternal         = kind{"internal", nethttp.StatusInternalServerError, catalogued("problem.internal")}
)

// kinds lists every problem type, for GET /problems/{slug} and the docs.
var kinds = []kind{
	kindBadRequest, kindUnauthorized, kindForbidden, kindNotFound, kindMethodNotAllowed,
	kindConflict, kindContention, kindPrecondition, kindTooLarge, kindHeaderTooLarge, kindUnsupportedMedia,
	kindValidation, kindRateLimited, kindNotReady, kindUnavailable, kindDiskFull, kindInternal,
}

// Problem is an RFC 9457 problem detail, the body of every error response.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Instance is the request's path.
	Instance string `json:"instance,omitempty"`
	// Reason is the domain's machine-readable refusal, such as
	// "not_in_electorate".
	Reason string `json:"reason,omitempty"`
	// Field is the request field at fault, when there is one.
	Field string `json:"field,omitempty"`
	// Errors lists every field at fault, for input with several.
	Errors []FieldError `json:"errors,omitempty"`
	// RequestID is the X-Request-Id of the request, to quote to operators.
	RequestID string `json:"request_id,omitempty"`
}

// FieldError names one field at fault and why.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// requestError is a refusal the HTTP layer decides before the ledger sees
// anything: malformed bodies, bad ids, missing tokens, roles and scopes.
type requestError struct {
	kind   kind
	detail text
	fields []fieldText
	// retryAfter, in seconds, is sent as Retry-After when set.
	retryAfter int
}

type fieldText struct {
	field  string
	reason text
}

func (e *requestError) Error() string {
	msg := e.kind.slug + ": " + e.detail.en
	for _, f := range e.fields {
		msg += "; " + f.field + ": " + f.reason.en
	}
	return msg
}

func refuse(k kind, detail text, fields ...fieldText) *requestError {
	return &requestError{kind: k, detail: detail, fields: fields}
}

// fieldErr refuses one field with kindBadRequest (malformed) or
// kindValidation (well-formed but unacceptable).
func fieldErr(k kind, field string, reason text) *requestError {
	return refuse(k, text{"字段 " + field + "：" + reason.zh, "field " + field + ": " + reason.en}, fieldText{field, reason})
}

// problemFor maps any error a handler returns to its problem: the one table
// from errors to statuses. internal reports whether the error is a fault of
// the service (logged, its text never sent).
func problemFor(err error, l lang) (p Problem, retryAfter int, internal bool) {
	build := func(k kind, detail string) Problem {
		return Problem{Type: problemBase + k.slug, Title: k.title.in(l), Status: k.status, Detail: detail}
	}
	var re *requestError
	var he *echo.HTTPError
	switch {
	case errors.As(err, &re):
		p = build(re.kind, re.detail.in(l))
		for _, f := range re.fields {
			p.Errors = append(p.Errors, FieldError{Field: f.field, Reason: f.reason.in(l)})
		}
		if len(re.fields) == 1 {
			p.Field = re.fields[0].field
		}
		return p, re.retryAfter, false
	case domainProblem(err, l, &p):
		return p, 0, false
	case errors.Is(err, ledger.ErrKeyReused):
		p = build(kindValidation, text{"这个幂等键已用于另一个不同的请求", "this key was already used for a different request"}.in(l))
		p.Field, p.Errors = headerIdempotencyKey, []FieldError{{Field: headerIdempotencyKey, Reason: p.Detail}}
		return p, 0, false
	case errors.Is(err, ledger.ErrPreconditionFailed):
		return build(kindPrecondition, text{"该记录在您读取之后已被他人修改，请重新读取后再试", "the record changed since you read it; read it again and retry"}.in(l)), 0, false
	case errors.Is(err, ledger.ErrTooManyConflicts), errors.Is(err, eventstore.ErrWrongRevision):
		return build(kindContention, kindContention.title.in(l)), 1, false
	case errors.Is(err, eventstore.ErrTooLarge):
		return build(kindTooLarge, text{"内容超过事件大小上限", "the change exceeds the event size limit"}.in(l)), 0, false
	case errors.Is(err, eventstore.ErrStreamNotFound):
		return build(kindNotFound, text{"没有这条记录", "no such record"}.in(l)), 0, false
	case errors.Is(err, auth.ErrUnknownToken), errors.Is(err, auth.ErrRevoked):
		return build(kindUnauthorized, text{"访问令牌无效或已被吊销", "the access token is unknown or revoked"}.in(l)), 0, false
	case errors.Is(err, auth.ErrAlreadyRevoked):
		return build(kindConflict, text{"该令牌已被吊销", "the token is already revoked"}.in(l)), 0, false
	case errors.Is(err, auth.ErrNotFound):
		return build(kindNotFound, text{"没有这个令牌", "no such token"}.in(l)), 0, false
	case errors.Is(err, eventstore.ErrDiskFull):
		return build(kindDiskFull, diskFullText.in(l)), diskFullRetry, false
	case errors.Is(err, eventstore.ErrClosed), errors.Is(err, eventstore.ErrUnavailable):
		return build(kindUnavailable, kindUnavailable.title.in(l)), 5, true
	case errors.As(err, &he):
		return echoProblem(he, l), 0, he.Code >= 500
	case errors.Is(err, context.DeadlineExceeded):
		return build(kindUnavailable, text{"处理超时，请稍后重试", "timed out; try again later"}.in(l)), 1, true
	default:
		return build(kindInternal, ""), 0, true
	}
}

// diskFullText is the detail of every refusal for lack of disk space; the
// store logs the figures once, when the disk fills up.
var diskFullText = text{"服务器磁盘已满：写入（包括上传）暂被拒绝，读取照常；腾出空间后自动恢复，无需重启",
	"the server's disk is full: writes (uploads too) are refused for now, reads work; they resume by themselves once space is freed"}

// diskFullRetry is the Retry-After of a disk-full refusal, in seconds.
const diskFullRetry = 60

// echoProblem maps echo's own errors (unknown routes, methods, its
// middleware's refusals).
func echoProblem(he *echo.HTTPError, l lang) Problem {
	k := kindInternal
	switch he.Code {
	case nethttp.StatusNotFound:
		k = kindNotFound
	case nethttp.StatusMethodNotAllowed:
		k = kindMethodNotAllowed
	case nethttp.StatusRequestEntityTooLarge:
		k = kindTooLarge
	case nethttp.StatusUnsupportedMediaType:
		k = kindUnsupportedMedia
	case nethttp.StatusBadRequest:
		k = kindBadRequest
	case nethttp.StatusUnauthorized:
		k = kindUnauthorized
	case nethttp.StatusForbidden:
		k = kindForbidden
	case nethttp.StatusTooManyRequests:
		k = kindRateLimited
	case nethttp.StatusServiceUnavailable:
		k = kindUnavailable
	}
	return Problem{Type: problemBase + k.slug, Title: k.title.in(l), Status: k.status}
}

// handleError is the echo HTTPErrorHandler: it renders every error as
// problem+json, logs internal ones with the request id, and leaves a
// response that was already committed (a broken SSE stream) alone.
func (s *Server) handleError(err error, c echo.Context) {
	req := c.Request()
	l := requestLang(req)
	p, retryAfter, internal := problemFor(err, l)
	rid := c.Response().Header().Get(echo.HeaderXRequestID)
	switch {
	case clientGone(err, req):
		s.log.LogAttrs(req.Context(), slog.LevelDebug, "client went away",
			slog.String("request_id", rid), slog.String("client", clientAddr(req)), slog.String("error", err.Error()))
		return
	case internal:
		s.log.LogAttrs(req.Context(), slog.LevelError, "request failed",
			slog.String("request_id", rid), slog.String("route", c.Path()), slog.Any("error", err))
	}
	if c.Response().Committed {
		return
	}
	p.Instance = req.URL.Path
	p.RequestID = rid
	if s.pages != nil && !APIPath(req.URL.Path) {
		s.pages.RenderError(c, p)
		return
	}
	h := c.Response().Header()
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(retryAfter))
	}
	if p.Status == nethttp.StatusUnauthorized {
		h.Set("WWW-Authenticate", `Bearer realm="yishi"`)
	}
	h.Set("Content-Language", l.Tag())
	h.Set(echo.HeaderCacheControl, "no-store")
	if req.Method == nethttp.MethodHead {
		err = c.NoContent(p.Status)
	} else {
		err = writeJSON(c, p.Status, "application/problem+json", p)
	}
	if err != nil {
		s.log.LogAttrs(req.Context(), slog.LevelWarn, "writing problem failed", slog.String("request_id", rid), slog.Any("error", err))
	}
}

// clientGone reports whether err only says that the client left or was too
// slow to take the answer (it closed the connection, reset it, or a write
// deadline passed): the client's doing, logged at debug, not an error of
// the service.
func clientGone(err error, req *nethttp.Request) bool {
	switch {
	case errors.Is(err, context.Canceled) && req.Context().Err() != nil:
		return true
	case errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNRESET), errors.Is(err, os.ErrDeadlineExceeded):
		return true
	}
	return false
}

// problemDoc is what GET /problems/{slug} returns: the documentation of a
// problem type.
type problemDoc struct {
	Type    string `json:"type"`
	Status  int    `json:"status"`
	TitleZH string `json:"title_zh"`
	TitleEN string `json:"title_en"`
}

func (s *Server) getProblemType(c echo.Context) error {
	slug := c.Param("slug")
	for _, k := range kinds {
		if k.slug == slug {
			return c.JSON(nethttp.StatusOK, problemDoc{Type: problemBase + k.slug, Status: k.status, TitleZH: k.title.zh, TitleEN: k.title.en})
		}
	}
	return refuse(kindNotFound, text{"没有这种问题类型", "no such problem type"})
}
