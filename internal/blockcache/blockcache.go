// Package blockcache holds the one pebble block cache of the process,
// shared by every pebble database Yishi opens: the event store, the views'
// table store and the key directory. One cache gives the process one fixed
// budget for cached blocks, spent on whichever store is read most, instead
// of a separate cache per store (8 MiB each by pebble's default), each too
// small for its busiest moments and idle the rest of the time.
package blockcache

import (
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// Size is the shared cache's capacity. A new stream's append looks its head
// up in the event store's stream index, and with 8 MiB the index and filter
// blocks of a store of some 100,000 events no longer stayed cached: every
// look-up read them again (45% of the CPU of 16 writers appending to new
// streams, docs/performance.md, "How the store is built"). The cache fills
// only as blocks are read.
const Size = 32 << 20

var shared = sync.OnceValue(func() *pebble.Cache { return pebble.NewCache(Size) })

// Shared returns the process's block cache, to set as pebble.Options.Cache
// before pebble.Open (which takes its own reference: the caller has none to
// release). It lives as long as the process.
func Shared() *pebble.Cache { return shared() }

// Reads returns how many block reads the shared cache has answered, hits
// and misses together: a test that reads from a store can tell from it
// that the store's reads go through this cache.
func Reads() int64 {
	m := Shared().Metrics()
	return m.Hits + m.Misses
}
