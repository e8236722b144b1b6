package ledger

import "sync"

// streamLocks serialises the commands of one process on one stream, so that
// concurrent writers to a busy stream (residents voting in one meeting) wait
// their turn instead of losing optimistic-concurrency races over and over.
// Conflicts with other processes are still caught by the expected revision.
type streamLocks struct {
	mu    sync.Mutex
	locks map[string]*streamLock
}

type streamLock struct {
	sync.Mutex
	users int
}

// lock takes stream's lock and returns its release.
func (s *streamLocks) lock(stream string) (unlock func()) {
	s.mu.Lock()
	if s.locks == nil {
		s.locks = make(map[string]*streamLock)
	}
	l := s.locks[stream]
	if l == nil {
		l = &streamLock{}
		s.locks[stream] = l
	}
	l.users++
	s.mu.Unlock()

	l.Lock()
	return func() {
		l.Unlock()
		s.mu.Lock()
		if l.users--; l.users == 0 {
			delete(s.locks, stream)
		}
		s.mu.Unlock()
	}
}
