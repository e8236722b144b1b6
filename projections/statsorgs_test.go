package projections

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"sync"
	"testing"

	gojson "github.com/goccy/go-json"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
)

// randomOrgs folds communities, grids, heads, workers (some removed
// again), volunteers and teams of random names into s's organisations,
// and a few buckets, as the ledger's events would.
func randomOrgs(rng *rand.Rand, s *Stats) {
	word := func() string { return []string{"", "东风", "full_time", "part_time", "x\"y"}[rng.IntN(5)] }
	for c := range 9 {
		community := fmt.Sprintf("c%d", rng.IntN(40)) // some registered twice
		s.applyOrganisation(domain.CommunityRegistered{CommunityID: community, Kind: word(), Street: word()})
		for g := range rng.IntN(4) {
			grid := fmt.Sprintf("g%d", g)
			s.applyOrganisation(domain.GridCreated{CommunityID: community, GridID: grid, Kind: word()})
			if rng.IntN(2) == 0 {
				s.applyOrganisation(domain.GridHeadAppointed{CommunityID: community, GridID: grid, PersonID: fmt.Sprint("head-", c)})
			}
			for w := range rng.IntN(4) {
				s.applyOrganisation(domain.GridWorkerAssigned{CommunityID: community, GridID: grid, PersonID: fmt.Sprint("w", w), Employment: word()})
			}
			if rng.IntN(3) == 0 {
				s.applyOrganisation(domain.GridWorkerRemoved{CommunityID: community, GridID: grid, PersonID: "w0"})
			}
			for range rng.IntN(3) {
				s.applyOrganisation(domain.VolunteerRegistered{CommunityID: community, GridID: grid})
			}
		}
		for range rng.IntN(3) {
			s.applyOrganisation(domain.VolunteerTeamFormed{CommunityID: community})
		}
		s.bucketIn(community, "g0", "2026-07").Solved++
	}
}

// TestOrgsReadBackAsWritten checks the statistics' organisations in their
// snapshot: read back, the same JSON and the same bytes; the first
// version, with the organisations as JSON, is still read.
func TestOrgsReadBackAsWritten(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 3))
	for range 20 {
		s := newStats(&sync.RWMutex{})
		randomOrgs(rng, s)
		want, err := s.snapshotJSON()
		require.NoError(t, err)
		snap, err := s.MarshalSnapshot()
		require.NoError(t, err)
		read := newStats(&sync.RWMutex{})
		require.NoError(t, read.UnmarshalSnapshot(bytes.NewReader(snap)))
		got, err := read.snapshotJSON()
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))
		again, err := read.MarshalSnapshot()
		require.NoError(t, err)
		require.Equal(t, snap, again)

		orgs, err := gojson.Marshal(s.st.Orgs)
		require.NoError(t, err)
		v1 := binary.AppendUvarint([]byte(bucketsMagicV1), uint64(len(orgs)))
		w := &snapshotWriter{buf: append(v1, orgs...)}
		s.st.Buckets.writeBinaryV2(w)
		v1 = w.buf
		old := newStats(&sync.RWMutex{})
		require.NoError(t, old.UnmarshalSnapshot(bytes.NewReader(v1)), "the first version")
		got, err = old.snapshotJSON()
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))
	}
}

// TestDamagedOrgsAreRefused: every cut of a statistics' snapshot with
// organisations is refused, a changed byte is refused or read into
// statistics whose JSON reads back, and communities, grids or workers out
// of order, text left over and an unknown version are refused by name.
func TestDamagedOrgsAreRefused(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 4))
	s := newStats(&sync.RWMutex{})
	randomOrgs(rng, s)
	refusedOrWhole(t, rng, s, func() View { return newStats(&sync.RWMutex{}) })

	// One community "c", of no kind or street, no volunteers or teams, and
	// one grid "g" with one worker "w" of employment "e"; then no place,
	// month, word or bucket, as the second version wrote them (the
	// organisations are written and read as they were since).
	snap := func(text string, shape ...uint64) []byte {
		var w textWriter
		w.text = []byte(text)
		w.num(shape...)
		s := &snapshotWriter{buf: []byte(bucketsMagicV2)}
		w.writeTo(s)
		return append(s.buf, 0, 0, 0, 0)
	}
	read := func(b []byte) error { return newStats(&sync.RWMutex{}).UnmarshalSnapshot(bytes.NewReader(b)) }
	one := func(text string) []byte { return snap(text, 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1) }
	require.NoError(t, read(one("cgwe")))
	assert.ErrorContains(t, read(one("cgwex")), "text left over")
	assert.ErrorContains(t, read(snap("cbgwe", 2, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1)), `community "b" out of order`)
	assert.ErrorContains(t, read(snap("cgf", 1, 1, 0, 0, 0, 0, 2, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0)), `grid "f" of "c" out of order`)
	assert.ErrorContains(t, read(snap("cgwev", 1, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 2, 1, 1, 1, 0)), `worker "v" of "g" out of order`)
	unknown := one("cgwe")
	copy(unknown[len(bucketsPrefix):], "9\n")
	assert.ErrorContains(t, read(unknown), `version "9\n"`)
}

// TestOrgsTheFoldNeverMakesAreRefused: organisations read from JSON (a
// first-version snapshot's) with a null community or grid, or a
// community's grids null, are refused; and a header's negative count of
// buckets (it is not under the checksum) makes no set at that size.
func TestOrgsTheFoldNeverMakesAreRefused(t *testing.T) {
	v1 := func(orgs string) []byte {
		b := binary.AppendUvarint([]byte(bucketsMagicV1), uint64(len(orgs)))
		return append(append(b, orgs...), 0, 0, 0, 0) // no place, month, word or bucket
	}
	read := func(b []byte) error { return newStats(&sync.RWMutex{}).UnmarshalSnapshot(bytes.NewReader(b)) }
	require.NoError(t, read(v1(`{"c":{"k":"","s":"","g":{"g1":{"k":""}}}}`)))
	for _, orgs := range []string{`{"c":null}`, `{"c":{"k":"","s":"","g":null}}`, `{"c":{"k":"","s":"","g":{"g1":null}}}`} {
		assert.ErrorContains(t, read(v1(orgs)), "null", orgs)
	}

	s := newStats(&sync.RWMutex{})
	randomOrgs(rand.New(rand.NewPCG(20, 5)), s)
	payload, err := s.snapshotJSON()
	require.NoError(t, err)
	h := &snapshotHeader{Size: len(payload), CRC32C: crc32.Checksum(payload, castagnoli), Sizes: map[string]int{"buckets": -1}}
	require.NoError(t, newStats(&sync.RWMutex{}).UnmarshalSnapshot(&checkedReader{r: bytes.NewReader(payload), crc: crc32.New(castagnoli), h: h}))
	empty := newBucketSet(-5)
	assert.Zero(t, empty.len())
}

// TestWorkersAreTheirMap checks a grid's workers against the map they
// were kept in: random assignments and removals give the same workers,
// written byte for byte as goccy/go-json wrote the map (names with
// quotes, HTML and Chinese), and read back from the map's JSON (a person
// given twice keeps the last employment; null is none).
func TestWorkersAreTheirMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 6))
	names := []string{"", "p1", "p2", "张三", "<b>&", `q"uote`, "p10", "p9"}
	for range 300 {
		var ws statWorkers
		model := map[string]string{}
		for range rng.IntN(20) {
			person, employment := names[rng.IntN(len(names))], names[rng.IntN(len(names))]
			if rng.IntN(3) == 0 {
				ws.remove(person)
				delete(model, person)
				continue
			}
			ws.set(person, employment)
			model[person] = employment
		}
		require.Len(t, ws, len(model))
		for _, w := range ws {
			require.Equal(t, model[w.Person], w.Employment)
		}
		want, err := gojson.Marshal(model)
		require.NoError(t, err)
		got, err := ws.MarshalJSON()
		require.NoError(t, err)
		require.Equal(t, string(want), string(got))
		var back statWorkers
		require.NoError(t, back.UnmarshalJSON(want))
		require.Equal(t, len(ws), len(back))
		if len(ws) > 0 {
			require.Equal(t, ws, back)
		}
	}
	var back statWorkers
	require.NoError(t, back.UnmarshalJSON([]byte(`{"p1":"full_time","p0":"part_time","p1":"part_time"}`)))
	assert.Equal(t, statWorkers{{"p0", "part_time"}, {"p1", "part_time"}}, back)
	require.NoError(t, back.UnmarshalJSON([]byte(`null`)))
	assert.Nil(t, back)
}

// TestWorkersReadFromASnapshotGrowApart: the grids' workers read from a
// snapshot are cut from one slab; a worker assigned to one grid after
// the load does not reach the next grid's.
func TestWorkersReadFromASnapshotGrowApart(t *testing.T) {
	s := newStats(&sync.RWMutex{})
	s.applyOrganisation(domain.CommunityRegistered{CommunityID: "c"})
	for _, g := range []string{"g1", "g2"} {
		s.applyOrganisation(domain.GridCreated{CommunityID: "c", GridID: g})
		s.applyOrganisation(domain.GridWorkerAssigned{CommunityID: "c", GridID: g, PersonID: g + "-w", Employment: "full_time"})
	}
	snap, err := s.MarshalSnapshot()
	require.NoError(t, err)
	back := newStats(&sync.RWMutex{})
	require.NoError(t, back.UnmarshalSnapshot(bytes.NewReader(snap)))
	back.applyOrganisation(domain.GridWorkerAssigned{CommunityID: "c", GridID: "g1", PersonID: "g1-x", Employment: "part_time"})
	assert.Equal(t, statWorkers{{"g1-w", "full_time"}, {"g1-x", "part_time"}}, back.st.Orgs["c"].Grids["g1"].Workers)
	assert.Equal(t, statWorkers{{"g2-w", "full_time"}}, back.st.Orgs["c"].Grids["g2"].Workers)
}
