package ledger

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/google/uuid"
	"github.com/yishi-civic/yishi/eventstore"
)

// The hash schemes of the chain, as eventstore.Metadata.HashScheme records
// them. Events keep the scheme they were written with, and Verify checks
// each under its own scheme, so ledgers written before a scheme existed
// still verify.
const (
	// HashSchemeV1 (stored as 0, i.e. absent) covers every stored field of
	// the event except the recorded time, which the store stamped after the
	// hash was computed.
	HashSchemeV1 = 0
	// HashSchemeV2 also covers the scheme number and the recorded time
	// (nanoseconds since the Unix epoch), which the ledger gives the store
	// with the event (eventstore.EventData.Recorded).
	HashSchemeV2 = 2
	// HashSchemeV3 also covers the event's salt (eventstore.Metadata.Salt,
	// SaltBytes random bytes), so that a published hash cannot be matched
	// by trying each choice of a secret ballot whose other fields a reader
	// knows.
	HashSchemeV3 = 3
	// HashScheme is the scheme new events are written with.
	HashScheme = HashSchemeV3
)

// SaltBytes is the length of an event's salt under HashSchemeV3.
const SaltBytes = 16

// NewSalt returns a fresh salt for an event's metadata.
func NewSalt() string {
	b := make([]byte, SaltBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24)
	return hex.EncodeToString(b)
}

// ChainHash is an event's hash in its stream's chain: SHA-256 over the
// previous event's hash and every stored field of the event except the hash
// itself, under the hash scheme m.HashScheme names (see HashSchemeV1 and
// HashSchemeV2: only the second covers recorded). Each field is
// length-prefixed, so no two different events share an input. It hashes
// the stored bytes of the data, whatever they are (ciphertext included),
// never a decoded form. Returns "" for a scheme it does not know.
func ChainHash(prevHash, stream string, revision uint64, id uuid.UUID, typ string, data []byte, m eventstore.Metadata, recorded time.Time) string {
	if !KnownScheme(m.HashScheme) {
		return ""
	}
	h := sha256.New()
	var n [8]byte
	field := func(b []byte) {
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte(prevHash))
	field([]byte(stream))
	binary.BigEndian.PutUint64(n[:], revision)
	h.Write(n[:])
	field(id[:])
	field([]byte(typ))
	field(data)
	field([]byte(m.Actor))
	field([]byte(m.Role))
	field([]byte(m.CorrelationID))
	field([]byte(m.CausationID))
	if m.HashScheme >= HashSchemeV2 {
		binary.BigEndian.PutUint64(n[:], uint64(m.HashScheme))
		h.Write(n[:])
		binary.BigEndian.PutUint64(n[:], uint64(recorded.UnixNano()))
		h.Write(n[:])
	}
	if m.HashScheme == HashSchemeV3 {
		field([]byte(m.Salt))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// KnownScheme reports whether scheme is a hash scheme ChainHash knows.
func KnownScheme(scheme int) bool {
	return scheme == HashSchemeV1 || scheme == HashSchemeV2 || scheme == HashSchemeV3
}

// eventHash recomputes the hash a recorded event should carry.
func eventHash(ev eventstore.Event) string {
	return ChainHash(ev.Metadata.PrevHash, ev.Stream, ev.Revision, ev.ID, ev.Type, ev.Data, ev.Metadata, ev.Recorded)
}
