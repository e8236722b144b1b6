package blob

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/yishi-civic/yishi/internal/durable"
)

// TestDirPutSyncsDirectories checks that Put returns only after the
// directory holding the blob's new name, and its parent, are synced:
// without it a crash can keep the event that refers to a photo and lose the
// photo (issue 9.20).
func TestDirPutSyncsDirectories(t *testing.T) {
	d, err := OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var synced []string
	d.syncDir = func(dir string) error {
		mu.Lock()
		synced = append(synced, dir)
		mu.Unlock()
		return durable.SyncDir(dir)
	}
	key := "ab" + "cdef"
	if err := d.Put(context.Background(), key, []byte("photo")); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{filepath.Dir(d.Path(key)), d.dir} {
		if !slices.Contains(synced, dir) {
			t.Errorf("%s was not synced before Put returned (synced: %v)", dir, synced)
		}
	}
}
