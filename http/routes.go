package http

import (
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
	// rolesReporters report on actions they carry out.
	rolesReporters = []auth.Role{auth.RoleAdmin, auth.RoleFacilitator, auth.RoleGridWorker, auth.RoleUnitRep}
	// rolesResidents support proposals and verify outcomes.
	rolesResidents = []auth.Role{auth.RoleResident}
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
	{"GET", "/metrics", h((*Server).getMetrics), nil},
	{"GET", "/problems/:slug", h((*Server).getProblemType), nil},

	// Access tokens.
	{"POST", "/v1/tokens", h((*Server).postToken), rolesAdmin},
	{"GET", "/v1/tokens", h((*Server).getTokens), rolesAdmin},
	{"DELETE", "/v1/tokens/:id", h((*Server).deleteToken), rolesAdmin},

	// Organisation.
	{"POST", "/v1/communities", h((*Server).postCommunity), rolesAdmin},
	{"GET", "/v1/communities/:community", h((*Server).getCommunity), rolesReaders},
	{"POST", "/v1/communities/:community/grids", h((*Server).postGrid), rolesAdmin},
	{"PUT", "/v1/communities/:community/grids/:grid/head", h((*Server).putGridHead), rolesAdmin},
	{"POST", "/v1/communities/:community/grids/:grid/workers", h((*Server).postGridWorker), rolesAdmin},
	{"POST", "/v1/communities/:community/grids/:grid/workers/:person/removal", h((*Server).postGridWorkerRemoval), rolesAdmin},
	{"POST", "/v1/communities/:community/compounds", h((*Server).postCompound), rolesAdmin},
	{"POST", "/v1/communities/:community/compounds/:compound/units", h((*Server).postUnit), rolesAdmin},
	{"PUT", "/v1/communities/:community/compounds/:compound/units/:unit/owners", h((*Server).putUnitOwners), rolesAdmin},
	{"POST", "/v1/communities/:community/partners", h((*Server).postPartner), rolesAdmin},

	// Proposals.
	{"POST", "/v1/proposals", h((*Server).postProposal), rolesWriters},
	{"GET", "/v1/proposals/:id", h((*Server).getProposal), rolesReaders},
	{"POST", "/v1/proposals/:id/support", h((*Server).postProposalSupport), rolesResidents},
	{"POST", "/v1/proposals/:id/accept", h((*Server).postProposalAccept), rolesFacilitators},
	{"POST", "/v1/proposals/:id/reject", h((*Server).postProposalReject), rolesFacilitators},
	{"POST", "/v1/proposals/:id/merge", h((*Server).postProposalMerge), rolesFacilitators},
	{"POST", "/v1/proposals/:id/withdraw", h((*Server).postProposalWithdraw), rolesWriters},
	{"POST", "/v1/proposals/:id/handle-directly", h((*Server).postProposalHandleDirectly), rolesStaff},
	{"POST", "/v1/proposals/:id/close", h((*Server).postProposalClose), rolesFacilitators},
	{"POST", "/v1/proposals/:id/reopen", h((*Server).postProposalReopen), rolesFacilitators},

	// Meetings.
	{"POST", "/v1/meetings", h((*Server).postMeeting), rolesFacilitators},
	{"GET", "/v1/meetings/:id", h((*Server).getMeeting), rolesReaders},
	{"POST", "/v1/meetings/:id/agenda", h((*Server).postAgendaItem), rolesFacilitators},
	{"POST", "/v1/meetings/:id/participants", h((*Server).postParticipant), rolesStaff},
	{"POST", "/v1/meetings/:id/open", h((*Server).postMeetingOpen), rolesFacilitators},
	{"POST", "/v1/meetings/:id/attendance", h((*Server).postAttendance), rolesStaff},
	{"POST", "/v1/meetings/:id/statements", h((*Server).postStatement), rolesStaff},
	{"POST", "/v1/meetings/:id/motions", h((*Server).postMotion), rolesFacilitators},
	{"PUT", "/v1/meetings/:id/motions/:motion", h((*Server).putMotion), rolesFacilitators},
	{"POST", "/v1/meetings/:id/motions/:motion/voting", h((*Server).postOpenVoting), rolesFacilitators},
	{"POST", "/v1/meetings/:id/motions/:motion/voting/close", h((*Server).postCloseVoting), rolesFacilitators},
	{"POST", "/v1/meetings/:id/motions/:motion/votes", h((*Server).postVote), rolesVoters},
	{"POST", "/v1/meetings/:id/motions/:motion/objections", h((*Server).postMotionObjection), rolesVoters},
	{"POST", "/v1/meetings/:id/motions/:motion/objections/withdrawal", h((*Server).postMotionObjectionWithdrawal), rolesVoters},
	{"POST", "/v1/meetings/:id/motions/:motion/consensus", h((*Server).postConsensus), rolesFacilitators},
	{"POST", "/v1/meetings/:id/mediations", h((*Server).postMediation), rolesFacilitators},
	{"POST", "/v1/meetings/:id/mediations/:mediation/agreement", h((*Server).postMediationAgreement), rolesFacilitators},
	{"POST", "/v1/meetings/:id/adjourn", h((*Server).postAdjourn), rolesFacilitators},
	{"POST", "/v1/meetings/:id/minutes", h((*Server).postMinutes), rolesFacilitators},
	{"POST", "/v1/meetings/:id/minutes/objections", h((*Server).postMinutesObjection), rolesVoters},

	// Actions.
	{"POST", "/v1/actions", h((*Server).postAction), rolesFacilitators},
	{"GET", "/v1/actions/:id", h((*Server).getAction), rolesReaders},
	{"POST", "/v1/actions/:id/start", h((*Server).postActionStart), rolesReporters},
	{"POST", "/v1/actions/:id/progress", h((*Server).postActionProgress), rolesReporters},
	{"POST", "/v1/actions/:id/occurrences", h((*Server).postActionOccurrence), rolesReporters},
	{"POST", "/v1/actions/:id/block", h((*Server).postActionBlock), rolesReporters},
	{"POST", "/v1/actions/:id/complete", h((*Server).postActionComplete), rolesReporters},
	{"POST", "/v1/actions/:id/verify", h((*Server).postActionVerify), rolesResidents},
	{"POST", "/v1/actions/:id/cancel", h((*Server).postActionCancel), rolesFacilitators},

	// Views.
	{"GET", "/v1/board", h((*Server).getBoard), rolesReaders},
	{"GET", "/v1/board/grids", h((*Server).getBoardGrids), rolesReaders},
	{"GET", "/v1/register", h((*Server).getRegister), nil},
	{"GET", "/v1/register/:meeting/:decision", h((*Server).getDecision), nil},
	{"GET", "/v1/outcomes", h((*Server).getOutcomes), rolesReaders},
	{"GET", "/v1/proposals/:id/timeline", h((*Server).getTimeline), nil},
	{"GET", "/v1/stats", h((*Server).getStats), nil},
	{"GET", "/v1/meetings/:id/live", h((*Server).getLiveMeeting), rolesReaders},
	{"GET", "/v1/meetings/:id/live/stream", h((*Server).getLiveMeetingStream), rolesReaders},

	// Attachments.
	{"POST", "/v1/attachments", h((*Server).postAttachment), rolesWriters},
	{"GET", "/v1/attachments/:sha256", h((*Server).getAttachment), nil},

	// The raw log.
	{"GET", "/v1/events/live", h((*Server).getEventFeed), rolesAuditors},
}

// routes registers api on the server's echo instance.
func (s *Server) routes() {
	s.echo.Use(requestID, s.observe, s.authenticate, s.rateLimit, checkPathParams)
	for _, r := range api {
		var mw []echo.MiddlewareFunc
		if r.roles != nil {
			mw = append(mw, allow(r.roles...))
		}
		s.echo.Add(r.method, r.path, r.handler(s), mw...)
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
