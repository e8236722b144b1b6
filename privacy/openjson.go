package privacy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
)

// Held marks a sealed value that a view holds where the events' pii tags
// put personal data (MarkInPlace): OpenJSON opens only the values that
// carry it. It is a NUL, which no free text can hold (the domain refuses
// control characters), so a resident who types, or pastes, a sealed value
// into a title or any other field can never have it opened.
const Held = "\x00"

// quotedPrefix is how a held sealed value starts inside a JSON document
// (encoding/json and goccy/go-json write a NUL as \u0000).
var quotedPrefix = []byte(`"\u0000sealed:v`)

// heldEscape is the JSON escape of Held at the start of a held value.
const heldEscape = len(`\u0000`)

// The sealed prefixes as bytes (IsSealed without a string of the answer).
var prefixBytes, prefixV1Bytes = []byte(prefix), []byte(prefixV1)

// MarkInPlace marks every sealed personal field of the event that ptr
// points to (a pointer to an event struct the caller just decoded) as
// held, in place: the projections' decoder, so that what the views keep is
// opened when read (OpenJSON) and nothing else is.
func MarkInPlace(ptr any) error {
	return inPlace("mark", ptr, func(_ *site, _ reflect.Value, s string, _ []string) (string, bool) {
		if !IsSealed(s) {
			return s, false
		}
		return Held + s, true
	})
}

// OpenJSON returns the JSON document b with every held sealed string in it
// (MarkInPlace) opened: its plaintext, or the erased marker when one of
// its keys is erased or missing. It is how the views' answers are opened
// when they are read: the views keep the personal fields sealed as the
// ledger stores them (docs/privacy.md, "Opened when read"), so that a
// replay opens nothing and a snapshot holds no plaintext. A sealed value
// that is not held (typed into a title, quoted in a stored event) is left
// as it is. A document with nothing held is returned as it is, not
// copied; b is never changed.
//
// The marker is chosen by the value's key, since a view's field carries no
// pii tag: ErasedName under "name", "pn" and every key ending in "_name"
// or "Name", or one of nameKeys; ErasedText anywhere else (free text, door
// numbers, photo references, list elements). Fails only when the key store
// cannot be read.
func (s *Sealer) OpenJSON(ctx context.Context, b []byte) ([]byte, error) {
	i := bytes.Index(b, quotedPrefix)
	if i < 0 {
		return b, nil
	}
	out := make([]byte, 0, len(b))
	last := 0 // b[:last] is in out already
	for i >= 0 {
		start := last + i // the opening quote
		end := bytes.IndexByte(b[start+1:], '"')
		if end < 0 {
			break
		}
		end += start + 1 // the closing quote
		lit := b[start+1+heldEscape : end]
		if !valueStart(b, start) || bytes.IndexByte(lit, '\\') >= 0 || !(bytes.HasPrefix(lit, prefixBytes) || bytes.HasPrefix(lit, prefixV1Bytes)) {
			// Not a whole sealed value: text that quotes one, say.
			out = append(out, b[last:start+1]...)
			last = start + 1
			i = bytes.Index(b[last:], quotedPrefix)
			continue
		}
		p, ok, err := s.openHeld(ctx, lit)
		if err != nil {
			return nil, fmt.Errorf("open answer: %w", err)
		}
		if !ok {
			p = ErasedText
			if nameKey(keyBefore(b, start)) {
				p = ErasedName
			}
		}
		enc, err := json.Marshal(p)
		if err != nil {
			return nil, fmt.Errorf("open answer: %w", err)
		}
		out = append(out, b[last:start]...)
		out = append(out, enc...)
		last = end + 1
		i = bytes.Index(b[last:], quotedPrefix)
	}
	return append(out, b[last:]...), nil
}

// nameKeys are keys other than "name" and "…_name" whose string is a
// person's name (the public masking's person name keys, policy.PublicJSON).
var nameKeys = map[string]bool{
	"author": true, "speaker": true, "proposer": true, "voter": true, "person": true,
	"resident": true, "owner": true, "supporter": true, "verifier": true, "holder": true,
	"facilitator": true, "claimer": true, "volunteer": true,
}

// nameKey reports whether the string under key k is a person's name.
func nameKey(k string) bool {
	lk := strings.ToLower(k)
	return lk == "name" || lk == "pn" || strings.HasSuffix(lk, "_name") || strings.HasSuffix(k, "Name") || nameKeys[lk]
}

// valueStart reports whether the quote at b[q] opens a JSON string value:
// after a colon, an opening bracket or a comma (white space between), not
// inside another string.
func valueStart(b []byte, q int) bool {
	j := q - 1
	for j >= 0 && isSpace(b[j]) {
		j--
	}
	if j < 0 {
		return true // the whole document is one string
	}
	switch b[j] {
	case ':', '[', ',':
		return true
	}
	return false
}

// keyBefore returns the object key whose value starts at the quote b[q],
// or "" when that value is a list element or the whole document.
func keyBefore(b []byte, q int) string {
	j := q - 1
	for j >= 0 && isSpace(b[j]) {
		j--
	}
	if j < 0 || b[j] != ':' {
		return ""
	}
	j--
	for j >= 0 && isSpace(b[j]) {
		j--
	}
	if j < 0 || b[j] != '"' {
		return ""
	}
	k := bytes.LastIndexByte(b[:j], '"')
	if k < 0 {
		return ""
	}
	return string(b[k+1 : j])
}

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// openHeld opens sealed value v (a slice of an answer), from the cache of
// values opened lately when it is there.
func (s *Sealer) openHeld(ctx context.Context, v []byte) (string, bool, error) {
	sh := s.shardOfBytes(v)
	sh.mu.RLock()
	p, ok := sh.opened.get(v)
	gen := s.gen.Load()
	sh.mu.RUnlock()
	if ok {
		return p, true, nil
	}
	sv := string(v)
	p, ok, err := s.openValue(ctx, sv)
	if err != nil || !ok {
		return p, ok, err
	}
	sh.mu.Lock()
	if s.gen.Load() == gen { // no erasure meanwhile
		sh.opened.put(sv, p)
	}
	sh.mu.Unlock()
	return p, true, nil
}
