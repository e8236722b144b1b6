package seal_test

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/seal"
)

// benchLog is a Log of a million events, built once.
func benchLog(b *testing.B) *seal.Log {
	b.Helper()
	l := seal.NewLog(nil)
	for i := range 1_000_000 {
		h := sha256.Sum256([]byte{byte(i), byte(i >> 8), byte(i >> 16)})
		if err := l.Add(eventstore.Event{Position: eventstore.Position(i + 1), Metadata: eventstore.Metadata{Hash: hex.EncodeToString(h[:])}}); err != nil {
			b.Fatal(err)
		}
	}
	return l
}

// BenchmarkProofs measures the proofs a server answers from a tree of a
// million events, and their checks with tlog's verifiers
// (docs/performance.md).
func BenchmarkProofs(b *testing.B) {
	l := benchLog(b)
	head, err := l.Head()
	if err != nil {
		b.Fatal(err)
	}
	b.Run("inclusion", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := l.InclusionProof(int64(i*7919)%head.Size, head.Size); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("inclusion check", func(b *testing.B) {
		p, err := l.InclusionProof(123_457, head.Size)
		if err != nil {
			b.Fatal(err)
		}
		leaf, err := l.Leaf(123_457)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := tlog.CheckRecord(p, head.Size, head.Root, 123_457, leaf); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("consistency", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			if _, err := l.ConsistencyProof(1+int64(i*7919)%head.Size, head.Size); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("add", func(b *testing.B) {
		var h [32]byte
		ev := eventstore.Event{Metadata: eventstore.Metadata{Hash: hex.EncodeToString(h[:])}}
		for i := 0; b.Loop(); i++ {
			ev.Position = eventstore.Position(2_000_000 + i)
			if err := l.Add(ev); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSave measures a spill's save: a tree of a million events read
// from its file and a quarter of a million more on the heap, written to a
// new file (docs/performance.md, twenty-first session).
func BenchmarkSave(b *testing.B) {
	l := benchLog(b)
	dir := b.TempDir()
	if err := l.Spill(filepath.Join(dir, "tree.snap")); err != nil {
		b.Fatal(err)
	}
	var h [32]byte
	for i := range 250_000 {
		h[0], h[1], h[2] = byte(i), byte(i>>8), byte(i>>16)
		if err := l.Add(eventstore.Event{Position: eventstore.Position(2_000_000 + i), Metadata: eventstore.Metadata{Hash: hex.EncodeToString(h[:])}}); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(1_250_000 * 72)
	for b.Loop() {
		if err := l.Save(filepath.Join(dir, "again.snap")); err != nil {
			b.Fatal(err)
		}
	}
}
