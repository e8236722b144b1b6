package domain

import "time"

// LedgerResealed opens a ledger that yishi reseal copied from a ledger
// written before personal fields were sealed: the copy holds the same
// events (ids, streams, revisions, recorded times) with every personal
// field sealed, under a new hash chain and Merkle log. It ties the new
// chain to the old one for an auditor: it holds the source's checkpoint,
// signed with the server's key, and a statement, signed with the same key,
// of what was done and why. It carries no personal data. It is written by
// the migration, never decided from a command.
type LedgerResealed struct {
	// LedgerID names this re-sealing; its stream is ledger-<id>.
	LedgerID string `json:"ledger_id"`
	// Source is the source's checkpoint: origin, size (events), root hash
	// (base64, as in the note) and head position, as signed in Checkpoint.
	Source     string `json:"source"`
	Size       int64  `json:"size"`
	Root       string `json:"root"`
	Head       uint64 `json:"head"`
	Checkpoint string `json:"checkpoint"`
	// Reason says why the ledger was re-sealed.
	Reason string `json:"reason"`
	// By is who ran the migration.
	By string `json:"by"`
	// Statement is a signed note (sumdb note format) over the text
	// "yishi reseal v1", the source's checkpoint line, this ledger's id,
	// the time and the reason, signed with the server's key.
	Statement string    `json:"statement"`
	At        time.Time `json:"at"`
}

// EventType implements Event.
func (LedgerResealed) EventType() string { return "ledger.resealed.v1" }

// LedgerStream is the stream of a re-sealing's note.
func LedgerStream(id string) string { return "ledger-" + id }
