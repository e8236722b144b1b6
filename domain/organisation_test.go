package domain

import (
	"reflect"
	"testing"
)

const community = "hengyuan"

var (
	registered = CommunityRegistered{CommunityID: community, Name: "衡苑社区", Kind: CommunityUrban, Street: "李封街道", At: now}
	grid1      = GridCreated{CommunityID: community, GridID: "g1", Name: "第一网格", Kind: GridResidential, At: now}
	compound1  = CompoundRegistered{CommunityID: community, CompoundID: "c1", GridID: "g1", Name: "衡苑东街3号院", At: now}
	unit101    = UnitRegistered{CommunityID: community, CompoundID: "c1", UnitID: "u101", Label: "1-101", AreaDM2: 8956, Owners: []Voter{{"p1", "徐大爷"}}, At: now}
	worker1    = GridWorkerAssigned{CommunityID: community, GridID: "g1", PersonID: "w1", Name: "王网格员", Employment: FullTime, At: now}
)

func TestOrganisation(t *testing.T) {
	org := []Event{registered, grid1, compound1, unit101, worker1}
	run(t, []spec{
		{name: "register community", when: RegisterCommunity{CommunityID: community, Name: "衡苑社区", Kind: CommunityUrban, Street: "李封街道"}, then: []Event{registered}},
		{name: "register twice", given: org, when: RegisterCommunity{CommunityID: community, Name: "x", Kind: CommunityUrban}, code: CodeConflict, reason: "community_exists"},
		{name: "register without name", when: RegisterCommunity{CommunityID: community, Kind: CommunityUrban}, code: CodeInvalid, reason: "required", field: "name"},
		{name: "register with bad kind", when: RegisterCommunity{CommunityID: community, Name: "x", Kind: "town"}, code: CodeInvalid, reason: "not_allowed", field: "kind"},
		{name: "register with bad id", when: RegisterCommunity{CommunityID: "-x", Name: "x", Kind: CommunityUrban}, code: CodeInvalid, reason: "bad_id", field: "community_id"},
		{name: "grid before community", when: CreateGrid{CommunityID: community, GridID: "g1", Name: "第一网格", Kind: GridResidential}, code: CodeNotFound, reason: "community_not_found"},
		{name: "create grid", given: org[:1], when: CreateGrid{CommunityID: community, GridID: "g1", Name: "第一网格", Kind: GridResidential}, then: []Event{grid1}},
		{name: "create grid twice", given: org, when: CreateGrid{CommunityID: community, GridID: "g1", Name: "第一网格", Kind: GridResidential}, code: CodeConflict, reason: "grid_exists"},
		{name: "create grid bad kind", given: org, when: CreateGrid{CommunityID: community, GridID: "g2", Name: "x", Kind: "big"}, code: CodeInvalid, reason: "not_allowed"},
		{name: "appoint head", given: org, when: AppointGridHead{CommunityID: community, GridID: "g1", PersonID: "h1", Name: "李网格长"},
			then: []Event{GridHeadAppointed{CommunityID: community, GridID: "g1", PersonID: "h1", Name: "李网格长", At: now}}},
		{name: "appoint head again", given: append(org, GridHeadAppointed{CommunityID: community, GridID: "g1", PersonID: "h1", Name: "李网格长"}),
			when: AppointGridHead{CommunityID: community, GridID: "g1", PersonID: "h1", Name: "李网格长"}, code: CodeConflict, reason: "already_grid_head"},
		{name: "appoint head of unknown grid", given: org, when: AppointGridHead{CommunityID: community, GridID: "g9", PersonID: "h1", Name: "李"}, code: CodeNotFound, reason: "grid_not_found", field: "grid_id"},
		{name: "appoint head without name", given: org, when: AppointGridHead{CommunityID: community, GridID: "g1", PersonID: "h1"}, code: CodeInvalid, reason: "required", field: "head.name"},
		{name: "assign part-time worker", given: org, when: AssignGridWorker{CommunityID: community, GridID: "g1", PersonID: "w2", Name: "赵", Employment: PartTime},
			then: []Event{GridWorkerAssigned{CommunityID: community, GridID: "g1", PersonID: "w2", Name: "赵", Employment: PartTime, At: now}}},
		{name: "assign worker twice", given: org, when: AssignGridWorker{CommunityID: community, GridID: "g1", PersonID: "w1", Name: "王网格员", Employment: FullTime}, code: CodeConflict, reason: "worker_already_assigned"},
		{name: "assign worker to unknown grid", given: org, when: AssignGridWorker{CommunityID: community, GridID: "g9", PersonID: "w1", Name: "王", Employment: FullTime}, code: CodeNotFound, reason: "grid_not_found"},
		{name: "assign worker bad employment", given: org, when: AssignGridWorker{CommunityID: community, GridID: "g1", PersonID: "w3", Name: "王", Employment: "casual"}, code: CodeInvalid, reason: "not_allowed", field: "employment"},
		{name: "remove worker", given: org, when: RemoveGridWorker{CommunityID: community, GridID: "g1", PersonID: "w1", Reason: "调岗"},
			then: []Event{GridWorkerRemoved{CommunityID: community, GridID: "g1", PersonID: "w1", Reason: "调岗", At: now}}},
		{name: "remove unknown worker", given: org, when: RemoveGridWorker{CommunityID: community, GridID: "g1", PersonID: "w9", Reason: "x"}, code: CodeNotFound, reason: "worker_not_found"},
		{name: "remove worker of unknown grid", given: org, when: RemoveGridWorker{CommunityID: community, GridID: "g9", PersonID: "w1", Reason: "x"}, code: CodeNotFound, reason: "grid_not_found"},
		{name: "remove worker without reason", given: org, when: RemoveGridWorker{CommunityID: community, GridID: "g1", PersonID: "w1"}, code: CodeInvalid, reason: "required", field: "reason"},
		{name: "register compound", given: org[:2], when: RegisterCompound{CommunityID: community, CompoundID: "c1", GridID: "g1", Name: "衡苑东街3号院"}, then: []Event{compound1}},
		{name: "register compound twice", given: org, when: RegisterCompound{CommunityID: community, CompoundID: "c1", GridID: "g1", Name: "x"}, code: CodeConflict, reason: "compound_exists"},
		{name: "register compound in unknown grid", given: org, when: RegisterCompound{CommunityID: community, CompoundID: "c2", GridID: "g9", Name: "x"}, code: CodeNotFound, reason: "grid_not_found"},
		{name: "register unit", given: org[:3], when: RegisterUnit{CommunityID: community, CompoundID: "c1", UnitID: "u101", Label: "1-101", AreaDM2: 8956, Owners: []Voter{{"p1", "徐大爷"}}}, then: []Event{unit101}},
		{name: "register unit twice", given: org, when: RegisterUnit{CommunityID: community, CompoundID: "c1", UnitID: "u101", Label: "1-101", AreaDM2: 1, Owners: []Voter{{"p1", "徐"}}}, code: CodeConflict, reason: "unit_exists"},
		{name: "register unit in unknown compound", given: org, when: RegisterUnit{CommunityID: community, CompoundID: "c9", UnitID: "u1", Label: "x", AreaDM2: 1, Owners: []Voter{{"p1", "徐"}}}, code: CodeNotFound, reason: "compound_not_found"},
		{name: "register unit without area", given: org, when: RegisterUnit{CommunityID: community, CompoundID: "c1", UnitID: "u2", Label: "x", Owners: []Voter{{"p1", "徐"}}}, code: CodeInvalid, reason: "bad_area", field: "area_dm2"},
		{name: "register unit without owner", given: org, when: RegisterUnit{CommunityID: community, CompoundID: "c1", UnitID: "u2", Label: "x", AreaDM2: 1}, code: CodeInvalid, reason: "owners_required"},
		{name: "register unit with owner twice", given: org, when: RegisterUnit{CommunityID: community, CompoundID: "c1", UnitID: "u2", Label: "x", AreaDM2: 1, Owners: []Voter{{"p1", "徐"}, {"p1", "徐"}}}, code: CodeInvalid, reason: "duplicate_owner"},
		{name: "change owners", given: org, when: ChangeUnitOwners{CommunityID: community, CompoundID: "c1", UnitID: "u101", Owners: []Voter{{"p2", "李"}, {"p3", "张"}}},
			then: []Event{UnitOwnersChanged{CommunityID: community, CompoundID: "c1", UnitID: "u101", Owners: []Voter{{"p2", "李"}, {"p3", "张"}}, At: now}}},
		{name: "change owners of unknown unit", given: org, when: ChangeUnitOwners{CommunityID: community, CompoundID: "c1", UnitID: "u9", Owners: []Voter{{"p2", "李"}}}, code: CodeNotFound, reason: "unit_not_found"},
		{name: "change owners in unknown compound", given: org, when: ChangeUnitOwners{CommunityID: community, CompoundID: "c9", UnitID: "u101", Owners: []Voter{{"p2", "李"}}}, code: CodeNotFound, reason: "compound_not_found"},
		{name: "change owners to nobody", given: org, when: ChangeUnitOwners{CommunityID: community, CompoundID: "c1", UnitID: "u101"}, code: CodeInvalid, reason: "owners_required"},
		{name: "register heating company", given: org, when: RegisterPartner{CommunityID: community, PartnerID: "heat", Name: "供暖公司", Kind: UnitHeatingCompany, Contact: "刘经理"},
			then: []Event{PartnerRegistered{CommunityID: community, PartnerID: "heat", Name: "供暖公司", Kind: UnitHeatingCompany, Contact: "刘经理", At: now}}},
		{name: "register partner twice", given: append(org, PartnerRegistered{CommunityID: community, PartnerID: "heat", Name: "供暖公司", Kind: UnitHeatingCompany}),
			when: RegisterPartner{CommunityID: community, PartnerID: "heat", Name: "供暖公司", Kind: UnitHeatingCompany}, code: CodeConflict, reason: "partner_exists"},
		{name: "register partner bad kind", given: org, when: RegisterPartner{CommunityID: community, PartnerID: "x", Name: "x", Kind: "bank"}, code: CodeInvalid, reason: "not_allowed"},
		{name: "a proposal command on an organisation stream", given: org, when: wrongStream{"organisation-" + community}, code: CodeInvalid, reason: "unknown_command"},
	})
}

// wrongStream is a command no aggregate handles.
type wrongStream struct{ stream string }

func (w wrongStream) Stream() string { return w.stream }

func TestUnknownCategoryIsRefused(t *testing.T) {
	if _, err := Decide(nil, wrongStream{"seal-main"}, now); ErrorReason(err) != "unknown_command" {
		t.Fatalf("got %v", err)
	}
	if _, err := Decide(nil, nil, now); ErrorCode(err) != CodeInvalid {
		t.Fatalf("nil command: got %v", err)
	}
}

func TestFoldOrganisationAndRegister(t *testing.T) {
	s := FoldOrganisation([]Event{registered, grid1, worker1, compound1, unit101,
		UnitRegistered{CommunityID: community, CompoundID: "c1", UnitID: "u102", Label: "1-102", AreaDM2: 7000, Owners: []Voter{{"p3", "张"}, {"p2", "李"}}},
		UnitOwnersChanged{CommunityID: community, CompoundID: "c1", UnitID: "u101", Owners: []Voter{{"p2", "李"}}},
		GridHeadAppointed{CommunityID: community, GridID: "g1", PersonID: "h1", Name: "李网格长"},
		GridWorkerRemoved{CommunityID: community, GridID: "g1", PersonID: "w1", Reason: "调岗"},
		PartnerRegistered{CommunityID: community, PartnerID: "wy", Name: "物业", Kind: UnitPropertyManagement},
	})
	if g := s.Grids["g1"]; g.Head.PersonID != "h1" || len(g.Workers) != 0 {
		t.Fatalf("grid: %+v", g)
	}
	if s.Partners["wy"].Kind != UnitPropertyManagement {
		t.Fatalf("partners: %+v", s.Partners)
	}
	units, electorate := s.Register("c1")
	wantUnits := []OwnedUnit{{UnitID: "u101", AreaDM2: 8956, Owners: []string{"p2"}}, {UnitID: "u102", AreaDM2: 7000, Owners: []string{"p3", "p2"}}}
	if !reflect.DeepEqual(units, wantUnits) {
		t.Fatalf("units: %+v", units)
	}
	if !reflect.DeepEqual(electorate, []Voter{{"p2", "李"}, {"p3", "张"}}) {
		t.Fatalf("electorate: %+v", electorate)
	}
	if u, e := s.Register("nope"); u != nil || e != nil {
		t.Fatal("unknown compound has a register")
	}
}
