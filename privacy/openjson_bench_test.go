package privacy

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/yishi-civic/yishi/domain"
)

// BenchmarkOpenJSONAtOnce opens answers from many goroutines at once, as
// a burst of first reads after a start does: the answers name twice as
// many persons as the sealer's caches hold, so most opens read a key and
// write to the caches. The sealer's caches under one lock, side by side
// with its shards:
//
//	go test ./privacy -run '^$' -bench OpenJSONAtOnce -cpu 2
func BenchmarkOpenJSONAtOnce(b *testing.B) {
	ctx := context.Background()
	keys := NewMemoryKeys()
	sealer := NewSealer(keys)
	const perDoc = 64
	docs := make([][]byte, 2*maxCiphers/perDoc)
	for d := range docs {
		events := make([]domain.Event, perDoc)
		for i := range events {
			e := domain.ProposalSupported{ProposalID: "p", PersonID: fmt.Sprintf("r%d-%d", d, i), Name: fmt.Sprintf("居民%d", i)}
			out, err := sealer.Seal(ctx, "proposal-p", []domain.Event{e})
			if err != nil {
				b.Fatal(err)
			}
			held := out[0].(domain.ProposalSupported)
			if err := MarkInPlace(&held); err != nil {
				b.Fatal(err)
			}
			events[i] = held
		}
		doc, err := json.Marshal(events)
		if err != nil {
			b.Fatal(err)
		}
		docs[d] = doc
	}
	for _, shards := range []int{1, sealerShards} {
		b.Run(fmt.Sprintf("shards=%d", shards), func(b *testing.B) {
			s := newSealer(keys, shards, maxCiphers)
			var next atomic.Int64
			b.SetParallelism(100)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					doc := docs[int(next.Add(1))%len(docs)]
					out, err := s.OpenJSON(ctx, doc)
					if err != nil || len(out) == len(doc) {
						b.Error("not opened", err)
						return
					}
				}
			})
		})
	}
}
