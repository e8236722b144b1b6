package web

import (
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/i18n"
	"github.com/yishi-civic/yishi/web/chart"
)

// words writes the public pages' values in a language: dates, codes
// (statuses, categories, rules) and charts.
type words struct{ l i18n.Lang }

// date writes a day in China time: 2026年3月15日, 15 Mar 2026.
func (w words) date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(china)
	if w.l == i18n.EN {
		return t.Format("2 Jan 2006")
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
}

// when writes a day and a time in China time.
func (w words) when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return w.date(t) + " " + t.In(china).Format("15:04")
}

// month writes a month key of the statistics ("2026-07") short: 7月, Jul.
func (w words) month(key string) string {
	t, err := time.Parse("2006-01", key)
	if err != nil {
		return key
	}
	if w.l == i18n.EN {
		return t.Format("Jan 06")
	}
	return fmt.Sprintf("%d月", t.Month())
}

// code translates a code of the ledger (a status, a category, a channel)
// by its catalogue key prefix+"."+v; a free-text value the catalogue does
// not know (a category typed as 环境) is written as it is.
func (w words) code(prefix, v string) string {
	if v == "" {
		return ""
	}
	if k := prefix + "." + v; i18n.Has(k) {
		return w.l.T(k)
	}
	return v
}

// percent writes a ratio (0–1) as a whole percent.
func (w words) percent(r float64) string { return strconv.Itoa(int(r*100+0.5)) + "%" }

// rule writes a decision rule in words, with its quorum and, for the
// owners' rules, the matter of art. 278.
func (w words) rule(r *domain.Rule) string {
	if r == nil {
		return ""
	}
	s := w.code("rule", r.Kind)
	if r.Matter > 0 {
		s += w.l.T("rule.matter", w.code("matter", strconv.Itoa(r.Matter)))
	}
	if r.QuorumPercent > 0 {
		s += w.l.T("rule.quorum", r.QuorumPercent)
	}
	return s
}

// tallyChart draws a closed vote: votes per option (the adopted one set
// apart), or for an owners' vote read by the public the shares against
// the thresholds of art. 278. brief is the same in one line of text.
func (w words) tallyChart(id string, t *tally, verdict string) (h template.HTML, brief string, err error) {
	l := w.l
	if t.Shares != nil {
		s := chart.Shares{ID: id, Title: l.T("chart.shares.title"), Label: l.T("chart.shares.item"), Value: l.T("chart.shares.value"),
			Threshold: l.T("chart.shares.threshold"), Met: l.T("chart.shares.met"), Empty: l.T("chart.empty"), Sep: l.T("chart.sep")}
		p := t.Shares.Participation
		s.Shares = append(s.Shares, w.share("chart.shares.area", p.AreaPercent, p.Threshold, p.Met), w.share("chart.shares.heads", p.HeadsPercent, p.Threshold, p.Met))
		for _, o := range t.Shares.Options {
			label := o.OptionID
			for _, opt := range t.Options {
				if opt.OptionID == o.OptionID {
					label = opt.Label
				}
			}
			s.Shares = append(s.Shares, w.shareOf(label, "chart.shares.optionarea", o.AreaPercent, o.Threshold, o.Met),
				w.shareOf(label, "chart.shares.optionheads", o.HeadsPercent, o.Threshold, o.Met))
		}
		var desc []string
		for _, sh := range s.Shares {
			desc = append(desc, sh.Label+" "+strconv.FormatFloat(sh.Percent, 'f', -1, 64)+"% ("+sh.ThresholdText+", "+sh.MetText+")")
		}
		brief = strings.Join(desc, l.T("list.sep"))
		s.Desc = brief + ". " + verdict
		h, err = s.HTML()
		return h, brief, err
	}
	b := chart.Bars{ID: id, Title: l.T("chart.votes.title"), Label: l.T("chart.votes.option"), Value: l.T("chart.votes.votes"), Empty: l.T("chart.empty"), Sep: l.T("chart.sep")}
	var desc []string
	for _, o := range t.Options {
		text := w.votes(o.Votes)
		bar := chart.Bar{Label: o.Label, Value: float64(o.Votes), Text: text}
		if t.Adopted && o.OptionID == t.WinningOptionID {
			bar.Highlight, bar.Note = true, l.T("chart.votes.adopted")
		}
		b.Bars = append(b.Bars, bar)
		desc = append(desc, o.Label+" "+text)
	}
	if t.Abstentions > 0 {
		text := w.votes(t.Abstentions)
		b.Bars = append(b.Bars, chart.Bar{Label: l.T("chart.votes.abstain"), Value: float64(t.Abstentions), Text: text})
		desc = append(desc, l.T("chart.votes.abstain")+" "+text)
	}
	brief = strings.Join(desc, l.T("list.sep"))
	b.Desc = brief + ". " + verdict
	h, err = b.HTML()
	return h, brief, err
}

// votes writes a number of votes: 1 vote, 8 votes.
func (w words) votes(n int) string {
	if n == 1 {
		return w.l.T("chart.votes.one", n)
	}
	return w.l.T("chart.votes.n", n)
}

// thresholdPercent is the share a threshold of the public answer
// (">= 2/3", "> 1/2", ">= 3/4") stands for.
var thresholdPercent = map[string]float64{">= 2/3": 200.0 / 3, "> 1/2": 50, ">= 3/4": 75}

func (w words) share(key string, percent int, threshold string, met bool) chart.Share {
	return w.shareOf("", key, percent, threshold, met)
}

func (w words) shareOf(label, key string, percent int, threshold string, met bool) chart.Share {
	name := w.l.T(key)
	if label != "" {
		name = w.l.T(key, label)
	}
	metText := w.l.T("chart.shares.notmet")
	if met {
		metText = w.l.T("chart.shares.yes")
	}
	return chart.Share{Label: name, Percent: float64(percent), Threshold: thresholdPercent[threshold], ThresholdText: strings.Replace(threshold, ">=", "≥", 1), Met: met, MetText: metText}
}
