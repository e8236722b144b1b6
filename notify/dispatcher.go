package notify

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/projections"
)

// Config is what a Dispatcher needs. Zero durations take the defaults.
type Config struct {
	// Ledger records outcomes and reminders and reads subscribers.
	Ledger *ledger.Ledger
	// Outbox returns the live outbox view (the runner's
	// Views().Notifications).
	Outbox func() *projections.Notifications
	// WaitFor waits until the views have folded a position (the runner's
	// WaitFor): after recording outcomes, so that the next round does not
	// see them due again.
	WaitFor func(ctx context.Context, pos eventstore.Position) error
	// CaughtUp, when set, waits until the views have caught up with the
	// log (the runner's WaitCaughtUp). Run's first round waits for it: a
	// reminder raised from views still behind the log would name an
	// action verified since, and its reading of the views would hold up
	// the fold on its way to ready.
	CaughtUp func(ctx context.Context) error
	// Channels are the configured external channels; a notification for a
	// channel not configured waits.
	Channels []Channel
	// BaseURL is the pages' address, for links.
	BaseURL string
	// Now is the clock (tests inject one).
	Now func() time.Time
	// Every is the pause between rounds (default 5 s).
	Every time.Duration
	// Backoff is the wait after the first failure, doubling after each
	// (default 30 s), up to MaxBackoff (default 6 h).
	Backoff, MaxBackoff time.Duration
	// MaxAttempts is how many attempts a channel gets before giving up
	// (default 8: with the defaults, about 1 h 4 min of retries).
	MaxAttempts int
	// MaxAge gives up on a notification older than this when it would go
	// out (default 72 h): news of last week does not wake anyone.
	MaxAge time.Duration
	// DueSoon is how long before its due date an action's owner is
	// reminded (default 24 h).
	DueSoon time.Duration
	// Batch bounds the deliveries of one round (default 200).
	Batch int
	// Logger logs outcomes without contacts or addresses; nil discards.
	Logger *slog.Logger
	// Metrics, when set, counts outcomes.
	Metrics *Metrics
}

// Dispatcher delivers the outbox on the external channels, one round at a
// time.
type Dispatcher struct {
	cfg      Config
	channels map[string]Channel
	log      *slog.Logger

	mu     sync.Mutex
	raised map[string]bool // reminders raised by this process
}

// New returns a dispatcher.
func New(cfg Config) *Dispatcher {
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return time.Now().UTC() }
	}
	cfg.Every = cmp.Or(cfg.Every, 5*time.Second)
	cfg.Backoff = cmp.Or(cfg.Backoff, 30*time.Second)
	cfg.MaxBackoff = cmp.Or(cfg.MaxBackoff, 6*time.Hour)
	cfg.MaxAttempts = cmp.Or(cfg.MaxAttempts, 8)
	cfg.MaxAge = cmp.Or(cfg.MaxAge, 72*time.Hour)
	cfg.DueSoon = cmp.Or(cfg.DueSoon, 24*time.Hour)
	cfg.Batch = cmp.Or(cfg.Batch, 200)
	d := &Dispatcher{cfg: cfg, channels: map[string]Channel{}, log: cfg.Logger, raised: map[string]bool{}}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	for _, c := range cfg.Channels {
		d.channels[c.Name()] = c
	}
	return d
}

// actor is who records deliveries and reminders in the ledger.
var actor = ledger.Actor{ID: "notify", Role: "system"}

// Run delivers until ctx ends, a round every Config.Every, the first once
// the views have caught up (Config.CaughtUp). A round's error is logged
// and the next round tries again.
func (d *Dispatcher) Run(ctx context.Context) error {
	if d.cfg.CaughtUp != nil {
		if err := d.cfg.CaughtUp(ctx); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("notifications: wait for the views: %w", err)
		}
	}
	t := time.NewTicker(d.cfg.Every)
	defer t.Stop()
	for {
		if _, err := d.Round(ctx); err != nil && ctx.Err() == nil {
			d.log.Warn("notifications: round failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// RoundStats counts what one round did.
type RoundStats struct {
	Reminders, Sent, Failed, GaveUp, Waiting int
}

// Round raises the reminders that fell due, then tries every delivery due
// now: outside the person's quiet hours, alone or, when the person chose
// a digest and it is due, gathered into one message per channel. It
// records each outcome in the ledger and waits until the outbox has folded
// them. It returns the first error that stopped it; deliveries that failed
// are recorded, not returned.
func (d *Dispatcher) Round(ctx context.Context) (RoundStats, error) {
	var st RoundStats
	now := d.cfg.Now()
	var last eventstore.Position
	n, pos, err := d.remind(ctx, now)
	st.Reminders, last = n, max(last, pos)
	if err != nil {
		return st, err
	}
	outbox := d.cfg.Outbox()
	type group struct {
		person, channel string
		items           []projections.Pending
	}
	var groups []*group
	byKey := map[string]*group{}
	// Every due delivery is looked at (one waiting for quiet hours to end
	// must not hold up the rest); at most Batch are sent.
	for _, p := range outbox.Due(now, 0) {
		if _, ok := d.channels[p.Channel]; !ok {
			st.Waiting++
			continue
		}
		k := p.PersonID + "/" + p.Channel
		g := byKey[k]
		if g == nil {
			g = &group{person: p.PersonID, channel: p.Channel}
			byKey[k] = g
			groups = append(groups, g)
		}
		g.items = append(g.items, p)
	}
	for _, g := range groups {
		sub, err := outbox.Subscriber(g.person)
		if err != nil {
			return st, err
		}
		set := sub.Settings
		var fresh []projections.Pending
		for _, p := range g.items {
			if now.Sub(p.At) > d.cfg.MaxAge {
				pos, err := d.record(ctx, p, domain.DeliveryGaveUp, "", "too old to send", time.Time{})
				if err != nil {
					return st, err
				}
				st.GaveUp++
				last = max(last, pos)
				continue
			}
			fresh = append(fresh, p)
		}
		if len(fresh) == 0 {
			continue
		}
		if quiet, _ := Quiet(set, now); quiet {
			st.Waiting += len(fresh)
			continue
		}
		batches := [][]projections.Pending{}
		if set.Digest == domain.DigestDaily || set.Digest == domain.DigestWeekly {
			if now.Before(DigestDue(set, fresh[0].At)) {
				st.Waiting += len(fresh)
				continue
			}
			batches = append(batches, fresh)
		} else {
			for _, p := range fresh {
				batches = append(batches, []projections.Pending{p})
			}
		}
		to, err := d.recipient(ctx, g.person)
		if err != nil {
			return st, err
		}
		for _, b := range batches {
			if st.Sent+st.Failed+st.GaveUp >= d.cfg.Batch {
				break
			}
			s, pos, err := d.deliver(ctx, d.channels[g.channel], to, set.Language, b)
			st.Sent, st.Failed, st.GaveUp = st.Sent+s.Sent, st.Failed+s.Failed, st.GaveUp+s.GaveUp
			last = max(last, pos)
			if err != nil {
				return st, err
			}
		}
	}
	if last > 0 && d.cfg.WaitFor != nil {
		if err := d.cfg.WaitFor(ctx, last); err != nil {
			return st, fmt.Errorf("notifications: wait for the outbox: %w", err)
		}
	}
	return st, nil
}

// recipient reads a person's contact and browsers from their subscriber
// stream, opened with their key.
func (d *Dispatcher) recipient(ctx context.Context, person string) (Recipient, error) {
	events, _, err := d.cfg.Ledger.Load(ctx, domain.SubscriberStream(person))
	if err != nil {
		return Recipient{}, fmt.Errorf("notifications: read subscriber %s: %w", person, err)
	}
	s := domain.FoldSubscriber(events)
	return Recipient{PersonID: person, Contact: s.Contact, Devices: s.Devices}, nil
}

// deliver sends one message (one notification, or a digest of several) and
// records the outcome for each notification it carries.
func (d *Dispatcher) deliver(ctx context.Context, ch Channel, to Recipient, lang string, batch []projections.Pending) (RoundStats, eventstore.Position, error) {
	var st RoundStats
	notes := make([]projections.Notification, len(batch))
	for i, p := range batch {
		notes[i] = p.Notification
	}
	var msg Message
	digest := ""
	if len(batch) == 1 {
		msg = Render(notes[0], lang, d.cfg.BaseURL)
	} else {
		digest = digestID(batch)
		msg = RenderDigest(digest, notes, lang, d.cfg.BaseURL)
	}
	start := time.Now()
	sendErr := ch.Send(ctx, to, msg)
	d.cfg.Metrics.observe(ch.Name(), time.Since(start))
	var gone *GoneError
	if errors.As(sendErr, &gone) && len(gone.Devices) > 0 {
		for _, dev := range gone.Devices {
			if _, err := d.cfg.Ledger.Execute(ctx, domain.RemovePushDevice{PersonID: to.PersonID, DeviceID: dev, Reason: "push service answered gone"}, actor, ledger.Options{}); err != nil {
				return st, 0, fmt.Errorf("notifications: forget a gone device: %w", err)
			}
		}
		if gone.Delivered {
			sendErr = nil
		}
	}
	var last eventstore.Position
	for _, p := range batch {
		outcome, reason, retry := domain.DeliverySent, "", time.Time{}
		attempt := p.Attempts + 1
		switch {
		case sendErr == nil:
			st.Sent++
		case errors.Is(sendErr, ErrGone):
			outcome, reason = domain.DeliveryGaveUp, sendErr.Error()
			st.GaveUp++
		case attempt >= d.cfg.MaxAttempts:
			outcome, reason = domain.DeliveryGaveUp, sendErr.Error()
			st.GaveUp++
		default:
			outcome, reason, retry = domain.DeliveryFailed, sendErr.Error(), d.cfg.Now().Add(d.backoff(attempt))
			st.Failed++
		}
		pos, err := d.record(ctx, p, outcome, digest, reason, retry)
		if err != nil {
			return st, last, err
		}
		last = max(last, pos)
	}
	d.log.Info("notification", "channel", ch.Name(), "person", to.PersonID, "id", msg.ID, "items", len(batch), "ok", sendErr == nil)
	return st, last, nil
}

// backoff is the wait after the attempt-th failure.
func (d *Dispatcher) backoff(attempt int) time.Duration {
	b := d.cfg.Backoff
	for i := 1; i < attempt && b < d.cfg.MaxBackoff; i++ {
		b *= 2
	}
	return min(b, d.cfg.MaxBackoff)
}

// digestID names a digest by what it carries: a digest sent again after a
// crash has the same id, so its receiver drops the second copy.
func digestID(batch []projections.Pending) string {
	ids := make([]string, len(batch))
	for i, p := range batch {
		ids[i] = p.ID
	}
	slices.Sort(ids)
	return uuid.NewSHA1(digestSpace, []byte(strings.Join(ids, ","))).String()
}

var digestSpace = uuid.MustParse("0b7e5f4a-8d2c-4a61-b3c9-52e8a1f0d7c4")

// record appends the outcome of one attempt.
func (d *Dispatcher) record(ctx context.Context, p projections.Pending, outcome, digest, reason string, retry time.Time) (eventstore.Position, error) {
	cmd := domain.RecordDelivery{Outcome: outcome, Delivery: domain.Delivery{
		NotificationID: p.ID, PersonID: p.PersonID, EventID: p.EventID, Item: p.Item, Kind: p.Kind,
		Channel: p.Channel, Attempt: p.Attempts + 1, Digest: digest, Error: reason, Retry: retry}}
	res, err := d.cfg.Ledger.Execute(ctx, cmd, actor, ledger.Options{})
	if err != nil {
		return 0, fmt.Errorf("notifications: record %s of %s: %w", outcome, p.ID, err)
	}
	d.cfg.Metrics.count(p.Channel, outcome)
	return res.Position, nil
}

// remind raises the reminders of open actions: due soon (within
// Config.DueSoon) and overdue. Each is raised once (its stream is unique);
// the process remembers which it raised so as not to ask the ledger again.
func (d *Dispatcher) remind(ctx context.Context, now time.Time) (int, eventstore.Position, error) {
	var n int
	var last eventstore.Position
	for _, a := range d.cfg.Outbox().OpenActions() {
		if a.Due.After(now.Add(d.cfg.DueSoon)) {
			break
		}
		if now.Sub(a.Due) > d.cfg.MaxAge {
			continue // long overdue before notifications began: no news
		}
		kind := domain.ReminderDueSoon
		if !a.Due.After(now) {
			kind = domain.ReminderOverdue
		}
		cmd := domain.RaiseReminder{ActionID: a.ActionID, Kind: kind, Due: a.Due}
		d.mu.Lock()
		done := d.raised[cmd.Stream()]
		d.mu.Unlock()
		if done {
			continue
		}
		res, err := d.cfg.Ledger.Execute(ctx, cmd, actor, ledger.Options{})
		if err != nil {
			return n, last, fmt.Errorf("notifications: raise %s: %w", cmd.Stream(), err)
		}
		d.mu.Lock()
		d.raised[cmd.Stream()] = true
		d.mu.Unlock()
		if len(res.Events) > 0 {
			n++
			last = max(last, res.Position)
		}
	}
	return n, last, nil
}
