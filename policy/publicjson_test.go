package policy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/projections"
)

// treePublicJSON is PublicJSON as it was before the parsed answer was
// masked in place: the whole answer decoded into a tree, masked by
// public, encoded again. PublicJSON must give the same answer, its keys
// in their own order.
func treePublicJSON(b []byte) (json.RawMessage, error) {
	var tree any
	dec := gojson.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	return gojson.Marshal(public(tree))
}

// sameJSON fails unless a and b hold the same JSON value, whatever the
// order of their keys, and a names no key twice in an object.
func sameJSON(t testing.TB, a, b []byte) {
	t.Helper()
	require.NoError(t, keysOnce(a), "%s", a)
	decode := func(x []byte) any {
		var v any
		dec := json.NewDecoder(bytes.NewReader(x))
		dec.UseNumber()
		require.NoError(t, dec.Decode(&v), "%s", x)
		return v
	}
	require.Equal(t, decode(b), decode(a), "got %s\nwant %s", a, b)
}

// keysOnce returns an error when an object of the JSON b names a key
// twice.
func keysOnce(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	type level struct {
		object bool
		keys   map[string]bool
		key    bool // the next string is a key
	}
	var stack []*level
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		var top *level
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			k := tok.(string)
			if top.keys[k] {
				return fmt.Errorf("key %q twice", k)
			}
			top.keys[k], top.key = true, false
			continue
		}
		if top != nil && top.object {
			top.key = true // this token is the value
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &level{object: true, keys: map[string]bool{}, key: true})
		case json.Delim('['):
			stack = append(stack, &level{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
	}
}

// storyOfTen is a public timeline page's answer as the views make it:
// a report with a phone number and a door in its text, names, a meeting's
// steps, a tally under the owners' rules and one by heads, photos.
func storyOfTen() projections.Story {
	at := time.Date(2026, 3, 5, 9, 30, 0, 0, time.UTC)
	yes := true
	s := projections.Story{ProposalID: "37b01cef-7190-56d3-a66b-6c9b385c6f06"}
	add := func(e projections.Entry) {
		e.Position = eventstore.Position(62001 + 1000*len(s.Entries))
		e.Stream = "proposal-" + s.ProposalID
		e.Revision = uint64(len(s.Entries))
		e.At, e.Recorded = at.Add(time.Duration(len(s.Entries))*time.Hour), at.Add(time.Duration(len(s.Entries))*time.Hour+time.Second)
		s.Entries = append(s.Entries, e)
	}
	add(projections.Entry{Type: "proposal.submitted.v1", Summary: "楼道飞线充电", PersonName: "张霞",
		Report: &projections.Report{CommunityID: "c1", GridID: "g1", Category: "环境卫生", Channel: "meeting", Place: "15号楼2单元302",
			Text: "有住户从窗口拉线给电动车充电，联系电话13812345678，邮箱 zx@example.cn"}, Photos: []string{strings.Repeat("ab", 32)}})
	add(projections.Entry{Type: "proposal.supported.v1", PersonName: "李四"})
	add(projections.Entry{Type: "proposal.accepted.v1", Summary: "转网格员办理", PersonName: "Wang Fang"})
	add(projections.Entry{Type: "meeting.scheduled.v1", MeetingID: "m1", Summary: "3号楼议事会 <第一次>"})
	add(projections.Entry{Type: "meeting.statement_recorded.v1", MeetingID: "m1", Summary: "物业：下周安装充电桩，电话010-88886666", PersonName: "欧阳娜娜"})
	add(projections.Entry{Type: "meeting.voting_closed.v1", MeetingID: "m1", MotionID: "mo1", Summary: "使用维修资金安装充电桩",
		Tally: &domain.Tally{Rule: domain.Rule{Kind: domain.RuleOwnersMajor}, Options: []domain.OptionTally{{OptionID: "yes", Votes: 40, AreaDM2: 401234, Heads: 40}, {OptionID: "no", Votes: 3, AreaDM2: 30021, Heads: 3}},
			Ballots: 45, Abstentions: 2, Electorate: 60, Attending: 45, QuorumMet: true, TotalAreaDM2: 560000, ParticipatingAreaDM2: 450000, TotalHeads: 60, ParticipatingHeads: 45,
			Result: domain.ResultAdopted, Adopted: true, WinningOptionID: "yes"}})
	add(projections.Entry{Type: "meeting.voting_closed.v1", MeetingID: "m1", MotionID: "mo2", Summary: "夜间禁止楼道充电",
		Tally: &domain.Tally{Rule: domain.Rule{Kind: domain.RuleSimpleMajority}, Options: []domain.OptionTally{{OptionID: "yes", Votes: 20}, {OptionID: "no", Votes: 5}}, Ballots: 25, Result: domain.ResultAdopted, Adopted: true}})
	add(projections.Entry{Type: "action.created.v1", ActionID: "a1", Summary: "安装充电桩 2-1-302 门口"})
	add(projections.Entry{Type: "action.progress_reported.v1", ActionID: "a1", Percent: 60, Note: "已完成布线", Photos: []string{strings.Repeat("cd", 32)}})
	add(projections.Entry{Type: "proposal.outcome_confirmed.v1", PersonName: "张霞", Satisfied: &yes, Method: domain.RecordedSpoken, Note: "电话回访 13912345678"})
	return s
}

// publicCorpus is answers PublicJSON must mask as treePublicJSON does:
// each rule of public, keys in upper case, keys twice, escapes.
func publicCorpus(t testing.TB) [][]byte {
	story, err := json.Marshal(storyOfTen())
	require.NoError(t, err)
	return [][]byte{
		story,
		[]byte(`{"kind":"person","id":"p1","name":"张三","phone":"13812345678","note":"住3号楼2单元302"}`),
		[]byte(`{"kind":"unit","id":"u1","name":"物业公司 电话010-88886666","owners":["p1","p2"],"area_dm2":8956}`),
		[]byte(`{"voters":[{"person_id":"p1","name":"李四","id":"x"},{"person_id":"p2","name":""}],"supporters":["p1","p2"],"Supporters":[1,2]}`),
		[]byte(`{"supporters":["p1",2],"owners":[],"voters":"not a list","Phone":"x","PERSON_ID":"p","Author_Name":"王五","display_name":{"zh":"赵六"}}`),
		[]byte(`{"wish_maker":{"name":"孙七"},"story":"家住5号楼302","title":"给孩子买书","id":"w1","status":"open","type":"t 13812345678"}`),
		[]byte(`{"rule":{"kind":"owners_major"},"tally":[{"option_id":"yes","votes":3}],"abstentions":1,"text":"电话13812345678"}`),
		[]byte(`{"entries":[{"tally":{"rule":{"kind":"owners_ordinary"},"options":[{"option_id":"yes","votes":2,"area_dm2":100,"heads":2}],"ballots":2,"result":"adopted","total_area_dm2":300,"participating_area_dm2":100,"total_heads":3,"participating_heads":2}}]}`),
		[]byte(`{"a":"first","a":"second 13812345678","name":"张三"}`),
		[]byte(`{"text":"a \u003cb\u003e \u0026 \n \t \"q\" \\ \u2028 \u2029 \u0001 13812345678","Ünïcode_ID":"x 13812345678","ünïcode":"y","ＰＨＯＮＥ":"z","PHONE":"13812345678"}`),
		[]byte(`{"emoji":"\ud83d\ude00 13812345678","lone":"\ud800","name":"张三"}`),
		[]byte(`{"rule":{"kind":"simple_majority","kind":"owners_major"},"tally":[{"option_id":"yes","votes":3}],"abstentions":1}`),
		[]byte(`{"entries":[{"rule":{"kind":"owners_major","kind":"simple_majority"},"tally":[{"option_id":"yes","votes":3}]}]}`),
		[]byte("{\"\xff\":\"13812345678\",\"\xfe\":\"2\",\"name\":\"张三\"}"),
		manyKeys(60),
		[]byte("{\"note\":\"\xff 13812345678\",\"name\":\"\xfe张三\",\"status\":\"ok\xff\"}"),
		ruleKindAfter(50),
		nested(320, `{"name":"张三","text":"电话13812345678"}`),
		[]byte(`{"n":[1,-2.5e10,0,1E+2,true,false,null,{}],"s":"2026-12-02T10:00:00Z","h":"` + strings.Repeat("ab", 32) + `","u":"37b01cef-7190-56d3-a66b-6c9b385c6f06"}`),
		[]byte(`["张三 13812345678",{"speaker":"李四","speaker_id":"p9"},[[["3号楼2单元302"]]]]`),
		[]byte(`"邮箱 a@b.cn"`),
		[]byte(`12`),
		[]byte(`null`),
		[]byte(`{"owners":{"p1":"x"},"next_cursor":"abc 13812345678","key":"m1/mo1","prev_hash":"zz"}`),
	}
}

// manyKeys is an object of n keys, a name and a phone among them.
func manyKeys(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"name":"张三","note":"电话13812345678"`)
	for i := range n {
		fmt.Fprintf(&b, `,"k%d":"v%d 13912345678"`, i, i)
	}
	b.WriteString("}")
	return []byte(b.String())
}

// ruleKindAfter is a live motion whose rule names its kind twice, the
// owners' rule last, both after n other keys.
func ruleKindAfter(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"tally":[{"option_id":"yes","votes":3}],"abstentions":1,"rule":{"r":0`)
	for i := range n {
		fmt.Fprintf(&b, `,"r%d":%d`, i, i)
	}
	b.WriteString(`,"kind":"simple_majority","kind":"owners_major"}}`)
	return []byte(b.String())
}

// nested is inner in depth arrays.
func nested(depth int, inner string) []byte {
	return []byte(strings.Repeat("[", depth) + inner + strings.Repeat("]", depth))
}

// TestPublicJSONAsTheTree: masking the parsed answer gives what masking
// the decoded tree gave, on every rule public applies.
func TestPublicJSONAsTheTree(t *testing.T) {
	for i, in := range publicCorpus(t) {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			want, err := treePublicJSON(in)
			require.NoError(t, err)
			got, err := PublicJSON(in)
			require.NoError(t, err)
			require.True(t, json.Valid(got), "%s", got)
			sameJSON(t, got, want)
		})
	}
}

// TestPublicJSONMasksTheStory reads the story's public answer itself:
// what it hides and what it keeps, whoever wrote it.
func TestPublicJSONMasksTheStory(t *testing.T) {
	story, err := json.Marshal(storyOfTen())
	require.NoError(t, err)
	got, err := PublicJSON(story)
	require.NoError(t, err)
	s := string(got)
	for _, leak := range []string{"13812345678", "13912345678", "88886666", "zx@example.cn", "张霞", "李四", "Wang Fang", "欧阳娜娜", "401234", "560000", `"votes":40`, "2-1-302", "2单元302"} {
		require.NotContains(t, s, leak)
	}
	for _, kept := range []string{`"张*"`, `"李*"`, `"W*"`, `"欧*"`, `"shares"`, `"proposal.submitted.v1"`, `"2026-03-05T09:30:00Z"`, strings.Repeat("ab", 32), "楼道飞线充电", `"votes":20`, `\u003c第一次\u003e`} {
		require.Contains(t, s, kept)
	}
	// The keys stay in the order the views wrote them.
	first, then := strings.Index(s, `"proposal_id"`), strings.Index(s, `"entries"`)
	require.True(t, first >= 0 && then > first, "%s", s)
}

// TestPublicJSONEscapesAsTheEncoder: a string is written byte for byte
// as the decoded tree's encoder wrote it.
func TestPublicJSONEscapesAsTheEncoder(t *testing.T) {
	for _, s := range []string{"a < b", "a > b", "a & b", `a \"b\"`, `a \\ b`, `a\nb`, `a\u0001b`, `a\u2028b`, `a\u2029b`, "议事 ok", "ok\xff", "\xed\xa0\x80", "a <\xff>", `\ud83d\ude00`, `\u00e9t\u00e9`} {
		in := []byte(`{"status":"` + s + `"}`)
		want, err := treePublicJSON(in)
		require.NoError(t, err)
		got, err := PublicJSON(in)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "%s", in)
	}
}

// TestPublicJSONRefusesWhatIsNoJSON: a broken answer is an error, never
// a masked part of it.
func TestPublicJSONRefusesWhatIsNoJSON(t *testing.T) {
	for _, in := range []string{``, `{`, `{"a":1} {"b":2}`, `{"a":nan}`, `{"a":inf}`, `{"a":1-2}`, `{"a":"` + "\x01" + `"}`, `[1,]`, `{"a" 1}`, "{\"a\":\"\x01\\n\"}", "{\"\x01\\n\":1}", "[\"\t\\\"\"]"} {
		_, err := PublicJSON([]byte(in))
		require.Error(t, err, "%q", in)
	}
}

// FuzzPublicJSON: on any valid JSON the tree masks, PublicJSON masks the
// same; on anything, what it answers is valid JSON.
func FuzzPublicJSON(f *testing.F) {
	for _, in := range publicCorpus(f) {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := PublicJSON(in)
		if err == nil && !json.Valid(got) {
			t.Fatalf("PublicJSON(%q) = %q, no JSON", in, got)
		}
		if !json.Valid(in) {
			return
		}
		want, werr := treePublicJSON(in)
		if werr != nil {
			return
		}
		require.NoError(t, err, "%q", in)
		sameJSON(t, got, want)
	})
}

// BenchmarkPublicJSON masks a public story of ten steps, parsed and masked
// in place (parsed) and as the decoded tree it was before (tree).
func BenchmarkPublicJSON(b *testing.B) {
	story, err := json.Marshal(storyOfTen())
	require.NoError(b, err)
	for _, c := range []struct {
		name string
		mask func([]byte) (json.RawMessage, error)
	}{{"parsed", PublicJSON}, {"tree", treePublicJSON}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(story)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.mask(story); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
