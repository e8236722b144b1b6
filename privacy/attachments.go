package privacy

import (
	"context"
	"reflect"
	"strings"
	"sync"

	"github.com/yishi-civic/yishi/domain"
)

// Attachments returns the attachment references ev holds (photos,
// evidence, a minutes' document): the string and []string fields, at any
// depth, tagged pii:"photo,..." or attachment:"ref". On an opened event a
// reference whose key was erased reads as the erased marker, so it is no
// longer among them; on a stored one the references are as stored (sealed
// or not).
func Attachments(ev domain.Event) []string {
	var out []string
	collectAttachments(reflect.ValueOf(ev), &out)
	return out
}

func collectAttachments(v reflect.Value, out *[]string) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			fv := v.Field(i)
			if !attachmentField(f) {
				collectAttachments(fv, out)
				continue
			}
			switch {
			case fv.Kind() == reflect.String && fv.String() != "" && fv.String() != ErasedText:
				*out = append(*out, fv.String())
			case fv.Kind() == reflect.Slice && fv.Type().Elem().Kind() == reflect.String:
				for j := range fv.Len() {
					if s := fv.Index(j).String(); s != "" && s != ErasedText {
						*out = append(*out, s)
					}
				}
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			collectAttachments(v.Index(i), out)
		}
	}
}

// MayReferToAttachments reports whether an event of type typ may hold an
// attachment reference: false for the types of the catalogue with no
// field tagged as one at any depth (a vote, an attendance, a statement),
// true for every other, unknown types included. A scan for references
// decodes only the events it says true for.
func MayReferToAttachments(typ string) bool {
	has, known := attachmentTypes()[typ]
	return has || !known
}

// attachmentTypes says, for each event type of the catalogue, whether its
// struct holds an attachment reference field.
var attachmentTypes = sync.OnceValue(func() map[string]bool {
	m := map[string]bool{}
	for _, typ := range domain.EventTypes() {
		if e, err := domain.Decode(typ, []byte("{}")); err == nil {
			m[typ] = holdsAttachments(reflect.TypeOf(e), map[reflect.Type]bool{})
		}
	}
	return m
})

// holdsAttachments reports whether type t has an attachment reference
// field at any depth.
func holdsAttachments(t reflect.Type, seen map[reflect.Type]bool) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() == reflect.Interface {
		return true // whatever it holds at run time may hold one
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return false
	}
	seen[t] = true
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && (attachmentField(f) || holdsAttachments(f.Type, seen)) {
			return true
		}
	}
	return false
}

// attachmentField reports whether f holds attachment references.
func attachmentField(f reflect.StructField) bool {
	if f.Tag.Get("attachment") == "ref" {
		return true
	}
	kind, _, _ := strings.Cut(f.Tag.Get("pii"), ",")
	return kind == "photo"
}

// AttachmentRef is one attachment reference of a stored event.
type AttachmentRef struct {
	// Sum is the photo's address, "" when the reference no longer opens
	// (one of its keys was erased).
	Sum string
	// Keys are the ids of the keys the reference is sealed under; none for
	// a reference stored in plaintext.
	Keys []string
}

// AttachmentRefs returns the attachment references of ev as stored (decoded,
// not opened), each opened with the key store. Fails only when the key
// store cannot be read.
func (s *Sealer) AttachmentRefs(ctx context.Context, ev domain.Event) ([]AttachmentRef, error) {
	var refs []AttachmentRef
	for _, v := range Attachments(ev) {
		if !IsSealed(v) {
			refs = append(refs, AttachmentRef{Sum: v})
			continue
		}
		_, list, _ := strings.Cut(v[len(prefix):], ":")
		keys, err := splitKeys(list)
		if err != nil {
			return nil, err
		}
		p, ok, err := s.openValue(ctx, v)
		if err != nil {
			return nil, err
		}
		if !ok {
			p = ""
		}
		refs = append(refs, AttachmentRef{Sum: p, Keys: keys})
	}
	return refs, nil
}
