package policy

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/projections"
)

var (
	resident    = Reader{Authenticated: true, Role: auth.RoleResident, Scope: auth.Scope{Community: "hengyuan", Grid: "g1"}}
	facilitator = Reader{Authenticated: true, Role: auth.RoleFacilitator, Scope: auth.Scope{Community: "hengyuan", Grid: "g1"}}
	admin       = Reader{Authenticated: true, Role: auth.RoleAdmin, Scope: auth.Scope{Community: "hengyuan"}}
	rootAdmin   = Reader{Authenticated: true, Role: auth.RoleAdmin}
	auditor     = Reader{Authenticated: true, Role: auth.RoleAuditor, Scope: auth.Scope{Community: "hengyuan"}}
)

func TestReaderAccess(t *testing.T) {
	cases := []struct {
		name                     string
		r                        Reader
		community, grid          string
		personal, ballots, token bool
	}{
		{"public", Anonymous, "hengyuan", "g1", false, false, false},
		{"resident in scope", resident, "hengyuan", "g1", false, false, false},
		{"facilitator in scope", facilitator, "hengyuan", "g1", true, false, false},
		{"facilitator of another grid", facilitator, "hengyuan", "g2", false, false, false},
		{"community admin", admin, "hengyuan", "g2", true, false, false},
		{"community admin, other community", admin, "ziling", "g1", false, false, false},
		{"unscoped admin", rootAdmin, "ziling", "g1", true, false, true},
		{"auditor in scope", auditor, "hengyuan", "g2", true, true, false},
		{"auditor out of scope", auditor, "ziling", "g1", false, false, false},
	}
	for _, c := range cases {
		if got := c.r.SeesPersonalData(c.community, c.grid); got != c.personal {
			t.Errorf("%s: SeesPersonalData = %v", c.name, got)
		}
		if got := c.r.SeesBallots(c.community, c.grid); got != c.ballots {
			t.Errorf("%s: SeesBallots = %v", c.name, got)
		}
		if got := c.r.SeesTokens(); got != c.token {
			t.Errorf("%s: SeesTokens = %v", c.name, got)
		}
	}
}

func TestSeesStream(t *testing.T) {
	cases := []struct {
		r                       Reader
		stream, community, grid string
		want                    bool
	}{
		{rootAdmin, "token-1", "", "", true},
		{admin, "token-1", "", "", false},
		{Reader{Authenticated: true, Role: auth.RoleAuditor}, "token-1", "", "", false},
		{admin, "proposal-1", "hengyuan", "g2", true},
		{admin, "proposal-1", "ziling", "g1", false},
		{admin, "organisation-hengyuan", "hengyuan", "", true},
		{admin, "organisation-ziling", "ziling", "", false},
		{Reader{Authenticated: true, Role: auth.RoleAuditor, Scope: auth.Scope{Community: "hengyuan", Grid: "g1"}}, "organisation-hengyuan", "hengyuan", "", true},
		{admin, "seal-main", "", "", false},
		{rootAdmin, "seal-main", "", "", true},
		{Anonymous, "proposal-1", "hengyuan", "g1", false},
	}
	for _, c := range cases {
		if got := c.r.SeesStream(c.stream, c.community, c.grid); got != c.want {
			t.Errorf("%+v SeesStream(%s, %s, %s) = %v, want %v", c.r, c.stream, c.community, c.grid, got, c.want)
		}
	}
}

// TestPlaceMattersOnlyToScopedReaders checks the promise callers rely on
// to skip looking a stream's place up: for a reader whose scope covers
// every community, SeesStream and RedactsBallot answer the same whatever
// the place.
func TestPlaceMattersOnlyToScopedReaders(t *testing.T) {
	places := [][2]string{{"", ""}, {"hengyuan", ""}, {"hengyuan", "g1"}, {"ziling", "g7"}}
	ballot := json.RawMessage(`{"secret":true,"choice":"for"}`)
	for _, role := range []auth.Role{auth.RoleAdmin, auth.RoleAuditor, auth.RoleFacilitator, auth.RoleResident} {
		for _, scope := range []auth.Scope{{}, {Community: "hengyuan"}, {Community: "hengyuan", Grid: "g1"}} {
			r := Reader{Authenticated: true, Role: role, Scope: scope}
			if r.PlaceMatters() != (scope != auth.Scope{}) {
				t.Errorf("%+v: PlaceMatters() = %v", r, r.PlaceMatters())
			}
			if r.PlaceMatters() {
				continue
			}
			for _, stream := range []string{"proposal-1", "meeting-1", "organisation-hengyuan", "token-1", "seal-main"} {
				for _, p := range places {
					if r.SeesStream(stream, p[0], p[1]) != r.SeesStream(stream, "", "") {
						t.Errorf("%+v SeesStream(%s) depends on the place %v", r, stream, p)
					}
					if r.RedactsBallot(domain.VoteCast{}.EventType(), ballot, p[0], p[1]) != r.RedactsBallot(domain.VoteCast{}.EventType(), ballot, "", "") {
						t.Errorf("%+v RedactsBallot depends on the place %v", r, p)
					}
				}
			}
		}
	}
	if (Reader{Authenticated: true, Role: auth.RoleAuditor, Scope: auth.Scope{Community: "hengyuan"}}).SeesStream("proposal-1", "ziling", "g7") {
		t.Error("a scoped auditor reads another community's stream: the place matters to it")
	}
}

func TestPublic(t *testing.T) {
	type statement struct {
		SpeakerName string `json:"speaker_name"`
		Phone       string `json:"phone"`
		Summary     string `json:"summary"`
	}
	in := map[string]any{
		"title":        "3号楼2单元302门口重新划线，联系13812345678",
		"proposal_id":  "0193a1b2-1381-7234-8567-813812345678",
		"author":       "王小明",
		"address":      "5号楼1单元302",
		"statements":   []statement{{SpeakerName: "李四", Phone: "13900001111", Summary: "请打 13900001111 联系"}},
		"votes":        7,
		"owner":        map[string]string{"kind": "person", "id": "p9", "name": "赵六"},
		"unit":         map[string]string{"kind": "unit", "id": "u1", "name": "物业公司"},
		"electorate":   []map[string]string{{"person_id": "p1", "name": "钱七"}},
		"supporters":   []string{"r2", "r3"},
		"voter_id":     "r1",
		"ordered_by":   "w4",
		"photos":       []string{strings.Repeat("1381234567", 6) + "abcd"},
		"options":      []map[string]string{{"id": "yes", "label": "同意（张工 13912345678）"}},
		"minutes":      map[string]string{"summary": "会议纪要：联系人邮箱 a.b@example.com，身份证11010519900307123X"},
		"at":           "2026-12-02T04:56:42Z",
		"participants": 12,
	}
	b, err := Public(in)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, leak := range []string{"王小明", "李四", "赵六", "钱七", "13900001111", "联系13812345678", "13912345678", "5号楼", "302", "address", "phone",
		`"p9"`, `"p1"`, `"r1"`, `"r2"`, `"w4"`, "a.b@example.com", "11010519900307123X"} {
		if strings.Contains(s, leak) {
			t.Errorf("public answer leaks %s: %s", leak, s)
		}
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{
		"author": "王*", "votes": float64(7), "proposal_id": in["proposal_id"], "at": "2026-12-02T04:56:42Z", "participants": float64(12),
		"title": "*号楼*单元***门口重新划线，联系***********",
	} {
		if out[k] != want {
			t.Errorf("%s = %v, want %v", k, out[k], want)
		}
	}
	if u := out["unit"].(map[string]any); u["name"] != "物业公司" || u["id"] != "u1" {
		t.Errorf("a unit is not a person: %v", u)
	}
	if o := out["owner"].(map[string]any); o["name"] != "赵*" || o["id"] != nil {
		t.Errorf("a person's party: %v", o)
	}
	if p := out["photos"].([]any)[0]; p != in["photos"].([]string)[0] {
		t.Errorf("a photo's digest changed: %v", p)
	}
	if out["supporters"] != nil || out["voter_id"] != nil {
		t.Errorf("person ids stay: %s", s)
	}
}

// TestPublicViews runs the projections' views through Public: every free
// text, every name and every person id of a view entry.
func TestPublicViews(t *testing.T) {
	phone := "13812345678"
	d := projections.Decision{
		Key: "m1/mo1", MeetingTitle: "3号楼议事会 " + phone, Text: "同意 2-1-302 改门", Place: "3号楼2单元302",
		Options:    []domain.Option{{ID: "yes", Label: "同意（" + phone + "）"}},
		Electorate: []domain.Voter{{PersonID: "p-zhang", Name: "张三"}},
		Note:       "联系 " + phone, Dispute: "1203室与1303室漏水",
		Parties:     []domain.Party{{Kind: domain.PartyPerson, ID: "p-li", Name: "李四"}},
		Objections:  []projections.Objection{{PersonID: "p-sun", Name: "孙八", Text: "电话" + phone}},
		Publication: &projections.Publication{Summary: "纪要 " + phone, Objections: []projections.Objection{{PersonID: "p-sun", Name: "孙八", Text: "ｔｅｌ１３８１２３４５６７８"}}},
	}
	board := projections.BoardItem{ProposalID: "p", Title: "楼道堆物 " + phone, Place: "5栋1203", Author: domain.Party{Kind: domain.PartyPerson, ID: "p-zhang", Name: "张三"}}
	action := projections.ActionItem{Title: "清理 " + phone, Description: "到3号楼2单元302", Owner: domain.Party{Kind: domain.PartyPerson, ID: "p-wang", Name: "王五"},
		Progress:      []projections.ProgressReport{{Note: "已联系 " + phone}},
		Verifications: []projections.Verification{{Verifier: domain.Voter{PersonID: "p-zhang", Name: "张三"}, Reason: "打" + phone}}, BlockedReason: phone}
	entry := projections.Entry{Summary: "驳回：" + phone, PersonName: "张三"}
	live := projections.MeetingState{Title: "会 " + phone, Place: "501室", Facilitator: domain.Voter{PersonID: "head-1", Name: "李红"},
		Attendees: []projections.Attendee{{PersonID: "p-zhang", Name: "张三", HolderID: "p-li"}}}
	for name, v := range map[string]any{"decision": d, "board": board, "action": action, "entry": entry, "live": live} {
		b, err := Public(v)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		for _, leak := range []string{"138", "１３８", "张三", "李四", "孙八", "王五", "李红", "p-zhang", "p-li", "p-sun", "p-wang", "head-1", "302", "1203", "501"} {
			if strings.Contains(s, leak) {
				t.Errorf("%s: public answer leaks %s: %s", name, leak, s)
			}
		}
	}
}

func TestOwnersSharesReplaceAreaAndHeads(t *testing.T) {
	tally := domain.Tally{
		Rule: domain.Rule{Kind: domain.RuleOwnersOrdinary}, Ballots: 4, Electorate: 5,
		Options: []domain.OptionTally{
			{OptionID: "yes", Label: "同意", Votes: 3, AreaDM2: 27000, Heads: 3},
			{OptionID: "no", Label: "反对", Votes: 1, AreaDM2: 8956, Heads: 1},
		},
		TotalAreaDM2: 44000, ParticipatingAreaDM2: 35956, TotalHeads: 5, ParticipatingHeads: 4,
		QuorumMet: true, Result: domain.ResultAdopted, Adopted: true, WinningOptionID: "yes",
	}
	d := projections.Decision{Key: "m1/mo1", Tally: &tally}
	b, err := Public(d)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, leak := range []string{"8956", "area_dm2", "heads\":", "35956", "44000", "votes", "abstentions", "\"area_percent\":24", "\"heads_percent\":25"} {
		if strings.Contains(s, leak) {
			t.Errorf("public tally shows %s: %s", leak, s)
		}
	}
	var out struct {
		Tally struct {
			Options []struct {
				OptionID string `json:"option_id"`
				Votes    int    `json:"votes"`
			} `json:"options"`
			Shares OwnersShares `json:"shares"`
			Result string       `json:"result"`
		} `json:"tally"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	want := OwnersShares{
		Participation: Share{AreaPercent: 81, HeadsPercent: 80, Threshold: ">= 2/3", Met: true},
		Options: []OptionShare{
			{OptionID: "yes", Share: Share{AreaPercent: 75, HeadsPercent: 75, Threshold: "> 1/2", Met: true}},
		},
	}
	gotShares, _ := json.Marshal(out.Tally.Shares)
	wantShares, _ := json.Marshal(want)
	if string(gotShares) != string(wantShares) {
		t.Errorf("shares %s, want %s", gotShares, wantShares)
	}
	if out.Tally.Result != domain.ResultAdopted || len(out.Tally.Options) != 2 || out.Tally.Options[1].OptionID != "no" {
		t.Errorf("tally %s", s)
	}

	// Staff read the figures; a simple-majority tally is not touched.
	b, _ = facilitator.Answer("hengyuan", "g1", d)
	if !strings.Contains(string(b), "8956") {
		t.Errorf("staff lose the figures: %s", b)
	}
	// Nothing adopted: no option's share is published.
	lost := tally
	lost.Adopted, lost.WinningOptionID, lost.Result = false, "", domain.ResultRejected
	if s, _ := Shares(lost); len(s.Options) != 0 {
		t.Errorf("shares of a rejected vote name options: %+v", s)
	}
	simple := domain.Tally{Rule: domain.Rule{Kind: domain.RuleSimpleMajority}, Options: []domain.OptionTally{{OptionID: "yes", Votes: 2}}, Result: domain.ResultAdopted}
	b, _ = Public(projections.Entry{Tally: &simple})
	if strings.Contains(string(b), "shares") {
		t.Errorf("simple tally got shares: %s", b)
	}
}

func TestEventDataHidesSecretChoices(t *testing.T) {
	vote := domain.VoteCast{MeetingID: "m1", MotionID: "mo1", VoterID: "r1", CastBy: "r1", OptionID: "no", Secret: true, At: time.Now()}
	typ, data, err := domain.Encode(vote)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Reader{Anonymous, resident, facilitator, admin, rootAdmin} {
		got, err := r.EventData(typ, data, "hengyuan", "g1")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(got), `"no"`) || strings.Contains(string(got), "option_id") {
			t.Errorf("%s reads a secret choice: %s", r.Role, got)
		}
		if !r.RedactsBallot(typ, data, "hengyuan", "g1") {
			t.Errorf("%s: RedactsBallot false", r.Role)
		}
	}
	got, _ := auditor.EventData(typ, data, "hengyuan", "g1")
	if !strings.Contains(string(got), `"option_id":"no"`) {
		t.Errorf("the auditor loses the choice: %s", got)
	}
	vote.Secret = false
	typ, data, _ = domain.Encode(vote)
	got, _ = facilitator.EventData(typ, data, "hengyuan", "g1")
	if !strings.Contains(string(got), `"option_id":"no"`) {
		t.Errorf("an open ballot lost its choice: %s", got)
	}
}

func TestMeetingHidesRunningSecretTally(t *testing.T) {
	st := projections.MeetingState{MeetingID: "m1", CommunityID: "hengyuan", GridID: "g1", Motion: &projections.LiveMotion{
		MotionID: "mo1", Secret: true, Status: projections.MotionVoting, Ballots: 2, Abstentions: 1,
		Tally:   []projections.OptionCount{{OptionID: "yes", Label: "同意", Votes: 1}},
		Running: &domain.Tally{Rule: domain.Rule{Kind: domain.RuleSimpleMajority}, Options: []domain.OptionTally{{OptionID: "yes", Votes: 1}}, Ballots: 2, Result: domain.ResultNotAdopted},
	}}
	for _, r := range []Reader{resident, facilitator, admin} {
		b, err := r.Meeting(st)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Motion map[string]any `json:"motion"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if got.Motion["tally"] != nil || got.Motion["abstentions"] != nil || got.Motion["running"] != nil || got.Motion["tally_hidden"] != true || got.Motion["ballots"] != float64(2) {
			t.Errorf("%s reads %v", r.Role, got.Motion)
		}
	}
	b, _ := auditor.Meeting(st)
	if !strings.Contains(string(b), `"votes":1`) {
		t.Errorf("the auditor loses the running tally: %s", b)
	}
	st.Motion.Status = projections.MotionClosed
	b, _ = resident.Meeting(st)
	if strings.Contains(string(b), "tally_hidden") {
		t.Errorf("a closed vote hides its tally: %s", b)
	}
}

func TestScan(t *testing.T) {
	body := `{"title":"3号楼2单元302堆物","text":"电话１３８１２３４５６７８，邮箱a@b.cn","category":"环境","place":"3号院",
		"options":[{"id":"yes","label":"同意"},{"id":"no","label":"找2-1-302"}],"contact":"010-88886666","person_id":"13812345678",
		"speaker":{"person_id":"r1","name":"张三"},"due":"2026-12-31T00:00:00Z","amount":"3000元"}`
	got := Scan([]byte(body))
	want := []Finding{
		{Field: "options[1].label", Kinds: []Kind{KindDoor}},
		{Field: "text", Kinds: []Kind{KindPhone, KindEmail}},
		{Field: "title", Kinds: []Kind{KindDoor}},
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(want)
	if string(gb) != string(wb) {
		t.Fatalf("Scan = %s, want %s", gb, wb)
	}
	if Scan([]byte(`{"title":"停车棚夹道乱堆乱放","note":"2026年7月完工"}`)) != nil {
		t.Fatal("Scan warns about text without personal data")
	}
}

// BenchmarkPublicRegisterPage masks a register page of 50 decisions, the
// default page size, as a public read does.
func BenchmarkPublicRegisterPage(b *testing.B) {
	d := projections.Decision{
		Key: "m1/mo1", MeetingTitle: "3号楼议事会", Text: "同意 2-1-302 改门，联系13812345678", Place: "3号楼2单元302",
		Options:    []domain.Option{{ID: "yes", Label: "同意"}, {ID: "no", Label: "反对"}},
		Electorate: make([]domain.Voter, 30),
		Tally:      &domain.Tally{Rule: domain.Rule{Kind: domain.RuleSimpleMajority}, Options: []domain.OptionTally{{OptionID: "yes", Votes: 20}, {OptionID: "no", Votes: 5}}, Result: domain.ResultAdopted},
	}
	for i := range d.Electorate {
		d.Electorate[i] = domain.Voter{PersonID: "p" + strings.Repeat("x", i%5), Name: "张三"}
	}
	page := make([]projections.Decision, 50)
	for i := range page {
		page[i] = d
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Public(page); err != nil {
			b.Fatal(err)
		}
	}
}

// TestUnitsAreaAndOwnersArePrivate (issue 10.12): the public reads no
// unit's exclusive area or owners, in the register nor in a live owners'
// motion, whose count by choice it does not read either; staff do.
func TestUnitsAreaAndOwnersArePrivate(t *testing.T) {
	org := domain.OrganisationState{Compounds: map[string]domain.Compound{"c1": {CompoundID: "c1", GridID: "g1", Units: map[string]domain.Unit{
		"u101": {UnitID: "u101", Label: "u101", AreaDM2: 8956, Owners: []domain.Voter{{PersonID: "r1", Name: "张三"}}},
	}}}}
	units := []domain.OwnedUnit{{UnitID: "u101", AreaDM2: 8956, Owners: []string{"r1"}}}
	live := projections.LiveMotion{Rule: domain.Rule{Kind: domain.RuleOwnersMajor}, Status: projections.MotionVoting,
		Tally: []projections.OptionCount{{OptionID: "no", Votes: 1}}, Abstentions: 1}
	for name, v := range map[string]any{"organisation": org, "units": units, "live motion": live} {
		b, err := Public(v)
		if err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{"8956", "area_dm2", `"owners"`, "votes", "abstentions"} {
			if strings.Contains(string(b), leak) {
				t.Errorf("%s: public answer shows %s: %s", name, leak, b)
			}
		}
	}
	b, _ := facilitator.Answer("hengyuan", "g1", org)
	if !strings.Contains(string(b), "8956") || !strings.Contains(string(b), "owners") {
		t.Errorf("staff lose the register: %s", b)
	}
}

// TestSeesAttachment: proposals' and actions' photos are public, a
// meeting's attachments are read within its scope, and a file no item is
// named for only by an unscoped admin or auditor.
func TestSeesAttachment(t *testing.T) {
	g1 := auth.Scope{Community: "c", Grid: "g1"}
	g2 := auth.Scope{Community: "c", Grid: "g2"}
	for _, tc := range []struct {
		r          Reader
		kind       string
		want       bool
		whoAndWhat string
	}{
		{Anonymous, "proposal", true, "public, proposal"},
		{Anonymous, "action", true, "public, action"},
		{Anonymous, "meeting", false, "public, meeting"},
		{Reader{Authenticated: true, Role: auth.RoleResident, Scope: g2}, "meeting", false, "resident of another grid, meeting"},
		{Reader{Authenticated: true, Role: auth.RoleResident, Scope: g1}, "meeting", true, "resident of the grid, meeting"},
		{Reader{Authenticated: true, Role: auth.RoleResident, Scope: g1}, "", false, "resident, no item"},
		{Reader{Authenticated: true, Role: auth.RoleAdmin, Scope: auth.Scope{Community: "c"}}, "", false, "community admin, no item"},
		{Reader{Authenticated: true, Role: auth.RoleAdmin, Scope: auth.Scope{}}, "", true, "unscoped admin, no item"},
		{Reader{Authenticated: true, Role: auth.RoleAuditor, Scope: auth.Scope{}}, "", true, "unscoped auditor, no item"},
		{Reader{Authenticated: true, Role: auth.RoleFacilitator, Scope: auth.Scope{}}, "", false, "unscoped facilitator, no item"},
		{Reader{Authenticated: true, Role: auth.RoleAdmin, Scope: auth.Scope{}}, "organisation", false, "unknown kind"},
	} {
		if got := tc.r.SeesAttachment(tc.kind, "c", "g1"); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.whoAndWhat, got, tc.want)
		}
	}
}

// TestStreamDataHidesOwnersChoices (issue 10.12): in a meeting's record,
// the public does not read the choice of a ballot on an owners' motion
// (counted, it gives each option's votes); other open ballots keep theirs,
// and staff read them all.
func TestStreamDataHidesOwnersChoices(t *testing.T) {
	types := []string{"meeting.motion_tabled.v1", "meeting.motion_tabled.v1", "meeting.vote_cast.v1", "meeting.vote_cast.v1"}
	data := []json.RawMessage{
		json.RawMessage(`{"motion_id":"mo1","rule":{"kind":"owners_ordinary"}}`),
		json.RawMessage(`{"motion_id":"mo2","rule":{"kind":"simple_majority"}}`),
		json.RawMessage(`{"motion_id":"mo1","voter_id":"r1","option_id":"no","secret":false}`),
		json.RawMessage(`{"motion_id":"mo2","voter_id":"r1","option_id":"no","secret":false}`),
	}
	out, err := Anonymous.StreamData(types, data, "hengyuan", "g1")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out[2]), "option_id") || !strings.Contains(string(out[3]), `"option_id":"no"`) {
		t.Errorf("public ballots: %s, %s", out[2], out[3])
	}
	out, _ = facilitator.StreamData(types, data, "hengyuan", "g1")
	if !strings.Contains(string(out[2]), `"option_id":"no"`) {
		t.Errorf("staff lose the choice: %s", out[2])
	}
}

// TestWishMakerLeavesNoTrace: a small wish's wish-maker, their door and
// their words are not in a public answer at all, neither in the list view
// nor in the wish's events (the poster's id goes with the person ids);
// staff in scope read them whole; the claimer, a neighbour, reads as
// anyone named does (an initial).
func TestWishMakerLeavesNoTrace(t *testing.T) {
	item := projections.WishItem{WishID: "w1", CommunityID: "hengyuan", GridID: "g1", Title: "新书包", Category: "study", Status: domain.WishStatusClaimed,
		WishMaker: &projections.WishMaker{PersonID: "p9", Name: "孙奶奶", PostedBy: "p9"},
		Claimer:   &domain.Party{Kind: domain.PartyPerson, ID: "n1", Name: "周阿姨"}}
	posted := domain.WishPosted{WishID: "w1", CommunityID: "hengyuan", GridID: "g1", Title: "新书包", Category: "study", Story: "孙奶奶的孙子要上学了",
		WishMaker: domain.Voter{PersonID: "p9", Name: "孙奶奶"}, Door: "3号楼2单元302", By: "p9"}
	for _, v := range []any{item, posted} {
		for _, r := range []Reader{Anonymous, resident, {Authenticated: true, Role: auth.RoleGridWorker, Scope: auth.Scope{Community: "hengyuan", Grid: "g2"}}} {
			b, err := r.Answer("hengyuan", "g1", v)
			if err != nil {
				t.Fatal(err)
			}
			for _, leak := range []string{"孙", "p9", "302", "wish_maker", "story", "door"} {
				if strings.Contains(string(b), leak) {
					t.Errorf("%+v reads %q in %s", r, leak, b)
				}
			}
			if !strings.Contains(string(b), "新书包") {
				t.Errorf("the wish itself is public: %s", b)
			}
		}
		b, err := facilitator.Answer("hengyuan", "g1", v)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "孙奶奶") {
			t.Errorf("staff in scope read the wish-maker: %s", b)
		}
	}
	b, err := Anonymous.Answer("hengyuan", "g1", item)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"name":"周*"`) {
		t.Errorf("the claimer reads masked: %s", b)
	}
}

// Public is PublicJSON over v's encoding, as the tests write answers.
func Public(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return PublicJSON(b)
}
