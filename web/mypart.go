package web

import (
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/ledger"
)

// myPart is what the visitor did and may do, from their own data (GET
// /v1/me/export: the events that name them, unmasked for them, with the
// choice of a secret ballot left out). The aggregates a resident reads are
// masked (other people's ids hidden, theirs too), so whether they support
// a proposal or may vote is read here, never guessed from a masked record.
type myPart struct {
	// Proposals are the proposals they reported, supported or followed,
	// in the order they first took part.
	Proposals []string
	reported  map[string]bool
	supported map[string]bool
	// followed are the proposals they follow (domain.FollowItem).
	followed map[string]bool
	// Meetings are the meetings that name them.
	Meetings []string
	// electorate[meeting][motion] is set when they may vote on it;
	// ballot[meeting][motion] is their current choice (empty for a secret
	// one) once they voted.
	electorate map[string]map[string]bool
	ballot     map[string]map[string]*string
}

// myPart reads the visitor's own data.
func (w *Web) myPart(c echo.Context) (myPart, error) {
	mp := myPart{reported: map[string]bool{}, supported: map[string]bool{}, followed: map[string]bool{},
		electorate: map[string]map[string]bool{}, ballot: map[string]map[string]*string{}}
	var exp ledger.PersonExport
	if err := w.get(c, "/v1/me/export", nil, &exp); err != nil {
		return mp, err
	}
	me := sessionOf(c).Token.Actor()
	seenProposal, seenMeeting := map[string]bool{}, map[string]bool{}
	addProposal := func(id string) {
		if !seenProposal[id] {
			seenProposal[id] = true
			mp.Proposals = append(mp.Proposals, id)
		}
	}
	addMeeting := func(id string) {
		if !seenMeeting[id] {
			seenMeeting[id] = true
			mp.Meetings = append(mp.Meetings, id)
			mp.electorate[id], mp.ballot[id] = map[string]bool{}, map[string]*string{}
		}
	}
	for _, ev := range exp.Events {
		e, err := domain.Decode(ev.Type, ev.Data)
		if err != nil {
			continue // not a domain event
		}
		switch e := e.(type) {
		case domain.ProposalSubmitted:
			if e.Author.ID == me {
				mp.reported[e.ProposalID] = true
				addProposal(e.ProposalID)
			}
		case domain.ProposalSupported:
			if e.PersonID == me {
				mp.supported[e.ProposalID] = true
				addProposal(e.ProposalID)
			}
		case domain.ItemFollowed:
			if id, ok := strings.CutPrefix(e.Item, "proposal-"); ok && e.PersonID == me {
				mp.followed[id] = true
				addProposal(id)
			}
		case domain.ItemUnfollowed:
			if id, ok := strings.CutPrefix(e.Item, "proposal-"); ok && e.PersonID == me {
				mp.followed[id] = false
			}
		case domain.VotingOpened:
			for _, v := range e.Electorate {
				if v.PersonID == me {
					addMeeting(e.MeetingID)
					mp.electorate[e.MeetingID][e.MotionID] = true
				}
			}
		case domain.VoteCast:
			if e.VoterID == me {
				addMeeting(e.MeetingID)
				choice := e.OptionID
				mp.ballot[e.MeetingID][e.MotionID] = &choice
			}
		case domain.VoteChanged:
			if e.VoterID == me {
				addMeeting(e.MeetingID)
				choice := e.OptionID
				mp.ballot[e.MeetingID][e.MotionID] = &choice
			}
		}
	}
	return mp, nil
}

// mayVote reports whether the visitor is in the electorate of a motion.
func (mp myPart) mayVote(meeting, motion string) bool { return mp.electorate[meeting][motion] }

// ballotOf returns the visitor's current choice on a motion and whether
// they voted.
func (mp myPart) ballotOf(meeting, motion string) (string, bool) {
	b := mp.ballot[meeting][motion]
	if b == nil {
		return "", false
	}
	return *b, true
}
