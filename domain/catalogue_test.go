package domain

import (
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// aggregateID names the id field every event of an aggregate carries.
var aggregateID = map[string]string{
	"organisation": "community_id",
	"proposal":     "proposal_id",
	"meeting":      "meeting_id",
	"action":       "action_id",
	"erasure":      "id",
	"subscriber":   "person_id",
	"notification": "notification_id",
	"reminder":     "reminder_id",
	"attachment":   "upload_id",
	"ledger":       "ledger_id",
	"service":      "service_id",
	"points":       "person_id",
	"wish":         "wish_id",
}

func TestCatalogueTypesAreWellFormed(t *testing.T) {
	types := EventTypes()
	if len(types) != 87 {
		t.Fatalf("%d event types; update this count when adding one to the catalogue (and docs/events.md)", len(types))
	}
	pattern := regexp.MustCompile(`^(organisation|proposal|meeting|action|erasure|subscriber|notification|reminder|attachment|ledger|service|points|wish)\.[a-z][a-z_]*[a-z]\.v[1-9][0-9]*$`)
	for _, typ := range types {
		if !pattern.MatchString(typ) {
			t.Errorf("%s is not <aggregate>.<past_tense>.v<n>", typ)
			continue
		}
		e, err := Decode(typ, []byte(`{}`))
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if e.EventType() != typ {
			t.Errorf("%s decodes into %T, whose type is %s", typ, e, e.EventType())
		}
		_, body, err := Encode(e)
		if err != nil {
			t.Fatal(err)
		}
		var fields map[string]any
		if err := json.Unmarshal(body, &fields); err != nil {
			t.Fatal(err)
		}
		want := aggregateID[typ[:strings.Index(typ, ".")]]
		if _, ok := fields[want]; !ok {
			t.Errorf("%s does not carry %s", typ, want)
		}
	}
	if !slices.IsSorted(types) {
		t.Error("EventTypes is not sorted")
	}
}

func TestEncodeAndDecodeRefuseWhatIsNotInTheCatalogue(t *testing.T) {
	if _, _, err := Encode(nil); err == nil {
		t.Error("nil event encoded")
	}
	if _, _, err := Encode(stray{}); err == nil {
		t.Error("an event outside the catalogue encoded")
	}
	if _, err := Decode("proposal.exploded.v1", []byte(`{}`)); err == nil {
		t.Error("unknown type decoded")
	}
	if _, err := Decode("proposal.submitted.v1", []byte(`{"title": 3}`)); err == nil {
		t.Error("a body of the wrong shape decoded")
	}
}

// stray is an event no catalogue knows.
type stray struct{}

func (stray) EventType() string { return "proposal.strayed.v1" }

func TestDecodeUpcastsOlderVersions(t *testing.T) {
	// A v0 support named the supporter "supporter"; v1 says "person_id".
	upcasters["proposal.supported.v0"] = func(data []byte) (string, []byte, error) {
		var old struct {
			ProposalID string `json:"proposal_id"`
			Supporter  string `json:"supporter"`
		}
		if err := json.Unmarshal(data, &old); err != nil {
			return "", nil, err
		}
		body, err := json.Marshal(ProposalSupported{ProposalID: old.ProposalID, PersonID: old.Supporter})
		return "proposal.supported.v1", body, err
	}
	upcasters["proposal.loop.v1"] = func(data []byte) (string, []byte, error) { return "proposal.loop.v1", data, nil }
	t.Cleanup(func() {
		delete(upcasters, "proposal.supported.v0")
		delete(upcasters, "proposal.loop.v1")
	})
	e, err := Decode("proposal.supported.v0", []byte(`{"proposal_id":"p1","supporter":"r2"}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := e.(ProposalSupported); !ok || got.PersonID != "r2" || got.ProposalID != "p1" {
		t.Fatalf("upcast to %#v", e)
	}
	if _, err := Decode("proposal.supported.v0", []byte(`[`)); err == nil {
		t.Error("a broken old body upcast")
	}
	if _, err := Decode("proposal.loop.v1", []byte(`{}`)); err == nil {
		t.Error("an upcaster cycle did not end in an error")
	}
}

func TestEventsDocumentedInDocsEventsMD(t *testing.T) {
	doc, err := os.ReadFile("../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	for _, typ := range EventTypes() {
		if !strings.Contains(text, "`"+typ+"`") {
			t.Errorf("docs/events.md does not document %s", typ)
		}
	}
	known := map[string]bool{}
	for _, typ := range EventTypes() {
		known[typ] = true
	}
	for _, m := range regexp.MustCompile("### `([a-z_.0-9]+)`").FindAllStringSubmatch(text, -1) {
		if !known[m[1]] {
			t.Errorf("docs/events.md documents %s, which is not in the catalogue", m[1])
		}
	}
}

// TestNoIO checks what the domain imports. encoding/json and fmt (both
// allowed) pull os, io/fs and syscall into `go list -deps`, so the check is
// twofold: the package's own imports are on an allow list, and nothing in
// its closure talks to a network, a database or another process.
func TestNoIO(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH:", err)
	}
	out, err := exec.Command(goTool, "list", "-f", "{{join .Imports \"\\n\"}}", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	allowed := []string{"encoding/json", "errors", "fmt", "maps", "math", "slices", "sort", "strconv", "strings", "time", "unicode", "unicode/utf8"}
	for _, imp := range strings.Fields(string(out)) {
		if !slices.Contains(allowed, imp) {
			t.Errorf("domain imports %s", imp)
		}
	}
	out, err = exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	forbidden := regexp.MustCompile(`^(net|net/.*|database/.*|os/exec|os/signal|io/ioutil|log.*|crypto/.*|math/rand.*|.*\..*/.*)$`)
	for _, dep := range strings.Fields(string(out)) {
		if dep != "github.com/yishi-civic/yishi/domain" && forbidden.MatchString(dep) {
			t.Errorf("domain depends on %s", dep)
		}
	}
}
