package projections

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/privacy"
)

// blank is the reference for an erasure, written out by hand per event
// type rather than from the pii tags: e as it would have been recorded had
// the persons in gone never given their data (every field of theirs holds
// the erased marker from the start).
func blank(e domain.Event, gone map[string]bool) domain.Event {
	name := func(id string, n *string) {
		if gone[id] && *n != "" {
			*n = privacy.ErasedName
		}
	}
	txt := func(id string, s *string) {
		if gone[id] && *s != "" {
			*s = privacy.ErasedText
		}
	}
	party := func(p domain.Party) domain.Party {
		if p.Kind == domain.PartyPerson {
			name(p.ID, &p.Name)
		}
		return p
	}
	parties := func(ps []domain.Party) []domain.Party {
		out := slices.Clone(ps)
		for i := range out {
			out[i] = party(out[i])
		}
		return out
	}
	voter := func(v domain.Voter) domain.Voter { name(v.PersonID, &v.Name); return v }
	switch d := e.(type) {
	case domain.ProposalSubmitted:
		if d.Author.Kind == domain.PartyPerson && gone[d.Author.ID] {
			txt(d.Author.ID, &d.Text)
			txt(d.Author.ID, &d.Place)
			d.Photos = slices.Clone(d.Photos)
			for i := range d.Photos {
				txt(d.Author.ID, &d.Photos[i])
			}
		}
		d.Author = party(d.Author)
		return d
	case domain.ProposalSupported:
		name(d.PersonID, &d.Name)
		return d
	case domain.ProposalWithdrawn:
		txt(d.AuthorID, &d.Reason)
		return d
	case domain.ProposalAccepted:
		d.Owner = party(d.Owner)
		return d
	case domain.ProposalHandledDirectly:
		d.Handler = party(d.Handler)
		return d
	case domain.MeetingScheduled:
		d.Facilitator = voter(d.Facilitator)
		return d
	case domain.ParticipantInvited:
		name(d.Participant.PersonID, &d.Participant.Name)
		return d
	case domain.AttendanceRecorded:
		name(d.PersonID, &d.Name)
		txt(d.PersonID, &d.Authority)
		txt(d.HolderID, &d.Authority)
		return d
	case domain.StatementRecorded:
		txt(d.Speaker.PersonID, &d.Summary)
		d.Speaker = voter(d.Speaker)
		return d
	case domain.VotingOpened:
		d.Electorate = slices.Clone(d.Electorate)
		for i := range d.Electorate {
			d.Electorate[i] = voter(d.Electorate[i])
		}
		return d
	case domain.MotionObjectionRaised:
		txt(d.PersonID, &d.Reason)
		name(d.PersonID, &d.Name)
		return d
	case domain.MinutesObjectionRaised:
		txt(d.PersonID, &d.Text)
		name(d.PersonID, &d.Name)
		return d
	case domain.MediationOffered:
		d.Parties = parties(d.Parties)
		return d
	case domain.MediationAgreed:
		d.Parties = parties(d.Parties)
		return d
	case domain.ActionAssigned:
		d.Owner = party(d.Owner)
		return d
	case domain.ActionVerified:
		txt(d.Verifier.PersonID, &d.Reason)
		d.Verifier = voter(d.Verifier)
		return d
	case domain.WishPosted:
		txt(d.WishMaker.PersonID, &d.Story)
		txt(d.WishMaker.PersonID, &d.Door)
		d.WishMaker = voter(d.WishMaker)
		return d
	case domain.WishClaimed:
		d.Claimer = party(d.Claimer)
		return d
	case domain.WishFulfilled:
		d.Claimer = party(d.Claimer)
		return d
	}
	return e
}

// TestErasureEqualsBlankFromTheStart: for random ledgers and random
// erasures, every view folded from the sealed log, opened as it is read
// after the erased persons' keys are destroyed, equals the view of the
// same ledger in which their fields were blank from the start (tallies and
// statistics included); the views themselves hold no name in plaintext;
// and the stored bytes are not changed by the erasure.
func TestErasureEqualsBlankFromTheStart(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		seed := rapid.Uint64().Draw(rt, "seed")
		n := rapid.IntRange(1, 300).Draw(rt, "events")
		evs := newGen(seed, rapid.IntRange(1, 10).Draw(rt, "grids")).events(n)

		var persons []string
		for _, e := range evs {
			ps, err := privacy.Persons(e)
			require.NoError(rt, err)
			for _, p := range ps {
				if !slices.Contains(persons, p) {
					persons = append(persons, p)
				}
			}
		}
		slices.Sort(persons)
		gone := map[string]bool{}
		if len(persons) > 0 {
			for _, p := range rapid.SliceOfNDistinct(rapid.SampledFrom(persons), 0, min(8, len(persons)), rapid.ID[string]).Draw(rt, "erased") {
				gone[p] = true
			}
		}

		sealer := privacy.NewSealer(privacy.NewMemoryKeys())
		sealed := make([]domain.Event, len(evs))
		for i, e := range evs {
			out, err := sealer.Seal(ctx, streamOf(t, e), []domain.Event{e})
			require.NoError(rt, err)
			sealed[i] = out[0]
		}
		stored := encode(t, sealed)
		before := make([][]byte, len(stored))
		for i, se := range stored {
			before[i] = slices.Clone(se.Data)
		}
		for p := range gone {
			require.NoError(rt, sealer.Erase(ctx, time.Now(), privacy.PersonKey(p)))
		}

		// The runner's decoder, as serve configures it: the views keep the
		// personal fields sealed.
		decode := NewDecoder().Decode
		views := NewViews()
		for _, se := range stored {
			d, err := decode(se.Type, se.Data)
			require.NoError(rt, err)
			for _, v := range views.all {
				require.NoError(rt, v.Apply(Event{Stream: se.Stream, Revision: se.Revision, Position: se.Position, Type: se.Type, Recorded: se.Recorded, Actor: se.Metadata.Actor, Data: d, ref: refOf(se)}))
			}
		}
		got := state(t, views)
		for name, snap := range got {
			for _, plain := range namesOf(evs) {
				require.NotContains(rt, snap, plain, "the %s view keeps names sealed", name)
			}
			// Read as a reader reads it: opened.
			opened, err := sealer.OpenJSON(ctx, []byte(snap))
			require.NoError(rt, err)
			got[name] = string(opened)
		}

		blanked := make([]domain.Event, len(evs))
		for i, e := range evs {
			blanked[i] = blank(e, gone)
		}
		plain := encode(t, blanked)
		for i := range plain {
			plain[i].ID = stored[i].ID // the same events: notification ids derive from them
		}
		want := state(t, foldAll(t, plain))
		require.Equal(rt, want, got)
		for i, se := range stored {
			require.Equal(rt, before[i], []byte(se.Data), "an erasure changes no stored byte")
		}
	})
}

// namesOf returns the persons' names in evs (the generator's), to look for
// in what should hold none.
func namesOf(evs []domain.Event) []string {
	var out []string
	for _, e := range evs {
		var n string
		switch d := e.(type) {
		case domain.ProposalSupported:
			n = d.Name
		case domain.ParticipantInvited:
			n = d.Participant.Name
		case domain.AttendanceRecorded:
			n = d.Name
		case domain.ProposalSubmitted:
			n = d.Author.Name
		}
		if n != "" && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}
