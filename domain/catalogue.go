package domain

import (
	"encoding/json"
	"fmt"
	"slices"
)

// catalogue maps every current event type to a decoder into its struct.
var catalogue = map[string]func([]byte) (Event, error){}

// upcasters turn the body of an older event type into the body of a newer
// one; Decode applies them until it reaches a current type.
var upcasters = map[string]func([]byte) (string, []byte, error){}

func register[T Event]() {
	var zero T
	catalogue[zero.EventType()] = func(data []byte) (Event, error) {
		var e T
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, err
		}
		return e, nil
	}
}

func init() {
	register[CommunityRegistered]()
	register[GridCreated]()
	register[GridHeadAppointed]()
	register[GridWorkerAssigned]()
	register[GridWorkerRemoved]()
	register[CompoundRegistered]()
	register[UnitRegistered]()
	register[UnitOwnersChanged]()
	register[PartnerRegistered]()
	register[VolunteerRegistered]()
	register[VolunteerTeamFormed]()
	register[VolunteerJoinedTeam]()
	register[StationRegistered]()
	register[PartnerOfferRecorded]()

	register[ProposalSubmitted]()
	register[ProposalSupported]()
	register[ProposalAccepted]()
	register[ProposalRejected]()
	register[ProposalMerged]()
	register[ProposalDuplicateAbsorbed]()
	register[ProposalWithdrawn]()
	register[ProposalHandledDirectly]()
	register[ProposalPutOnAgenda]()
	register[ProposalDecided]()
	register[ProposalActionLinked]()
	register[ProposalActionSettled]()
	register[ProposalClosed]()
	register[ProposalReopened]()

	register[MeetingScheduled]()
	register[AgendaItemAdded]()
	register[ParticipantInvited]()
	register[MeetingOpened]()
	register[AttendanceRecorded]()
	register[StatementRecorded]()
	register[MotionTabled]()
	register[MotionAmended]()
	register[VotingOpened]()
	register[VoteCast]()
	register[VoteChanged]()
	register[VotingClosed]()
	register[MotionObjectionRaised]()
	register[MotionObjectionWithdrawn]()
	register[ConsensusReached]()
	register[MediationOffered]()
	register[MediationAgreed]()
	register[MeetingAdjourned]()
	register[MinutesDrafted]()
	register[MinutesPublished]()
	register[MinutesObjectionRaised]()

	register[ActionAssigned]()
	register[ActionAccepted]()
	register[ActionStarted]()
	register[ActionProgressReported]()
	register[ActionOccurrenceHeld]()
	register[ActionBlocked]()
	register[ActionCompleted]()
	register[ActionVerified]()
	register[ActionCancelled]()

	register[DataErased]()
	register[LedgerResealed]()

	register[ItemFollowed]()
	register[ItemUnfollowed]()
	register[NotificationSettingsChanged]()
	register[PushDeviceRegistered]()
	register[PushDeviceRemoved]()
	register[InboxSeen]()
	register[NotificationSent]()
	register[NotificationFailed]()
	register[NotificationGaveUp]()
	register[ReminderRaised]()

	register[AttachmentUploaded]()

	register[ServiceOrdered]()
	register[ServiceDispatched]()
	register[ServiceAccepted]()
	register[ServiceDeclined]()
	register[ServiceDispatchExpired]()
	register[ServiceDone]()
	register[ServiceConfirmed]()
	register[ServiceCancelled]()
	register[PointsAwarded]()
	register[PointsRedeemed]()

	register[WishPosted]()
	register[WishClaimed]()
	register[WishReleased]()
	register[WishFulfilled]()
	register[WishConfirmed]()
	register[WishCancelled]()
}

// EventTypes returns every current event type, sorted.
func EventTypes() []string {
	out := make([]string, 0, len(catalogue))
	for t := range catalogue {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Encode returns e's type and stored body. It fails for an event type that
// is not in the catalogue.
func Encode(e Event) (typ string, data []byte, err error) {
	if e == nil {
		return "", nil, fmt.Errorf("encode: nil event")
	}
	typ = e.EventType()
	if _, ok := catalogue[typ]; !ok {
		return "", nil, fmt.Errorf("encode %T: type %q is not in the catalogue", e, typ)
	}
	data, err = json.Marshal(e)
	if err != nil {
		return "", nil, fmt.Errorf("encode %s: %w", typ, err)
	}
	return typ, data, nil
}

// Decode turns a stored body back into its event struct, upcasting older
// versions of a type first. It fails for an unknown type or a body that is
// not the type's JSON.
func Decode(typ string, data []byte) (Event, error) {
	for seen := 0; ; seen++ {
		up, ok := upcasters[typ]
		if !ok || seen > len(upcasters) {
			break
		}
		next, body, err := up(data)
		if err != nil {
			return nil, fmt.Errorf("upcast %s: %w", typ, err)
		}
		typ, data = next, body
	}
	dec, ok := catalogue[typ]
	if !ok {
		return nil, fmt.Errorf("decode: unknown event type %q", typ)
	}
	e, err := dec(data)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", typ, err)
	}
	return e, nil
}
