package eventstore

import (
	"fmt"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/uuid"
)

// Limits every backend enforces, so that an append accepted by one is
// accepted by all (KurrentDB refuses requests over 1 MiB by default).
const (
	// MaxStreamLen is the longest stream name in bytes.
	MaxStreamLen = 200
	// MaxTypeLen is the longest event type in bytes.
	MaxTypeLen = 100
	// MaxEventSize is the largest event: data plus encoded metadata, in bytes.
	MaxEventSize = 256 << 10
	// MaxAppendSize is the largest append: all its events' sizes together.
	MaxAppendSize = 900 << 10
	// MaxAppendEvents is the most events one append may carry.
	MaxAppendEvents = 1000
)

// maxCategoryLen is the longest category, the part of a stream name before
// its first dash.
const maxCategoryLen = 40

// validStream reports whether name is a category of 1 to maxCategoryLen
// bytes of [a-z][a-z0-9_]*, a dash, and an id that starts with a letter
// or digit and holds only letters, digits and ._:- (as the regular
// expression ^[a-z][a-z0-9_]{0,39}-[A-Za-z0-9][A-Za-z0-9._:-]*$ would
// say, at a fraction of its cost: it runs for every append).
func validStream(name string) bool {
	i := word(name, 0)
	if i == 0 || i > maxCategoryLen || i+1 >= len(name) || name[i] != '-' || !alnum(name[i+1]) {
		return false
	}
	for _, c := range []byte(name[i+2:]) {
		if !alnum(c) && c != '.' && c != '_' && c != ':' && c != '-' {
			return false
		}
	}
	return true
}

// validType reports whether typ is words of [a-z][a-z0-9_]* joined by
// dots, the last of them a version v[1-9][0-9]* after at least one other
// (as ^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.v[1-9][0-9]*$ would say; it runs
// for every event appended).
func validType(typ string) bool {
	for i, words := 0, 0; ; words++ {
		end := word(typ, i)
		if end == i {
			return false
		}
		if end == len(typ) {
			return words > 0 && version(typ[i:end])
		}
		if typ[end] != '.' {
			return false
		}
		i = end + 1
	}
}

// word returns where the word of [a-z][a-z0-9_]* that starts s[i:] ends;
// i when there is none.
func word(s string, i int) int {
	if i >= len(s) || s[i] < 'a' || s[i] > 'z' {
		return i
	}
	j := i + 1
	for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= '0' && s[j] <= '9' || s[j] == '_') {
		j++
	}
	return j
}

// version reports whether w is v[1-9][0-9]*.
func version(w string) bool {
	if len(w) < 2 || w[0] != 'v' || w[1] < '1' || w[1] > '9' {
		return false
	}
	for _, c := range []byte(w[2:]) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func alnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// validJSON reports whether data is one JSON value, in UTF-8, with no
// escaped lone surrogate (\ud800 alone names no character); objects may
// repeat a name, as encoding/json allows. It is jsontext's validation
// (github.com/go-json-experiment/json, the reference of encoding/json/v2,
// which the projections use already): at 450 bytes, 0.68 µs against 1.75
// µs for utf8.Valid and json.Valid together, which were 29% of the CPU of
// appends of 100 events another writer makes (docs/performance.md).
func validJSON(data []byte) bool {
	return jsontext.Value(data).IsValid(jsontext.AllowDuplicateNames(true))
}

// ValidateStream checks that name has the category-id form, such as
// "proposal-0190b7c1-…" or "seal-main". Returns an error matching ErrInvalid.
func ValidateStream(name string) error {
	if len(name) > MaxStreamLen {
		return fmt.Errorf("%w stream name: longer than %d bytes", ErrInvalid, MaxStreamLen)
	}
	if !validStream(name) {
		return fmt.Errorf("%w stream name %q: want category-id, e.g. proposal-<uuid>", ErrInvalid, name)
	}
	return nil
}

// Category returns the part of a valid stream name before the first dash.
func Category(stream string) string {
	for i := 0; i < len(stream); i++ {
		if stream[i] == '-' {
			return stream[:i]
		}
	}
	return stream
}

// ValidateAppend checks an append's stream and events against the naming
// rules and the limits, and that each event's data is valid JSON unless it
// is marked as json.Marshal's own output (EventData.Marshalled). Returns
// errors matching ErrInvalid or ErrTooLarge.
func ValidateAppend(stream string, events []EventData) error {
	if err := ValidateStream(stream); err != nil {
		return err
	}
	if len(events) == 0 {
		return fmt.Errorf("%w append to %s: no events", ErrInvalid, stream)
	}
	if len(events) > MaxAppendEvents {
		return fmt.Errorf("append to %s: %d events, more than %d: %w", stream, len(events), MaxAppendEvents, ErrTooLarge)
	}
	total := 0
	seen := make(map[uuid.UUID]struct{}, len(events))
	for i, e := range events {
		if e.ID == uuid.Nil {
			return fmt.Errorf("%w event %d: nil id", ErrInvalid, i)
		}
		if _, dup := seen[e.ID]; dup {
			return fmt.Errorf("%w event %d: id %s twice in one append", ErrInvalid, i, e.ID)
		}
		seen[e.ID] = struct{}{}
		if len(e.Type) > MaxTypeLen || !validType(e.Type) {
			return fmt.Errorf("%w event %d: type %q, want e.g. proposal.submitted.v1", ErrInvalid, i, e.Type)
		}
		if !e.Marshalled && !validJSON(e.Data) {
			return fmt.Errorf("%w event %d (%s): data is not valid JSON", ErrInvalid, i, e.Type)
		}
		size := len(e.Data) + metadataSize(e.Metadata)
		if size > MaxEventSize {
			return fmt.Errorf("event %d (%s): %d bytes, more than %d: %w", i, e.Type, size, MaxEventSize, ErrTooLarge)
		}
		total += size
	}
	if total > MaxAppendSize {
		return fmt.Errorf("append to %s: %d bytes, more than %d: %w", stream, total, MaxAppendSize, ErrTooLarge)
	}
	return nil
}

func metadataSize(m Metadata) int {
	return len(m.Actor) + len(m.Role) + len(m.CorrelationID) + len(m.CausationID) + len(m.PrevHash) + len(m.Hash)
}

// Match reports whether an event of stream with type typ passes f.
func (f Filter) Match(stream, typ string) bool {
	return matchPrefix(f.StreamPrefixes, stream) && matchPrefix(f.TypePrefixes, typ)
}

func matchPrefix(prefixes []string, s string) bool {
	if len(prefixes) == 0 {
		return true
	}
	for _, p := range prefixes {
		if len(s) >= len(p) && s[:len(p)] == p {
			return true
		}
	}
	return false
}
