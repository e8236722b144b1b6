package seal_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
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

// TestLoadReadsTheFirstFormat: a tree saved in the first format (a SHA-256
// at its end, not a CRC-32C) loads as the same tree; damaged, it is
// refused.
func TestLoadReadsTheFirstFormat(t *testing.T) {
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
	require.Equal(t, "yishi-tree v2\n", string(raw[:14]))
	sum := crc32.Checksum(raw[:len(raw)-4], crc32.MakeTable(crc32.Castagnoli))
	require.Equal(t, sum, binary.BigEndian.Uint32(raw[len(raw)-4:]), "a CRC-32C at the end")

	v1 := append([]byte("yishi-tree v1\n"), raw[14:len(raw)-4]...)
	digest := sha256.Sum256(v1)
	v1 = append(v1, digest[:]...)
	old := filepath.Join(dir, "v1.snap")
	require.NoError(t, os.WriteFile(old, v1, 0o600))
	loaded := seal.NewLog(nil)
	require.NoError(t, loaded.Load(ctx, old, store))
	head, err := loaded.Head()
	require.NoError(t, err)
	require.Equal(t, want, head)

	v1[len(v1)-40] ^= 1 // the last stored hash
	require.NoError(t, os.WriteFile(old, v1, 0o600))
	require.ErrorContains(t, seal.NewLog(nil).Load(ctx, old, store), "checksum")
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
	swapped := append([]byte(nil), raw[:len(raw)-4]...)
	const leaves = 14 + 4*8
	first, second := slices.Clone(swapped[leaves:leaves+8]), slices.Clone(swapped[leaves+8:leaves+16])
	copy(swapped[leaves:], second)
	copy(swapped[leaves+8:], first)
	swapped = binary.BigEndian.AppendUint32(swapped, crc32.Checksum(swapped, crc32.MakeTable(crc32.Castagnoli)))
	for name, c := range map[string]struct {
		path  string
		store eventstore.Store
		want  string
	}{
		"a flipped bit":                   {write("flipped", flipped), store, "checksum"},
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
