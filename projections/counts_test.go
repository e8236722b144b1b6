package projections

import (
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readBucketJSON reads one bucket as a snapshot's is read, into s.
func readBucketJSON(s *bucketSet, in string) (*bucket, error) {
	var b bucket
	dec := jsontext.NewDecoder(strings.NewReader(in), jsontext.AllowDuplicateNames(true))
	community, grid, month, tallies, err := s.readBucket(&b, dec, newNames())
	if err != nil {
		return nil, err
	}
	b.key = bucketKey{place: s.placeNumber(community, grid), month: s.monthNumber(month)}
	s.set(b, tallies)
	return s.in(community, grid, month), nil
}

// countsOf is b's counts of each kind, as its snapshot writes them.
func countsOf(s *bucketSet, b *bucket) [tallyKinds]counts {
	var out [tallyKinds]counts
	s.counts(b, &out, nil)
	return out
}

// TestTalliesCountAndWriteAsTheMapTheyReplace: a bucket's counts, of three
// kinds in one list, are counted whatever the order of arrival, written
// as the JSON objects of the maps they replaced (sorted by word), and read
// back the same; a bucket folded and one read from its snapshot are the
// same.
func TestTalliesCountAndWriteAsTheMapTheyReplace(t *testing.T) {
	s := newBucketSet(0)
	b := s.in("c1", "g1", "2026-07")
	s.day(b, 2.5)
	for _, ch := range []string{"online", "door", "online", "hotline", "online"} {
		require.NoError(t, s.count(b, byChannel, ch))
	}
	s.day(b, 1)
	require.NoError(t, s.count(b, byFormat, "online"))
	require.NoError(t, s.count(b, atMeetings, "talk"))
	require.NoError(t, s.count(b, atMeetings, "talk"))
	got := countsOf(&s, b)
	assert.Equal(t, counts{{"door", 1}, {"hotline", 1}, {"online", 3}}, got[byChannel])
	assert.Equal(t, counts{{"talk", 2}}, got[atMeetings])
	assert.Equal(t, counts{{"online", 1}}, got[byFormat])
	ts := s.talliesOf(b)
	assert.Len(t, ts, 7, "one list for the three kinds and the days")
	for i := 1; i < len(ts); i++ {
		require.Less(t, ts[i-1].key, ts[i].key, "sorted by key, each key once")
	}
	assert.Equal(t, []float32{2.5, 1}, s.counts(b, &[tallyKinds]counts{}, nil), "the days in the order they came")
	figures := s.sum([]*bucket{b})
	assert.Equal(t, 1.8, figures.MeanDays, "(2.5 + 1) / 2, to a tenth")
	assert.Equal(t, 5, figures.Collected)

	out, err := s.appendJSON(nil)
	require.NoError(t, err)
	assert.Equal(t, `{"c1\u0000g1\u00002026-07":{"c":"c1","g":"g1","m":"2026-07","ch":{"door":1,"hotline":1,"online":3},"am":{"talk":2},"mf":{"online":1},"d":[2.5,1]}}`, string(out))

	other := newBucketSet(0) // numbers its words in another order
	back, err := readBucketJSON(&other, `{"d":[2.5,1],"mf":{"online":1},"ch":{"online":3,"d\u006For":1,"hotline":1},"am":{"talk":2}}`)
	require.NoError(t, err)
	assert.Equal(t, got, countsOf(&other, back))
	other.day(back, 7)
	assert.Equal(t, []float32{2.5, 1, 7}, other.counts(back, &[tallyKinds]counts{}, nil), "a day after those read comes after them")
	_, err = readBucketJSON(&other, `{"d":[1],"d":[2]}`)
	assert.ErrorContains(t, err, "days given twice")
}

// TestTalliesAreReadAsTheMapsWere: empty and null objects are no counts, a
// null count is 0; a word given twice in one kind is refused (the
// snapshots are read with duplicate names allowed), as are fractions,
// strings and anything but an object. The same word in two kinds is two
// tallies.
func TestTalliesAreReadAsTheMapsWere(t *testing.T) {
	s := newBucketSet(0)
	for _, in := range []string{`{"ch":{}}`, `{"ch":null,"am":{}}`, `{}`} {
		b, err := readBucketJSON(&s, in)
		require.NoError(t, err, in)
		assert.Nil(t, s.talliesOf(b), in)
		assert.Equal(t, span{}, b.tallies, in)
	}
	b, err := readBucketJSON(&s, `{"ch":{"door":null},"mf":{"door":2}}`)
	require.NoError(t, err)
	assert.Equal(t, [tallyKinds]counts{{{"door", 0}}, nil, {{"door", 2}}}, countsOf(&s, b))

	_, err = readBucketJSON(&s, `{"ch":{"door":1,"door":2}}`)
	require.ErrorContains(t, err, `"door" given twice`)
	for _, bad := range []string{
		`{"am":{"door":1},"am":{"door":2}}`,
		`{"ch":{"door":1.5}}`,
		`{"ch":{"door":"1"}}`,
		`{"ch":{"door":2147483648}}`,
		`{"ch":[1]}`,
		`{"ch":{"door":1}`,
	} {
		_, err := readBucketJSON(&s, bad)
		assert.Error(t, err, bad)
	}
}

// TestCountsWriteBadUTF8AsTheMapsDid: bytes not UTF-8 in a word are
// written as U+FFFD, not refused (a refusal would leave every view's
// snapshot unwritten).
func TestCountsWriteBadUTF8AsTheMapsDid(t *testing.T) {
	out, err := counts{{"a\xffb", 1}, {"会议", 2}}.MarshalJSON()
	require.NoError(t, err)
	assert.Equal(t, `{"a\ufffdb":1,"会议":2}`, strings.ReplaceAll(string(out), "\ufffd", `\ufffd`))
}
