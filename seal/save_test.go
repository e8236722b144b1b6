package seal_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/seal"
	"github.com/yishi-civic/yishi/seal/sealtest"
)

// followed returns a Log that has caught up with store.
func followed(t *testing.T, l *seal.Log, store eventstore.Store) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Follow(ctx, store) }()
	t.Cleanup(func() { cancel(); <-done })
	require.Eventually(t, l.CaughtUp, 10*time.Second, time.Millisecond)
}

// TestSaveAndLoad: a tree saved at a stop and loaded at the next start is
// the tree of the log it was saved from, and following the log from there
// gives the tree Build makes of the whole log, events added meanwhile
// included.
func TestSaveAndLoad(t *testing.T) {
	ctx := context.Background()
	store, led := ledgerWith(t, 4)
	path := filepath.Join(t.TempDir(), "tree.snap")
	first := seal.NewLog(nil)
	followed(t, first, store)
	require.NoError(t, first.Save(path))
	saved, err := first.Head()
	require.NoError(t, err)

	addProposal(t, led) // written while the service was stopped
	again := seal.NewLog(nil)
	require.NoError(t, again.Load(ctx, path, store))
	loaded, err := again.Head()
	require.NoError(t, err)
	require.Equal(t, saved, loaded)
	proof, err := again.InclusionProof(1, saved.Size)
	require.NoError(t, err)
	want, err := first.InclusionProof(1, saved.Size)
	require.NoError(t, err)
	require.Equal(t, want, proof)

	followed(t, again, store)
	built, err := seal.Build(ctx, store, 0, nil)
	require.NoError(t, err)
	root, err := built.Root()
	require.NoError(t, err)
	now, err := again.Head()
	require.NoError(t, err)
	require.Equal(t, built.Size(), now.Size)
	require.Greater(t, now.Size, saved.Size)
	require.Equal(t, root, now.Root, "loaded and followed, the tree is the one of the whole log")
	p, ok := again.Index(now.Head)
	require.True(t, ok)
	require.Equal(t, now.Size-1, p)
	// Leaves read from the saved file and leaves added since prove
	// alike, and the tree saves again over the file it was loaded from.
	for _, leaf := range []int64{0, saved.Size - 1, now.Size - 1} {
		got, err := again.InclusionProof(leaf, now.Size)
		require.NoError(t, err)
		want, err := tlog.ProveRecord(now.Size, leaf, built)
		require.NoError(t, err)
		require.Equal(t, want, got, "leaf %d", leaf)
	}
	require.NoError(t, again.Save(path))
	third := seal.NewLog(nil)
	require.NoError(t, third.Load(ctx, path, store))
	head, err := third.Head()
	require.NoError(t, err)
	require.Equal(t, now, head)
}

// layout returns where the stored hashes of a saved tree of the third
// format start, and where their parts' checksums do.
func layout(raw []byte) (hashAt, tableAt int) {
	n := binary.LittleEndian.Uint64(raw[14:])
	count := binary.LittleEndian.Uint64(raw[14+3*8:])
	hashAt = 14 + 4*8 + 8*int(n)
	return hashAt, hashAt + tlog.HashSize*int(count)
}

// resummed returns raw, a saved tree of the third format, with its last
// checksum made again over what it covers (all but the stored hashes).
func resummed(raw []byte) []byte {
	hashAt, tableAt := layout(raw)
	table := crc32.MakeTable(crc32.Castagnoli)
	sum := crc32.Update(crc32.Checksum(raw[:hashAt], table), table, raw[tableAt:len(raw)-4])
	return binary.BigEndian.AppendUint32(slices.Clone(raw[:len(raw)-4]), sum)
}

// TestLoadReadsEarlierFormats: a tree saved in the second format (one
// CRC-32C of the whole file at its end) or the first (its SHA-256) loads
// as the same tree; damaged, it is refused at the load, as both are
// checked whole.
func TestLoadReadsEarlierFormats(t *testing.T) {
	ctx := context.Background()
	store, _ := ledgerWith(t, 3)
	dir := t.TempDir()
	path := filepath.Join(dir, "tree.snap")
	l := seal.NewLog(nil)
	followed(t, l, store)
	require.NoError(t, l.Save(path))
	want, err := l.Head()
	require.NoError(t, err)
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, "yishi-tree v3\n", string(raw[:14]))
	hashAt, tableAt := layout(raw)
	castagnoli := crc32.MakeTable(crc32.Castagnoli)
	require.Equal(t, crc32.Checksum(raw[hashAt:tableAt], castagnoli), binary.BigEndian.Uint32(raw[tableAt:]), "one part's checksum")
	require.Len(t, raw, tableAt+4+4, "one part, then the last checksum")
	require.Equal(t, raw, resummed(raw), "the last checksum covers all but the stored hashes")

	body := raw[14:tableAt]
	v2 := append([]byte("yishi-tree v2\n"), body...)
	v2 = binary.BigEndian.AppendUint32(v2, crc32.Checksum(v2, castagnoli))
	v1 := append([]byte("yishi-tree v1\n"), body...)
	digest := sha256.Sum256(v1)
	v1 = append(v1, digest[:]...)
	for name, b := range map[string][]byte{"v2": v2, "v1": v1} {
		old := filepath.Join(dir, name+".snap")
		require.NoError(t, os.WriteFile(old, b, 0o600))
		loaded := seal.NewLog(nil)
		require.NoError(t, loaded.Load(ctx, old, store), name)
		head, err := loaded.Head()
		require.NoError(t, err)
		require.Equal(t, want, head, name)

		damaged := slices.Clone(b)
		damaged[14+len(body)-40] ^= 1 // in a stored hash
		require.NoError(t, os.WriteFile(old, damaged, 0o600))
		require.ErrorContains(t, seal.NewLog(nil).Load(ctx, old, store), "checksum", name)
	}
}

// TestLoadRefuses: a saved tree that is missing, damaged, cut short, or of
// another ledger is not loaded, and the Log stays empty for a build from
// the log.
func TestLoadRefuses(t *testing.T) {
	ctx := context.Background()
	store, _ := ledgerWith(t, 3)
	other, _ := ledgerWith(t, 3)
	dir := t.TempDir()
	path := filepath.Join(dir, "tree.snap")
	l := seal.NewLog(nil)
	require.ErrorIs(t, l.Load(ctx, path, store), seal.ErrNoSave)
	followed(t, l, store)
	require.NoError(t, l.Save(path))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)

	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	// A file whose counts overflow the size check to exactly its empty
	// body (8n + 32·stored ≡ 0 mod 2^64), with a checksum that holds:
	// refused, not a panic making a slice of n positions.
	const n = 768614336404564664
	huge := []byte("yishi-tree v1\n")
	for _, v := range []uint64{n, 0, 0, uint64(tlog.StoredHashCount(n))} {
		huge = binary.LittleEndian.AppendUint64(huge, v)
	}
	sum := sha256.Sum256(huge)
	huge = append(huge, sum[:]...)
	// The same in the second format, under a CRC-32C.
	hugeV2 := append([]byte("yishi-tree v2\n"), huge[14:len(huge)-sha256.Size]...)
	hugeV2 = binary.BigEndian.AppendUint32(hugeV2, crc32.Checksum(hugeV2, crc32.MakeTable(crc32.Castagnoli)))
	// 9,000 leaves, more than one 64 KiB chunk of positions: in order
	// they pass the check (and the store lacks the head), with the first
	// of the second chunk not past the last of the first they do not.
	leavesFile := func(disorderAt int) []byte {
		const n = 9000
		b := []byte("yishi-tree v2\n")
		for _, v := range []uint64{n, n, 0, uint64(tlog.StoredHashCount(n))} {
			b = binary.LittleEndian.AppendUint64(b, v)
		}
		for i := range n {
			pos := uint64(i + 1)
			if i == disorderAt {
				pos = uint64(i)
			}
			b = binary.LittleEndian.AppendUint64(b, pos)
		}
		b = append(b, make([]byte, tlog.StoredHashCount(n)*tlog.HashSize)...)
		return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
	}
	flipped := append([]byte(nil), raw...)
	flipped[len(flipped)/2] ^= 1
	// The first two leaves' positions swapped, under a checksum that
	// holds.
	swapped := slices.Clone(raw)
	const leaves = 14 + 4*8
	first, second := slices.Clone(swapped[leaves:leaves+8]), slices.Clone(swapped[leaves+8:leaves+16])
	copy(swapped[leaves:], second)
	copy(swapped[leaves+8:], first)
	swapped = resummed(swapped)
	// A stored hash damaged: the load reads the last leaf's, in the one
	// part there is, and refuses the file.
	hashAt, _ := layout(raw)
	inHashes := slices.Clone(raw)
	inHashes[hashAt+5] ^= 1
	// A part's checksum damaged: the last checksum covers it.
	_, tableAt := layout(raw)
	inTable := slices.Clone(raw)
	inTable[tableAt] ^= 1
	for name, c := range map[string]struct {
		path  string
		store eventstore.Store
		want  string
	}{
		"a flipped bit":                   {write("flipped", flipped), store, "checksum"},
		"a stored hash damaged":           {write("hashes", inHashes), store, "part 0 of its stored hashes (their bytes [0, "},
		"a part's checksum damaged":       {write("table", inTable), store, "checksum mismatch"},
		"out of order":                    {write("swapped", swapped), store, "positions out of order at leaf 1"},
		"cut short":                       {write("short", raw[:len(raw)-40]), store, ""},
		"not a tree":                      {write("hello", []byte("hello")), store, "not a saved tree"},
		"counts too large":                {write("huge", huge), store, "do not match its size"},
		"counts too large, second format": {write("huge2", hugeV2), store, "do not match its size"},
		"9,000 leaves in order":           {write("ordered", leavesFile(-1)), store, "no event at its head, position 9000"},
		"out of order across chunks":      {write("chunks", leavesFile(8192)), store, "positions out of order at leaf 8192"},
		"another ledger's":                {path, other, "last leaf"},
	} {
		fresh := seal.NewLog(nil)
		err := fresh.Load(ctx, c.path, c.store)
		require.Error(t, err, name)
		require.ErrorContains(t, err, c.want, name)
		head, herr := fresh.Head()
		require.NoError(t, herr)
		require.Zero(t, head.Size, name)
	}
	files, err := filepath.Glob(filepath.Join(dir, ".tree.snap.tmp-*"))
	require.NoError(t, err)
	require.Empty(t, files, "no temporary file is left behind")
}

// TestLoadRefusesAndLeavesNothingMapped: a saved tree of another ledger is
// refused and unmapped; an empty tree that names a head is refused (Follow
// would skip the events before it); a loaded tree cut short in place under
// the server makes a read panic, which the API answers as an error, rather
// than a fault that kills the process, and a save of it fails.
func TestLoadRefusesAndLeavesNothingMapped(t *testing.T) {
	ctx := context.Background()
	store, _ := ledgerWith(t, 3)
	other, _ := ledgerWith(t, 3)
	path := filepath.Join(t.TempDir(), "tree.snap")
	l := seal.NewLog(nil)
	followed(t, l, store)
	require.NoError(t, l.Save(path))
	require.ErrorContains(t, seal.NewLog(nil).Load(ctx, path, other), "last leaf")
	if maps, err := os.ReadFile("/proc/self/maps"); err == nil {
		require.NotContains(t, string(maps), path, "the refused tree is still mapped")
	}

	empty := []byte("yishi-tree v1\n")
	for _, v := range []uint64{0, 1 << 40, 0, 0} {
		empty = binary.LittleEndian.AppendUint64(empty, v)
	}
	sum := sha256.Sum256(empty)
	headed := filepath.Join(t.TempDir(), "headed.snap")
	require.NoError(t, os.WriteFile(headed, append(empty, sum[:]...), 0o600))
	require.ErrorContains(t, seal.NewLog(nil).Load(ctx, headed, store), "empty tree with a head")

	loaded := seal.NewLog(nil)
	require.NoError(t, loaded.Load(ctx, path, store))
	_, err := loaded.Leaf(0)
	require.NoError(t, err)
	require.NoError(t, os.Truncate(path, 0))
	require.Panics(t, func() { _, _ = loaded.Leaf(0) })
	// A save reads the file whole: the fault is its error.
	require.ErrorContains(t, loaded.Save(filepath.Join(t.TempDir(), "again.snap")), "read the saved tree")
}

// TestADamagedPartOfTheSavedHashes: a load refuses a file whose damage is
// in a hash the next events combine with (a peak of the tree), for the log
// to be hashed again; damage elsewhere fails the proofs that read it and
// the next save, marks the Log damaged, and CheckSaved finds it where no
// proof read.
func TestADamagedPartOfTheSavedHashes(t *testing.T) {
	ctx := context.Background()
	const n = 5000 // 9,995 stored hashes: five parts of 64 KiB
	store := sealtest.Store(t, n)
	dir := t.TempDir()
	path := filepath.Join(dir, "tree.snap")
	l := seal.NewLog(nil)
	followed(t, l, store)
	require.NoError(t, l.Save(path))
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	hashAt, _ := layout(raw)
	const part = 64 << 10
	partOf := func(index int64) int { return int(index) * tlog.HashSize / part }
	peaks := map[int]bool{}
	for level := 0; n>>level > 0; level++ {
		if n>>level&1 == 1 {
			peaks[partOf(tlog.StoredHashIndex(level, int64(n>>level)-1))] = true
		}
	}
	peak, quiet := -1, -1
	for k := range 5 {
		switch {
		case peaks[k] && k != partOf(tlog.StoredHashIndex(0, n-1)):
			peak = k
		case !peaks[k]:
			quiet = k
		}
	}
	require.True(t, peak >= 0 && quiet >= 0, "peaks in parts %v", peaks)
	damage := func(k int) string {
		b := slices.Clone(raw)
		b[hashAt+k*part+17] ^= 1
		p := filepath.Join(dir, fmt.Sprintf("part%d.snap", k))
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}

	refused := seal.NewLog(nil)
	require.ErrorIs(t, refused.Load(ctx, damage(peak), store), seal.ErrDamaged, "a peak's part")
	head, err := refused.Head()
	require.NoError(t, err)
	require.Zero(t, head.Size, "nothing loaded")

	quietPath := damage(quiet)
	checked := seal.NewLog(nil)
	require.NoError(t, checked.Load(ctx, quietPath, store), "a part no event to come reads")
	require.False(t, checked.Damaged())
	_, err = checked.CheckSaved(ctx, 0)
	require.ErrorIs(t, err, seal.ErrDamaged, "found where no proof read")
	require.True(t, checked.Damaged())

	loaded := seal.NewLog(nil)
	var told []error
	var toldOf os.FileInfo
	loaded.OnDamage(func(err error, file os.FileInfo) { told, toldOf = append(told, err), file })
	require.NoError(t, loaded.Load(ctx, quietPath, store))
	want, err := l.Head()
	require.NoError(t, err)
	got, err := loaded.Head()
	require.NoError(t, err)
	require.Equal(t, want, got)
	var read error
	for leaf := int64(0); leaf < n && read == nil; leaf++ {
		if partOf(tlog.StoredHashIndex(0, leaf)) == quiet {
			_, read = loaded.Leaf(leaf)
		}
	}
	require.ErrorIs(t, read, seal.ErrDamaged, "a leaf in the damaged part")
	require.True(t, loaded.Damaged())
	require.Len(t, told, 1)
	require.ErrorIs(t, told[0], seal.ErrDamaged)
	quietFile, err := os.Stat(quietPath)
	require.NoError(t, err)
	require.NotNil(t, toldOf)
	require.True(t, os.SameFile(quietFile, toldOf), "told which file is damaged")
	damaged, err := os.ReadFile(quietPath)
	require.NoError(t, err)
	require.ErrorIs(t, loaded.Save(quietPath), seal.ErrDamaged)
	after, err := os.ReadFile(quietPath)
	require.NoError(t, err)
	require.Equal(t, damaged, after, "the damaged file is left as it was, not written over")
	require.Len(t, told, 1, "told once")

	whole := seal.NewLog(nil)
	require.NoError(t, whole.Load(ctx, path, store))
	checkedParts, err := whole.CheckSaved(ctx, 0)
	require.NoError(t, err, "an undamaged file")
	require.Positive(t, checkedParts)
	require.False(t, whole.Damaged())
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	again := seal.NewLog(nil)
	require.NoError(t, again.Load(ctx, path, store))
	checkedParts, err = again.CheckSaved(cancelled, 0)
	require.ErrorIs(t, err, context.Canceled)
	require.Zero(t, checkedParts)
	checkedParts, err = seal.NewLog(nil).CheckSaved(ctx, 0)
	require.NoError(t, err)
	require.Zero(t, checkedParts, "a tree with no file has nothing to check")
}
