package seal

import (
	"errors"
	"fmt"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// ErrInconsistent is returned when a checkpoint does not extend an older
// one: the log was rewritten (a fork) or shrank.
var ErrInconsistent = errors.New("the checkpoints are not consistent: the log was rewritten")

// Consistent checks that newer extends older with proof, a consistency
// proof from older.Size to newer.Size (tlog.ProveTree; empty when the
// sizes are equal or older is empty). Returns an error matching
// ErrInconsistent when it does not: another origin, a smaller size, the
// same size with another root, or a proof that fails.
func Consistent(older, newer Checkpoint, proof tlog.TreeProof) error {
	switch {
	case older.Origin != newer.Origin:
		return fmt.Errorf("%w: origin %q, then %q", ErrInconsistent, older.Origin, newer.Origin)
	case newer.Size < older.Size:
		return fmt.Errorf("%w: %d events, then %d", ErrInconsistent, older.Size, newer.Size)
	case older.Size == 0:
		return nil
	case newer.Size == older.Size:
		if newer.Root != older.Root || newer.Head != older.Head {
			return fmt.Errorf("%w: two checkpoints of %d events with roots %s and %s", ErrInconsistent, older.Size, older.Root, newer.Root)
		}
		return nil
	case newer.Head <= older.Head:
		return fmt.Errorf("%w: the head position went from %d to %d while the log grew", ErrInconsistent, older.Head, newer.Head)
	}
	if err := tlog.CheckTree(proof, newer.Size, newer.Root, older.Size, older.Root); err != nil {
		return fmt.Errorf("%w: the first %d of the %d events no longer hash to %s (%v)", ErrInconsistent, older.Size, newer.Size, older.Root, err)
	}
	return nil
}

// Cosign adds witness's signature to msg, a checkpoint signed by server,
// after checking that it extends last, the newest checkpoint the witness
// signed before (nil for its first), with proof (see Consistent). It
// returns the cosigned note and its checkpoint. Returns an error matching
// ErrInconsistent when the server's log does not extend what the witness
// saw: the witness must not sign then, and keeps the evidence.
func Cosign(msg []byte, server note.Verifier, witness note.Signer, last *Checkpoint, proof tlog.TreeProof) ([]byte, Checkpoint, error) {
	c, n, err := OpenNote(msg, server)
	if err != nil {
		return nil, Checkpoint{}, err
	}
	if last != nil {
		if err := Consistent(*last, c, proof); err != nil {
			return nil, c, err
		}
	}
	// Keep the server's signature only, then add the witness's.
	var sigs []note.Signature
	for _, s := range n.Sigs {
		if s.Name == server.Name() && s.Hash == server.KeyHash() {
			sigs = append(sigs, s)
		}
	}
	out, err := note.Sign(&note.Note{Text: n.Text, Sigs: sigs}, witness)
	if err != nil {
		return nil, c, fmt.Errorf("seal: cosign: %w", err)
	}
	return out, c, nil
}
