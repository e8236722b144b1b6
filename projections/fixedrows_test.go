package projections

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unsafe"

	gojson "github.com/goccy/go-json"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/eventstore"
)

// mappedFrom returns the file the memory at p is mapped from, "" for
// memory of no file (the heap, anonymous room).
func mappedFrom(t *testing.T, p unsafe.Pointer) string {
	t.Helper()
	f, err := os.Open("/proc/self/maps")
	require.NoError(t, err)
	defer f.Close()
	at := uintptr(p)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var lo, hi uintptr
		var rest string
		fields := strings.Fields(sc.Text())
		if _, err := fmt.Sscanf(fields[0], "%x-%x", &lo, &hi); err != nil || at < lo || at >= hi {
			continue
		}
		if len(fields) >= 6 {
			rest = fields[5]
		}
		return rest
	}
	require.NoError(t, sc.Err())
	return ""
}

// The board's, the outcomes' and the register's rows are read in place
// from their snapshot files: the fold then changes them (in the process's own copy
// of each page it writes, never in the file) and adds rows after them, in
// the room mapped after the file and then, once that is full, on the
// heap; every step leaves the views as a fold of the whole log makes
// them.
func TestFixedRowsAreReadInPlaceFromTheirSnapshots(t *testing.T) {
	s, dir := mustOpenStore(t), t.TempDir()
	g := newGen(23, 4)
	pos := mustAppend(t, s, g.events(800))
	r := mustNew(t, s, Config{Dir: dir})
	require.NoError(t, runUntil(t, r, pos[len(pos)-1]))
	require.NoError(t, r.Close())
	// Each file as it was, and open: the snapshots the runner writes
	// later are new files renamed over these, which stay as they are.
	files, opened := map[string][]byte{}, map[string]*os.File{}
	for _, name := range []string{"board", "outcomes", "register", "stats"} {
		f, err := os.Open(filepath.Join(dir, name+".snap"))
		require.NoError(t, err)
		t.Cleanup(func() { f.Close() })
		b, err := io.ReadAll(f)
		require.NoError(t, err)
		require.Contains(t, string(b), map[bool]string{true: bucketsMagic, false: fixedRowsMagic}[name == "stats"])
		files[name], opened[name] = b, f
	}

	again := mustNew(t, s, Config{Dir: dir})
	v := again.Views()
	rowsOf := func() map[string]unsafe.Pointer {
		v.mu.RLock()
		defer v.mu.RUnlock()
		return map[string]unsafe.Pointer{
			"board":    unsafe.Pointer(unsafe.SliceData(v.Board.heads.rows)),
			"outcomes": unsafe.Pointer(unsafe.SliceData(v.Outcomes.heads.rows)),
			"register": unsafe.Pointer(unsafe.SliceData(v.Register.heads.rows)),
		}
	}
	sizes := func() map[string]int {
		v.mu.RLock()
		defer v.mu.RUnlock()
		return map[string]int{"board": len(v.Board.heads.rows), "outcomes": len(v.Outcomes.heads.rows), "register": len(v.Register.heads.rows)}
	}
	loaded := sizes()
	for name, p := range rowsOf() {
		require.Positive(t, loaded[name])
		assert.Equal(t, filepath.Join(dir, name+".snap"), mappedFrom(t, p), "%s's rows read in place", name)
	}
	// The statistics' buckets stay where they were read, those made later
	// in blocks of their own; their tallies grow into the room after them.
	buckets := func() (base unsafe.Pointer, made int, tallies unsafe.Pointer, n int) {
		v.mu.RLock()
		defer v.mu.RUnlock()
		set := &v.Stats.st.Buckets
		return unsafe.Pointer(unsafe.SliceData(set.rows.base)), set.rows.n - len(set.rows.base),
			unsafe.Pointer(unsafe.SliceData(set.tallies.vals)), len(set.tallies.vals)
	}
	base, made, tallies, _ := buckets()
	require.NotZero(t, base)
	statsFile := filepath.Join(dir, "stats.snap")
	assert.Equal(t, statsFile, mappedFrom(t, base), "the buckets read in place")
	assert.Equal(t, statsFile, mappedFrom(t, tallies), "the tallies read in place")
	assert.Zero(t, made)
	v.mu.RLock()
	room := cap(v.Stats.st.Buckets.tallies.vals)
	v.mu.RUnlock()
	folded := func() map[string]string {
		fresh := mustNew(t, s, Config{})
		require.NoError(t, runUntil(t, fresh, pos[len(pos)-1]))
		return state(t, fresh.Views())
	}

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- again.Run(ctx) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			require.NoError(t, ignoreCanceled(<-done))
		}
	}
	defer stop()

	// A few more events: rows change and a few are added, into the room
	// after the file.
	pos = mustAppend(t, s, g.events(830)[800:])
	require.NoError(t, again.WaitFor(ctx, pos[len(pos)-1]))
	assert.Equal(t, folded(), state(t, again.Views()))
	grew := false
	for name, p := range rowsOf() {
		grew = grew || sizes()[name] > loaded[name]
		if sizes()[name] <= loaded[name]+loaded[name]/8 {
			assert.Equal(t, filepath.Join(dir, name+".snap"), mappedFrom(t, p), "%s's rows still in place", name)
		}
	}
	assert.True(t, grew, "rows added after those read in place")
	now, _, at, n := buckets()
	require.LessOrEqual(t, n, room, "a few more tallies fit in the room")
	assert.Equal(t, base, now)
	assert.Equal(t, tallies, at, "the tallies still in place")
	v.mu.RLock()
	checkTallies(t, &v.Stats.st.Buckets)
	v.mu.RUnlock()

	// Many more: past the room, the rows move to the heap.
	pos = mustAppend(t, s, g.events(1600)[830:])
	require.NoError(t, again.WaitFor(ctx, pos[len(pos)-1]))
	assert.Equal(t, folded(), state(t, again.Views()))
	moved := 0
	for name, p := range rowsOf() {
		if sizes()[name] > loaded[name]+loaded[name]/8 {
			assert.Empty(t, mappedFrom(t, p), "%s's rows moved out", name)
			moved++
		}
	}
	assert.Positive(t, moved, "rows added past the room after those read in place")
	now, _, at, n = buckets()
	assert.Equal(t, statsFile, mappedFrom(t, now), "the buckets read in place stay")
	require.Greater(t, n, room)
	assert.Empty(t, mappedFrom(t, at), "the tallies moved out past the room")
	for name, b := range files {
		now, err := io.ReadAll(io.NewSectionReader(opened[name], 0, int64(len(b))+1))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(b, now), "%s's snapshot file never written through its mapping", name)
	}

	// And the next start reads what this one wrote.
	want := state(t, again.Views())
	stop()
	require.NoError(t, again.Close())
	third := mustNew(t, s, Config{Dir: dir})
	assert.Equal(t, want, state(t, third.Views()))
	assert.Equal(t, pos[len(pos)-1], third.Position())
}

// A snapshot file whose payload does not lie at a multiple of eight bytes
// in it (its header line of another length) is read too: its rows are
// copied, not read in place.
func TestFixedRowsOutOfAlignmentAreCopied(t *testing.T) {
	s, dir := mustOpenStore(t), t.TempDir()
	pos := mustAppend(t, s, newGen(29, 3).events(300))
	r := mustNew(t, s, Config{Dir: dir})
	require.NoError(t, runUntil(t, r, pos[len(pos)-1]))
	want := state(t, r.Views())
	require.NoError(t, r.Close())
	path := filepath.Join(dir, "outcomes.snap")
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	header, payload, ok := bytes.Cut(b, []byte("\n"))
	require.True(t, ok)
	header = bytes.TrimRight(header, " ")
	for (len(header)+1)%rowAlign != 3 {
		header = append(header, ' ')
	}
	require.NoError(t, os.WriteFile(path, append(append(header, '\n'), payload...), 0o600))

	again := mustNew(t, s, Config{Dir: dir})
	assert.Equal(t, pos[len(pos)-1], again.Position(), "every view restored")
	assert.Equal(t, want, state(t, again.Views()))
	v := again.Views()
	assert.Empty(t, mappedFrom(t, unsafe.Pointer(unsafe.SliceData(v.Outcomes.heads.rows))), "copied")
	assert.Equal(t, filepath.Join(dir, "register.snap"), mappedFrom(t, unsafe.Pointer(unsafe.SliceData(v.Register.heads.rows))))
}

// Fixed rows are checked as rows of numbers are: a number past its
// dictionary, an id that is neither a UUID nor numbered, rows out of
// position order, rows of another layout, or bytes after the rows are
// refused.
func TestFixedRowsAreChecked(t *testing.T) {
	good := func() *Outcomes {
		o := NewViews().Outcomes
		for i := range 5 {
			o.heads.add(uuid.NewString(), outcomeHead{
				community: o.heads.places.of("c"), grid: o.heads.places.of(fmt.Sprint("g", i)),
				status: o.heads.words.of("open"), ProposalID: o.heads.ident("not-a-uuid"), Position: eventstore.Position(i + 1),
			})
		}
		return o
	}
	read := func(snap []byte) error { return NewViews().Outcomes.UnmarshalSnapshot(bytes.NewReader(snap)) }
	snap, err := good().MarshalSnapshot()
	require.NoError(t, err)
	require.NoError(t, read(snap))

	for name, c := range map[string]struct {
		change func(o *Outcomes)
		want   string
	}{
		"a number past its dictionary": {func(o *Outcomes) { o.heads.rows[2].head.grid = 99 }, "a number not in its dictionary"},
		"a negative number":            {func(o *Outcomes) { o.heads.rows[0].head.status = -1 }, "a number not in its dictionary"},
		"an id not numbered": {func(o *Outcomes) {
			o.heads.rows[1].head.MeetingID = identOf("x", &dictionary{names: make([]string, 9)})
		}, "an id not in its dictionary"},
		"rows out of order": {func(o *Outcomes) { o.heads.rows[3].head.Position = 1 }, "out of position order"},
	} {
		o := good()
		c.change(o)
		snap, err := o.MarshalSnapshot()
		require.NoError(t, err)
		assert.ErrorContains(t, read(snap), c.want, name)
	}

	l := layoutOf[headRow[ident, outcomeHead]]()
	fp := binary.LittleEndian.AppendUint64(nil, l.fingerprint)
	at := bytes.Index(snap, fp)
	require.Positive(t, at)
	other := bytes.Clone(snap)
	other[at] ^= 1
	assert.ErrorContains(t, read(other), "rows laid out as this build does not", "another layout")
	assert.ErrorContains(t, read(append(bytes.Clone(snap), 0)), "after the last row")
	assert.Error(t, read(snap[:len(snap)-1]), "a row cut short")
}

// A row's layout is found from its type: the register's rows have padding,
// written as zeros whatever memory holds there, and a head with a
// pointer cannot be kept in fixed rows.
func TestFixedRowLayout(t *testing.T) {
	l := layoutOf[headRow[identPair, decisionHead]]()
	require.NotEmpty(t, l.zeroed, "decisionHead's padding before its position")
	assert.Equal(t, int(unsafe.Sizeof(headRow[identPair, decisionHead]{})), l.size)
	assert.Empty(t, layoutOf[headRow[ident, outcomeHead]]().zeroed)
	assert.NotEqual(t, l.fingerprint, layoutOf[headRow[ident, outcomeHead]]().fingerprint)
	assert.Panics(t, func() { layoutOf[struct{ marks []actionMark }]() }, "a slice is a pointer")
	assert.NotPanics(t, func() { layoutOf[headRow[ident, boardHead]]() }, "a board head's actions are a span of its heads' marks")

	reg := NewViews().Register
	reg.heads.add(uuid.NewString()+"/"+uuid.NewString(), decisionHead{community: reg.heads.places.of("c"), grid: reg.heads.places.of("g"), Position: 7})
	row := bytesOf(reg.heads.rows)
	for _, p := range l.zeroed {
		for i := p[0]; i < p[1]; i++ {
			row[i] = 0xff
		}
	}
	snap, err := reg.MarshalSnapshot()
	require.NoError(t, err)
	at := bytes.Index(snap, []byte(fixedRowsMagic))
	require.Positive(t, at)
	written := snap[len(snap)-l.size:]
	for _, p := range l.zeroed {
		assert.Equal(t, make([]byte, p[1]-p[0]), written[p[0]:p[1]], "padding written as zeros")
	}
	fresh := NewViews().Register
	require.NoError(t, fresh.UnmarshalSnapshot(bytes.NewReader(snap)))
	again, err := fresh.MarshalSnapshot()
	require.NoError(t, err)
	assert.Equal(t, snap, again)
}

// ignoreCanceled is err, nil for a run stopped by its context.
func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// appendBinary appends h to a snapshot of rows of numbers, as the builds
// before fixed rows wrote the outcomes' heads (still read).
func (h *outcomeHead) appendBinary(out []byte) []byte {
	for _, n := range [...]int32{h.community, h.grid, h.owner, h.status} {
		out = binary.AppendUvarint(out, uint64(n))
	}
	out = h.MeetingID.appendBinary(h.ProposalID.appendBinary(out))
	out = binary.AppendVarint(binary.AppendVarint(out, h.Due), h.DueUnix)
	return binary.AppendUvarint(out, uint64(h.Position))
}

// appendBinary appends h to a snapshot of rows of numbers, as the builds
// before fixed rows wrote the register's heads (still read).
func (h *decisionHead) appendBinary(out []byte) []byte {
	for _, n := range [...]int32{h.community, h.grid, h.how} {
		out = binary.AppendUvarint(out, uint64(n))
	}
	out = h.ProposalID.appendBinary(h.MeetingID.appendBinary(out))
	return binary.AppendUvarint(out, uint64(h.Position))
}

// The board's, the outcomes' and the register's snapshots of rows of
// numbers, as the builds before fixed rows wrote them, are read as they
// were: from a
// reader, and from a file (mapped while they are read, and not kept).
func TestRowsOfEarlierBuildsAreStillRead(t *testing.T) {
	evs := newGen(31, 4).events(600)
	s := mustOpenStore(t)
	pos := mustAppend(t, s, evs)
	r := mustNew(t, s, Config{})
	require.NoError(t, runUntil(t, r, pos[len(pos)-1]))
	v := r.Views()
	board := &snapshotWriter{}
	v.Board.heads.writeRows(board, boardRows(&v.Board.heads))
	outcomes := &snapshotWriter{}
	v.Outcomes.heads.writeRows(outcomes, (*outcomeHead).appendBinary)
	meetings, err := gojson.Marshal(v.Register.st.Meetings)
	require.NoError(t, err)
	register := &snapshotWriter{buf: binary.AppendUvarint([]byte(rowsMagic), uint64(len(meetings)))}
	register.write(meetings)
	v.Register.heads.writeRows(register, (*decisionHead).appendBinary)
	dir := t.TempDir()
	for _, c := range []struct {
		view View
		old  []byte
	}{{v.Board, board.buf}, {v.Outcomes, outcomes.buf}, {v.Register, register.buf}} {
		require.True(t, bytes.HasPrefix(c.old, []byte(rowsMagic)))
		want, err := readableSnapshot(c.view)
		require.NoError(t, err)
		now, err := c.view.MarshalSnapshot()
		require.NoError(t, err)
		assert.False(t, sameForm(now, c.old), "%s: an older form, which verify compares as JSON", c.view.Name())
		fresh := viewNamed(t, c.view.Name())
		require.NoError(t, fresh.UnmarshalSnapshot(bytes.NewReader(c.old)))
		got, err := readableSnapshot(fresh)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(want, got), c.view.Name())

		p, err := stageSnapshot(dir, c.view, func(w io.Writer) error { _, err := w.Write(c.old); return err }, nil, identity{})
		require.NoError(t, err)
		require.NoError(t, p.Commit())
		fromFile := viewNamed(t, c.view.Name())
		_, err = loadSnapshot(dir, fromFile, nil)
		require.NoError(t, err)
		assert.Empty(t, mappedFrom(t, rowsAt(fromFile)), "%s: rows of numbers are read into memory", c.view.Name())
		got, err = readableSnapshot(fromFile)
		require.NoError(t, err)
		assert.True(t, bytes.Equal(want, got), c.view.Name())
	}
}

// rowsAt is where a list view's rows lie.
func rowsAt(v View) unsafe.Pointer {
	switch v := v.(type) {
	case *Board:
		return unsafe.Pointer(unsafe.SliceData(v.heads.rows))
	case *Outcomes:
		return unsafe.Pointer(unsafe.SliceData(v.heads.rows))
	case *Register:
		return unsafe.Pointer(unsafe.SliceData(v.heads.rows))
	}
	return nil
}

// viewNamed is the view of that name in a fresh set.
func viewNamed(t *testing.T, name string) View {
	t.Helper()
	for _, v := range NewViews().all {
		if v.Name() == name {
			return v
		}
	}
	t.Fatalf("no view %s", name)
	return nil
}

// A board head's marks move to the end of the slab when it gains an
// action, and the slab is made anew once the marks no head names are
// most of it: the heads' marks stay as they were put.
func TestBoardMarksAreCompacted(t *testing.T) {
	hs := headsOf(t, map[string]boardHeadJSON{
		"p-1": {CommunityID: "c", GridID: "g", Position: 1},
		"p-2": {CommunityID: "c", GridID: "g", Position: 2, Actions: []actionMark{{Due: 7, Open: true}}},
	})
	acts := func(h *boardHead) *span { return &h.acts }
	first := &hs.rows[0].head
	for n := 1; n <= 300; n++ {
		first.acts = hs.marks.resize(first.acts, n)
		marks := hs.marks.of(first.acts)
		for i := range marks {
			marks[i] = actionMark{Due: int64(i + 1)}
		}
		hs.marks.compact(hs.spansOf(acts))
		require.LessOrEqual(t, len(hs.marks.vals), 2*hs.marks.used+4096, "after %d", n)
		require.Equal(t, n+1, hs.marks.used)
		require.Equal(t, []actionMark{{Due: 7, Open: true}}, hs.marks.of(hs.rows[1].head.acts))
		for i, m := range hs.marks.of(first.acts) {
			require.Equal(t, int64(i+1), m.Due)
		}
	}
	first.acts = hs.marks.resize(first.acts, 0)
	assert.Equal(t, 1, hs.marks.used, "a head with no actions names none")
	assert.Equal(t, span{}, first.acts)
	assert.Nil(t, hs.marks.of(first.acts))
	hs.marks.vals = append(hs.marks.vals, make([]actionMark, 5000)...) // marks no head names
	hs.marks.compact(hs.spansOf(acts))
	assert.Len(t, hs.marks.vals, 1, "made anew for the one mark a head names")
	assert.Equal(t, span{}, first.acts)
	assert.Nil(t, hs.marks.of(first.acts), "no marks, wherever the slab ends")
	assert.Equal(t, []actionMark{{Due: 7, Open: true}}, hs.marks.of(hs.rows[1].head.acts))
}

// The board's fixed rows hold each head's marks where the marks of the
// heads before it end, whatever its slab holds besides (marks no head
// names, an order of its own), and no change position: two boards that
// hold the same heads write the same bytes, and a span anywhere else, a
// change position, marks no head names or marks of another layout are
// refused.
func TestBoardFixedRowsAreCanonical(t *testing.T) {
	want := map[string]boardHeadJSON{
		"p-1": {CommunityID: "c", GridID: "g", Position: 1, Actions: []actionMark{{Due: 1}, {Due: 2, Open: true}}},
		"p-2": {CommunityID: "c", GridID: "g", Position: 2},
		"p-3": {CommunityID: "c", GridID: "h", Position: 3, Actions: []actionMark{{Due: 3}}},
	}
	snapOf := func(hs heads[ident, boardHead]) []byte {
		b := NewViews().Board
		b.heads = hs
		snap, err := b.MarshalSnapshot()
		require.NoError(t, err)
		return snap
	}
	base := headsOf(t, want)
	plain := snapOf(base)

	// The same heads, their marks moved about the slab, a change position
	// set: the same bytes.
	moved := base
	moved.rows, moved.marks = slices.Clone(base.rows), slab[actionMark]{vals: slices.Clone(base.marks.vals), used: base.marks.used}
	third := &moved.rows[2].head
	was := slices.Clone(moved.marks.of(third.acts))
	third.acts = moved.marks.resize(third.acts, 1) // in place
	first := &moved.rows[0].head
	kept := slices.Clone(moved.marks.of(first.acts))
	first.acts = moved.marks.resize(first.acts, 3) // to the end
	copy(moved.marks.of(first.acts), append(kept, actionMark{}))
	first.acts = moved.marks.resize(first.acts, 2)
	copy(moved.marks.of(third.acts), was)
	moved.rows[1].head.Changed = 99
	require.Equal(t, plain, snapOf(moved))

	back := NewViews().Board
	require.NoError(t, back.UnmarshalSnapshot(bytes.NewReader(plain)))
	assert.Equal(t, want, jsonOf(&back.heads))
	assert.Equal(t, []span{{0, 2}, {}, {2, 1}}, []span{back.heads.rows[0].head.acts, back.heads.rows[1].head.acts, back.heads.rows[2].head.acts})

	check := func(h boardHead, at int32, marks int) error {
		r := &rowsReader{}
		sl := slab[actionMark]{vals: make([]actionMark, marks)}
		d := &headNames{places: &back.heads.places, words: &back.heads.words, others: &back.heads.others, marks: &sl, marksAt: at}
		h.check(r, d)
		return r.err
	}
	assert.NoError(t, check(boardHead{acts: span{2, 1}}, 2, 3))
	assert.NoError(t, check(boardHead{}, 3, 3))
	for name, c := range map[string]struct {
		h      boardHead
		at     int32
		marks  int
		reason string
	}{
		"a span before the last's end": {boardHead{acts: span{0, 1}}, 2, 3, "not where"},
		"a span past the last's end":   {boardHead{acts: span{3, 1}}, 2, 5, "not where"},
		"no span, not at 0":            {boardHead{acts: span{2, 0}}, 2, 3, "not where"},
		"a negative span":              {boardHead{acts: span{2, -1}}, 2, 3, "not where"},
		"a span past the slab":         {boardHead{acts: span{2, 2}}, 2, 3, "not where"},
		"a change position":            {boardHead{Changed: 7}, 0, 0, "change position"},
	} {
		assert.ErrorContains(t, check(c.h, c.at, c.marks), c.reason, name)
	}

	// Marks no head names, after the last head's.
	l := layoutOf[actionMark]()
	extra := bytes.Replace(plain, binary.LittleEndian.AppendUint64(binary.AppendUvarint(binary.AppendUvarint(nil, 3), uint64(l.size)), l.fingerprint),
		binary.LittleEndian.AppendUint64(binary.AppendUvarint(binary.AppendUvarint(nil, 4), uint64(l.size)), l.fingerprint), 1)
	require.NotEqual(t, plain, extra)
	at := bytes.Index(extra, binary.LittleEndian.AppendUint64(nil, l.fingerprint)) + 8 + 3*l.size
	extra = slices.Insert(extra, at, make([]byte, l.size)...)
	assert.Error(t, NewViews().Board.UnmarshalSnapshot(bytes.NewReader(extra)), "a mark no head names")
	other := bytes.Clone(plain)
	other[bytes.Index(other, binary.LittleEndian.AppendUint64(nil, l.fingerprint))] ^= 1
	assert.ErrorContains(t, NewViews().Board.UnmarshalSnapshot(bytes.NewReader(other)), "marks laid out")
	flag := bytes.Clone(plain)
	flag[bytes.Index(flag, binary.LittleEndian.AppendUint64(nil, l.fingerprint))+8+int(unsafe.Offsetof(actionMark{}.Open))] = 2
	assert.ErrorContains(t, NewViews().Board.UnmarshalSnapshot(bytes.NewReader(flag)), "a bad flag")
}

// writeRows writes hs after rowsMagic, each head by appendHead, as the
// builds before fixed rows wrote the list views' snapshots (still read).
func (hs *heads[K, H]) writeRows(s *snapshotWriter, appendHead func(*H, []byte) []byte) {
	s.buf = append(s.buf, rowsMagic...)
	hs.writeDictionaries(s)
	s.buf = binary.AppendUvarint(s.buf, uint64(len(hs.rows)))
	for i := range hs.rows {
		s.buf = hs.rows[i].id.appendBinary(s.buf)
		s.buf = appendHead(&hs.rows[i].head, s.buf)
		s.next()
	}
}
