package notify

import (
	"context"
	"errors"
	"fmt"

	"github.com/yishi-civic/yishi/domain"
)

// Recipient is a person as a channel reaches them: read from their
// subscriber stream when a message goes out, never kept by the outbox.
type Recipient struct {
	PersonID string
	// Contact is what the community's gateway reaches them by.
	Contact string
	// Devices are the browsers registered for Web Push.
	Devices []domain.PushDevice
}

// Channel delivers messages on one external channel.
type Channel interface {
	// Name is domain.ChannelPush or domain.ChannelWebhook.
	Name() string
	// Send delivers msg to to. Returns an error wrapping ErrGone for a
	// recipient the channel can no longer reach (a browser its push service
	// forgot: Gone lists its device ids); any other error is worth another
	// attempt later. An error's text is recorded in the ledger, so it must
	// not hold an address, a contact or a secret.
	Send(ctx context.Context, to Recipient, msg Message) error
}

// ErrGone is wrapped by a channel's error when the recipient cannot be
// reached on it any more.
var ErrGone = errors.New("recipient gone")

// GoneError names the push devices a push service forgot.
type GoneError struct {
	Devices []string
	// Delivered reports whether another of the person's devices took the
	// message.
	Delivered bool
}

// Error says how many devices are gone.
func (e *GoneError) Error() string { return fmt.Sprintf("%d push device(s) gone", len(e.Devices)) }

// Unwrap makes a GoneError match ErrGone.
func (e *GoneError) Unwrap() error { return ErrGone }
