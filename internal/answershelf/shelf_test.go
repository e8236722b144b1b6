package answershelf

import (
	"bytes"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/require"
)

var quiet = slog.New(slog.DiscardHandler)

// get reads key at version for a read of generation gen, failing the test
// on an error.
func get(t *testing.T, s *Shelf, gen uint64, key, version string) (string, bool) {
	t.Helper()
	b, ok, err := s.Get(gen, key, version)
	require.NoError(t, err)
	return string(b), ok
}

// holds reports whether any file under dir holds text.
func holds(t *testing.T, dir, text string) bool {
	t.Helper()
	found := false
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		found = found || bytes.Contains(b, []byte(text))
		return nil
	}))
	return found
}

// TestShelfKeepsAnswersWhileTheStampIsTheSame: an answer is served at the
// version it was kept at, replaced by a newer one, and still there after
// the shelf is opened again with the same stamp; another stamp (one more
// erasure in the log, another build) deletes it.
func TestShelfKeepsAnswersWhileTheStampIsTheSame(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, "erasures 2", quiet)
	require.NoError(t, err)
	require.NoError(t, s.Put(0, "p1", "3|17", []byte(`{"entries":[1,2,3]}`)))
	require.NoError(t, s.Put(0, "p2", "1|9", []byte(`{"entries":["张*"]}`)))
	got, ok := get(t, s, 0, "p1", "3|17")
	require.True(t, ok)
	require.Equal(t, `{"entries":[1,2,3]}`, got)
	_, ok = get(t, s, 0, "p1", "4|20")
	require.False(t, ok, "an answer of another version is not served")
	_, ok = get(t, s, 0, "p3", "1|9")
	require.False(t, ok)
	require.NoError(t, s.Put(0, "p1", "4|20", []byte(`{"entries":[1,2,3,4]}`)))
	_, ok = get(t, s, 0, "p1", "3|17")
	require.False(t, ok, "a newer answer replaces the older")
	require.NoError(t, s.Close())
	_, ok = get(t, s, 0, "p1", "4|20")
	require.False(t, ok, "a closed shelf serves nothing")
	require.NoError(t, s.Put(0, "p1", "5|21", []byte(`{}`)), "nor fails")

	s, err = Open(dir, "erasures 2", quiet)
	require.NoError(t, err)
	got, ok = get(t, s, 0, "p1", "4|20")
	require.True(t, ok, "the answers outlive a restart")
	require.Equal(t, `{"entries":[1,2,3,4]}`, got)
	require.NoError(t, s.Close())

	s, err = Open(dir, "erasures 3", quiet)
	require.NoError(t, err)
	defer s.Close()
	require.False(t, holds(t, dir, "张*"), "another stamp deletes the answers' bytes")
	for _, k := range [][2]string{{"p1", "4|20"}, {"p2", "1|9"}} {
		_, ok = get(t, s, 0, k[0], k[1])
		require.False(t, ok, "an erasure recorded while the shelf was closed empties it: %s", k[0])
	}
}

// TestWipeDeletesEverythingAndServesOnlyItsGeneration: after a wipe at a
// generation no byte of an earlier answer is on disk; an answer made at
// an older generation is not kept, one made at it is; a read of another
// generation is not served (a read that began before the erasure, or one
// after a newer erasure whose wipe is not done); a wipe with nothing
// kept since the last deletes nothing; the next open empties the shelf
// even with the same stamp.
func TestWipeDeletesEverythingAndServesOnlyItsGeneration(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, "e1", quiet)
	require.NoError(t, err)
	s.Start(4)
	require.NoError(t, s.Put(4, "p1", "v", []byte(`{"author":"张*"}`)))
	_, ok := get(t, s, 4, "p1", "v")
	require.True(t, ok)
	_, ok = get(t, s, 5, "p1", "v")
	require.False(t, ok, "a read of a generation the shelf has not been wiped for is not served")
	require.NoError(t, s.Wipe(5))
	require.False(t, holds(t, dir, "张*"), "the wipe left the answer's bytes on disk")
	_, ok = get(t, s, 5, "p1", "v")
	require.False(t, ok)
	require.NoError(t, s.Put(4, "p1", "v", []byte(`{"author":"张*"}`)))
	_, ok = get(t, s, 4, "p1", "v")
	require.False(t, ok, "an answer made before the erasure is refused")
	require.NoError(t, s.Put(5, "p2", "v", []byte(`{"entries":[]}`)))
	_, ok = get(t, s, 5, "p2", "v")
	require.True(t, ok)
	_, ok = get(t, s, 4, "p2", "v")
	require.False(t, ok, "a read that began before the wipe is not served")

	require.NoError(t, s.Wipe(3))
	_, ok = get(t, s, 5, "p2", "v")
	require.False(t, ok, "a wipe at an older generation removes the answers too")
	require.NoError(t, s.Put(4, "p1", "v", []byte(`{}`)))
	_, ok = get(t, s, 5, "p1", "v")
	require.False(t, ok, "a wipe at an older generation does not lower the one kept")

	files := func() []string {
		t.Helper()
		es, err := os.ReadDir(filepath.Join(dir, "db"))
		require.NoError(t, err)
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		return names
	}
	before := files()
	require.NoError(t, s.Wipe(6))
	require.Equal(t, before, files(), "a wipe with nothing kept since the last one deletes nothing")
	s.Start(7)
	require.NoError(t, s.Put(7, "p3", "v", []byte(`{}`)))
	require.NoError(t, s.Close())

	s, err = Open(dir, "e1", quiet)
	require.NoError(t, err)
	defer s.Close()
	_, ok = get(t, s, 0, "p3", "v")
	require.False(t, ok, "a shelf wiped since it was stamped is emptied when opened")
}

// TestOnlyOneProcessHoldsAShelf: a second Open or an Empty of a shelf in
// use fails with ErrInUse and leaves it as it is; Empty of a shelf not in
// use deletes its answers; Empty where there is none makes none.
func TestOnlyOneProcessHoldsAShelf(t *testing.T) {
	none := filepath.Join(t.TempDir(), "answers")
	require.NoError(t, Empty(none))
	require.NoDirExists(t, none)

	dir := t.TempDir()
	s, err := Open(dir, "", quiet)
	require.NoError(t, err)
	require.NoError(t, s.Put(0, "p1", "v", []byte(`{"author":"张*"}`)))
	_, err = Open(dir, "", quiet)
	require.ErrorIs(t, err, ErrInUse)
	require.ErrorIs(t, Empty(dir), ErrInUse)
	_, ok := get(t, s, 0, "p1", "v")
	require.True(t, ok)
	require.NoError(t, s.Close())

	require.NoError(t, Empty(dir))
	require.False(t, holds(t, dir, "张*"))
	s, err = Open(dir, "", quiet)
	require.NoError(t, err)
	defer s.Close()
	_, ok = get(t, s, 0, "p1", "v")
	require.False(t, ok)
}

// TestDamagedFilesAreMadeAgain: a shelf whose files do not open is
// deleted and made again, not left on disk.
func TestDamagedFilesAreMadeAgain(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, "", quiet)
	require.NoError(t, err)
	require.NoError(t, s.Put(0, "p1", "v", []byte(`{"author":"张*"}`)))
	require.NoError(t, s.Close())
	manifests, err := filepath.Glob(filepath.Join(dir, "db", "MANIFEST-*"))
	require.NoError(t, err)
	require.NotEmpty(t, manifests)
	for _, m := range manifests {
		require.NoError(t, os.WriteFile(m, []byte("not a manifest"), 0o600))
	}
	s, err = Open(dir, "", quiet)
	require.NoError(t, err)
	defer s.Close()
	require.False(t, holds(t, dir, "张*"))
	require.NoError(t, s.Put(0, "p2", "v", []byte(`{}`)))
	_, ok := get(t, s, 0, "p2", "v")
	require.True(t, ok)
}

// TestAFailedWriteStopsTheShelf: the first write the disk refuses is
// reported, and then the shelf serves and keeps nothing, quietly.
func TestAFailedWriteStopsTheShelf(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, "", quiet)
	require.NoError(t, err)
	require.NoError(t, s.Put(0, "p1", "v", []byte("{}")))
	require.NoError(t, s.Close())
	// pebble opened read-only refuses writes.
	db, err := pebble.Open(filepath.Join(dir, "db"), &pebble.Options{ReadOnly: true, Logger: &logger{log: quiet}})
	require.NoError(t, err)
	ro := &Shelf{dir: dir, log: quiet, db: db}
	defer ro.Close()
	_, ok := get(t, ro, 0, "p1", "v")
	require.True(t, ok)
	require.Error(t, ro.Put(0, "p2", "v", []byte("{}")))
	require.NoError(t, ro.Put(0, "p3", "v", []byte("{}")), "only the first failure is reported")
	_, ok = get(t, ro, 0, "p1", "v")
	require.False(t, ok, "a shelf that failed serves nothing")
}
