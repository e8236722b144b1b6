package domain

import (
	"slices"
	"testing"
)

// TestAttachments finds the references of photos, evidence and a minutes'
// document, and nothing else.
func TestAttachments(t *testing.T) {
	for _, tc := range []struct {
		ev   Event
		want []string
	}{
		{ProposalSubmitted{Title: "t", Photos: []string{"a", "b"}}, []string{"a", "b"}},
		{ActionCompleted{Evidence: []string{"e"}, Note: "n"}, []string{"e"}},
		{MinutesPublished{Summary: "s", Document: "d"}, []string{"d"}},
		{MinutesPublished{Summary: "s"}, nil},
	} {
		if got := Attachments(tc.ev); !slices.Equal(got, tc.want) {
			t.Errorf("%T: %v, want %v", tc.ev, got, tc.want)
		}
	}
}
