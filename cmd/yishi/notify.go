package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/notify"
	"github.com/yishi-civic/yishi/projections"
)

// notifyFlags are serve's notification settings (docs/notifications.md).
// Secrets come from the environment only: flags show in a process list.
type notifyFlags struct {
	every      *time.Duration
	publicURL  *string
	webhookURL *string
	vapidSub   *string
	getenv     func(string) string
}

func addNotifyFlags(fs *flag.FlagSet, getenv func(string) string) *notifyFlags {
	return &notifyFlags{
		every:      fs.Duration("notify-every", 5*time.Second, "how often the outbox delivers notifications on external channels; 0 never (the in-app inbox works regardless)"),
		publicURL:  fs.String("public-url", getenv("YISHI_PUBLIC_URL"), "the pages' address, for the links in notifications; default the listen address (env YISHI_PUBLIC_URL)"),
		webhookURL: fs.String("webhook-url", getenv("YISHI_WEBHOOK_URL"), "the community's gateway (SMS, WeCom, 12345) that receives signed notification webhooks; its secret is env YISHI_WEBHOOK_SECRET, whsec_<base64> (env YISHI_WEBHOOK_URL)"),
		vapidSub:   fs.String("vapid-subject", envOr(getenv, "YISHI_VAPID_SUBJECT", "mailto:admin@localhost"), "the contact push services may write to about this server (env YISHI_VAPID_SUBJECT); the VAPID keys are env YISHI_VAPID_PUBLIC_KEY and YISHI_VAPID_PRIVATE_KEY (make them with yishi vapid-keys)"),
		getenv:     getenv,
	}
}

// channels builds the configured external channels, and the VAPID public
// key browsers subscribe with ("" without Web Push).
func (f *notifyFlags) channels() ([]notify.Channel, string, error) {
	var out []notify.Channel
	if *f.webhookURL != "" {
		secret, err := notify.ParseWebhookSecret(f.getenv("YISHI_WEBHOOK_SECRET"))
		if err != nil {
			return nil, "", fmt.Errorf("--webhook-url needs YISHI_WEBHOOK_SECRET: %w", err)
		}
		out = append(out, notify.NewWebhook(*f.webhookURL, secret, 10*time.Second))
	}
	keys := notify.VAPIDKeys{Public: f.getenv("YISHI_VAPID_PUBLIC_KEY"), Private: f.getenv("YISHI_VAPID_PRIVATE_KEY")}
	switch {
	case keys.Public != "" && keys.Private != "":
		out = append(out, notify.NewWebPush(keys, *f.vapidSub, nil, 10*time.Second))
	case keys.Public != "" || keys.Private != "":
		return nil, "", errors.New("web push needs both YISHI_VAPID_PUBLIC_KEY and YISHI_VAPID_PRIVATE_KEY")
	}
	return out, keys.Public, nil
}

// dispatcher returns the outbox's delivery loop.
func (f *notifyFlags) dispatcher(l *ledger.Ledger, runner *projections.Runner, channels []notify.Channel, base string, m *notify.Metrics, log *slog.Logger) *notify.Dispatcher {
	if *f.publicURL != "" {
		base = *f.publicURL
	}
	return notify.New(notify.Config{Ledger: l, Outbox: func() *projections.Notifications { return runner.Views().Notifications },
		WaitFor: runner.WaitFor, CaughtUp: runner.WaitCaughtUp, Channels: channels, BaseURL: base, Every: *f.every, Logger: log, Metrics: m})
}

// vapidKeys prints a new VAPID key pair as environment settings.
func vapidKeys(_ context.Context, _ []string, stdout io.Writer) error {
	k, err := notify.GenerateVAPIDKeys()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "YISHI_VAPID_PUBLIC_KEY=%s\nYISHI_VAPID_PRIVATE_KEY=%s\n", k.Public, k.Private)
	return nil
}
