package ledger_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/ledger"
)

// BenchmarkExecuteOnALongStream executes one command on a stream that
// already holds events= events (a proposal's supporters, as a meeting's
// ballots during a vote), the stream decoded in the ledger's cache: what
// one more event costs, in bytes allocated, as the stream grows. Run it
// with
//
//	go test ./ledger -run '^$' -bench ExecuteOnALongStream -benchmem
func BenchmarkExecuteOnALongStream(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{100, 1000, 5000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			l := ledger.New(MustOpenStore(b), ledger.WithClock(clock))
			id := uuid.NewString()
			_, err := l.Execute(ctx, submit(id), facilitator, ledger.Options{})
			require.NoError(b, err)
			support := func(i int) {
				_, err := l.Execute(ctx, domain.SupportProposal{ProposalID: id, PersonID: fmt.Sprintf("s%d", i), Name: fmt.Sprintf("李%d", i)}, facilitator, ledger.Options{})
				require.NoError(b, err)
			}
			for i := range n {
				support(i)
			}
			i := n
			for b.Loop() {
				support(i)
				i++
			}
		})
	}
}
