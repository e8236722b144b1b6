package seal

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/seal/sealtest"
)

// addSynthetic adds the events from to to-1 of a synthetic log to l.
func addSynthetic(t *testing.T, l *Log, from, to int) {
	t.Helper()
	for i := from; i < to; i++ {
		require.NoError(t, l.Add(syntheticEvent(i)))
	}
}

// TestSpillLeavesOnlyLaterEventsOnTheHeap: a spilled tree reads what the
// save holds from the file and keeps on the heap only what is added after
// it, and it answers every question as the same tree never spilled does;
// saved again and loaded, it is the same tree.
func TestSpillLeavesOnlyLaterEventsOnTheHeap(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tree.snap")
	spilled, kept := NewLog(nil), NewLog(nil)
	addSynthetic(t, spilled, 0, 1000)
	addSynthetic(t, kept, 0, 1000)
	require.NoError(t, spilled.Spill(path))
	require.Zero(t, spilled.tree.hashes.more.len(), "no hash left on the heap")
	require.Zero(t, spilled.positions.more.len(), "no position left on the heap")
	require.EqualValues(t, 1000, spilled.positions.n)

	addSynthetic(t, spilled, 1000, 1037)
	addSynthetic(t, kept, 1000, 1037)
	require.EqualValues(t, 37, spilled.positions.more.len(), "only the later events on the heap")
	want, err := kept.Head()
	require.NoError(t, err)
	got, err := spilled.Head()
	require.NoError(t, err)
	require.Equal(t, want, got)
	requireSameTree(t, spilled, kept, 1000, 0, 1, 511, 999)
	requireSameTree(t, spilled, kept, 1037, 0, 1, 511, 999, 1000, 1036)
	a, err := spilled.ConsistencyProof(700, 1037)
	require.NoError(t, err)
	b, err := kept.ConsistencyProof(700, 1037)
	require.NoError(t, err)
	require.Equal(t, b, a)

	again := filepath.Join(t.TempDir(), "tree.snap")
	require.NoError(t, spilled.Save(again))
	loaded := NewLog(nil)
	t2, positions, unsafe, unmap, err := openSavedFile(again)
	require.NoError(t, err)
	defer unmap()
	loaded.tree, loaded.positions, loaded.unsafe = t2, positions, unsafe
	head, err := loaded.Head()
	require.NoError(t, err)
	require.Equal(t, want, head)
}

// requireSameTree checks that spilled answers as kept does: the positions
// of leaves and their inclusion proofs in a tree of size.
func requireSameTree(t *testing.T, spilled, kept *Log, size int64, leaves ...int64) {
	t.Helper()
	for _, i := range leaves {
		p, err := spilled.Position(i)
		require.NoError(t, err)
		require.Equal(t, eventstore.Position(10*(i+1)), p)
		a, err := spilled.InclusionProof(i, size)
		require.NoError(t, err)
		b, err := kept.InclusionProof(i, size)
		require.NoError(t, err)
		require.Equal(t, b, a, "leaf %d in %d", i, size)
	}
}

// syntheticEvent is event i of a synthetic log.
func syntheticEvent(i int) eventstore.Event {
	return eventstore.Event{Stream: "s", Revision: uint64(i), Position: eventstore.Position(10 * (i + 1)),
		Metadata: eventstore.Metadata{Hash: sealtest.EventHash(i)}}
}

// TestSpillKeepsWhatIsAddedMeanwhile: events added while the tree is saved
// (Save holds no lock while it writes) and between the save and the swap
// are neither lost nor doubled, and a tree that reads from a file already
// is spilled again.
func TestSpillKeepsWhatIsAddedMeanwhile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tree.snap")
	spilled, kept := NewLog(nil), NewLog(nil)
	addSynthetic(t, spilled, 0, 50000)
	addSynthetic(t, kept, 0, 52500)
	added := make(chan error, 1)
	go func() {
		for i := 50000; i < 52000; i++ {
			if err := spilled.Add(syntheticEvent(i)); err != nil {
				added <- err
				return
			}
		}
		added <- nil
	}()
	require.NoError(t, spilled.Save(path))
	require.NoError(t, <-added)
	addSynthetic(t, spilled, 52000, 52500) // after the save, before the swap
	require.NoError(t, spilled.readSaved(path))
	require.Positive(t, spilled.positions.n)
	require.EqualValues(t, 52500, spilled.positions.len())
	require.GreaterOrEqual(t, spilled.positions.more.len(), int64(500), "what the file lacks is on the heap")

	want, err := kept.Head()
	require.NoError(t, err)
	got, err := spilled.Head()
	require.NoError(t, err)
	require.Equal(t, want, got)
	requireSameTree(t, spilled, kept, 52500, 0, 49999, 50000, 51999, 52000, 52499)

	// Spilled again, to a new file at the same path: the events added
	// since leave the heap too, and the tree answers as before.
	heap, file := spilled.Held()
	require.Equal(t, int64(52500), heap+file)
	addSynthetic(t, spilled, 52500, 53000)
	addSynthetic(t, kept, 52500, 53000)
	require.NoError(t, spilled.Spill(path))
	heap, file = spilled.Held()
	assert.Zero(t, heap, "none left on the heap")
	assert.EqualValues(t, 53000, file)
	want, err = kept.Head()
	require.NoError(t, err)
	got, err = spilled.Head()
	require.NoError(t, err)
	require.Equal(t, want, got)
	requireSameTree(t, spilled, kept, 53000, 0, 49999, 52499, 52500, 52999)
}

// TestASaveLeavesThePagesItReadOutOfMemory: a save reads every hash of a
// tree read from its file, and drops the pages of the mapping it read as
// it goes, so that the process does not hold the whole file (72 MB at a
// million events) once it is done.
func TestASaveLeavesThePagesItReadOutOfMemory(t *testing.T) {
	if _, err := os.Stat("/proc/self/smaps"); err != nil {
		t.Skip("needs /proc/self/smaps to read the resident pages of a mapping:", err)
	}
	path := filepath.Join(t.TempDir(), "tree.snap")
	l := NewLog(nil)
	addSynthetic(t, l, 0, 100_000) // a file of 7.2 MB
	require.NoError(t, l.Spill(path))
	require.NoError(t, l.Save(filepath.Join(t.TempDir(), "again.snap")))
	assert.Less(t, residentKiB(t, path), 1536, "KiB of the mapped file resident after the save")
	// What a proof reads comes back from the file.
	kept := NewLog(nil)
	addSynthetic(t, kept, 0, 100_000)
	requireSameTree(t, l, kept, 100_000, 0, 4096, 99_999)
}

// residentKiB is how much of the mappings of path the process holds in
// memory, from /proc/self/smaps.
func residentKiB(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	require.NoError(t, err)
	total, in := 0, false
	for _, line := range strings.Split(string(b), "\n") {
		fields := strings.Fields(line)
		switch {
		case len(fields) >= 5 && strings.Contains(fields[0], "-") && !strings.HasSuffix(fields[0], ":"):
			in = len(fields) >= 6 && fields[5] == path
		case in && len(fields) == 3 && fields[0] == "Rss:":
			kib, err := strconv.Atoi(fields[1])
			require.NoError(t, err)
			total += kib
		}
	}
	return total
}

// TestASpillUnmapsTheFileItNoLongerReads: spilled again, a tree unmaps the
// file it read before, so that the file's room on disk is returned (it was
// replaced at the same path), unless a save is under way, which may be
// reading it: that mapping stays, and the tree still answers as before.
func TestASpillUnmapsTheFileItNoLongerReads(t *testing.T) {
	if _, err := os.Stat("/proc/self/maps"); err != nil {
		t.Skip("needs /proc/self/maps to see the mappings of a file:", err)
	}
	path := filepath.Join(t.TempDir(), "tree.snap")
	l, kept := NewLog(nil), NewLog(nil)
	addSynthetic(t, l, 0, 2000)
	addSynthetic(t, kept, 0, 3000)
	require.NoError(t, l.Spill(path))
	assert.Equal(t, []string{path}, mappingsOf(t, path), "the file it reads")
	addSynthetic(t, l, 2000, 2500)
	require.NoError(t, l.Spill(path))
	assert.Equal(t, []string{path}, mappingsOf(t, path), "the replaced file unmapped")

	// A save under way, held once it has frozen the tree, reads the file
	// read now: the spill meanwhile keeps it mapped, and the save writes
	// the tree it froze.
	frozen, goOn := make(chan struct{}), make(chan struct{})
	saving = func() { close(frozen); <-goOn }
	t.Cleanup(func() { saving = nil })
	saved := make(chan error, 1)
	other := filepath.Join(t.TempDir(), "other.snap")
	go func() { saved <- l.Save(other) }()
	<-frozen
	saving = nil
	addSynthetic(t, l, 2500, 3000)
	require.NoError(t, l.Spill(path))
	assert.Equal(t, []string{path, path + " (deleted)"}, mappingsOf(t, path), "kept for the save under way")
	close(goOn)
	require.NoError(t, <-saved)
	requireSameTree(t, l, kept, 3000, 0, 1999, 2000, 2499, 2500, 2999)
	fromSave := NewLog(nil)
	t2, positions, unsafe, unmap, err := openSavedFile(other)
	require.NoError(t, err)
	defer unmap()
	fromSave.tree, fromSave.positions, fromSave.unsafe = t2, positions, unsafe
	want := NewLog(nil)
	addSynthetic(t, want, 0, 2500)
	requireSameTree(t, fromSave, want, 2500, 0, 1999, 2000, 2499)
}

// mappingsOf lists the mappings of path in /proc/self/maps by the name
// they show (a file replaced since shows " (deleted)"), sorted.
func mappingsOf(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/maps")
	require.NoError(t, err)
	var names []string
	for _, line := range strings.Split(string(b), "\n") {
		if i := strings.Index(line, path); i >= 0 {
			names = append(names, line[i:])
		}
	}
	slices.Sort(names)
	return names
}

// TestSavedHashesAreCheckedWhenRead: a saved tree's stored hashes are not
// read when it is opened; each part is checked against its checksum when
// a hash in it is first read. A damaged part is an ErrDamaged for the
// reads of it, not for the others, and a save of the tree, which checks
// every part it copies, fails rather than write it under new checksums.
func TestSavedHashesAreCheckedWhenRead(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tree.snap")
	kept := NewLog(nil)
	addSynthetic(t, kept, 0, 5000) // 9,995 stored hashes: five parts
	require.NoError(t, kept.Save(path))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	hashAt := sealtest.HashesAt(5000)
	raw[hashAt+2*partLen+100] ^= 1 // in the third part
	require.NoError(t, os.WriteFile(path, raw, 0o600))

	tree, positions, unsafe, unmap, err := openSavedFile(path)
	require.NoError(t, err, "the stored hashes are not read when the file is opened")
	defer unmap()
	require.Len(t, tree.hashes.check.sums, 5)
	for k := range tree.hashes.check.ok {
		require.False(t, tree.hashes.check.ok[k].Load(), "part %d read at the open", k)
	}
	loaded := NewLog(nil)
	loaded.tree, loaded.positions, loaded.unsafe = tree, positions, unsafe

	requireSameTree(t, loaded, kept, 2000, 0, 1, 700, 1999) // in the first two parts
	require.True(t, tree.hashes.check.ok[0].Load(), "a part read is checked once")
	require.False(t, tree.hashes.check.ok[3].Load(), "a part not read is not checked")
	_, err = loaded.tree.ReadHashes([]int64{2*partLen/tlog.HashSize + 3})
	require.ErrorIs(t, err, ErrDamaged)
	require.ErrorContains(t, err, "part 2 of its stored hashes")
	_, err = loaded.InclusionProof(2100, 5000) // its leaf hash is in the damaged part
	require.ErrorIs(t, err, ErrDamaged)
	hs, err := loaded.tree.ReadHashes([]int64{4*partLen/tlog.HashSize + 1})
	require.NoError(t, err, "the other parts are read")
	want, err := kept.tree.ReadHashes([]int64{4*partLen/tlog.HashSize + 1})
	require.NoError(t, err)
	require.Equal(t, want, hs)

	again := filepath.Join(dir, "again.snap")
	require.ErrorIs(t, loaded.Save(again), ErrDamaged)
	_, err = os.Stat(again)
	require.ErrorIs(t, err, os.ErrNotExist, "nothing written")
}

// TestCheckSavedReadsWithoutTheLock: CheckSaved reads each part without
// the Log's lock; a spill meanwhile closes the file it reads, and it
// checks the new file from its start.
func TestCheckSavedReadsWithoutTheLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tree.snap")
	l := NewLog(nil)
	addSynthetic(t, l, 0, 5000)
	require.NoError(t, l.Spill(path))
	first := parts(l.tree.hashes.n * l.tree.hashes.size)
	require.Greater(t, first, int64(2))
	reads, unlocked, spilled := 0, 0, false
	checking = func() {
		reads++
		if l.mu.TryLock() {
			unlocked++
			l.mu.Unlock()
		}
		if reads == 2 && !spilled {
			spilled = true
			addSynthetic(t, l, 5000, 6000)
			require.NoError(t, l.Spill(path)) // the file read so far is closed
		}
	}
	t.Cleanup(func() { checking = nil })
	checked, err := l.CheckSaved(context.Background(), 0)
	require.NoError(t, err)
	assert.Equal(t, reads, unlocked, "every read without the lock")
	assert.EqualValues(t, reads-1, checked, "the read after the spill found its file closed")
	assert.Greater(t, checked, int64(2), "two parts of the first file, then those of the new one no read checked")
	for k := range parts(l.tree.hashes.n * l.tree.hashes.size) {
		assert.True(t, l.tree.hashes.check.ok[k].Load(), "part %d of the new file", k)
	}
}

// TestDamageFoundInAFileReplacedMeanwhile: a part CheckSaved reads from
// the file a spill has just replaced (kept open by a save under way) is
// damaged: the damage is told with the replaced file's information, not
// the new one's, and the check goes on over the new file.
func TestDamageFoundInAFileReplacedMeanwhile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tree.snap")
	l := NewLog(nil)
	var told os.FileInfo
	l.OnDamage(func(_ error, file os.FileInfo) { told = file })
	const n = 5000
	addSynthetic(t, l, 0, n)
	require.NoError(t, l.Spill(path))
	old, err := os.OpenFile(path, os.O_RDWR, 0)
	require.NoError(t, err)
	defer old.Close()
	oldInfo, err := old.Stat()
	require.NoError(t, err)
	oldParts := parts(l.tree.hashes.n * l.tree.hashes.size)

	frozen, goOn := make(chan struct{}), make(chan struct{})
	var release sync.Once
	saving = func() { close(frozen); <-goOn }
	t.Cleanup(func() { saving = nil; release.Do(func() { close(goOn) }) })
	saved := make(chan error, 1)
	go func() { saved <- l.Save(filepath.Join(t.TempDir(), "other.snap")) }()
	<-frozen
	saving = nil

	reads := 0
	checking = func() {
		if reads++; reads != 2 {
			return
		}
		addSynthetic(t, l, n, n+1000)
		require.NoError(t, l.Spill(path))
		hashesAt := int64(sealtest.HashesAt(n))
		for k := range oldParts {
			_, err := old.WriteAt([]byte{0xff, 0x00}, hashesAt+k*partLen+17)
			require.NoError(t, err)
		}
	}
	t.Cleanup(func() { checking = nil })
	_, err = l.CheckSaved(context.Background(), 0)
	require.NoError(t, err, "the new file whole")
	require.NotNil(t, told, "the damage in the replaced file found")
	assert.True(t, os.SameFile(oldInfo, told), "told of the replaced file")
	now, err := os.Stat(path)
	require.NoError(t, err)
	assert.False(t, os.SameFile(now, told), "not of the new one")
	assert.False(t, l.Damaged(), "the file read now is whole")
	for k := range parts(l.tree.hashes.n * l.tree.hashes.size) {
		assert.True(t, l.tree.hashes.check.ok[k].Load(), "part %d of the new file checked", k)
	}
	release.Do(func() { close(goOn) })
	require.ErrorIs(t, <-saved, ErrDamaged, "the save reads the replaced file, damaged")
}
