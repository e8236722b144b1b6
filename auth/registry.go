package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/privacy"
)

// filter selects the token events of the log, and the erasures: a token
// whose subject's personal data is erased is revoked with it.
var filter = eventstore.Filter{StreamPrefixes: []string{"token-", "erasure-"}, TypePrefixes: []string{"token.", "erasure."}}

// Registry is the set of tokens folded from the ledger: it answers which
// token a bearer secret is. Sync or Run keep it current; all methods are
// safe for concurrent use.
//
// An erasure of a person (erasure.data_erased.v1, docs/privacy.md) revokes
// every token whose subject is that person, as of the erasure, and their
// names read as erased: whatever authenticates through the registry (a
// bearer token, a web session standing for one, an open event stream)
// ends with it, whichever door recorded the erasure (API, command line,
// retention job).
type Registry struct {
	store eventstore.Store
	// seal opens the sealed names of tokens; nil when the ledger seals
	// nothing.
	seal *privacy.Sealer
	// syncing makes concurrent Syncs take turns, so that the second reads
	// only what the first did not.
	syncing sync.Mutex

	mu      sync.RWMutex
	pos     eventstore.Position
	byHash  map[string]uuid.UUID
	tokens  map[uuid.UUID]Token
	advance chan struct{} // closed and replaced whenever pos moves
	// revoked holds a channel per token someone waits on (Revocation),
	// closed when the token is revoked.
	revoked map[uuid.UUID]chan struct{}
	// erased holds the subjects whose personal data was erased, and when.
	erased map[string]time.Time
}

// RegistryOption configures NewRegistry.
type RegistryOption func(*Registry)

// Opening makes the registry open the sealed names of tokens with s (nil:
// names stay as stored).
func Opening(s *privacy.Sealer) RegistryOption { return func(r *Registry) { r.seal = s } }

// NewRegistry returns an empty registry over store; call Sync or Run.
func NewRegistry(store eventstore.Store, opts ...RegistryOption) *Registry {
	r := &Registry{
		store:   store,
		byHash:  make(map[string]uuid.UUID),
		tokens:  make(map[uuid.UUID]Token),
		advance: make(chan struct{}),
		revoked: make(map[uuid.UUID]chan struct{}),
		erased:  make(map[string]time.Time),
	}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Sync folds every token event recorded after the registry's position, and
// moves the position to the log's head as it was when Sync started, so
// that Run and later Syncs do not scan the same stretch of log again.
func (r *Registry) Sync(ctx context.Context) error {
	r.syncing.Lock()
	defer r.syncing.Unlock()
	var head eventstore.Position
	for ev, err := range r.store.ReadAll(ctx, eventstore.ReadAllOptions{Direction: eventstore.Backwards, From: eventstore.End, Max: 1}) {
		if err != nil {
			return fmt.Errorf("read the log's head: %w", err)
		}
		head = ev.Position
	}
	r.mu.RLock()
	from := r.pos
	r.mu.RUnlock()
	if from >= head {
		return nil
	}
	for ev, err := range r.store.ReadAll(ctx, eventstore.ReadAllOptions{From: from, Filter: filter}) {
		if err != nil {
			return fmt.Errorf("read tokens: %w", err)
		}
		if ev.Position <= from {
			continue
		}
		if err := r.apply(ev); err != nil {
			return err
		}
	}
	r.moveTo(head)
	return nil
}

// Run keeps the registry current by subscribing to the token events until
// ctx ends; it returns ctx's error or the store's.
func (r *Registry) Run(ctx context.Context) error {
	r.mu.RLock()
	from := r.pos
	r.mu.RUnlock()
	for d, err := range r.store.Subscribe(ctx, eventstore.SubscribeOptions{After: from, Filter: filter}) {
		if err != nil {
			return fmt.Errorf("token subscription: %w", err)
		}
		if d.Event == nil {
			r.moveTo(d.Position)
			continue
		}
		if err := r.apply(*d.Event); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// WaitFor blocks until the registry has folded every event up to pos (the
// position an Issue or Revoke returned), or ctx ends.
func (r *Registry) WaitFor(ctx context.Context, pos eventstore.Position) error {
	for {
		r.mu.RLock()
		reached, advance := r.pos >= pos, r.advance
		r.mu.RUnlock()
		if reached {
			return nil
		}
		select {
		case <-advance:
		case <-ctx.Done():
			return fmt.Errorf("wait for tokens at %d: %w", pos, ctx.Err())
		}
	}
}

// apply folds one token event. Sync and Run may both be folding, each in
// global order from the position the registry had when it started, so
// every event at or below the registry's position has been folded already:
// such an event is skipped (folding an old issue again would un-revoke).
func (r *Registry) apply(ev eventstore.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ev.Position <= r.pos {
		return nil
	}
	switch ev.Type {
	case TypeIssued:
		var is Issued
		if err := json.Unmarshal(ev.Data, &is); err != nil {
			return fmt.Errorf("decode %s at %d: %w", ev.Type, ev.Position, err)
		}
		if r.seal != nil && privacy.MaySeal(ev.Data) {
			if err := r.seal.OpenInPlace(context.Background(), &is); err != nil {
				return fmt.Errorf("%s at %d: %w", ev.Type, ev.Position, err)
			}
		}
		t := is.token()
		if at, ok := r.erased[t.Subject]; ok && t.Subject != "" {
			eraseToken(&t, at)
		}
		r.tokens[is.ID] = t
		r.byHash[is.Hash] = is.ID
	case TypeRevoked:
		var rv Revoked
		if err := json.Unmarshal(ev.Data, &rv); err != nil {
			return fmt.Errorf("decode %s at %d: %w", ev.Type, ev.Position, err)
		}
		if t, ok := r.tokens[rv.ID]; ok && t.Revoked.IsZero() {
			t.Revoked = rv.Revoked
			r.tokens[rv.ID] = t
		}
		r.closeRevocation(rv.ID)
	case domain.DataErased{}.EventType():
		e, err := domain.Decode(ev.Type, ev.Data)
		if err != nil {
			return fmt.Errorf("decode %s at %d: %w", ev.Type, ev.Position, err)
		}
		d := e.(domain.DataErased)
		if d.Subject != domain.ErasePerson || d.ID == "" {
			break
		}
		if _, ok := r.erased[d.ID]; !ok {
			r.erased[d.ID] = d.At
		}
		for id, t := range r.tokens {
			if t.Subject == d.ID {
				eraseToken(&t, d.At)
				r.tokens[id] = t
				r.closeRevocation(id)
			}
		}
	}
	r.moveToLocked(ev.Position)
	return nil
}

// eraseToken makes t a token of an erased person: revoked as of the
// erasure (unless it was revoked before), its name erased.
func eraseToken(t *Token, at time.Time) {
	if t.Revoked.IsZero() {
		t.Revoked = at
	}
	if t.Name != "" {
		t.Name = privacy.ErasedName
	}
}

// closeRevocation closes the channel of those who wait for token id's
// revocation; r.mu is held.
func (r *Registry) closeRevocation(id uuid.UUID) {
	if ch, ok := r.revoked[id]; ok {
		close(ch)
		delete(r.revoked, id)
	}
}

// Erased reports whether subject's personal data was erased: no token may
// be issued for it any more.
func (r *Registry) Erased(subject string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.erased[subject]
	return ok
}

func (r *Registry) moveTo(pos eventstore.Position) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.moveToLocked(pos)
}

func (r *Registry) moveToLocked(pos eventstore.Position) {
	if pos <= r.pos {
		return
	}
	r.pos = pos
	close(r.advance)
	r.advance = make(chan struct{})
}

// Authenticate returns the token whose secret is secret. Returns
// ErrUnknownToken for a secret no token has (a sign-in code authenticates
// nothing: see Code) and ErrRevoked for a revoked one.
func (r *Registry) Authenticate(secret string) (Token, error) {
	t, err := r.lookup(secret)
	if err != nil {
		return Token{}, err
	}
	if t.Kind == KindSignIn {
		return Token{}, ErrUnknownToken
	}
	return t, nil
}

// lookup returns the valid token of any kind whose secret is secret.
func (r *Registry) lookup(secret string) (Token, error) {
	if !strings.HasPrefix(secret, secretPrefix) {
		return Token{}, ErrUnknownToken
	}
	hash := HashSecret(secret)
	r.mu.RLock()
	defer r.mu.RUnlock()
	id, ok := r.byHash[hash]
	if !ok {
		return Token{}, ErrUnknownToken
	}
	t := r.tokens[id]
	if !t.Revoked.IsZero() {
		return Token{}, ErrRevoked
	}
	return t, nil
}

// closed is a channel that is always closed.
var closed = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

// Revocation returns a channel that is closed once the token with id is
// revoked (at once when it already is, or was never issued), so that what
// a token holds open, such as an event stream, ends with it.
func (r *Registry) Revocation(id uuid.UUID) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	if t, ok := r.tokens[id]; !ok || !t.Revoked.IsZero() {
		return closed
	}
	ch, ok := r.revoked[id]
	if !ok {
		ch = make(chan struct{})
		r.revoked[id] = ch
	}
	return ch
}

// Get returns the token with id, revoked or not, and whether it exists.
func (r *Registry) Get(id uuid.UUID) (Token, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	t, ok := r.tokens[id]
	return t, ok
}

// List returns every token, oldest first.
func (r *Registry) List() []Token {
	r.mu.RLock()
	out := make([]Token, 0, len(r.tokens))
	for _, t := range r.tokens {
		out = append(out, t)
	}
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b Token) int { return strings.Compare(a.ID.String(), b.ID.String()) })
	return out
}
