package seal_test

import (
	"crypto/sha256"
	"encoding/hex"
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
