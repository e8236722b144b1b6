package http

import (
	nethttp "net/http"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/policy"
	"github.com/yishi-civic/yishi/projections"
)

// Request types of the small wishes' routes (微心愿).
type (
	postWishRequest struct {
		WishID      string `json:"wish_id"`
		CommunityID string `json:"community_id"`
		GridID      string `json:"grid_id"`
		Title       string `json:"title"`
		Category    string `json:"category"`
		Story       string `json:"story"`
		Door        string `json:"door"`
		// WishMaker: staff posting for a resident name them; residents
		// post for themselves.
		WishMaker *voterRequest `json:"wish_maker"`
	}
	claimWishRequest struct {
		// As is neighbour (the default for a resident) or party_member for
		// a resident; unit for a unit's representative. Staff recording a
		// claim give both As and Claimer.
		As      string        `json:"as"`
		Claimer *partyRequest `json:"claimer"`
	}
	fulfilWishRequest struct {
		Note   string   `json:"note"`
		Photos []string `json:"photos"`
	}
)

// postWish: a resident posts a wish for themselves; staff post for the
// resident they name, in their scope.
func postWish(_ *Server, c echo.Context, p principal, _ ref, r *postWishRequest) (domain.Command, string, error) {
	if err := requirePlace(p, r.CommunityID, r.GridID); err != nil {
		return nil, "", err
	}
	maker, _, err := onBehalf(p, r.WishMaker, "wish_maker")
	if err != nil {
		return nil, "", err
	}
	id, err := newID(c, p, "wish_id", r.WishID)
	if err != nil {
		return nil, "", err
	}
	return domain.PostWish{WishID: id, CommunityID: r.CommunityID, GridID: r.GridID, Title: r.Title, Category: r.Category, Story: r.Story,
		WishMaker: maker, Door: r.Door, By: p.token.Actor()}, id, nil
}

// claimWish: a resident claims for themselves (as a neighbour or a party
// member), a unit's representative for the unit; staff record a claim for
// the claimer they name.
func claimWish(_ *Server, _ echo.Context, p principal, t ref, r *claimWishRequest) (domain.Command, string, error) {
	if p.staff() {
		if r.Claimer == nil {
			return nil, "", fieldErr(kindValidation, "claimer", text{"请写明认领人或认领单位", "name who claims the wish"})
		}
		return domain.ClaimWish{WishID: t.id, As: r.As, Claimer: r.Claimer.party(), RecordedBy: p.token.Actor()}, "", nil
	}
	if r.Claimer != nil {
		return nil, "", fieldErr(kindForbidden, "claimer", text{"只有工作人员可以代他人认领", "only staff may record a claim for someone else"})
	}
	me := domain.Party{Kind: domain.PartyPerson, ID: p.token.Actor(), Name: p.token.Name}
	as := r.As
	if p.token.Role == auth.RoleUnitRep {
		me.Kind = domain.PartyUnit
		if as == "" {
			as = domain.WishByUnit
		}
	} else if as == "" {
		as = domain.WishByNeighbour
	}
	return domain.ClaimWish{WishID: t.id, As: as, Claimer: me}, "", nil
}

func releaseWish(_ *Server, _ echo.Context, p principal, t ref, r *reasonRequest) (domain.Command, string, error) {
	return domain.ReleaseWish{WishID: t.id, Reason: r.Reason, By: p.token.Actor(), Staff: p.staff()}, "", nil
}

func fulfilWish(s *Server, c echo.Context, p principal, t ref, r *fulfilWishRequest) (domain.Command, string, error) {
	if err := s.checkPhotos(c.Request().Context(), "photos", r.Photos); err != nil {
		return nil, "", err
	}
	return domain.FulfilWish{WishID: t.id, Note: r.Note, Photos: r.Photos, By: p.token.Actor(), Staff: p.staff()}, "", nil
}

func confirmWish(_ *Server, _ echo.Context, p principal, t ref, _ *struct{}) (domain.Command, string, error) {
	return domain.ConfirmWish{WishID: t.id, By: p.token.Actor()}, "", nil
}

func cancelWish(_ *Server, _ echo.Context, p principal, t ref, r *reasonRequest) (domain.Command, string, error) {
	return domain.CancelWish{WishID: t.id, Reason: r.Reason, By: p.token.Actor(), Staff: p.staff()}, "", nil
}

func (s *Server) getWish(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return s.getAggregate(c, domain.WishStream(id.String()))
}

// getWishes lists small wishes, open ones first. Public, and never with
// the wish-maker for anyone but staff and auditors in the wish's scope
// (policy drops the wish-maker whole). A signed-in reader's own wishes and
// claims are flagged (mine, my_claim); mine=true lists only those.
func (s *Server) getWishes(c echo.Context) error {
	community, grid := publicScoped(c)
	q := projections.WishQuery{CommunityID: community, GridID: grid, Status: c.QueryParam("status")}
	switch q.Status {
	case "", domain.WishStatusOpen, domain.WishStatusClaimed, domain.WishStatusFulfilled, domain.WishStatusConfirmed, domain.WishStatusCancelled:
	default:
		return fieldErr(kindBadRequest, "status", text{"不是心愿的状态", "not a status of a wish"})
	}
	p := principalOf(c)
	switch c.QueryParam("mine") {
	case "":
	case "true":
		if !p.authenticated() {
			return refuse(kindUnauthorized, text{"查看自己的心愿需要登录", "sign in to list your own wishes"})
		}
		q.MineOnly = true
	default:
		return fieldErr(kindBadRequest, "mine", text{"应为 true", "want true"})
	}
	if p.authenticated() {
		q.Reader = p.token.Actor()
	}
	views, err := s.viewSet(c)
	if err != nil {
		return err
	}
	items, err := policy.Items(readerOf(c), views.Wishes.List(q), func(w projections.WishItem) (string, string) { return w.CommunityID, w.GridID })
	if err != nil {
		return err
	}
	return c.JSON(nethttp.StatusOK, listAnswer{Items: items, Position: uint64(views.Position())})
}
