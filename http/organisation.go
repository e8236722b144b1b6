package http

import (
	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/domain"
)

// Request types of the organisation routes.
type (
	communityRequest struct {
		CommunityID string `json:"community_id"`
		Name        string `json:"name"`
		Kind        string `json:"kind"`
		Street      string `json:"street"`
	}
	gridRequest struct {
		GridID string `json:"grid_id"`
		Name   string `json:"name"`
		Kind   string `json:"kind"`
	}
	personRequest struct {
		PersonID   string `json:"person_id"`
		Name       string `json:"name"`
		Employment string `json:"employment"`
	}
	compoundRequest struct {
		CompoundID string `json:"compound_id"`
		GridID     string `json:"grid_id"`
		Name       string `json:"name"`
	}
	unitRequest struct {
		UnitID  string         `json:"unit_id"`
		Label   string         `json:"label"`
		AreaDM2 int64          `json:"area_dm2"`
		Owners  []voterRequest `json:"owners"`
	}
	ownersRequest struct {
		Owners []voterRequest `json:"owners"`
	}
	partnerRequest struct {
		PartnerID string `json:"partner_id"`
		Name      string `json:"name"`
		Kind      string `json:"kind"`
		Contact   string `json:"contact"`
	}
)

func voters(in []voterRequest) []domain.Voter {
	out := make([]domain.Voter, len(in))
	for i, v := range in {
		out[i] = v.voter()
	}
	return out
}

// registerCommunity: an admin scoped to a community registers only that one.
func registerCommunity(_ *Server, _ echo.Context, p principal, _ ref, r *communityRequest) (domain.Command, string, error) {
	if !slugPattern.MatchString(r.CommunityID) {
		return nil, "", fieldErr(kindValidation, "community_id", text{"应为 1 到 100 个字母、数字、-、_、: 或 .", "want 1 to 100 letters, digits, -, _, : or ."})
	}
	if err := requireScope(p, r.CommunityID, ""); err != nil {
		return nil, "", err
	}
	return domain.RegisterCommunity{CommunityID: r.CommunityID, Name: r.Name, Kind: r.Kind, Street: r.Street}, r.CommunityID, nil
}

func createGrid(_ *Server, _ echo.Context, _ principal, t ref, r *gridRequest) (domain.Command, string, error) {
	return domain.CreateGrid{CommunityID: t.id, GridID: r.GridID, Name: r.Name, Kind: r.Kind}, r.GridID, nil
}

func appointGridHead(_ *Server, c echo.Context, _ principal, t ref, r *personRequest) (domain.Command, string, error) {
	if r.Employment != "" {
		return nil, "", fieldErr(kindValidation, "employment", text{"网格长不需要用工类型", "a grid head has no employment field"})
	}
	return domain.AppointGridHead{CommunityID: t.id, GridID: c.Param("grid"), PersonID: r.PersonID, Name: r.Name}, "", nil
}

func assignGridWorker(_ *Server, c echo.Context, _ principal, t ref, r *personRequest) (domain.Command, string, error) {
	return domain.AssignGridWorker{CommunityID: t.id, GridID: c.Param("grid"), PersonID: r.PersonID, Name: r.Name, Employment: r.Employment}, r.PersonID, nil
}

func removeGridWorker(_ *Server, c echo.Context, _ principal, t ref, r *reasonRequest) (domain.Command, string, error) {
	return domain.RemoveGridWorker{CommunityID: t.id, GridID: c.Param("grid"), PersonID: c.Param("person"), Reason: r.Reason}, "", nil
}

func registerCompound(_ *Server, _ echo.Context, _ principal, t ref, r *compoundRequest) (domain.Command, string, error) {
	return domain.RegisterCompound{CommunityID: t.id, CompoundID: r.CompoundID, GridID: r.GridID, Name: r.Name}, r.CompoundID, nil
}

func registerUnit(_ *Server, c echo.Context, _ principal, t ref, r *unitRequest) (domain.Command, string, error) {
	return domain.RegisterUnit{
		CommunityID: t.id, CompoundID: c.Param("compound"), UnitID: r.UnitID, Label: r.Label, AreaDM2: r.AreaDM2, Owners: voters(r.Owners),
	}, r.UnitID, nil
}

func changeUnitOwners(_ *Server, c echo.Context, _ principal, t ref, r *ownersRequest) (domain.Command, string, error) {
	return domain.ChangeUnitOwners{CommunityID: t.id, CompoundID: c.Param("compound"), UnitID: c.Param("unit"), Owners: voters(r.Owners)}, "", nil
}

func registerPartner(_ *Server, _ echo.Context, _ principal, t ref, r *partnerRequest) (domain.Command, string, error) {
	return domain.RegisterPartner{CommunityID: t.id, PartnerID: r.PartnerID, Name: r.Name, Kind: r.Kind, Contact: r.Contact}, r.PartnerID, nil
}
