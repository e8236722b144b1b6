package ledger

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/privacy"
)

// PhotoGrace is how long an upload no event refers to is kept: a client
// uploads its photos first and sends the command that refers to them next.
// SweepPhotos erases older unreferenced photos.
const PhotoGrace = 24 * time.Hour

// WithPhotos gives the ledger the store of attachments, so that an erasure
// also erases the photos only the erased person or item referred to
// (docs/privacy.md).
func WithPhotos(b *privacy.Blobs) Option { return func(l *Ledger) { l.photos = b } }

// Photos returns the ledger's attachment store, or nil.
func (l *Ledger) Photos() *privacy.Blobs { return l.photos }

// photoUse is what a scan of the log found about the photos it refers to.
type photoUse struct {
	// of are the photos referred to by a reference sealed under the key
	// being erased; live those referred to by a reference that still opens
	// and is not sealed under it.
	of, live map[string]bool
}

// photoStreams are the streams whose events refer to attachments; upload
// records (attachment streams) are not references.
var photoStreams = eventstore.Filter{StreamPrefixes: []string{"proposal-", "action-", "meeting-", "wish-"}}

// scanPhotos reads the items' streams and sorts their attachment
// references by whether they are sealed under key (key "" sorts every
// readable reference into live).
func (l *Ledger) scanPhotos(ctx context.Context, key string) (photoUse, error) {
	use := photoUse{of: map[string]bool{}, live: map[string]bool{}}
	for ev, err := range l.store.ReadAll(ctx, eventstore.ReadAllOptions{Filter: photoStreams}) {
		if err != nil {
			return use, fmt.Errorf("photos: read the log: %w", err)
		}
		if !privacy.MayReferToAttachments(ev.Type) {
			continue // a vote, an attendance: not decoded
		}
		e, err := domain.Decode(ev.Type, ev.Data)
		if err != nil {
			return use, fmt.Errorf("photos: %s@%d: %w", ev.Stream, ev.Revision, err)
		}
		refs, err := l.seal.AttachmentRefs(ctx, e)
		if err != nil {
			return use, fmt.Errorf("photos: %s@%d: %w", ev.Stream, ev.Revision, err)
		}
		for _, r := range refs {
			switch {
			case r.Sum == "":
			case key != "" && slices.Contains(r.Keys, key):
				use.of[r.Sum] = true
			default:
				use.live[r.Sum] = true
			}
		}
	}
	return use, nil
}

// erasePhotosOf erases the photos that only references sealed under key
// refer to. It runs before key is destroyed, while those references still
// open; a photo another item or person still refers to is kept.
func (l *Ledger) erasePhotosOf(ctx context.Context, at time.Time, key string) error {
	if l.photos == nil {
		return nil
	}
	use, err := l.scanPhotos(ctx, key)
	if err != nil {
		return err
	}
	var gone []string
	for sum := range use.of {
		if !use.live[sum] {
			gone = append(gone, sum)
		}
	}
	slices.Sort(gone)
	return l.photos.Erase(ctx, at, gone...)
}

// SweepPhotos erases every stored photo that no readable reference in the
// log names and that was stored before before: photos whose references
// were all erased (when a key store restored from a backup brought their
// keys back, or an erasure stopped half-way) and uploads never used. It
// returns how many it erased.
//
// The stored photos are listed first: the log, which a start reads whole
// for this, is read only when one of them is old enough to go.
func (l *Ledger) SweepPhotos(ctx context.Context, at, before time.Time) (int, error) {
	if l.photos == nil {
		return 0, nil
	}
	var old []string
	for in, err := range l.photos.Store().List(ctx) {
		if err != nil {
			return 0, fmt.Errorf("photos: %w", err)
		}
		if in.Modified.Before(before) {
			old = append(old, in.Key)
		}
	}
	if len(old) == 0 {
		return 0, nil
	}
	use, err := l.scanPhotos(ctx, "")
	if err != nil {
		return 0, err
	}
	var gone []string
	for _, key := range old {
		if !use.live[key] {
			gone = append(gone, key)
		}
	}
	if err := l.photos.Erase(ctx, at, gone...); err != nil {
		return 0, err
	}
	return len(gone), nil
}
