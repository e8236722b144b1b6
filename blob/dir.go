package blob

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/yishi-civic/yishi/internal/durable"
)

// Dir is the local-directory Store: each blob a file at dir/<key[:2]>/<key>
// (256 subdirectories at most for hex keys), written to a temporary file,
// synced, renamed into place, and its directory and the parent synced, so
// that the blob survives a crash once Put returns.
type Dir struct {
	dir string
	// syncDir makes a directory's entries durable; tests watch it.
	syncDir func(dir string) error
}

var _ Store = (*Dir)(nil)

// OpenDir opens (creating it if needed) the directory store at dir.
func OpenDir(dir string) (*Dir, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("blob: open %s: %w", dir, err)
	}
	return &Dir{dir: dir, syncDir: durable.SyncDir}, nil
}

// String implements Store.
func (d *Dir) String() string { return "file://" + d.dir }

// Path is where the blob key lives on disk.
func (d *Dir) Path(key string) string { return filepath.Join(d.dir, key[:min(2, len(key))], key) }

// Put implements Store.
func (d *Dir) Put(_ context.Context, key string, data []byte) error { return d.write(key, data, false) }

// Create implements Store: the synced temporary file is linked to its final
// name, which fails when the name exists.
func (d *Dir) Create(_ context.Context, key string, data []byte) error {
	return d.write(key, data, true)
}

// write writes a blob through a synced temporary file, renamed into place
// (or, to create, linked: the link fails if the name exists).
func (d *Dir) write(key string, data []byte, create bool) error {
	if err := checkKey(key); err != nil {
		return err
	}
	final := d.Path(key)
	sub := filepath.Dir(final)
	if err := os.MkdirAll(sub, 0o750); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	tmp, err := os.CreateTemp(sub, ".upload-*")
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("blob: put %s: write: %w", key, err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("blob: put %s: sync: %w", key, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	if create {
		err = os.Link(tmp.Name(), final)
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s", ErrExists, key)
		}
	} else {
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		return fmt.Errorf("blob: put %s: %w", key, err)
	}
	// The rename is durable only once the directory holding the new name
	// is synced, and a new subdirectory only once its parent is.
	for _, dir := range []string{sub, d.dir} {
		if err := d.syncDir(dir); err != nil {
			return fmt.Errorf("blob: put %s: sync %s: %w", key, dir, err)
		}
	}
	return nil
}

// Get implements Store.
func (d *Dir) Get(_ context.Context, key string) ([]byte, error) {
	if err := checkKey(key); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(d.Path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("blob: get %s: %w", key, err)
	}
	return b, nil
}

// Stat implements Store.
func (d *Dir) Stat(_ context.Context, key string) (Info, error) {
	if err := checkKey(key); err != nil {
		return Info{}, err
	}
	st, err := os.Stat(d.Path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return Info{}, fmt.Errorf("blob: stat %s: %w", key, err)
	}
	return Info{Key: key, Size: st.Size(), Modified: st.ModTime()}, nil
}

// Delete implements Store: the file is removed and its directory synced.
func (d *Dir) Delete(_ context.Context, key string) error {
	if err := checkKey(key); err != nil {
		return err
	}
	p := d.Path(key)
	err := os.Remove(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blob: delete %s: %w", key, err)
	}
	if err := d.syncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("blob: delete %s: sync: %w", key, err)
	}
	return nil
}

// List implements Store; temporary files of writes in progress are not
// blobs.
func (d *Dir) List(ctx context.Context) iter.Seq2[Info, error] {
	return func(yield func(Info, error) bool) {
		var infos []Info
		err := filepath.WalkDir(d.dir, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") || checkKey(e.Name()) != nil || d.Path(e.Name()) != path {
				return nil
			}
			st, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			if err != nil {
				return err
			}
			infos = append(infos, Info{Key: e.Name(), Size: st.Size(), Modified: st.ModTime()})
			return nil
		})
		if err != nil {
			yield(Info{}, fmt.Errorf("blob: list %s: %w", d.dir, err))
			return
		}
		slices.SortFunc(infos, func(a, b Info) int { return strings.Compare(a.Key, b.Key) })
		for _, in := range infos {
			if !yield(in, nil) {
				return
			}
		}
	}
}
