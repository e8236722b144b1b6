package chart

// chartTemplates draw the charts. The SVG is an image with a title and a
// description; the table after it holds every figure as text. Colours are
// presentation attributes, not style attributes, so a strict
// Content-Security-Policy (no inline styles) lets them through.
const chartTemplates = `
{{define "open"}}<svg class="chart-svg" viewBox="0 0 {{num .W}} {{num .H}}" role="img" aria-labelledby="{{.C.ID}}-t {{.C.ID}}-d" focusable="false"><title id="{{.C.ID}}-t">{{.C.Title}}</title><desc id="{{.C.ID}}-d">{{.C.Desc}}</desc>{{end}}

{{define "bars"}}<figure class="chart" id="{{.C.ID}}"><figcaption>{{.C.Title}}</figcaption>
{{- if not .Rows}}<p class="chart-empty">{{.C.Empty}}</p>{{else}}
{{template "open" .}}
{{- range .Rows}}<text x="0" y="{{num .LabelY}}" font-size="18" fill="#202124">{{.Label}}{{$.Sep}}{{.Shown}}</text><rect x="0" y="{{num .Y}}" width="{{num $.Plot}}" height="{{num $.BarH}}" fill="#e8eaed"/>{{if .W}}<rect x="0" y="{{num .Y}}" width="{{num .W}}" height="{{num $.BarH}}" fill="{{.Fill}}"/>{{end}}{{end -}}
</svg>
<table class="chart-table"><thead><tr><th scope="col">{{.C.Label}}</th><th scope="col">{{.C.Value}}</th></tr></thead><tbody>
{{- range .Rows}}<tr{{if .Highlight}} class="chart-highlight"{{end}}><th scope="row">{{.Label}}</th><td>{{.Shown}}{{if .Note}} ({{.Note}}){{end}}</td></tr>{{end -}}
</tbody></table>{{end}}</figure>{{end}}

{{define "shares"}}<figure class="chart" id="{{.C.ID}}"><figcaption>{{.C.Title}}</figcaption>
{{- if not .Rows}}<p class="chart-empty">{{.C.Empty}}</p>{{else}}
{{template "open" .}}
{{- range .Rows}}<text x="0" y="{{num .LabelY}}" font-size="18" fill="#202124">{{.Label}}{{$.Sep}}{{.Shown}} ({{.ThresholdText}})</text><rect x="0" y="{{num .Y}}" width="{{num $.Plot}}" height="{{num $.BarH}}" fill="#e8eaed"/>{{if .W}}<rect x="0" y="{{num .Y}}" width="{{num .W}}" height="{{num $.BarH}}" fill="{{.Fill}}"/>{{end}}<rect class="chart-threshold" x="{{num .MarkX}}" y="{{num .Y}}" width="3" height="{{num $.BarH}}" fill="{{$.Mark}}" transform="translate(-1.5 0)"/>{{end -}}
</svg>
<table class="chart-table"><thead><tr><th scope="col">{{.C.Label}}</th><th scope="col">{{.C.Value}}</th><th scope="col">{{.C.Threshold}}</th><th scope="col">{{.C.Met}}</th></tr></thead><tbody>
{{- range .Rows}}<tr><th scope="row">{{.Label}}</th><td>{{.Shown}}</td><td>{{.ThresholdText}}</td><td>{{.MetText}}</td></tr>{{end -}}
</tbody></table>{{end}}</figure>{{end}}

{{define "columns"}}<figure class="chart" id="{{.C.ID}}"><figcaption>{{.C.Title}}</figcaption>
{{- if not .Cols}}<p class="chart-empty">{{.C.Empty}}</p>{{else}}
{{template "open" .}}
<line x1="0" y1="{{num .PlotBottom}}" x2="{{num .W}}" y2="{{num .PlotBottom}}" stroke="#5f6368" stroke-width="1"/><text x="{{num .W}}" y="{{num .TopY}}" font-size="12" text-anchor="end" fill="#5f6368">{{.Top}}</text>
{{- range .Cols}}{{if .H}}<rect x="{{num .X}}" y="{{num .Y}}" width="{{num .W}}" height="{{num .H}}" fill="{{.Fill}}"><title>{{.Title}}</title></rect>{{end}}{{end}}
{{- range .Ticks}}<text x="{{num .X}}" y="{{num $.TickY}}" font-size="14" text-anchor="middle" fill="#202124">{{.Label}}</text>{{end}}
{{- range .Legends}}<rect x="{{num .X}}" y="{{num $.LegendY}}" width="14" height="14" fill="{{.Fill}}"/><text x="{{num .X}}" dx="20" y="{{num $.LegendY}}" dy="12" font-size="15" fill="#202124">{{.Name}}</text>{{end -}}
</svg>
<table class="chart-table"><thead><tr><th scope="col">{{.C.Category}}</th>{{range .C.Series}}<th scope="col">{{.Name}}</th>{{end}}</tr></thead><tbody>
{{- range .Rows}}<tr><th scope="row">{{.Category}}</th>{{range .Values}}<td>{{.}}</td>{{end}}</tr>{{end -}}
</tbody></table>{{end}}</figure>{{end}}

{{define "progress"}}<div class="progress" role="progressbar" aria-label="{{.C.Label}}" aria-valuemin="0" aria-valuemax="100" aria-valuenow="{{.W}}" aria-valuetext="{{.C.Text}}"><svg class="progress-bar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true" focusable="false"><rect x="0" y="0" width="100" height="10" fill="{{.Track}}"/>{{if .W}}<rect x="0" y="0" width="{{.W}}" height="10" fill="{{.Fill}}"/>{{end}}</svg><span class="progress-text{{if .C.Overdue}} overdue{{end}}">{{.C.Text}}</span></div>{{end}}
`
