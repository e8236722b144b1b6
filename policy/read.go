package policy

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"

	gojson "github.com/goccy/go-json"
	"github.com/valyala/fastjson"

	"github.com/yishi-civic/yishi/auth"
)

// Reader is who reads: a token's role and scope, or the public (no token).
type Reader struct {
	// Authenticated is false for the public.
	Authenticated bool
	Role          auth.Role
	Scope         auth.Scope
	// Open opens the sealed personal fields of an answer's JSON before it
	// is masked (privacy.Sealer.OpenJSON): the views keep them sealed. Nil
	// when nothing is sealed (a ledger without a sealer).
	Open func(json.RawMessage) (json.RawMessage, error)
}

// Anonymous is the public: it reads public views only, masked.
var Anonymous = Reader{}

// staff reports whether r records for others (admins, facilitators, grid
// workers).
func (r Reader) staff() bool {
	return r.Role == auth.RoleAdmin || r.Role == auth.RoleFacilitator || r.Role == auth.RoleGridWorker
}

// Covers reports whether r's scope covers a record of community and grid.
func (r Reader) Covers(community, grid string) bool {
	return r.Authenticated && r.Scope.Covers(community, grid)
}

// SeesPersonalData reports whether r reads a record of community and grid
// unmasked: staff and auditors within their scope do. Residents, unit
// representatives, the public and everyone outside their scope get the
// public answer (names as 张*, no person ids, no phone, ID, door numbers
// or e-mail addresses in any text).
func (r Reader) SeesPersonalData(community, grid string) bool {
	return r.Covers(community, grid) && (r.staff() || r.Role == auth.RoleAuditor)
}

// SeesBallots reports whether r may read who chose what on a secret
// motion of community and grid: an auditor within its scope, nobody else
// (not the facilitator who runs the vote, not an admin).
func (r Reader) SeesBallots(community, grid string) bool {
	return r.Covers(community, grid) && r.Role == auth.RoleAuditor
}

// SeesTokens reports whether r may read the token streams (who holds which
// role, the secrets' hashes): an unscoped admin only.
func (r Reader) SeesTokens() bool {
	return r.Authenticated && r.Role == auth.RoleAdmin && r.Scope == (auth.Scope{})
}

// SeesChainHashes reports whether r reads the hash chain of events and
// their salts: an auditor only. A secret ballot's hash, with the rest of
// its event, would let anyone try each option and find the one that hashes
// the same. The public Merkle proofs carry a hash of every event's chain
// hash; under hash scheme 3 that hash covers a salt nobody else reads, so
// trying options no longer finds it (docs/audit.md).
func (r Reader) SeesChainHashes() bool {
	return r.Authenticated && r.Role == auth.RoleAuditor
}

// Answer returns v's JSON as r may read it for a record of community and
// grid, its sealed fields opened (Open): as is for those who see personal
// data, the public answer (PublicJSON) for everyone else.
func (r Reader) Answer(community, grid string, v any) (json.RawMessage, error) {
	b, err := gojson.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode answer: %w", err)
	}
	if r.Open != nil {
		if b, err = r.Open(b); err != nil {
			return nil, err
		}
	}
	if r.SeesPersonalData(community, grid) {
		return b, nil
	}
	return PublicJSON(b)
}

// PublicJSON returns the JSON answer b as the public may read it. It walks
// every value of the answer, so a field added later is masked without anyone
// remembering to:
//   - contact fields (phone, address, e-mail, ID number, contact) are
//     dropped, and so is a small wish's wish-maker with their words
//     (wishKeys);
//   - person ids are dropped (person_id, voter_id, holder_id, cast_by,
//     author_id, recorded_by, by, actor, subject, lists of supporters,
//     owners and voters, and the id of a party that is a person): a stable
//     id links one person across decisions;
//   - people's names become their first character and a star (Name);
//   - every other string is free text and goes through Text, except ids,
//     hashes, types and statuses (keys ending in _id, and values shaped
//     like a UUID or a hex digest);
//   - a tally under the owners' rules (PRC Civil Code art. 278) shows the
//     shares against the thresholds instead of area, heads and votes
//     (OwnersShares), and a live motion under them drops its count by
//     choice;
//   - a unit's exclusive area and its owners (unitKeys) are dropped: with
//     the areas, an owners' vote's shares would narrow a dissenter to a
//     unit or two.
func PublicJSON(b []byte) (json.RawMessage, error) {
	if err := fastjson.ValidateBytes(b); err != nil {
		return nil, fmt.Errorf("decode answer: %w", err)
	}
	if err := controlInString(b); err != nil {
		return nil, fmt.Errorf("decode answer: %w", err)
	}
	if surrogateEscape(b) {
		return publicTreeOf(nil, b)
	}
	p := parsers.Get()
	defer parsers.Put(p)
	v, err := p.ParseBytes(b)
	if err != nil {
		// Nested deeper than fastjson parses (300): the tree's way.
		return publicTreeOf(nil, b)
	}
	return appendPublic(make([]byte, 0, len(b)), v)
}

// dropKeys are contact fields: never in a public answer.
var dropKeys = map[string]bool{
	"phone": true, "mobile": true, "telephone": true, "tel": true, "contact": true, "contact_phone": true,
	"email": true, "address": true, "door": true, "door_number": true, "door_no": true, "room": true,
	"id_card": true, "id_number": true, "exact_address": true,
}

// wishKeys are a small wish's wish-maker (微心愿: who they are and who
// posted for them) and their own words: being in need is itself personal,
// so a public answer keeps no trace of who made a wish, not even a masked
// name or an initial.
var wishKeys = map[string]bool{"wish_maker": true, "story": true}

// unitKeys are a unit's exclusive area and owners, wherever they appear
// (the organisation register, its events, the units locked when an
// owners' vote opened): never in a public answer.
var unitKeys = map[string]bool{"area_dm2": true, "owners": true}

// personIDKeys hold one person's id.
var personIDKeys = map[string]bool{
	"person_id": true, "voter_id": true, "holder_id": true, "cast_by": true, "author_id": true,
	"recorded_by": true, "by": true, "actor": true, "subject": true, "verifier_id": true, "speaker_id": true,
	"proxy_id": true, "proxy_for": true, "ordered_by": true,
}

// personListKeys hold lists of person ids (a list of numbers under the same
// key, a count, stays).
var personListKeys = map[string]bool{"supporters": true, "owners": true, "voters": true}

// personNameKeys hold a person's name.
var personNameKeys = map[string]bool{
	"author": true, "author_name": true, "speaker": true, "speaker_name": true, "proposer": true,
	"proposer_name": true, "voter": true, "voter_name": true, "person": true, "person_name": true,
	"resident": true, "resident_name": true, "display_name": true, "proxy_name": true, "proxy_for_name": true,
	"owner_name": true, "supporter_name": true, "verifier_name": true, "reporter_name": true,
	"submitted_by_name": true, "holder_name": true, "facilitator_name": true,
}

// identifier matches values that are ids or digests, never free text.
var identifier = regexp.MustCompile(`^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32,128})$`)

// timestamp reports whether s is an RFC 3339 time, as answers write
// times: never personal data, and the most common string with digits.
func timestamp(s string) bool {
	if len(s) < 20 || len(s) > 35 || s[4] != '-' || s[10] != 'T' {
		return false
	}
	_, err := time.Parse(time.RFC3339Nano, s)
	return err == nil
}

// structuralKey reports whether a key holds an id, a type or a status
// rather than text people typed.
func structuralKey(k string) bool {
	switch k {
	case "id", "key", "type", "stream", "kind", "status", "how", "result", "hash", "prev_hash", "sha256", "next", "next_cursor":
		return true
	}
	return strings.HasSuffix(k, "_id")
}

// personObject reports whether m stands for a person: a party of kind
// person, or a voter (person_id and name).
func personObject(m map[string]any) bool {
	if kind, _ := m["kind"].(string); kind == "person" {
		return true
	}
	_, ok := m["person_id"]
	return ok
}

func public(v any) any {
	switch t := v.(type) {
	case map[string]any:
		publicTally(t)
		publicMotion(t)
		person := personObject(t)
		for k, val := range t {
			lk := strings.ToLower(k)
			_, isList := val.([]any)
			class := keyClasses[lk]
			switch {
			case class&dropped != 0, class&personList != 0 && isList && stringsOnly(val.([]any)):
				delete(t, k)
			case person && lk == "id":
				delete(t, k)
			case (person && lk == "name") || class&personName != 0:
				if s, ok := val.(string); ok {
					t[k] = Name(s)
				} else {
					t[k] = public(val)
				}
			case structuralKey(lk):
				if _, ok := val.(string); !ok {
					t[k] = public(val)
				}
			default:
				t[k] = public(val)
			}
		}
		return t
	case []any:
		for i := range t {
			t[i] = public(t[i])
		}
		return t
	case string:
		if identifier.MatchString(t) || timestamp(t) {
			return t
		}
		return Text(t)
	default:
		return v
	}
}

// stringsOnly reports whether every element of l is a string.
func stringsOnly(l []any) bool {
	for _, v := range l {
		if _, ok := v.(string); !ok {
			return false
		}
	}
	return true
}

// SeesAttachment reports whether r may read a stored attachment (a photo,
// evidence, a minutes' document) that an item of kind ("proposal",
// "action" or "meeting") in community and grid refers to. Proposals' and
// actions' stories are public, and so are their photos; a meeting's
// attachments, and the photos of a small wish fulfilled (which may show the
// wish-maker, often a child or an elder at home), are read within the
// record's scope. kind "" is an
// attachment no item is named for: only an unscoped admin or auditor may
// read it (an upload not yet referred to, an audit of the store).
func (r Reader) SeesAttachment(kind, community, grid string) bool {
	switch kind {
	case "proposal", "action":
		return true
	case "meeting", "wish":
		return r.Covers(community, grid)
	case "":
		return r.Authenticated && r.Scope == (auth.Scope{}) && (r.Role == auth.RoleAdmin || r.Role == auth.RoleAuditor)
	}
	return false
}
