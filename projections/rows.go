package projections

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	gojson "github.com/goccy/go-json"

	"github.com/yishi-civic/yishi/eventstore"
)

// dictionary numbers the strings it is given in order of first sight; 0
// is "". A head that keeps six numbers of 4 bytes, where it kept six
// strings of 16, takes 72 bytes, not 144 (docs/performance.md, eighteenth
// session). Its names are found by a numberIndex.
type dictionary struct {
	names []string
	index numberIndex
}

func newDictionary() dictionary {
	return dictionary{names: []string{""}}
}

// of returns s's number, numbering s if it is new.
func (d *dictionary) of(s string) int32 {
	if s == "" {
		return 0
	}
	n, added := d.index.put(hashString(s), int32(len(d.names)), func(n int32) bool { return d.names[n] == s })
	if added {
		d.names = append(d.names, s)
	}
	return n
}

// ofBytes is of for the bytes b (a decoder's, which move on): it copies
// them only if they are new.
func (d *dictionary) ofBytes(b []byte) int32 {
	if len(b) == 0 {
		return 0
	}
	n, added := d.index.put(hashBytes(b), int32(len(d.names)), func(n int32) bool { return d.names[n] == string(b) })
	if added {
		d.names = append(d.names, string(b))
	}
	return n
}

// find returns s's number, false if s was never given.
func (d *dictionary) find(s string) (int32, bool) {
	if s == "" {
		return 0, true
	}
	return d.index.find(hashString(s), func(n int32) bool { return d.names[n] == s })
}

// name returns the string numbered n.
func (d *dictionary) name(n int32) string { return d.names[n] }

// headRow is an item's head with its key.
type headRow[K, H any] struct {
	id   K
	head H
}

// located is a head that says where its item is (its community's and
// grid's numbers in its rows' places) and at which position it came.
type located interface {
	place() (community, grid int32)
	position() eventstore.Position
}

// heads holds a list view's heads (the board's, the outcomes', the
// register's) in rows: the row of each id, and the rows of each grid and
// community (by number) in row order. Rows are added as the fold meets items, in position
// order, sorted into it when a JSON snapshot is read, and refused out of
// it in rows, so that the rows of any list are in position order and a
// page of one is a binary search away. Places (communities, grids, compounds, owners) and words
// (categories, channels, statuses) are numbered in dictionaries of their
// own: a look-up in the dozen words stays in the CPU's cache, where one
// among a city's places misses it. A row takes its key and a head of
// numbers, where a map of heads by id took a slot of strings, twice the
// size, and rounded up to a power of two (docs/performance.md, eighteenth
// session). Ids are idents (identPair for the register's keys), with
// the ids that are not UUIDs numbered in others.
type heads[K rowKey[K], H located] struct {
	rows                  []headRow[K, H]
	row                   numberIndex // of rows by id
	byGrid, byCommunity   placeLists
	places, words, others dictionary
	// marks are the board's heads' actions' marks, each head's a span of
	// them (none for the other views).
	marks slab[actionMark]
}

// newHeads returns empty heads with room for n rows, and an eighth more:
// the fold's first new row after a load then copies no rows (53 MB for
// the board at ten million events) under the views' write lock.
func newHeads[K rowKey[K], H located](n int) heads[K, H] {
	return heads[K, H]{
		rows: make([]headRow[K, H], 0, n+n/8), row: newNumberIndex(n),
		places: newDictionary(), words: newDictionary(), others: newDictionary(),
	}
}

// rowOf returns the row of id, false if there is none.
func (hs *heads[K, H]) rowOf(id string) (int32, bool) {
	var zero K
	k, ok := zero.find(id, &hs.others)
	if !ok {
		return 0, false
	}
	return hs.row.find(hashKey(k), func(r int32) bool { return hs.rows[r].id == k })
}

// head returns the head of id, nil if there is none.
func (hs *heads[K, H]) head(id string) *H {
	r, ok := hs.rowOf(id)
	if !ok {
		return nil
	}
	return &hs.rows[r].head
}

// idText is the id a row's key stands for.
func (hs *heads[K, H]) idText(row *headRow[K, H]) string {
	var b [80]byte
	return string(row.id.appendText(b[:0], &hs.others))
}

// ident returns id's ident in hs, numbering it if it must: for a head's
// ids.
func (hs *heads[K, H]) ident(id string) ident { return identOf(id, &hs.others) }

// add appends the head of a new item id, which comes after every other
// in position order.
func (hs *heads[K, H]) add(id string, h H) {
	var zero K
	k := zero.of(id, &hs.others)
	r := int32(len(hs.rows))
	hs.rows = append(hs.rows, headRow[K, H]{id: k, head: h})
	hs.row.put(hashKey(k), r, func(r int32) bool { return hs.rows[r].id == k }) // new: the caller found no row
	community, grid := h.place()
	hs.byGrid.add(grid, r)
	hs.byCommunity.add(community, r)
}

// set puts h in place of the head in row r, which keeps its place in the
// order (h must keep its position); if h names another grid or community,
// r moves from the old ones' lists to theirs.
func (hs *heads[K, H]) set(r int32, h H) {
	row := &hs.rows[r]
	oldCommunity, oldGrid := row.head.place()
	row.head = h
	community, grid := h.place()
	hs.byGrid.move(r, oldGrid, grid)
	hs.byCommunity.move(r, oldCommunity, community)
}

// list returns the rows of grid if set, else of community if set, in
// position order; all is true for every row (list is nil then), and
// neither for a place the view never saw.
func (hs *heads[K, H]) list(community, grid string) (list []int32, all bool) {
	switch {
	case grid != "":
		if n, ok := hs.places.find(grid); ok {
			return hs.byGrid.of(n), false
		}
		return nil, false
	case community != "":
		if n, ok := hs.places.find(community); ok {
			return hs.byCommunity.of(n), false
		}
		return nil, false
	}
	return nil, true
}

// each calls f with each row of list (of every row when all), in order,
// from the index start, until f returns false.
func (hs *heads[K, H]) each(list []int32, all bool, start int, f func(*headRow[K, H]) bool) {
	for i := start; i < hs.size(list, all); i++ {
		if !f(hs.at(list, all, i)) {
			return
		}
	}
}

// size is the number of rows in list (of every row when all).
func (hs *heads[K, H]) size(list []int32, all bool) int {
	if all {
		return len(hs.rows)
	}
	return len(list)
}

// at returns the row at index i of list (of every row when all).
func (hs *heads[K, H]) at(list []int32, all bool, i int) *headRow[K, H] {
	if all {
		return &hs.rows[i]
	}
	return &hs.rows[list[i]]
}

// after returns the index in list (every row when all) of the first row
// past position p.
func (hs *heads[K, H]) after(list []int32, all bool, p eventstore.Position) int {
	return sort.Search(hs.size(list, all), func(i int) bool { return hs.at(list, all, i).head.position() > p })
}

// index sorts rows read from a snapshot into position order, and makes
// the row of each id and the rows of each place, each list at its size
// and all of a kind in one array. An id given twice is an error (no
// snapshot written from a view's rows holds one).
func (hs *heads[K, H]) index() error {
	hs.sortRows()
	return hs.indexSorted()
}

// indexSorted makes the row of each id and the rows of each place, of
// rows in position order, as index does.
func (hs *heads[K, H]) indexSorted() error {
	if k, ok := hs.row.bulk(0, len(hs.rows), func(k int32) uint64 { return hashKey(hs.rows[k].id) },
		func(a, b int32) bool { return hs.rows[a].id == hs.rows[b].id }); !ok {
		return fmt.Errorf("%q given twice", hs.idText(&hs.rows[k]))
	}
	grids, communities := make([]int32, len(hs.places.names)), make([]int32, len(hs.places.names))
	for i := range hs.rows {
		r := &hs.rows[i]
		community, grid := r.head.place()
		grids[grid]++
		communities[community]++
	}
	hs.byGrid = listsOf(grids, len(hs.rows), func(i int) int32 { _, grid := hs.rows[i].head.place(); return grid })
	hs.byCommunity = listsOf(communities, len(hs.rows), func(i int) int32 { community, _ := hs.rows[i].head.place(); return community })
	return nil
}

// sortRows puts the rows in position order (an id's order among equal
// positions). It sorts their positions with their row numbers, 16 bytes
// each, and then moves each row once, where sorting the rows themselves
// moved rows of 88 bytes at every step (0.45 of the board's 1.8 s of
// load at ten million events; docs/performance.md, nineteenth session).
func (hs *heads[K, H]) sortRows() {
	type key struct {
		p eventstore.Position
		r int32
	}
	order := make([]key, len(hs.rows))
	for i := range hs.rows {
		order[i] = key{hs.rows[i].head.position(), int32(i)}
	}
	slices.SortFunc(order, func(a, b key) int {
		if a.p != b.p {
			return cmp.Compare(a.p, b.p)
		}
		return hs.rows[a.r].id.compare(hs.rows[b.r].id, &hs.others)
	})
	// Row k takes row order[k].r: each cycle of that permutation is
	// followed once, from the row it leaves empty, marking each index it
	// fills as done.
	for k := range order {
		if order[k].r < 0 || int(order[k].r) == k {
			continue
		}
		held, j := hs.rows[k], k
		for {
			next := int(order[j].r)
			order[j].r = -1
			if next == k {
				hs.rows[j] = held
				break
			}
			hs.rows[j] = hs.rows[next]
			j = next
		}
	}
}

// placeLists are the rows of each place of one kind (its grids, or its
// communities), by the place's number, each list in row order: those
// read from a snapshot all in one array (listsOf), and those changed
// since in a map, in place of theirs. A list read is capped at its
// length, so that a row added to it moves it out. Where every list was
// put in a map at the load, a list view's 110,000 places at ten million
// events cost the map's slots and their making, twice a view
// (docs/performance.md, twenty-fifth session).
type placeLists struct {
	// starts[p] is where the list of place p begins in rows, and
	// starts[p+1] where it ends, for the places read; none when nothing
	// was read.
	starts []int32
	rows   []int32
	moved  map[int32][]int32
}

// of returns the rows of place p: empty for a place read with none, or
// whose rows all moved out; nil for one past those read and never given
// a row.
func (l *placeLists) of(p int32) []int32 {
	if list, ok := l.moved[p]; ok {
		return list
	}
	if p >= 0 && int(p) < len(l.starts)-1 {
		from, to := l.starts[p], l.starts[p+1]
		return l.rows[from:to:to]
	}
	return nil
}

// set makes list the rows of place p.
func (l *placeLists) set(p int32, list []int32) {
	if l.moved == nil {
		l.moved = map[int32][]int32{}
	}
	l.moved[p] = list
}

// add appends row r, after every other row, to place p's list.
func (l *placeLists) add(p, r int32) { l.set(p, append(l.of(p), r)) }

// move moves row r from place from's list to place to's, in order.
func (l *placeLists) move(r, from, to int32) {
	if from == to {
		return
	}
	list := l.of(from)
	if i, ok := slices.BinarySearch(list, r); ok {
		l.set(from, slices.Delete(list, i, i+1))
	}
	list = l.of(to)
	i, _ := slices.BinarySearch(list, r)
	l.set(to, slices.Insert(list, i, r))
}

// listsOf returns the lists of rows 0 to n-1 by place: row i is of
// place placeOf(i), and sizes[p] is how many rows are of place p
// (sizes is used up). Each row is written where its place's list is,
// where appending to a map's list took two look-ups a row (4.5% of a
// ten-million start's CPU: docs/performance.md, twentieth session).
func listsOf(sizes []int32, n int, placeOf func(int) int32) placeLists {
	starts := make([]int32, len(sizes)+1)
	at := int32(0)
	for p, s := range sizes { // each size becomes where its list starts
		starts[p], sizes[p], at = at, at, at+s
	}
	starts[len(sizes)] = at
	rows := make([]int32, n)
	for i := range n {
		p := placeOf(i)
		rows[sizes[p]] = int32(i)
		sizes[p]++
	}
	return placeLists{starts: starts, rows: rows}
}

// snapshot returns a list view's snapshot: {"heads": the heads as
// appendJSON writes them, each by appendHead}.
func (hs *heads[K, H]) snapshot(appendHead func(*heads[K, H], []byte, *H) ([]byte, error)) ([]byte, error) {
	out := make([]byte, 0, 64+128*len(hs.rows))
	out, err := hs.appendJSON(append(out, `{"heads":`...), func(out []byte, h *H) ([]byte, error) {
		return appendHead(hs, out, h)
	})
	if err != nil {
		return nil, err
	}
	return append(out, '}'), nil
}

// numbers turns a query's filters into numbers in a view's dictionaries.
type numbers struct {
	// none is set when a filter names what the view never saw: nothing
	// matches.
	none bool
}

// of returns s's number in d, -1 for "" (no filter).
func (f *numbers) of(d *dictionary, s string) int32 {
	if s == "" {
		return -1
	}
	n, ok := d.find(s)
	f.none = f.none || !ok
	return n
}

// ident returns id's ident in others; "" passes anything.
func (f *numbers) ident(others *dictionary, id string) ident {
	if id == "" {
		return ident{}
	}
	n, ok := findIdent(id, others)
	f.none = f.none || !ok
	return n
}

// is reports whether n passes the filter want (-1 passes anything).
func is(want, n int32) bool { return want < 0 || want == n }

// headReader reads a head as its view's snapshot holds it, numbering its
// places, words and ids in its heads' dictionaries: a head type's read
// method, such as (*boardHead).read.
type headReader[H any] func(h *H, dec *jsontext.Decoder, d *headNames) error

// headNames are the dictionaries a head's numbers are named in, and the
// slab of marks a board head's actions are in.
type headNames struct {
	places, words, others *dictionary
	marks                 *slab[actionMark]
	// marksAt is where the next head's marks begin, as a load of fixed
	// rows checks that each head's follow the last's (boardHead.check).
	marksAt int32
}

// names are hs's dictionaries and slab of marks.
func (hs *heads[K, H]) names() *headNames {
	return &headNames{places: &hs.places, words: &hs.words, others: &hs.others, marks: &hs.marks}
}

// readHeadsSnapshot reads a list view's snapshot: its heads in fixed
// rows (writeFixedRows), mapped in place from a snapshot file with room
// for an eighth more rows after them; or in the forms its snapshots held
// before, rows of numbers (rowsMagic), each head read by readRowsHead, or
// {"heads": an object of heads by id}, each head read by readHead; into
// heads it indexes.
func readHeadsSnapshot[K rowKey[K], H fixedHead](r io.Reader, readHead headReader[H], readRowsHead rowsHeadReader[H]) (heads[K, H], error) {
	size := headsSize(r)
	var hs heads[K, H]
	in, rows, err := rowsOrJSONKept(r, []string{fixedRowsMagic, rowsMagic}, roomFor(r), func(magic string, payload []byte, mapped bool) (keep bool, err error) {
		if magic == fixedRowsMagic {
			hs, keep, err = readFixedRows[K, H](payload, mapped)
			return keep, err
		}
		hs, err = readRows[K](&rowsReader{b: payload}, readRowsHead)
		return false, err
	})
	switch {
	case err != nil:
		return heads[K, H]{}, err
	case rows:
		return hs, nil
	}
	var st struct {
		Heads heads[K, H] `json:"heads"`
	}
	st.Heads = newHeads[K, H](size)
	read := false
	if err := decodeSnapshot(in, &st, headsReader[K](readHead, &read)); err != nil {
		return heads[K, H]{}, err
	}
	if !read {
		return heads[K, H]{}, errors.New("missing heads")
	}
	if err := st.Heads.index(); err != nil {
		return heads[K, H]{}, err
	}
	return st.Heads, nil
}

// headsSize is the number of heads a snapshot file's header counts, to
// make the rows at that size first, taken no larger than a row for each
// 64 bytes of the payload (each head takes more), so that a damaged
// header cannot ask for more memory than its file could fill; 0 for
// anything but a snapshot file.
func headsSize(r io.Reader) int {
	if c, ok := r.(*checkedReader); ok {
		return max(0, min(c.h.Sizes["heads"], c.h.Size/64))
	}
	return 0
}

// headsReader is the option that makes JSON v2 read a snapshot's heads
// into their heads[H] (which the caller indexes), each head read by
// readHead; it sets *read when it does.
func headsReader[K rowKey[K], H located](readHead headReader[H], read *bool) jsonv2.Options {
	return jsonv2.WithUnmarshalers(jsonv2.UnmarshalFromFunc(func(dec *jsontext.Decoder, hs *heads[K, H]) error {
		*read = true
		return hs.read(dec, readHead)
	}))
}

// read reads the object of heads by id dec is at, each head read by
// readHead, into hs (then index sorts them). A null head is read by
// readHead as an empty object is.
func (hs *heads[K, H]) read(dec *jsontext.Decoder, readHead headReader[H]) error {
	if dec.PeekKind() != '{' {
		return fmt.Errorf("heads: want an object, not %v", dec.PeekKind())
	}
	h := new(H) // one for every head: readHead would move each to the heap
	names := hs.names()
	return members(dec, func(name []byte) error {
		var zero K
		id := zero.ofBytes(name, &hs.others) // before the head is read over name's bytes
		*h = *new(H)
		if err := readHead(h, dec, names); err != nil {
			return err
		}
		hs.rows = append(hs.rows, headRow[K, H]{id: id, head: *h})
		return nil
	})
}

// appendJSON appends the heads as the view wrote its map of heads by id
// with goccy/go-json before they were kept in rows, byte for byte: an
// object of heads sorted by id, each written by appendHead: the JSON Dump
// and the views' verification compare, and the snapshots of the builds
// before rows (still read).
func (hs *heads[K, H]) appendJSON(out []byte, appendHead func([]byte, *H) ([]byte, error)) ([]byte, error) {
	order := make([]int32, len(hs.rows))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return hs.rows[a].id.compare(hs.rows[b].id, &hs.others) })
	out = append(out, '{')
	var err error
	for i, r := range order {
		if i > 0 {
			out = append(out, ',')
		}
		row := &hs.rows[r]
		if out, err = row.id.appendJSON(out, &hs.others); err != nil {
			return nil, fmt.Errorf("head of %q: %w", hs.idText(row), err)
		}
		if out, err = appendHead(append(out, ':'), &row.head); err != nil {
			return nil, fmt.Errorf("head of %q: %w", hs.idText(row), err)
		}
	}
	return append(out, '}'), nil
}

// object appends a JSON object's members in the order it is given them,
// as goccy/go-json writes a struct's fields; the first error stops it.
type object struct {
	out []byte
	n   int
	err error
}

// newObject starts an object at the end of out.
func newObject(out []byte) *object { return &object{out: append(out, '{')} }

// name appends the next member's name.
func (o *object) name(name string) {
	if o.n > 0 {
		o.out = append(o.out, ',')
	}
	o.n++
	o.out = append(append(append(o.out, '"'), name...), `":`...)
}

// str appends a string member; with omitEmpty, nothing for "".
func (o *object) str(name, s string, omitEmpty bool) {
	if o.err != nil || omitEmpty && s == "" {
		return
	}
	o.name(name)
	o.out, o.err = appendJSONString(o.out, s)
}

// int appends a whole number member; with omitZero, nothing for 0.
func (o *object) int(name string, n int64, omitZero bool) {
	if o.err != nil || omitZero && n == 0 {
		return
	}
	o.name(name)
	o.out = strconv.AppendInt(o.out, n, 10)
}

// ident appends an id member; with omitEmpty, nothing for "".
func (o *object) ident(name string, id ident, others *dictionary, omitEmpty bool) {
	if o.err != nil || omitEmpty && id == (ident{}) {
		return
	}
	o.name(name)
	o.out, o.err = id.appendJSON(o.out, others)
}

// position appends a position in the log.
func (o *object) position(name string, p eventstore.Position) {
	if o.err == nil {
		o.name(name)
		o.out = strconv.AppendUint(o.out, uint64(p), 10)
	}
}

// close ends the object and returns what was appended.
func (o *object) close() ([]byte, error) {
	if o.err != nil {
		return nil, o.err
	}
	return append(o.out, '}'), nil
}

// readNamed reads a string, or null as "", and returns its number in d.
func readNamed(dec *jsontext.Decoder, d *dictionary) (int32, error) {
	b, err := readText(dec)
	if err != nil {
		return 0, err
	}
	return d.ofBytes(b), nil
}

// appendJSONString appends s as goccy/go-json writes a string: quoted as
// it is when it holds only printable ASCII but the quote, the backslash
// and the characters HTML escapes (nearly every id and word), else as
// goccy writes it.
func appendJSONString(out []byte, s string) ([]byte, error) {
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, err := gojson.Marshal(s)
			if err != nil {
				return nil, err
			}
			return append(out, q...), nil
		}
	}
	return append(append(append(out, '"'), s...), '"'), nil
}

// readIdent reads a string, or null as "", and returns its ident, numbered
// in others if it must be.
func readIdent(dec *jsontext.Decoder, others *dictionary) (ident, error) {
	b, err := readText(dec)
	if err != nil {
		return ident{}, err
	}
	return identOfBytes(b, others), nil
}
