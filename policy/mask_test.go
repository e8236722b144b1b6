package policy

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"pgregory.net/rapid"

	"github.com/yishi-civic/yishi/privacy"
)

func TestTextMasks(t *testing.T) {
	cases := []struct {
		in, want string
		kind     Kind
	}{
		// Phones.
		{"联系13812345678处理", "联系***********处理", KindPhone},
		{"电话：138 1234 5678", "电话：*** **** ****", KindPhone},
		{"电话：138-1234-5678。", "电话：***-****-****。", KindPhone},
		{"+86 13812345678", "+** ***********", KindPhone},
		{"联系１３９８７６５４３２１", "联系***********", KindPhone},
		{"电话 010-88886666", "电话 ***-********", KindPhone},
		{"电话(010)88886666转", "电话(***)********转", KindPhone},
		{"座机0108888666", "座机**********", KindPhone},
		{"tel13812345678", "tel***********", KindPhone},
		// ID numbers, the check digit X included, ASCII or full-width.
		{"身份证110105199003071234", "身份证******************", KindIDNumber},
		{"身份证号11010519900307123X。", "身份证号******************。", KindIDNumber},
		{"证件 11010519900307123x", "证件 ******************", KindIDNumber},
		{"身份证１１０１０５１９９００３０７１２３Ｘ", "身份证******************", KindIDNumber},
		{"卡号6222021234567890123", "卡号*******************", KindIDNumber},
		// Door numbers.
		{"3号楼2单元501室门口堆放杂物", "*号楼*单元***室门口堆放杂物", KindDoor},
		{"住3号楼2单元302", "住*号楼*单元***", KindDoor},
		{"2-1-302的住户", "*-*-***的住户", KindDoor},
		{"12-3-1201反映", "**-*-****反映", KindDoor},
		{"501室漏水", "***室漏水", KindDoor},
		{"12层1203室", "**层****室", KindDoor},
		{"5号楼302室", "*号楼***室", KindDoor},
		{"5栋1203", "*栋****", KindDoor},
		{"３号楼２单元３０２", "*号楼*单元***", KindDoor},
		{"２－１－３０２", "*－*－***", KindDoor},
		// E-mail.
		{"邮箱 zhang.san@example.com", "邮箱 *****.***@*******.***", KindEmail},
		{"发到ｚｓ＠ｑｑ．ｃｏｍ", "发到**＠**．***", KindEmail},
	}
	for _, c := range cases {
		if got := Text(c.in); got != c.want {
			t.Errorf("Text(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := Find(c.in); !slices.Equal(got, []Kind{c.kind}) {
			t.Errorf("Find(%q) = %v, want [%s]", c.in, got, c.kind)
		}
	}
}

// TestTextLeavesAlone lists what looks like numbers but is not personal
// data: it must read exactly as written.
func TestTextLeavesAlone(t *testing.T) {
	for _, s := range []string{
		"停车棚夹道乱堆乱放",
		"2026年7月完工",
		"2026-12-02 19:30 在活动室",
		"2026-12-02T04:56:42Z",
		"12月2日上午9点",
		"预算3000元，实际¥12,000.50",
		"筹集1.5万元维修资金",
		"同意率85%，参与率66.7%",
		"专有面积89.56㎡，合计8,956 dm²",
		"120平方米",
		"收集社情民意24条，政策宣讲6场",
		"92个网格，43名网格长，280+件",
		"第3网格",
		"3号院车棚",
		"3号楼东侧",
		"共有12户居民",
		"议题编号2026-001",
		"0.75",
		"4/3",
		"订单号1234567890",
		"紫陵镇75个村网格、17个专属网格",
		"version 1.2.3",
		"a@b",
	} {
		if got := Text(s); got != s {
			t.Errorf("Text(%q) = %q, want it unchanged", s, got)
		}
		if got := Find(s); got != nil {
			t.Errorf("Find(%q) = %v, want nothing", s, got)
		}
	}
}

func TestFindSeveral(t *testing.T) {
	got := Find("住2-1-302，电话13812345678，邮箱a.b@c.cn，再打13900001111")
	want := []Kind{KindDoor, KindPhone, KindEmail}
	if !slices.Equal(got, want) {
		t.Fatalf("Find = %v, want %v", got, want)
	}
}

func TestName(t *testing.T) {
	for in, want := range map[string]string{"张三": "张*", "欧阳娜娜": "欧*", "Li Wei": "L*", "": "", "  王五 ": "王*"} {
		if got := Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTextProperties: whatever surrounds a phone, ID or door number, Text
// leaves none of its digits readable, keeps the text's length in runes and
// leaves text without digits, @ or their full-width forms untouched.
func TestTextProperties(t *testing.T) {
	filler := rapid.StringOfN(rapid.RuneFrom([]rune("车棚夹道乱堆，。 ：议题反映住户电话abcXYZ")), 0, 8, -1)
	rapid.Check(t, func(t *rapid.T) {
		pre, post := filler.Draw(t, "pre"), filler.Draw(t, "post")
		secret := rapid.OneOf(
			rapid.Custom(func(t *rapid.T) string {
				return "1" + string(rune('3'+rapid.IntRange(0, 6).Draw(t, "second"))) + rapid.StringMatching(`[0-9]{9}`).Draw(t, "rest")
			}),
			rapid.Custom(func(t *rapid.T) string {
				return rapid.StringMatching(`[1-9][0-9]{5}(19|20)[0-9]{2}(0[1-9]|1[0-2])(0[1-9]|[12][0-9])[0-9]{3}[0-9X]`).Draw(t, "id")
			}),
			rapid.Custom(func(t *rapid.T) string {
				return rapid.StringMatching(`[1-9][0-9]?-[1-9]-[1-9]0[1-9]`).Draw(t, "door")
			}),
		).Draw(t, "secret")
		if rapid.Bool().Draw(t, "fullwidth") {
			secret = strings.Map(func(r rune) rune {
				if r >= '0' && r <= '9' || r == '-' || r == 'X' {
					return r + 0xFEE0
				}
				return r
			}, secret)
		}
		in := pre + secret + post
		out := Text(in)
		if len([]rune(out)) != len([]rune(in)) {
			t.Fatalf("Text(%q) = %q changed the length", in, out)
		}
		if strings.Contains(out, secret) {
			t.Fatalf("Text(%q) = %q still shows %q", in, out, secret)
		}
		if strings.IndexFunc(out, func(r rune) bool { return isDigit(fold(r)) }) >= 0 {
			t.Fatalf("Text(%q) = %q left digits", in, out)
		}
		if Text(pre) != pre || Text(post) != post {
			t.Fatalf("Text changed text without numbers: %q %q", pre, post)
		}
	})
}

// TestErasedMarkersStayWhole: an erased field reads as its marker in every
// public answer, whole and in both languages, never masked as a name
// ("已*") or as text.
func TestErasedMarkersStayWhole(t *testing.T) {
	in := map[string]any{
		"author":       map[string]any{"kind": "person", "id": "r1", "name": privacy.ErasedName},
		"speaker_name": privacy.ErasedName,
		"voters":       []any{map[string]any{"person_id": "r2", "name": " " + privacy.ErasedName + " "}},
		"text":         privacy.ErasedText,
		"photos":       []any{privacy.ErasedText},
		"others":       privacy.Withheld,
	}
	b, err := Public(in)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out))
	require.Equal(t, privacy.ErasedName, out["author"].(map[string]any)["name"])
	require.Equal(t, privacy.ErasedName, out["speaker_name"])
	require.Equal(t, privacy.ErasedName, out["voters"].([]any)[0].(map[string]any)["name"])
	require.Equal(t, privacy.ErasedText, out["text"])
	require.Equal(t, []any{privacy.ErasedText}, out["photos"])
	require.Equal(t, privacy.Withheld, out["others"])
	require.Equal(t, "张*", Name("张三"), "names are still masked")
}
