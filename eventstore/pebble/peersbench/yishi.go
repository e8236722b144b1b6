package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/google/uuid"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
)

// yishiStore runs the workload through the eventstore.Store port of the
// embedded store: every event gets a UUID v7 id and a versioned type, as the
// application's events do, and is written with its stream and id indexes.
type yishiStore struct {
	s *pebble.Store
	// marshalled marks every payload as the ledger's own
	// (eventstore.EventData.Marshalled).
	marshalled bool
}

// versionedTypes maps the workload's type names to the store's versioned
// form ("ProposalRaised" → "proposal_raised.v1"), and back.
var versionedTypes, workloadTypes = func() (map[string]string, map[string]string) {
	to, from := map[string]string{}, map[string]string{}
	for _, t := range eventTypes {
		var b strings.Builder
		for i, r := range t {
			if unicode.IsUpper(r) && i > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(r))
		}
		v := b.String() + ".v1"
		to[t], from[v] = v, t
	}
	return to, from
}()

func openYishi(marshalled bool) func(dir string, _ *Options) (Store, error) {
	return func(dir string, _ *Options) (Store, error) {
		s, err := pebble.Open(dir)
		if err != nil {
			return nil, err
		}
		return &yishiStore{s: s, marshalled: marshalled}, nil
	}
}

func (y *yishiStore) Append(stream string, expected uint64, evs []Event) error {
	exp := eventstore.NoStream()
	if expected > 0 {
		exp = eventstore.Exact(expected - 1)
	}
	data := make([]eventstore.EventData, len(evs))
	for i, e := range evs {
		id, err := uuid.NewV7()
		if err != nil {
			return err
		}
		data[i] = eventstore.EventData{ID: id, Type: versionedTypes[e.Type], Data: e.Data, Marshalled: y.marshalled}
	}
	_, err := y.s.Append(context.Background(), stream, exp, data...)
	if errors.Is(err, eventstore.ErrWrongRevision) {
		return ErrConflict
	}
	return err
}

func (y *yishiStore) Replay(fn func(pos uint64, e *Event) error) error {
	var ev Event
	for e, err := range y.s.ReadAll(context.Background(), eventstore.ReadAllOptions{}) {
		if err != nil {
			return err
		}
		ev = Event{Stream: e.Stream, Version: e.Revision + 1, Type: workloadTypes[e.Type], At: e.Recorded.UnixNano(), Data: e.Data}
		if err := fn(uint64(e.Position), &ev); err != nil {
			return err
		}
	}
	return nil
}

func (y *yishiStore) Close() error { return y.s.Close() }

// printRatios prints, for every peer but the raw floors, its figures as
// ratios to the raw floor of the same runs, next to the targets of the
// store (issue 15), and its p99 append latencies next to the raw floor's.
// Each ratio is the median of the per-run ratios, so that a run on a slow
// moment of the disk is compared with the raw floor of that same moment.
func printRatios(results map[string][]*Result, o *Options) {
	raw, group := results["raw"], results["raw-group16"]
	median := func(v []float64) float64 {
		slices.Sort(v)
		return (v[(len(v)-1)/2] + v[len(v)/2]) / 2
	}
	ratio := func(num, den []*Result, f func(*Result) float64) float64 {
		v := make([]float64, len(num))
		for i := range num {
			v[i] = f(num[i]) / f(den[i])
		}
		return median(v)
	}
	rows := []struct {
		what   string
		den    []*Result
		denNm  string
		f      func(*Result) float64
		target float64
	}{
		{"1 writer appends/s", raw, "raw", func(r *Result) float64 { return r.Single1.AppendsS }, 0.8},
		{fmt.Sprintf("%d writers appends/s", o.Writers), group, "raw-group16", func(r *Result) float64 { return r.SingleN.AppendsS }, 0.8},
		{fmt.Sprintf("batched events/s (%d/append)", o.Batch), raw, "raw", func(r *Result) float64 { return r.Batched.EventsS }, 0.5},
		{"replay events/s warm", raw, "raw", func(r *Result) float64 { return r.ReplayWarm.EventsS }, 1},
		{"replay events/s cold", raw, "raw", func(r *Result) float64 { return r.ReplayCold.EventsS }, 0},
	}
	stalls := []struct {
		what string
		f    func(*Result) float64
	}{
		{"1 writer", func(r *Result) float64 { return r.Single1.P99us }},
		{fmt.Sprintf("%d writers", o.Writers), func(r *Result) float64 { return r.SingleN.P99us }},
		{fmt.Sprintf("batched (%d/append)", o.Batch), func(r *Result) float64 { return r.Batched.P99us }},
	}
	for _, p := range peers {
		name := p.Name
		ys := results[name]
		if name == "raw" || name == "raw-group16" {
			continue
		}
		if len(ys) == 0 || len(raw) != len(ys) || len(group) != len(ys) {
			continue
		}
		fmt.Printf("\n%s as a ratio to the raw floor of the same run (median of %d per-run ratios):\n\n", name, len(ys))
		fmt.Println("| measure | against | ratio | target | met |")
		fmt.Println("|---|---|---:|---:|---|")
		for _, r := range rows {
			x := ratio(ys, r.den, r.f)
			target, met := "—", "—"
			if r.target > 0 {
				target = fmt.Sprintf("≥ %.1f×", r.target)
				met = "yes"
				if x < r.target {
					met = "no"
				}
			}
			fmt.Printf("| %s | %s | %.2f× | %s | %s |\n", r.what, r.denNm, x, target, met)
		}
		fmt.Printf("\n%s p99 append latency, median of the runs (target: no p99 above 5 ms):\n\n", name)
		fmt.Println("| phase | raw ms | raw-group16 ms | this peer ms | met |")
		fmt.Println("|---|---:|---:|---:|---|")
		for _, st := range stalls {
			col := func(rs []*Result) float64 {
				v := make([]float64, len(rs))
				for i, r := range rs {
					v[i] = st.f(r) / 1000
				}
				return median(v)
			}
			y := col(ys)
			met := "yes"
			if y > 5 {
				met = "no"
			}
			fmt.Printf("| %s | %.2f | %.2f | %.2f | %s |\n", st.what, col(raw), col(group), y, met)
		}
	}
}
