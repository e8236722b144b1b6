package web

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"

	"github.com/labstack/echo/v4"

	"github.com/yishi-civic/yishi/domain"
	yhttp "github.com/yishi-civic/yishi/http"
)

// notificationsData is the notifications page's data: the visitor's inbox
// (the bell) and their settings.
type notificationsData struct {
	Inbox    yhttp.InboxAnswer
	Settings yhttp.NotificationSettingsAnswer
	// Channels are the external channels the service offers, checked when
	// chosen; Digests the digest choices, one selected.
	Channels, Digests []choice
	Form              form
}

// choice is one checkbox or option of the settings form.
type choice struct {
	Value   string
	Checked bool
}

// notificationsPage shows the visitor's notifications, newest first, the
// ones since their last visit marked, and their settings.
func (w *Web) notificationsPage(c echo.Context) error {
	if sessionOf(c) == nil {
		return signInFirst(c)
	}
	return w.showNotifications(c, http.StatusOK, form{Values: url.Values{}, Errors: map[string]string{}})
}

func (w *Web) showNotifications(c echo.Context, status int, f form) error {
	var d notificationsData
	q := waitFor(c)
	if err := w.get(c, "/v1/me/notifications", q, &d.Inbox); err != nil {
		return err
	}
	if err := w.get(c, "/v1/me/notification-settings", q, &d.Settings); err != nil {
		return err
	}
	d.Form = f
	chosen := d.Settings.Settings.Channels
	for _, ch := range d.Settings.Channels {
		d.Channels = append(d.Channels, choice{Value: ch, Checked: chosen == nil || slices.Contains(chosen, ch)})
	}
	for _, dg := range []string{domain.DigestOff, domain.DigestDaily, domain.DigestWeekly} {
		d.Digests = append(d.Digests, choice{Value: dg, Checked: dg == d.Settings.Settings.Digest})
	}
	return w.render(c, status, "notifications", Page{Title: w.lang(c).T("notifications.title"), Nav: "notifications", Data: d,
		Unread: d.Inbox.Unread, bellKnown: true})
}

// notificationsSeen records the visit: everything in the inbox is read.
func (w *Web) notificationsSeen(c echo.Context) error {
	if sessionOf(c) == nil {
		return signInFirst(c)
	}
	var res yhttp.WriteResult
	if err := w.call(c, apiRequest{method: http.MethodPost, path: "/v1/me/notifications/seen"}, &res); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/notifications?wait_for=%d", res.HeadPosition))
}

// notificationSettings saves the visitor's settings.
func (w *Web) notificationSettings(c echo.Context) error {
	if sessionOf(c) == nil {
		return signInFirst(c)
	}
	f := newForm(c)
	body := map[string]any{"channels": f.Values["channels"], "quiet_from": f.Value("quiet_from"), "quiet_to": f.Value("quiet_to"),
		"digest": f.Value("digest"), "language": f.Value("language"), "contact": f.Value("contact")}
	if f.Values["channels"] == nil {
		body["channels"] = []string{}
	}
	var res yhttp.WriteResult
	err := w.call(c, apiRequest{method: http.MethodPut, path: "/v1/me/notification-settings", body: body}, &res)
	if f.refused(err, "settings.quiet_from", "settings.quiet_to", "settings.digest", "settings.language", "settings.channels", "contact") {
		return w.showNotifications(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, fmt.Sprintf("/notifications?done=saved&wait_for=%d", res.HeadPosition))
}

// notificationsPush registers the visitor's browser for Web Push: app.js
// posts the browser's PushSubscription (JSON, with the CSRF header), which
// goes to the API as it is; the API's answer (or refusal) is returned.
func (w *Web) notificationsPush(c echo.Context) error {
	if sessionOf(c) == nil {
		return signInFirst(c)
	}
	raw, err := io.ReadAll(io.LimitReader(c.Request().Body, 8<<10))
	if err != nil {
		return fmt.Errorf("web: read push subscription: %w", err)
	}
	var res yhttp.WriteResult
	if err := w.call(c, apiRequest{method: http.MethodPost, path: "/v1/me/push-subscriptions", raw: raw, contentType: echo.MIMEApplicationJSON}, &res); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, res)
}
