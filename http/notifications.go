package http

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	nethttp "net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/notify"
	"github.com/yishi-civic/yishi/projections"
)

// A person's notifications (docs/notifications.md): their inbox, settings,
// follows and browsers, always the token's own person (its subject); and,
// for auditors, anyone's inbox (as of any point) and one notification's
// deliveries.

// InboxItem is one notification as its recipient reads it: what happened
// to which item, in the person's language, with a link to the item's page.
type InboxItem struct {
	projections.Notification
	Text string `json:"text"`
	URL  string `json:"url"`
	// Unread is set for a notification newer than the last visit.
	Unread bool `json:"unread"`
}

// InboxAnswer is a person's inbox, newest first.
type InboxAnswer struct {
	PersonID string      `json:"person_id"`
	Items    []InboxItem `json:"items"`
	// Unread counts what changed since the last visit (Seen).
	Unread int    `json:"unread"`
	Seen   uint64 `json:"seen"`
	// Position is the views' position.
	Position uint64 `json:"position"`
}

// getOwnInbox answers the caller's inbox.
func (s *Server) getOwnInbox(c echo.Context) error {
	return s.inbox(c, principalOf(c).token.Actor())
}

// getPersonInbox answers anyone's inbox to an auditor or an unscoped admin
// (with as_of: who had been told what by then).
func (s *Server) getPersonInbox(c echo.Context) error {
	if principalOf(c).token.Scope.Community != "" {
		return refuse(kindForbidden, text{"只有不限社区的审计员或管理员可以查看他人的通知", "only an auditor or admin without a community scope may read another person's notifications"})
	}
	person, err := pathSlug(c, "person")
	if err != nil {
		return err
	}
	return s.inbox(c, person)
}

func (s *Server) inbox(c echo.Context, person string) error {
	lp, err := parseList(c)
	if err != nil {
		return err
	}
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	in, err := views.Notifications.Inbox(c.Request().Context(), person, lp.limit)
	if err != nil {
		return err
	}
	sub, err := views.Notifications.Subscriber(person)
	if err != nil {
		return err
	}
	lang := sub.Settings.Language
	switch q := c.QueryParam("lang"); q {
	case "":
	case domain.LangZH, domain.LangEN:
		lang = q
	default:
		return fieldErr(kindBadRequest, "lang", text{"应为 zh-CN 或 en", "want zh-CN or en"})
	}
	out := InboxAnswer{PersonID: person, Items: make([]InboxItem, len(in.Items)), Unread: in.Unread, Seen: uint64(in.Seen), Position: uint64(views.Position())}
	for i, n := range in.Items {
		m := notify.Render(n, lang, "")
		out.Items[i] = InboxItem{Notification: n, Text: m.Text, URL: m.URL, Unread: n.Position > in.Seen}
	}
	return c.JSON(nethttp.StatusOK, out)
}

// seenRequest is the body of POST /v1/me/notifications/seen.
type seenRequest struct {
	// Position is how far the person read; absent means everything in
	// their inbox now.
	Position *uint64 `json:"position"`
}

// postInboxSeen records the caller's visit.
func (s *Server) postInboxSeen(c echo.Context) error {
	var r seenRequest
	if err := decodeOptionalJSON(c, &r); err != nil {
		return err
	}
	person := principalOf(c).token.Actor()
	var pos uint64
	if r.Position != nil {
		pos = *r.Position
	} else {
		views, err := s.viewSet(c)
		if err != nil {
			return err
		}
		newest, err := views.Notifications.Newest(person)
		if err != nil {
			return err
		}
		pos = uint64(newest)
	}
	return s.execute(c, domain.MarkInboxSeen{PersonID: person, Position: pos}, "")
}

// NotificationSettingsAnswer is what the caller chose, or the defaults.
type NotificationSettingsAnswer struct {
	projections.Subscriber
	// PushPublicKey is the VAPID key a browser subscribes with; empty when
	// the service does not send Web Push.
	PushPublicKey string `json:"push_public_key"`
	// Channels are the external channels the service offers.
	Channels []string `json:"channels"`
}

// getNotificationSettings answers the caller's settings. Their contact is
// not repeated (has_contact says whether there is one).
func (s *Server) getNotificationSettings(c echo.Context) error {
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	sub, err := views.Notifications.Subscriber(principalOf(c).token.Actor())
	if err != nil {
		return err
	}
	out := NotificationSettingsAnswer{Subscriber: sub, PushPublicKey: s.cfg.PushPublicKey,
		Channels: []string{domain.ChannelWebhook}}
	if s.cfg.PushPublicKey != "" {
		out.Channels = []string{domain.ChannelPush, domain.ChannelWebhook}
	}
	return c.JSON(nethttp.StatusOK, out)
}

// settingsRequest is the body of PUT /v1/me/notification-settings; absent
// fields take the defaults.
type settingsRequest struct {
	// Channels are the external channels chosen; absent means the default
	// (every channel the person can be reached on), [] the inbox only.
	Channels  *[]string `json:"channels"`
	QuietFrom string    `json:"quiet_from"`
	QuietTo   string    `json:"quiet_to"`
	Digest    string    `json:"digest"`
	Language  string    `json:"language"`
	// Contact is the phone number or gateway id the community's webhook
	// reaches the person by; absent or empty keeps none.
	Contact string `json:"contact"`
}

// putNotificationSettings replaces the caller's settings.
func (s *Server) putNotificationSettings(c echo.Context) error {
	var r settingsRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	set := domain.DefaultSettings()
	if r.Channels != nil {
		set.Channels = append([]string{}, *r.Channels...)
	}
	if r.QuietFrom != "" {
		set.QuietFrom = r.QuietFrom
	}
	if r.QuietTo != "" {
		set.QuietTo = r.QuietTo
	}
	if r.Digest != "" {
		set.Digest = r.Digest
	}
	if r.Language != "" {
		set.Language = r.Language
	}
	return s.execute(c, domain.ChangeNotificationSettings{PersonID: principalOf(c).token.Actor(), Settings: set, Contact: r.Contact}, "")
}

// followedItem reads the :item parameter: a proposal, meeting or action
// the caller's token may read.
func (s *Server) followedItem(c echo.Context) (string, error) {
	item, err := pathSlug(c, "item")
	if err != nil {
		return "", err
	}
	if !domain.Followable(item) {
		return "", fieldErr(kindBadRequest, "item", text{"应为议题、会议或行动，如 proposal-<id>", "want a proposal, meeting or action, such as proposal-<id>"})
	}
	return item, s.authorize(c, principalOf(c), item)
}

// putFollow makes the caller follow an item in their scope.
func (s *Server) putFollow(c echo.Context) error {
	item, err := s.followedItem(c)
	if err != nil {
		return err
	}
	return s.execute(c, domain.FollowItem{PersonID: principalOf(c).token.Actor(), Item: item}, "")
}

// deleteFollow stops the caller's notifications about an item.
func (s *Server) deleteFollow(c echo.Context) error {
	item, err := s.followedItem(c)
	if err != nil {
		return err
	}
	return s.execute(c, domain.UnfollowItem{PersonID: principalOf(c).token.Actor(), Item: item}, "")
}

// pushSubscriptionRequest is a browser's PushSubscription.toJSON().
type pushSubscriptionRequest struct {
	Endpoint string `json:"endpoint"`
	Keys     struct {
		P256dh string `json:"p256dh"`
		Auth   string `json:"auth"`
	} `json:"keys"`
	ExpirationTime *int64 `json:"expirationTime"`
}

// postPushSubscription registers the caller's browser for Web Push; the
// answer's id names it for DELETE.
func (s *Server) postPushSubscription(c echo.Context) error {
	if s.cfg.PushPublicKey == "" {
		return refuse(kindUnavailable, text{"本服务未配置网页推送", "this service does not send Web Push"})
	}
	var r pushSubscriptionRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(r.Endpoint))
	device := hex.EncodeToString(sum[:8])
	return s.execute(c, domain.RegisterPushDevice{PersonID: principalOf(c).token.Actor(), DeviceID: device, Endpoint: r.Endpoint,
		P256dh: r.Keys.P256dh, Auth: r.Keys.Auth}, device)
}

// deletePushSubscription forgets one of the caller's browsers.
func (s *Server) deletePushSubscription(c echo.Context) error {
	device, err := pathSlug(c, "device")
	if err != nil {
		return err
	}
	return s.execute(c, domain.RemovePushDevice{PersonID: principalOf(c).token.Actor(), DeviceID: device, Reason: "unsubscribed"}, "")
}

// DeliveryRecord is one recorded delivery attempt.
type DeliveryRecord struct {
	Type     string          `json:"type"`
	Position uint64          `json:"position"`
	Delivery domain.Delivery `json:"delivery"`
	At       time.Time       `json:"at"`
}

// getNotificationDeliveries answers an auditor who was told what, when and
// on which channel: one notification's recorded attempts, in order.
func (s *Server) getNotificationDeliveries(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	out := []DeliveryRecord{}
	for ev, err := range s.cfg.Store.ReadStream(c.Request().Context(), domain.NotificationStream(id.String()), eventstore.ReadStreamOptions{}) {
		if errors.Is(err, eventstore.ErrStreamNotFound) {
			return noSuchRecord()
		}
		if err != nil {
			return err
		}
		e, err := domain.Decode(ev.Type, ev.Data)
		if err != nil {
			return err
		}
		r := DeliveryRecord{Type: ev.Type, Position: uint64(ev.Position)}
		switch d := e.(type) {
		case domain.NotificationSent:
			r.Delivery, r.At = d.Delivery, d.At
		case domain.NotificationFailed:
			r.Delivery, r.At = d.Delivery, d.At
		case domain.NotificationGaveUp:
			r.Delivery, r.At = d.Delivery, d.At
		}
		out = append(out, r)
	}
	return c.JSON(nethttp.StatusOK, out)
}
