package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/yishi-civic/yishi/domain"
)

// WebPush sends each message to every browser a person registered, through
// its push service (RFC 8030), encrypted for the browser (RFC 8291) and
// signed with the server's VAPID key pair (RFC 8292), with
// github.com/SherClockHolmes/webpush-go. The payload is the Message as
// JSON; the service worker shows it with the message's id as its tag, so
// a second delivery replaces the first instead of showing twice.
type WebPush struct {
	opts webpush.Options
}

// VAPIDKeys is the server's VAPID key pair, base64url (as
// webpush.GenerateVAPIDKeys returns them). The private key is a secret.
type VAPIDKeys struct {
	Public  string
	Private string
}

// GenerateVAPIDKeys makes a new key pair.
func GenerateVAPIDKeys() (VAPIDKeys, error) {
	priv, pub, err := webpush.GenerateVAPIDKeys()
	if err != nil {
		return VAPIDKeys{}, fmt.Errorf("vapid keys: %w", err)
	}
	return VAPIDKeys{Public: pub, Private: priv}, nil
}

// NewWebPush returns the channel. subscriber is the contact push services
// may write to about this server (mailto: or https:); client, when not
// nil, replaces the default HTTP client (tests trust their TLS server
// with it); timeout bounds one request.
func NewWebPush(keys VAPIDKeys, subscriber string, client *http.Client, timeout time.Duration) *WebPush {
	if client == nil {
		client = &http.Client{}
	}
	c := *client
	c.Timeout = timeout
	return &WebPush{opts: webpush.Options{HTTPClient: &c, Subscriber: subscriber, TTL: 24 * 3600,
		Urgency: webpush.UrgencyNormal, VAPIDPublicKey: keys.Public, VAPIDPrivateKey: keys.Private}}
}

// Name implements Channel.
func (w *WebPush) Name() string { return domain.ChannelPush }

// Send implements Channel: delivered when at least one browser's push
// service took the message (201) and none failed for a reason worth
// retrying. Devices whose service answered 404 or 410 are gone: the error
// is a *GoneError naming them, so the dispatcher forgets them.
func (w *WebPush) Send(ctx context.Context, to Recipient, msg Message) error {
	if len(to.Devices) == 0 {
		return fmt.Errorf("push: no device: %w", ErrGone)
	}
	payload, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("push: encode: %w", err)
	}
	gone := &GoneError{}
	var retry error
	for _, d := range to.Devices {
		opts := w.opts
		resp, err := webpush.SendNotificationWithContext(ctx, payload, &webpush.Subscription{Endpoint: d.Endpoint, Keys: webpush.Keys{Auth: d.Auth, P256dh: d.P256dh}}, &opts)
		if err != nil {
			// The error's text may hold the endpoint: say only what kind.
			var te interface{ Timeout() bool }
			if errors.As(err, &te) && te.Timeout() {
				retry = errors.New("push: timeout")
			} else {
				retry = errors.New("push: request failed")
			}
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
			gone.Delivered = true
		case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone:
			gone.Devices = append(gone.Devices, d.DeviceID)
		default:
			retry = fmt.Errorf("push: HTTP %d", resp.StatusCode)
		}
	}
	switch {
	case retry != nil:
		return retry
	case len(gone.Devices) > 0:
		return gone
	}
	return nil
}
