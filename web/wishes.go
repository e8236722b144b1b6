package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/domain"
	yhttp "github.com/yishi-civic/yishi/http"
	"github.com/yishi-civic/yishi/projections"
)

// The small wishes' pages (微心愿): the public list, where a signed-in
// resident claims a wish, the claimer releases it or marks it fulfilled,
// and the wish-maker confirms it; and the form to post one (staff post for
// a resident). They read and write through the API only: the list is the
// API's, so a visitor who is not staff never receives who made a wish.

// wishCard is one wish as the list shows it, with what the visitor may do.
type wishCard struct {
	ID, Title, Category, Grid, Status, StatusCode string
	Posted                                        string
	// Claimer names who claimed it, As how (neighbour, party member,
	// unit), as the API gives them (masked for the public).
	Claimer, As string
	// WishMaker is read by staff only (the API leaves it out otherwise).
	WishMaker string
	Mine      bool
	MyClaim   bool
	// What the visitor may do; the API stays the judge.
	CanClaim, CanRelease, CanFulfil, CanConfirm, CanCancel bool
	// Unit is set when the visitor claims for a unit.
	Unit bool
	// Problem is the API's refusal of the visitor's last action on it.
	Problem string
}

// wishesData is the list page's data.
type wishesData struct {
	Wishes []wishCard
	// Show is "" (every wish), "open" or "mine".
	Show     string
	SignedIn bool
	// CanPost is set for residents and staff.
	CanPost bool
	Key     string
}

// wishCommands are the actions the list's forms post, as the API names
// them.
var wishCommands = []string{"claim", "release", "fulfil", "confirm", "cancel"}

// wishNotices confirm an action after its redirect (?done=).
var wishNotices = []string{"posted", "claim", "release", "fulfil", "confirm", "cancel"}

// wishesPage shows the list.
func (w *Web) wishesPage(c echo.Context) error {
	return w.showWishes(c, http.StatusOK, "", "")
}

// showWishes renders the list, with problem shown on the card of wish
// refused.
func (w *Web) showWishes(c echo.Context, status int, refused, problem string) error {
	l := w.lang(c)
	wd := words{l}
	wh, err := w.where(c)
	if err != nil {
		return err
	}
	s := sessionOf(c)
	d := wishesData{Show: c.QueryParam("show"), SignedIn: s != nil, Key: newKey()}
	q := wh.query()
	switch d.Show {
	case "open":
		q.Set("status", domain.WishStatusOpen)
	case "mine":
		if s == nil {
			return signInFirst(c)
		}
		q.Set("mine", "true")
	default:
		d.Show = ""
	}
	if v := c.QueryParam("wait_for"); v != "" {
		q.Set("wait_for", v)
	}
	var page list[projections.WishItem]
	if err := w.get(c, "/v1/wishes", q, &page); err != nil {
		return err
	}
	unit := false
	if s != nil {
		d.CanPost = s.Staff() || s.Token.Role == auth.RoleResident
		unit = s.Token.Role == auth.RoleUnitRep
	}
	for _, it := range page.Items {
		card := wishCard{ID: it.WishID, Title: it.Title, Category: l.T("wishes.category." + it.Category), Grid: wh.gridName(it.CommunityID, it.GridID),
			Status: l.T("wishes.status." + it.Status), StatusCode: it.Status, Posted: wd.date(it.PostedAt), Mine: it.Mine, MyClaim: it.MyClaim, Unit: unit}
		if it.Claimer != nil && (it.Status == domain.WishStatusClaimed || it.Status == domain.WishStatusFulfilled || it.Status == domain.WishStatusConfirmed) {
			card.Claimer, card.As = it.Claimer.Name, l.T("wishes.as."+it.As)
		}
		if it.WishMaker != nil {
			card.WishMaker = it.WishMaker.Name
		}
		if s != nil {
			writer := s.Token.Role != auth.RoleAuditor
			card.CanClaim = writer && !s.Staff() && !it.Mine && it.Status == domain.WishStatusOpen
			card.CanRelease = it.MyClaim && it.Status == domain.WishStatusClaimed
			card.CanFulfil = card.CanRelease
			card.CanConfirm = it.Mine && it.Status == domain.WishStatusFulfilled
			card.CanCancel = (it.Mine || s.Staff()) && writer && (it.Status == domain.WishStatusOpen || it.Status == domain.WishStatusClaimed)
		}
		if it.WishID == refused {
			card.Problem = problem
		}
		d.Wishes = append(d.Wishes, card)
	}
	p := Page{Title: l.T("wishes.title"), Nav: "wishes", Place: wh.name(), Data: d}
	if done := c.QueryParam("done"); slices.Contains(wishNotices, done) {
		p.Notice = l.T("wishes.notice." + done)
	}
	return w.render(c, status, "wishes", p)
}

// wishCommand posts one of the list's actions (POST /v1/wishes/{id}/{cmd}),
// a fulfilment with its photo uploaded first, and comes back to the wish.
func (w *Web) wishCommand(c echo.Context) error {
	if sessionOf(c) == nil {
		return signInFirst(c)
	}
	id, err := pathUUID(c)
	if err != nil {
		return err
	}
	cmd := c.Param("cmd")
	if !slices.Contains(wishCommands, cmd) {
		return echo.ErrNotFound
	}
	f := newForm(c)
	body := map[string]any{}
	switch cmd {
	case "claim":
		if as := f.Value("as"); as != "" {
			body["as"] = as
		}
	case "release", "cancel":
		body["reason"] = f.Value("reason")
	case "fulfil":
		photos, refused, err := w.formPhotos(c, &f)
		if refused {
			return w.showWishes(c, http.StatusUnprocessableEntity, id, f.Errors["photo"])
		}
		if err != nil {
			return err
		}
		body["note"], body["photos"] = f.Value("note"), photos
	}
	var res yhttp.WriteResult
	err = w.call(c, apiRequest{method: http.MethodPost, path: "/v1/wishes/" + id + "/" + cmd, body: body, idempotencyKey: f.Value("key")}, &res)
	if f.refused(err) {
		return w.showWishes(c, http.StatusConflict, id, f.Problem)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/wishes?%s#w-%s", url.Values{"done": {cmd}, "wait_for": {fmt.Sprint(res.HeadPosition)}}.Encode(), id))
}

// wishFields are the post form's fields, named as the API's.
var wishFields = []string{"title", "category", "story", "grid_id", "door", "wish_maker.person_id", "wish_maker.name"}

// wishFormData is the post form's data.
type wishFormData struct {
	Form       form
	Categories []string
	Grids      []projections.GridPlace
	// Staff post for a resident they name.
	Staff bool
	Key   string
}

// newWishPage shows the form to post a wish.
func (w *Web) newWishPage(c echo.Context) error {
	return w.showWishForm(c, http.StatusOK, newForm(c))
}

func (w *Web) showWishForm(c echo.Context, status int, f form) error {
	s := sessionOf(c)
	if s == nil {
		return signInFirst(c)
	}
	d := wishFormData{Form: f, Categories: domain.WishCategories, Staff: s.Staff(), Key: f.Value("key")}
	if d.Key == "" {
		d.Key = newKey()
	}
	pd, err := w.proposeData(c, f)
	if err != nil {
		return err
	}
	d.Grids = pd.Grids
	return w.render(c, status, "wish_new", Page{Title: w.lang(c).T("wishes.new.title"), Nav: "wishes", Data: d})
}

// postWish posts the wish (POST /v1/wishes) and shows it in the list.
func (w *Web) postWish(c echo.Context) error {
	s := sessionOf(c)
	if s == nil {
		return signInFirst(c)
	}
	f := newForm(c)
	grid := f.Value("grid_id")
	if s.Token.Scope.Grid != "" {
		grid = s.Token.Scope.Grid
	}
	body := map[string]any{"community_id": s.Token.Scope.Community, "grid_id": grid, "title": f.Value("title"), "category": f.Value("category"),
		"story": f.Value("story")}
	if s.Staff() {
		body["wish_maker"] = map[string]string{"person_id": f.Value("wish_maker.person_id"), "name": f.Value("wish_maker.name")}
		body["door"] = f.Value("door")
	}
	var res yhttp.WriteResult
	err := w.call(c, apiRequest{method: http.MethodPost, path: "/v1/wishes", body: body, idempotencyKey: f.Value("key")}, &res)
	if f.refused(err, wishFields...) {
		return w.showWishForm(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/wishes?%s#w-%s", url.Values{"done": {"posted"}, "show": {"mine"}, "wait_for": {fmt.Sprint(res.HeadPosition)}}.Encode(), res.ID))
}
