package demo

import (
	"time"

	"github.com/yishi-civic/yishi/domain"
)

// hengyuanWishes posts 衡苑's small wishes (微心愿) in the report's spirit:
// a school bag for a grandchild, fulfilled by a party member and
// confirmed by the grid worker who posted it; repairs for an elder living
// alone, claimed by the property company and confirmed by him; a winter
// coat still open; an afternoon of chess claimed by a neighbour; and the
// demo resident 张明's broken clothes rack, fixed and waiting for his
// confirmation. The wish-makers' names, doors and words are sealed, and no
// public page shows who they are.
func (d *loader) hengyuanWishes() error {
	worker := hyWorkers[0]
	xu, zhu, li, ma, he, gao, zhang := hyResidents[1], hyResidents[6], hyResidents[3], hyResidents[7], hyResidents[10], hyResidents[11], hyResidents[2]
	bag, repair, coat, chess, rack := ID("hy/wish/bag"), ID("hy/wish/repair"), ID("hy/wish/coat"), ID("hy/wish/chess"), ID("hy/wish/rack")
	property := domain.Party{Kind: domain.PartyUnit, ID: hyProperty, Name: "衡苑物业服务中心"}
	propertyRep := domain.Voter{PersonID: hyProperty}
	d.later(24 * time.Hour)
	steps := []struct {
		who  domain.Voter
		role string
		cmd  domain.Command
	}{
		{worker, "grid_worker", domain.PostWish{WishID: bag, CommunityID: Hengyuan, GridID: hyGrid(1), Title: "给上三年级的孙子一个新书包", Category: "study",
			Story: "孙子九月上三年级，旧书包背带断了，家里一时买不起新的。", WishMaker: zhu, Door: "衡苑东院3号楼2单元302", By: worker.PersonID}},
		{worker, "grid_worker", domain.PostWish{WishID: repair, CommunityID: Hengyuan, GridID: hyGrid(1), Title: "家里的灯和门锁修一修", Category: "repair",
			Story: "独居，厨房灯不亮，防盗门锁也不好使，自己爬不了梯子。", WishMaker: xu, Door: "衡苑东院5号楼1单元101", By: worker.PersonID}},
		{li, "resident", domain.ClaimWish{WishID: bag, As: domain.WishByPartyMember, Claimer: partyOf(li)}},
		{propertyRep, "unit_rep", domain.ClaimWish{WishID: repair, As: domain.WishByUnit, Claimer: property}},
		{li, "resident", domain.FulfilWish{WishID: bag, Note: "书包和文具已送到，孩子很喜欢。", By: li.PersonID}},
		{propertyRep, "unit_rep", domain.FulfilWish{WishID: repair, Note: "换了LED灯，修好了门锁。", By: hyProperty}},
		{worker, "grid_worker", domain.ConfirmWish{WishID: bag, By: worker.PersonID}},
		{xu, "resident", domain.ConfirmWish{WishID: repair, By: xu.PersonID}},
		{he, "resident", domain.PostWish{WishID: coat, CommunityID: Hengyuan, GridID: hyGrid(3), Title: "冬天想要一件厚棉衣", Category: "daily", WishMaker: he, By: he.PersonID}},
		{worker, "grid_worker", domain.PostWish{WishID: chess, CommunityID: Hengyuan, GridID: hyGrid(2), Title: "周末有人陪着下下象棋", Category: "care",
			Story: "老伴走了以后一个人在家，想有人说说话。", WishMaker: gao, By: worker.PersonID}},
		{ma, "resident", domain.ClaimWish{WishID: chess, As: domain.WishByNeighbour, Claimer: partyOf(ma)}},
		{zhang, "resident", domain.PostWish{WishID: rack, CommunityID: Hengyuan, GridID: hyGrid(2), Title: "阳台晾衣架坏了，想找人修一下", Category: "repair",
			Story: "升降晾衣架的钢丝断了，家里没有工具。", WishMaker: zhang, By: zhang.PersonID}},
		{ma, "resident", domain.ClaimWish{WishID: rack, As: domain.WishByNeighbour, Claimer: partyOf(ma)}},
		{ma, "resident", domain.FulfilWish{WishID: rack, Note: "换了新钢丝，能升降了。", By: ma.PersonID}},
	}
	for _, c := range steps {
		if err := d.do(actorOf(c.who, c.role), c.cmd); err != nil {
			return err
		}
		d.later(5 * time.Hour)
	}
	return nil
}
