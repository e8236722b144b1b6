package domain

import (
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

var (
	xu       = Voter{PersonID: "p1", Name: "徐大爷"}
	vLi      = Voter{PersonID: "v1", Name: "李志愿"}
	vWang    = Voter{PersonID: "v2", Name: "王志愿"}
	ordered  = ServiceOrdered{ServiceID: "s1", CommunityID: community, GridID: "g1", Title: "陪同去诊所", Need: "腿脚不便，周三上午要去诊所复查", Category: "elderly", Skill: "驾驶", Resident: xu, OrderedBy: "w1", At: now}
	answerBy = now.Add(2 * time.Hour)
	toLi     = ServiceDispatched{ServiceID: "s1", Attempt: 1, Assignee: Party{Kind: PartyPerson, ID: "v1", Name: "李志愿"}, AnswerBy: answerBy, By: "w1", At: now}
	liTakes  = ServiceAccepted{ServiceID: "s1", Attempt: 1, Volunteer: vLi, At: now}
	liDone   = ServiceDone{ServiceID: "s1", CommunityID: community, Volunteer: vLi, Minutes: 75, Note: "已送回家", At: now}
)

func TestServiceOrders(t *testing.T) {
	run(t, []spec{
		{name: "order for a resident", when: OrderService{ServiceID: "s1", CommunityID: community, GridID: "g1", Title: "陪同去诊所", Need: "腿脚不便，周三上午要去诊所复查",
			Category: "elderly", Skill: "驾驶", Resident: xu, OrderedBy: "w1"}, then: []Event{ordered}},
		{name: "order twice", given: []Event{ordered}, when: OrderService{ServiceID: "s1", CommunityID: community, GridID: "g1", Title: "x", Need: "x", Category: "x", Resident: xu, OrderedBy: "p1"},
			code: CodeConflict, reason: "service_exists"},
		{name: "order without need", when: OrderService{ServiceID: "s1", CommunityID: community, GridID: "g1", Title: "x", Category: "x", Resident: xu, OrderedBy: "p1"},
			code: CodeInvalid, reason: "required", field: "need"},
		{name: "dispatch", given: []Event{ordered}, when: DispatchService{ServiceID: "s1", Assignee: toLi.Assignee, AnswerBy: answerBy, By: "w1"}, then: []Event{toLi}},
		{name: "dispatch with an answer time past", given: []Event{ordered}, when: DispatchService{ServiceID: "s1", Assignee: toLi.Assignee, AnswerBy: now.Add(-time.Minute), By: "w1"},
			code: CodeInvalid, reason: "in_the_past", field: "answer_by"},
		{name: "dispatch to a unit", given: []Event{ordered}, when: DispatchService{ServiceID: "s1", Assignee: Party{Kind: PartyUnit, ID: "wy", Name: "物业"}, AnswerBy: answerBy, By: "w1"},
			code: CodeInvalid, reason: "not_allowed", field: "assignee.kind"},
		{name: "dispatch twice", given: []Event{ordered, toLi}, when: DispatchService{ServiceID: "s1", Assignee: toLi.Assignee, AnswerBy: answerBy, By: "w1"},
			code: CodeConflict, reason: "service_not_ordered"},
		{name: "accept", given: []Event{ordered, toLi}, when: AcceptService{ServiceID: "s1", Attempt: 1, Volunteer: vLi}, then: []Event{liTakes}},
		{name: "accept twice", given: []Event{ordered, toLi, liTakes}, when: AcceptService{ServiceID: "s1", Attempt: 1, Volunteer: vLi}, code: CodeConflict, reason: "service_not_dispatched"},
		{name: "someone else accepts", given: []Event{ordered, toLi}, when: AcceptService{ServiceID: "s1", Attempt: 1, Volunteer: vWang}, code: CodeForbidden, reason: "not_the_assignee"},
		{name: "accept a stale dispatch", given: []Event{ordered, toLi}, when: AcceptService{ServiceID: "s1", Attempt: 0, Volunteer: vLi}, code: CodeConflict, reason: "stale_dispatch", field: "attempt"},
		{name: "decline", given: []Event{ordered, toLi}, when: DeclineService{ServiceID: "s1", Attempt: 1, Volunteer: vLi, Reason: "那天要上班"},
			then: []Event{ServiceDeclined{ServiceID: "s1", Attempt: 1, Assignee: toLi.Assignee, Volunteer: vLi, Reason: "那天要上班", At: now}}},
		{name: "re-dispatch after a decline", given: []Event{ordered, toLi, ServiceDeclined{ServiceID: "s1", Attempt: 1, Assignee: toLi.Assignee, Volunteer: vLi}},
			when: DispatchService{ServiceID: "s1", Assignee: Party{Kind: PartyTeam, ID: "t1", Name: "小红李"}, AnswerBy: answerBy, By: "w1"},
			then: []Event{ServiceDispatched{ServiceID: "s1", Attempt: 2, Assignee: Party{Kind: PartyTeam, ID: "t1", Name: "小红李"}, AnswerBy: answerBy, By: "w1", At: now}}},
		{name: "never again to who declined", given: []Event{ordered, toLi, ServiceDeclined{ServiceID: "s1", Attempt: 1, Assignee: toLi.Assignee, Volunteer: vLi}},
			when: DispatchService{ServiceID: "s1", Assignee: toLi.Assignee, AnswerBy: answerBy, By: "w1"}, code: CodeConflict, reason: "declined_before", field: "assignee.id"},
		{name: "expire too early", given: []Event{ordered, toLi}, when: ExpireDispatch{ServiceID: "s1", Attempt: 1}, code: CodeConflict, reason: "not_expired"},
		{name: "expire", given: []Event{ordered, ServiceDispatched{ServiceID: "s1", Attempt: 1, Assignee: toLi.Assignee, AnswerBy: now.Add(-time.Minute), By: "w1"}},
			when: ExpireDispatch{ServiceID: "s1", Attempt: 1}, then: []Event{ServiceDispatchExpired{ServiceID: "s1", Attempt: 1, Assignee: toLi.Assignee, At: now}}},
		{name: "done", given: []Event{ordered, toLi, liTakes}, when: ReportServiceDone{ServiceID: "s1", Volunteer: vLi, Minutes: 75, Note: "已送回家"}, then: []Event{liDone}},
		{name: "done by another", given: []Event{ordered, toLi, liTakes}, when: ReportServiceDone{ServiceID: "s1", Volunteer: vWang, Minutes: 75}, code: CodeForbidden, reason: "not_the_volunteer"},
		{name: "done without time", given: []Event{ordered, toLi, liTakes}, when: ReportServiceDone{ServiceID: "s1", Volunteer: vLi}, code: CodeInvalid, reason: "bad_minutes", field: "minutes"},
		{name: "confirm awards points by the rule", given: []Event{ordered, toLi, liTakes, liDone}, when: ConfirmService{ServiceID: "s1", Confirmer: xu, Satisfied: true},
			then: []Event{ServiceConfirmed{ServiceID: "s1", CommunityID: community, VolunteerID: "v1", Confirmer: xu, Satisfied: true, Minutes: 75, Points: 5, Rule: ServicePointsRule, At: now}}},
		{name: "not satisfied", given: []Event{ordered, toLi, liTakes, liDone}, when: ConfirmService{ServiceID: "s1", Confirmer: xu, Reason: "没有送到"},
			then: []Event{ServiceConfirmed{ServiceID: "s1", CommunityID: community, VolunteerID: "v1", Confirmer: xu, Reason: "没有送到", Minutes: 75, At: now}}},
		{name: "confirmed by someone else", given: []Event{ordered, toLi, liTakes, liDone}, when: ConfirmService{ServiceID: "s1", Confirmer: vWang, Satisfied: true},
			code: CodeForbidden, reason: "not_the_resident"},
		{name: "confirm before done", given: []Event{ordered, toLi, liTakes}, when: ConfirmService{ServiceID: "s1", Confirmer: xu, Satisfied: true}, code: CodeConflict, reason: "service_not_done"},
		{name: "cancel", given: []Event{ordered}, when: CancelService{ServiceID: "s1", Reason: "家人回来了", By: "w1"}, then: []Event{ServiceCancelled{ServiceID: "s1", Reason: "家人回来了", By: "w1", At: now}}},
		{name: "cancel after done", given: []Event{ordered, toLi, liTakes, liDone}, when: CancelService{ServiceID: "s1", Reason: "x", By: "w1"}, code: CodeConflict, reason: "service_not_ordered"},
		{name: "unknown order", when: AcceptService{ServiceID: "s1", Attempt: 1, Volunteer: vLi}, code: CodeNotFound, reason: "service_not_found"},
	})
}

func TestPointsAccount(t *testing.T) {
	award := AwardPoints{CommunityID: community, PersonID: "v1", ServiceID: "s1", Minutes: 75, Points: 5, Rule: ServicePointsRule}
	awarded := PointsAwarded{CommunityID: community, PersonID: "v1", ServiceID: "s1", Minutes: 75, Points: 5, Rule: ServicePointsRule, Balance: 5, At: now}
	run(t, []spec{
		{name: "award", when: award, then: []Event{awarded}},
		{name: "award the same service again", given: []Event{awarded}, when: award, then: nil},
		{name: "redeem", given: []Event{awarded}, when: RedeemPoints{CommunityID: community, PersonID: "v1", StationID: "st", Points: 3, Item: "洗衣液一瓶", By: "w1"},
			then: []Event{PointsRedeemed{CommunityID: community, PersonID: "v1", StationID: "st", Points: 3, Item: "洗衣液一瓶", Balance: 2, By: "w1", At: now}}},
		{name: "redeem more than the balance", given: []Event{awarded}, when: RedeemPoints{CommunityID: community, PersonID: "v1", StationID: "st", Points: 6, Item: "x", By: "w1"},
			code: CodeConflict, reason: "not_enough_points", field: "points"},
		{name: "redeem nothing", given: []Event{awarded}, when: RedeemPoints{CommunityID: community, PersonID: "v1", StationID: "st", Item: "x", By: "w1"},
			code: CodeInvalid, reason: "bad_points", field: "points"},
	})
	if (PointsRule{Base: 2, PerHalfHour: 1}).Points(30) != 3 || ServicePointsRule.Points(31) != 4 || ServicePointsRule.Points(1) != 3 {
		t.Fatal("the rule counts every half hour begun")
	}
}

// TestServiceProperties drives random orders through every command,
// follow-ups included, and checks what must hold whatever happens: no
// dispatch is accepted twice and no order is accepted after it was
// confirmed or cancelled; a declined or expired order is back in the
// queue and can be dispatched again, never to who declined; the points
// accounts hold exactly the points the confirmations awarded, each
// service once, and never go below zero.
func TestServiceProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		streams := map[string][]Event{}
		orders := rapid.IntRange(1, 4).Draw(t, "orders")
		clock := now
		volunteers := []Voter{vLi, vWang, {PersonID: "v3", Name: "赵志愿"}}
		for i := range orders {
			id := string(rune('a' + i))
			if _, err := Decide(nil, OrderService{ServiceID: id, CommunityID: community, GridID: "g1", Title: "t", Need: "n", Category: "c", Resident: xu, OrderedBy: "w1"}, clock); err != nil {
				t.Fatal(err)
			}
			streams[ServiceStream(id)] = []Event{ServiceOrdered{ServiceID: id, CommunityID: community, GridID: "g1", Title: "t", Need: "n", Category: "c", Resident: xu, OrderedBy: "w1", At: clock}}
		}
		steps := rapid.IntRange(1, 60).Draw(t, "steps")
		for range steps {
			id := string(rune('a' + rapid.IntRange(0, orders-1).Draw(t, "order")))
			st := FoldService(streams[ServiceStream(id)])
			v := rapid.SampledFrom(volunteers).Draw(t, "volunteer")
			clock = clock.Add(time.Duration(rapid.IntRange(0, 180).Draw(t, "minutes")) * time.Minute)
			var cmd Command
			switch rapid.IntRange(0, 7).Draw(t, "command") {
			case 0:
				cmd = DispatchService{ServiceID: id, Assignee: Party{Kind: PartyPerson, ID: v.PersonID, Name: v.Name}, AnswerBy: clock.Add(time.Hour), By: "w1"}
			case 1:
				cmd = AcceptService{ServiceID: id, Attempt: rapid.IntRange(st.Attempt-1, st.Attempt).Draw(t, "attempt"), Volunteer: v}
			case 2:
				cmd = DeclineService{ServiceID: id, Attempt: st.Attempt, Volunteer: v}
			case 3:
				cmd = ExpireDispatch{ServiceID: id, Attempt: st.Attempt}
			case 4:
				cmd = ReportServiceDone{ServiceID: id, Volunteer: v, Minutes: rapid.IntRange(1, 300).Draw(t, "spent")}
			case 5:
				cmd = ConfirmService{ServiceID: id, Confirmer: xu, Satisfied: rapid.Bool().Draw(t, "satisfied"), Reason: "未完成"}
			case 6:
				cmd = CancelService{ServiceID: id, Reason: "不需要了", By: "w1"}
			case 7:
				cmd = RedeemPoints{CommunityID: community, PersonID: v.PersonID, StationID: "st", Points: rapid.IntRange(1, 10).Draw(t, "redeem"), Item: "x", By: "w1"}
			}
			before := FoldService(streams[ServiceStream(id)])
			if err := decideAt(streams, cmd, clock); err != nil {
				if ErrorCode(err) == CodeInternal {
					t.Fatal(err)
				}
				continue
			}
			after := FoldService(streams[ServiceStream(id)])
			switch cmd.(type) {
			case DeclineService, ExpireDispatch:
				if after.Status != ServiceStatusOrdered {
					t.Fatalf("a declined or expired order is %s, not back in the queue", after.Status)
				}
				for _, other := range volunteers {
					again := DispatchService{ServiceID: id, Assignee: Party{Kind: PartyPerson, ID: other.PersonID, Name: other.Name}, AnswerBy: clock.Add(time.Hour), By: "w1"}
					_, err := Decide(streams[ServiceStream(id)], again, clock)
					if declined := slices.Contains(after.Declined, other.PersonID); declined != (err != nil) {
						t.Fatalf("re-dispatch to %s (declined before: %v): %v", other.PersonID, declined, err)
					}
				}
			case AcceptService:
				if before.Status != ServiceStatusDispatched {
					t.Fatalf("accepted an order that was %s", before.Status)
				}
			}
		}
		// Every confirmation's points reached the volunteer's account once;
		// nothing else did.
		want := map[string]int{}
		accepted := map[string]map[int]bool{}
		for stream, events := range streams {
			if category(stream) != "service" {
				continue
			}
			for _, e := range events {
				switch e := e.(type) {
				case ServiceConfirmed:
					want[e.VolunteerID] += e.Points
					if e.Satisfied && e.Points != e.Rule.Points(e.Minutes) {
						t.Fatalf("points %d do not follow the recorded rule for %d minutes", e.Points, e.Minutes)
					}
				case ServiceAccepted:
					if accepted[e.ServiceID] == nil {
						accepted[e.ServiceID] = map[int]bool{}
					}
					if accepted[e.ServiceID][e.Attempt] {
						t.Fatalf("dispatch %d of %s accepted twice", e.Attempt, e.ServiceID)
					}
					accepted[e.ServiceID][e.Attempt] = true
				}
			}
			declined := map[string]bool{}
			for _, e := range events {
				switch e := e.(type) {
				case ServiceDeclined:
					declined[e.Assignee.ID] = true
				case ServiceDispatched:
					if declined[e.Assignee.ID] {
						t.Fatalf("%s was dispatched to %s, who had declined it", e.ServiceID, e.Assignee.ID)
					}
				}
			}
		}
		for _, v := range volunteers {
			acct := FoldPoints(streams[PointsStream(community, v.PersonID)])
			if acct.Earned != want[v.PersonID] {
				t.Fatalf("%s earned %d, the confirmations awarded %d", v.PersonID, acct.Earned, want[v.PersonID])
			}
			if acct.Balance < 0 || acct.Balance != acct.Earned-acct.Redeemed {
				t.Fatalf("%s: balance %d, earned %d, redeemed %d", v.PersonID, acct.Balance, acct.Earned, acct.Redeemed)
			}
		}
	})
}

// decideAt is decideInto with the clock given.
func decideAt(streams map[string][]Event, c Command, at time.Time) error {
	st := c.Stream()
	events, err := Decide(streams[st], c, at)
	if err != nil {
		return err
	}
	streams[st] = append(streams[st], events...)
	for _, f := range FollowUps(st, events) {
		if err := decideAt(streams, f, at); err != nil {
			return err
		}
	}
	return nil
}
