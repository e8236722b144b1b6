package eventstore

import (
	"encoding/json"
	"fmt"
	"regexp"
	"unicode/utf8"

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

var (
	streamPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}-[A-Za-z0-9][A-Za-z0-9._:-]*$`)
	typePattern   = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.v[1-9][0-9]*$`)
)

// ValidateStream checks that name has the category-id form, such as
// "proposal-0190b7c1-…" or "seal-main". Returns an error matching ErrInvalid.
func ValidateStream(name string) error {
	if len(name) > MaxStreamLen {
		return fmt.Errorf("%w stream name: longer than %d bytes", ErrInvalid, MaxStreamLen)
	}
	if !streamPattern.MatchString(name) {
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
		if len(e.Type) > MaxTypeLen || !typePattern.MatchString(e.Type) {
			return fmt.Errorf("%w event %d: type %q, want e.g. proposal.submitted.v1", ErrInvalid, i, e.Type)
		}
		if !e.Marshalled && (!utf8.Valid(e.Data) || !json.Valid(e.Data)) {
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
