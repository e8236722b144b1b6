package ledger

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// EncodeEvents turns events decided on stream into store events exactly as
// Execute does: domain.Encode for type and body, actor, role, correlation
// and causation (opts.CommandID) in the metadata, and the hash chain
// continued from lastHash, the hash of the stream's event at revision
// (-1 and "" for a stream with no events). newID gives each event its id; recorded is the recorded time every
// event carries (EventData.Recorded) and its hash covers.
// It is for writers that decide in memory and append in bulk (yishi
// generate); they must append the result with the expected revision
// revision.
func EncodeEvents(stream string, revision int64, lastHash string, events []domain.Event, actor Actor, opts Options, newID func() uuid.UUID, recorded time.Time) ([]eventstore.EventData, error) {
	recorded = recorded.UTC()
	out := make([]eventstore.EventData, len(events))
	prev := lastHash
	for i, e := range events {
		typ, body, err := domain.Encode(e)
		if err != nil {
			return nil, fmt.Errorf("encode %T: %w", e, err)
		}
		ed := eventstore.EventData{
			ID:         newID(),
			Type:       typ,
			Data:       body,
			Marshalled: true, // domain.Encode is json.Marshal
			Metadata: eventstore.Metadata{
				Actor:         actor.ID,
				Role:          actor.Role,
				CorrelationID: opts.CorrelationID,
				CausationID:   opts.CommandID,
				PrevHash:      prev,
				HashScheme:    HashScheme,
				Salt:          NewSalt(),
			},
			Recorded: recorded,
		}
		ed.Metadata.Hash = ChainHash(prev, stream, uint64(revision+1+int64(i)), ed.ID, typ, body, ed.Metadata, recorded)
		prev = ed.Metadata.Hash
		out[i] = ed
	}
	return out, nil
}

// FollowUpOptions returns the options of the i-th follow-up command of a
// command whose first event had id firstID: its CommandID derives from
// that event (so that re-running the command does not repeat it) and it
// keeps the command's CorrelationID and Scope.
func FollowUpOptions(firstID uuid.UUID, i int, opts Options) Options {
	return Options{CommandID: fmt.Sprintf("%s/%d", firstID, i), CorrelationID: opts.CorrelationID, Scope: opts.Scope}
}
