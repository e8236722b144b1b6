package domain

import "testing"

func TestEveryStatusHasLabels(t *testing.T) {
	all := []string{StatusSubmitted, StatusAccepted, StatusHandling, StatusOnAgenda, StatusDecided, StatusReopened, StatusRejected,
		StatusMerged, StatusWithdrawn, StatusClosed, StatusScheduled, StatusOpen, StatusAdjourned, StatusPublished, StatusTabled,
		StatusVoting, StatusAgreed, StatusAssigned, StatusInProgress, StatusBlocked, StatusCompleted, StatusVerified, StatusCancelled}
	for _, st := range all {
		if en, zh := StatusLabel(st); en == "" || zh == "" {
			t.Errorf("status %q has no label", st)
		}
	}
	_, err := Decide([]Event{assigned}, CompleteAction{ActionID: "a1", Evidence: []string{photo}}, now)
	de, _ := err.(*Error)
	if de == nil || de.Message != "cannot complete: the action is assigned" || de.MessageZH != "不能完成：该行动当前状态为“待开始”" {
		t.Fatalf("refusal reads %+v", de)
	}
}
