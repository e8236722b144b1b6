package projections

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/privacy"
)

// TestDecodedEventsShareNothing: the decoder decodes each type's events
// into runs of its struct, and returns them without a copy; an event
// decoded holds only what its own bytes say (no field of the one before),
// and stays as it was when later events are decoded, on both cores at
// once.
func TestDecodedEventsShareNothing(t *testing.T) {
	d := NewDecoder()
	full, err := d.Decode("proposal.submitted.v1", []byte(`{"proposal_id":"p1","title":"停车线","compound_id":"c1","photos":["a","b"]}`))
	require.NoError(t, err)
	bare, err := d.Decode("proposal.submitted.v1", []byte(`{"proposal_id":"p2","title":"车棚"}`))
	require.NoError(t, err)
	assert.Equal(t, domain.ProposalSubmitted{ProposalID: "p2", Title: "车棚"}, bare, "nothing of the event before")
	assert.Equal(t, domain.ProposalSubmitted{ProposalID: "p1", Title: "停车线", CompoundID: "c1", Photos: []string{"a", "b"}}, full, "unchanged by the next")

	_, err = d.Decode("proposal.submitted.v1", []byte(`{"title": 3}`))
	require.Error(t, err)
	after, err := d.Decode("proposal.submitted.v1", []byte(`{"proposal_id":"p3"}`))
	require.NoError(t, err)
	assert.Equal(t, domain.ProposalSubmitted{ProposalID: "p3"}, after, "nothing of an event that failed")

	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			decoded := make([]domain.Event, 500)
			for i := range decoded {
				id := fmt.Sprintf("p%d-%d", g, i)
				e, err := d.Decode("proposal.submitted.v1", fmt.Appendf(nil, `{"proposal_id":%q,"photos":[%q]}`, id, id))
				if assert.NoError(t, err) {
					assert.Equal(t, domain.ProposalSubmitted{ProposalID: id, Photos: []string{id}}, e)
				}
				decoded[i] = e
			}
			for i, e := range decoded {
				id := fmt.Sprintf("p%d-%d", g, i)
				assert.Equal(t, domain.ProposalSubmitted{ProposalID: id, Photos: []string{id}}, e, "unchanged by the events decoded after it")
			}
		})
	}
	wg.Wait()
}

// TestDecodedEventsAreNotCopied: an event returned refers to its value in
// a run of its type's struct, not to a copy of its own: decoding a vote
// whose strings all repeat the one before allocates far less than once.
func TestDecodedEventsAreNotCopied(t *testing.T) {
	d := NewDecoder()
	vote := []byte(`{"meeting_id":"m1","motion_id":"mo1","voter_id":"r1","cast_by":"r1","option_id":"赞成","secret":false}`)
	e, err := d.Decode("meeting.vote_cast.v1", vote)
	require.NoError(t, err)
	require.Equal(t, domain.VoteCast{MeetingID: "m1", MotionID: "mo1", VoterID: "r1", CastBy: "r1", OptionID: "赞成"}, e)
	if raceDetector {
		t.Skip("allocations are not counted under the race detector: it drops what sync.Pool keeps")
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := d.Decode("meeting.vote_cast.v1", vote); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs, "allocations per event decoded, rounded down: fewer than one")
}

// TestDecodedStringsOwnTheirMemory: the decoder reads strings as references
// into the stored bytes, then gives each memory of its own. An event it
// returns is what the reference decoder makes of the same bytes (sealed
// fields marked as held), and stays so when the bytes it came from are
// written over, as the store's read buffers are.
func TestDecodedStringsOwnTheirMemory(t *testing.T) {
	evs := newGen(3, 40).events(30_000)
	sealer := privacy.NewSealer(privacy.NewMemoryKeys())
	for i := 0; i < len(evs); i += 3 {
		out, err := sealer.Seal(context.Background(), streamOf(t, evs[i]), []domain.Event{evs[i]})
		require.NoError(t, err)
		evs[i] = out[0]
	}
	stored := encode(t, evs)
	// Escapes, long strings, empty ones and repeats in one body.
	long := strings.Repeat("停车棚", 30)
	stored = append(stored, eventstore.Event{Type: "proposal.submitted.v1", Data: fmt.Appendf(nil,
		`{"proposal_id":"p\"1\u4e00","title":%q,"text":"","photos":["a","a",%q,"b\\n"],"author":{"kind":"person","id":"r1","name":%q}}`, long, long, long)})
	d := NewDecoder()
	types := map[string]bool{}
	// Compared after every body is decoded and written over, and after a
	// collection: a string left in any buffer (the body's, or one the
	// decoder reuses) reads otherwise by then.
	var wants, gots []domain.Event
	for _, se := range stored {
		want, err := domain.Decode(se.Type, se.Data)
		require.NoError(t, err)
		p := reflect.New(reflect.TypeOf(want))
		p.Elem().Set(reflect.ValueOf(want))
		require.NoError(t, privacy.MarkInPlace(p.Interface()))
		want = p.Elem().Interface().(domain.Event)

		buf := slices.Clone(se.Data)
		got, err := d.Decode(se.Type, buf)
		require.NoError(t, err)
		for i := range buf {
			buf[i] = 'x'
		}
		wants, gots = append(wants, want), append(gots, got)
		types[se.Type] = true
	}
	runtime.GC()
	for i := range wants {
		require.Equal(t, wants[i], gots[i], "%s: %s", stored[i].Type, stored[i].Data)
	}
	assert.GreaterOrEqual(t, len(types), 30, "types covered")
}

// TestEveryTypeIsWalked: the walk finds every string of every type of the
// catalogue, however deep (filled at random, each string a slice of one
// buffer, none of them left there after it), and refuses what it does not
// follow.
func TestEveryTypeIsWalked(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	in := []byte(strings.Repeat("abcdefghij停车棚", 40))
	d := NewDecoder()
	for _, typ := range domain.EventTypes() {
		zero, err := domain.Decode(typ, []byte("{}"))
		if err != nil || reflect.TypeOf(zero).Kind() != reflect.Struct {
			continue
		}
		plan, err := planStrings(reflect.TypeOf(zero))
		require.NoError(t, err, typ)
		require.NotNil(t, d.types[typ].strs, "%s is decoded with its strings copied by goccy", typ)
		total := 0
		for range 20 {
			p := reflect.New(reflect.TypeOf(zero))
			n := fillStrings(r, p.Elem(), in, 0)
			total += n
			c := new(stringCache)
			plan.own(p.UnsafePointer(), in, c)
			left := 0
			walkStrings(p.Elem(), func(s string) {
				if within(s, in) {
					left++
				}
			})
			require.Zero(t, left, "%s: %d of %d strings still in the input", typ, left, n)
		}
		require.Positive(t, total, typ)
	}
	for _, v := range []any{struct{ M map[string]string }{}, struct{ A []any }{}, struct{ P *string }{}, struct{ C chan string }{}} {
		_, err := planStrings(reflect.TypeOf(v))
		assert.Error(t, err, "%T", v)
	}
}

// fillStrings fills v at random, each string a slice of in, and returns
// how many strings it set.
func fillStrings(r *rand.Rand, v reflect.Value, in []byte, depth int) int {
	switch v.Kind() {
	case reflect.String:
		from := r.IntN(len(in) - 100)
		v.SetString(unsafe.String(&in[from], 1+r.IntN(90)))
		return 1
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return 0
		}
		n := 0
		for i := range v.NumField() {
			n += fillStrings(r, v.Field(i), in, depth+1)
		}
		return n
	case reflect.Slice:
		if depth > 6 {
			return 0
		}
		v.Set(reflect.MakeSlice(v.Type(), r.IntN(4), 4))
		n := 0
		for i := range v.Len() {
			n += fillStrings(r, v.Index(i), in, depth+1)
		}
		return n
	case reflect.Array:
		n := 0
		for i := range v.Len() {
			n += fillStrings(r, v.Index(i), in, depth+1)
		}
		return n
	}
	return 0
}

// walkStrings calls fn on every string of v.
func walkStrings(v reflect.Value, fn func(string)) {
	switch v.Kind() {
	case reflect.String:
		fn(v.String())
	case reflect.Struct:
		for i := range v.NumField() {
			walkStrings(v.Field(i), fn)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walkStrings(v.Index(i), fn)
		}
	}
}

// TestShortStringsOutlastOthersInTheCache: a short id (a grid's) is
// shared again after ten thousand other strings were kept, so that it
// costs one copy over a ledger, not one per event that names it.
func TestShortStringsOutlastOthersInTheCache(t *testing.T) {
	c := new(stringCache)
	// own, as the decoder calls it: with a string goccy decoded without a
	// copy, inside its body.
	own := func(body string) string {
		in := []byte(`"` + body + `"`)
		s := unsafe.String(&in[1], len(body))
		c.own(&s, in)
		c.settle()
		return s
	}
	kept := own("g3851")
	for i := range 10_000 {
		own(fmt.Sprintf("%036d", i))
	}
	got := own("g3851")
	assert.Equal(t, "g3851", got)
	assert.Same(t, unsafe.StringData(kept), unsafe.StringData(got), "the grid's id was copied again")
}

// TestNewStringsShareChunks: the short strings the cache lacks are copied
// out of the input into a chunk that the next events' fill after them (a
// new one when they do not fit), and the cache keeps them; a long one is
// copied on its own.
func TestNewStringsShareChunks(t *testing.T) {
	long := strings.Repeat("停", 30) // longer than cacheLen
	in := []byte("proposal-1|停车棚|g7|" + long)
	at := func(from, n int) string { return unsafe.String(&in[from], n) }
	strs := []string{at(0, 10), at(11, 9), at(21, 2), at(24, len(long))}
	c := new(stringCache)
	own := make([]string, len(strs))
	allocs := testing.AllocsPerRun(1, func() {
		*c = stringCache{missed: c.missed[:0]} // a cache that holds none of them
		copy(own, strs)
		for i := range own {
			c.own(&own[i], in)
		}
		c.settle()
	})
	assert.Equal(t, 2.0, allocs, "one chunk for the short ones, one copy of the long one")
	for i := range in {
		in[i] = 'x'
	}
	assert.Equal(t, []string{"proposal-1", "停车棚", "g7", long}, own)
	assert.Equal(t, unsafe.Add(unsafe.Pointer(unsafe.StringData(own[0])), 10), unsafe.Pointer(unsafe.StringData(own[1])), "one chunk for the short ones")
	assert.Empty(t, c.missed)
	assert.Zero(t, c.missed[:1][0], "the pooled cache keeps no pointer into the event")

	again := []byte("proposal-1")
	s := unsafe.String(&again[0], len(again))
	c.own(&s, again)
	assert.Empty(t, c.missed, "the cache holds what settle copied")
	assert.Same(t, unsafe.StringData(own[0]), unsafe.StringData(s))

	// The next event's new string goes into the same chunk, after the
	// first event's, which it leaves as they were.
	next := []byte("meeting-2")
	m := unsafe.String(&next[0], len(next))
	allocs = testing.AllocsPerRun(1, func() {
		m = unsafe.String(&next[0], len(next))
		c.short, c.slots = [shortSlots]string{}, [cacheSlots]string{}
		c.own(&m, next)
		c.settle()
	})
	assert.Zero(t, allocs, "room left in the chunk")
	assert.Equal(t, "meeting-2", m)
	assert.False(t, within(m, next))
	assert.Equal(t, []string{"proposal-1", "停车棚", "g7", long}, own)

	// Forty new ids of 16 bytes (an electorate's): chunks of 256 bytes,
	// so that a view keeping one keeps no more alive.
	many := []byte(strings.Repeat("0123456789abcdef", 40))
	ids := make([]string, 40)
	allocs = testing.AllocsPerRun(1, func() {
		*c = stringCache{missed: c.missed[:0]}
		for i := range ids {
			ids[i] = unsafe.String(&many[16*i], 16)
			c.own(&ids[i], many)
		}
		c.settle()
	})
	assert.Equal(t, 3.0, allocs, "640 bytes in chunks of 256")
	for i := range ids {
		assert.Equal(t, "0123456789abcdef", ids[i])
		assert.False(t, within(ids[i], many))
		chunk := uintptr(unsafe.Pointer(unsafe.StringData(ids[i/16*16])))
		assert.Equal(t, chunk+uintptr(16*(i%16)), uintptr(unsafe.Pointer(unsafe.StringData(ids[i]))), "sixteen ids to a chunk")
	}
	assert.Equal(t, 128, len(c.chunk))
	assert.Equal(t, settleLen, cap(c.chunk))
}
