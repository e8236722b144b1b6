package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/projections"
)

func TestGenerate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	getenv := func(string) string { return "" }
	gen := func(seed string, events string) (GeneratedIDs, error) {
		out := filepath.Join(dir, "ids-"+seed+".json")
		var stdout, stderr bytes.Buffer
		err := run(ctx, []string{"generate", "--data", dir, "--events", events, "--grids", "20", "--seed", seed,
			"--open-meetings", "3", "--voters", "6", "--writers", "4", "--out", out}, getenv, &stdout, &stderr)
		if err != nil {
			return GeneratedIDs{}, err
		}
		b, err := os.ReadFile(out)
		require.NoError(t, err)
		var ids GeneratedIDs
		require.NoError(t, json.Unmarshal(b, &ids))
		return ids, nil
	}
	first, err := gen("1", "3000")
	require.NoError(t, err)
	assert.GreaterOrEqual(t, first.Events, 3000)
	second, err := gen("2", "1000")
	require.NoError(t, err, "a second seed adds to a ledger that holds events")
	_, err = gen("1", "100")
	require.Error(t, err, "the same seed again names streams that exist")
	assert.Contains(t, err.Error(), "generate: append")

	store, err := pebble.Open(dir)
	require.NoError(t, err)
	defer store.Close()

	// The ledger verifies, holds at least what the two runs wrote, and the
	// stories use the catalogue.
	rep, err := ledger.Verify(ctx, store, nil)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, rep.Events, uint64(first.Events+second.Events))
	types := map[string]int{}
	for ev, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{}) {
		require.NoError(t, err)
		types[ev.Type]++
	}
	for _, typ := range []string{"organisation.grid_created.v1", "proposal.submitted.v1", "proposal.supported.v1", "proposal.put_on_agenda.v1",
		"meeting.attendance_recorded.v1", "meeting.vote_cast.v1", "meeting.voting_closed.v1", "proposal.decided.v1",
		"action.assigned.v1", "action.verified.v1", "proposal.closed.v1"} {
		assert.Positive(t, types[typ], "no %s generated", typ)
	}

	// The projections fold everything without error.
	runner, err := projections.New(store, projections.Config{})
	require.NoError(t, err)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- runner.Run(rctx) }()
	for !runner.Ready() {
		select {
		case err := <-done:
			t.Fatalf("projections stopped: %v", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
	views := runner.Views()
	for _, id := range first.Proposals[:10] {
		story, ok, err := views.Timeline.Of(context.Background(), id, "", 0)
		require.NoError(t, err)
		require.True(t, ok, "timeline of %s", id)
		assert.NotEmpty(t, story.Entries)
	}
	g := first.Grids[0]
	board, err := views.Board.Open(projections.BoardQuery{CommunityID: g.Community})
	require.NoError(t, err)
	assert.NotEmpty(t, board.Items)
	cancel()
	require.NoError(t, <-done)

	// The open motions take votes from their electorates only.
	require.Len(t, first.OpenMotions, 3)
	l := ledger.New(store)
	for _, m := range first.OpenMotions {
		require.Len(t, m.Voters, 6)
		v := m.Voters[0]
		_, err := l.Execute(ctx, domain.CastVote{MeetingID: m.MeetingID, MotionID: m.MotionID, VoterID: v.PersonID, CastBy: v.PersonID, OptionID: m.Options[1]},
			ledger.Actor{ID: v.PersonID, Role: "resident"}, ledger.Options{})
		require.NoError(t, err, "vote by %s on %s", v.PersonID, m.MeetingID)
		_, err = l.Execute(ctx, domain.CastVote{MeetingID: m.MeetingID, MotionID: m.MotionID, VoterID: "stranger", CastBy: "stranger", OptionID: m.Options[0]},
			ledger.Actor{ID: "stranger", Role: "resident"}, ledger.Options{})
		assert.Equal(t, "not_in_electorate", domain.ErrorReason(err))
	}
	_, err = ledger.Verify(ctx, store, nil)
	require.NoError(t, err, "the ledger continues the generated chains")
}

func TestGenerateOpenMeetingsOnly(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "ids.json")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"generate", "--data", dir, "--events", "1", "--grids", "10", "--open-meetings", "40", "--voters", "10", "--out", out},
		func(string) string { return "" }, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	var ids GeneratedIDs
	require.NoError(t, json.Unmarshal(b, &ids))
	assert.Len(t, ids.OpenMotions, 40)
	for _, m := range ids.OpenMotions {
		assert.Len(t, m.Voters, 10)
	}
}

func TestGenerateRefusesBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--events", "0"}, {"--voters", "301"}, {"--grids", "-1"}} {
		var stderr bytes.Buffer
		err := run(context.Background(), append([]string{"generate", "--data", t.TempDir()}, args...), func(string) string { return "" }, &bytes.Buffer{}, &stderr)
		require.Error(t, err, strings.Join(args, " "))
	}
}
