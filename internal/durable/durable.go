// Package durable writes files so that a crash leaves either the old file
// or the whole new one, never a part: a temporary file beside it, synced,
// renamed over it, and the directory synced so the new name survives too.
package durable

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WriteFile replaces path with what write writes (through a buffer),
// atomically and durably. The temporary file is ".<name>.tmp-*" beside
// path and is gone when WriteFile returns, whatever happened.
func WriteFile(path string, write func(w io.Writer) error) error {
	p, err := Stage(path, write)
	if err != nil {
		return err
	}
	return p.Commit()
}

// Pending is a file written beside the one it is to replace, not yet
// synced nor in its place: Commit puts it there, Discard removes it. Its
// bytes wait in the page cache, not in the writer's memory.
type Pending struct {
	path string
	tmp  *os.File
}

// Stage writes what write writes (through a buffer) to a temporary file
// ".<name>.tmp-*" beside path, and neither syncs it nor renames it. On an
// error (or a panic of write) the temporary file is gone.
func Stage(path string, write func(w io.Writer) error) (*Pending, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	p := &Pending{path: path, tmp: tmp}
	staged := false
	defer func() {
		if !staged { // write failed, or panicked
			p.Discard()
		}
	}()
	w := bufio.NewWriterSize(tmp, 1<<20)
	err = write(w)
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	staged = true
	return p, nil
}

// Commit replaces the file at its path with p, atomically and durably:
// it syncs p, renames it over the path and syncs the directory. The
// temporary file is gone when Commit returns, whatever happened.
func (p *Pending) Commit() error {
	defer os.Remove(p.tmp.Name()) // a no-op once renamed
	err := p.tmp.Sync()
	if cerr := p.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(p.tmp.Name(), p.path)
	}
	if err == nil {
		err = SyncDir(filepath.Dir(p.path))
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", p.path, err)
	}
	return nil
}

// WriteAt writes b at off in p, over what Stage wrote there (a header
// whose room was kept at the front, filled in once what follows it is
// known).
func (p *Pending) WriteAt(b []byte, off int64) error {
	if _, err := p.tmp.WriteAt(b, off); err != nil {
		return fmt.Errorf("write %s: %w", p.path, err)
	}
	return nil
}

// Discard removes p; the file at its path stays as it was.
func (p *Pending) Discard() {
	_ = p.tmp.Close()
	_ = os.Remove(p.tmp.Name())
}

// SyncDir fsyncs a directory, making the names in it durable.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
