package projections

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
)

// sameForm reports whether payload is in the form again is (they begin
// with the same line: a magic line, such as rowsMagic).
func sameForm(again, payload []byte) bool {
	line, _, _ := bytes.Cut(again, []byte("\n"))
	return len(line) < len(again) && bytes.HasPrefix(payload, again[:len(line)+1])
}

// ViewMismatch is the first difference VerifyViews found between a view
// rebuilt from the log and a snapshot, or the views served from the
// snapshots.
type ViewMismatch struct {
	// View is the view's name.
	View string
	// Position is where the two were compared.
	Position eventstore.Position
	// Against is "snapshot" (the view's snapshot file) or "served" (the
	// view as a server would serve it: restored from its snapshot, then
	// folded to the head of the log).
	Against string
	// Path is the JSON path of the first difference, such as
	// `decisions.d-12.tally.result`; Stored and Rebuilt are the values there
	// (shortened; "(absent)" when the key is missing on that side).
	Path            string
	Stored, Rebuilt string
}

// Error names the view, the position and the first difference.
func (m *ViewMismatch) Error() string {
	return fmt.Sprintf("view %s at position %d: the %s differs from the view rebuilt from the log at %s: %s, rebuilt %s",
		m.View, m.Position, m.Against, m.Path, m.Stored, m.Rebuilt)
}

// ViewsReport sums up VerifyViews.
type ViewsReport struct {
	// Events is how many events were folded.
	Events uint64
	// Head is the position of the last event folded.
	Head eventstore.Position
	// Snapshots names the snapshots compared, with their positions.
	Snapshots map[string]eventstore.Position
	// Skipped says, per view, why its snapshot was not compared (missing,
	// unreadable, outdated, or not of this log: a server would rebuild that
	// view rather than load it).
	Skipped map[string]string
}

// VerifyViews rebuilds every view from the start of the log and compares
// it with the snapshots in dir: each snapshot with the view rebuilt up to
// the snapshot's position, byte for byte, and at the head of the log each
// view as a server starting from dir would serve it (restored from its
// snapshot, then folded on) with the rebuilt one. A snapshot whose payload
// was edited, even with its checksum recomputed, differs from the rebuild.
// A view's tables (<dir>/state) are compared with its snapshot, and serve
// its restored view, as a server's would. It reads dir and the log and
// writes nothing. Returns a *ViewMismatch for
// the first difference, an *ApplyError when an event does not fold, or the
// store's error. decode turns a stored event into a domain event as the
// server's Config.Decode does (opening sealed personal data); nil means
// NewDecoder().Decode. progress, if not nil, is called every 100,000 events.
func VerifyViews(ctx context.Context, store eventstore.Store, dir string, decode func(typ string, data []byte) (domain.Event, error), progress func(events uint64, at eventstore.Position)) (ViewsReport, error) {
	if decode == nil {
		decode = NewDecoder().Decode
	}
	rep := ViewsReport{Snapshots: map[string]eventstore.Position{}, Skipped: map[string]string{}}
	fresh, served := NewViews(), NewViews()
	heads := make([]*snapshotHeader, len(fresh.all))
	payloads := make([][]byte, len(fresh.all))
	var tables *tableStore
	if _, err := os.Stat(filepath.Join(dir, "state")); err == nil {
		if tables, err = openTableStore(filepath.Join(dir, "state"), true, slog.New(slog.DiscardHandler)); err != nil {
			return rep, fmt.Errorf("projections: verify views: %w", err)
		}
		defer tables.close()
	}
	for i, v := range served.all {
		h, payload, err := readSnapshot(dir, v)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			rep.Skipped[v.Name()] = "no snapshot"
			continue
		case err != nil:
			rep.Skipped[v.Name()] = "unusable, a server would rebuild it: " + err.Error()
			continue
		}
		if why, err := checkSnapshots(ctx, store, []*snapshotHeader{h}); err != nil {
			return rep, err
		} else if why != "" {
			rep.Skipped[v.Name()] = "not of this log, a server would rebuild it: " + why
			continue
		}
		if tv, ok := v.(tabled); ok {
			if tables == nil {
				rep.Skipped[v.Name()] = "its tables are missing, a server would rebuild it"
				continue
			}
			if err := tables.matches(tv, h); err != nil {
				rep.Skipped[v.Name()] = "a server would rebuild it: " + err.Error()
				continue
			}
		}
		if err := v.UnmarshalSnapshot(bytes.NewReader(payload)); err != nil {
			rep.Skipped[v.Name()] = "undecodable, a server would rebuild it: " + err.Error()
			continue
		}
		if _, ok := v.(readable); ok {
			// Rows (buckets, places) are compared as the JSON they are
			// read into, and must be the very bytes the view writes of
			// what it read: an id or a name kept in a form the view never
			// writes, which reads as the same JSON, differs here. A
			// snapshot in an older form (JSON, the first buckets), which
			// a server reads and rewrites at its next snapshot, is
			// compared as its JSON alone.
			again, err := v.MarshalSnapshot()
			if err != nil {
				return rep, fmt.Errorf("projections: verify views: %w", err)
			}
			if sameForm(again, payload) && !bytes.Equal(again, payload) {
				at := 0
				for at < min(len(again), len(payload)) && again[at] == payload[at] {
					at++
				}
				return rep, &ViewMismatch{View: v.Name(), Position: h.Position, Against: "snapshot",
					Path:   fmt.Sprintf("(its bytes from byte %d, as the view writes what they hold)", at),
					Stored: fmt.Sprintf("%d bytes", len(payload)), Rebuilt: fmt.Sprintf("%d bytes", len(again))}
			}
			if payload, err = readableSnapshot(v); err != nil {
				return rep, fmt.Errorf("projections: verify views: %w", err)
			}
		}
		if tv, ok := v.(tabled); ok {
			// Its entries as of the snapshot, read as a server reads them;
			// the ones the fold changes from there stay in memory.
			bindTables(tv, tables)
			if payload, err = withTables(v, payload, table.stored); err != nil {
				return rep, fmt.Errorf("projections: verify views: %w", err)
			}
		}
		heads[i], payloads[i] = h, payload
		rep.Snapshots[v.Name()] = h.Position
	}
	// compare checks the rebuilt views whose snapshots stand at pos.
	compare := func(pos eventstore.Position) error {
		for i, h := range heads {
			if h == nil || h.Position != pos {
				continue
			}
			rebuilt, err := Dump(fresh.all[i])
			if err != nil {
				return fmt.Errorf("projections: verify views: encode %s: %w", fresh.all[i].Name(), err)
			}
			if !bytes.Equal(rebuilt, payloads[i]) {
				return mismatch(h.View, pos, "snapshot", payloads[i], rebuilt)
			}
			payloads[i] = nil
		}
		return nil
	}
	if err := compare(eventstore.Start); err != nil {
		return rep, err
	}
	for se, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{Filter: domainFilter()}) {
		if err != nil {
			return rep, fmt.Errorf("projections: verify views: read the log after %d: %w", rep.Head, err)
		}
		data, err := decode(se.Type, se.Data)
		if err != nil {
			return rep, &ApplyError{View: "decode", Stream: se.Stream, Revision: se.Revision, Position: se.Position, Type: se.Type, Err: err}
		}
		e := eventOf(se, data)
		for i := range fresh.all {
			if err := fresh.all[i].Apply(e); err != nil {
				return rep, &ApplyError{View: fresh.all[i].Name(), Stream: e.Stream, Revision: e.Revision, Position: e.Position, Type: e.Type, Err: err}
			}
			if h := heads[i]; h == nil || e.Position > h.Position {
				if err := served.all[i].Apply(e); err != nil {
					return rep, &ApplyError{View: served.all[i].Name(), Stream: e.Stream, Revision: e.Revision, Position: e.Position, Type: e.Type, Err: err}
				}
			}
		}
		rep.Events++
		rep.Head = e.Position
		if err := compare(e.Position); err != nil {
			return rep, err
		}
		if progress != nil && rep.Events%100_000 == 0 {
			progress(rep.Events, e.Position)
		}
	}
	for i, h := range heads {
		if h != nil && payloads[i] != nil {
			// The log holds the snapshot's event (checked above) but
			// outside the views' filter: compare at the head instead.
			rep.Skipped[h.View] = fmt.Sprintf("its position %d holds no domain event", h.Position)
		}
	}
	for i := range fresh.all {
		want, err := Dump(fresh.all[i])
		if err != nil {
			return rep, fmt.Errorf("projections: verify views: encode %s: %w", fresh.all[i].Name(), err)
		}
		got, err := Dump(served.all[i])
		if err != nil {
			return rep, fmt.Errorf("projections: verify views: encode %s: %w", served.all[i].Name(), err)
		}
		if !bytes.Equal(got, want) {
			return rep, mismatch(fresh.all[i].Name(), rep.Head, "served view", got, want)
		}
	}
	return rep, nil
}

// mismatch describes the first difference between two JSON encodings.
func mismatch(view string, pos eventstore.Position, against string, stored, rebuilt []byte) *ViewMismatch {
	m := &ViewMismatch{View: view, Position: pos, Against: against, Path: "(the whole view)", Stored: short(stored), Rebuilt: short(rebuilt)}
	var a, b any
	if json.Unmarshal(stored, &a) != nil || json.Unmarshal(rebuilt, &b) != nil {
		return m
	}
	if path, x, y, ok := firstDiff("", a, b); ok {
		m.Path, m.Stored, m.Rebuilt = path, x, y
	}
	return m
}

// firstDiff walks two decoded JSON values in key order and returns the
// path of the first place they differ, with the two values there.
func firstDiff(path string, a, b any) (string, string, string, bool) {
	if reflect.DeepEqual(a, b) {
		return "", "", "", false
	}
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch x := a.(type) {
	case map[string]any:
		if y, ok := b.(map[string]any); ok {
			keys := make([]string, 0, len(x)+len(y))
			for k := range x {
				keys = append(keys, k)
			}
			for k := range y {
				if _, ok := x[k]; !ok {
					keys = append(keys, k)
				}
			}
			sort.Strings(keys)
			for _, k := range keys {
				xv, xok := x[k]
				yv, yok := y[k]
				switch {
				case !xok:
					return join(k), "(absent)", value(yv), true
				case !yok:
					return join(k), value(xv), "(absent)", true
				}
				if p, s, r, ok := firstDiff(join(k), xv, yv); ok {
					return p, s, r, true
				}
			}
		}
	case []any:
		if y, ok := b.([]any); ok {
			for i := range min(len(x), len(y)) {
				if p, s, r, ok := firstDiff(join(strconv.Itoa(i)), x[i], y[i]); ok {
					return p, s, r, true
				}
			}
			if len(x) != len(y) {
				return join("length"), strconv.Itoa(len(x)), strconv.Itoa(len(y)), true
			}
		}
	}
	if path == "" {
		path = "(the whole view)"
	}
	return path, value(a), value(b), true
}

// value shows a decoded JSON value, shortened.
func value(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return short(b)
}

// short cuts a JSON text to a readable length.
func short(b []byte) string {
	const max = 200
	if len(b) <= max {
		return string(b)
	}
	r := []rune(string(b[:max]))
	return string(r[:len(r)-1]) + "…" // the last rune may be cut
}
