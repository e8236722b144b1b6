package seal

import (
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/mod/sumdb/note"
)

// ErrUnknownWitness is returned for a checkpoint that no registered
// witness signed.
var ErrUnknownWitness = errors.New("seal: no registered witness signed the checkpoint")

// witnessName is what a witness may be called: its key's name, which is
// also a directory name.
var witnessName = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// Witnesses keeps, in a directory beside the server's key, the verifier
// keys of the witnesses an admin registered (<dir>/<name>.vkey) and the
// checkpoints each one cosigned and sent back (<dir>/<name>/<size>.note,
// as the witness signed them). Safe for concurrent use.
type Witnesses struct {
	dir   string
	mu    sync.RWMutex
	keys  map[string]string             // name → verifier key
	notes map[string]map[int64]struct{} // name → sizes kept
}

// OpenWitnesses reads the witnesses kept in dir, creating it if need be.
func OpenWitnesses(dir string) (*Witnesses, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("seal: witnesses: %w", err)
	}
	w := &Witnesses{dir: dir, keys: map[string]string{}, notes: map[string]map[int64]struct{}{}}
	files, err := filepath.Glob(filepath.Join(dir, "*.vkey"))
	if err != nil {
		return nil, fmt.Errorf("seal: witnesses: %w", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("seal: witnesses: %w", err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".vkey")
		if _, err := witnessKey(name, string(b)); err != nil {
			return nil, fmt.Errorf("seal: witnesses: %s: %w", f, err)
		}
		w.keys[name] = strings.TrimSpace(string(b))
		w.notes[name] = map[int64]struct{}{}
		kept, err := os.ReadDir(filepath.Join(dir, name))
		if err != nil && !errors.Is(err, iofs.ErrNotExist) {
			return nil, fmt.Errorf("seal: witnesses: %w", err)
		}
		for _, k := range kept {
			if size, err := strconv.ParseInt(strings.TrimSuffix(k.Name(), ".note"), 10, 64); err == nil && strings.HasSuffix(k.Name(), ".note") {
				w.notes[name][size] = struct{}{}
			}
		}
	}
	return w, nil
}

// witnessKey checks that vkey is a note verifier key named name.
func witnessKey(name, vkey string) (note.Verifier, error) {
	if !witnessName.MatchString(name) {
		return nil, fmt.Errorf("a witness's name is lower-case letters, digits, '.', '_' and '-', not %q", name)
	}
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		return nil, fmt.Errorf("not a verifier key (yishi seal keygen writes one): %w", err)
	}
	if v.Name() != name {
		return nil, fmt.Errorf("the key is named %q, not %q", v.Name(), name)
	}
	return v, nil
}

// Register keeps vkey, the verifier key of the witness name (replacing
// the one it had). Returns an error when the key is not a note verifier
// key of that name.
func (w *Witnesses) Register(name, vkey string) error {
	if _, err := witnessKey(name, vkey); err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := os.WriteFile(filepath.Join(w.dir, name+".vkey"), []byte(strings.TrimSpace(vkey)+"\n"), 0o644); err != nil {
		return fmt.Errorf("seal: register witness: %w", err)
	}
	w.keys[name] = strings.TrimSpace(vkey)
	if w.notes[name] == nil {
		w.notes[name] = map[int64]struct{}{}
	}
	return nil
}

// Witness is a registered witness: its name, verifier key and the sizes of
// the checkpoints it cosigned that are kept, newest first.
type Witness struct {
	Name, Key string
	Sizes     []int64
}

// List returns the registered witnesses by name.
func (w *Witnesses) List() []Witness {
	w.mu.RLock()
	defer w.mu.RUnlock()
	out := make([]Witness, 0, len(w.keys))
	for name, key := range w.keys {
		sizes := make([]int64, 0, len(w.notes[name]))
		for s := range w.notes[name] {
			sizes = append(sizes, s)
		}
		slices.Sort(sizes)
		slices.Reverse(sizes)
		out = append(out, Witness{Name: name, Key: key, Sizes: sizes})
	}
	slices.SortFunc(out, func(a, b Witness) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Accept checks msg, a checkpoint signed by server and cosigned by one or
// more registered witnesses, and keeps it for each of them. It returns the
// checkpoint and the names of the witnesses whose signatures it checked.
// Returns ErrUnknownWitness when no registered witness signed it, or the
// error of OpenNote when the server's signature does not hold. Whether the
// checkpoint is of the server's log as it is now is the caller's to check
// (Log.Matches).
func (w *Witnesses) Accept(msg []byte, server note.Verifier) (Checkpoint, []string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	known := make([]note.Verifier, 0, len(w.keys))
	for name, key := range w.keys {
		v, err := witnessKey(name, key)
		if err != nil {
			return Checkpoint{}, nil, err
		}
		known = append(known, v)
	}
	c, n, err := OpenNote(msg, server, known...)
	if err != nil {
		return Checkpoint{}, nil, err
	}
	var names []string
	for _, s := range n.Sigs {
		if _, ok := w.keys[s.Name]; ok && s.Name != server.Name() {
			names = append(names, s.Name)
		}
	}
	if len(names) == 0 {
		return c, nil, ErrUnknownWitness
	}
	for _, name := range names {
		if err := os.MkdirAll(filepath.Join(w.dir, name), 0o750); err != nil {
			return c, nil, fmt.Errorf("seal: keep cosigned checkpoint: %w", err)
		}
		if err := os.WriteFile(filepath.Join(w.dir, name, strconv.FormatInt(c.Size, 10)+".note"), msg, 0o644); err != nil {
			return c, nil, fmt.Errorf("seal: keep cosigned checkpoint: %w", err)
		}
		w.notes[name][c.Size] = struct{}{}
	}
	return c, names, nil
}

// Note returns the checkpoint of size events as the witness name cosigned
// it, and false when none is kept.
func (w *Witnesses) Note(name string, size int64) ([]byte, bool, error) {
	w.mu.RLock()
	_, ok := w.notes[name][size]
	w.mu.RUnlock()
	if !ok {
		return nil, false, nil
	}
	b, err := os.ReadFile(filepath.Join(w.dir, name, strconv.FormatInt(size, 10)+".note"))
	if err != nil {
		return nil, false, fmt.Errorf("seal: read cosigned checkpoint: %w", err)
	}
	return b, true, nil
}
