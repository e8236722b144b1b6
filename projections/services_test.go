package projections

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
)

// TestServicesFoldOrdersAndPoints folds two orders through dispatch,
// decline, re-dispatch, acceptance, done and confirmation, and a
// redemption: the queue, the accounts and the figures.
func TestServicesFoldOrdersAndPoints(t *testing.T) {
	xu, li := domain.Voter{PersonID: "p1", Name: "徐大爷"}, domain.Voter{PersonID: "v1", Name: "李志愿"}
	toWang := domain.Party{Kind: domain.PartyPerson, ID: "v2", Name: "王志愿"}
	toLi := domain.Party{Kind: domain.PartyPerson, ID: "v1", Name: "李志愿"}
	v := foldAll(t, encode(t, []domain.Event{
		domain.ServiceOrdered{ServiceID: "s1", CommunityID: "hy", GridID: "g1", Title: "陪同就医", Category: "elderly", Resident: xu, OrderedBy: "w1", At: at(0)},
		domain.ServiceOrdered{ServiceID: "s2", CommunityID: "hy", GridID: "g1", Title: "修灯", Category: "facilities", Resident: xu, OrderedBy: "p1", At: at(1)},
		domain.ServiceDispatched{ServiceID: "s1", Attempt: 1, Assignee: toWang, AnswerBy: at(1), By: "w1", At: at(0)},
		domain.ServiceDeclined{ServiceID: "s1", Attempt: 1, Assignee: toWang, Volunteer: domain.Voter{PersonID: "v2", Name: "王志愿"}, At: at(1)},
		domain.ServiceDispatched{ServiceID: "s1", Attempt: 2, Assignee: toLi, AnswerBy: at(2), By: "w1", At: at(1)},
		domain.ServiceAccepted{ServiceID: "s1", Attempt: 2, Volunteer: li, At: at(1)},
		domain.ServiceDone{ServiceID: "s1", CommunityID: "hy", Volunteer: li, Minutes: 90, At: at(2)},
		domain.ServiceConfirmed{ServiceID: "s1", CommunityID: "hy", VolunteerID: "v1", Confirmer: xu, Satisfied: true, Minutes: 90, Points: 5, Rule: domain.ServicePointsRule, At: at(2)},
		domain.PointsAwarded{CommunityID: "hy", PersonID: "v1", ServiceID: "s1", Minutes: 90, Points: 5, Rule: domain.ServicePointsRule, Balance: 5, At: at(2)},
		domain.PointsRedeemed{CommunityID: "hy", PersonID: "v1", StationID: "st", Points: 3, Item: "洗衣液", Balance: 2, By: "w1", At: at(3)},
		domain.ServiceDispatched{ServiceID: "s2", Attempt: 1, Assignee: toLi, AnswerBy: at(2), By: "w1", At: at(1)},
	}))
	orders := v.Services.Orders(ServiceQuery{CommunityID: "hy", Now: at(3)})
	require.Len(t, orders, 2)
	assert.Equal(t, "s2", orders[0].ServiceID, "waiting orders first")
	assert.True(t, orders[0].Overdue, "past its answer time")
	assert.Equal(t, domain.ServiceStatusConfirmed, orders[1].Status)
	assert.Equal(t, 1, orders[1].Declines)
	assert.Equal(t, 2, orders[1].Attempt)
	assert.Equal(t, "李志愿", orders[1].Volunteer.Name)
	assert.Len(t, v.Services.Orders(ServiceQuery{Now: at(3), OverdueOnly: true}), 1)

	accounts := v.Services.Accounts("hy")
	require.Len(t, accounts, 1)
	assert.Equal(t, PointsAccount{CommunityID: "hy", PersonID: "v1", Name: "李志愿", Earned: 5, Redeemed: 3, Balance: 2, Minutes: 90, Services: 1}, accounts[0])
	assert.Equal(t, ServiceFigures{Ordered: 2, Confirmed: 1, Hours: 1.5, Points: 5, Redeemed: 3}, v.Services.Figures(StatsQuery{CommunityID: "hy"}))
	assert.Equal(t, ServiceFigures{Ordered: 2, Confirmed: 1, Hours: 1.5, Points: 5}, v.Services.Figures(StatsQuery{CommunityID: "hy", GridID: "g1"}))
	assert.Equal(t, 0, v.Services.Figures(StatsQuery{CommunityID: "hy", From: at(0).Add(400 * 24 * time.Hour)}).Ordered)

	snap, err := v.Services.MarshalSnapshot()
	require.NoError(t, err)
	back := newServices(v.mu)
	require.NoError(t, back.UnmarshalSnapshot(bytes.NewReader(snap)))
	assert.Equal(t, accounts, back.Accounts("hy"))
	assert.Error(t, back.UnmarshalSnapshot(bytes.NewReader([]byte(`{}`))))
}
