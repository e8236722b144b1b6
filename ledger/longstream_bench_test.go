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
			grownThenOneMore(b, n, support)
		})
	}
}

// BenchmarkVoteOnALongMeeting casts one ballot on a meeting whose stream
// already holds ballots= ballots of 300 voters (first ballots, then
// changed ones), the meeting kept in the ledger's cache: what one vote
// costs as a long vote goes on. Run it with
//
//	go test ./ledger -run '^$' -bench VoteOnALongMeeting -benchmem
func BenchmarkVoteOnALongMeeting(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{300, 3000, 10000} {
		b.Run(fmt.Sprintf("ballots=%d", n), func(b *testing.B) {
			l := ledger.New(MustOpenStore(b), ledger.WithClock(clock))
			var voters []domain.Voter
			for i := range 300 {
				voters = append(voters, domain.Voter{PersonID: fmt.Sprintf("v%d", i), Name: fmt.Sprintf("居民%d", i)})
			}
			pid, mid := uuid.NewString(), uuid.NewString()
			votingOn(b, l, pid, mid, voters)
			options := []string{"yes", "no"}
			vote := func(i int) {
				v := voters[i%len(voters)].PersonID
				_, err := l.Execute(ctx, domain.CastVote{MeetingID: mid, MotionID: "mo", VoterID: v, CastBy: v, OptionID: options[(i/len(voters))%2]}, facilitator, ledger.Options{})
				require.NoError(b, err)
			}
			grownThenOneMore(b, n, vote)
		})
	}
}

// grownThenOneMore runs command n times to grow a stream, then measures
// running it once more, with i counting on.
func grownThenOneMore(b *testing.B, n int, command func(i int)) {
	for i := range n {
		command(i)
	}
	i := n
	for b.Loop() {
		command(i)
		i++
	}
}
