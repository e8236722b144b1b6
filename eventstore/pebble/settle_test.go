package pebble

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/yishi-civic/yishi/eventstore"
)

// TestCloseLeavesNoCompactionDue: a burst of appends leaves pebble
// compactions due; Close lets them run, so that the next Open (which waits
// for the compactions under way as it opens) has none to start.
func TestCloseLeavesNoCompactionDue(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	ctx := context.Background()
	body := json.RawMessage(fmt.Sprintf(`{"text":%q}`, strings.Repeat("停车棚夹道 ", 40)))
	var g errgroup.Group
	for w := range 16 {
		g.Go(func() error {
			for i := range 40 {
				evs := make([]eventstore.EventData, 100)
				for j := range evs {
					evs[j] = eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "proposal.submitted.v1", Data: body, Marshalled: true}
				}
				if _, err := s.Append(ctx, fmt.Sprintf("proposal-%d-%d", w, i), eventstore.NoStream(), evs...); err != nil {
					return err
				}
			}
			return nil
		})
	}
	require.NoError(t, g.Wait())
	require.NoError(t, s.Close())

	o := pebbleOptions(newSpace(dir, config{}))
	o.DisableAutomaticCompactions = true
	db, err := pebble.Open(dir+"/pebble", o)
	require.NoError(t, err)
	defer db.Close()
	m := db.Metrics()
	require.False(t, compacting(m), "compactions due after Close:\n%s", m)
	tables := int64(0)
	for _, l := range m.Levels {
		tables += l.TablesCount
	}
	require.Positive(t, tables, "the appends are in tables")
}

// TestTheLogCollectsNoTableStats: the log deletes nothing, so the table
// statistics pebble collects for its compactions of tombstones would only
// open every table file after each open (docs/performance.md, twentieth
// session). Reopened on tables, the store's pebble collects none, where
// pebble's default options do.
func TestTheLogCollectsNoTableStats(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	require.NoError(t, err)
	body := json.RawMessage(`{"text":"clear the bicycle-shed passage"}`)
	for i := range 20 {
		evs := make([]eventstore.EventData, 50)
		for j := range evs {
			evs[j] = eventstore.EventData{ID: uuid.Must(uuid.NewV7()), Type: "proposal.submitted.v1", Data: body, Marshalled: true}
		}
		_, err := s.Append(context.Background(), fmt.Sprintf("proposal-%d", i), eventstore.NoStream(), evs...)
		require.NoError(t, err)
	}
	require.NoError(t, s.Close()) // flushed into tables

	collected := func(o *pebble.Options, wait time.Duration) bool {
		db, err := pebble.Open(dir+"/pebble", o)
		require.NoError(t, err)
		defer func() { require.NoError(t, db.Close()) }()
		tables := int64(0)
		for _, l := range db.Metrics().Levels {
			tables += l.TablesCount
		}
		require.Positive(t, tables, "the appends are in tables")
		deadline := time.Now().Add(wait)
		for time.Now().Before(deadline) {
			if db.Metrics().Table.InitialStatsCollectionComplete {
				return true
			}
			time.Sleep(5 * time.Millisecond)
		}
		return false
	}
	o := pebbleOptions(newSpace(dir, config{}))
	assert.False(t, collected(o, 500*time.Millisecond), "the store's options")
	o = pebbleOptions(newSpace(dir, config{}))
	o.DisableTableStats = false
	assert.True(t, collected(o, 10*time.Second), "pebble's default")
}
