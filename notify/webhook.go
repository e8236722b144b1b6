package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/yishi-civic/yishi/domain"
)

// Webhook posts each message to the community's gateway (an SMS gateway, a
// WeCom/WeChat work bot adapter, a 12345 hotline system), signed after the
// Standard Webhooks scheme (https://www.standardwebhooks.com): headers
// webhook-id (the notification's id, by which the receiver deduplicates),
// webhook-timestamp (Unix seconds) and webhook-signature ("v1," and the
// base64 HMAC-SHA256 of "<id>.<timestamp>.<body>" under the shared
// secret). Yishi holds no SMS credentials: the gateway does.
type Webhook struct {
	url    string
	secret []byte
	client *http.Client
	now    func() time.Time
}

// WebhookPayload is the body a gateway receives.
type WebhookPayload struct {
	// Type is "notification.created".
	Type      string      `json:"type"`
	Timestamp time.Time   `json:"timestamp"`
	Data      WebhookData `json:"data"`
}

// WebhookData is one message for one person.
type WebhookData struct {
	ID       string `json:"id"`
	PersonID string `json:"person_id"`
	// Contact is the person's phone number or gateway user id.
	Contact  string `json:"contact"`
	Language string `json:"language"`
	Text     string `json:"text"`
	URL      string `json:"url"`
}

// ParseWebhookSecret reads a Standard Webhooks secret: "whsec_" and
// base64, at least 24 bytes.
func ParseWebhookSecret(s string) ([]byte, error) {
	raw, ok := strings.CutPrefix(s, "whsec_")
	if !ok {
		return nil, errors.New("webhook secret: want whsec_<base64>")
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, fmt.Errorf("webhook secret: %w", err)
	}
	if len(key) < 24 {
		return nil, errors.New("webhook secret: shorter than 24 bytes")
	}
	return key, nil
}

// NewWebhook returns the channel posting to url, signing with secret (from
// ParseWebhookSecret). timeout bounds one attempt.
func NewWebhook(url string, secret []byte, timeout time.Duration) *Webhook {
	return &Webhook{url: url, secret: secret, client: &http.Client{Timeout: timeout}, now: time.Now}
}

// Name implements Channel.
func (w *Webhook) Name() string { return domain.ChannelWebhook }

// Sign returns the webhook-signature header of a body.
func Sign(secret []byte, id string, ts int64, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	fmt.Fprintf(mac, "%s.%d.", id, ts)
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Verify checks a webhook's signature headers as a receiver does: the
// signature matches and the timestamp is within tolerance of now.
func Verify(secret []byte, h http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	ts, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil {
		return errors.New("webhook: bad timestamp")
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return errors.New("webhook: timestamp out of tolerance")
	}
	want := Sign(secret, h.Get("webhook-id"), ts, body)
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return errors.New("webhook: no matching signature")
}

// Send implements Channel. A 2xx answer is delivery; 410 Gone means the
// gateway will never take messages for this person; anything else, a
// timeout included, is worth another attempt.
func (w *Webhook) Send(ctx context.Context, to Recipient, msg Message) error {
	if to.Contact == "" {
		return fmt.Errorf("webhook: no contact: %w", ErrGone)
	}
	now := w.now()
	body, err := json.Marshal(WebhookPayload{Type: "notification.created", Timestamp: now.UTC().Truncate(time.Second),
		Data: WebhookData{ID: msg.ID, PersonID: to.PersonID, Contact: to.Contact, Language: msg.Language, Text: msg.Text, URL: msg.URL}})
	if err != nil {
		return fmt.Errorf("webhook: encode: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return errors.New("webhook: bad request")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("webhook-id", msg.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", Sign(w.secret, msg.ID, now.Unix(), body))
	resp, err := w.client.Do(req)
	if err != nil {
		// The error's text would name the gateway's address: say only what kind.
		var te interface{ Timeout() bool }
		if errors.As(err, &te) && te.Timeout() {
			return errors.New("webhook: timeout")
		}
		return errors.New("webhook: connection failed")
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusGone:
		return fmt.Errorf("webhook: HTTP %d: %w", resp.StatusCode, ErrGone)
	}
	return fmt.Errorf("webhook: HTTP %d", resp.StatusCode)
}
