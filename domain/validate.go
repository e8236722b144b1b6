package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on free text, in characters.
const (
	maxShort = 200
	maxLong  = 10000
)

// firstError returns the first refusal that is not nil, as an error, with
// every other field refusal among errs in its Also.
func firstError(errs ...*Error) error {
	if e := firstErr(errs...); e != nil {
		return e
	}
	return nil
}

// text checks a required free-text field: something visible in it, no
// control or bidirectional-override characters, at most limit characters.
func text(field, en, zh, v string, limit int) *Error {
	if strings.TrimFunc(v, invisible) == "" {
		return invalid(field, "required", en+" is required", "请填写"+zh)
	}
	if i := strings.IndexFunc(v, control); i >= 0 {
		r, _ := utf8.DecodeRuneInString(v[i:])
		return invalid(field, "control_character", fmt.Sprintf("%s holds U+%04X, a control character", en, r), fmt.Sprintf("%s含有不允许的控制字符 U+%04X", zh, r))
	}
	if utf8.RuneCountInString(v) > limit {
		return invalid(field, "too_long", fmt.Sprintf("%s is longer than %d characters", en, limit), fmt.Sprintf("%s超过 %d 个字", zh, limit))
	}
	return nil
}

// invisible reports whether r shows nothing on its own: white space, the
// format characters (zero-width space and joiners, the byte-order mark,
// bidi marks) and the blank fillers of Hangul and Braille. A title made
// only of these is empty.
func invisible(r rune) bool {
	return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) || r == 0x115f || r == 0x1160 || r == 0x3164 || r == 0xffa0 || r == 0x2800
}

// control reports whether r may not appear in free text: control
// characters other than tab, line feed and carriage return (NUL, the ESC
// of ANSI escape sequences, C1) and the bidirectional marks, embeddings,
// overrides and isolates, which make text read otherwise than it is stored.
func control(r rune) bool {
	switch {
	case r == '\t', r == '\n', r == '\r':
		return false
	case unicode.IsControl(r):
		return true
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return true
	}
	return false
}

// optionalText checks an optional free-text field's length.
func optionalText(field, en, zh, v string, limit int) *Error {
	if v == "" {
		return nil
	}
	return text(field, en, zh, v, limit)
}

// id checks a required id: what a stream name accepts after its dash.
func id(field, v string) *Error {
	if v == "" {
		return invalid(field, "required", field+" is required", "缺少 "+field)
	}
	if len(v) > 100 || !idChar(v[0], true) {
		return invalid(field, "bad_id", field+" is not a valid id", field+" 不是有效的编号")
	}
	for i := 1; i < len(v); i++ {
		if !idChar(v[i], false) {
			return invalid(field, "bad_id", field+" is not a valid id", field+" 不是有效的编号")
		}
	}
	return nil
}

// optionalID checks an id that may be empty.
func optionalID(field, v string) *Error {
	if v == "" {
		return nil
	}
	return id(field, v)
}

func idChar(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	case first:
		return false
	}
	return c == '.' || c == '_' || c == ':' || c == '-'
}

// oneOf checks that v is one of the allowed values.
func oneOf(field, v string, allowed ...string) *Error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return invalid(field, "not_allowed", fmt.Sprintf("%s must be one of %s", field, strings.Join(allowed, ", ")), fmt.Sprintf("%s 只能是 %s 之一", field, strings.Join(allowed, "、")))
}

// photos checks attachment references (photos, evidence, documents):
// SHA-256 in lowercase hex.
func photos(field string, refs []string) *Error {
	if len(refs) > 20 {
		return invalid(field, "too_many", "at most 20 photos", "最多 20 张照片")
	}
	for _, r := range refs {
		if len(r) != 64 || strings.Trim(r, "0123456789abcdef") != "" {
			return invalid(field, "bad_photo_ref", "a photo or document reference must be the SHA-256 of a stored attachment in lowercase hex", "照片或文件引用应为已上传附件的 SHA-256（小写十六进制）")
		}
	}
	return nil
}

// party checks a person or participating unit.
func party(field string, p Party) *Error {
	return firstErr(oneOf(field+".kind", p.Kind, PartyPerson, PartyUnit), id(field+".id", p.ID), text(field+".name", "the name", "名称", p.Name, maxShort))
}

// voter checks a person reference.
func voter(field string, v Voter) *Error {
	return firstErr(id(field+".person_id", v.PersonID), text(field+".name", "the name", "姓名", v.Name, maxShort))
}

// options checks a motion's or mediation's options: at least min, ids
// unique, labels given.
func options(field string, opts []Option, min int) *Error {
	if len(opts) < min {
		return invalid(field, "too_few_options", fmt.Sprintf("at least %d options are needed", min), fmt.Sprintf("至少需要 %d 个选项", min))
	}
	seen := map[string]bool{}
	for i, o := range opts {
		f := fmt.Sprintf("%s[%d]", field, i)
		if e := firstErr(id(f+".id", o.ID), text(f+".label", "the option's label", "选项内容", o.Label, maxShort)); e != nil {
			return e
		}
		if seen[o.ID] {
			return invalid(f+".id", "duplicate_option", "option "+o.ID+" appears twice", "选项 "+o.ID+" 重复")
		}
		seen[o.ID] = true
	}
	return nil
}

// instant checks a required time.
func instant(field, en, zh string, t time.Time) *Error {
	if t.IsZero() {
		return invalid(field, "required", en+" is required", "请填写"+zh)
	}
	return nil
}

// chinaTime is the zone the service's communities live in: calendar days
// (a due date, the day a dinner was held) are days there.
var chinaTime = time.FixedZone("CST", 8*60*60)

// notPast refuses a date before the current day (in China time): a new
// deadline cannot already have passed. A zero time is left to instant.
func notPast(field, en, zh string, t, now time.Time) *Error {
	n := now.In(chinaTime)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, chinaTime)
	if t.IsZero() || !t.Before(today) {
		return nil
	}
	return invalid(field, "in_the_past", en+" is in the past", zh+"已经过去")
}

// notFuture refuses a date after the current day (in China time): what is
// recorded as held cannot have happened yet. A zero time is left to instant.
func notFuture(field, en, zh string, t, now time.Time) *Error {
	n := now.In(chinaTime)
	tomorrow := time.Date(n.Year(), n.Month(), n.Day()+1, 0, 0, 0, 0, chinaTime)
	if t.IsZero() || t.Before(tomorrow) {
		return nil
	}
	return invalid(field, "in_the_future", en+" is in the future", zh+"还没有到")
}

// firstErr is firstError for building bigger checks out of smaller ones:
// the first refusal that is not nil, carrying in Also every other refusal
// of errs (and of their Also) that names a field, so that all bad fields
// are reported at once. Refusals without a field (a state check) are not
// added: the first one alone decides.
func firstErr(errs ...*Error) *Error {
	var first *Error
	var also []*Error
	seen := map[string]bool{}
	for _, e := range errs {
		if e == nil {
			continue
		}
		for _, one := range append([]*Error{e}, e.Also...) {
			switch {
			case first == nil:
				f := *one
				f.Also = nil
				first = &f
				seen[one.Field] = true
			case one.Code == CodeInvalid && first.Code == CodeInvalid && one.Field != "" && first.Field != "" && !seen[one.Field]:
				seen[one.Field] = true
				f := *one
				f.Also = nil
				also = append(also, &f)
			}
		}
	}
	if first != nil {
		first.Also = also
	}
	return first
}

// optionLabel returns the label of option id, and whether it exists.
func optionLabel(opts []Option, id string) (string, bool) {
	for _, o := range opts {
		if o.ID == id {
			return o.Label, true
		}
	}
	return "", false
}
