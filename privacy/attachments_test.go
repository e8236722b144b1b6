package privacy

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
)

// TestAttachmentsOf finds the references of photos, evidence and a
// minutes' document, and nothing else.
func TestAttachmentsOf(t *testing.T) {
	for _, tc := range []struct {
		ev   domain.Event
		want []string
	}{
		{domain.ProposalSubmitted{Title: "t", Photos: []string{"a", "b"}}, []string{"a", "b"}},
		{domain.ActionCompleted{Evidence: []string{"e"}, Note: "n"}, []string{"e"}},
		{domain.MinutesPublished{Summary: "s", Document: "d"}, []string{"d"}},
		{domain.MinutesPublished{Summary: "s"}, nil},
	} {
		if got := Attachments(tc.ev); !slices.Equal(got, tc.want) {
			t.Errorf("%T: %v, want %v", tc.ev, got, tc.want)
		}
	}
}

// TestMayReferToAttachments: the types that carry photos, evidence or a
// document say so, and a vote or an attendance does not; an unknown type
// (an older version, another writer's) may.
func TestMayReferToAttachments(t *testing.T) {
	for _, e := range []domain.Event{domain.ProposalSubmitted{}, domain.ActionVerified{}, domain.WishFulfilled{}} {
		require.True(t, MayReferToAttachments(e.EventType()), e.EventType())
	}
	for _, e := range []domain.Event{domain.VoteCast{}, domain.AttendanceRecorded{}, domain.ProposalSupported{}} {
		require.False(t, MayReferToAttachments(e.EventType()), e.EventType())
	}
	require.True(t, MayReferToAttachments("proposal.submitted.v0"))
	n := 0
	for _, typ := range domain.EventTypes() {
		if MayReferToAttachments(typ) {
			n++
		}
	}
	require.Less(t, n, len(domain.EventTypes())/2, "most types hold no attachment")
}
