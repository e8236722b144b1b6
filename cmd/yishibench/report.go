package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// Report is everything one run measured; bench.json is this value.
type Report struct {
	Command  []string  `json:"command"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Machine  Machine   `json:"machine"`
	// Sizes are the ledgers' sizes asked for, in events.
	Sizes []int `json:"sizes"`
	// Steps are the steps run, in order, each with its load averages.
	Steps []Step `json:"steps"`
	// Figures are the measured figures with their goals.
	Figures []Figure `json:"figures"`
	// Growth is how each cost grew from one size to the next (growth),
	// written with the report.
	Growth []Growth `json:"growth,omitempty"`
}

// Machine describes where the run took place.
type Machine struct {
	CPUModel    string  `json:"cpu_model"`
	Cores       int     `json:"cores"`
	MemTotalMiB float64 `json:"mem_total_mib"`
	Kernel      string  `json:"kernel"`
	GoVersion   string  `json:"go_version"`
	Commit      string  `json:"commit,omitempty"`
	// Dirty is true when the work tree had uncommitted changes.
	Dirty bool `json:"dirty,omitempty"`
	// Load1 is the 1-minute load average when the run started.
	Load1 float64 `json:"load1"`
	// HugePages is the kernel's transparent huge pages mode (hugeheap.Mode),
	// "" when there is none to read.
	HugePages string `json:"transparent_huge_pages,omitempty"`
	// IdlePageout is what the kernel pages out once it has gone unused a
	// while, "none" for nothing (idlePageout).
	IdlePageout string `json:"idle_pageout,omitempty"`
	// ServerMemoryLimit is the servers' GOMEMLIMIT (--memory-limit), ""
	// for none.
	ServerMemoryLimit string `json:"server_memory_limit,omitempty"`
}

// Step is one step of the run.
type Step struct {
	Name        string    `json:"name"`
	Size        string    `json:"size,omitempty"`
	Started     time.Time `json:"started"`
	Seconds     float64   `json:"seconds"`
	Load1Before float64   `json:"load1_before"`
	Load1After  float64   `json:"load1_after"`
	Error       string    `json:"error,omitempty"`
	// ServerPID is the process id of a server the step started, so that
	// one can check that it has ended.
	ServerPID int `json:"server_pid,omitempty"`
}

// Goal is a figure's target: the value must be Op ("<", "<=", ">=", "==")
// Target.
type Goal struct {
	Op     string  `json:"op"`
	Target float64 `json:"target"`
	// Source says where the target comes from ("issue 15").
	Source string `json:"source"`
}

func (g *Goal) met(v float64) bool {
	switch g.Op {
	case "<":
		return v < g.Target
	case "<=":
		return v <= g.Target
	case ">=":
		return v >= g.Target
	case "==":
		return v == g.Target
	}
	return false
}

// Figure is one measured figure, or the reason it could not be measured.
type Figure struct {
	Area string `json:"area"`
	Size string `json:"size,omitempty"`
	// Key names the figure for programs ("votes_p99_ms").
	Key  string `json:"key"`
	Name string `json:"name"`
	Unit string `json:"unit"`
	// Value is null when the step failed.
	Value *float64 `json:"value"`
	Goal  *Goal    `json:"goal,omitempty"`
	// Met is null without a goal or a value.
	Met *bool `json:"met"`
	// Load1 is the 1-minute load average at the end of the step.
	Load1 float64 `json:"load1"`
	// Error is why the figure is missing.
	Error string `json:"error,omitempty"`
}

// areaTitles name the Markdown tables, in order.
var areaTitles = []struct{ area, title, about string }{
	{"store", "Event store against the raw floor",
		"`eventstore/pebble/peersbench`: the embedded store and the raw floor (write + fdatasync per append; `raw-group16` with group commit) interleaved run by run in child processes; medians of per-run ratios."},
	{"fold", "Fold (rebuilding the views)",
		"`go test ./projections -bench '^BenchmarkReplay$'` (1,000,000 generated events folded from memory into all views by the runner), and per size the real server's first start with no snapshots (events ÷ seconds to ready)."},
	{"start", "Start to ready",
		"`yishi serve --rate-limit 1000000 --max-conns-per-addr -1` on the generated ledger, `/readyz` polled every 20 ms from the process's start; first with no snapshots, then, after a SIGTERM (which writes them), from snapshots."},
	{"memory", "Server memory",
		"From `/proc/<pid>/status`: VmRSS at ready, VmHWM (peak) at ready, and the peak of VmRSS sampled every 100 ms under the load below."},
	{"load", "Votes and reads after a restart",
		"`cmd/yishiload` started as soon as the server restarted from snapshots is ready: votes at 500/s (open loop, no warm-up), then board and timeline reads at 2,000/s each; then, after another restart from snapshots, timeline reads at 2,000/s from its first second (no warm-up: the issue asks for reads within target \"including the first minute after a start\", and the reads before begin after the votes, their caches warm; the pages they read are on the answer shelf, kept on disk across the restart, and a story never read before costs more: docs/architecture.md); then, after a third restart, board reads at 2,000/s from its first second. p99 from the scheduled start of each request. The tool's start lag (how late it began its requests) is high when the machine or the tool, not the server's answer, is the bottleneck. The ledger's rows: `go test ./ledger -bench '^BenchmarkVoteOnALongMeeting$' -benchtime 300x`, one vote on a meeting already holding 300 or 10,000 ballots."},
}

func (r *Report) add(f Figure) {
	if f.Value != nil && f.Goal != nil {
		m := f.Goal.met(*f.Value)
		f.Met = &m
	}
	r.Figures = append(r.Figures, f)
}

// writeJSON writes the report as indented JSON.
func (r *Report) writeJSON(path string) error {
	r.Growth = r.growth()
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return fmt.Errorf("bench.json: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("bench.json: %w", err)
	}
	return nil
}

// writeMarkdown writes the machine, the steps and one table per area.
func (r *Report) writeMarkdown(w io.Writer) error {
	var b strings.Builder
	m := r.Machine
	fmt.Fprintf(&b, "# Yishi performance, %s\n\n", r.Started.UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "```sh\n%s\n```\n\n", strings.Join(r.Command, " "))
	commit := m.Commit
	if commit == "" {
		commit = "unknown"
	}
	if m.Dirty {
		commit += " (with uncommitted changes)"
	}
	fmt.Fprintf(&b, "| machine | |\n|---|---|\n")
	fmt.Fprintf(&b, "| CPU | %s |\n| cores | %d |\n| memory | %.1f GiB |\n| kernel | %s |\n| Go | %s |\n| commit | %s |\n| load average (1 min) at start | %.2f |\n",
		orUnknown(m.CPUModel), m.Cores, m.MemTotalMiB/1024, orUnknown(m.Kernel), orUnknown(m.GoVersion), commit, m.Load1)
	limit := "none"
	if m.ServerMemoryLimit != "" {
		limit = m.ServerMemoryLimit + " (`--memory-limit`)"
	}
	fmt.Fprintf(&b, "| transparent huge pages | %s |\n| memory paged out when unused | %s |\n", orUnknown(m.HugePages), orUnknown(m.IdlePageout))
	fmt.Fprintf(&b, "| server's Go memory limit (GOMEMLIMIT) | %s |\n", limit)
	fmt.Fprintf(&b, "| run | %s to %s (%s) |\n\n", r.Started.UTC().Format("15:04:05"), r.Finished.UTC().Format("15:04:05 UTC"),
		r.Finished.Sub(r.Started).Round(time.Second))
	for _, a := range areaTitles {
		var rows []Figure
		for _, f := range r.Figures {
			if f.Area == a.area {
				rows = append(rows, f)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", a.title, a.about)
		fmt.Fprintf(&b, "| size | figure | measured | goal | met | load avg |\n|---|---|---:|---|---|---:|\n")
		for _, f := range rows {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %.2f |\n", orDash(f.Size), f.Name, f.valueText(), f.goalText(), f.metText(), f.Load1)
		}
		b.WriteString("\n")
	}
	r.writeGrowth(&b)
	fmt.Fprintf(&b, "## Steps\n\n| step | size | seconds | load avg before | after | result |\n|---|---|---:|---:|---:|---|\n")
	for _, s := range r.Steps {
		res := "ok"
		if s.Error != "" {
			res = "failed: " + cell(s.Error)
		}
		fmt.Fprintf(&b, "| %s | %s | %.1f | %.2f | %.2f | %s |\n", s.Name, orDash(s.Size), s.Seconds, s.Load1Before, s.Load1After, res)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// cell keeps a text on one table row.
func cell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	s = strings.ReplaceAll(s, "|", "\\|")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}

func (f *Figure) valueText() string {
	if f.Value == nil {
		return "**failed**: " + cell(f.Error)
	}
	return formatValue(*f.Value, f.Unit)
}

func (f *Figure) goalText() string {
	if f.Goal == nil {
		return "—"
	}
	op := map[string]string{"<": "<", "<=": "≤", ">=": "≥", "==": "="}[f.Goal.Op]
	return fmt.Sprintf("%s %s (%s)", op, formatValue(f.Goal.Target, f.Unit), f.Goal.Source)
}

func (f *Figure) metText() string {
	switch {
	case f.Met == nil:
		return "—"
	case *f.Met:
		return "yes"
	default:
		return "**no**"
	}
}

// formatValue renders a number in its unit as docs/performance.md does.
func formatValue(v float64, unit string) string {
	switch unit {
	case "×":
		return fmt.Sprintf("%.2f×", v)
	case "events/s", "req/s", "events":
		return thousands(math.Round(v)) + " " + unit
	case "ms":
		return fmt.Sprintf("%.2f ms", v)
	case "s":
		return fmt.Sprintf("%.2f s", v)
	case "MiB":
		return fmt.Sprintf("%.0f MiB", v)
	case "count":
		return thousands(math.Round(v))
	}
	return strconv.FormatFloat(v, 'g', 4, 64) + " " + unit
}

// thousands writes 1234567 as 1,234,567.
func thousands(v float64) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', 0, 64)
	var b strings.Builder
	if v < 0 {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
