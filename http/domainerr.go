package http

import (
	"errors"

	"github.com/yishi-civic/yishi/domain"
)

// domainProblem fills p when err is a domain refusal, in the request's
// language, and reports whether it was one.
func domainProblem(err error, l lang, p *Problem) bool {
	var de *domain.Error
	if !errors.As(err, &de) {
		return false
	}
	k := kindConflict
	switch de.Code {
	case domain.CodeInvalid:
		k = kindValidation
	case domain.CodeNotFound:
		k = kindNotFound
	case domain.CodeForbidden:
		k = kindForbidden
	}
	detail := de.MessageZH
	if l == langEN || detail == "" {
		detail = de.Message
	}
	field := de.Field
	if field == domain.CommandTimeField {
		// A command's own time comes in a header, not in the body.
		field = headerCommandTime
	}
	*p = Problem{Type: problemBase + k.slug, Title: k.title.in(l), Status: k.status, Detail: detail, Reason: de.Reason, Field: field}
	if field != "" {
		p.Errors = []FieldError{{Field: field, Reason: detail}}
	}
	for _, o := range de.Also {
		msg := o.MessageZH
		if l == langEN || msg == "" {
			msg = o.Message
		}
		p.Errors = append(p.Errors, FieldError{Field: o.Field, Reason: msg})
	}
	return true
}
