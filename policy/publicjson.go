package policy

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	gojson "github.com/goccy/go-json"
	"github.com/valyala/fastjson"

	"github.com/yishi-civic/yishi/domain"
)

// parsers are fastjson's parsers, reused: a parsed answer lives in its
// parser's memory until the parser parses again.
var parsers fastjson.ParserPool

// maxKeys bounds the keys of an object whose duplicates appendPublic
// looks for pairwise; an object with more goes the tree's way.
const maxKeys = 48

// appendPublic appends v as the public may read it, by the rules of
// public (PublicJSON's doc comment) on the parsed answer in place of a
// decoded tree, keeping the answer's order of keys: a timeline's first
// read spent a tenth of its CPU decoding the answer into maps and
// encoding it again (docs/performance.md, thirty-third session). An
// object under the owners' rules (a tally or a live motion to turn into
// shares) or whose rule names a key twice, or with a key twice or a key
// that is no UTF-8, or with more than maxKeys keys, is masked as a
// decoded tree (publicTree), as every answer was before.
func appendPublic(dst []byte, v *fastjson.Value) ([]byte, error) {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object() // its type was just checked
		if o.Len() > maxKeys || duplicateKeys(o) || ownersRuleObject(o) {
			return publicTree(dst, v)
		}
		return appendPublicObject(dst, o)
	case fastjson.TypeArray:
		return appendArray(dst, v, appendPublic)
	case fastjson.TypeString:
		s := v.GetStringBytes()
		if identifier.Match(s) || timestamp(string(s)) {
			return appendString(dst, s), nil
		}
		return appendString(dst, []byte(Text(string(s)))), nil
	default:
		return v.MarshalTo(dst), nil // a number as written, true, false, null
	}
}

// appendPublicObject appends the object o as public masks it: what it
// drops left out, names masked, other values masked in turn.
func appendPublicObject(dst []byte, o *fastjson.Object) ([]byte, error) {
	person := personParty(o)
	dst = append(dst, '{')
	n := 0
	var err error
	var lower [64]byte
	o.Visit(func(k []byte, val *fastjson.Value) {
		if err != nil {
			return
		}
		lk := lowerKey(lower[:0], k)
		class := keyClasses[string(lk)]
		isString := val.Type() == fastjson.TypeString
		switch {
		case class&dropped != 0, class&personList != 0 && val.Type() == fastjson.TypeArray && stringElements(val):
			return
		case person && string(lk) == "id":
			return
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = appendString(dst, k)
		dst = append(dst, ':')
		switch {
		case isString && ((person && string(lk) == "name") || class&personName != 0):
			dst = appendString(dst, []byte(Name(string(val.GetStringBytes()))))
		case isString && structuralKey(string(lk)):
			dst = appendString(dst, val.GetStringBytes())
		default:
			dst, err = appendPublic(dst, val)
		}
	})
	if err != nil {
		return nil, err
	}
	return append(dst, '}'), nil
}

// keyClass is what public does with a key's value, as a set of bits.
type keyClass uint8

const (
	// dropped: the key and its value are left out (dropKeys, wishKeys,
	// unitKeys, personIDKeys).
	dropped keyClass = 1 << iota
	// personList: left out when a list of strings (personListKeys).
	personList
	// personName: a string is a name (personNameKeys).
	personName
)

// keyClasses holds, for every key the public answer treats apart, its
// class: what public and appendPublicObject both look a key up in, one
// look-up a key in place of one a set of keys.
var keyClasses = func() map[string]keyClass {
	m := map[string]keyClass{}
	for _, set := range []map[string]bool{dropKeys, wishKeys, unitKeys, personIDKeys} {
		for k := range set {
			m[k] |= dropped
		}
	}
	for k := range personListKeys {
		m[k] |= personList
	}
	for k := range personNameKeys {
		m[k] |= personName
	}
	return m
}()

// publicTree appends v masked as a decoded tree (public), in the key
// order encoding a map gives.
func publicTree(dst []byte, v *fastjson.Value) ([]byte, error) {
	return publicTreeOf(dst, appendValue(nil, v))
}

// publicTreeOf appends the JSON b masked as a decoded tree.
func publicTreeOf(dst, b []byte) ([]byte, error) {
	var tree any
	dec := gojson.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return nil, fmt.Errorf("decode answer: %w", err)
	}
	m, err := gojson.Marshal(public(tree))
	if err != nil {
		return nil, fmt.Errorf("encode masked answer: %w", err)
	}
	return append(dst, m...), nil
}

// controlInString returns an error when a string of the JSON b holds a
// control character: fastjson's validation misses one written before an
// escape in the same string.
func controlInString(b []byte) error {
	in := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case !in:
			in = c == '"'
		case c == '\\':
			i++ // the escaped character, checked by the validation
		case c == '"':
			in = false
		case c < 0x20:
			return fmt.Errorf("a string holds the control character %#x", c)
		}
	}
	return nil
}

// surrogateEscape reports whether b may hold a UTF-16 surrogate written
// as an escape (\ud800 to \udfff): fastjson keeps an unpaired one as
// its six characters where a decoder reads U+FFFD, so such an answer is
// masked as a decoded tree. The views' encoder never writes one.
func surrogateEscape(b []byte) bool {
	for {
		i := bytes.Index(b, []byte(`\u`))
		if i < 0 || i+3 >= len(b) {
			return false
		}
		if c, d := b[i+2], b[i+3]|0x20; (c == 'd' || c == 'D') && d >= '8' && (d <= '9' || (d >= 'a' && d <= 'f')) {
			return true
		}
		b = b[i+2:]
	}
}

// appendValue appends v as JSON, its strings escaped by appendString
// (fastjson's own encoding quotes a control character as Go does, which
// is no JSON).
func appendValue(dst []byte, v *fastjson.Value) []byte {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object() // its type was just checked
		dst = append(dst, '{')
		n := 0
		o.Visit(func(k []byte, val *fastjson.Value) {
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = appendString(dst, k)
			dst = append(dst, ':')
			dst = appendValue(dst, val)
		})
		return append(dst, '}')
	case fastjson.TypeArray:
		dst, _ = appendArray(dst, v, func(dst []byte, e *fastjson.Value) ([]byte, error) { return appendValue(dst, e), nil })
		return dst
	case fastjson.TypeString:
		return appendString(dst, v.GetStringBytes())
	default:
		return v.MarshalTo(dst)
	}
}

// appendArray appends the array v, each element by each.
func appendArray(dst []byte, v *fastjson.Value, each func([]byte, *fastjson.Value) ([]byte, error)) ([]byte, error) {
	a, _ := v.Array() // the callers checked its type
	dst = append(dst, '[')
	for i, e := range a {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = each(dst, e); err != nil {
			return nil, err
		}
	}
	return append(dst, ']'), nil
}

// duplicateKeys reports whether o holds a key twice, or a key that is
// no UTF-8 (which a decoder reads as U+FFFD, so that two such keys are
// one): the decoded tree keeps the last one only, and so must the answer.
func duplicateKeys(o *fastjson.Object) bool {
	var keys [maxKeys][]byte
	n, dup := 0, false
	o.Visit(func(k []byte, _ *fastjson.Value) {
		if !utf8.Valid(k) {
			dup = true
		}
		for _, seen := range keys[:n] {
			if bytes.Equal(seen, k) {
				dup = true
			}
		}
		if n < maxKeys {
			keys[n] = k
			n++
		}
	})
	return dup
}

// ownersRuleObject is ownersRule on a parsed object: a rule whose kind is
// one of the owners' rules. A rule that names a key twice counts as one:
// its object is masked as a decoded tree, which keeps the last kind.
func ownersRuleObject(o *fastjson.Object) bool {
	rule := o.Get("rule")
	if rule == nil || rule.Type() != fastjson.TypeObject {
		return false
	}
	ro, _ := rule.Object() // its type was just checked
	if ro.Len() > maxKeys || duplicateKeys(ro) {
		return true // the tree reads which kind is the rule's (the last)
	}
	kind := ro.Get("kind")
	if kind == nil || kind.Type() != fastjson.TypeString {
		return false
	}
	k := string(kind.GetStringBytes())
	return k == domain.RuleOwnersOrdinary || k == domain.RuleOwnersMajor
}

// personParty is personObject on a parsed object: a party of kind person,
// or a voter (person_id and name).
func personParty(o *fastjson.Object) bool {
	if kind := o.Get("kind"); kind != nil && kind.Type() == fastjson.TypeString && string(kind.GetStringBytes()) == "person" {
		return true
	}
	return o.Get("person_id") != nil
}

// stringElements is stringsOnly on a parsed array.
func stringElements(v *fastjson.Value) bool {
	a, _ := v.Array()
	for _, e := range a {
		if e.Type() != fastjson.TypeString {
			return false
		}
	}
	return true
}

// lowerKey appends strings.ToLower of k to dst, or returns k itself when
// it is lower case ASCII already (nearly every key).
func lowerKey(dst, k []byte) []byte {
	for _, c := range k {
		if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			return append(dst, strings.ToLower(string(k))...)
		}
	}
	return k
}

// appendString appends s as a JSON string, as the decoded tree's decoder
// and encoder leave it: bytes that are no UTF-8 read as U+FFFD, HTML's <,
// > and & escaped, and so are control characters and the line and
// paragraph separators (those through the encoder itself).
func appendString(dst []byte, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return appendEncoded(dst, s)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			return appendString(dst, validUTF8(s))
		}
		if r == '\u2028' || r == '\u2029' {
			return appendEncoded(dst, s)
		}
		i += size
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// validUTF8 returns s with each byte that is no UTF-8 replaced by U+FFFD,
// as the tree's decoder reads it.
func validUTF8(s []byte) []byte {
	out := make([]byte, 0, len(s)+8)
	for len(s) > 0 {
		r, size := utf8.DecodeRune(s)
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, s[:size]...)
		}
		s = s[size:]
	}
	return out
}

// appendEncoded appends s as the decoded tree's encoder writes a string,
// after its decoder read bytes that are no UTF-8 as U+FFFD.
func appendEncoded(dst []byte, s []byte) []byte {
	if !utf8.Valid(s) {
		s = validUTF8(s)
	}
	b, _ := gojson.Marshal(string(s)) // a string always encodes
	return append(dst, b...)
}
