package ledger_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
)

// BenchmarkAppendSealing executes commands through the ledger on the
// embedded store, side by side with encryption off and on (keys in an
// embedded key store): "submit" starts a proposal (a new item key, and a
// new author key for one submission in ten, each synced before the
// append), "support" adds a supporter (a new person key, synced) to a
// proposal. Run it with
//
//	go test ./ledger -run '^$' -bench AppendSealing -benchtime 2s -count 3
func BenchmarkAppendSealing(b *testing.B) {
	ctx := context.Background()
	for _, sealed := range []bool{false, true} {
		name := "off"
		if sealed {
			name = "on"
		}
		opts := func(b *testing.B) []ledger.Option {
			if !sealed {
				return []ledger.Option{ledger.WithClock(clock)}
			}
			kd, err := privacy.OpenKeyDir(b.TempDir())
			require.NoError(b, err)
			b.Cleanup(func() { kd.Close() })
			return []ledger.Option{ledger.WithClock(clock), ledger.WithSealer(privacy.NewSealer(kd))}
		}
		b.Run("submit/"+name, func(b *testing.B) {
			l := ledger.New(MustOpenStore(b), opts(b)...)
			i := 0
			for b.Loop() {
				cmd := submit(uuid.NewString())
				cmd.Author.ID = fmt.Sprintf("resident-%d", i/10)
				i++
				_, err := l.Execute(ctx, cmd, facilitator, ledger.Options{})
				require.NoError(b, err)
			}
		})
		b.Run("support/"+name, func(b *testing.B) {
			l := ledger.New(MustOpenStore(b), opts(b)...)
			id := uuid.NewString()
			_, err := l.Execute(ctx, submit(id), facilitator, ledger.Options{})
			require.NoError(b, err)
			i := 0
			for b.Loop() {
				i++
				_, err := l.Execute(ctx, domain.SupportProposal{ProposalID: id, PersonID: fmt.Sprintf("s%d", i), Name: fmt.Sprintf("李%d", i)}, facilitator, ledger.Options{})
				require.NoError(b, err)
			}
		})
	}
}
