package privacy

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
)

// tag is a parsed `pii` struct tag (see domain/personal.go for the grammar).
type tag struct {
	// kind is what the field holds: "name", "text", "door" or "photo".
	kind string
	// persons are paths, relative to the struct holding the field, to the
	// ids of the persons the field belongs to: field names as written, and
	// field indices once the plan is built.
	persons    [][]string
	personsIdx [][]int
	// cond, when set, is a path whose value must equal condValue for the
	// field to be personal (a Party's Name only when its Kind is person).
	cond      []string
	condIdx   []int
	condValue string
	// item seals the field under the stream's item key too.
	item bool
}

// site is one tagged field of a struct type: a string or a []string.
type site struct {
	index int
	slice bool
	json  string
	tag   tag
}

// nested is a field of a struct type that holds tagged fields somewhere
// below it: a struct, or a slice of structs.
type nested struct {
	index int
	slice bool
	plan  *plan
}

// plan lists where a struct type keeps personal data.
type plan struct {
	sites  []site
	nested []nested
}

func (p *plan) empty() bool { return len(p.sites) == 0 && len(p.nested) == 0 }

var plans sync.Map // reflect.Type → *plan

// planOf returns the plan of struct type t, building and caching it.
func planOf(t reflect.Type) (*plan, error) {
	if p, ok := plans.Load(t); ok {
		return p.(*plan), nil
	}
	p, err := buildPlan(t, map[reflect.Type]bool{})
	if err != nil {
		return nil, err
	}
	plans.Store(t, p)
	return p, nil
}

func buildPlan(t reflect.Type, seen map[reflect.Type]bool) (*plan, error) {
	if seen[t] {
		return nil, fmt.Errorf("privacy: %s contains itself", t)
	}
	seen[t] = true
	defer delete(seen, t)
	p := &plan{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		if raw, ok := f.Tag.Lookup("pii"); ok {
			tg, err := parseTag(raw)
			if err != nil {
				return nil, fmt.Errorf("privacy: %s.%s: %w", t, f.Name, err)
			}
			s := site{index: i, json: jsonName(f), tag: tg}
			switch {
			case f.Type.Kind() == reflect.String:
			case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
				s.slice = true
			default:
				return nil, fmt.Errorf("privacy: %s.%s: pii tag on %s, want string or []string", t, f.Name, f.Type)
			}
			for _, path := range tg.persons {
				idx, err := checkPath(t, path)
				if err != nil {
					return nil, fmt.Errorf("privacy: %s.%s: %w", t, f.Name, err)
				}
				tg.personsIdx = append(tg.personsIdx, idx)
			}
			if tg.cond != nil {
				if tg.condIdx, err = checkPath(t, tg.cond); err != nil {
					return nil, fmt.Errorf("privacy: %s.%s: %w", t, f.Name, err)
				}
			}
			s.tag = tg
			p.sites = append(p.sites, s)
			continue
		}
		ft, slice := f.Type, false
		if ft.Kind() == reflect.Slice {
			ft, slice = ft.Elem(), true
		}
		if ft.Kind() != reflect.Struct {
			continue
		}
		sub, err := buildPlan(ft, seen)
		if err != nil {
			return nil, err
		}
		if !sub.empty() {
			p.nested = append(p.nested, nested{index: i, slice: slice, plan: sub})
		}
	}
	return p, nil
}

// jsonName is the name a field has in the stored JSON.
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

// parseTag reads `kind,person=Path,...,if=Path:value,item`.
func parseTag(raw string) (tag, error) {
	parts := strings.Split(raw, ",")
	tg := tag{kind: parts[0]}
	switch tg.kind {
	case "name", "text", "door", "photo":
	default:
		return tag{}, fmt.Errorf("pii kind %q, want name, text, door or photo", tg.kind)
	}
	for _, opt := range parts[1:] {
		k, v, _ := strings.Cut(opt, "=")
		switch k {
		case "person":
			tg.persons = append(tg.persons, strings.Split(v, "."))
		case "if":
			path, want, ok := strings.Cut(v, ":")
			if !ok {
				return tag{}, fmt.Errorf("pii option %q, want if=Path:value", opt)
			}
			tg.cond, tg.condValue = strings.Split(path, "."), want
		case "item":
			tg.item = true
		default:
			return tag{}, fmt.Errorf("pii option %q unknown", opt)
		}
	}
	if len(tg.persons) == 0 && !tg.item {
		return tag{}, fmt.Errorf("pii tag %q names neither a person nor the item", raw)
	}
	return tg, nil
}

// checkPath checks that path leads through t's fields (and slices of
// structs) to a string, and returns the fields' indices.
func checkPath(t reflect.Type, path []string) ([]int, error) {
	idx := make([]int, len(path))
	for i, name := range path {
		if t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return nil, fmt.Errorf("path %s: %s is not a struct", strings.Join(path, "."), strings.Join(path[:i], "."))
		}
		f, ok := t.FieldByName(name)
		if !ok || len(f.Index) != 1 {
			return nil, fmt.Errorf("path %s: no field %s in %s", strings.Join(path, "."), name, t)
		}
		idx[i] = f.Index[0]
		t = f.Type
	}
	if t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.String {
		return nil, fmt.Errorf("path %s leads to %s, want string", strings.Join(path, "."), t)
	}
	return idx, nil
}

// values collects the strings path (field indices) leads to from struct
// value v.
func values(v reflect.Value, path []int, out []string) []string {
	if len(path) == 0 {
		switch v.Kind() {
		case reflect.String:
			if s := v.String(); s != "" {
				out = append(out, s)
			}
		case reflect.Slice:
			for i := 0; i < v.Len(); i++ {
				out = values(v.Index(i), nil, out)
			}
		}
		return out
	}
	if v.Kind() == reflect.Slice {
		for i := 0; i < v.Len(); i++ {
			out = values(v.Index(i), path, out)
		}
		return out
	}
	return values(v.Field(path[0]), path[1:], out)
}

// applies reports whether site s of struct value v holds personal data:
// its condition, if any, holds.
func (s *site) applies(v reflect.Value) bool {
	if s.tag.cond == nil {
		return true
	}
	f := v
	for _, i := range s.tag.condIdx {
		if f.Kind() != reflect.Struct {
			return false
		}
		f = f.Field(i)
	}
	return f.Kind() == reflect.String && f.String() == s.tag.condValue
}

// personal reports whether site s of struct value v holds personal data
// (its condition, if any, holds) and returns the ids of its persons.
func (s *site) personal(v reflect.Value) (bool, []string) {
	if !s.applies(v) {
		return false, nil
	}
	var ids []string
	for _, p := range s.tag.personsIdx {
		for _, id := range values(v, p, nil) {
			if !contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	return true, ids
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
