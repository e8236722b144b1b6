package policy

import (
	"encoding/json"
	"fmt"

	"github.com/yishi-civic/yishi/projections"
)

// Items returns each item of a list view as r may read it (Answer), each
// by the place of its own record, so that one page may hold records r sees
// whole and records it reads as the public does.
func Items[T any](r Reader, items []T, place func(T) (community, grid string)) ([]json.RawMessage, error) {
	out := make([]json.RawMessage, len(items))
	for i, it := range items {
		c, g := place(it)
		b, err := r.Answer(c, g, it)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// runningTally are the fields of a live motion that count the ballots by
// choice while voting is open.
var runningTally = []string{"tally", "abstentions", "running"}

// Meeting returns a meeting's live state as r may read it. While a secret
// motion is being voted, its running tally (each option's votes, the
// abstentions, the domain's running result) is left out for everyone but
// an auditor, and "tally_hidden" says so: a tally that moves with each
// ballot tells whoever watches the room, or the ballots' arrival in the
// log, who chose what.
// The number of ballots stays; the domain's tally is shown once voting
// closes. Personal data is masked as Answer does.
func (r Reader) Meeting(st projections.MeetingState) (json.RawMessage, error) {
	hide := st.Motion != nil && st.Motion.Secret && st.Motion.Status == projections.MotionVoting && !r.SeesBallots(st.CommunityID, st.GridID)
	b, err := r.Answer(st.CommunityID, st.GridID, st)
	if err != nil || !hide {
		return b, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("decode live state: %w", err)
	}
	var motion map[string]json.RawMessage
	if err := json.Unmarshal(m["motion"], &motion); err != nil {
		return nil, fmt.Errorf("decode live motion: %w", err)
	}
	for _, k := range runningTally {
		delete(motion, k)
	}
	motion["tally_hidden"] = json.RawMessage("true")
	if m["motion"], err = json.Marshal(motion); err != nil {
		return nil, fmt.Errorf("encode live motion: %w", err)
	}
	return json.Marshal(m)
}
