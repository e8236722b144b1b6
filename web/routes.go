package web

import (
	"github.com/labstack/echo/v4"
)

// route is one page (or form target) of the web door.
type route struct {
	method, path string
	handler      func(*Web) echo.HandlerFunc
}

// p adapts a method expression to a route handler.
func p(f func(*Web, echo.Context) error) func(*Web) echo.HandlerFunc {
	return func(w *Web) echo.HandlerFunc { return func(c echo.Context) error { return f(w, c) } }
}

// routes lists every page: one line per route, as http/routes.go lists the
// API. A GET route also answers HEAD. Path parameters follow the API's
// rule (http.checkPathParams): ":id" is a UUID the handler parses, any
// other name an organisation-style slug. No path may lie under the API's
// (http.APIPath).
var routes = []route{
	// The public pages (pages_public.go, pages_story.go; docs/pages.md).
	{"GET", "/", p((*Web).publicHome)},
	{"GET", "/board", p((*Web).publicBoard)},
	{"GET", "/register", p((*Web).publicRegister)},
	{"GET", "/proposals/:id", p((*Web).publicStory)},
	{"GET", "/outcomes", p((*Web).publicOutcomes)},
	{"GET", "/meetings/:id/minutes", p((*Web).publicMinutes)},
	{"GET", "/stats", p((*Web).publicStats)},
	{"GET", "/check/decisions/:meeting/:decision", p((*Web).checkDecision)},

	// Signing in and out (signin.go), and staff issuing sign-in links.
	{"GET", "/signin", p((*Web).signInPage)},
	{"POST", "/signin", p((*Web).signIn)},
	{"POST", "/signout", p((*Web).signOut)},
	{"GET", "/staff/signin-codes", p((*Web).codesPage)},
	{"POST", "/staff/signin-codes", p((*Web).issueCode)},

	// Staff pages (staff_*.go): work queue and triage, meetings and their
	// live console, the projector view, actions. Every POST is one API
	// command (staff_command.go).
	{"GET", "/staff", staffPage((*Web).queue)},
	{"GET", "/staff/people", staffPage((*Web).people)},
	{"GET", "/staff/intake", staffPage((*Web).intake)},
	{"POST", "/staff/intake", staffPage(doCommand("intake"))},
	{"GET", "/staff/proposals/:id", staffPage((*Web).proposal)},
	{"POST", "/staff/proposals/:id/:cmd", staffPage(doCommand(""))},
	{"GET", "/staff/meetings/new", staffPage((*Web).newMeeting)},
	{"POST", "/staff/meetings", staffPage(doCommand("schedule"))},
	{"GET", "/staff/meetings/:id", staffPage((*Web).meeting)},
	{"GET", "/staff/meetings/:id/console", staffPage((*Web).console)},
	{"GET", "/staff/meetings/:id/events", staffPage((*Web).meetingEvents)},
	{"GET", "/staff/meetings/:id/projector", staffPage((*Web).projector)},
	{"GET", "/staff/meetings/:id/minutes", staffPage((*Web).staffMinutes)},
	{"POST", "/staff/meetings/:id/:cmd", staffPage(doCommand(""))},
	{"GET", "/staff/actions", staffPage((*Web).actions)},
	{"GET", "/staff/actions/new", staffPage((*Web).newAction)},
	{"POST", "/staff/actions", staffPage(doCommand("assign"))},
	{"GET", "/staff/actions/:id", staffPage((*Web).action)},
	{"POST", "/staff/actions/:id/:cmd", staffPage(doCommand(""))},

	// The resource map and the volunteer service, staff's side
	// (resources.go, staff_services.go): registering volunteers, teams,
	// stations and offers; the dispatch queue (派单), an order's page,
	// ordering for a resident; points accounts and redemptions.
	{"GET", "/staff/resources", staffPage((*Web).staffResources)},
	{"POST", "/staff/resources/:cmd", staffPage(doCommand(""))},
	{"GET", "/staff/services", staffPage((*Web).staffServices)},
	{"GET", "/staff/services/new", staffPage((*Web).newService)},
	{"POST", "/staff/services", staffPage(doCommand("order"))},
	{"GET", "/staff/services/:id", staffPage((*Web).staffService)},
	{"POST", "/staff/services/:id/:cmd", staffPage(doCommand(""))},
	{"GET", "/staff/points", staffPage((*Web).staffPoints)},
	{"GET", "/staff/points/:person", staffPage((*Web).staffAccount)},
	{"POST", "/staff/points/:person/redeem", staffPage(doCommand("points/redeem"))},

	// Personal data (staff_persons.go, docs/privacy.md): admins without a
	// community scope find a person, export and erase their data, and
	// apply the retention rules. Each POST is one API command.
	{"GET", "/staff/persons", erasesPage((*Web).findPerson)},
	{"GET", "/staff/persons/:person", erasesPage(personPage("staff_person", "erasure.person.title"))},
	{"GET", "/staff/persons/:person/export", erasesPage((*Web).personExport)},
	{"GET", "/staff/persons/:person/erase", erasesPage(personPage("staff_erase", "erasure.confirm.title"))},
	{"POST", "/staff/persons/:person/erasure", erasesPage(confirmed("confirm", doCommand("persons/erasure")))},
	{"GET", "/staff/retention", erasesPage((*Web).retention)},
	{"POST", "/staff/retention", erasesPage(confirmed("confirm", (*Web).runRetention))},

	// Residents taking part (propose.go, takepart.go, mine.go).
	{"GET", "/propose", p((*Web).proposePage)},
	{"POST", "/propose", p((*Web).propose)},
	{"GET", "/proposals/:id/support", p((*Web).supportPage)},
	{"POST", "/proposals/:id/support", p((*Web).support)},
	{"POST", "/proposals/:id/follow", p((*Web).follow)},
	{"GET", "/meetings/:id/vote", p((*Web).votePage)},
	{"POST", "/meetings/:id/vote", p((*Web).vote)},
	{"GET", "/actions/:id/verify", p((*Web).verifyPage)},
	{"POST", "/actions/:id/verify", p((*Web).verify)},
	{"GET", "/mine", p((*Web).mine)},

	// The resource map (资源图谱), public; the volunteer service for
	// residents and volunteers: 点单, 接单, done, confirm, points
	// (resources.go, services.go).
	{"GET", "/resources", p((*Web).publicResources)},
	{"GET", "/services", p((*Web).servicesPage)},
	{"GET", "/services/order", p((*Web).orderPage)},
	{"POST", "/services/order", p((*Web).order)},
	{"POST", "/services/:id/:cmd", p((*Web).answerService)},
	{"GET", "/services/points", p((*Web).myPoints)},

	// Small wishes (微心愿, wishes.go): the public list, claiming,
	// fulfilling and confirming from it, and the form to post one.
	{"GET", "/wishes", p((*Web).wishesPage)},
	{"GET", "/wishes/new", p((*Web).newWishPage)},
	{"POST", "/wishes", p((*Web).postWish)},
	{"POST", "/wishes/:id/:cmd", p((*Web).wishCommand)},

	// The auditor's door (audit*.go, docs/audit.md): auditors and admins.
	{"GET", "/audit", auditPage((*Web).auditHome)},
	{"GET", "/audit/travel", auditPage((*Web).travel)},
	{"GET", "/audit/events", auditPage((*Web).explorer)},
	{"GET", "/audit/compare", auditPage((*Web).compare)},
	{"GET", "/audit/verify", auditPage((*Web).proofsPage)},
	{"GET", "/audit/verify/stream", auditPage((*Web).verifyStream)},
	{"GET", "/audit/export.jsonl", auditPage((*Web).downloadExport)},
	{"GET", "/audit/register.csv", auditPage((*Web).downloadRegister)},
	{"GET", "/audit/outcomes.csv", auditPage((*Web).downloadOutcomes)},
	{"GET", "/audit/report", auditPage((*Web).streetReport)},
	{"GET", "/audit/report.csv", auditPage((*Web).downloadReport)},

	// A resident's notifications (notifications.go, docs/notifications.md).
	{"GET", "/notifications", p((*Web).notificationsPage)},
	{"POST", "/notifications/seen", p((*Web).notificationsSeen)},
	{"POST", "/notifications/settings", p((*Web).notificationSettings)},
	{"POST", "/notifications/push", p((*Web).notificationsPush)},
}
