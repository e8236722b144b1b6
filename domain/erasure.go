package domain

import (
	"strings"
	"time"
)

// Erasure (PIPL art. 47): the ledger records who asked for a person's or an
// item's data to be erased, when and on what ground; the application layer
// then destroys the keys the data is sealed under (docs/privacy.md). The
// record carries no personal data. Stream: "erasure-person:<personID>" or
// "erasure-item:<stream>".

// Erasure subjects.
const (
	// ErasePerson erases everything of one person: names, their free text
	// and photos, the door numbers of their units.
	ErasePerson = "person"
	// EraseItem erases the free text and photos of one item (a proposal's,
	// an action's), keeping the names.
	EraseItem = "item"
)

// Erasure grounds, after PIPL art. 47.
const (
	// GroundRequest: the person asked (art. 47, with art. 44 and 45).
	GroundRequest = "request"
	// GroundConsentWithdrawn: the person withdrew their consent (art. 47 (三)).
	GroundConsentWithdrawn = "consent_withdrawn"
	// GroundPurposeAchieved: the purpose is achieved or can no longer be (art. 47 (一)).
	GroundPurposeAchieved = "purpose_achieved"
	// GroundRetentionExpired: the retention period ended (art. 47 (二), art. 19).
	GroundRetentionExpired = "retention_expired"
	// GroundUnlawful: the data was processed against the law or an agreement (art. 47 (四)).
	GroundUnlawful = "unlawful"
)

// EraseData asks for a person's or an item's data to be erased.
type EraseData struct {
	// Subject is ErasePerson or EraseItem.
	Subject string `json:"subject"`
	// ID is the person's id, or the item's stream (proposal-<id>, action-<id>).
	ID string `json:"id"`
	// Ground is one of the Ground* constants.
	Ground string `json:"ground"`
	// Reason says why, in words; it must not repeat the personal data.
	Reason string `json:"reason"`
	// Rule is the retention rule that asked, for GroundRetentionExpired.
	Rule string `json:"rule,omitempty"`
	// By is the id of whoever asked (an admin, or the retention job).
	By string `json:"by"`
}

// ErasureStream is the stream recording the erasure of subject id.
func ErasureStream(subject, id string) string { return "erasure-" + subject + ":" + id }

// Stream implements Command.
func (c EraseData) Stream() string { return ErasureStream(c.Subject, c.ID) }

// DataErased records that a person's or an item's data was erased: its keys
// are destroyed right after it is appended.
type DataErased struct {
	Subject string    `json:"subject"`
	ID      string    `json:"id"`
	Ground  string    `json:"ground"`
	Reason  string    `json:"reason"`
	Rule    string    `json:"rule,omitempty"`
	By      string    `json:"by"`
	At      time.Time `json:"at"`
}

// EventType implements Event.
func (DataErased) EventType() string { return "erasure.data_erased.v1" }

// ErasureState is an erasure stream folded.
type ErasureState struct {
	Erased bool
	At     time.Time
}

func (s *ErasureState) evolve(e Event) {
	if d, ok := e.(DataErased); ok {
		s.Erased, s.At = true, d.At
	}
}

// FoldErasure folds an erasure stream.
func FoldErasure(events []Event) ErasureState { return foldEvents[ErasureState](events) }

func decideErasure(s ErasureState, cmd Command, now time.Time) ([]Event, error) {
	c, ok := cmd.(EraseData)
	if !ok {
		return nil, unknownCommand(cmd)
	}
	item := id("id", c.ID)
	if c.Subject == EraseItem && item == nil && !strings.Contains(c.ID, "-") {
		item = invalid("id", "bad_id", "an item is named by its stream, such as proposal-<id>", "条目应写作其事件流名，如 proposal-<id>")
	}
	if err := firstError(
		oneOf("subject", c.Subject, ErasePerson, EraseItem),
		item,
		oneOf("ground", c.Ground, GroundRequest, GroundConsentWithdrawn, GroundPurposeAchieved, GroundRetentionExpired, GroundUnlawful),
		text("reason", "the reason", "理由", c.Reason, maxShort),
		optionalID("rule", c.Rule),
		id("by", c.By),
	); err != nil {
		return nil, err
	}
	if s.Erased {
		return nil, refuse(CodeConflict, "already_erased", "this data was erased already", "该数据已被删除")
	}
	return []Event{DataErased{Subject: c.Subject, ID: c.ID, Ground: c.Ground, Reason: c.Reason, Rule: c.Rule, By: c.By, At: now}}, nil
}
