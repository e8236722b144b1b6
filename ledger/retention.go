package ledger

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/privacy"
)

// Retention says how long each kind of personal data is kept (PIPL art.
// 19); a zero duration keeps that kind for ever. docs/privacy.md lists the
// rules and their defaults.
type Retention struct {
	// ProposalText erases a proposal's free text, place and photos (its
	// item key) this long after it ended: closed, rejected, withdrawn or
	// merged, and not reopened since.
	ProposalText time.Duration
	// ActionPhotos erases an action's photos (its item key) this long after
	// it ended: verified as satisfied, or cancelled.
	ActionPhotos time.Duration
	// InactivePerson erases a person this long after the last event that
	// held their data, unless they still hold a role: grid head or worker,
	// owner of a registered unit, author of a proposal that has not ended.
	InactivePerson time.Duration
}

// Retention rule names, recorded on the erasures they cause.
const (
	RuleProposalText   = "proposal_text"
	RuleActionPhotos   = "action_photos"
	RuleInactivePerson = "inactive_person"
)

// RetentionActor is the actor of the erasures the retention job records.
var RetentionActor = Actor{ID: "retention", Role: "system"}

// Due is one erasure a retention rule asks for.
type Due struct {
	Rule    string `json:"rule"`
	Subject string `json:"subject"`
	ID      string `json:"id"`
	// Since is when the data became subject to the rule (the item ended,
	// the person was last seen).
	Since time.Time `json:"since"`
}

// RetentionDue reads the whole log and lists what rules ask to erase at
// now and was not erased yet, in a stable order. Times are the events'
// recorded times.
func (l *Ledger) RetentionDue(ctx context.Context, rules Retention, now time.Time) ([]Due, error) {
	ended := map[string]time.Time{} // item stream → when it ended (zero: open)
	lastSeen := map[string]time.Time{}
	roles := map[string]map[string]bool{} // person → roles held ("grid:<g>", "unit:<u>", "author:<p>")
	erased := map[string]bool{}
	hold := func(person, role string, on bool) {
		if roles[person] == nil {
			roles[person] = map[string]bool{}
		}
		if on {
			roles[person][role] = true
		} else {
			delete(roles[person], role)
		}
	}
	heads := map[string]string{}    // grid → head
	owners := map[string][]string{} // unit → owners
	for ev, err := range l.store.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		if err != nil {
			return nil, fmt.Errorf("retention: %w", err)
		}
		e, err := domain.Decode(ev.Type, ev.Data)
		if err != nil {
			continue // not a domain event (tokens, seals)
		}
		persons, err := privacy.Persons(e)
		if err != nil {
			return nil, fmt.Errorf("retention: %w", err)
		}
		for _, p := range persons {
			lastSeen[p] = ev.Recorded
		}
		switch d := e.(type) {
		case domain.DataErased:
			erased[ErasureKey(d.Subject, d.ID)] = true
		case domain.ProposalSubmitted:
			if d.Author.Kind == domain.PartyPerson {
				hold(d.Author.ID, "author:"+ev.Stream, true)
			}
		case domain.ProposalClosed, domain.ProposalRejected, domain.ProposalWithdrawn, domain.ProposalMerged:
			ended[ev.Stream] = ev.Recorded
		case domain.ProposalReopened:
			delete(ended, ev.Stream)
		case domain.ActionVerified:
			if d.Satisfied {
				ended[ev.Stream] = ev.Recorded
			} else {
				delete(ended, ev.Stream)
			}
		case domain.ActionCancelled:
			ended[ev.Stream] = ev.Recorded
		case domain.GridHeadAppointed:
			if old := heads[d.GridID]; old != "" {
				hold(old, "head:"+d.GridID, false)
			}
			heads[d.GridID] = d.PersonID
			hold(d.PersonID, "head:"+d.GridID, true)
		case domain.GridWorkerAssigned:
			hold(d.PersonID, "worker:"+d.GridID, true)
		case domain.GridWorkerRemoved:
			hold(d.PersonID, "worker:"+d.GridID, false)
		case domain.UnitRegistered:
			owners[d.UnitID] = setOwners(owners[d.UnitID], d.Owners, d.UnitID, hold)
		case domain.UnitOwnersChanged:
			owners[d.UnitID] = setOwners(owners[d.UnitID], d.Owners, d.UnitID, hold)
		}
	}
	// An author's role ends with the proposal.
	for _, held := range roles {
		for r := range held {
			if s, ok := strings.CutPrefix(r, "author:"); ok {
				if _, done := ended[s]; done {
					delete(held, r)
				}
			}
		}
	}
	var due []Due
	for stream, at := range ended {
		rule, keep := RuleProposalText, rules.ProposalText
		if strings.HasPrefix(stream, "action-") {
			rule, keep = RuleActionPhotos, rules.ActionPhotos
		}
		if keep > 0 && now.Sub(at) >= keep && !erased[privacy.ItemKey(stream)] {
			due = append(due, Due{Rule: rule, Subject: domain.EraseItem, ID: stream, Since: at})
		}
	}
	if rules.InactivePerson > 0 {
		for p, at := range lastSeen {
			if now.Sub(at) >= rules.InactivePerson && len(roles[p]) == 0 && !erased[privacy.PersonKey(p)] {
				due = append(due, Due{Rule: RuleInactivePerson, Subject: domain.ErasePerson, ID: p, Since: at})
			}
		}
	}
	slices.SortFunc(due, func(a, b Due) int {
		if c := strings.Compare(a.Rule, b.Rule); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return due, nil
}

// setOwners replaces a unit's owners, moving the "unit:<id>" role.
func setOwners(old []string, owners []domain.Voter, unit string, hold func(person, role string, on bool)) []string {
	for _, p := range old {
		hold(p, "unit:"+unit, false)
	}
	ids := make([]string, len(owners))
	for i, o := range owners {
		ids[i] = o.PersonID
		hold(o.PersonID, "unit:"+unit, true)
	}
	return ids
}

// ApplyRetention erases what due lists, each as an erasure recorded by the
// retention job on the ground retention_expired, and returns how many it
// erased. It stops at the first failure.
func (l *Ledger) ApplyRetention(ctx context.Context, due []Due) (int, error) {
	n := 0
	for _, d := range due {
		cmd := domain.EraseData{Subject: d.Subject, ID: d.ID, Ground: domain.GroundRetentionExpired, Rule: d.Rule, By: RetentionActor.ID,
			Reason: fmt.Sprintf("retention rule %s: kept since %s", d.Rule, d.Since.UTC().Format(time.DateOnly))}
		if _, err := l.Erase(ctx, cmd, RetentionActor, Options{}); err != nil {
			return n, fmt.Errorf("retention %s %s: %w", d.Rule, d.ID, err)
		}
		n++
	}
	return n, nil
}
