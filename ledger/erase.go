package ledger

import (
	"context"
	"errors"
	"fmt"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/privacy"
)

// ErrNoSealer is returned by Erase on a ledger built without WithSealer:
// it has no keys to destroy.
var ErrNoSealer = errors.New("the ledger keeps no keys of personal data")

// ErasureKey is the key an erasure of subject id destroys.
func ErasureKey(subject, id string) string {
	if subject == domain.EraseItem {
		return privacy.ItemKey(id)
	}
	return privacy.PersonKey(id)
}

// Erase records cmd's erasure (domain.DataErased), erases the photos only
// the erased person or item referred to (WithPhotos), and then destroys its
// key, so that every copy of the data, everywhere, reads as erased; the
// ledger's decoded streams are dropped. Erasing what was erased already
// appends nothing and destroys the key again (a crash between the two
// steps is finished by the second call). Returns the domain's refusal for
// an invalid command and ErrNoSealer without a sealer. Views built before
// the erasure still hold the data: the caller rebuilds them.
func (l *Ledger) Erase(ctx context.Context, cmd domain.EraseData, actor Actor, opts Options) (Result, error) {
	if l.seal == nil {
		return Result{}, ErrNoSealer
	}
	res, err := l.Execute(ctx, cmd, actor, opts)
	at := l.now()
	switch {
	case domain.ErrorReason(err) == "already_erased":
		res, err = Result{Stream: cmd.Stream(), Replayed: true}, nil
	case err != nil:
		return Result{}, err
	case len(res.Events) > 0:
		if d, ok := res.Events[0].(domain.DataErased); ok {
			at = d.At
		}
	}
	// The photos go first, while the references to them still open; a
	// crash after them and before the key is finished by the next call.
	if err := l.erasePhotosOf(ctx, at, ErasureKey(cmd.Subject, cmd.ID)); err != nil {
		return res, fmt.Errorf("erase %s %s: %w", cmd.Subject, cmd.ID, err)
	}
	if err := l.seal.Erase(ctx, at, ErasureKey(cmd.Subject, cmd.ID)); err != nil {
		return res, fmt.Errorf("erase %s %s: %w", cmd.Subject, cmd.ID, err)
	}
	l.Forget()
	return res, nil
}

// ApplyErasures destroys, again, the key of every erasure the log records:
// the ledger is the authority on what was erased, so a key store restored
// from an older backup cannot bring an erased person back. Then it sweeps
// the attachment store (SweepPhotos, keeping uploads younger than
// PhotoGrace), so that such a key store cannot bring an erased photo back
// either. It returns how many erasures the log holds.
func (l *Ledger) ApplyErasures(ctx context.Context) (int, error) {
	if l.seal == nil {
		return 0, nil
	}
	n := 0
	filter := eventstore.Filter{StreamPrefixes: []string{"erasure-"}, TypePrefixes: []string{"erasure."}}
	for ev, err := range l.store.ReadAll(ctx, eventstore.ReadAllOptions{Filter: filter}) {
		if err != nil {
			return n, fmt.Errorf("apply erasures: %w", err)
		}
		e, err := domain.Decode(ev.Type, ev.Data)
		if err != nil {
			return n, fmt.Errorf("apply erasures: %s@%d: %w", ev.Stream, ev.Revision, err)
		}
		d, ok := e.(domain.DataErased)
		if !ok {
			continue
		}
		if err := l.seal.Erase(ctx, d.At, ErasureKey(d.Subject, d.ID)); err != nil {
			return n, fmt.Errorf("apply erasures: %w", err)
		}
		n++
	}
	l.Forget()
	now := l.now()
	if _, err := l.SweepPhotos(ctx, now, now.Add(-PhotoGrace)); err != nil {
		return n, fmt.Errorf("apply erasures: %w", err)
	}
	return n, nil
}
