package domain

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// A subscriber is one person as the notifications see them (stream
// "subscriber-<personID>"): the items they follow or stopped following
// beyond the ones the ledger gives them (their own proposals, the ones
// they support, the actions they own), the channels they want to hear on,
// their quiet hours and digest, the browsers they allowed to receive Web
// Push, and how far they have read their inbox. docs/notifications.md.

// Notification channels a person can choose. The in-app inbox is always
// on and is not chosen.
const (
	// ChannelInbox is the in-app inbox (the bell in the pages).
	ChannelInbox = "inbox"
	// ChannelPush is Web Push to the browsers the person registered.
	ChannelPush = "push"
	// ChannelWebhook is the community's signed webhook (its SMS gateway,
	// WeCom bot or 12345 system), addressed to the person's contact.
	ChannelWebhook = "webhook"
)

// Digests: how often notifications on the chosen external channels are
// gathered into one message instead of one each.
const (
	// DigestOff sends each notification on its own.
	DigestOff = "off"
	// DigestDaily sends one message a day (at the end of quiet hours).
	DigestDaily = "daily"
	// DigestWeekly sends one message a week (Monday, at the end of quiet hours).
	DigestWeekly = "weekly"
)

// Languages of the messages.
const (
	LangZH = "zh-CN"
	LangEN = "en"
)

// SubscriberStream is the stream of a person's notification settings.
func SubscriberStream(personID string) string { return "subscriber-" + personID }

// Followable reports whether stream names an item a person may follow: a
// proposal, a meeting or an action.
func Followable(stream string) bool {
	switch category(stream) {
	case "proposal", "meeting", "action":
		return strings.Contains(stream, "-")
	}
	return false
}

// NotificationSettings is what a person chose. The zero value is the
// default: the inbox, and push and webhook when the person registered a
// browser or a contact; quiet from 22:00 to 07:00 China time; no digest;
// Chinese.
type NotificationSettings struct {
	// Channels are the external channels chosen (ChannelPush,
	// ChannelWebhook); nil means the default, an empty list none (the
	// inbox only).
	Channels []string `json:"channels"`
	// QuietFrom and QuietTo ("HH:MM", China time) bound the quiet hours,
	// in which nothing is sent outside the inbox; equal means none.
	QuietFrom string `json:"quiet_from"`
	QuietTo   string `json:"quiet_to"`
	// Digest is DigestOff, DigestDaily or DigestWeekly.
	Digest string `json:"digest"`
	// Language is LangZH or LangEN.
	Language string `json:"language"`
}

// DefaultSettings is the settings of a person who never chose any.
func DefaultSettings() NotificationSettings {
	return NotificationSettings{QuietFrom: "22:00", QuietTo: "07:00", Digest: DigestOff, Language: LangZH}
}

// FollowItem makes a person follow an item (a proposal, meeting or
// action): they hear of every step it takes. Following an item followed
// already changes nothing.
type FollowItem struct {
	PersonID string `json:"person_id"`
	// Item is the item's stream, such as proposal-<id>.
	Item string `json:"item"`
}

// Stream implements Command.
func (c FollowItem) Stream() string { return SubscriberStream(c.PersonID) }

// UnfollowItem stops a person's notifications about an item, including
// the ones they would get as its author, supporter or owner.
type UnfollowItem struct {
	PersonID string `json:"person_id"`
	Item     string `json:"item"`
}

// Stream implements Command.
func (c UnfollowItem) Stream() string { return SubscriberStream(c.PersonID) }

// ChangeNotificationSettings replaces a person's settings and contact.
type ChangeNotificationSettings struct {
	PersonID string               `json:"person_id"`
	Settings NotificationSettings `json:"settings"`
	// Contact is what the community's gateway reaches the person by (a
	// phone number, a WeCom user id); empty keeps none.
	Contact string `json:"contact"`
}

// Stream implements Command.
func (c ChangeNotificationSettings) Stream() string { return SubscriberStream(c.PersonID) }

// RegisterPushDevice records a browser's Web Push subscription
// (PushSubscription.toJSON()).
type RegisterPushDevice struct {
	PersonID string `json:"person_id"`
	// DeviceID names the subscription for the person (the server derives
	// it from the endpoint).
	DeviceID string `json:"device_id"`
	Endpoint string `json:"endpoint"`
	P256dh   string `json:"p256dh"`
	Auth     string `json:"auth"`
}

// Stream implements Command.
func (c RegisterPushDevice) Stream() string { return SubscriberStream(c.PersonID) }

// RemovePushDevice forgets a browser: the person unsubscribed, or its push
// service said it is gone.
type RemovePushDevice struct {
	PersonID string `json:"person_id"`
	DeviceID string `json:"device_id"`
	Reason   string `json:"reason"`
}

// Stream implements Command.
func (c RemovePushDevice) Stream() string { return SubscriberStream(c.PersonID) }

// MarkInboxSeen records that a person read their inbox up to a position
// of the log (their "last visit").
type MarkInboxSeen struct {
	PersonID string `json:"person_id"`
	Position uint64 `json:"position"`
}

// Stream implements Command.
func (c MarkInboxSeen) Stream() string { return SubscriberStream(c.PersonID) }

// ItemFollowed records that a person follows an item.
type ItemFollowed struct {
	PersonID string    `json:"person_id"`
	Item     string    `json:"item"`
	At       time.Time `json:"at"`
}

// ItemUnfollowed records that a person no longer hears of an item.
type ItemUnfollowed struct {
	PersonID string    `json:"person_id"`
	Item     string    `json:"item"`
	At       time.Time `json:"at"`
}

// NotificationSettingsChanged records a person's new settings. The contact
// is sealed under the person's key: erasing the person erases it.
type NotificationSettingsChanged struct {
	PersonID string               `json:"person_id"`
	Settings NotificationSettings `json:"settings"`
	Contact  string               `json:"contact,omitempty" pii:"text,person=PersonID"`
	At       time.Time            `json:"at"`
}

// PushDeviceRegistered records a browser's push subscription; its
// endpoint and secret are sealed under the person's key.
type PushDeviceRegistered struct {
	PersonID string    `json:"person_id"`
	DeviceID string    `json:"device_id"`
	Endpoint string    `json:"endpoint" pii:"text,person=PersonID"`
	P256dh   string    `json:"p256dh" pii:"text,person=PersonID"`
	Auth     string    `json:"auth" pii:"text,person=PersonID"`
	At       time.Time `json:"at"`
}

// PushDeviceRemoved records that a browser no longer receives pushes.
type PushDeviceRemoved struct {
	PersonID string    `json:"person_id"`
	DeviceID string    `json:"device_id"`
	Reason   string    `json:"reason"`
	At       time.Time `json:"at"`
}

// InboxSeen records how far a person read their inbox.
type InboxSeen struct {
	PersonID string    `json:"person_id"`
	Position uint64    `json:"position"`
	At       time.Time `json:"at"`
}

// EventType implements Event.
func (ItemFollowed) EventType() string { return "subscriber.item_followed.v1" }

// EventType implements Event.
func (ItemUnfollowed) EventType() string { return "subscriber.item_unfollowed.v1" }

// EventType implements Event.
func (NotificationSettingsChanged) EventType() string { return "subscriber.settings_changed.v1" }

// EventType implements Event.
func (PushDeviceRegistered) EventType() string { return "subscriber.push_registered.v1" }

// EventType implements Event.
func (PushDeviceRemoved) EventType() string { return "subscriber.push_removed.v1" }

// EventType implements Event.
func (InboxSeen) EventType() string { return "subscriber.inbox_seen.v1" }

// PushDevice is one registered browser.
type PushDevice struct {
	DeviceID string
	Endpoint string
	P256dh   string
	Auth     string
}

// SubscriberState is a subscriber stream folded.
type SubscriberState struct {
	// Follows maps an item to true (followed) or false (unfollowed).
	Follows  map[string]bool
	Settings NotificationSettings
	// Chosen reports whether the person ever chose settings.
	Chosen  bool
	Contact string
	Devices []PushDevice
	Seen    uint64
}

func (s *SubscriberState) evolve(e Event) {
	switch e := e.(type) {
	case ItemFollowed:
		s.follow(e.Item, true)
	case ItemUnfollowed:
		s.follow(e.Item, false)
	case NotificationSettingsChanged:
		s.Settings, s.Contact, s.Chosen = e.Settings, e.Contact, true
	case PushDeviceRegistered:
		s.Devices = slices.DeleteFunc(s.Devices, func(d PushDevice) bool { return d.DeviceID == e.DeviceID })
		s.Devices = append(s.Devices, PushDevice{DeviceID: e.DeviceID, Endpoint: e.Endpoint, P256dh: e.P256dh, Auth: e.Auth})
	case PushDeviceRemoved:
		s.Devices = slices.DeleteFunc(s.Devices, func(d PushDevice) bool { return d.DeviceID == e.DeviceID })
	case InboxSeen:
		s.Seen = max(s.Seen, e.Position)
	}
}

func (s *SubscriberState) follow(item string, on bool) {
	if s.Follows == nil {
		s.Follows = map[string]bool{}
	}
	s.Follows[item] = on
}

// FoldSubscriber folds a subscriber stream.
func FoldSubscriber(events []Event) SubscriberState { return foldEvents[SubscriberState](events) }

// EffectiveSettings is what applies to the person: their choice, or the
// defaults.
func (s SubscriberState) EffectiveSettings() NotificationSettings {
	if s.Chosen {
		return s.Settings
	}
	return DefaultSettings()
}

func decideSubscriber(s SubscriberState, cmd Command, now time.Time) ([]Event, error) {
	switch c := cmd.(type) {
	case FollowItem:
		if err := firstError(id("person_id", c.PersonID), item("item", c.Item)); err != nil {
			return nil, err
		}
		if on, ok := s.Follows[c.Item]; ok && on {
			return nil, nil
		}
		return []Event{ItemFollowed{PersonID: c.PersonID, Item: c.Item, At: now}}, nil
	case UnfollowItem:
		if err := firstError(id("person_id", c.PersonID), item("item", c.Item)); err != nil {
			return nil, err
		}
		if on, ok := s.Follows[c.Item]; ok && !on {
			return nil, nil
		}
		return []Event{ItemUnfollowed{PersonID: c.PersonID, Item: c.Item, At: now}}, nil
	case ChangeNotificationSettings:
		if err := firstError(id("person_id", c.PersonID), settings(c.Settings), contact(c.Contact)); err != nil {
			return nil, err
		}
		set := c.Settings
		if set.Channels != nil {
			// Sorted and without repeats, and empty (the inbox only) stays
			// empty rather than null (the defaults).
			set.Channels = append([]string{}, slices.Compact(slices.Sorted(slices.Values(set.Channels)))...)
		}
		return []Event{NotificationSettingsChanged{PersonID: c.PersonID, Settings: set, Contact: c.Contact, At: now}}, nil
	case RegisterPushDevice:
		if err := firstError(id("person_id", c.PersonID), id("device_id", c.DeviceID), pushEndpoint(c.Endpoint),
			text("p256dh", "the browser's public key", "浏览器公钥", c.P256dh, maxShort),
			text("auth", "the browser's auth secret", "浏览器认证密钥", c.Auth, maxShort)); err != nil {
			return nil, err
		}
		for _, d := range s.Devices {
			if d == (PushDevice{DeviceID: c.DeviceID, Endpoint: c.Endpoint, P256dh: c.P256dh, Auth: c.Auth}) {
				return nil, nil
			}
		}
		return []Event{PushDeviceRegistered{PersonID: c.PersonID, DeviceID: c.DeviceID, Endpoint: c.Endpoint, P256dh: c.P256dh, Auth: c.Auth, At: now}}, nil
	case RemovePushDevice:
		if err := firstError(id("person_id", c.PersonID), id("device_id", c.DeviceID), text("reason", "the reason", "理由", c.Reason, maxShort)); err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(s.Devices, func(d PushDevice) bool { return d.DeviceID == c.DeviceID }) {
			return nil, nil
		}
		return []Event{PushDeviceRemoved{PersonID: c.PersonID, DeviceID: c.DeviceID, Reason: c.Reason, At: now}}, nil
	case MarkInboxSeen:
		if err := id("person_id", c.PersonID); err != nil {
			return nil, err
		}
		if c.Position <= s.Seen {
			return nil, nil
		}
		return []Event{InboxSeen{PersonID: c.PersonID, Position: c.Position, At: now}}, nil
	}
	return nil, unknownCommand(cmd)
}

// item checks the stream of a followable item.
func item(field, v string) *Error {
	if !Followable(v) {
		return invalid(field, "bad_item", field+" must name a proposal, meeting or action, such as proposal-<id>", field+" 应为议题、会议或行动，如 proposal-<id>")
	}
	_, rest, _ := strings.Cut(v, "-")
	return id(field, rest)
}

// settings checks a person's notification settings.
func settings(s NotificationSettings) *Error {
	for _, ch := range s.Channels {
		if err := oneOf("settings.channels", ch, ChannelPush, ChannelWebhook); err != nil {
			return err
		}
	}
	return firstErr(clock("settings.quiet_from", s.QuietFrom), clock("settings.quiet_to", s.QuietTo),
		oneOf("settings.digest", s.Digest, DigestOff, DigestDaily, DigestWeekly),
		oneOf("settings.language", s.Language, LangZH, LangEN))
}

// clock checks a time of day written HH:MM.
func clock(field, v string) *Error {
	if _, err := time.Parse("15:04", v); err != nil || len(v) != 5 {
		return invalid(field, "bad_time", field+" must be a time of day such as 22:00", field+" 应为时刻，如 22:00")
	}
	return nil
}

// contact checks a person's contact for the community's gateway: a phone
// number or a gateway's user id, no spaces, at most 64 characters.
func contact(v string) *Error {
	if v == "" {
		return nil
	}
	if len(v) > 64 || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return invalid("contact", "bad_contact", "contact must be a phone number or a user id of at most 64 characters, without spaces", "联系方式应为手机号或用户编号，不超过 64 个字符，不含空格")
	}
	return nil
}

// pushEndpoint checks a Web Push endpoint: an https URL.
func pushEndpoint(v string) *Error {
	if !strings.HasPrefix(v, "https://") || len(v) > 2000 || strings.ContainsFunc(v, func(r rune) bool { return r <= ' ' }) {
		return invalid("endpoint", "bad_endpoint", fmt.Sprintf("endpoint must be an https URL of at most %d characters", 2000), "推送地址应为 https 地址")
	}
	return nil
}
