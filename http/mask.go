package http

import (
	"encoding/json"
	"regexp"
	"strings"

	"github.com/yishi-civic/yishi/projections"
)

// Public views (公示) show decisions, never residents' private data. mask
// walks a view's JSON and removes or masks it: contact and address fields
// are dropped, names of people become their first character and a star
// (张三 → 张*), and phone and door numbers inside free text are starred.

// piiDropKeys are fields removed from public views altogether.
var piiDropKeys = map[string]bool{
	"phone": true, "mobile": true, "telephone": true, "tel": true, "contact": true, "contact_phone": true,
	"email": true, "address": true, "door": true, "door_number": true, "door_no": true, "room": true,
	"id_card": true, "id_number": true, "exact_address": true,
}

// personNameKeys are fields holding a person's name.
var personNameKeys = map[string]bool{
	"author": true, "author_name": true, "speaker": true, "speaker_name": true, "proposer": true,
	"proposer_name": true, "voter": true, "voter_name": true, "person": true, "person_name": true,
	"resident": true, "resident_name": true, "display_name": true, "proxy_name": true, "proxy_for_name": true,
	"owner_name": true, "supporter_name": true, "verifier_name": true, "reporter_name": true,
	"submitted_by_name": true, "holder_name": true, "facilitator_name": true,
}

var (
	mobilePattern   = regexp.MustCompile(`(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}`)
	landlinePattern = regexp.MustCompile(`0\d{2,3}-\d{7,8}`)
	// doorPattern matches building, unit and room numbers (3号楼2单元501室).
	doorPattern = regexp.MustCompile(`\d+\s*(?:号楼|栋|幢|单元|室|号房|层)`)
	digitsRun   = regexp.MustCompile(`\d+`)
)

// maskName keeps a name's first character: 张三 → 张*, as the public
// views of the projections do.
var maskName = projections.MaskName

// maskText stars phone numbers and door numbers in free text. Unlike the
// projections' MaskText it leaves other digits alone, because aggregates
// carry ids and times in their strings.
func maskText(s string) string {
	s = mobilePattern.ReplaceAllString(s, "***********")
	s = landlinePattern.ReplaceAllString(s, "****-*******")
	return doorPattern.ReplaceAllStringFunc(s, func(m string) string {
		return digitsRun.ReplaceAllString(m, "*")
	})
}

// maskValue masks a decoded JSON value in place and returns it.
func maskValue(v any) any {
	switch t := v.(type) {
	case map[string]any:
		// A domain.Party of kind person, or a Voter, names a person.
		if isPersonObject(t) {
			if name, ok := t["name"].(string); ok {
				t["name"] = maskName(name)
			}
		}
		for k, val := range t {
			lk := strings.ToLower(k)
			switch {
			case piiDropKeys[lk]:
				delete(t, k)
			case personNameKeys[lk]:
				if s, ok := val.(string); ok {
					t[k] = maskName(s)
				} else {
					t[k] = maskValue(val)
				}
			case lk == "name" && isPersonObject(t):
				// masked above
			default:
				t[k] = maskValue(val)
			}
		}
		return t
	case []any:
		for i := range t {
			t[i] = maskValue(t[i])
		}
		return t
	case string:
		return maskText(t)
	default:
		return v
	}
}

func isPersonObject(m map[string]any) bool {
	kind, _ := m["kind"].(string)
	return kind == "person" || m["person_id"] != nil
}

// masked returns v's JSON with personal data masked, for public readers.
func masked(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var tree any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	return json.Marshal(maskValue(tree))
}
