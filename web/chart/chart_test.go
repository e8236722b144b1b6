package chart

import (
	"encoding/xml"
	"html/template"
	"io"
	"strings"
	"testing"
)

// mustHTML renders a chart, failing the test on an error, and checks that
// the result is well-formed markup (every element closed), as a browser's
// SVG parser needs it.
func mustHTML(t *testing.T, f func() (template.HTML, error)) string {
	t.Helper()
	h, err := f()
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(strings.NewReader(string(h)))
	d.Strict = true
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("chart markup is not well-formed: %v\n%s", err, h)
		}
	}
	return string(h)
}

func TestBarsScaleToTheLargestValue(t *testing.T) {
	b := Bars{ID: "v", Title: "表决结果", Desc: "同意 8 票，不同意 1 票", Label: "选项", Value: "票数",
		Bars: []Bar{{Label: "同意", Value: 8, Text: "8 票", Highlight: true, Note: "通过"}, {Label: "不同意", Value: 1, Text: "1 票"}, {Label: "弃权", Value: 0}}}
	rows, h := b.layout()
	if len(rows) != 3 {
		t.Fatalf("rows = %d, want 3", len(rows))
	}
	if rows[0].W != width-padRight {
		t.Errorf("largest bar width = %v, want the whole plot %v", rows[0].W, width-padRight)
	}
	if want := round1((width - padRight) / 8); rows[1].W != want {
		t.Errorf("1 of 8 bar width = %v, want %v", rows[1].W, want)
	}
	if rows[2].W != 0 {
		t.Errorf("zero bar width = %v, want 0", rows[2].W)
	}
	if rows[0].Fill != colourHighlight || rows[1].Fill != colourBar {
		t.Errorf("fills = %s, %s: want the adopted option set apart", rows[0].Fill, rows[1].Fill)
	}
	if rows[1].Y <= rows[0].Y || h <= rows[2].Y+barH {
		t.Errorf("rows overlap or overflow: ys %v %v %v, height %v", rows[0].Y, rows[1].Y, rows[2].Y, h)
	}
	out := mustHTML(t, b.HTML)
	for _, want := range []string{`role="img"`, `aria-labelledby="v-t v-d"`, `<title id="v-t">表决结果</title>`, `<desc id="v-d">同意 8 票，不同意 1 票</desc>`,
		`<th scope="row">同意</th><td>8 票 (通过)</td>`, `<th scope="row">弃权</th><td>0</td>`, `class="chart-highlight"`, `>同意: 8 票</text>`,
		`width="` + "392" + `" height="22" fill="#e8eaed"`} {
		if !strings.Contains(out, want) {
			t.Errorf("chart lacks %s:\n%s", want, out)
		}
	}
}

func TestBarsMaxAndEmpty(t *testing.T) {
	rows, _ := Bars{Max: 10, Bars: []Bar{{Label: "a", Value: 5}}}.layout()
	if want := round1((width - padRight) / 2); rows[0].W != want {
		t.Errorf("5 of max 10 width = %v, want %v", rows[0].W, want)
	}
	if out := mustHTML(t, Bars{ID: "s", Sep: "：", Bars: []Bar{{Label: "同意", Value: 1, Text: "1 票"}}}.HTML); !strings.Contains(out, ">同意：1 票</text>") {
		t.Errorf("the separator is not the one given:\n%s", out)
	}
	out := mustHTML(t, Bars{ID: "e", Title: "无", Empty: "还没有数据"}.HTML)
	if !strings.Contains(out, "还没有数据") || strings.Contains(out, "<svg") {
		t.Errorf("empty chart should say so without an SVG:\n%s", out)
	}
}

func TestChartsEscapeText(t *testing.T) {
	out := mustHTML(t, Bars{ID: "x", Title: `<script>alert(1)</script>`, Bars: []Bar{{Label: `"><img src=x>`, Value: 1}}}.HTML)
	if strings.Contains(out, "<script>") || strings.Contains(out, "<img") {
		t.Errorf("text not escaped:\n%s", out)
	}
}

func TestSharesMarkTheThreshold(t *testing.T) {
	s := Shares{ID: "s", Title: "业主参与", Label: "项目", Value: "比例", Threshold: "门槛", Met: "结果", Shares: []Share{
		{Label: "参与面积", Percent: 80, Threshold: 200.0 / 3, ThresholdText: "≥ 2/3", Met: true, MetText: "达到"},
		{Label: "同意人数", Percent: 40, Threshold: 50, ThresholdText: "> 1/2", Met: false, MetText: "未达到"},
		{Label: "越界", Percent: 130, Threshold: -5},
	}}
	rows, _ := s.layout()
	plot := width - padRight
	if want := round1(plot * 2 / 3); rows[0].MarkX != want {
		t.Errorf("2/3 mark at %v, want %v", rows[0].MarkX, want)
	}
	if want := round1(plot * 0.8); rows[0].W != want {
		t.Errorf("80%% bar width = %v, want %v", rows[0].W, want)
	}
	if rows[0].Fill != colourHighlight || rows[1].Fill != colourAlert {
		t.Errorf("fills = %s, %s: met and unmet should differ", rows[0].Fill, rows[1].Fill)
	}
	if rows[2].W != plot || rows[2].MarkX != 0 {
		t.Errorf("out-of-range share not clamped: width %v, mark %v", rows[2].W, rows[2].MarkX)
	}
	out := mustHTML(t, s.HTML)
	for _, want := range []string{`<th scope="row">参与面积</th><td>80%</td><td>≥ 2/3</td><td>达到</td>`, `<td>未达到</td>`, `class="chart-threshold"`} {
		if !strings.Contains(out, want) {
			t.Errorf("chart lacks %s:\n%s", want, out)
		}
	}
}

func TestColumnsAreProportional(t *testing.T) {
	c := Columns{ID: "m", Title: "每月", Category: "月份", Categories: []string{"2026-03", "2026-04"},
		Series: []Series{{Name: "收集", Values: []float64{4, 2}}, {Name: "解决", Values: []float64{1}}}}
	cols, ticks, legends, top := c.layout()
	if top != 4 || len(cols) != 4 || len(ticks) != 2 || len(legends) != 2 {
		t.Fatalf("top %v, %d columns, %d ticks, %d legends: want 4, 4, 2, 2", top, len(cols), len(ticks), len(legends))
	}
	if cols[0].H != colPlotH || cols[2].H != colPlotH/2 {
		t.Errorf("heights %v and %v, want %v and %v", cols[0].H, cols[2].H, colPlotH, colPlotH/2)
	}
	if cols[3].H != 0 {
		t.Errorf("a missing value is drawn %v high, want 0", cols[3].H)
	}
	if cols[0].Y+cols[0].H != padTop+colPlotH || cols[2].Y+cols[2].H != padTop+colPlotH {
		t.Error("columns do not stand on the axis")
	}
	if cols[1].X <= cols[0].X || cols[2].X <= cols[1].X+cols[1].W-0.01 {
		t.Errorf("columns overlap: x %v %v %v", cols[0].X, cols[1].X, cols[2].X)
	}
	out := mustHTML(t, c.HTML)
	for _, want := range []string{`<th scope="col">收集</th><th scope="col">解决</th>`, `<tr><th scope="row">2026-04</th><td>2</td><td>0</td></tr>`, `<title>收集 2026-03: 4</title>`} {
		if !strings.Contains(out, want) {
			t.Errorf("chart lacks %s:\n%s", want, out)
		}
	}
	if out := mustHTML(t, Columns{ID: "n", Title: "空", Empty: "暂无"}.HTML); !strings.Contains(out, "暂无") {
		t.Errorf("empty column chart: %s", out)
	}
}

func TestProgress(t *testing.T) {
	out := mustHTML(t, Progress{Label: "西院重新划线", Percent: 140, Overdue: true, Text: "完成 100%，已逾期"}.HTML)
	for _, want := range []string{`role="progressbar"`, `aria-label="西院重新划线"`, `aria-valuenow="100"`, `width="100"`, `fill="` + colourAlert + `"`, "完成 100%，已逾期", `class="progress-text overdue"`} {
		if !strings.Contains(out, want) {
			t.Errorf("progress lacks %s:\n%s", want, out)
		}
	}
	out = mustHTML(t, Progress{Label: "a", Percent: 0, Text: "未开始"}.HTML)
	if strings.Count(out, "<rect") != 1 {
		t.Errorf("0%% progress should draw the track only:\n%s", out)
	}
}
