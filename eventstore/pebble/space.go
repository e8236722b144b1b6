package pebble

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/yishi-civic/yishi/eventstore"
)

// Pebble treats a failed write-ahead log write as fatal (it exits the
// process) and retries a failed flush at once, forever. So the store never
// lets pebble run out of space: it refuses appends while the disk's free
// space is below a floor, which leaves pebble room to finish its flushes,
// compactions and manifest writes. A ballast file (space reserved on
// purpose) is released when the disk is full, so that pebble still has room
// when something else (attachments, logs, another program) took the rest;
// it is made again when space returns.

// DefaultMinFree is the free space below which appends are refused unless
// WithSpace says otherwise: several memtables' worth (a flush and a fresh
// write-ahead log, each about the memtable's size, and room to spare).
const DefaultMinFree = 64 << 20

// ballastFile is the reserve's name in the data directory.
const ballastFile = "ballast"

// WithSpace sets the free space below which appends are refused (minFree,
// in bytes; zero keeps DefaultMinFree) and the size of the ballast file
// kept in the data directory (zero keeps none, the default).
func WithSpace(minFree, ballast int64) Option {
	return func(c *config) {
		if minFree > 0 {
			c.minFree = uint64(minFree)
		}
		if ballast >= 0 {
			c.ballast = ballast
		}
	}
}

// WithLogger sets where the store logs: one line each time the disk becomes
// full or has room again, and pebble's background errors (at most one a
// second). The default discards.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.log = l }
}

// space watches the free space of the store's disk. Its methods are safe
// for concurrent use.
type space struct {
	dir     string
	floor   uint64
	ballast int64
	log     *slog.Logger
	statfs  func(dir string) (uint64, error)

	mu         sync.Mutex
	free       uint64 // free bytes as if the ballast were held
	full       bool
	hasBallast bool
}

func newSpace(dir string, c config) *space {
	sp := &space{dir: dir, floor: c.minFree, ballast: c.ballast, log: c.log, statfs: freeBytes}
	if st, err := os.Stat(sp.ballastPath()); err == nil && st.Size() >= sp.ballast && sp.ballast > 0 {
		sp.hasBallast = true
	}
	return sp
}

func (sp *space) ballastPath() string { return filepath.Join(sp.dir, ballastFile) }

// freeBytes is the space an unprivileged writer may still use on dir's disk.
func freeBytes(dir string) (uint64, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, fmt.Errorf("statfs %s: %w", dir, err)
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// state reports the last look.
func (sp *space) state() eventstore.Space {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	return eventstore.Space{Free: sp.free, Floor: sp.floor, Full: sp.full}
}

// refresh looks at the disk again: it releases the ballast when the disk
// is full, makes it again when there is room for it above the floor, and
// logs one line when the state changes. It returns ErrDiskFull, with the
// figures, when appends are refused.
func (sp *space) refresh() error {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	free, err := sp.statfs(sp.dir)
	if err != nil {
		// Not knowing is no reason to refuse: pebble's own errors remain.
		return nil
	}
	if !sp.hasBallast && sp.ballast > 0 {
		free = saturatingSub(free, uint64(sp.ballast))
	}
	sp.free = free
	full := free < sp.floor
	released, made := false, false
	switch {
	case full && sp.hasBallast:
		if err := os.Remove(sp.ballastPath()); err == nil || errors.Is(err, os.ErrNotExist) {
			sp.hasBallast, released = false, true
		}
	case !full && !sp.hasBallast && sp.ballast > 0:
		if err := makeBallast(sp.ballastPath(), sp.ballast); err == nil {
			sp.hasBallast, made = true, true
		}
	}
	if full != sp.full {
		sp.full = full
		attrs := []any{slog.String("dir", sp.dir), slog.Uint64("free_bytes", free), slog.Uint64("min_free_bytes", sp.floor)}
		if full {
			sp.log.Warn("event store: disk full, appends refused until space is freed; reads go on", append(attrs, slog.Bool("ballast_released", released))...)
		} else {
			sp.log.Info("event store: disk has room again, appends accepted", append(attrs, slog.Bool("ballast_made", made))...)
		}
	}
	if full {
		return sp.errFull()
	}
	return nil
}

func (sp *space) errFull() error {
	return fmt.Errorf("%w: %d MiB free on the disk of %s, the store keeps %d MiB",
		eventstore.ErrDiskFull, sp.free>>20, sp.dir, sp.floor>>20)
}

// noteNoSpace is told that pebble itself met ENOSPC (a background flush or
// compaction): the disk is full whatever statfs said a moment ago.
func (sp *space) noteNoSpace() {
	_ = sp.refresh()
	sp.mu.Lock()
	defer sp.mu.Unlock()
	if !sp.full {
		sp.full = true
		sp.log.Warn("event store: disk full (pebble met ENOSPC), appends refused until space is freed; reads go on",
			slog.String("dir", sp.dir), slog.Uint64("free_bytes", sp.free))
	}
}

// makeBallast reserves size bytes in a file at path, synced.
func makeBallast(path string, size int64) (err error) {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
	if err != nil {
		return fmt.Errorf("ballast: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := unix.Fallocate(int(f.Fd()), 0, 0, size); err != nil {
		if !errors.Is(err, unix.EOPNOTSUPP) {
			return fmt.Errorf("ballast: %w", err)
		}
		// No fallocate here: write zeros (Truncate alone would be sparse).
		zeros := make([]byte, 1<<20)
		for left := size; left > 0; left -= int64(len(zeros)) {
			if _, err := f.Write(zeros[:min(left, int64(len(zeros)))]); err != nil {
				return fmt.Errorf("ballast: %w", err)
			}
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("ballast: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("ballast: %w", err)
	}
	return os.Rename(tmp, path)
}

// isNoSpace reports whether err says the disk (or a quota) is full.
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

func saturatingSub(a, b uint64) uint64 {
	if a < b {
		return 0
	}
	return a - b
}
