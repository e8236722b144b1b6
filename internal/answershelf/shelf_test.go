package answershelf

import (
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/require"
)

var quiet = slog.New(slog.DiscardHandler)

// get reads key at version, failing the test on an error.
func get(t *testing.T, s *Shelf, key, version string) (string, bool) {
	t.Helper()
	b, ok, err := s.Get(key, version)
	require.NoError(t, err)
	return string(b), ok
}

// TestShelfKeepsAnswersWhileTheErasuresAreTheSame: an answer is served at
// the version it was kept at, replaced by a newer one, and still there
// after the shelf is opened again for as many erasures; one more erasure
// in the log empties it.
func TestShelfKeepsAnswersWhileTheErasuresAreTheSame(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 2, quiet)
	require.NoError(t, err)
	require.NoError(t, s.Put(0, "p1", "50|3|17", []byte(`{"entries":[1,2,3]}`)))
	require.NoError(t, s.Put(0, "p2", "50|1|9", []byte(`{"entries":[1]}`)))
	got, ok := get(t, s, "p1", "50|3|17")
	require.True(t, ok)
	require.Equal(t, `{"entries":[1,2,3]}`, got)
	_, ok = get(t, s, "p1", "50|4|20")
	require.False(t, ok, "an answer of another version is not served")
	_, ok = get(t, s, "p3", "50|1|9")
	require.False(t, ok)
	require.NoError(t, s.Put(0, "p1", "50|4|20", []byte(`{"entries":[1,2,3,4]}`)))
	_, ok = get(t, s, "p1", "50|3|17")
	require.False(t, ok, "a newer answer replaces the older")
	require.NoError(t, s.Close())

	s, err = Open(dir, 2, quiet)
	require.NoError(t, err)
	got, ok = get(t, s, "p1", "50|4|20")
	require.True(t, ok, "the answers outlive a restart")
	require.Equal(t, `{"entries":[1,2,3,4]}`, got)
	require.NoError(t, s.Close())

	s, err = Open(dir, 3, quiet)
	require.NoError(t, err)
	defer s.Close()
	for _, k := range [][2]string{{"p1", "50|4|20"}, {"p2", "50|1|9"}} {
		_, ok = get(t, s, k[0], k[1])
		require.False(t, ok, "an erasure recorded while the shelf was closed empties it: %s", k[0])
	}
}

// TestWipeRemovesEverythingAndRefusesOlderAnswers: after a wipe at a
// generation, nothing is served, an answer made at an older generation is
// not kept, one made at it is; and the next open empties the shelf again
// even for as many erasures as before.
func TestWipeRemovesEverythingAndRefusesOlderAnswers(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 1, quiet)
	require.NoError(t, err)
	require.NoError(t, s.Put(4, "p1", "v", []byte("张*")))
	require.NoError(t, s.Wipe(5))
	_, ok := get(t, s, "p1", "v")
	require.False(t, ok)
	require.NoError(t, s.Put(4, "p1", "v", []byte("张*")))
	_, ok = get(t, s, "p1", "v")
	require.False(t, ok, "an answer made before the erasure is refused")
	require.NoError(t, s.Put(5, "p2", "v", []byte(`{"entries":[]}`)))
	_, ok = get(t, s, "p2", "v")
	require.True(t, ok)
	require.NoError(t, s.Wipe(3))
	require.NoError(t, s.Put(4, "p1", "v", []byte("张*")))
	_, ok = get(t, s, "p1", "v")
	require.False(t, ok, "a wipe at an older generation does not lower the one refused")
	require.NoError(t, s.Put(5, "p2", "v", []byte(`{"entries":[]}`)))
	require.NoError(t, s.Close())

	s, err = Open(dir, 1, quiet)
	require.NoError(t, err)
	defer s.Close()
	_, ok = get(t, s, "p2", "v")
	require.False(t, ok, "a shelf wiped since it was stamped is emptied when opened")
}

// TestEmptyRemovesTheAnswersOfAShelfNotInUse: Empty on a directory with
// no shelf creates none; on a shelf not open it removes every answer; on a
// shelf a server holds open it fails.
func TestEmptyRemovesTheAnswersOfAShelfNotInUse(t *testing.T) {
	none := filepath.Join(t.TempDir(), "answers")
	require.NoError(t, Empty(none, quiet))
	require.NoDirExists(t, none)

	dir := t.TempDir()
	s, err := Open(dir, 0, quiet)
	require.NoError(t, err)
	require.NoError(t, s.Put(0, "p1", "v", []byte("张*")))
	require.Error(t, Empty(dir, quiet), "a shelf in use is locked")
	require.NoError(t, s.Close())
	require.NoError(t, Empty(dir, quiet))
	s, err = Open(dir, 0, quiet)
	require.NoError(t, err)
	defer s.Close()
	_, ok := get(t, s, "p1", "v")
	require.False(t, ok)
}

// TestABrokenWipeStopsTheShelf: when a wipe cannot be written, the shelf
// serves and keeps nothing more.
func TestABrokenWipeStopsTheShelf(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 0, quiet)
	require.NoError(t, err)
	require.NoError(t, s.Put(0, "p1", "v", []byte("张*")))
	require.NoError(t, s.Close())
	// pebble opened read-only refuses the wipe's batch.
	ro, err := openReadOnly(dir)
	require.NoError(t, err)
	defer ro.Close()
	_, ok := get(t, ro, "p1", "v")
	require.True(t, ok)
	require.Error(t, ro.Wipe(1))
	_, ok = get(t, ro, "p1", "v")
	require.False(t, ok, "a shelf whose wipe failed serves nothing")
	require.NoError(t, ro.Put(1, "p2", "v", []byte("x")))
	_, ok = get(t, ro, "p2", "v")
	require.False(t, ok)
}

// openReadOnly opens the shelf in dir read-only.
func openReadOnly(dir string) (*Shelf, error) {
	db, err := pebble.Open(dir, &pebble.Options{ReadOnly: true, Logger: logger{quiet}})
	if err != nil {
		return nil, err
	}
	return &Shelf{db: db}, nil
}

// TestAFailedPutStopsTheShelf: the first write the disk refuses is
// reported, and then the shelf serves and keeps nothing, quietly.
func TestAFailedPutStopsTheShelf(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, 0, quiet)
	require.NoError(t, err)
	require.NoError(t, s.Put(0, "p1", "v", []byte("{}")))
	require.NoError(t, s.Close())
	ro, err := openReadOnly(dir)
	require.NoError(t, err)
	defer ro.Close()
	_, ok := get(t, ro, "p1", "v")
	require.True(t, ok)
	require.Error(t, ro.Put(0, "p2", "v", []byte("{}")))
	require.NoError(t, ro.Put(0, "p3", "v", []byte("{}")), "only the first failure is reported")
	_, ok = get(t, ro, "p1", "v")
	require.False(t, ok, "a shelf that failed serves nothing")
}
