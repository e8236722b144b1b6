package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"

	"github.com/google/uuid"
	"github.com/yishi-civic/yishi/eventstore"
)

// ChainHash is an event's hash in its stream's chain: SHA-256 over the
// previous event's hash and every stored field of the event except the hash
// itself and the recorded time (which the store assigns). Each field is
// length-prefixed, so no two different events share an input.
func ChainHash(prevHash, stream string, revision uint64, id uuid.UUID, typ string, data []byte, m eventstore.Metadata) string {
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
	return hex.EncodeToString(h.Sum(nil))
}

// eventHash recomputes the hash a recorded event should carry.
func eventHash(ev eventstore.Event) string {
	return ChainHash(ev.Metadata.PrevHash, ev.Stream, ev.Revision, ev.ID, ev.Type, ev.Data, ev.Metadata)
}
