package answershelf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/privacy"
)

var (
	quiet = slog.New(slog.DiscardHandler)
	ctx   = context.Background()
)

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

// made waits until the shelf's goroutine has made its files again.
func made(t *testing.T, s *Shelf) {
	t.Helper()
	require.Eventually(t, func() bool {
		s.state.Lock()
		defer s.state.Unlock()
		return !s.stale
	}, 10*time.Second, time.Millisecond)
}

// keptOne opens a shelf in dir, keeps one answer, p1 at version v, closes
// it and returns the id of its key.
func keptOne(t *testing.T, dir string, keys Keys) string {
	t.Helper()
	s, err := Open(ctx, dir, "", keys, quiet)
	require.NoError(t, err)
	require.NoError(t, s.Put(0, "p1", "v", []byte(`{"author":"张*"}`)))
	id := keyOf(s)
	require.NoError(t, s.Close())
	return id
}

// keyOf returns the id of the shelf's key.
func keyOf(s *Shelf) string {
	s.state.Lock()
	defer s.state.Unlock()
	return s.keyID
}

// TestShelfKeepsAnswersWhileTheStampIsTheSame: an answer is served at the
// version it was kept at, replaced by a newer one, never written in
// plaintext, and still there after the shelf is opened again with the
// same stamp; another stamp (one more erasure in the log, another build),
// or its key gone from the key store, deletes it.
func TestShelfKeepsAnswersWhileTheStampIsTheSame(t *testing.T) {
	dir, keys := t.TempDir(), privacy.NewMemoryKeys()
	s, err := Open(ctx, dir, "erasures 2", keys, quiet)
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
	require.False(t, holds(t, dir, "张*"), "an answer is on disk in plaintext")
	_, ok = get(t, s, 0, "p1", "4|20")
	require.False(t, ok, "a closed shelf serves nothing")
	require.NoError(t, s.Put(0, "p1", "5|21", []byte(`{}`)), "nor fails")

	s, err = Open(ctx, dir, "erasures 2", keys, quiet)
	require.NoError(t, err)
	got, ok = get(t, s, 0, "p1", "4|20")
	require.True(t, ok, "the answers outlive a restart")
	require.Equal(t, `{"entries":[1,2,3,4]}`, got)
	id := keyOf(s)
	require.NoError(t, s.Close())

	s, err = Open(ctx, dir, "erasures 3", keys, quiet)
	require.NoError(t, err)
	_, err = keys.Key(ctx, id)
	require.ErrorIs(t, err, privacy.ErrErased, "the key of answers not kept is destroyed")
	for _, k := range [][2]string{{"p1", "4|20"}, {"p2", "1|9"}} {
		_, ok = get(t, s, 0, k[0], k[1])
		require.False(t, ok, "an erasure recorded while the shelf was closed empties it: %s", k[0])
	}
	require.NoError(t, s.Put(0, "p4", "v", []byte(`{}`)))
	id = keyOf(s)
	require.NoError(t, s.Close())

	require.NoError(t, keys.Erase(ctx, time.Now(), id))
	s, err = Open(ctx, dir, "erasures 3", keys, quiet)
	require.NoError(t, err)
	defer s.Close()
	_, ok = get(t, s, 0, "p4", "v")
	require.False(t, ok, "answers whose key is gone are not kept")
	require.NoError(t, s.Put(0, "p4", "v", []byte(`{}`)))
	_, ok = get(t, s, 0, "p4", "v")
	require.True(t, ok, "the shelf is made again with a new key")
}

// TestGetWaitsForNoRemaking: a read while the files are being made again
// (the shelf's goroutine holding them after a wipe) finds nothing at once
// rather than waiting for them.
func TestGetWaitsForNoRemaking(t *testing.T) {
	s, err := Open(ctx, t.TempDir(), "", privacy.NewMemoryKeys(), quiet)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Put(0, "p1", "v", []byte(`{"a":1}`)))
	s.mu.Lock()
	found := make(chan bool, 1)
	go func() {
		_, ok, _ := s.Get(0, "p1", "v")
		found <- ok
	}()
	select {
	case ok := <-found:
		require.False(t, ok)
	case <-time.After(10 * time.Second):
		t.Error("a read waited for the files being made again")
	}
	s.mu.Unlock()
	_, ok := get(t, s, 0, "p1", "v")
	require.True(t, ok)
}

// TestEachGoesOverAPrefixInOrder: Each gives the key, version and answer
// of every answer under its prefix, none other, in the order of their
// keys, until told to stop; after a restart as before it; nothing for a
// read of a generation other than the last wipe's, nor after a wipe, and
// nothing more once a wipe comes in the middle of a pass.
func TestEachGoesOverAPrefixInOrder(t *testing.T) {
	dir, keys := t.TempDir(), privacy.NewMemoryKeys()
	s, err := Open(ctx, dir, "e1", keys, quiet)
	require.NoError(t, err)
	s.Start(2)
	for _, k := range []string{"board|opened|b", "board|masked|b", "board|masked|a", "p1|20", "board|masked"} {
		require.NoError(t, s.Put(2, k, "v-"+k, []byte(`{"k":"`+k+`"}`)))
	}
	require.NoError(t, s.Put(2, "board|masked|a", "v2", []byte(`{"k":"newer"}`)))
	each := func(s *Shelf, gen uint64, prefix string, stopAfter int) []string {
		t.Helper()
		var got []string
		require.NoError(t, s.Each(gen, prefix, func(key, version string, answer []byte) bool {
			got = append(got, key+" "+version+" "+string(answer))
			return len(got) < stopAfter
		}))
		return got
	}
	want := []string{`board|masked|a v2 {"k":"newer"}`, `board|masked|b v-board|masked|b {"k":"board|masked|b"}`}
	require.Equal(t, want, each(s, 2, "board|masked|", 10))
	require.Equal(t, want[:1], each(s, 2, "board|masked|", 1), "it goes on after fn said to stop")
	require.Empty(t, each(s, 1, "board|masked|", 10), "a read of an older generation is served")
	require.Empty(t, each(s, 3, "board|masked|", 10), "a read of a generation the shelf was not wiped for is served")
	require.Empty(t, each(s, 2, "board|none|", 10))
	require.NoError(t, s.Close())

	s, err = Open(ctx, dir, "e1", keys, quiet)
	require.NoError(t, err)
	defer s.Close()
	s.Start(2)
	require.Equal(t, want, each(s, 2, "board|masked|", 10), "not as before after a restart")
	var given int
	require.NoError(t, s.Each(2, "board|masked|", func(string, string, []byte) bool {
		given++
		require.NoError(t, s.Wipe(3)) // mid-pass
		return true
	}))
	require.Equal(t, 1, given, "the pass went on after a wipe")
	made(t, s)
	require.Empty(t, each(s, 2, "board|masked|", 10), "a read of the generation before a wipe is served")
	require.Empty(t, each(s, 3, "board|masked|", 10), "what was kept before a wipe is served after it")
}

// TestWipeDestroysTheKeyAndServesOnlyItsGeneration: a wipe destroys the
// shelf's key in the key store before it returns, so that a copy of the
// files made before it (a backup) opens no answer; the files are then
// made again; a read of another generation is not served, an answer made
// at an older one is not kept; a wipe with nothing kept since the last
// destroys no key; the next open empties the shelf even with the same
// stamp.
func TestWipeDestroysTheKeyAndServesOnlyItsGeneration(t *testing.T) {
	dir, keys := t.TempDir(), privacy.NewMemoryKeys()
	s, err := Open(ctx, dir, "e1", keys, quiet)
	require.NoError(t, err)
	s.Start(4)
	epoch, ok := s.Keeps(4)
	require.True(t, ok)
	_, ok = s.Keeps(3)
	require.False(t, ok, "an answer made before the shelf's generation would be kept")
	_, ok = s.Keeps(5)
	require.False(t, ok, "an answer of a generation the shelf has not been wiped for would be kept")
	require.NoError(t, s.Put(4, "p1", "v", []byte(`{"author":"张*"}`)))
	_, ok = get(t, s, 4, "p1", "v")
	require.True(t, ok)
	_, ok = get(t, s, 5, "p1", "v")
	require.False(t, ok, "a read of a generation the shelf has not been wiped for is not served")
	backup := t.TempDir()
	require.NoError(t, os.CopyFS(backup, os.DirFS(dir)))
	require.NoError(t, os.Remove(filepath.Join(backup, "LOCK")))
	old := keyOf(s)

	require.NoError(t, s.Wipe(5))
	_, err = keys.Key(ctx, old)
	require.ErrorIs(t, err, privacy.ErrErased, "the wipe returned before the shelf's key was destroyed")
	made(t, s)
	now, ok := s.Keeps(5)
	require.True(t, ok, "the files made again after the wipe keep nothing")
	require.NotEqual(t, epoch, now, "the files made again are of the same epoch")
	_, ok = s.Keeps(4)
	require.False(t, ok, "an answer made before the wipe would be kept")
	require.NotEqual(t, old, keyOf(s))
	_, ok = get(t, s, 5, "p1", "v")
	require.False(t, ok)
	require.NoError(t, s.Put(4, "p1", "v", []byte(`{"author":"张*"}`)))
	_, ok = get(t, s, 5, "p1", "v")
	require.False(t, ok, "an answer made before the erasure is refused")
	require.NoError(t, s.Put(5, "p2", "v", []byte(`{"entries":[]}`)))
	_, ok = get(t, s, 5, "p2", "v")
	require.True(t, ok)
	_, ok = get(t, s, 4, "p2", "v")
	require.False(t, ok, "a read that began before the wipe is not served")

	fromBackup, err := Open(ctx, backup, "e1", keys, quiet)
	require.NoError(t, err)
	_, ok = get(t, fromBackup, 0, "p1", "v")
	require.False(t, ok, "a copy made before the wipe opens its answers")
	require.NoError(t, fromBackup.Close())

	require.NoError(t, s.Wipe(3))
	made(t, s)
	_, ok = get(t, s, 5, "p2", "v")
	require.False(t, ok, "a wipe at an older generation removes the answers too")
	require.NoError(t, s.Put(4, "p1", "v", []byte(`{}`)))
	_, ok = get(t, s, 5, "p1", "v")
	require.False(t, ok, "a wipe at an older generation does not lower the one kept")

	kept := keyOf(s)
	require.NoError(t, s.Wipe(6))
	_, err = keys.Key(ctx, kept)
	require.NoError(t, err, "a wipe with nothing kept since the last one destroyed a key")
	require.Equal(t, kept, keyOf(s))
	require.NoError(t, s.Put(6, "p3", "v", []byte(`{}`)))
	require.NoError(t, s.Close())

	s, err = Open(ctx, dir, "e1", keys, quiet)
	require.NoError(t, err)
	defer s.Close()
	_, ok = get(t, s, 0, "p3", "v")
	require.False(t, ok, "a shelf wiped since it was stamped is emptied when opened")
}

// TestWipeWaitsForNoFile: a wipe returns while the shelf's files are held
// by a read or a write that does not end (a disk that stalls), and the
// shelf serves nothing meanwhile.
func TestWipeWaitsForNoFile(t *testing.T) {
	keys := privacy.NewMemoryKeys()
	s, err := Open(ctx, t.TempDir(), "", keys, quiet)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Put(0, "p1", "v", []byte(`{}`)))
	s.mu.Lock() // the files held
	wiped := make(chan error, 1)
	go func() { wiped <- s.Wipe(1) }()
	select {
	case err := <-wiped:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the wipe waited for the shelf's files")
	}
	_, ok, err := s.Get(1, "p1", "v")
	require.NoError(t, err)
	require.False(t, ok)
	s.mu.Unlock()
	made(t, s)
}

// TestReadsAndWritesDuringWipes: under the race detector, reads and writes
// of several generations while wipes move the generation on; no read is
// served an answer made at an older generation than its own.
func TestReadsAndWritesDuringWipes(t *testing.T) {
	keys := privacy.NewMemoryKeys()
	s, err := Open(ctx, t.TempDir(), "", keys, quiet)
	require.NoError(t, err)
	defer s.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	gen := uint64(0)
	current := func() uint64 { mu.Lock(); defer mu.Unlock(); return gen }
	stop := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				g := current()
				key := fmt.Sprintf("p%d", (w*7+i)%16)
				if err := s.Put(g, key, "v", fmt.Appendf(nil, `{"gen":%d}`, g)); err != nil {
					t.Error(err)
					return
				}
				g = current()
				b, ok, err := s.Get(g, key, "v")
				if err != nil {
					t.Error(err)
					return
				}
				var made uint64
				if ok {
					if _, err := fmt.Sscanf(string(b), `{"gen":%d}`, &made); err != nil || made < g {
						t.Errorf("a read of generation %d was served an answer of %d: %s", g, made, b)
						return
					}
				}
			}
		})
	}
	for range 20 {
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		gen++
		g := gen
		mu.Unlock()
		require.NoError(t, s.Wipe(g))
	}
	close(stop)
	wg.Wait()
}

// TestOnlyOneProcessHoldsAShelf: a second Open or an Empty of a shelf in
// use fails with ErrInUse and leaves it as it is; Empty of a shelf not in
// use destroys its key and deletes its files; Empty where there is none
// makes none.
func TestOnlyOneProcessHoldsAShelf(t *testing.T) {
	keys := privacy.NewMemoryKeys()
	none := filepath.Join(t.TempDir(), "answers")
	require.NoError(t, Empty(ctx, none, keys))
	require.NoDirExists(t, none)

	dir := t.TempDir()
	s, err := Open(ctx, dir, "", keys, quiet)
	require.NoError(t, err)
	require.NoError(t, s.Put(0, "p1", "v", []byte(`{"author":"张*"}`)))
	_, err = Open(ctx, dir, "", keys, quiet)
	require.ErrorIs(t, err, ErrInUse)
	require.ErrorIs(t, Empty(ctx, dir, keys), ErrInUse)
	_, ok := get(t, s, 0, "p1", "v")
	require.True(t, ok)
	id := keyOf(s)
	require.NoError(t, s.Close())

	require.NoError(t, Empty(ctx, dir, keys))
	_, err = keys.Key(ctx, id)
	require.ErrorIs(t, err, privacy.ErrErased)
	require.NoDirExists(t, filepath.Join(dir, "db"))
	s, err = Open(ctx, dir, "", keys, quiet)
	require.NoError(t, err)
	defer s.Close()
	_, ok = get(t, s, 0, "p1", "v")
	require.False(t, ok)
}

// TestDamagedFilesAreMadeAgain: a shelf whose files do not open is
// deleted and made again, not left on disk.
func TestDamagedFilesAreMadeAgain(t *testing.T) {
	dir, keys := t.TempDir(), privacy.NewMemoryKeys()
	old := keptOne(t, dir, keys)
	manifests, err := filepath.Glob(filepath.Join(dir, "db", "MANIFEST-*"))
	require.NoError(t, err)
	require.NotEmpty(t, manifests)
	for _, m := range manifests {
		require.NoError(t, os.WriteFile(m, []byte("not a manifest"), 0o600))
	}
	s, err := Open(ctx, dir, "", keys, quiet)
	require.NoError(t, err)
	defer s.Close()
	_, err = keys.Key(ctx, old)
	require.ErrorIs(t, err, privacy.ErrErased, "the key of files that do not open is left in the key store")
	require.NoError(t, s.Put(0, "p2", "v", []byte(`{}`)))
	_, ok := get(t, s, 0, "p2", "v")
	require.True(t, ok)
	_, ok = get(t, s, 0, "p1", "v")
	require.False(t, ok)
}

// TestAFailedWriteStopsTheShelf: the first write the disk refuses is
// reported, and then the shelf serves and keeps nothing, quietly.
func TestAFailedWriteStopsTheShelf(t *testing.T) {
	dir, keys := t.TempDir(), privacy.NewMemoryKeys()
	id := keptOne(t, dir, keys)
	// pebble opened read-only refuses writes.
	db, err := pebble.Open(filepath.Join(dir, "db"), &pebble.Options{ReadOnly: true, Logger: &logger{log: quiet}})
	require.NoError(t, err)
	ro := &Shelf{dir: dir, log: quiet, keys: keys, db: db, keyID: id, remake: make(chan struct{}, 1), done: make(chan struct{})}
	ro.aead, err = ro.cipher(ctx, id)
	require.NoError(t, err)
	go ro.remaking()
	defer ro.Close()
	_, ok := get(t, ro, 0, "p1", "v")
	require.True(t, ok)
	_, keeps := ro.Keeps(0)
	require.True(t, keeps)
	require.Error(t, ro.Put(0, "p2", "v", []byte("{}")))
	_, keeps = ro.Keeps(0)
	require.False(t, keeps, "a shelf that failed would keep answers")
	require.NoError(t, ro.Put(0, "p3", "v", []byte("{}")), "only the first failure is reported")
	_, ok = get(t, ro, 0, "p1", "v")
	require.False(t, ok, "a shelf that failed serves nothing")
}

// failingKeys fails the key destructions while fail is set.
type failingKeys struct {
	*privacy.MemoryKeys
	fail atomic.Bool
}

func (k *failingKeys) Erase(ctx context.Context, at time.Time, ids ...string) error {
	if k.fail.Load() {
		return errors.New("the key store is down")
	}
	return k.MemoryKeys.Erase(ctx, at, ids...)
}

// TestAWipeThatFailedIsDoneByTheNext: a wipe whose key destruction failed
// says so and leaves the shelf serving nothing; the next wipe, though
// nothing was kept since, destroys the key before it returns.
func TestAWipeThatFailedIsDoneByTheNext(t *testing.T) {
	keys := &failingKeys{MemoryKeys: privacy.NewMemoryKeys()}
	s, err := Open(ctx, t.TempDir(), "", keys, quiet)
	require.NoError(t, err)
	defer s.Close()
	require.NoError(t, s.Put(0, "p1", "v", []byte(`{}`)))
	old := keyOf(s)
	keys.fail.Store(true)
	require.Error(t, s.Wipe(1))
	_, ok := get(t, s, 1, "p1", "v")
	require.False(t, ok)
	_, err = keys.Key(ctx, old)
	require.NoError(t, err)
	keys.fail.Store(false)
	require.NoError(t, s.Wipe(2))
	_, err = keys.Key(ctx, old)
	require.ErrorIs(t, err, privacy.ErrErased, "the second wipe returned before the key was destroyed")
}
