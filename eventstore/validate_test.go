package eventstore

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The rules for names, as regular expressions: what validStream and
// validType check by hand.
var (
	streamRule = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}-[A-Za-z0-9][A-Za-z0-9._:-]*$`)
	typeRule   = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.v[1-9][0-9]*$`)
)

// TestNamesAreCheckedAsTheirRulesSay compares the checks of stream names
// and event types with the regular expressions of their rules, on names
// written to test their edges and on half a million random ones of each.
func TestNamesAreCheckedAsTheirRulesSay(t *testing.T) {
	for _, s := range []string{"", "-", "a-", "a-b", "A-b", "1-b", "_-b", "a_1-b", "a--b", "a-.b", "a-b.c:d-e_f", "a-b c", "a-b/c",
		"proposal-0190b7c1-8a3e-7d2f-9b1c-2f3e4d5c6b7a", "seal-main", strings.Repeat("a", 40) + "-x", strings.Repeat("a", 41) + "-x", "a-é"} {
		assert.Equal(t, streamRule.MatchString(s), validStream(s), "stream %q", s)
	}
	for _, s := range []string{"", "v1", ".v1", "a.v1", "a.v0", "a.v10", "a.v01", "a.b.v2", "a..v1", "a.v1.", "a.V1", "a_b.c_9.v3", "a.v1.v2",
		"a.v", "a.vx", "1a.v1", "a.1b.v1", "a.v1x", "proposal.submitted.v1", "a.b"} {
		assert.Equal(t, typeRule.MatchString(s), validType(s), "type %q", s)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const streamChars, typeChars = "ab0_-.:A9z/ ", "abv1v0_.9z.V"
	random := func(alphabet string) string {
		b := make([]byte, rng.IntN(12))
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return string(b)
	}
	for range 500_000 {
		s := random(streamChars)
		require.Equal(t, streamRule.MatchString(s), validStream(s), "stream %q", s)
		s = random(typeChars)
		require.Equal(t, typeRule.MatchString(s), validType(s), "type %q", s)
	}
}

// TestEventDataMustBeOneJSONValueInUTF8: data that is not one JSON value in
// UTF-8 is refused, with the event's index and type; a name repeated in an
// object is accepted, as encoding/json accepts it.
func TestEventDataMustBeOneJSONValueInUTF8(t *testing.T) {
	appendOf := func(data string) error {
		return ValidateAppend("proposal-1", []EventData{{ID: uuid.New(), Type: "proposal.submitted.v1", Data: []byte(data)}})
	}
	for _, ok := range []string{`{}`, ` {"a":1} `, `{"a":1,"a":2}`, `"\ud834\udd1e"`, `"重新划定停车线"`, `[1,2.5e3,-0,null,true]`} {
		assert.NoError(t, appendOf(ok), "%q", ok)
	}
	for _, bad := range []string{``, `{`, `{"a":1,}`, `[1] x`, `01`, "\"\xff\"", "\"a\tb\"", `"\ud800"`, `{"a" 1}`, `nul`} {
		err := appendOf(bad)
		require.ErrorIs(t, err, ErrInvalid, "%q", bad)
		assert.ErrorContains(t, err, "event 0 (proposal.submitted.v1): data is not valid JSON", "%q", bad)
	}
	marshalled := EventData{ID: uuid.New(), Type: "proposal.submitted.v1", Data: []byte(`{`), Marshalled: true}
	assert.NoError(t, ValidateAppend("proposal-1", []EventData{marshalled}), "json.Marshal's own output is not checked again")
}
