package projections

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	gojson "github.com/goccy/go-json"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// randomIDs returns a maker of random ids: mostly UUIDs as the ledger
// writes them (one of n for each prefix, so that they repeat), and the
// forms kept as other ids: in upper case, with twelve zero bytes first,
// a character short, a character long ("/" or not), and name's names.
func randomIDs(rng *rand.Rand, name func(prefix string, n int) string) func(prefix string, n int) string {
	return func(prefix string, n int) string {
		i := rng.IntN(n)
		u := uuid.NewSHA1(uuid.NameSpaceOID, fmt.Appendf(nil, "%s%d", prefix, i)).String()
		switch rng.IntN(10) {
		case 0:
			return strings.ToUpper(u)
		case 1:
			return fmt.Sprintf("00000000-0000-0000-0000-0000%08x", i)
		case 2:
			return u[:35]
		case 3:
			return u + "/"
		case 4:
			return u + "x"
		case 5, 6:
			return name(prefix, n)
		}
		return u
	}
}

// TestIdentsStandForTheirStrings: every string is kept as an ident that
// writes it back, is found again, orders as the string does and is
// written to JSON as goccy writes the string; two strings never share an
// ident; UUIDs as the ledger writes them are held in their bytes, and
// nothing else is. The same for pairs.
func TestIdentsStandForTheirStrings(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 1))
	id := randomIDs(rng, randomNames(rng))
	random := func() string {
		switch rng.IntN(6) {
		case 0:
			b := make([]byte, rng.IntN(40))
			for i := range b {
				b[i] = "0123456789abcdefABCDEF-/\"é\x00"[rng.IntN(28)]
			}
			return string(b)
		case 1:
			return id("m-", 30) + "/" + id("mo-", 30)
		}
		return id("p-", 30)
	}
	others := newDictionary()
	idents, pairs := map[ident]string{}, map[identPair]string{}
	var strs []string
	for range 3000 {
		s := random()
		strs = append(strs, s)
		k := identOf(s, &others)
		u, err := uuid.Parse(s)
		canonical := err == nil && u.String() == s && [12]byte(u[:12]) != [12]byte{}
		assert.Equal(t, canonical, k.held(), s)
		assert.Equal(t, s, k.text(&others))
		if seen, ok := idents[k]; ok {
			require.Equal(t, seen, s, "one ident for two strings")
		}
		idents[k] = s
		found, ok := findIdent(s, &others)
		assert.True(t, ok, s)
		assert.Equal(t, k, found)
		want, err := gojson.Marshal(s)
		require.NoError(t, err)
		got, err := k.appendJSON(nil, &others)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), s)

		p := identPair{}.of(s, &others)
		assert.Equal(t, s, string(p.appendText(nil, &others)))
		assert.Equal(t, p, identPair{}.ofBytes([]byte(s), &others))
		if seen, ok := pairs[p]; ok {
			require.Equal(t, seen, s, "one pair for two keys")
		}
		pairs[p] = s
		foundPair, ok := identPair{}.find(s, &others)
		assert.True(t, ok, s)
		assert.Equal(t, p, foundPair)
		got, err = p.appendJSON(nil, &others)
		require.NoError(t, err)
		assert.Equal(t, string(want), string(got), s)
	}
	for range 20000 {
		a, b := strs[rng.IntN(len(strs))], strs[rng.IntN(len(strs))]
		ka, kb := identOf(a, &others), identOf(b, &others)
		assert.Equal(t, strings.Compare(a, b), compareIdents(ka, kb, &others), "%q %q", a, b)
		pa, pb := identPair{}.of(a, &others), identPair{}.of(b, &others)
		assert.Equal(t, strings.Compare(a, b), pa.compare(pb, &others), "%q %q", a, b)
	}
	_, ok := findIdent("never seen", &others)
	assert.False(t, ok)
	_, ok = identPair{}.find(uuid.NewString()+"/never seen", &others)
	assert.False(t, ok)
	assert.Equal(t, ident{}, identOf("", &others))
}
