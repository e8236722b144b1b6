package domain

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSubscriber(t *testing.T) {
	followed := ItemFollowed{PersonID: "r1", Item: "proposal-p1", At: now}
	unfollowed := ItemUnfollowed{PersonID: "r1", Item: "proposal-p1", At: now}
	quiet := NotificationSettings{Channels: []string{"webhook", "push", "webhook"}, QuietFrom: "21:30", QuietTo: "06:45", Digest: DigestDaily, Language: LangEN}
	device := PushDeviceRegistered{PersonID: "r1", DeviceID: "d1", Endpoint: "https://push.example/abc", P256dh: "key", Auth: "secret", At: now}
	run(t, []spec{
		{name: "follow", when: FollowItem{PersonID: "r1", Item: "proposal-p1"}, then: []Event{followed}},
		{name: "follow twice changes nothing", given: []Event{followed}, when: FollowItem{PersonID: "r1", Item: "proposal-p1"}},
		{name: "unfollow what the ledger gives", when: UnfollowItem{PersonID: "r1", Item: "proposal-p1"}, then: []Event{unfollowed}},
		{name: "unfollow twice changes nothing", given: []Event{followed, unfollowed}, when: UnfollowItem{PersonID: "r1", Item: "proposal-p1"}},
		{name: "follow again", given: []Event{unfollowed}, when: FollowItem{PersonID: "r1", Item: "proposal-p1"}, then: []Event{followed}},
		{name: "follow a community", when: FollowItem{PersonID: "r1", Item: "organisation-c1"}, code: CodeInvalid, reason: "bad_item", field: "item"},
		{name: "follow a bad id", when: FollowItem{PersonID: "r1", Item: "proposal-?x"}, code: CodeInvalid, reason: "bad_id", field: "item"},
		{name: "settings", when: ChangeNotificationSettings{PersonID: "r1", Settings: quiet, Contact: "13800138000"},
			then: []Event{NotificationSettingsChanged{PersonID: "r1", Contact: "13800138000", At: now,
				Settings: NotificationSettings{Channels: []string{"push", "webhook"}, QuietFrom: "21:30", QuietTo: "06:45", Digest: DigestDaily, Language: LangEN}}}},
		{name: "inbox is not a choice", when: ChangeNotificationSettings{PersonID: "r1", Settings: NotificationSettings{Channels: []string{"inbox"}, QuietFrom: "22:00", QuietTo: "07:00", Digest: DigestOff, Language: LangZH}},
			code: CodeInvalid, reason: "not_allowed", field: "settings.channels"},
		{name: "bad quiet hours", when: ChangeNotificationSettings{PersonID: "r1", Settings: NotificationSettings{QuietFrom: "25:00", QuietTo: "07:00", Digest: DigestOff, Language: LangZH}},
			code: CodeInvalid, reason: "bad_time", field: "settings.quiet_from"},
		{name: "bad digest", when: ChangeNotificationSettings{PersonID: "r1", Settings: NotificationSettings{QuietFrom: "22:00", QuietTo: "07:00", Digest: "hourly", Language: LangZH}},
			code: CodeInvalid, reason: "not_allowed", field: "settings.digest"},
		{name: "contact with spaces", when: ChangeNotificationSettings{PersonID: "r1", Settings: DefaultSettings(), Contact: "138 0013 8000"},
			code: CodeInvalid, reason: "bad_contact", field: "contact"},
		{name: "push", when: RegisterPushDevice{PersonID: "r1", DeviceID: "d1", Endpoint: "https://push.example/abc", P256dh: "key", Auth: "secret"}, then: []Event{device}},
		{name: "push again changes nothing", given: []Event{device}, when: RegisterPushDevice{PersonID: "r1", DeviceID: "d1", Endpoint: "https://push.example/abc", P256dh: "key", Auth: "secret"}},
		{name: "push over http", when: RegisterPushDevice{PersonID: "r1", DeviceID: "d1", Endpoint: "http://push.example/abc", P256dh: "key", Auth: "secret"},
			code: CodeInvalid, reason: "bad_endpoint", field: "endpoint"},
		{name: "remove push", given: []Event{device}, when: RemovePushDevice{PersonID: "r1", DeviceID: "d1", Reason: "gone"},
			then: []Event{PushDeviceRemoved{PersonID: "r1", DeviceID: "d1", Reason: "gone", At: now}}},
		{name: "remove unknown push changes nothing", when: RemovePushDevice{PersonID: "r1", DeviceID: "d1", Reason: "gone"}},
		{name: "seen", when: MarkInboxSeen{PersonID: "r1", Position: 7}, then: []Event{InboxSeen{PersonID: "r1", Position: 7, At: now}}},
		{name: "seen never goes back", given: []Event{InboxSeen{PersonID: "r1", Position: 7}}, when: MarkInboxSeen{PersonID: "r1", Position: 5}},
	})
}

func TestSubscriberFold(t *testing.T) {
	s := FoldSubscriber(nil)
	if !reflect.DeepEqual(s.EffectiveSettings(), DefaultSettings()) {
		t.Fatalf("defaults: %+v", s.EffectiveSettings())
	}
	s = FoldSubscriber([]Event{
		ItemFollowed{PersonID: "r1", Item: "action-a1"},
		NotificationSettingsChanged{PersonID: "r1", Settings: NotificationSettings{Channels: []string{}, QuietFrom: "00:00", QuietTo: "00:00", Digest: DigestWeekly, Language: LangEN}, Contact: "x"},
		PushDeviceRegistered{PersonID: "r1", DeviceID: "d1", Endpoint: "https://a"},
		PushDeviceRegistered{PersonID: "r1", DeviceID: "d1", Endpoint: "https://b"},
		InboxSeen{PersonID: "r1", Position: 9},
	})
	if !s.Follows["action-a1"] || s.EffectiveSettings().Digest != DigestWeekly || s.Contact != "x" || len(s.Devices) != 1 || s.Devices[0].Endpoint != "https://b" || s.Seen != 9 {
		t.Fatalf("fold: %+v", s)
	}
}

func TestNotificationDeliveries(t *testing.T) {
	d := Delivery{NotificationID: "n1", PersonID: "r1", EventID: "e1", Item: "proposal-p1", Kind: "decided", Channel: ChannelWebhook, Attempt: 1}
	failed := d
	failed.Error, failed.Retry = "HTTP 503", now.Add(time.Minute)
	second := d
	second.Attempt = 2
	run(t, []spec{
		{name: "sent", when: RecordDelivery{Delivery: d, Outcome: DeliverySent}, then: []Event{NotificationSent{Delivery: d, At: now}}},
		{name: "failed", when: RecordDelivery{Delivery: failed, Outcome: DeliveryFailed}, then: []Event{NotificationFailed{Delivery: failed, At: now}}},
		{name: "a failure recorded twice once", given: []Event{NotificationFailed{Delivery: failed}}, when: RecordDelivery{Delivery: failed, Outcome: DeliveryFailed}},
		{name: "sent after a failure", given: []Event{NotificationFailed{Delivery: failed}}, when: RecordDelivery{Delivery: second, Outcome: DeliverySent},
			then: []Event{NotificationSent{Delivery: second, At: now}}},
		{name: "sent once per channel", given: []Event{NotificationSent{Delivery: d}}, when: RecordDelivery{Delivery: second, Outcome: DeliverySent}},
		{name: "no more after giving up", given: []Event{NotificationGaveUp{Delivery: d}}, when: RecordDelivery{Delivery: second, Outcome: DeliveryFailed}},
		{name: "the inbox needs no delivery", when: RecordDelivery{Delivery: Delivery{NotificationID: "n1", PersonID: "r1", EventID: "e1", Item: "proposal-p1", Kind: "decided", Channel: ChannelInbox, Attempt: 1}, Outcome: DeliverySent},
			code: CodeInvalid, reason: "not_allowed", field: "channel"},
		{name: "attempt from 1", when: RecordDelivery{Delivery: Delivery{NotificationID: "n1", PersonID: "r1", EventID: "e1", Item: "proposal-p1", Kind: "decided", Channel: ChannelPush}, Outcome: DeliverySent},
			code: CodeInvalid, reason: "bad_attempt", field: "attempt"},
	})
	// Another channel of the same notification is independent.
	got, err := Decide([]Event{NotificationSent{Delivery: d}}, RecordDelivery{Delivery: Delivery{NotificationID: "n1", PersonID: "r1", EventID: "e1", Item: "proposal-p1", Kind: "decided", Channel: ChannelPush, Attempt: 1}, Outcome: DeliverySent}, now)
	if err != nil || len(got) != 1 {
		t.Fatalf("push after webhook: %v %v", got, err)
	}
}

func TestReminders(t *testing.T) {
	due := time.Date(2026, 7, 16, 0, 0, 0, 0, time.UTC)
	raised := ReminderRaised{ReminderID: "a1:due_soon:20260716T0000", ActionID: "a1", Kind: ReminderDueSoon, Due: due, At: now}
	run(t, []spec{
		{name: "raised", when: RaiseReminder{ActionID: "a1", Kind: ReminderDueSoon, Due: due}, then: []Event{raised}},
		{name: "raised once", given: []Event{raised}, when: RaiseReminder{ActionID: "a1", Kind: ReminderDueSoon, Due: due}},
		{name: "bad kind", when: RaiseReminder{ActionID: "a1", Kind: "soonish", Due: due}, code: CodeInvalid, reason: "not_allowed", field: "kind"},
	})
	if got := (RaiseReminder{ActionID: "a1", Kind: ReminderOverdue, Due: due}).Stream(); got != "reminder-a1:overdue:20260716T0000" {
		t.Fatalf("stream %s", got)
	}
}

func TestInboxOnlyIsNotTheDefaults(t *testing.T) {
	got, err := Decide(nil, ChangeNotificationSettings{PersonID: "r1", Settings: NotificationSettings{Channels: []string{}, QuietFrom: "22:00", QuietTo: "07:00", Digest: DigestOff, Language: LangZH}}, now)
	if err != nil {
		t.Fatal(err)
	}
	_, data, err := Encode(got[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"channels":[]`) {
		t.Fatalf("no channel chosen must stay an empty list: %s", data)
	}
}
