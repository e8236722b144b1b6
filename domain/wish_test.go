package domain

import (
	"testing"

	"pgregory.net/rapid"
)

var (
	gran      = Voter{PersonID: "p9", Name: "孙奶奶"}
	bag       = WishPosted{WishID: "w1", CommunityID: community, GridID: "g1", Title: "给孙子一个新书包", Category: "study", Story: "孙子九月上三年级，旧书包破了", WishMaker: gran, Door: "3号楼2单元302", By: "g1w", At: now}
	neighbour = Party{Kind: PartyPerson, ID: "n1", Name: "周阿姨"}
	school    = Party{Kind: PartyUnit, ID: "school", Name: "实验小学"}
	claimed   = WishClaimed{WishID: "w1", CommunityID: community, Claim: 1, As: WishByNeighbour, Claimer: neighbour, At: now}
	fulfilled = WishFulfilled{WishID: "w1", CommunityID: community, Claim: 1, Claimer: neighbour, Note: "已送到", At: now}
)

func TestWishes(t *testing.T) {
	post := PostWish{WishID: "w1", CommunityID: community, GridID: "g1", Title: "给孙子一个新书包", Category: "study", Story: "孙子九月上三年级，旧书包破了",
		WishMaker: gran, Door: "3号楼2单元302", By: "g1w"}
	noTitle, badCategory := post, post
	noTitle.Title, badCategory.Category = " ", "money"
	released := WishReleased{WishID: "w1", Claim: 1, Claimer: neighbour, Reason: "临时出差", At: now}
	run(t, []spec{
		{name: "a grid worker posts for a resident", when: post, then: []Event{bag}},
		{name: "post twice", given: []Event{bag}, when: post, code: CodeConflict, reason: "wish_exists"},
		{name: "post without what", when: noTitle, code: CodeInvalid, reason: "required", field: "title"},
		{name: "post in no category", when: badCategory, code: CodeInvalid, reason: "not_allowed", field: "category"},
		{name: "a neighbour claims", given: []Event{bag}, when: ClaimWish{WishID: "w1", As: WishByNeighbour, Claimer: neighbour}, then: []Event{claimed}},
		{name: "a unit claims, recorded by staff", given: []Event{bag}, when: ClaimWish{WishID: "w1", As: WishByUnit, Claimer: school, RecordedBy: "g1w"},
			then: []Event{WishClaimed{WishID: "w1", CommunityID: community, Claim: 1, As: WishByUnit, Claimer: school, RecordedBy: "g1w", At: now}}},
		{name: "a unit claims as a person", given: []Event{bag}, when: ClaimWish{WishID: "w1", As: WishByPartyMember, Claimer: school},
			code: CodeInvalid, reason: "kind_mismatch", field: "claimer.kind"},
		{name: "claimed twice", given: []Event{bag, claimed}, when: ClaimWish{WishID: "w1", As: WishByUnit, Claimer: school},
			code: CodeConflict, reason: "wish_not_open"},
		{name: "the wish-maker claims their own", given: []Event{bag}, when: ClaimWish{WishID: "w1", As: WishByNeighbour, Claimer: Party{Kind: PartyPerson, ID: "p9", Name: "孙奶奶"}},
			code: CodeForbidden, reason: "own_wish", field: "claimer.id"},
		{name: "release", given: []Event{bag, claimed}, when: ReleaseWish{WishID: "w1", Reason: "临时出差", By: "n1"}, then: []Event{released}},
		{name: "someone else releases", given: []Event{bag, claimed}, when: ReleaseWish{WishID: "w1", By: "n2"}, code: CodeForbidden, reason: "not_the_claimer", field: "by"},
		{name: "claimed again after a release", given: []Event{bag, claimed, released}, when: ClaimWish{WishID: "w1", As: WishByUnit, Claimer: school},
			then: []Event{WishClaimed{WishID: "w1", CommunityID: community, Claim: 2, As: WishByUnit, Claimer: school, At: now}}},
		{name: "fulfil", given: []Event{bag, claimed}, when: FulfilWish{WishID: "w1", Note: "已送到", By: "n1"}, then: []Event{fulfilled}},
		{name: "fulfil without a claim", given: []Event{bag}, when: FulfilWish{WishID: "w1", By: "n1"}, code: CodeConflict, reason: "wish_not_claimed"},
		{name: "fulfil after a release", given: []Event{bag, claimed, released}, when: FulfilWish{WishID: "w1", By: "n1"}, code: CodeConflict, reason: "wish_not_claimed"},
		{name: "fulfil someone else's claim", given: []Event{bag, claimed}, when: FulfilWish{WishID: "w1", By: "n2"}, code: CodeForbidden, reason: "not_the_claimer"},
		{name: "staff record the fulfilment", given: []Event{bag, claimed}, when: FulfilWish{WishID: "w1", By: "g1w", Staff: true},
			then: []Event{WishFulfilled{WishID: "w1", CommunityID: community, Claim: 1, Claimer: neighbour, RecordedBy: "g1w", At: now}}},
		{name: "fulfil with a bad photo", given: []Event{bag, claimed}, when: FulfilWish{WishID: "w1", Photos: []string{"x"}, By: "n1"},
			code: CodeInvalid, reason: "bad_photo_ref", field: "photos"},
		{name: "fulfil twice", given: []Event{bag, claimed, fulfilled}, when: FulfilWish{WishID: "w1", By: "n1"}, code: CodeConflict, reason: "wish_not_claimed"},
		{name: "the wish-maker confirms", given: []Event{bag, claimed, fulfilled}, when: ConfirmWish{WishID: "w1", By: "p9"},
			then: []Event{WishConfirmed{WishID: "w1", CommunityID: community, Claim: 1, By: "p9", At: now}}},
		{name: "the grid worker who posted it confirms", given: []Event{bag, claimed, fulfilled}, when: ConfirmWish{WishID: "w1", By: "g1w"},
			then: []Event{WishConfirmed{WishID: "w1", CommunityID: community, Claim: 1, By: "g1w", At: now}}},
		{name: "the claimer confirms", given: []Event{bag, claimed, fulfilled}, when: ConfirmWish{WishID: "w1", By: "n1"}, code: CodeForbidden, reason: "not_the_wish_maker", field: "by"},
		{name: "confirm before fulfilment", given: []Event{bag, claimed}, when: ConfirmWish{WishID: "w1", By: "p9"}, code: CodeConflict, reason: "wish_not_fulfilled"},
		{name: "confirm twice", given: []Event{bag, claimed, fulfilled, WishConfirmed{WishID: "w1", Claim: 1, By: "p9"}}, when: ConfirmWish{WishID: "w1", By: "p9"},
			code: CodeConflict, reason: "wish_not_fulfilled"},
		{name: "cancel", given: []Event{bag, claimed}, when: CancelWish{WishID: "w1", Reason: "家里已经买了", By: "p9"},
			then: []Event{WishCancelled{WishID: "w1", Reason: "家里已经买了", By: "p9", At: now}}},
		{name: "a neighbour cancels", given: []Event{bag}, when: CancelWish{WishID: "w1", Reason: "x", By: "n1"}, code: CodeForbidden, reason: "not_the_wish_maker"},
		{name: "cancel once fulfilled", given: []Event{bag, claimed, fulfilled}, when: CancelWish{WishID: "w1", Reason: "x", By: "g2w", Staff: true}, code: CodeConflict, reason: "wish_not_open"},
		{name: "claim a cancelled wish", given: []Event{bag, WishCancelled{WishID: "w1", Reason: "x", By: "p9"}}, when: ClaimWish{WishID: "w1", As: WishByUnit, Claimer: school},
			code: CodeConflict, reason: "wish_not_open"},
		{name: "unknown wish", when: ClaimWish{WishID: "w1", As: WishByUnit, Claimer: school}, code: CodeNotFound, reason: "wish_not_found"},
	})
}

// TestWishProperties drives random wishes through random commands by
// random people and checks what must hold whatever happens: a wish never
// has two claims active at once (every claim follows a post or a
// release), nothing is fulfilled without the claim it names being the
// active one, nor confirmed without a fulfilment, nothing happens twice,
// and the counts add up: fulfilled = confirmed + awaiting confirmation,
// claims = releases + claims still held (claimed, fulfilled, confirmed, or
// cancelled while claimed).
func TestWishProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		streams := map[string][]Event{}
		n := rapid.IntRange(1, 3).Draw(t, "wishes")
		people := []string{"p9", "g1w", "n1", "n2", "school"}
		for i := range n {
			id := string(rune('a' + i))
			p := bag
			p.WishID = id
			streams[WishStream(id)] = []Event{p}
		}
		for range rapid.IntRange(1, 50).Draw(t, "steps") {
			id := string(rune('a' + rapid.IntRange(0, n-1).Draw(t, "wish")))
			by := rapid.SampledFrom(people).Draw(t, "by")
			staff := by == "g1w" && rapid.Bool().Draw(t, "staff")
			var cmd Command
			switch rapid.IntRange(0, 4).Draw(t, "command") {
			case 0:
				p, as := Party{Kind: PartyPerson, ID: by, Name: "某人"}, rapid.SampledFrom([]string{WishByNeighbour, WishByPartyMember}).Draw(t, "as")
				if by == "school" {
					p, as = school, WishByUnit
				}
				cmd = ClaimWish{WishID: id, As: as, Claimer: p}
			case 1:
				cmd = ReleaseWish{WishID: id, By: by, Staff: staff}
			case 2:
				cmd = FulfilWish{WishID: id, By: by, Staff: staff}
			case 3:
				cmd = ConfirmWish{WishID: id, By: by}
			case 4:
				cmd = CancelWish{WishID: id, Reason: "不需要了", By: by, Staff: staff}
			}
			before := FoldWish(streams[WishStream(id)])
			events, err := Decide(streams[WishStream(id)], cmd, now)
			if err != nil {
				if ErrorCode(err) == CodeInternal {
					t.Fatal(err)
				}
				continue
			}
			streams[WishStream(id)] = append(streams[WishStream(id)], events...)
			switch c := cmd.(type) {
			case FulfilWish:
				if !c.Staff && (before.Claimer == nil || before.Claimer.ID != c.By) {
					t.Fatalf("%s fulfilled a wish claimed by %+v", c.By, before.Claimer)
				}
			case ConfirmWish:
				if c.By != before.WishMaker.PersonID && c.By != before.PostedBy {
					t.Fatalf("%s confirmed a wish that is not theirs", c.By)
				}
			}
		}
		var posted, claims, releases, held, fulfilledN, confirmedN, awaiting int
		for _, events := range streams {
			active := 0
			fulfilledClaims, confirmedClaims := map[int]bool{}, map[int]bool{}
			claim := 0
			for _, e := range events {
				switch e := e.(type) {
				case WishPosted:
					posted++
				case WishClaimed:
					claims++
					if active != 0 {
						t.Fatalf("%s claimed (claim %d) while claim %d was active", e.WishID, e.Claim, active)
					}
					active, claim = e.Claim, e.Claim
				case WishReleased:
					releases++
					if e.Claim != active {
						t.Fatalf("released claim %d, active %d", e.Claim, active)
					}
					active = 0
				case WishFulfilled:
					fulfilledN++
					if e.Claim != active || fulfilledClaims[e.Claim] {
						t.Fatalf("fulfilled claim %d (active %d, fulfilled before %v)", e.Claim, active, fulfilledClaims[e.Claim])
					}
					fulfilledClaims[e.Claim] = true
				case WishConfirmed:
					confirmedN++
					if !fulfilledClaims[e.Claim] || confirmedClaims[e.Claim] {
						t.Fatalf("confirmed claim %d unfulfilled or twice", e.Claim)
					}
					confirmedClaims[e.Claim] = true
				case WishCancelled:
					if len(fulfilledClaims) > 0 {
						t.Fatalf("%s cancelled after its fulfilment", e.WishID)
					}
				}
			}
			if active != 0 {
				held++
			}
			st := FoldWish(events)
			if st.Status == WishStatusFulfilled {
				awaiting++
			}
			if st.Claims != claim {
				t.Fatalf("state counts %d claims, the events %d", st.Claims, claim)
			}
		}
		if posted != n {
			t.Fatalf("%d posted, want %d", posted, n)
		}
		if fulfilledN != confirmedN+awaiting {
			t.Fatalf("fulfilled %d ≠ confirmed %d + awaiting %d", fulfilledN, confirmedN, awaiting)
		}
		if claims != releases+held {
			t.Fatalf("claims %d ≠ released %d + held %d", claims, releases, held)
		}
	})
}
