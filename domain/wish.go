package domain

import (
	"fmt"
	"slices"
	"time"
)

// WishState is a wish folded from its stream.
type WishState struct {
	// Exists is false until the wish is posted.
	Exists      bool   `json:"exists"`
	WishID      string `json:"wish_id"`
	CommunityID string `json:"community_id"`
	GridID      string `json:"grid_id"`
	Title       string `json:"title"`
	Category    string `json:"category"`
	WishMaker   Voter  `json:"wish_maker"`
	// PostedBy is who posted it: the wish-maker or a grid worker.
	PostedBy string    `json:"posted_by"`
	PostedAt time.Time `json:"posted_at"`
	// Status is one of the WishStatus* constants.
	Status string `json:"status"`
	// Claims counts the claims; Claimer and As are the last one's while
	// it holds (claimed or fulfilled, and confirmed).
	Claims  int    `json:"claims"`
	Claimer *Party `json:"claimer,omitempty"`
	As      string `json:"as,omitempty"`
}

// FoldWish folds a wish stream's events, oldest first.
func FoldWish(events []Event) WishState {
	return foldEvents[WishState](events)
}

// evolve applies one event to the state.
func (s *WishState) evolve(e Event) {
	switch e := e.(type) {
	case WishPosted:
		*s = WishState{Exists: true, WishID: e.WishID, CommunityID: e.CommunityID, GridID: e.GridID, Title: e.Title, Category: e.Category,
			WishMaker: e.WishMaker, PostedBy: e.By, PostedAt: e.At, Status: WishStatusOpen}
	case WishClaimed:
		c := e.Claimer
		s.Status, s.Claims, s.Claimer, s.As = WishStatusClaimed, e.Claim, &c, e.As
	case WishReleased:
		s.Status, s.Claimer, s.As = WishStatusOpen, nil, ""
	case WishFulfilled:
		s.Status = WishStatusFulfilled
	case WishConfirmed:
		s.Status = WishStatusConfirmed
	case WishCancelled:
		s.Status = WishStatusCancelled
	}
}

// wishIn refuses a command unless the wish is in one of the statuses.
func (s WishState) wishIn(what, whatZH string, statuses ...string) *Error {
	if slices.Contains(statuses, s.Status) {
		return nil
	}
	return refuse(CodeConflict, "wish_not_"+statuses[0], fmt.Sprintf("cannot %s: the wish is %s", what, s.Status),
		fmt.Sprintf("不能%s：该心愿当前状态为 %s", whatZH, s.Status))
}

// byClaimer refuses a claimer's command from anyone but the claimer,
// unless staff record it for them.
func (s WishState) byClaimer(by string, staff bool) *Error {
	if staff || (s.Claimer != nil && s.Claimer.ID == by) {
		return nil
	}
	return &Error{Code: CodeForbidden, Reason: "not_the_claimer", Field: "by",
		Message: "only who claimed the wish may do this", MessageZH: "只有认领人才能这样做"}
}

// recordedBy is the staff member's id when staff record a command for
// someone else.
func recordedBy(by string, staff bool) string {
	if staff {
		return by
	}
	return ""
}

// wishClaimer checks a claimer: a person claiming as a neighbour or a
// party member, or a unit.
func wishClaimer(as string, p Party) *Error {
	kind := PartyPerson
	if as == WishByUnit {
		kind = PartyUnit
	}
	if err := firstErr(oneOf("as", as, WishByNeighbour, WishByPartyMember, WishByUnit), party("claimer", p)); err != nil {
		return err
	}
	if p.Kind != kind {
		return invalid("claimer.kind", "kind_mismatch", fmt.Sprintf("a claim as %s is made by a %s", as, kind), fmt.Sprintf("以 %s 身份认领，认领方应为 %s", as, kind))
	}
	return nil
}

// decideWish decides a wish command: one claim at a time, fulfilled only
// while claimed and by the claimer, confirmed only once fulfilled and by
// the wish-maker or who posted it, nothing twice.
func decideWish(s WishState, cmd Command, now time.Time) ([]Event, error) {
	if c, ok := cmd.(PostWish); ok {
		if s.Exists {
			return nil, refuse(CodeConflict, "wish_exists", "this wish was already posted", "该心愿已经存在")
		}
		if err := firstError(id("wish_id", c.WishID), id("community_id", c.CommunityID), id("grid_id", c.GridID),
			text("title", "what is wished for", "心愿内容", c.Title, 100), oneOf("category", c.Category, WishCategories...),
			optionalText("story", "the story", "心愿说明", c.Story, 2000), voter("wish_maker", c.WishMaker),
			optionalText("door", "the door number", "门牌号", c.Door, 50), id("by", c.By)); err != nil {
			return nil, err
		}
		return []Event{WishPosted{WishID: c.WishID, CommunityID: c.CommunityID, GridID: c.GridID, Title: c.Title, Category: c.Category,
			Story: c.Story, WishMaker: c.WishMaker, Door: c.Door, By: c.By, At: now}}, nil
	}
	if !s.Exists {
		return nil, refuse(CodeNotFound, "wish_not_found", "there is no such wish", "没有这个心愿")
	}
	switch c := cmd.(type) {
	case ClaimWish:
		if err := firstError(wishClaimer(c.As, c.Claimer), optionalID("recorded_by", c.RecordedBy)); err != nil {
			return nil, err
		}
		if err := s.wishIn("claim it", "认领", WishStatusOpen); err != nil {
			return nil, err
		}
		if c.Claimer.Kind == PartyPerson && (c.Claimer.ID == s.WishMaker.PersonID || c.Claimer.ID == s.PostedBy) {
			return nil, &Error{Code: CodeForbidden, Reason: "own_wish", Field: "claimer.id",
				Message: "a wish is claimed by someone other than who made or posted it", MessageZH: "不能认领自己许下或代为发布的心愿"}
		}
		return []Event{WishClaimed{WishID: s.WishID, CommunityID: s.CommunityID, Claim: s.Claims + 1, As: c.As, Claimer: c.Claimer, RecordedBy: c.RecordedBy, At: now}}, nil
	case ReleaseWish:
		if err := firstError(optionalText("reason", "the reason", "原因", c.Reason, maxShort), id("by", c.By)); err != nil {
			return nil, err
		}
		if err := s.wishIn("release the claim", "放弃认领", WishStatusClaimed); err != nil {
			return nil, err
		}
		if err := s.byClaimer(c.By, c.Staff); err != nil {
			return nil, err
		}
		return []Event{WishReleased{WishID: s.WishID, Claim: s.Claims, Claimer: *s.Claimer, Reason: c.Reason, RecordedBy: recordedBy(c.By, c.Staff), At: now}}, nil
	case FulfilWish:
		if err := firstError(optionalText("note", "the note", "说明", c.Note, maxLong), photos("photos", c.Photos), id("by", c.By)); err != nil {
			return nil, err
		}
		if err := s.wishIn("fulfil it", "标记实现", WishStatusClaimed); err != nil {
			return nil, err
		}
		if err := s.byClaimer(c.By, c.Staff); err != nil {
			return nil, err
		}
		return []Event{WishFulfilled{WishID: s.WishID, CommunityID: s.CommunityID, Claim: s.Claims, Claimer: *s.Claimer, Note: c.Note, Photos: c.Photos,
			RecordedBy: recordedBy(c.By, c.Staff), At: now}}, nil
	case ConfirmWish:
		if err := firstError(id("by", c.By)); err != nil {
			return nil, err
		}
		if err := s.wishIn("confirm it", "确认", WishStatusFulfilled); err != nil {
			return nil, err
		}
		if c.By != s.WishMaker.PersonID && c.By != s.PostedBy {
			return nil, &Error{Code: CodeForbidden, Reason: "not_the_wish_maker", Field: "by",
				Message: "only the wish-maker, or who posted the wish for them, confirms it", MessageZH: "只有许愿人或代为发布的网格员才能确认"}
		}
		return []Event{WishConfirmed{WishID: s.WishID, CommunityID: s.CommunityID, Claim: s.Claims, By: c.By, At: now}}, nil
	case CancelWish:
		if err := firstError(text("reason", "the reason", "取消原因", c.Reason, maxShort), id("by", c.By)); err != nil {
			return nil, err
		}
		if err := s.wishIn("cancel it", "取消", WishStatusOpen, WishStatusClaimed); err != nil {
			return nil, err
		}
		if !c.Staff && c.By != s.WishMaker.PersonID && c.By != s.PostedBy {
			return nil, &Error{Code: CodeForbidden, Reason: "not_the_wish_maker", Field: "by",
				Message: "only the wish-maker, who posted the wish, or staff cancel it", MessageZH: "只有许愿人、发布人或工作人员才能取消"}
		}
		return []Event{WishCancelled{WishID: s.WishID, Reason: c.Reason, By: c.By, At: now}}, nil
	}
	return nil, unknownCommand(cmd)
}
