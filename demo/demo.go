// Package demo builds the demo ledger from the stories of the newspaper
// report Yishi comes from: 衡苑社区 with its 7 grids, the bicycle-shed
// passage, the parking lines, 邻里小饭桌 and the 网格之家 talks; 阳光社区's
// fitness area; 东仲许社区's heating meeting, developer mediation and the
// riders' 随身拍 reports; 紫陵镇's village grids. Everything goes through the
// ledger as the commands a user would send, so the demo exercises the same
// rules as real use. Ids are derived from names, so two loads give the same
// ids.
package demo

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
)

// The communities of the demo.
const (
	Hengyuan    = "hengyuan"
	Yangguang   = "yangguang"
	Dongzhongxu = "dongzhongxu"
	Ziling      = "ziling"
)

// Start is when the demo's first event happens; the stories unfold over
// the months after it.
var Start = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// PhotoStore keeps a photo and returns its reference (the SHA-256 of its
// bytes in lowercase hex), as the attachment upload does.
type PhotoStore func(data []byte, contentType string) (string, error)

// Summary says what Load wrote.
type Summary struct {
	Commands  int
	Position  eventstore.Position
	Proposals int
	Meetings  int
	Actions   int
}

// loader runs the stories against one ledger with its own clock.
type loader struct {
	ctx    context.Context
	l      *ledger.Ledger
	now    time.Time
	photos PhotoStore
	// mu guards sum while parallel runs commands at once.
	mu    sync.Mutex
	sum   Summary
	photo int
}

// Load writes the demo data set into store through the ledger's commands:
// the stories and 紫陵镇's figures (its 378 关键小事 solved, which make four
// fifths of the demo's commands). The store should be empty; Load refuses
// a store that already holds events. opts configure the ledger it writes
// with (a sealer for personal data).
func Load(ctx context.Context, store eventstore.Store, photos PhotoStore, opts ...ledger.Option) (Summary, error) {
	return load(ctx, store, photos, true, opts)
}

// LoadStories is Load without 紫陵镇's 关键小事 (its organisation stays):
// the stories alone, for tests that need them and not the street office's
// figures, at a fifth of the commands.
func LoadStories(ctx context.Context, store eventstore.Store, photos PhotoStore, opts ...ledger.Option) (Summary, error) {
	return load(ctx, store, photos, false, opts)
}

func load(ctx context.Context, store eventstore.Store, photos PhotoStore, figures bool, opts []ledger.Option) (Summary, error) {
	for _, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{Max: 1}) {
		if err != nil {
			return Summary{}, fmt.Errorf("demo: check the store is empty: %w", err)
		}
		return Summary{}, fmt.Errorf("demo: the store already holds events; the demo loads only into an empty store")
	}
	d := &loader{ctx: ctx, now: Start, photos: photos}
	d.l = ledger.New(store, append([]ledger.Option{ledger.WithClock(func() time.Time { return d.now })}, opts...)...)
	keyMatters := func() error { return nil }
	if figures {
		keyMatters = d.zilingKeyMatters
	}
	for _, story := range []func() error{
		d.hengyuanOrganisation, d.hengyuanResources, d.bicycleShed, d.parkingLines, d.neighbourDinner, d.gridHomeTalks, d.gridHomeActivities, d.maintenanceFund, d.winterCouncil,
		d.yangguangFitnessArea,
		d.dongzhongxuOrganisation, d.heatingMeeting, d.developerDispute, d.riderReports,
		d.zilingVillages, keyMatters, d.hengyuanServices, d.zhangMingTakesPart, d.hengyuanServicesUnderway, d.hengyuanWishes,
	} {
		if err := story(); err != nil {
			return d.sum, err
		}
	}
	return d.sum, nil
}

// ID derives a stable uuid from a name, so that the demo's ids are the same
// on every load and can be written in docs.
func ID(name string) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://yishi.example/demo/"+name)).String()
}

// later advances the demo clock.
func (d *loader) later(dur time.Duration) { d.now = d.now.Add(dur) }

// do runs one command as actor.
func (d *loader) do(actor ledger.Actor, cmd domain.Command) error {
	res, err := d.l.Execute(d.ctx, cmd, actor, ledger.Options{})
	if err != nil {
		return fmt.Errorf("demo: %T on %s: %w", cmd, cmd.Stream(), err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.sum.Commands++
	d.sum.Position = max(d.sum.Position, res.Position)
	switch cmd.(type) {
	case domain.SubmitProposal:
		d.sum.Proposals++
	case domain.ScheduleMeeting:
		d.sum.Meetings++
	case domain.AssignAction:
		d.sum.Actions++
	}
	return nil
}

// all runs commands in order, stopping at the first error.
func (d *loader) all(actor ledger.Actor, cmds ...domain.Command) error {
	for _, c := range cmds {
		if err := d.do(actor, c); err != nil {
			return err
		}
		d.later(7 * time.Minute)
	}
	return nil
}

// seq runs commands in order as one actor, at the present demo time,
// stopping at the first error; parallel jobs call it.
func (d *loader) seq(actor ledger.Actor, cmds ...domain.Command) error {
	for _, c := range cmds {
		if err := d.do(actor, c); err != nil {
			return err
		}
	}
	return nil
}

// parallel runs job(0) … job(n-1) at once, a few at a time, at the present
// demo time (the clock does not move while they run), and returns the
// first error. The jobs must touch different streams.
func (d *loader) parallel(n int, job func(i int) error) error {
	g, _ := errgroup.WithContext(d.ctx)
	g.SetLimit(16)
	for i := range n {
		g.Go(func() error { return job(i) })
	}
	return g.Wait()
}

// snapshot stores one generated photo and returns its reference.
func (d *loader) snapshot(label string) (string, error) {
	d.photo++
	data, err := photo(label, d.photo)
	if err != nil {
		return "", fmt.Errorf("demo: draw photo %q: %w", label, err)
	}
	ref, err := d.photos(data, "image/png")
	if err != nil {
		return "", fmt.Errorf("demo: store photo %q: %w", label, err)
	}
	return ref, nil
}
