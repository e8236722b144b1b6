package http

import (
	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
)

// communityRequest is the body of POST /v1/communities.
type communityRequest struct {
	CommunityID string `json:"community_id"`
	Name        string `json:"name"`
	Kind        string `json:"kind"`
	Street      string `json:"street"`
}

// postCommunity registers a community; an admin scoped to a community may
// register only that one.
func (s *Server) postCommunity(c echo.Context) error {
	var r communityRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	if !slugPattern.MatchString(r.CommunityID) {
		return fieldErr(kindValidation, "community_id", text{"应为 1 到 100 个字母、数字、-、_、: 或 .", "want 1 to 100 letters, digits, -, _, : or ."})
	}
	p := principalOf(c)
	if err := requireScope(p, r.CommunityID, ""); err != nil {
		return err
	}
	return s.execute(c, domain.RegisterCommunity{CommunityID: r.CommunityID, Name: r.Name, Kind: r.Kind, Street: r.Street}, r.CommunityID)
}

// communityTarget reads the path's community and checks the scope: the
// organisation is changed by admins of the community (or unscoped ones).
func (s *Server) communityTarget(c echo.Context, p principal) (string, error) {
	id, err := pathSlug(c, "community")
	if err != nil {
		return "", err
	}
	_, err = s.authorize(c, p, domain.OrganisationStream(id))
	return id, err
}

// gridRequest is the body of POST /v1/communities/{community}/grids.
type gridRequest struct {
	GridID string `json:"grid_id"`
	Name   string `json:"name"`
	Kind   string `json:"kind"`
}

// postGrid adds a grid.
func (s *Server) postGrid(c echo.Context) error {
	var r gridRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	cid, err := s.communityTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.CreateGrid{CommunityID: cid, GridID: r.GridID, Name: r.Name, Kind: r.Kind}, r.GridID)
}

// personRequest names a person, with employment for grid workers.
type personRequest struct {
	PersonID   string `json:"person_id"`
	Name       string `json:"name"`
	Employment string `json:"employment"`
}

// putGridHead appoints a grid's head (网格长).
func (s *Server) putGridHead(c echo.Context) error {
	var r personRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	cid, err := s.communityTarget(c, p)
	if err != nil {
		return err
	}
	if r.Employment != "" {
		return fieldErr(kindValidation, "employment", text{"网格长不需要用工类型", "a grid head has no employment field"})
	}
	return s.execute(c, domain.AppointGridHead{CommunityID: cid, GridID: c.Param("grid"), PersonID: r.PersonID, Name: r.Name}, "")
}

// postGridWorker assigns a grid worker (网格员).
func (s *Server) postGridWorker(c echo.Context) error {
	var r personRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	cid, err := s.communityTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.AssignGridWorker{CommunityID: cid, GridID: c.Param("grid"), PersonID: r.PersonID, Name: r.Name, Employment: r.Employment}, r.PersonID)
}

// postGridWorkerRemoval takes a worker off a grid.
func (s *Server) postGridWorkerRemoval(c echo.Context) error {
	var r reasonRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	cid, err := s.communityTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.RemoveGridWorker{CommunityID: cid, GridID: c.Param("grid"), PersonID: c.Param("person"), Reason: r.Reason}, "")
}

// compoundRequest is the body of POST /v1/communities/{community}/compounds.
type compoundRequest struct {
	CompoundID string `json:"compound_id"`
	GridID     string `json:"grid_id"`
	Name       string `json:"name"`
}

// postCompound registers a compound (楼院/小区) in a grid.
func (s *Server) postCompound(c echo.Context) error {
	var r compoundRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	cid, err := s.communityTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.RegisterCompound{CommunityID: cid, CompoundID: r.CompoundID, GridID: r.GridID, Name: r.Name}, r.CompoundID)
}

// unitRequest is the body of POST /v1/communities/{community}/compounds/{compound}/units.
type unitRequest struct {
	UnitID  string         `json:"unit_id"`
	Label   string         `json:"label"`
	AreaDM2 int64          `json:"area_dm2"`
	Owners  []voterRequest `json:"owners"`
}

func voters(in []voterRequest) []domain.Voter {
	out := make([]domain.Voter, len(in))
	for i, v := range in {
		out[i] = v.voter()
	}
	return out
}

// postUnit adds a unit with its exclusive area and owners to a compound's
// register.
func (s *Server) postUnit(c echo.Context) error {
	var r unitRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	cid, err := s.communityTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.RegisterUnit{
		CommunityID: cid, CompoundID: c.Param("compound"), UnitID: r.UnitID, Label: r.Label, AreaDM2: r.AreaDM2, Owners: voters(r.Owners),
	}, r.UnitID)
}

// ownersRequest is the body of PUT .../units/{unit}/owners.
type ownersRequest struct {
	Owners []voterRequest `json:"owners"`
}

// putUnitOwners replaces a unit's owners (a sale, an inheritance).
func (s *Server) putUnitOwners(c echo.Context) error {
	var r ownersRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	cid, err := s.communityTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.ChangeUnitOwners{CommunityID: cid, CompoundID: c.Param("compound"), UnitID: c.Param("unit"), Owners: voters(r.Owners)}, "")
}

// partnerRequest is the body of POST /v1/communities/{community}/partners.
type partnerRequest struct {
	PartnerID string `json:"partner_id"`
	Name      string `json:"name"`
	Kind      string `json:"kind"`
	Contact   string `json:"contact"`
}

// postPartner registers a participating unit (物业, 供暖公司, 派出所 …).
func (s *Server) postPartner(c echo.Context) error {
	var r partnerRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	p := principalOf(c)
	cid, err := s.communityTarget(c, p)
	if err != nil {
		return err
	}
	return s.execute(c, domain.RegisterPartner{CommunityID: cid, PartnerID: r.PartnerID, Name: r.Name, Kind: r.Kind, Contact: r.Contact}, r.PartnerID)
}
