package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/blob"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/kurrent/kurrenttest"
	"github.com/yishi-civic/yishi/privacy"
	"github.com/yishi-civic/yishi/projections"
)

// viewsOf builds every view of the store spec names, personal data opened
// with the key store in keys, as of at, and returns each view's encoded
// state by name.
func viewsOf(t *testing.T, spec, keys string, at projections.AsOf) map[string]string {
	t.Helper()
	ctx := context.Background()
	s, _, err := openStoreReadOnly(ctx, spec)
	require.NoError(t, err)
	defer s.Close()
	kd, err := privacy.OpenKeyDir(keys, privacy.ReadOnly())
	require.NoError(t, err)
	defer kd.Close()
	sealer := privacy.NewSealer(kd)
	r, err := projections.New(s, projections.Config{})
	require.NoError(t, err)
	views, err := r.AsOf(ctx, at)
	require.NoError(t, err)
	out := map[string]string{}
	for _, v := range views.List() {
		// The tables of a view, beside its snapshot.
		dump, err := projections.Dump(v)
		require.NoError(t, err)
		b := dump // a view without tables: its snapshot, as JSON
		var doc map[string]json.RawMessage
		if json.Unmarshal(dump, &doc) == nil && doc["snapshot"] != nil {
			b = doc["snapshot"]
			delete(doc, "snapshot")
			// The stories (by proposal), inboxes (notes, by person) and
			// meetings' steps hold positions, which differ between
			// stores: the stories are compared as told below, the
			// inboxes and meetings as they read.
			delete(doc, "stories")
			tables, err := json.Marshal(doc)
			require.NoError(t, err)
			switch v.Name() {
			case "notifications":
				tables = inboxesOf(t, views, tables)
			case "live":
				tables = meetingsOf(t, views, tables)
			}
			tables, err = sealer.OpenJSON(ctx, tables)
			require.NoError(t, err)
			out[v.Name()+" tables"] = string(tables)
		}
		if v.Name() == "timeline" {
			// The timeline keeps the positions of its steps: compare the
			// stories it tells.
			b = storiesOf(t, views, dump)
		}
		// Opened as a reader reads it: a copy's values are sealed anew.
		b, err = sealer.OpenJSON(ctx, b)
		require.NoError(t, err)
		out[v.Name()] = string(b)
	}
	return out
}

// asRead returns tables, a view's tables (projections.Dump without its
// snapshot), with the table field, keyed by person or meeting, whose
// values hold positions (which differ between stores), replaced by what
// read says each key reads as.
func asRead[T any](t *testing.T, tables []byte, field string, read func(key string) (T, error)) []byte {
	t.Helper()
	var st map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(tables, &st))
	var keyed map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(st[field], &keyed))
	out := map[string]T{}
	for k := range keyed {
		v, err := read(k)
		require.NoError(t, err, k)
		out[k] = v
	}
	b, err := json.Marshal(out)
	require.NoError(t, err)
	st[field] = b
	b, err = json.Marshal(st)
	require.NoError(t, err)
	return b
}

// inboxesOf returns the outbox's tables with every inbox as it reads.
func inboxesOf(t *testing.T, views *projections.Views, tables []byte) []byte {
	return asRead(t, tables, "notes", func(person string) (projections.Inbox, error) {
		return views.Notifications.Inbox(context.Background(), person, projections.MaxLimit)
	})
}

// meetingsOf returns the live view's tables with every meeting it has
// steps of as it reads.
func meetingsOf(t *testing.T, views *projections.Views, tables []byte) []byte {
	return asRead(t, tables, "steps", func(id string) (projections.MeetingState, error) {
		m, ok, err := views.Live.Meeting(context.Background(), id)
		if err == nil && !ok {
			err = fmt.Errorf("no meeting %s", id)
		}
		return m, err
	})
}

// storiesOf returns every story the timeline tells whose dump
// (projections.Dump) is dump, read page by page, as JSON.
func storiesOf(t *testing.T, views *projections.Views, dump []byte) []byte {
	t.Helper()
	var st struct {
		Stories map[string]json.RawMessage `json:"stories"`
	}
	require.NoError(t, json.Unmarshal(dump, &st))
	require.NotEmpty(t, st.Stories, "the timeline's dump holds its stories")
	ids := slices.Sorted(maps.Keys(st.Stories))
	stories := map[string][]projections.Entry{}
	for _, id := range ids {
		for after := ""; ; {
			page, ok, err := views.Timeline.Of(context.Background(), id, after, 7)
			require.NoError(t, err)
			require.True(t, ok, id)
			stories[id] = append(stories[id], page.Entries...)
			if after = page.Next; after == "" {
				break
			}
		}
	}
	b, err := json.Marshal(stories)
	require.NoError(t, err)
	return b
}

// recordedTimes returns the recorded time of every event of the store.
func recordedTimes(t *testing.T, spec string) []time.Time {
	t.Helper()
	s, _, err := openStoreReadOnly(context.Background(), spec)
	require.NoError(t, err)
	defer s.Close()
	var out []time.Time
	for ev, err := range s.ReadAll(context.Background(), eventstore.ReadAllOptions{}) {
		require.NoError(t, err)
		out = append(out, ev.Recorded)
	}
	return out
}

// positions matches the global positions a view quotes (a decision quotes
// its events' too; the timeline's steps keep theirs under "p").
var positions = regexp.MustCompile(`"(position|p)":[0-9]+|"events":\[[0-9,]*\]`)

// TestExportImportIsTheSameLedger exports a generated ledger with its
// keys, imports it into a new embedded store and into KurrentDB (the test
// server), and finds the same events (import checks every field of each
// against the file, verify the chains) and the same views, at the head
// and as of a moment inside the history: recorded times travel.
func TestExportImportIsTheSameLedger(t *testing.T) {
	dir := buildLedger(t, "400")
	tmp := t.TempDir()
	file, keyFile, blobDir := filepath.Join(tmp, "ledger.jsonl"), filepath.Join(tmp, "keys.jsonl"), filepath.Join(tmp, "attachments")
	// A photo, stored as the service stores it (an opaque object here).
	photos, err := blob.OpenDir(filepath.Join(dir, "attachments"))
	require.NoError(t, err)
	const photo = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	require.NoError(t, photos.Put(context.Background(), photo, []byte("yishi-blob:v1 sealed bytes")))
	var stderr strings.Builder
	require.NoError(t, run(context.Background(), []string{"export", "--store", dir, "--out", file, "--with-keys", keyFile, "--with-blobs", blobDir},
		func(string) string { return "" }, io.Discard, &stderr))
	assert.Contains(t, stderr.String(), "exported 1 attachments to "+blobDir)

	times := recordedTimes(t, dir)
	middle := projections.AsOf{Time: times[len(times)/2]}
	want, wantThen := viewsOf(t, dir, filepath.Join(dir, "keys"), projections.AsOf{}), viewsOf(t, dir, filepath.Join(dir, "keys"), middle)
	require.NotEqual(t, want, wantThen, "the moment is inside the history")

	srv := kurrenttest.MustStart(t)
	for name, target := range map[string]struct {
		spec, keys string
		// ownPositions: the store assigns positions of its own (KurrentDB's
		// commit positions), which the views quote.
		ownPositions bool
	}{
		"embedded":  {filepath.Join(tmp, "imported"), "", false},
		"kurrentdb": {srv.ConnectionString(), filepath.Join(tmp, "kurrent-keys"), true},
	} {
		t.Run(name, func(t *testing.T) {
			args := []string{"import", "--store", target.spec, "--with-keys", keyFile, "--with-blobs", blobDir}
			keys, blobs := filepath.Join(target.spec, "keys"), filepath.Join(target.spec, "attachments")
			if target.keys != "" {
				blobs = filepath.Join(tmp, "kurrent-attachments")
				args, keys = append(args, "--keys", target.keys, "--blobs", "file://"+blobs), target.keys
			}
			out := yishiOK(t, append(args, file)...)
			assert.Regexp(t, `imported \d+ events`, out)
			assert.Contains(t, out, "imported 1 attachments")
			imported, err := blob.OpenDir(blobs)
			require.NoError(t, err)
			b, err := imported.Get(context.Background(), photo)
			require.NoError(t, err, "the photo is in the import's attachment store")
			assert.Equal(t, "yishi-blob:v1 sealed bytes", string(b))
			assert.Contains(t, out, "OK: ")
			assert.Contains(t, out, "the store reads back the file's")
			assert.Equal(t, times, recordedTimes(t, target.spec))
			same := func(want, got map[string]string, when string) {
				t.Helper()
				require.Len(t, got, len(want))
				for view := range want {
					w, g := want[view], got[view]
					if target.ownPositions {
						w, g = positions.ReplaceAllString(w, "#"), positions.ReplaceAllString(g, "#")
					}
					assert.Equal(t, w, g, "view %s %s", view, when)
				}
			}
			same(want, viewsOf(t, target.spec, keys, projections.AsOf{}), "at the head")
			same(wantThen, viewsOf(t, target.spec, keys, middle), "as of a time inside the history")

			got, err := yishi(t, "import", "--store", target.spec, file)
			require.Error(t, err, got)
			assert.Contains(t, err.Error(), "already holds events")
		})
	}

	// A line that does not parse is named, and nothing after it written.
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	lines := strings.SplitAfter(string(b), "\n")
	broken := filepath.Join(tmp, "broken.jsonl")
	require.NoError(t, os.WriteFile(broken, []byte(strings.Join(lines[:5], "")+"{not json\n"+strings.Join(lines[5:], "")), 0o600))
	got, err := yishi(t, "import", "--store", filepath.Join(tmp, "broken"), broken)
	require.Error(t, err, got)
	assert.Contains(t, err.Error(), "event 6")
}
