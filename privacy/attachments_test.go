package privacy

import (
	"slices"
	"testing"

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
