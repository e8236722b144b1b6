package web

import (
	"net/url"

	"github.com/labstack/echo/v4"
)

// form is a form as a page shows it again after the API refused it: what
// was typed, and the API's message next to each field at fault (the API
// names fields by their JSON names, which the forms use as input names).
type form struct {
	Values url.Values
	Errors map[string]string
	// Problem is the refusal's message when it names no field of the
	// form.
	Problem string
}

// newForm returns the posted form, with no errors yet.
func newForm(c echo.Context) form {
	vals, err := c.FormParams()
	if err != nil {
		vals = url.Values{}
	}
	return form{Values: vals, Errors: map[string]string{}}
}

// Value is what was typed into field name.
func (f form) Value(name string) string { return f.Values.Get(name) }

// Error is the message for field name, empty when it is fine.
func (f form) Error(name string) string { return f.Errors[name] }

// Invalid reports whether field name is at fault (for aria-invalid).
func (f form) Invalid(name string) bool { return f.Errors[name] != "" }

// Checked reports whether field name was posted with value (a radio
// button or checkbox to keep checked).
func (f form) Checked(name, value string) bool {
	for _, v := range f.Values[name] {
		if v == value {
			return true
		}
	}
	return false
}

// refused puts the API's refusal on the form: each field error next to its
// field when the form has it (fields lists them), the rest as the form's
// problem. It returns false when err is no refusal of the API.
func (f *form) refused(err error, fields ...string) bool {
	ae, ok := err.(*apiError)
	if !ok {
		return false
	}
	has := map[string]bool{}
	for _, name := range fields {
		has[name] = true
	}
	p := ae.Problem
	placed := false
	for _, fe := range p.Errors {
		if has[fe.Field] {
			f.Errors[fe.Field] = fe.Reason
			placed = true
		}
	}
	if !placed {
		f.Problem = p.Detail
		if f.Problem == "" {
			f.Problem = p.Title
		}
	}
	return true
}
