package web

import (
	"encoding/base64"
	"errors"
	nethttp "net/http"
	"regexp"
	"strings"

	"github.com/labstack/echo/v4"

	yhttp "github.com/yishi-civic/yishi/http"
)

// A decision's fingerprint and its check (docs/audit.md, "A decision
// anyone can check"): the register and a proposal's story print beside each
// decision the first digits of its fingerprint (seal.Fingerprint of the
// leaf hashes of the events it was made of) and a QR code of the page
// /check/decisions/{meeting}/{decision}?fp=…, where the visitor's browser
// checks the server's proofs itself (web/static/check.js).

// fingerprintShown is how many hex digits of a fingerprint a page prints;
// fingerprintLinked how many its link and QR code carry (128 bits, which
// no rewriting of the events can be ground to match).
const (
	fingerprintShown  = 12
	fingerprintLinked = 32
)

// groupHex writes hex digits in groups of four, easier to compare by eye.
func groupHex(h string) string {
	var b strings.Builder
	for i := 0; i < len(h); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(h[i:min(i+4, len(h))])
	}
	return b.String()
}

// sealDecision adds a decision's fingerprint, the link to its check and
// the link's QR code to its card. A decision the server cannot prove to
// this visitor now (it publishes no checkpoints, or proofs are for
// auditors while the log holds an unsalted secret ballot) keeps none.
func (w *Web) sealDecision(c echo.Context, card *decisionCard, d decision) error {
	var p yhttp.DecisionProof
	err := w.get(c, "/v1/proofs/decisions/"+d.Key, nil, &p)
	if ae := (*apiError)(nil); errors.As(err, &ae) {
		return nil
	}
	if err != nil {
		return err
	}
	card.Fingerprint = groupHex(p.Fingerprint[:fingerprintShown])
	card.CheckHref = "/check/decisions/" + d.Key + "?fp=" + p.Fingerprint[:fingerprintLinked]
	card.QR, err = qrSVG(baseURL(c)+card.CheckHref, w.lang(c).T("check.qr", card.Fingerprint))
	return err
}

// checkEvent is an event of a decision as its check page lists it.
type checkEvent struct {
	Position uint64
	What     string
	Index    int64
	Leaf     string
	// Proof is the inclusion proof's hashes, base64, space-separated.
	Proof string
}

// checkData is the check page's data.
type checkData struct {
	Card decisionCard
	// Given is the fingerprint of the link (from the paper), Shown its
	// digits grouped; Current the server's fingerprint now, grouped.
	Given, Shown, Current string
	Size                  int64
	Checkpoint            string
	// Key is the server's verifier key, which the script checks the
	// checkpoint's signature with.
	Key    string
	Events []checkEvent
	// Closed says the proofs are for auditors only now (403): the page
	// says so instead of checking.
	Closed string
}

// hexDigits is what a fingerprint in a link may be.
var hexDigits = regexp.MustCompile(`^[0-9a-fA-F]{0,64}$`)

// checkDecision is the page a decision's QR code links to: the decision,
// the events it was made of with their leaf hashes and inclusion proofs
// against the latest checkpoint, the server's key, and a script that
// checks them in the browser against the fingerprint of the link.
func (w *Web) checkDecision(c echo.Context) error {
	l := w.lang(c)
	wd := words{l}
	wh, err := w.where(c)
	if err != nil {
		return err
	}
	key := c.Param("meeting") + "/" + c.Param("decision")
	var dec decision
	if err := w.get(c, "/v1/register/"+key, nil, &dec); err != nil {
		return err
	}
	card, err := wd.decisionCard(dec, wh)
	if err != nil {
		return err
	}
	d := checkData{Card: card}
	if fp := c.QueryParam("fp"); hexDigits.MatchString(fp) {
		d.Given, d.Shown = strings.ToLower(fp), groupHex(strings.ToLower(fp))
	} else {
		// Not a fingerprint at all: shown as typed, it matches nothing.
		d.Given, d.Shown = "-", fp
	}
	var p yhttp.DecisionProof
	err = w.get(c, "/v1/proofs/decisions/"+key, nil, &p)
	if ae := (*apiError)(nil); errors.As(err, &ae) && ae.Problem.Status == nethttp.StatusForbidden {
		d.Closed = ae.Problem.Detail
		return w.render(c, nethttp.StatusOK, "check", Page{Title: l.T("check.title"), Place: wh.name(), Data: d})
	}
	if err != nil {
		return err
	}
	var vkey []byte
	if err := w.get(c, "/v1/checkpoint/key", nil, &vkey); err != nil {
		return err
	}
	d.Key = strings.TrimSpace(string(vkey))
	d.Current, d.Size, d.Checkpoint = groupHex(p.Fingerprint[:fingerprintShown]), p.Size, p.Checkpoint
	for _, ev := range p.Events {
		proof := make([]string, len(ev.Proof))
		for i, h := range ev.Proof {
			proof[i] = base64.StdEncoding.EncodeToString(h[:])
		}
		d.Events = append(d.Events, checkEvent{Position: ev.Position, What: wd.code("check.event", ev.Type), Index: ev.Index,
			Leaf: base64.StdEncoding.EncodeToString(ev.LeafHash[:]), Proof: strings.Join(proof, " ")})
	}
	return w.render(c, nethttp.StatusOK, "check", Page{Title: l.T("check.title"), Place: wh.name(), Data: d})
}
