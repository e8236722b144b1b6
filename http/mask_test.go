package http

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestMaskName(t *testing.T) {
	for in, want := range map[string]string{"张三": "张*", "欧阳娜娜": "欧*", "Li Wei": "L*", "": ""} {
		if got := maskName(in); got != want {
			t.Errorf("maskName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskText(t *testing.T) {
	cases := map[string]string{
		"联系13812345678处理":  "联系***********处理",
		"电话 010-88886666":  "电话 ****-*******",
		"3号楼2单元501室门口堆放杂物": "*号楼*单元*室门口堆放杂物",
		"停车棚夹道乱堆乱放":        "停车棚夹道乱堆乱放",
		"2026年7月完工":        "2026年7月完工",
	}
	for in, want := range cases {
		if got := maskText(in); got != want {
			t.Errorf("maskText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMasked(t *testing.T) {
	type speaker struct {
		SpeakerName string `json:"speaker_name"`
		Phone       string `json:"phone"`
		Summary     string `json:"summary"`
	}
	in := map[string]any{
		"title":      "重新划线",
		"author":     "王小明",
		"address":    "5号楼1单元302",
		"statements": []speaker{{SpeakerName: "李四", Phone: "13900001111", Summary: "请打 13900001111 联系"}},
		"votes":      7,
		"owner":      map[string]string{"kind": "person", "id": "p9", "name": "赵六"},
		"unit":       map[string]string{"kind": "unit", "id": "u1", "name": "物业公司"},
		"electorate": []map[string]string{{"person_id": "p1", "name": "钱七"}},
	}
	b, err := masked(in)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, leak := range []string{"王小明", "李四", "赵六", "钱七", "13900001111", "5号楼", "address", "phone"} {
		if strings.Contains(s, leak) {
			t.Errorf("masked view leaks %q: %s", leak, s)
		}
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if out["author"] != "王*" || out["title"] != "重新划线" || out["votes"] != float64(7) || out["unit"].(map[string]any)["name"] != "物业公司" {
		t.Fatalf("masked %s", s)
	}
}
