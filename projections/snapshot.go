package projections

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/yishi-civic/yishi/eventstore"
)

// A snapshot file, <dir>/<view>.snap, is a header line of JSON followed by
// the view's own encoding of its state:
//
//	{"format":1,"view":"board","version":1,"position":1234,"size":5678,"crc32c":…}\n
//	<size bytes of payload>
//
// format is the version of this file layout. A file whose format, view name
// or view version is not the expected one, or whose payload does not match
// its size and checksum, is ignored and the view is rebuilt from the start
// of the log.

// snapshotFormat is the version of the snapshot file layout.
const snapshotFormat = 1

// snapshotHeader is the first line of a snapshot file.
type snapshotHeader struct {
	Format   int                 `json:"format"`
	View     string              `json:"view"`
	Version  int                 `json:"version"`
	Position eventstore.Position `json:"position"`
	Size     int                 `json:"size"`
	CRC32C   uint32              `json:"crc32c"`
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func snapshotPath(dir, view string) string { return filepath.Join(dir, view+".snap") }

// loadSnapshots restores each view from its snapshot in dir, in parallel,
// and returns each view's checkpoint: the position its snapshot holds, or
// Start when the view has to be rebuilt. Only a failure to read the
// directory is an error; a bad snapshot is logged and means a rebuild.
func loadSnapshots(dir string, views []View, log *slog.Logger) ([]eventstore.Position, error) {
	from := make([]eventstore.Position, len(views))
	if dir == "" {
		return from, nil
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("projections: snapshot directory: %w", err)
	}
	// As many at once as there are cores: more would not load faster, and
	// every payload in flight adds to the peak memory.
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, v := range views {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			pos, err := loadSnapshot(dir, v)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				log.Info("projections: no snapshot; rebuilding", "view", v.Name())
			case err != nil:
				log.Warn("projections: snapshot unusable; rebuilding", "view", v.Name(), "err", err)
			default:
				from[i] = pos
			}
		})
	}
	wg.Wait()
	return from, nil
}

// errOutdated marks a snapshot of another format or view version.
var errOutdated = errors.New("snapshot outdated")

// loadSnapshot restores v from its snapshot file. On any error v keeps its
// empty state (UnmarshalSnapshot replaces the state only on success).
func loadSnapshot(dir string, v View) (eventstore.Position, error) {
	f, err := os.Open(snapshotPath(dir, v.Name()))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<20)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return 0, fmt.Errorf("read header: %w", err)
	}
	var h snapshotHeader
	if err := json.Unmarshal(line, &h); err != nil {
		return 0, fmt.Errorf("header: %w", err)
	}
	if h.Format != snapshotFormat || h.View != v.Name() || h.Version != v.Version() {
		return 0, fmt.Errorf("%w: format %d view %q version %d, want format %d view %q version %d",
			errOutdated, h.Format, h.View, h.Version, snapshotFormat, v.Name(), v.Version())
	}
	payload := make([]byte, h.Size)
	if _, err := io.ReadFull(br, payload); err != nil {
		return 0, fmt.Errorf("read payload: %w", err)
	}
	if crc32.Checksum(payload, castagnoli) != h.CRC32C {
		return 0, errors.New("payload checksum mismatch")
	}
	if err := v.UnmarshalSnapshot(payload); err != nil {
		return 0, fmt.Errorf("decode payload: %w", err)
	}
	return h.Position, nil
}

// writeSnapshots writes each view's payload (nil payloads are skipped) in
// parallel.
func writeSnapshots(dir string, views []View, payloads [][]byte, pos eventstore.Position) error {
	errs := make([]error, len(views))
	var wg sync.WaitGroup
	for i, v := range views {
		if payloads[i] == nil {
			continue
		}
		wg.Go(func() {
			errs[i] = writeSnapshot(dir, v, payloads[i], pos)
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// writeSnapshot writes one snapshot atomically: a temporary file, fsync,
// rename over the old one, fsync of the directory.
func writeSnapshot(dir string, v View, payload []byte, pos eventstore.Position) error {
	h, err := json.Marshal(snapshotHeader{
		Format: snapshotFormat, View: v.Name(), Version: v.Version(), Position: pos,
		Size: len(payload), CRC32C: crc32.Checksum(payload, castagnoli),
	})
	if err != nil {
		return fmt.Errorf("projections: snapshot header of %s: %w", v.Name(), err)
	}
	final := snapshotPath(dir, v.Name())
	tmp, err := os.CreateTemp(dir, v.Name()+".snap.tmp*")
	if err != nil {
		return fmt.Errorf("projections: snapshot of %s: %w", v.Name(), err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	if _, err := io.Copy(tmp, io.MultiReader(bytes.NewReader(h), bytes.NewReader([]byte{'\n'}), bytes.NewReader(payload))); err != nil {
		tmp.Close()
		return fmt.Errorf("projections: write snapshot of %s: %w", v.Name(), err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("projections: sync snapshot of %s: %w", v.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("projections: close snapshot of %s: %w", v.Name(), err)
	}
	if err := os.Rename(tmp.Name(), final); err != nil {
		return fmt.Errorf("projections: install snapshot of %s: %w", v.Name(), err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("projections: sync snapshot directory: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("projections: sync snapshot directory: %w", err)
	}
	return nil
}
