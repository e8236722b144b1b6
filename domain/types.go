package domain

// Party is someone who can own a task or speak for others: a person or a
// participating unit (物业, 供暖公司, 派出所, a contractor).
type Party struct {
	// Kind is PartyPerson or PartyUnit.
	Kind string `json:"kind"`
	// ID is the person's or the participating unit's id.
	ID string `json:"id"`
	// Name is the display name (public views mask people's names).
	Name string `json:"name" pii:"name,person=ID,if=Kind:person"`
}

// Party kinds.
const (
	// PartyPerson is a resident, grid worker or official.
	PartyPerson = "person"
	// PartyUnit is a participating unit registered in the organisation.
	PartyUnit = "unit"
)

// Option is one choice of a motion or a mediation.
type Option struct {
	// ID is the option's id, unique within its motion or mediation.
	ID string `json:"id"`
	// Label is the option's text.
	Label string `json:"label"`
}

// Voter is one member of a motion's electorate.
type Voter struct {
	// PersonID is the voter's id.
	PersonID string `json:"person_id"`
	// Name is the voter's display name.
	Name string `json:"name" pii:"name,person=PersonID"`
}

// OwnedUnit is one unit (房屋, 专有部分) of a compound's register as it
// is locked into an owners' vote (PRC Civil Code art. 278).
type OwnedUnit struct {
	// UnitID is the unit's id in the organisation register.
	UnitID string `json:"unit_id"`
	// AreaDM2 is the exclusive area (专有部分面积) in square decimetres,
	// that is hundredths of a square metre: 89.56 m² is 8956.
	AreaDM2 int64 `json:"area_dm2"`
	// Owners are the ids of the unit's owners (co-owners share one vote).
	Owners []string `json:"owners"`
}
