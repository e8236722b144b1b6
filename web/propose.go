package web

import (
	"fmt"
	"io"
	"mime/multipart"
	"net/http"

	"github.com/labstack/echo/v4"
	yhttp "github.com/yishi-civic/yishi/http"
	"github.com/yishi-civic/yishi/projections"
)

// proposeFields are the proposal form's fields, named as the API's.
var proposeFields = []string{"title", "text", "category", "place", "grid_id", "channel", "photos"}

// categories are the kinds of proposal the form offers (the API takes
// any short text; these are the seed's).
var categories = []string{"environment", "traffic", "safety", "facilities", "heating", "neighbourhood", "dispute", "other"}

// maxPhoto bounds a photo the pages accept (the API's own limit).
const maxPhoto = 8 << 20

// proposeData is the proposal form's data.
type proposeData struct {
	Form       form
	Categories []string
	// Grids are the grids the visitor may propose in: their scope's, or
	// every grid of their community.
	Grids []projections.GridPlace
	// Key makes a second post of the same form (a double tap) answer the
	// first one's result instead of submitting twice.
	Key string
}

// proposePage shows the proposal form.
func (w *Web) proposePage(c echo.Context) error {
	if sessionOf(c) == nil {
		return signInFirst(c)
	}
	d, err := w.proposeData(c, newForm(c))
	if err != nil {
		return err
	}
	return w.render(c, http.StatusOK, "propose", Page{Title: w.lang(c).T("propose.title"), Nav: "propose", Data: d})
}

// propose submits the proposal (POST /v1/proposals), after uploading its
// photo (POST /v1/attachments), and shows it among the visitor's items.
func (w *Web) propose(c echo.Context) error {
	s := sessionOf(c)
	if s == nil {
		return signInFirst(c)
	}
	f := newForm(c)
	photos, refused, err := w.formPhotos(c, &f)
	if refused {
		return w.proposeAgain(c, f)
	}
	if err != nil {
		return err
	}
	grid := f.Value("grid_id")
	if s.Token.Scope.Grid != "" {
		grid = s.Token.Scope.Grid
	}
	body := map[string]any{
		"community_id": s.Token.Scope.Community, "grid_id": grid,
		"title": f.Value("title"), "text": f.Value("text"), "category": f.Value("category"),
		"place": f.Value("place"), "channel": f.Value("channel"), "photos": photos,
	}
	var res yhttp.WriteResult
	err = w.call(c, apiRequest{method: http.MethodPost, path: "/v1/proposals", body: body, idempotencyKey: f.Value("key")}, &res)
	if f.refused(err, proposeFields...) {
		return w.proposeAgain(c, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/mine?done=proposed&wait_for=%d#p-%s", res.HeadPosition, res.ID))
}

// proposeAgain shows the form again with what was typed and why it was
// refused.
func (w *Web) proposeAgain(c echo.Context, f form) error {
	d, err := w.proposeData(c, f)
	if err != nil {
		return err
	}
	return w.render(c, http.StatusUnprocessableEntity, "propose", Page{Title: w.lang(c).T("propose.title"), Nav: "propose", Data: d})
}

// proposeData gathers what the form offers.
func (w *Web) proposeData(c echo.Context, f form) (proposeData, error) {
	d := proposeData{Form: f, Categories: categories, Key: f.Value("key")}
	if d.Key == "" {
		d.Key = newKey()
	}
	s := sessionOf(c)
	var places struct {
		Places []projections.Place `json:"places"`
	}
	if err := w.get(c, "/v1/places", nil, &places); err != nil {
		return d, err
	}
	for _, p := range places.Places {
		if p.CommunityID != s.Token.Scope.Community {
			continue
		}
		for _, g := range p.Grids {
			if s.Token.Scope.Grid == "" || s.Token.Scope.Grid == g.GridID {
				d.Grids = append(d.Grids, g)
			}
		}
	}
	return d, nil
}

// formPhotos returns the photo references a form carries: those uploaded
// with an earlier, refused post (hidden "photos") and the file in "photo",
// uploaded now (POST /v1/attachments) and kept in f for a post again.
// refused says the API refused the file, its problem set on f's "photo".
func (w *Web) formPhotos(c echo.Context, f *form) (photos []string, refused bool, err error) {
	photos = f.Values["photos"]
	fh, ferr := c.FormFile("photo")
	if ferr != nil || fh.Size == 0 {
		return photos, false, nil
	}
	sum, err := w.upload(c, fh)
	if f.refused(err, "photo") {
		f.Errors["photo"] = f.Problem
		f.Problem = ""
		return photos, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	photos = append(photos, sum)
	f.Values["photos"] = photos
	return photos, false, nil
}

// upload stores a photo through the API and returns its reference.
func (w *Web) upload(c echo.Context, fh *multipart.FileHeader) (string, error) {
	if fh.Size > maxPhoto {
		l := w.lang(c)
		return "", &apiError{Problem: yhttp.Problem{Status: http.StatusRequestEntityTooLarge, Title: l.T("problem.too-large"), Detail: l.T("propose.photo.toolarge")}}
	}
	file, err := fh.Open()
	if err != nil {
		return "", fmt.Errorf("web: read the photo: %w", err)
	}
	defer file.Close()
	raw, err := io.ReadAll(io.LimitReader(file, maxPhoto+1))
	if err != nil {
		return "", fmt.Errorf("web: read the photo: %w", err)
	}
	var a yhttp.Attachment
	if err := w.call(c, apiRequest{method: http.MethodPost, path: "/v1/attachments", raw: raw, contentType: fh.Header.Get(echo.HeaderContentType)}, &a); err != nil {
		return "", err
	}
	return a.SHA256, nil
}
