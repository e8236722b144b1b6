package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on free text, in characters.
const (
	maxShort = 200
	maxLong  = 10000
)

// firstError returns the first refusal that is not nil, as an error.
func firstError(errs ...*Error) error {
	if e := firstErr(errs...); e != nil {
		return e
	}
	return nil
}

// text checks a required free-text field.
func text(field, en, zh, v string, limit int) *Error {
	if strings.TrimSpace(v) == "" {
		return invalid(field, "required", en+" is required", "请填写"+zh)
	}
	if utf8.RuneCountInString(v) > limit {
		return invalid(field, "too_long", fmt.Sprintf("%s is longer than %d characters", en, limit), fmt.Sprintf("%s超过 %d 个字", zh, limit))
	}
	return nil
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

// firstErr is firstError for building bigger checks out of smaller ones.
func firstErr(errs ...*Error) *Error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
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
