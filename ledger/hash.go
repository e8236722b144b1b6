package ledger

import (
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
	// HashScheme is the scheme new events are written with.
	HashScheme = HashSchemeV2
)

// ChainHash is an event's hash in its stream's chain: SHA-256 over the
// previous event's hash and every stored field of the event except the hash
// itself, under the hash scheme m.HashScheme names (see HashSchemeV1 and
// HashSchemeV2: only the second covers recorded). Each field is
// length-prefixed, so no two different events share an input. It hashes
// the stored bytes of the data, whatever they are (ciphertext included),
// never a decoded form. Returns "" for a scheme it does not know.
func ChainHash(prevHash, stream string, revision uint64, id uuid.UUID, typ string, data []byte, m eventstore.Metadata, recorded time.Time) string {
	if m.HashScheme != HashSchemeV1 && m.HashScheme != HashSchemeV2 {
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
	if m.HashScheme == HashSchemeV2 {
		binary.BigEndian.PutUint64(n[:], uint64(m.HashScheme))
		h.Write(n[:])
		binary.BigEndian.PutUint64(n[:], uint64(recorded.UnixNano()))
		h.Write(n[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// eventHash recomputes the hash a recorded event should carry.
func eventHash(ev eventstore.Event) string {
	return ChainHash(ev.Metadata.PrevHash, ev.Stream, ev.Revision, ev.ID, ev.Type, ev.Data, ev.Metadata, ev.Recorded)
}
