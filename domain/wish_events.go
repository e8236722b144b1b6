package domain

import "time"

// 微心愿 (small wishes). A resident in need, or a grid worker on their
// behalf, posts a small wish (a school bag for a child, a repair for an
// elder living alone); a neighbour, a party member or a unit claims it
// (认领), one claim at a time, and may release the claim; the claimer
// fulfils it (with photos, optionally) and the wish-maker, or the grid
// worker who posted it, confirms. Being in need is itself personal: the
// wish-maker's name, door and own words are sealed, and the public reads
// no trace of who made a wish (policy drops the wish_maker whole). Each
// wish lives in "wish-<id>".

// Wish statuses.
const (
	// WishStatusOpen: waiting for someone to claim it (again, after a
	// claim was released).
	WishStatusOpen = "open"
	// WishStatusClaimed: someone claimed it and is on it.
	WishStatusClaimed = "claimed"
	// WishStatusFulfilled: the claimer says it is fulfilled; the
	// wish-maker confirms.
	WishStatusFulfilled = "fulfilled"
	// WishStatusConfirmed: the wish-maker confirmed it.
	WishStatusConfirmed = "confirmed"
	// WishStatusCancelled: it will not be fulfilled.
	WishStatusCancelled = "cancelled"
)

// WishCategories are the kinds of wish: school things, a repair, daily
// necessities, company and care, anything else.
var WishCategories = []string{"study", "repair", "daily", "care", "other"}

// Who claims a wish (认领).
const (
	// WishByNeighbour: a neighbour, for themselves.
	WishByNeighbour = "neighbour"
	// WishByPartyMember: a party member (党员认领), for themselves.
	WishByPartyMember = "party_member"
	// WishByUnit: a participating unit (a school, the property company).
	WishByUnit = "unit"
)

// WishPosted records a wish (许愿).
type WishPosted struct {
	WishID      string `json:"wish_id"`
	CommunityID string `json:"community_id"`
	GridID      string `json:"grid_id"`
	// Title is what is wished for ("一个新书包"), in words that name no
	// one: it is public.
	Title    string `json:"title"`
	Category string `json:"category"`
	// Story is the wish-maker's own words, or the grid worker's note of
	// them.
	Story string `json:"story,omitempty" pii:"text,person=WishMaker.PersonID,item"`
	// WishMaker is the person in need.
	WishMaker Voter `json:"wish_maker"`
	// Door is where to bring it, if given.
	Door string `json:"door,omitempty" pii:"door,person=WishMaker.PersonID"`
	// By is who posted it: the wish-maker, or a grid worker for them.
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// WishClaimed records a claim (认领), the Claim-th of the wish.
type WishClaimed struct {
	WishID      string `json:"wish_id"`
	CommunityID string `json:"community_id"`
	Claim       int    `json:"claim"`
	// As is WishByNeighbour, WishByPartyMember or WishByUnit.
	As      string `json:"as"`
	Claimer Party  `json:"claimer"`
	// RecordedBy is the staff member who recorded the claim for the
	// claimer.
	RecordedBy string    `json:"recorded_by,omitempty"`
	At         time.Time `json:"at"`
}

// WishReleased records that the claimer gave the claim up: the wish is
// open again.
type WishReleased struct {
	WishID     string    `json:"wish_id"`
	Claim      int       `json:"claim"`
	Claimer    Party     `json:"claimer"`
	Reason     string    `json:"reason,omitempty" pii:"text,item"`
	RecordedBy string    `json:"recorded_by,omitempty"`
	At         time.Time `json:"at"`
}

// WishFulfilled records that the claimer fulfilled the wish, with photos
// if any.
type WishFulfilled struct {
	WishID      string    `json:"wish_id"`
	CommunityID string    `json:"community_id"`
	Claim       int       `json:"claim"`
	Claimer     Party     `json:"claimer"`
	Note        string    `json:"note,omitempty" pii:"text,item"`
	Photos      []string  `json:"photos,omitempty" pii:"photo,item"`
	RecordedBy  string    `json:"recorded_by,omitempty"`
	At          time.Time `json:"at"`
}

// WishConfirmed records that the wish-maker, or the grid worker who
// posted the wish, confirmed it fulfilled. It names no one but by id.
type WishConfirmed struct {
	WishID      string    `json:"wish_id"`
	CommunityID string    `json:"community_id"`
	Claim       int       `json:"claim"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
}

// WishCancelled records that the wish will not be fulfilled (no longer
// needed, posted by mistake).
type WishCancelled struct {
	WishID string    `json:"wish_id"`
	Reason string    `json:"reason" pii:"text,item"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// EventType implements Event.
func (WishPosted) EventType() string { return "wish.posted.v1" }

// EventType implements Event.
func (WishClaimed) EventType() string { return "wish.claimed.v1" }

// EventType implements Event.
func (WishReleased) EventType() string { return "wish.released.v1" }

// EventType implements Event.
func (WishFulfilled) EventType() string { return "wish.fulfilled.v1" }

// EventType implements Event.
func (WishConfirmed) EventType() string { return "wish.confirmed.v1" }

// EventType implements Event.
func (WishCancelled) EventType() string { return "wish.cancelled.v1" }

// PostWish posts a wish for WishMaker; By is who posts it.
type PostWish struct {
	WishID      string `json:"wish_id"`
	CommunityID string `json:"community_id"`
	GridID      string `json:"grid_id"`
	Title       string `json:"title"`
	Category    string `json:"category"`
	Story       string `json:"story,omitempty"`
	WishMaker   Voter  `json:"wish_maker"`
	Door        string `json:"door,omitempty"`
	By          string `json:"by"`
}

// ClaimWish claims an open wish for Claimer, as a neighbour, a party
// member or a unit; RecordedBy is set when staff record it for them.
type ClaimWish struct {
	WishID     string `json:"wish_id"`
	As         string `json:"as"`
	Claimer    Party  `json:"claimer"`
	RecordedBy string `json:"recorded_by,omitempty"`
}

// ReleaseWish gives up the current claim. By is the claimer (a person's
// or a unit's id), or the staff member recording it when Staff is set.
type ReleaseWish struct {
	WishID string `json:"wish_id"`
	Reason string `json:"reason,omitempty"`
	By     string `json:"by"`
	Staff  bool   `json:"staff,omitempty"`
}

// FulfilWish reports the claimed wish fulfilled. By is the claimer, or
// the staff member recording it when Staff is set.
type FulfilWish struct {
	WishID string   `json:"wish_id"`
	Note   string   `json:"note,omitempty"`
	Photos []string `json:"photos,omitempty"`
	By     string   `json:"by"`
	Staff  bool     `json:"staff,omitempty"`
}

// ConfirmWish confirms a fulfilled wish: By is the wish-maker or whoever
// posted it for them.
type ConfirmWish struct {
	WishID string `json:"wish_id"`
	By     string `json:"by"`
}

// CancelWish cancels a wish not yet fulfilled: By is the wish-maker, who
// posted it, or a staff member (Staff).
type CancelWish struct {
	WishID string `json:"wish_id"`
	Reason string `json:"reason"`
	By     string `json:"by"`
	Staff  bool   `json:"staff,omitempty"`
}

// WishStream is the stream of one wish.
func WishStream(wishID string) string { return "wish-" + wishID }

// Stream implements Command.
func (c PostWish) Stream() string { return WishStream(c.WishID) }

// Stream implements Command.
func (c ClaimWish) Stream() string { return WishStream(c.WishID) }

// Stream implements Command.
func (c ReleaseWish) Stream() string { return WishStream(c.WishID) }

// Stream implements Command.
func (c FulfilWish) Stream() string { return WishStream(c.WishID) }

// Stream implements Command.
func (c ConfirmWish) Stream() string { return WishStream(c.WishID) }

// Stream implements Command.
func (c CancelWish) Stream() string { return WishStream(c.WishID) }
