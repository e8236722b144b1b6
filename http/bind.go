package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"reflect"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

// maxJSONBody bounds the body of every JSON request.
const maxJSONBody = 64 << 10

// decodeJSON reads the request body strictly into dst, a request type of
// this package: the body must be application/json, at most maxJSONBody
// bytes, valid UTF-8, one JSON value, and have no field dst does not know.
// Every refusal names the field at fault where there is one.
func decodeJSON(c echo.Context, dst any) error {
	return decodeRequest(c, dst, false)
}

// decodeOptionalJSON is decodeJSON for commands whose body may be left
// out: an empty body (whatever its declared type) leaves dst as it is.
func decodeOptionalJSON(c echo.Context, dst any) error {
	return decodeRequest(c, dst, true)
}

func decodeRequest(c echo.Context, dst any, optional bool) error {
	req := c.Request()
	body, err := io.ReadAll(io.LimitReader(req.Body, maxJSONBody+1))
	if err != nil {
		return refuse(kindBadRequest, text{"读取请求体失败", "the body could not be read"})
	}
	if optional && len(body) == 0 {
		return nil
	}
	mt, _, err := mime.ParseMediaType(req.Header.Get(echo.HeaderContentType))
	if err != nil || (mt != echo.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
		return refuse(kindUnsupportedMedia, text{"请求体必须是 application/json", "the body must be application/json"})
	}
	if len(body) > maxJSONBody {
		return refuse(kindTooLarge, text{fmt.Sprintf("请求体超过 %d 字节", maxJSONBody), fmt.Sprintf("the body exceeds %d bytes", maxJSONBody)})
	}
	return decodeBody(body, dst)
}

// decodeBody is decodeJSON's check of the bytes, shared with the fuzz test.
func decodeBody(body []byte, dst any) error {
	if !utf8.Valid(body) {
		if bad := badStrings(body); len(bad) > 0 {
			return fieldsErr(kindBadRequest, bad)
		}
		return refuse(kindBadRequest, text{"请求体不是有效的 UTF-8", "the body is not valid UTF-8"})
	}
	if field := duplicateKey(body); field != "" {
		return fieldErr(kindBadRequest, field, text{"字段重复出现（字段名不区分大小写）", "the field appears twice (field names ignore case)"})
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		if bad := badFields(body, dst); len(bad) > 0 {
			return fieldsErr(kindBadRequest, bad)
		}
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return refuse(kindBadRequest, text{"请求体在 JSON 值之后还有内容", "the body has data after its JSON value"})
	}
	if bad := badStrings(body); len(bad) > 0 {
		return fieldsErr(kindBadRequest, bad)
	}
	return nil
}

// fieldsErr refuses several fields at once; the detail names the first.
func fieldsErr(k kind, fields []fieldText) *requestError {
	e := fieldErr(k, fields[0].field, fields[0].reason)
	e.fields = fields
	return e
}

// badFields finds every top-level field of an object body that does not
// decode into dst's type on its own (a time that is not RFC 3339, a string
// where a number belongs, an unknown field), so that a refusal names all
// of them: encoding/json stops at the first and, for a time, names none.
// It returns nil when body is not an object or every field decodes alone.
func badFields(body []byte, dst any) []fieldText {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil {
		return nil
	}
	t := reflect.TypeOf(dst)
	if t.Kind() != reflect.Pointer {
		return nil
	}
	var bad []fieldText
	for _, key := range slices.Sorted(maps.Keys(obj)) {
		one, err := json.Marshal(map[string]json.RawMessage{key: obj[key]})
		if err != nil {
			continue
		}
		dec := json.NewDecoder(bytes.NewReader(one))
		dec.DisallowUnknownFields()
		if err := dec.Decode(reflect.New(t.Elem()).Interface()); err != nil {
			bad = append(bad, fieldProblem(key, err))
		}
	}
	return bad
}

// fieldProblem says why the value of the top-level field did not decode.
func fieldProblem(field string, err error) fieldText {
	var typ *json.UnmarshalTypeError
	var perr *time.ParseError
	switch {
	case errors.As(err, &perr):
		return fieldText{field, text{"应为 RFC 3339 时间，如 2026-07-01T09:00:00+08:00", "want an RFC 3339 time such as 2026-07-01T09:00:00+08:00"}}
	case errors.As(err, &typ):
		if typ.Field != "" {
			field = typ.Field
		}
		want := jsonTypeName(typ.Type.Kind().String())
		return fieldText{field, text{"应为 " + want + "，收到 " + typ.Value, "want " + want + ", got " + typ.Value}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fieldText{strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), text{"未知字段", "unknown field"}}
	default:
		return fieldText{field, text{"无法解析该字段的值", "the value could not be decoded"}}
	}
}

// badStrings names every key or string value of body, at any depth, that
// is not valid UTF-8 or holds characters no text field takes: NUL and the
// other C0 and C1 control characters but tab, line feed and carriage
// return (so ANSI escape sequences too, which start with ESC), and the
// bidirectional marks, overrides and isolates that make text read
// differently from how it is stored. Paths read "a.b" and "a[2].b".
func badStrings(body []byte) []fieldText {
	var bad []fieldText
	walkStrings("", body, func(path string, raw json.RawMessage, key bool) {
		reason, ok := stringProblem(raw)
		if ok {
			return
		}
		if path == "" {
			path = "(body)"
		}
		if key {
			reason = text{"字段名" + reason.zh, "the field's name " + reason.en}
		}
		bad = append(bad, fieldText{path, reason})
	})
	return bad
}

// walkStrings calls f for every string of the JSON value raw at path,
// object keys included (decoded, with key set, at the key's own path).
func walkStrings(path string, raw json.RawMessage, f func(path string, raw json.RawMessage, key bool)) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return
	}
	switch raw[0] {
	case '{':
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			return
		}
		for _, name := range slices.Sorted(maps.Keys(obj)) {
			sub := strings.TrimPrefix(path+"."+name, ".")
			if k, err := json.Marshal(name); err == nil {
				f(sub, k, true)
			}
			walkStrings(sub, obj[name], f)
		}
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			return
		}
		for i, v := range items {
			walkStrings(fmt.Sprintf("%s[%d]", path, i), v, f)
		}
	case '"':
		f(path, raw, false)
	}
}

// stringProblem checks one JSON string literal as sent: valid UTF-8 (a
// lone surrogate escape, which decodes to U+FFFD, counts as invalid) and
// no character forbiddenRune refuses. It reports ok when there is none.
func stringProblem(raw json.RawMessage) (reason text, ok bool) {
	var s string
	if !utf8.Valid(raw) || json.Unmarshal(raw, &s) != nil {
		return text{"不是有效的 UTF-8", "is not valid UTF-8"}, false
	}
	if strings.ContainsRune(s, utf8.RuneError) && !bytes.Contains(raw, []byte("\uFFFD")) && !bytes.Contains(bytes.ToLower(raw), []byte(`\ufffd`)) {
		return text{"不是有效的 UTF-8（含孤立的代理项）", "is not valid UTF-8 (a lone surrogate)"}, false
	}
	for _, r := range s {
		if forbiddenRune(r) {
			return text{fmt.Sprintf("含有不允许的控制字符 U+%04X", r), fmt.Sprintf("holds U+%04X, a control character no field takes", r)}, false
		}
	}
	return text{}, true
}

// forbiddenRune reports whether r may not appear in any text the API takes:
// control characters other than tab, line feed and carriage return, and
// the bidirectional marks, embeddings, overrides and isolates.
func forbiddenRune(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r':
		return false
	case r < 0x20, r >= 0x7f && r <= 0x9f:
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// duplicateKey returns the first object key that appears twice, in any
// case, in the same object of body ("a.b" for key b of the object under key a), or ""
// when there is none or body is not valid JSON (decoding reports that).
// encoding/json would silently keep the last value: a ledger should not
// guess which one was meant.
func duplicateKey(body []byte) string {
	dec := json.NewDecoder(bytes.NewReader(body))
	var stack []*jsonFrame
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		var top *jsonFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if key, ok := tok.(string); ok && top != nil && top.keys != nil && top.expectKey {
			// encoding/json matches field names without regard to case
			// (Unicode simple folding): "Title" and "title" are one field.
			folded := strings.ToLower(strings.ToUpper(key))
			if top.keys[folded] {
				return strings.TrimPrefix(top.path+"."+key, ".")
			}
			top.keys[folded], top.key, top.expectKey = true, key, false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &jsonFrame{keys: map[string]bool{}, path: top.childPath(), expectKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, &jsonFrame{path: top.childPath()})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) > 0 {
			stack[len(stack)-1].expectKey = true
		}
	}
}

// jsonFrame is an object (keys set) or array being scanned by duplicateKey.
type jsonFrame struct {
	keys      map[string]bool
	path, key string
	expectKey bool
}

// childPath names a value nested in f: its key's path in an object, the
// array's own path in an array.
func (f *jsonFrame) childPath() string {
	switch {
	case f == nil:
		return ""
	case f.keys != nil:
		return strings.TrimPrefix(f.path+"."+f.key, ".")
	default:
		return f.path
	}
}

// jsonError turns encoding/json's errors into refusals naming the field.
func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return refuse(kindBadRequest, text{"请求体为空", "the body is empty"})
	case errors.Is(err, io.ErrUnexpectedEOF):
		return refuse(kindBadRequest, text{"JSON 不完整", "the JSON is truncated"})
	case errors.As(err, &syn):
		return refuse(kindBadRequest, text{fmt.Sprintf("JSON 语法错误（第 %d 字节）", syn.Offset), fmt.Sprintf("JSON syntax error at byte %d", syn.Offset)})
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return fieldErr(kindBadRequest, field, text{"应为 " + jsonTypeName(typ.Type.Kind().String()) + "，收到 " + typ.Value, "want " + jsonTypeName(typ.Type.Kind().String()) + ", got " + typ.Value})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fieldErr(kindBadRequest, field, text{"未知字段", "unknown field"})
	default:
		return refuse(kindBadRequest, text{"JSON 无法解析", "the JSON could not be decoded"})
	}
}

// jsonTypeName names a Go kind the way a JSON client thinks of it.
func jsonTypeName(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "map", "struct", "ptr":
		return "object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "number"
	default:
		return goKind
	}
}

// parseID parses a UUID from a path parameter or field; a malformed id is
// a 400 naming the field.
func parseID(field, s string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil || id == uuid.Nil || len(s) != 36 {
		return uuid.Nil, fieldErr(kindBadRequest, field, text{"不是有效的 UUID", "not a valid UUID"})
	}
	return id, nil
}

// pathID parses the path parameter name as a UUID.
func pathID(c echo.Context, name string) (uuid.UUID, error) {
	return parseID(name, c.Param(name))
}
