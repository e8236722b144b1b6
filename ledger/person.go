package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/privacy"
)

// PersonExport is a person's own data (PIPL art. 45): every domain event
// that names them, with their own personal fields opened and every other
// person's withheld.
type PersonExport struct {
	PersonID string `json:"person_id"`
	// Erased reports whether the person's data was erased; their fields
	// then read as erased.
	Erased bool `json:"erased"`
	// Exported is when the export was made.
	Exported time.Time `json:"exported"`
	// Events are the events that name the person, in global order.
	Events []PersonEvent `json:"events"`
}

// PersonEvent is one event of a PersonExport.
type PersonEvent struct {
	Position eventstore.Position `json:"position"`
	Stream   string              `json:"stream"`
	Type     string              `json:"type"`
	Recorded time.Time           `json:"recorded"`
	Data     json.RawMessage     `json:"data"`
}

// ExportPerson collects personID's own data from the whole log. Returns
// ErrNoSealer without a sealer.
func (l *Ledger) ExportPerson(ctx context.Context, personID string) (PersonExport, error) {
	if l.seal == nil {
		return PersonExport{}, ErrNoSealer
	}
	out := PersonExport{PersonID: personID, Exported: l.now(), Events: []PersonEvent{}}
	_, err := l.seal.Keys().Key(ctx, privacy.PersonKey(personID))
	out.Erased = errors.Is(err, privacy.ErrErased)
	quoted, _ := json.Marshal(personID)
	for ev, err := range l.store.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		if err != nil {
			return out, fmt.Errorf("export person: %w", err)
		}
		if !bytes.Contains(ev.Data, quoted) {
			continue
		}
		e, err := domain.Decode(ev.Type, ev.Data)
		if err != nil {
			continue // not a domain event (tokens, seals)
		}
		if e, err = l.seal.OpenFor(ctx, e, personID); err != nil {
			return out, fmt.Errorf("export person: %w", err)
		}
		data, err := json.Marshal(e)
		if err != nil {
			return out, fmt.Errorf("export person: %w", err)
		}
		out.Events = append(out.Events, PersonEvent{Position: ev.Position, Stream: ev.Stream, Type: ev.Type, Recorded: ev.Recorded, Data: data})
	}
	return out, nil
}
