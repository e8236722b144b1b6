package seal

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/yishi-civic/yishi/eventstore"
)

// TestChunksKeepValuesInPlace checks values across block boundaries, and
// that growing never moves what a block holds.
func TestChunksKeepValuesInPlace(t *testing.T) {
	var c chunks[int64]
	c.add(0)
	first := &c.blocks[0][0]
	const n = 2*chunkLen + 5
	for i := int64(1); i < n; i++ {
		c.add(i)
	}
	if c.len() != n || len(c.blocks) != 3 {
		t.Fatalf("len %d in %d blocks, want %d in 3", c.len(), len(c.blocks), n)
	}
	if &c.blocks[0][0] != first {
		t.Fatal("the first block moved as the list grew")
	}
	for _, i := range []int64{0, chunkLen - 1, chunkLen, 2 * chunkLen, n - 1} {
		if got := c.at(i); got != i {
			t.Errorf("at(%d) = %d", i, got)
		}
	}
}

// TestStoredWritesWhatItHolds: writeTo writes the mapped file's bytes
// (over more than one release) and then the values added since, across
// blocks, in order, as the file holds them; a writer's error stops it,
// in the mapped bytes or in the values on the heap.
func TestStoredWritesWhatItHolds(t *testing.T) {
	const inFile, added = releaseEvery/8 + 3, 2*chunkLen + 7
	var want []byte
	for i := range uint64(inFile + added) {
		want = binary.LittleEndian.AppendUint64(want, 10*i+1)
	}
	// The file's values read from a mapping, as a loaded tree reads them
	// (writeTo drops the pages it has written).
	f, err := os.Create(filepath.Join(t.TempDir(), "positions"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(want[:8*inFile]); err != nil {
		t.Fatal(err)
	}
	m, unmap, err := mapFile(f, 8*inFile)
	if err != nil {
		t.Fatal(err)
	}
	defer unmap()
	s := stored[eventstore.Position]{base: m, size: 8, n: inFile, decode: decodePosition}
	for i := range uint64(added) {
		s.add(eventstore.Position(10*(inFile+i) + 1))
	}
	var got bytes.Buffer
	if err := s.writeTo(&got, appendPosition); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("wrote %d bytes, not the %d held in order", got.Len(), len(want))
	}
	stop := errors.New("stop")
	if err := s.writeTo(failingWriter{stop}, appendPosition); !errors.Is(err, stop) {
		t.Fatalf("writeTo: %v, want the writer's error", err)
	}
	onHeap := stored[eventstore.Position]{}
	onHeap.add(1, 2, 3)
	if err := onHeap.writeTo(failingWriter{stop}, appendPosition); !errors.Is(err, stop) {
		t.Fatalf("writeTo of values on the heap: %v, want the writer's error", err)
	}
	got.Reset()
	if err := onHeap.writeTo(&got, appendPosition); err != nil || got.Len() != 24 {
		t.Fatalf("writeTo of values on the heap: %v after %d bytes, want 24", err, got.Len())
	}
}

// failingWriter fails every write with err.
type failingWriter struct{ err error }

func (f failingWriter) Write([]byte) (int, error) { return 0, f.err }
