// Package chart draws the pages' charts as server-rendered SVG: bars of
// votes per option, shares against a threshold (the art. 278 area and
// headcount shares), monthly columns and progress bars. Each chart is a
// <figure> whose SVG has a <title> and <desc>, followed by a table of the
// same figures, so that it prints, reads aloud and works without
// JavaScript. It does no I/O and knows no language: callers pass the words,
// already translated.
package chart

import (
	"bytes"
	"fmt"
	"html/template"
	"math"
	"strconv"
)

// Geometry of every chart, in SVG user units. The SVG scales to its
// container's width (viewBox), so these are proportions, not pixels.
const (
	width    = 400.0
	barH     = 22.0
	rowGap   = 34.0 // the label line above each bar
	padTop   = 8.0
	padRight = 8.0
	colPlotH = 160.0
	axisH    = 34.0
)

// Colours meet WCAG 2.1 non-text contrast (≥ 3:1) on white; the adopted or
// met bar is set apart by a pattern of words in the table too, never by
// colour alone.
const (
	colourBar       = "#1f5fa8"
	colourHighlight = "#17692f"
	colourMuted     = "#5f6368"
	colourTrack     = "#e8eaed"
	colourMark      = "#202124"
	colourAlert     = "#b3261e"
)

// Bar is one bar of a bar chart.
type Bar struct {
	Label string
	Value float64
	// Text is how the value is written (in the bar's label and the
	// table); empty writes Value as a number.
	Text string
	// Highlight marks the adopted option (drawn in its own colour, and the
	// table says so through Note).
	Highlight bool
	// Note is a word beside the value in the table (为通过的选项 …).
	Note string
}

// Bars is a horizontal bar chart: one row per bar, the label above it, so
// that long Chinese labels fit a phone's width. Bars are scaled to the
// largest value (or to Max when set).
type Bars struct {
	// ID makes the chart's element ids unique on its page.
	ID    string
	Title string
	Desc  string
	// Label and Value head the table's two columns.
	Label, Value string
	Bars         []Bar
	// Max is the value of a full bar; 0 scales to the largest bar.
	Max float64
	// Empty is written instead of a chart when there are no bars.
	Empty string
	// Sep is written between a bar's label and its value above the bar:
	// ": " when empty ("：" in Chinese).
	Sep string
}

// barRow is one laid-out bar.
type barRow struct {
	Bar
	Y, LabelY, W float64
	Fill         string
	Shown        string
}

func (b Bars) layout() (rows []barRow, height float64) {
	top := b.Max
	for _, br := range b.Bars {
		top = math.Max(top, br.Value)
	}
	y := padTop
	for _, br := range b.Bars {
		r := barRow{Bar: br, LabelY: y + 17, Y: y + rowGap - 8, Fill: colourBar, Shown: valueText(br.Text, br.Value)}
		if br.Highlight {
			r.Fill = colourHighlight
		}
		if top > 0 && br.Value > 0 {
			r.W = round1((width - padRight) * br.Value / top)
		}
		rows = append(rows, r)
		y += rowGap + barH
	}
	return rows, y + padTop
}

// HTML renders the chart and its table.
func (b Bars) HTML() (template.HTML, error) {
	rows, h := b.layout()
	return render("bars", map[string]any{"C": b, "Rows": rows, "H": h, "W": width, "Plot": width - padRight, "BarH": barH, "Sep": sep(b.Sep)})
}

// Share is one share against a threshold: 67 % of the area took part,
// against at least 2/3.
type Share struct {
	Label string
	// Percent is the share, 0–100.
	Percent float64
	// Threshold is the share needed, 0–100 (66.67 for 2/3).
	Threshold float64
	// ThresholdText writes the threshold (≥ 2/3).
	ThresholdText string
	// Met says whether the threshold was met: the domain's exact answer,
	// not a comparison of rounded percents.
	Met bool
	// MetText writes Met in words (达到 / 未达到).
	MetText string
}

// Shares draws each share as a bar from 0 to 100 % with a mark at its
// threshold.
type Shares struct {
	ID    string
	Title string
	Desc  string
	// Label, Value, Threshold and Met head the table's columns.
	Label, Value, Threshold, Met string
	Shares                       []Share
	Empty                        string
	// Sep is as Bars.Sep.
	Sep string
}

type shareRow struct {
	Share
	Y, LabelY, W, MarkX float64
	Fill                string
	Shown               string
}

func (s Shares) layout() (rows []shareRow, height float64) {
	plot := width - padRight
	y := padTop
	for _, sh := range s.Shares {
		r := shareRow{Share: sh, LabelY: y + 17, Y: y + rowGap - 8, Fill: colourAlert,
			W: round1(plot * clamp(sh.Percent) / 100), MarkX: round1(plot * clamp(sh.Threshold) / 100),
			Shown: strconv.FormatFloat(sh.Percent, 'f', -1, 64) + "%"}
		if sh.Met {
			r.Fill = colourHighlight
		}
		rows = append(rows, r)
		y += rowGap + barH
	}
	return rows, y + padTop
}

// HTML renders the chart and its table.
func (s Shares) HTML() (template.HTML, error) {
	rows, h := s.layout()
	return render("shares", map[string]any{"C": s, "Rows": rows, "H": h, "W": width, "Plot": width - padRight, "BarH": barH, "Mark": colourMark, "Sep": sep(s.Sep)})
}

// Series is one series of a column chart (collected, solved …).
type Series struct {
	Name   string
	Values []float64
}

// Columns is a column chart over categories (months), one column per
// series in each category, with the largest value's gridline labelled.
type Columns struct {
	ID    string
	Title string
	Desc  string
	// Category heads the table's first column (月份).
	Category   string
	Categories []string
	Series     []Series
	Empty      string
}

// seriesColours tell up to three series apart; the legend and the table
// name them.
var seriesColours = []string{colourBar, colourHighlight, "#8a4b00"}

type column struct {
	X, Y, W, H float64
	Fill       string
	Title      string
}

type tick struct {
	X     float64
	Label string
}

type legend struct {
	X    float64
	Fill string
	Name string
}

type tableRow struct {
	Category string
	Values   []string
}

func (c Columns) layout() (cols []column, ticks []tick, legends []legend, top float64) {
	for _, s := range c.Series {
		for _, v := range s.Values {
			top = math.Max(top, v)
		}
	}
	n, k := len(c.Categories), len(c.Series)
	if n == 0 || k == 0 {
		return nil, nil, nil, top
	}
	slot := (width - padRight) / float64(n)
	colW := slot * 0.8 / float64(k)
	for i, cat := range c.Categories {
		x0 := float64(i)*slot + slot*0.1
		ticks = append(ticks, tick{X: round1(x0 + slot*0.4), Label: cat})
		for j, s := range c.Series {
			v := 0.0
			if i < len(s.Values) {
				v = s.Values[i]
			}
			h := 0.0
			if top > 0 {
				h = round1(colPlotH * v / top)
			}
			cols = append(cols, column{X: round1(x0 + float64(j)*colW), Y: round1(padTop + colPlotH - h), W: round1(colW), H: h,
				Fill: seriesColours[j%len(seriesColours)], Title: s.Name + " " + cat + ": " + valueText("", v)})
		}
	}
	for j, s := range c.Series {
		legends = append(legends, legend{X: float64(j) * 130, Fill: seriesColours[j%len(seriesColours)], Name: s.Name})
	}
	return cols, ticks, legends, top
}

// HTML renders the chart and its table.
func (c Columns) HTML() (template.HTML, error) {
	cols, ticks, legends, top := c.layout()
	var rows []tableRow
	for i, cat := range c.Categories {
		r := tableRow{Category: cat}
		for _, s := range c.Series {
			v := 0.0
			if i < len(s.Values) {
				v = s.Values[i]
			}
			r.Values = append(r.Values, valueText("", v))
		}
		rows = append(rows, r)
	}
	return render("columns", map[string]any{"C": c, "Cols": cols, "Ticks": ticks, "Legends": legends, "Rows": rows,
		"W": width, "PlotBottom": padTop + colPlotH, "TickY": padTop + colPlotH + 18, "LegendY": padTop + colPlotH + axisH,
		"H": padTop + colPlotH + axisH + 16, "Top": valueText("", top), "TopY": padTop + 10})
}

// Progress is a progress bar: an action's percent done, marked when
// overdue. Its words (Label, Text) are the accessible name; the bar is
// drawn for the eye.
type Progress struct {
	// Label names what progresses (西院重新划线); Text writes the state
	// (完成 60%，已逾期).
	Label   string
	Percent int
	Overdue bool
	Text    string
}

// HTML renders the bar: a 0–100 bar, red when overdue, with its text
// beside it.
func (p Progress) HTML() (template.HTML, error) {
	pc := max(0, min(100, p.Percent))
	fill := colourBar
	if p.Overdue {
		fill = colourAlert
	} else if pc == 100 {
		fill = colourHighlight
	}
	return render("progress", map[string]any{"C": p, "W": pc, "Fill": fill, "Track": colourTrack})
}

// sep is a label's separator, ": " by default.
func sep(s string) string {
	if s == "" {
		return ": "
	}
	return s
}

func clamp(p float64) float64 { return math.Max(0, math.Min(100, p)) }

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// valueText writes v as given, or as a number without needless decimals.
func valueText(text string, v float64) string {
	if text != "" {
		return text
	}
	if v == math.Trunc(v) {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}

var templates = template.Must(template.New("chart").Funcs(template.FuncMap{
	"num": func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) },
}).Parse(chartTemplates))

// render executes one of the chart templates; html/template escapes every
// value, so the result is safe to put in a page as it is.
func render(name string, data any) (template.HTML, error) {
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("chart: render %s: %w", name, err)
	}
	return template.HTML(buf.String()), nil
}
