package http

import (
	nethttp "net/http"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/auth"
)

// Role sets of the routes.
var (
	rolesAdmin = []auth.Role{auth.RoleAdmin}
	// rolesAuditors may read the raw log.
	rolesAuditors = []auth.Role{auth.RoleAdmin, auth.RoleAuditor}
	// rolesWriters is everyone who may change anything at all.
	rolesWriters = []auth.Role{auth.RoleAdmin, auth.RoleFacilitator, auth.RoleGridWorker, auth.RoleResident, auth.RoleUnitRep}
	// rolesFacilitators convene and decide: triage, meetings, actions.
	rolesFacilitators = []auth.Role{auth.RoleAdmin, auth.RoleFacilitator}
	// rolesStaff record for others: visits, attendance, statements.
	rolesStaff = []auth.Role{auth.RoleAdmin, auth.RoleFacilitator, auth.RoleGridWorker}
	// rolesVoters vote and object for themselves.
	rolesVoters = []auth.Role{auth.RoleResident, auth.RoleUnitRep}
	// rolesVotersAndStaff object for themselves (voters) or record the
	// objection someone said aloud or handed in (staff).
	rolesVotersAndStaff = []auth.Role{auth.RoleResident, auth.RoleUnitRep, auth.RoleAdmin, auth.RoleFacilitator, auth.RoleGridWorker}
	// rolesReporters report on actions they carry out.
	rolesReporters = []auth.Role{auth.RoleAdmin, auth.RoleFacilitator, auth.RoleGridWorker, auth.RoleUnitRep}
	// rolesResidentsAndStaff make small wishes: residents for themselves,
	// staff for a resident.
	rolesResidentsAndStaff = []auth.Role{auth.RoleAdmin, auth.RoleFacilitator, auth.RoleGridWorker, auth.RoleResident}
	// rolesResidents support proposals.
	rolesResidents = []auth.Role{auth.RoleResident}
	// rolesVerifiers verify outcomes (residents and unit representatives
	// for themselves, when the ledger counts them among the verifiers) or
	// record a resident's verdict on their behalf (staff).
	rolesVerifiers = rolesWriters
	// rolesReaders is every role: reads that need a token.
	rolesReaders = auth.Roles
)

// route is one entry of the API.
type route struct {
	method, path string
	handler      func(*Server) echo.HandlerFunc
	// roles may use the route; nil makes it public (no token needed).
	roles []auth.Role
}

// h adapts a method expression to a route handler.
func h(f func(*Server, echo.Context) error) func(*Server) echo.HandlerFunc {
	return func(s *Server) echo.HandlerFunc { return func(c echo.Context) error { return f(s, c) } }
}

// api lists the whole API: every route of the service is here.
var api = []route{
	// Operations.
	{"GET", "/healthz", h((*Server).getHealthz), nil},
	{"GET", "/readyz", h((*Server).getReadyz), nil},
	{"GET", "/metrics", h((*Server).getMetrics), rolesAuditors},
	{"GET", "/problems/:slug", h((*Server).getProblemType), nil},

	// Access tokens.
	{"POST", "/v1/tokens", h((*Server).postToken), rolesAdmin},
	{"GET", "/v1/tokens", h((*Server).getTokens), rolesAdmin},
	{"DELETE", "/v1/tokens/:id", h((*Server).deleteToken), rolesAdmin},
	{"DELETE", "/v1/me/token", h((*Server).deleteOwnToken), rolesReaders},

	// Signing in from a browser (docs/web.md).
	{"POST", "/v1/signin-codes", h((*Server).postSignInCode), rolesStaff},
	{"POST", "/v1/sessions", h((*Server).postSession), nil},

	// Organisation.
	{"POST", "/v1/communities", command(toNew, required, registerCommunity), rolesAdmin},
	{"GET", "/v1/communities/:community", h((*Server).getCommunity), rolesReaders},
	{"POST", "/v1/communities/:community/grids", command(toCommunity, required, createGrid), rolesAdmin},
	{"PUT", "/v1/communities/:community/grids/:grid/head", command(toCommunity, required, appointGridHead), rolesAdmin},
	{"POST", "/v1/communities/:community/grids/:grid/workers", command(toCommunity, required, assignGridWorker), rolesAdmin},
	{"POST", "/v1/communities/:community/grids/:grid/workers/:person/removal", command(toCommunity, required, removeGridWorker), rolesAdmin},
	{"POST", "/v1/communities/:community/compounds", command(toCommunity, required, registerCompound), rolesAdmin},
	{"POST", "/v1/communities/:community/compounds/:compound/units", command(toCommunity, required, registerUnit), rolesAdmin},
	{"PUT", "/v1/communities/:community/compounds/:compound/units/:unit/owners", command(toCommunity, required, changeUnitOwners), rolesAdmin},
	{"POST", "/v1/communities/:community/partners", command(toCommunity, required, registerPartner), rolesAdmin},

	// The resource map (资源图谱): volunteers, teams, stations, what units offer.
	{"POST", "/v1/communities/:community/volunteers", command(toCommunity, required, registerVolunteer), rolesFacilitators},
	{"POST", "/v1/communities/:community/teams", command(toCommunity, required, formVolunteerTeam), rolesFacilitators},
	{"POST", "/v1/communities/:community/teams/:team/members", command(toCommunity, required, joinVolunteerTeam), rolesFacilitators},
	{"POST", "/v1/communities/:community/stations", command(toCommunity, required, registerStation), rolesFacilitators},
	{"PUT", "/v1/communities/:community/partners/:partner/offer", command(toCommunity, required, recordPartnerOffer), rolesFacilitators},
	{"GET", "/v1/resources", h((*Server).getResources), nil},
	{"GET", "/v1/resources/helpers", h((*Server).getHelpers), nil},

	// Proposals.
	{"POST", "/v1/proposals", command(toNew, required, submitProposal), rolesWriters},
	{"GET", "/v1/proposals/:id", h((*Server).getProposal), rolesReaders},
	{"POST", "/v1/proposals/:id/support", command(toProposal, optional, supportProposal), rolesResidents},
	{"POST", "/v1/proposals/:id/accept", command(toProposal, optional, acceptProposal), rolesFacilitators},
	{"POST", "/v1/proposals/:id/reject", command(toProposal, required, rejectProposal), rolesFacilitators},
	{"POST", "/v1/proposals/:id/merge", command(toProposal, required, mergeProposal), rolesFacilitators},
	{"POST", "/v1/proposals/:id/withdraw", command(toProposal, optional, withdrawProposal), rolesWriters},
	{"POST", "/v1/proposals/:id/handle-directly", command(toProposal, optional, handleDirectly), rolesStaff},
	{"POST", "/v1/proposals/:id/close", command(toProposal, optional, closeProposal), rolesFacilitators},
	{"POST", "/v1/proposals/:id/reopen", command(toProposal, required, reopenProposal), rolesFacilitators},

	// Meetings.
	{"POST", "/v1/meetings", command(toNew, required, scheduleMeeting), rolesFacilitators},
	{"GET", "/v1/meetings/:id", h((*Server).getMeeting), rolesReaders},
	{"POST", "/v1/meetings/:id/agenda", command(toMeeting, required, addAgendaItem), rolesFacilitators},
	{"POST", "/v1/meetings/:id/participants", command(toMeeting, required, inviteParticipant), rolesStaff},
	{"POST", "/v1/meetings/:id/open", command(toMeeting, optional, openMeeting), rolesFacilitators},
	{"POST", "/v1/meetings/:id/attendance", command(toMeeting, required, recordAttendance), rolesStaff},
	{"POST", "/v1/meetings/:id/statements", command(toMeeting, required, recordStatement), rolesStaff},
	{"POST", "/v1/meetings/:id/motions", command(toMeeting, required, tableMotion), rolesFacilitators},
	{"PUT", "/v1/meetings/:id/motions/:motion", command(toMeeting, required, amendMotion), rolesFacilitators},
	{"POST", "/v1/meetings/:id/motions/:motion/voting", command(toMeeting, optional, openVoting), rolesFacilitators},
	{"POST", "/v1/meetings/:id/motions/:motion/voting/close", command(toMeeting, optional, closeVoting), rolesFacilitators},
	{"POST", "/v1/meetings/:id/motions/:motion/votes", command(toMeeting, required, castVote), rolesVoters},
	{"POST", "/v1/meetings/:id/motions/:motion/ballots", command(toMeeting, required, recordBallots), rolesStaff},
	{"POST", "/v1/meetings/:id/motions/:motion/objections", command(toMeeting, required, raiseMotionObjection), rolesVotersAndStaff},
	{"POST", "/v1/meetings/:id/motions/:motion/objections/withdrawal", command(toMeeting, optional, withdrawMotionObjection), rolesVotersAndStaff},
	{"POST", "/v1/meetings/:id/motions/:motion/consensus", command(toMeeting, required, recordConsensus), rolesFacilitators},
	{"POST", "/v1/meetings/:id/mediations", command(toMeeting, required, offerMediation), rolesFacilitators},
	{"POST", "/v1/meetings/:id/mediations/:mediation/agreement", command(toMeeting, required, agreeMediation), rolesFacilitators},
	{"POST", "/v1/meetings/:id/adjourn", command(toMeeting, optional, adjournMeeting), rolesFacilitators},
	{"GET", "/v1/meetings/:id/minutes", h((*Server).getMinutes), nil},
	{"PUT", "/v1/meetings/:id/minutes/draft", command(toMeeting, required, draftMinutes), rolesStaff},
	{"POST", "/v1/meetings/:id/minutes", command(toMeeting, required, publishMinutes), rolesFacilitators},
	{"POST", "/v1/meetings/:id/minutes/objections", command(toMeeting, required, objectToMinutes), rolesVoters},

	// Actions.
	{"POST", "/v1/actions", command(toNew, required, assignAction), rolesFacilitators},
	{"GET", "/v1/actions/:id", h((*Server).getAction), rolesReaders},
	{"POST", "/v1/actions/:id/accept", command(toAction, optional, acceptAction), rolesWriters},
	{"POST", "/v1/actions/:id/start", command(toAction, optional, startAction), rolesReporters},
	{"POST", "/v1/actions/:id/progress", command(toAction, required, reportProgress), rolesReporters},
	{"POST", "/v1/actions/:id/occurrences", command(toAction, required, recordOccurrence), rolesReporters},
	{"POST", "/v1/actions/:id/block", command(toAction, required, blockAction), rolesReporters},
	{"POST", "/v1/actions/:id/complete", command(toAction, required, completeAction), rolesReporters},
	{"POST", "/v1/actions/:id/verify", command(toAction, required, verifyAction), rolesVerifiers},
	{"POST", "/v1/actions/:id/cancel", command(toAction, required, cancelAction), rolesFacilitators},

	// Volunteer service: 点单—派单—接单, points (积分).
	{"POST", "/v1/services", command(toNew, required, orderService), rolesWriters},
	{"GET", "/v1/services", h((*Server).getServices), nil},
	{"GET", "/v1/services/:id", h((*Server).getService), rolesReaders},
	{"POST", "/v1/services/:id/dispatch", command(toService, required, dispatchService), rolesStaff},
	{"POST", "/v1/services/:id/accept", command(toService, required, acceptService), rolesWriters},
	{"POST", "/v1/services/:id/decline", command(toService, required, declineService), rolesWriters},
	{"POST", "/v1/services/:id/expire", command(toService, required, expireDispatch), rolesStaff},
	{"POST", "/v1/services/:id/done", command(toService, required, reportServiceDone), rolesWriters},
	{"POST", "/v1/services/:id/confirm", command(toService, required, confirmService), rolesWriters},
	{"POST", "/v1/services/:id/cancel", command(toService, required, cancelService), rolesStaff},
	{"GET", "/v1/points", h((*Server).getPoints), nil},
	{"GET", "/v1/communities/:community/points/:person", h((*Server).getPointsAccount), rolesReaders},
	{"POST", "/v1/communities/:community/points/:person/redemptions", command(toCommunity, required, redeemPoints), rolesStaff},

	// Small wishes (微心愿): post, claim (认领), fulfil, confirm.
	{"POST", "/v1/wishes", command(toNew, required, postWish), rolesResidentsAndStaff},
	{"GET", "/v1/wishes", h((*Server).getWishes), nil},
	{"GET", "/v1/wishes/:id", h((*Server).getWish), rolesReaders},
	{"POST", "/v1/wishes/:id/claim", command(toWish, optional, claimWish), rolesWriters},
	{"POST", "/v1/wishes/:id/release", command(toWish, optional, releaseWish), rolesWriters},
	{"POST", "/v1/wishes/:id/fulfil", command(toWish, optional, fulfilWish), rolesWriters},
	{"POST", "/v1/wishes/:id/confirm", command(toWish, optional, confirmWish), rolesResidentsAndStaff},
	{"POST", "/v1/wishes/:id/cancel", command(toWish, required, cancelWish), rolesResidentsAndStaff},

	// Views.
	{"GET", "/v1/board", h((*Server).getBoard), nil},
	{"GET", "/v1/board/grids", h((*Server).getBoardGrids), nil},
	{"GET", "/v1/register", h((*Server).getRegister), nil},
	{"GET", "/v1/register/:meeting/:decision", h((*Server).getDecision), nil},
	{"GET", "/v1/outcomes", h((*Server).getOutcomes), nil},
	{"GET", "/v1/proposals/:id/timeline", h((*Server).getTimeline), nil},
	{"GET", "/v1/stats", h((*Server).getStats), nil},
	{"GET", "/v1/reports/street", h((*Server).getStreetReport), rolesAuditors},
	{"GET", "/v1/places", h((*Server).getPlaces), nil},
	{"GET", "/v1/calendar", h((*Server).getCalendar), nil},
	{"GET", "/v1/meetings/:id/live", h((*Server).getLiveMeeting), rolesReaders},
	{"GET", "/v1/meetings/:id/live/stream", h((*Server).getLiveMeetingStream), rolesReaders},

	// Attachments.
	{"POST", "/v1/attachments", h((*Server).postAttachment), rolesWriters},
	{"GET", "/v1/attachments/:sha256", h((*Server).getAttachment), nil},

	// Personal data (PIPL arts. 45 and 47; docs/privacy.md).
	{"POST", "/v1/persons/:person/erasure", h((*Server).postErasure), rolesAdmin},
	{"GET", "/v1/persons/:person/export", h((*Server).getPersonExport), rolesAdmin},
	{"GET", "/v1/me/export", h((*Server).getOwnExport), rolesReaders},
	{"GET", "/v1/retention", h((*Server).getRetention), rolesAdmin},
	{"POST", "/v1/retention", h((*Server).postRetention), rolesAdmin},

	// Notifications (docs/notifications.md): the caller's own, and anyone's for auditors.
	{"GET", "/v1/me/notifications", h((*Server).getOwnInbox), rolesReaders},
	{"POST", "/v1/me/notifications/seen", h((*Server).postInboxSeen), rolesWriters},
	{"GET", "/v1/me/notification-settings", h((*Server).getNotificationSettings), rolesReaders},
	{"PUT", "/v1/me/notification-settings", h((*Server).putNotificationSettings), rolesWriters},
	{"PUT", "/v1/me/follows/:item", h((*Server).putFollow), rolesWriters},
	{"DELETE", "/v1/me/follows/:item", h((*Server).deleteFollow), rolesWriters},
	{"POST", "/v1/me/push-subscriptions", h((*Server).postPushSubscription), rolesWriters},
	{"DELETE", "/v1/me/push-subscriptions/:device", h((*Server).deletePushSubscription), rolesWriters},
	{"GET", "/v1/persons/:person/notifications", h((*Server).getPersonInbox), rolesAuditors},
	{"GET", "/v1/notifications/:id", h((*Server).getNotificationDeliveries), rolesAuditors},

	// The raw log.
	{"GET", "/v1/events/live", h((*Server).getEventFeed), rolesAuditors},

	// Proofs anyone can check (docs/audit.md).
	{"GET", "/v1/checkpoint", h((*Server).getCheckpoint), nil},
	{"GET", "/v1/checkpoint/key", h((*Server).getCheckpointKey), nil},
	{"GET", "/v1/proofs/inclusion", h((*Server).getInclusionProof), nil},
	{"GET", "/v1/proofs/consistency", h((*Server).getConsistencyProof), nil},
	{"GET", "/v1/proofs/decisions/:meeting/:decision", h((*Server).getDecisionProof), nil},
	{"GET", "/v1/log", h((*Server).getLog), rolesAuditors},
	{"GET", "/v1/checkpoints", h((*Server).getCheckpoints), nil},
	{"POST", "/v1/checkpoints/cosigned", h((*Server).postCosigned), nil},
	{"GET", "/v1/witnesses", h((*Server).getWitnesses), nil},
	{"PUT", "/v1/witnesses/:witness", h((*Server).putWitness), rolesAdmin},

	// The auditor's door (docs/audit.md): the log searched, the verification run.
	{"GET", "/v1/events", h((*Server).getEvents), rolesAuditors},
	{"GET", "/v1/verification/stream", h((*Server).getVerification), rolesAuditors},
}

// routes registers api on the server's echo instance.
func (s *Server) routes() {
	s.echo.Use(requestID, s.observe, recoverPanics, s.authenticate, s.rateLimit, checkPathParams)
	for _, r := range api {
		var mw []echo.MiddlewareFunc
		if longLived[r.path] {
			mw = append(mw, s.streamDeadlines)
		}
		if uploads[r.path] && r.method == nethttp.MethodPost {
			mw = append(mw, s.uploadDeadlines)
		}
		if r.roles != nil {
			mw = append(mw, allow(r.roles...))
		}
		s.echo.Add(r.method, r.path, r.handler(s), mw...)
		// HEAD answers as GET does, without the body (net/http drops it);
		// live streams never end, so they have none.
		if r.method == nethttp.MethodGet && !strings.HasSuffix(r.path, "/stream") && r.path != "/v1/events/live" {
			s.echo.Add(nethttp.MethodHead, r.path, r.handler(s), mw...)
		}
	}
}

// checkPathParams refuses malformed path parameters before anything else:
// "id" must be a UUID (checked by the handlers, which parse it), every
// other parameter an organisation-style id.
func checkPathParams(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		for _, name := range c.ParamNames() {
			switch name {
			case "id", "sha256", "slug":
			default:
				if _, err := pathSlug(c, name); err != nil {
					return err
				}
			}
		}
		return next(c)
	}
}
