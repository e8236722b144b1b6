package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/domain"
)

// ballotTypes are the event types that record one voter's choice.
var ballotTypes = map[string]bool{
	domain.VoteCast{}.EventType():    true,
	domain.VoteChanged{}.EventType(): true,
}

// choiceKeys are the fields of a ballot event that say what was chosen.
var choiceKeys = []string{"option_id", "previous_option"}

// EventData returns what r may read of an event's data (of type typ) in a
// record of community and grid:
//   - a ballot on a secret motion loses its choice (option_id and
//     previous_option) unless r sees ballots (SeesBallots): who voted
//     stays, what they chose does not;
//   - then the public answer (PublicJSON) unless r sees personal data.
func (r Reader) EventData(typ string, data json.RawMessage, community, grid string) (json.RawMessage, error) {
	if ballotTypes[typ] && !r.SeesBallots(community, grid) {
		var err error
		if data, err = redactBallot(data); err != nil {
			return nil, fmt.Errorf("redact %s: %w", typ, err)
		}
	}
	if r.SeesPersonalData(community, grid) {
		return data, nil
	}
	return PublicJSON(data)
}

// StreamData is EventData over the events of one stream, in order (types
// and data side by side). Besides, for a reader who gets the public
// answer, a ballot on a motion under the owners' rules (PRC Civil Code
// art. 278) loses its choice: counted, the choices would give each
// option's votes, which with the units' areas name a dissenter; the
// public reads the closing tally's shares instead.
func (r Reader) StreamData(types []string, data []json.RawMessage, community, grid string) ([]json.RawMessage, error) {
	owners := map[string]bool{}
	out := make([]json.RawMessage, len(data))
	for i, d := range data {
		var m map[string]any
		if json.Unmarshal(d, &m) == nil {
			id, _ := m["motion_id"].(string)
			if _, hasRule := m["rule"]; hasRule && id != "" {
				owners[id] = ownersRule(m)
			}
			if ballotTypes[types[i]] && owners[id] && !r.SeesPersonalData(community, grid) {
				for _, k := range choiceKeys {
					delete(m, k)
				}
				b, err := json.Marshal(m)
				if err != nil {
					return nil, fmt.Errorf("redact %s: %w", types[i], err)
				}
				d = b
			}
		}
		b, err := r.EventData(types[i], d, community, grid)
		if err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
		out[i] = b
	}
	return out, nil
}

// BallotData returns an event's data with the choice of a secret ballot
// dropped unless r sees ballots, and nothing else changed: for answers that
// are the reader's own data (a person's export, PIPL art. 45), where
// masking would hide what the law says they may read, but a receipt of a
// secret ballot would let anyone buy or coerce a vote.
func (r Reader) BallotData(typ string, data json.RawMessage, community, grid string) (json.RawMessage, error) {
	if !ballotTypes[typ] || r.SeesBallots(community, grid) {
		return data, nil
	}
	out, err := redactBallot(data)
	if err != nil {
		return nil, fmt.Errorf("redact %s: %w", typ, err)
	}
	return out, nil
}

// redactBallot drops the choice from a ballot's data when the ballot is
// secret.
func redactBallot(data json.RawMessage) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if !bytes.Equal(bytes.TrimSpace(m["secret"]), []byte("true")) {
		return data, nil
	}
	for _, k := range choiceKeys {
		delete(m, k)
	}
	return json.Marshal(m)
}

// LeafExposes reports whether publishing a hash of an event (of type typ
// with data, salted with salt) would let anyone find a secret ballot's
// choice by trying each option: a secret ballot whose hash covers no salt
// (written before hash scheme 3). The public Merkle proofs carry such a
// hash of every event.
func LeafExposes(typ string, data json.RawMessage, salt string) bool {
	return salt == "" && Anonymous.RedactsBallot(typ, data, "", "")
}

// RedactsBallot reports whether r must not read the choice of an event of
// type typ with data in a record of community and grid: a secret ballot
// and a reader who does not see ballots.
func (r Reader) RedactsBallot(typ string, data json.RawMessage, community, grid string) bool {
	if !ballotTypes[typ] || r.SeesBallots(community, grid) {
		return false
	}
	var b struct {
		Secret bool `json:"secret"`
	}
	return json.Unmarshal(data, &b) == nil && b.Secret
}

// PlaceMatters reports whether SeesStream and RedactsBallot may answer
// differently for streams of different places (community and grid): not
// for a reader whose scope covers every community, so a caller reading
// many events for such a reader need not look each stream's place up.
func (r Reader) PlaceMatters() bool {
	return r.Scope != (auth.Scope{})
}

// SeesStream reports whether r may read the events of stream in the raw
// log (GET /v1/events/live), the stream's record lying in community and
// grid (both empty for a stream of no community). Token streams
// ("token-…") are an unscoped admin's alone; a community's organisation
// stream is read by every scope within the community; any other stream
// when r's scope covers its record, and a stream of no community by
// unscoped readers only.
func (r Reader) SeesStream(stream, community, grid string) bool {
	switch {
	case !r.Authenticated:
		return false
	case strings.HasPrefix(stream, "token-"):
		return r.SeesTokens()
	case community == "":
		return r.Scope == (auth.Scope{})
	case stream == domain.OrganisationStream(community):
		return r.Scope.Covers(community, r.Scope.Grid)
	}
	return r.Scope.Covers(community, grid)
}
