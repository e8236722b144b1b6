package web

import (
	"fmt"
	"net/http"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
	yhttp "github.com/yishi-civic/yishi/http"
)

// The resident's writes other than proposing: supporting a proposal,
// voting, verifying an outcome. Each page reads the record through the
// API, each form posts the API's command through it (with an idempotency
// key, so a double tap acts once), and a refusal is shown next to its
// field with what was chosen kept.

// pathUUID reads the path's id as the API would (checkPathParams lets
// only ":id" through unparsed).
func pathUUID(c echo.Context) (string, error) {
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return "", echo.ErrNotFound
	}
	return id.String(), nil
}

// supportData is the support page's data.
type supportData struct {
	P domain.ProposalState
	// Supported is set when the visitor supports it already, Own when it
	// is theirs, Followed when they follow it.
	Supported, Own, Followed bool
	Form                     form
	Key                      string
}

// supportPage shows a proposal with the button to support it (附议): the
// page a story links to and a resident may share with neighbours.
func (w *Web) supportPage(c echo.Context) error {
	return w.showSupport(c, http.StatusOK, newForm(c))
}

func (w *Web) showSupport(c echo.Context, status int, f form) error {
	id, err := pathUUID(c)
	if err != nil {
		return err
	}
	p, err := w.readProposal(c, id)
	if err != nil {
		return err
	}
	d := supportData{P: p, Form: f, Key: newKey()}
	if sessionOf(c) != nil {
		mp, err := w.myPart(c)
		if err != nil {
			return err
		}
		d.Supported, d.Own, d.Followed = mp.supported[id], mp.reported[id], mp.followed[id]
	}
	return w.render(c, status, "support", Page{Title: w.lang(c).T("support.title"), Data: d})
}

// support supports the proposal (POST /v1/proposals/{id}/support).
func (w *Web) support(c echo.Context) error {
	if sessionOf(c) == nil {
		return signInFirst(c)
	}
	id, err := pathUUID(c)
	if err != nil {
		return err
	}
	f := newForm(c)
	var res yhttp.WriteResult
	err = w.call(c, apiRequest{method: http.MethodPost, path: "/v1/proposals/" + id + "/support", idempotencyKey: f.Value("key")}, &res)
	if f.refused(err) {
		return w.showSupport(c, http.StatusConflict, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/proposals/%s/support?done=supported&wait_for=%d", id, res.HeadPosition))
}

// follow follows or unfollows the proposal (PUT or DELETE
// /v1/me/follows/proposal-{id}): its news then shows in "my items" and
// reaches the visitor as notifications do.
func (w *Web) follow(c echo.Context) error {
	if sessionOf(c) == nil {
		return signInFirst(c)
	}
	id, err := pathUUID(c)
	if err != nil {
		return err
	}
	f := newForm(c)
	method, done := http.MethodPut, "followed"
	if f.Value("follow") == "no" {
		method, done = http.MethodDelete, "unfollowed"
	}
	var res yhttp.WriteResult
	err = w.call(c, apiRequest{method: method, path: "/v1/me/follows/proposal-" + id, idempotencyKey: f.Value("key")}, &res)
	if f.refused(err) {
		return w.showSupport(c, http.StatusConflict, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/proposals/%s/support?done=%s", id, done))
}

// voteData is the vote page's data.
type voteData struct {
	M domain.MeetingState
	// Motions are the motions open for the visitor's vote.
	Motions []openMotion
	Form    form
	Key     string
}

// openMotion is a motion the visitor may vote on, with their ballot.
type openMotion struct {
	domain.Motion
	// Ballot is the visitor's current choice ("" before voting; also for
	// a secret motion, whose choice no one but an auditor reads back).
	Ballot string
	Voted  bool
}

// votePage shows a meeting's open motions with the visitor's ballots.
func (w *Web) votePage(c echo.Context) error {
	if sessionOf(c) == nil {
		return signInFirst(c)
	}
	return w.showVote(c, http.StatusOK, newForm(c))
}

func (w *Web) showVote(c echo.Context, status int, f form) error {
	id, err := pathUUID(c)
	if err != nil {
		return err
	}
	m, err := w.readMeeting(c, id)
	if err != nil {
		return err
	}
	mp, err := w.myPart(c)
	if err != nil {
		return err
	}
	d := voteData{M: m, Form: f, Key: newKey()}
	for _, mo := range m.Motions {
		if mo.Status != domain.StatusVoting || !mp.mayVote(id, mo.MotionID) {
			continue
		}
		om := openMotion{Motion: mo}
		om.Ballot, om.Voted = mp.ballotOf(id, mo.MotionID)
		d.Motions = append(d.Motions, om)
	}
	return w.render(c, status, "vote", Page{Title: w.lang(c).T("vote.title"), Nav: "mine", Data: d})
}

// vote casts or changes the visitor's ballot (POST
// /v1/meetings/{id}/motions/{motion}/votes).
func (w *Web) vote(c echo.Context) error {
	if sessionOf(c) == nil {
		return signInFirst(c)
	}
	id, err := pathUUID(c)
	if err != nil {
		return err
	}
	f := newForm(c)
	motion := f.Value("motion")
	if motion == "" || len(motion) > 100 || !safeSlug(motion) {
		f.Problem = w.lang(c).T("vote.nomotion")
		return w.showVote(c, http.StatusUnprocessableEntity, f)
	}
	var res yhttp.WriteResult
	err = w.call(c, apiRequest{method: http.MethodPost, path: "/v1/meetings/" + id + "/motions/" + motion + "/votes",
		body: map[string]string{"option_id": f.Value("option_id")}, idempotencyKey: f.Value("key")}, &res)
	if f.refused(err, "option_id") {
		return w.showVote(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/meetings/%s/vote?done=voted#m-%s", id, motion))
}

// safeSlug reports whether s is made of the characters an id may have, so
// that it can go into an API path.
func safeSlug(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == ':') {
			return false
		}
	}
	return true
}

// verifyData is the verification page's data.
type verifyData struct {
	A    domain.ActionState
	Form form
	Key  string
}

// verifyPage shows a completed action with the form to say whether the
// outcome is satisfactory.
func (w *Web) verifyPage(c echo.Context) error {
	if sessionOf(c) == nil {
		return signInFirst(c)
	}
	return w.showVerify(c, http.StatusOK, newForm(c))
}

func (w *Web) showVerify(c echo.Context, status int, f form) error {
	id, err := pathUUID(c)
	if err != nil {
		return err
	}
	a, err := w.readAction(c, id)
	if err != nil {
		return err
	}
	return w.render(c, status, "verify", Page{Title: w.lang(c).T("verify.title"), Nav: "mine", Data: verifyData{A: a, Form: f, Key: newKey()}})
}

// verifyFields are the verification form's fields, named as the API's.
var verifyFields = []string{"satisfied", "reason", "photos"}

// verify records the visitor's verdict (POST /v1/actions/{id}/verify):
// satisfied closes the loop, not satisfied reopens the action and its
// proposal.
func (w *Web) verify(c echo.Context) error {
	if sessionOf(c) == nil {
		return signInFirst(c)
	}
	id, err := pathUUID(c)
	if err != nil {
		return err
	}
	f := newForm(c)
	photos, refused, err := w.formPhotos(c, &f)
	if refused {
		return w.showVerify(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	body := map[string]any{"reason": f.Value("reason"), "photos": photos}
	switch f.Value("satisfied") {
	case "yes":
		body["satisfied"] = true
	case "no":
		body["satisfied"] = false
	}
	var res yhttp.WriteResult
	err = w.call(c, apiRequest{method: http.MethodPost, path: "/v1/actions/" + id + "/verify", body: body, idempotencyKey: f.Value("key")}, &res)
	if f.refused(err, verifyFields...) {
		return w.showVerify(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/mine?done=verified&wait_for=%d", res.HeadPosition))
}
