package http

import (
	"encoding/json"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/policy"
)

// Warning is a note on an accepted write: a field whose text will be
// public looks like personal data. The text is kept as written (the ledger
// records what was said) and every public answer masks it; the warning
// lets the writer correct it before residents read it.
type Warning struct {
	// Field is the request field, as "title" or "options[1].label".
	Field string `json:"field"`
	// Kinds are what the text looks like: phone, id_number, door, email.
	Kinds  []policy.Kind `json:"kinds"`
	Detail string        `json:"detail"`
}

const warningsKey = "yishi.warnings"

// kindWords names the kinds of personal data in both languages.
var kindWords = map[policy.Kind]text{
	policy.KindPhone:    {"电话号码", "a phone number"},
	policy.KindIDNumber: {"身份证号或卡号", "an ID or card number"},
	policy.KindDoor:     {"门牌号", "a door number"},
	policy.KindEmail:    {"电子邮箱", "an e-mail address"},
}

// scanWrite records warnings for the text of a write request r.
func scanWrite(c echo.Context, r any) {
	b, err := json.Marshal(r)
	if err != nil {
		return
	}
	findings := policy.Scan(b)
	if len(findings) == 0 {
		return
	}
	l := requestLang(c.Request())
	ws := make([]Warning, len(findings))
	for i, f := range findings {
		var zh, en []string
		for _, k := range f.Kinds {
			zh, en = append(zh, kindWords[k].zh), append(en, kindWords[k].en)
		}
		ws[i] = Warning{Field: f.Field, Kinds: f.Kinds, Detail: text{
			"此内容将公开，看起来含有" + strings.Join(zh, "、") + "；公开时会被遮盖，如非必要请删除",
			"this text will be public and looks like it holds " + strings.Join(en, " and ") + "; public views mask it, remove it unless it is needed",
		}.in(l)}
	}
	c.Set(warningsKey, ws)
}

// warningsOf returns the warnings scanWrite recorded for the request.
func warningsOf(c echo.Context) []Warning {
	ws, _ := c.Get(warningsKey).([]Warning)
	return ws
}
