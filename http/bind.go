package http

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
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
		return refuse(kindBadRequest, text{"请求体不是有效的 UTF-8", "the body is not valid UTF-8"})
	}
	if field := duplicateKey(body); field != "" {
		return fieldErr(kindBadRequest, field, text{"字段重复出现", "the field appears twice"})
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return refuse(kindBadRequest, text{"请求体在 JSON 值之后还有内容", "the body has data after its JSON value"})
	}
	return nil
}

// duplicateKey returns the first object key that appears twice in the
// same object of body ("a.b" for key b of the object under key a), or ""
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
			if top.keys[key] {
				return strings.TrimPrefix(top.path+"."+key, ".")
			}
			top.keys[key], top.key, top.expectKey = true, key, false
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
