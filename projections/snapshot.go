package projections

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"io/fs"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/uuid"
	"golang.org/x/sys/unix"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/internal/durable"
)

// A snapshot file, <dir>/<view>.snap, is a header line of JSON followed by
// the view's own encoding of its state:
//
//	{"format":3,"view":"board","version":1,"position":1234,
//	 "at":{"id":"…","hash":"…"},"first":{"id":"…","hash":"…"},"size":5678,"crc32c":…}\n
//	<size bytes of payload>
//
// format is the version of this file layout. A file whose format, view name
// or view version is not the expected one, or whose payload does not match
// its size and checksum, is ignored and the view is rebuilt from the start
// of the log.
//
// at and first say which ledger the snapshot stands on: the id and chain
// hash of the event at position (the last one folded) and of the log's
// first event. A snapshot whose events the log does not hold at those
// places (a log restored from an older backup, snapshots carried to another
// store by a copy or an import) is discarded and the views rebuilt (see
// checkSnapshots).

// snapshotFormat is the version of the snapshot file layout. Format 1 had
// no at and first; format 2's views held personal data opened, in
// plaintext, where format 3's keep it sealed as the log stores it (opened
// when read). Files of an older format are ignored, and replaced by the
// next snapshot.
const snapshotFormat = 3

// snapshotHeader is the first line of a snapshot file.
type snapshotHeader struct {
	Format   int                 `json:"format"`
	View     string              `json:"view"`
	Version  int                 `json:"version"`
	Position eventstore.Position `json:"position"`
	At       eventRef            `json:"at"`
	First    eventRef            `json:"first"`
	Size     int                 `json:"size"`
	CRC32C   uint32              `json:"crc32c"`
	// Sizes counts the entries of each map of the view's state, by its
	// JSON name (views that are sized), so that a load makes each map at
	// its size before decoding into it.
	Sizes map[string]int `json:"sizes,omitempty"`
}

// eventRef names one event of a ledger: its id and its chain hash (which
// covers, through its stream's chain, everything before it in its stream).
type eventRef struct {
	ID   uuid.UUID `json:"id"`
	Hash string    `json:"hash"`
}

// refOf names ev.
func refOf(ev eventstore.Event) eventRef { return eventRef{ID: ev.ID, Hash: ev.Metadata.Hash} }

// identity is where a set of snapshots stands: the ledger (its first
// event) and the last event folded.
type identity struct {
	pos   eventstore.Position
	at    eventRef
	first eventRef
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func snapshotPath(dir, view string) string { return filepath.Join(dir, view+".snap") }

// SnapshotsSize is the size in bytes of the views' snapshot files in dir
// (0 when there are none): loading them allocates 1.3 to 1.9 times as
// much (docs/performance.md, twenty-sixth session).
func SnapshotsSize(dir string) int64 {
	files, _ := filepath.Glob(snapshotPath(dir, "*"))
	var n int64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// loadSnapshots restores each view from its snapshot in dir, in parallel,
// and returns each view's header (nil when the view has to be rebuilt).
// Only a failure to read the directory is an error; a bad snapshot, or one
// whose view's tables in st are not of its position, is logged and means a
// rebuild. Snapshots staged and never put in place are removed first.
func loadSnapshots(dir string, views []View, st *tableStore, log *slog.Logger) ([]*snapshotHeader, error) {
	heads := make([]*snapshotHeader, len(views))
	if dir == "" {
		return heads, nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("projections: snapshot directory: %w", err)
	}
	// Snapshots staged and never put in place (the process killed while it
	// wrote them): each as large as its view's.
	stale, _ := filepath.Glob(filepath.Join(dir, ".*.snap.tmp-*"))
	for _, f := range stale {
		if err := os.Remove(f); err != nil {
			log.Warn("projections: remove a snapshot never put in place", "file", f, "err", err)
		}
	}
	loadOne := func(i int) {
		v, began := views[i], time.Now()
		h, err := loadSnapshot(dir, v, st)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			log.Info("projections: no snapshot; rebuilding", "view", v.Name())
		case err != nil:
			log.Warn("projections: snapshot unusable; rebuilding", "view", v.Name(), "err", err)
		default:
			heads[i] = h
			log.Debug("projections: snapshot loaded", "view", v.Name(), "bytes", h.Size, "ms", time.Since(began).Milliseconds())
		}
	}
	// As many at once as there are cores: more would not load faster, and
	// every payload in flight adds to the peak memory. The largest files
	// first: taken in the views' order, the board (the largest at a
	// million events) was often loaded last, alone on one core.
	onCores(largestFirst(dir, views), loadOne)
	return heads, nil
}

// largestFirst is the indices of views, those whose snapshot file in dir
// is the largest first (those without one last, in their order).
func largestFirst(dir string, views []View) []int {
	order := make([]int, len(views))
	sizes := make([]int64, len(views))
	for i, v := range views {
		order[i] = i
		if fi, err := os.Stat(snapshotPath(dir, v.Name())); err == nil {
			sizes[i] = fi.Size()
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(sizes[b], sizes[a]) })
	return order
}

// onCores calls f with each index of order, on as many goroutines as there
// are cores, each taking the next in order, and returns when all are done:
// so that the last to finish is a small one when order is largestFirst.
func onCores(order []int, f func(int)) {
	next := make(chan int, len(order))
	for _, i := range order {
		next <- i
	}
	close(next)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(order)) {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	wg.Wait()
}

// checkSnapshots checks that the log holds the events the snapshots stand
// on: the same first event, and at each snapshot's position the event it
// names. It returns why not ("" when every snapshot belongs to the log), or
// the store's error.
func checkSnapshots(ctx context.Context, store eventstore.Store, heads []*snapshotHeader) (string, error) {
	var first *eventstore.Event
	at := map[eventstore.Position]*eventstore.Event{}
	read := func(from eventstore.Position) (*eventstore.Event, error) {
		for ev, err := range store.ReadAll(ctx, eventstore.ReadAllOptions{From: from, Max: 1}) {
			if err != nil {
				return nil, fmt.Errorf("projections: check the snapshots against the log at %d: %w", from, err)
			}
			return &ev, nil
		}
		return nil, nil
	}
	for _, h := range heads {
		if h == nil {
			continue
		}
		if first == nil {
			ev, err := read(eventstore.Start)
			if err != nil {
				return "", err
			}
			if ev == nil {
				return fmt.Sprintf("the %s snapshot stands on position %d, but the log is empty", h.View, h.Position), nil
			}
			first = ev
		}
		if refOf(*first) != h.First {
			return fmt.Sprintf("the %s snapshot was taken of another ledger: its first event is %s, the log's is %s", h.View, h.First.ID, first.ID), nil
		}
		ev, ok := at[h.Position]
		if !ok {
			var err error
			if ev, err = read(h.Position); err != nil {
				return "", err
			}
			at[h.Position] = ev
		}
		switch {
		case ev == nil:
			return fmt.Sprintf("the %s snapshot stands on position %d, past the end of the log", h.View, h.Position), nil
		case ev.Position != h.Position || refOf(*ev) != h.At:
			return fmt.Sprintf("the %s snapshot stands on event %s at position %d, which the log does not hold there", h.View, h.At.ID, h.Position), nil
		}
	}
	return "", nil
}

// errOutdated marks a snapshot of another format or view version.
var errOutdated = errors.New("snapshot outdated")

// loadSnapshot restores v from its snapshot file and returns its header.
// A JSON payload is decoded as it is read, never held whole in memory (the
// timeline's is hundreds of megabytes at a million events), and its
// checksum checked at its end, before the view takes the decoded state;
// rows, buckets and places (fixedRowsMagic, rowsMagic, bucketsMagic,
// placesMagic) are mapped from the file, whose size the header's must not
// pass, and checked before they are read (checkedReader.mapPayload); the
// list views' fixed rows and the statistics' buckets stay mapped, read in
// place (readFixedRows, readFixedBuckets). A view with tables is loaded
// only when st holds them as of the snapshot's position. On any error v
// keeps its empty state.
func loadSnapshot(dir string, v View, st *tableStore) (*snapshotHeader, error) {
	f, err := os.Open(snapshotPath(dir, v.Name()))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// Most payloads are mapped (mapPayload), not read through br: a
	// buffer of a megabyte, filled to read the header, had each view's
	// start copy its file's first megabyte into fresh memory, faulted in
	// page by page (docs/performance.md, twenty-fifth session). The
	// others are read in parts of this size.
	br := bufio.NewReaderSize(f, 64<<10)
	h, err := readHeader(br, v)
	if err != nil {
		return nil, err
	}
	// The header is not under the checksum: a size it gives is no larger
	// than the file, before anything is made at that size.
	if fi, err := f.Stat(); err != nil {
		return nil, err
	} else if h.Size < 0 || int64(h.Size) > fi.Size() {
		return nil, fmt.Errorf("payload: the header says %d bytes, the file holds %d", h.Size, fi.Size())
	}
	if tv, ok := v.(tabled); ok && st != nil {
		if err := st.matches(tv, h); err != nil {
			return nil, err
		}
	}
	pos, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, err
	}
	cr := &checkedReader{r: io.LimitReader(br, int64(h.Size)), crc: crc32.New(castagnoli), h: h,
		file: f, at: pos - int64(br.Buffered())}
	if err := v.UnmarshalSnapshot(cr); err != nil {
		return nil, fmt.Errorf("decode payload: %w", err)
	}
	return h, nil
}

// checkedReader reads a snapshot's payload and, at its end, checks its
// length and checksum against the header: it reports a mismatch in place
// of io.EOF.
type checkedReader struct {
	r   io.Reader
	crc hash.Hash32
	n   int
	h   *snapshotHeader
	// file holds the payload from the offset at, for mapPayload.
	file *os.File
	at   int64
}

// errNotMapped is mapPayload's answer when the payload cannot be mapped:
// it is read instead.
var errNotMapped = errors.New("payload not mapped")

// mapPayload maps the payload from its file, before any of it is read,
// and checks it against the header as Read does at its end; unmap
// unmaps it. Rows read from the pages the file already has in the page
// cache, where reading them copied each into a buffer made for it, and
// had the buffer's memory faulted in page by page: at ten million events
// that copy and those faults were about a quarter of a start's CPU
// (docs/performance.md, twentieth session). It fails with errNotMapped
// when it cannot map (then the payload is read).
//
// With room, the mapping is writable (each page written becomes the
// process's own copy; the file is never written) and followed by at least
// room bytes of zeroed memory (a whole number of pages, after what the
// file's last page holds), up to the payload's capacity: rows read in
// place from a payload that is kept mapped (readFixedRows), and the rows
// the fold adds after them.
func (c *checkedReader) mapPayload(room int) (payload []byte, unmap func(), err error) {
	if c.file == nil || c.n > 0 || c.h.Size == 0 {
		return nil, nil, errNotMapped
	}
	fi, err := c.file.Stat()
	if err != nil {
		return nil, nil, errNotMapped
	}
	end := c.at + int64(c.h.Size)
	if held := fi.Size() - c.at; held < int64(c.h.Size) {
		return nil, nil, fmt.Errorf("payload: %d bytes, the header says %d", held, c.h.Size)
	}
	if end > math.MaxInt/2 || room < 0 || room > math.MaxInt/4 {
		return nil, nil, errNotMapped
	}
	var m []byte
	if room == 0 {
		m, err = unix.Mmap(int(c.file.Fd()), 0, int(end), unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_POPULATE)
	} else {
		m, err = mapWithRoom(c.file, int(end), room)
	}
	if err != nil {
		return nil, nil, errNotMapped
	}
	unmap = func() { _ = unix.Munmap(m) } // fails only for a mapping that is not one
	payload = m[c.at:end:max(int(end), len(m))]
	if crc32.Checksum(payload, castagnoli) != c.h.CRC32C {
		unmap()
		return nil, nil, errors.New("payload checksum mismatch")
	}
	return payload, unmap, nil
}

// mapWithRoom maps the first size bytes of f, private and writable, and
// room bytes of zeroed memory right after them: one range of memory,
// reserved whole first and the file mapped over its start.
func mapWithRoom(f *os.File, size, room int) ([]byte, error) {
	page := os.Getpagesize()
	filePart := (size + page - 1) / page * page
	m, err := unix.Mmap(-1, 0, filePart+(room+page-1)/page*page, unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return nil, err
	}
	// Populated read-only, the file's pages are the page cache's; made
	// writable after, each stays so until it is written. (Populating a
	// writable private mapping copies every page, as writing each would.)
	if _, err := unix.MmapPtr(int(f.Fd()), 0, unsafe.Pointer(unsafe.SliceData(m)), uintptr(size),
		unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_FIXED|unix.MAP_POPULATE); err != nil {
		_ = unix.Munmap(m)
		return nil, err
	}
	if err := unix.Mprotect(m[:filePart], unix.PROT_READ|unix.PROT_WRITE); err != nil {
		_ = unix.Munmap(m)
		return nil, err
	}
	return m, nil
}

func (c *checkedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.crc.Write(p[:n])
	c.n += n
	if err == io.EOF {
		switch {
		case c.n != c.h.Size:
			return n, fmt.Errorf("payload: %d bytes, the header says %d", c.n, c.h.Size)
		case c.crc.Sum32() != c.h.CRC32C:
			return n, errors.New("payload checksum mismatch")
		}
	}
	return n, err
}

// decodeSnapshot decodes the JSON value r holds into v and reads r to its
// end, so that a checkedReader checks the whole payload; a value followed
// by anything but white space fails.
//
// Reading a snapshot file (a checkedReader), it first makes v's maps at
// the sizes the header gives (presize).
//
// It decodes with github.com/go-json-experiment/json (the Go team's JSON
// v2), not goccy/go-json as the views encode: both take the same time
// on a million events' snapshots, but goccy makes every slice it decodes
// with room for at least four elements, and a view's slices are mostly of
// one or two (an item's actions, a decision's options): 42 MB of a 1M
// ledger's 354 MB of views were that spare room, against 8 MB decoded
// with JSON v2 (docs/performance.md).
//
// opts are JSON v2's options for v: a view's own readers of the types it
// holds many of (members).
func decodeSnapshot(r io.Reader, v any, opts ...jsonv2.Options) error {
	if c, ok := r.(*checkedReader); ok {
		presize(v, c.h.Sizes, c.h.Size)
	}
	// A snapshot's maps were written from maps: a name given twice is not
	// looked for, in maps of up to millions of entries (a damaged payload
	// fails its checksum).
	opts = append(opts, jsontext.AllowDuplicateNames(true))
	if err := jsonv2.UnmarshalRead(r, v, opts...); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

// readSnapshot reads v's snapshot file and checks its header and checksum.
func readSnapshot(dir string, v View) (*snapshotHeader, []byte, error) {
	f, err := os.Open(snapshotPath(dir, v.Name()))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	h, err := readHeader(br, v)
	if err != nil {
		return nil, nil, err
	}
	payload := make([]byte, h.Size)
	if _, err := io.ReadFull(br, payload); err != nil {
		return nil, nil, fmt.Errorf("read payload: %w", err)
	}
	if crc32.Checksum(payload, castagnoli) != h.CRC32C {
		return nil, nil, errors.New("payload checksum mismatch")
	}
	return h, payload, nil
}

// readHeader reads the header line of v's snapshot and checks that it is
// of this format and of v's current version.
func readHeader(br *bufio.Reader, v View) (*snapshotHeader, error) {
	h, err := decodeHeader(br)
	if err != nil {
		return nil, err
	}
	if h.Format != snapshotFormat || h.View != v.Name() || h.Version != v.Version() {
		return nil, fmt.Errorf("%w: format %d view %q version %d, want format %d view %q version %d",
			errOutdated, h.Format, h.View, h.Version, snapshotFormat, v.Name(), v.Version())
	}
	return h, nil
}

// decodeHeader reads and decodes the header line of a snapshot file.
func decodeHeader(br *bufio.Reader) (*snapshotHeader, error) {
	line, err := br.ReadBytes('\n')
	if err != nil {
		return nil, fmt.Errorf("read header: %w", err)
	}
	var h snapshotHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	return &h, nil
}

// sized is a view that counts the entries of its state's maps
// (mapSizesOf) when its snapshot is encoded: the snapshot's header keeps
// the counts, and a load makes each map at its size before decoding into
// it (decodeSnapshot). Grown entry by entry instead, the maps of a
// million-event ledger's views took a fifth of a start's CPU.
type sized interface {
	mapSizes() map[string]int
}

// mapSizesOf counts the entries of each map field of the struct st points
// to, by the field's JSON name.
func mapSizesOf(st any) map[string]int {
	v := reflect.ValueOf(st).Elem()
	sizes := map[string]int{}
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.Map {
			sizes[jsonName(v.Type().Field(i))] = f.Len()
		}
	}
	return sizes
}

// presize makes each nil map field of the struct st points to (if it is
// one) with the size sizes gives its JSON name. A size is taken at most
// as large as a quarter of the payload's bytes (an entry takes more), so
// that a damaged header cannot ask for more memory than its file could
// fill.
func presize(st any, sizes map[string]int, payload int) {
	v := reflect.ValueOf(st)
	if len(sizes) == 0 || v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return
	}
	v = v.Elem()
	for i := range v.NumField() {
		f := v.Field(i)
		n := sizes[jsonName(v.Type().Field(i))]
		if f.Kind() == reflect.Map && f.IsNil() && n > 0 && f.CanSet() {
			f.Set(reflect.MakeMapWithSize(f.Type(), min(n, payload/4)))
		}
	}
}

// jsonName is the name f has in JSON: its tag's, or its own.
func jsonName(f reflect.StructField) string {
	if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" {
		return name
	}
	return f.Name
}

// headerRoom is the room a snapshot's header line is written in, padded
// with spaces before its newline (which JSON reads as whitespace): the
// payload is written first, after it, as it is encoded, and the header,
// which gives the payload's size and checksum, then over the room. The
// longest header (the notifications', with six map sizes) is under 500
// bytes.
const headerRoom = 1024

// stageSnapshot writes v's snapshot to a temporary file beside its own,
// for commitSnapshots to put in place (durable.Stage): its header, then
// its payload, which write writes (as it is encoded, for a view that is
// encoded).
func stageSnapshot(dir string, v View, write func(io.Writer) error, sizes map[string]int, id identity) (*durable.Pending, error) {
	var payload checksummed
	p, err := durable.Stage(snapshotPath(dir, v.Name()), func(w io.Writer) error {
		room := bytes.Repeat([]byte{' '}, headerRoom)
		room[headerRoom-1] = '\n'
		if _, err := w.Write(room); err != nil {
			return err
		}
		payload.w = w
		return write(&payload)
	})
	if err != nil {
		return nil, fmt.Errorf("projections: snapshot of %s: %w", v.Name(), err)
	}
	h, err := json.Marshal(snapshotHeader{
		Format: snapshotFormat, View: v.Name(), Version: v.Version(), Position: id.pos,
		At: id.at, First: id.first, Size: payload.n, CRC32C: payload.crc,
		Sizes: sizes,
	})
	if err == nil && len(h) >= headerRoom {
		err = fmt.Errorf("%d bytes, more than the %d kept for it", len(h), headerRoom-1)
	}
	if err == nil {
		err = p.WriteAt(h, 0)
	}
	if err != nil {
		p.Discard()
		return nil, fmt.Errorf("projections: snapshot header of %s: %w", v.Name(), err)
	}
	return p, nil
}

// commitSnapshots puts the staged snapshots (nil ones are skipped) in
// place, atomically and durably each, in parallel.
func commitSnapshots(staged []*durable.Pending) error {
	errs := make([]error, len(staged))
	var wg sync.WaitGroup
	for i, p := range staged {
		if p == nil {
			continue
		}
		wg.Go(func() { errs[i] = p.Commit() })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// discardSnapshots removes the staged snapshots (nil ones are skipped).
func discardSnapshots(staged []*durable.Pending) {
	for _, p := range staged {
		if p != nil {
			p.Discard()
		}
	}
}

// sealedSince is the first snapshot format whose views keep personal data
// sealed.
const sealedSince = 3

// DropPlaintextSnapshots removes the snapshots in dir that may hold
// personal data in plaintext: those of a format before the views kept it
// sealed, any whose header cannot be read, and the temporary files a
// snapshot is written to first (left by a crash while one was written).
// An erasure made while the service is stopped (yishi person erase) calls
// it, so that no such file outlives the erasure; the snapshots of this
// format stay, and the next start restores the views from them. (On a
// ledger written before sealing and never re-sealed, yishi reseal, the
// log itself holds personal data in plaintext, and so do the views of
// every format.) It returns how many files it removed; a missing dir is no
// error.
func DropPlaintextSnapshots(dir string) (int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.snap"))
	if err != nil {
		return 0, fmt.Errorf("drop plaintext snapshots: %w", err)
	}
	temps, err := filepath.Glob(filepath.Join(dir, ".*.snap.tmp-*"))
	if err != nil {
		return 0, fmt.Errorf("drop plaintext snapshots: %w", err)
	}
	n := 0
	for _, f := range append(files, temps...) {
		if !strings.HasPrefix(filepath.Base(f), ".") && sealedSnapshot(f) {
			continue
		}
		if err := os.Remove(f); err != nil {
			return n, fmt.Errorf("drop plaintext snapshots: %w", err)
		}
		n++
	}
	return n, nil
}

// sealedSnapshot reports whether the snapshot file at path has a header of
// a format that keeps personal data sealed.
func sealedSnapshot(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	h, err := decodeHeader(bufio.NewReader(f))
	return err == nil && h.Format >= sealedSince
}
