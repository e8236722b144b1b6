package privacy_test

import (
	"context"
	"encoding/json"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/privacy"
)

var ctx = context.Background()

// TestCataloguePlans checks that every event type's pii tags parse and
// lead to real fields: a typo in a tag fails here, not at the first append.
func TestCataloguePlans(t *testing.T) {
	s := privacy.NewSealer(privacy.NewMemoryKeys())
	for _, typ := range domain.EventTypes() {
		e, err := domain.Decode(typ, []byte("{}"))
		require.NoError(t, err)
		_, err = s.Seal(ctx, "proposal-x", []domain.Event{e})
		require.NoError(t, err, typ)
	}
}

// stored round-trips a sealed event through its stored JSON, as every
// reader gets it: Open works on the reader's own copy.
func stored(t *testing.T, e domain.Event) domain.Event {
	t.Helper()
	b, err := json.Marshal(e)
	require.NoError(t, err)
	d, err := domain.Decode(e.EventType(), b)
	require.NoError(t, err)
	return d
}

func submitted() domain.ProposalSubmitted {
	return domain.ProposalSubmitted{
		ProposalID: "p1", CommunityID: "c1", GridID: "g1", Title: "停车棚夹道乱堆乱放",
		Text: "3号楼2单元501室门口堆了旧家具，电话13912345678", Place: "3号楼2单元501室门口",
		Photos: []string{"sha-a", "sha-b"}, Channel: domain.ChannelOnline,
		Author: domain.Party{Kind: domain.PartyPerson, ID: "zhang", Name: "张三"},
		At:     time.Date(2026, 7, 1, 9, 0, 0, 0, time.UTC),
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	s := privacy.NewSealer(privacy.NewMemoryKeys())
	orig := submitted()
	sealed, err := s.Seal(ctx, "proposal-p1", []domain.Event{orig})
	require.NoError(t, err)
	body, err := json.Marshal(sealed[0])
	require.NoError(t, err)
	for _, secret := range []string{"张三", "501室", "13912345678", "sha-a"} {
		require.NotContains(t, string(body), secret)
	}
	require.Contains(t, string(body), "停车棚夹道乱堆乱放", "titles are public, not sealed")
	require.Equal(t, orig.Photos[0], "sha-a", "Seal must not change its input")
	require.Equal(t, orig.Author.Name, "张三", "Seal must not change its input")

	back, err := domain.Decode(orig.EventType(), body)
	require.NoError(t, err)
	opened, err := s.Open(ctx, back)
	require.NoError(t, err)
	require.Equal(t, orig, opened)
}

func TestEraseReadsAsMarker(t *testing.T) {
	keys := privacy.NewMemoryKeys()
	s := privacy.NewSealer(keys)
	sealed, err := s.Seal(ctx, "proposal-p1", []domain.Event{submitted()})
	require.NoError(t, err)
	require.NoError(t, s.Erase(ctx, time.Now(), privacy.PersonKey("zhang")))
	// A fresh sealer (another process) sees the erasure through the store.
	for _, r := range []*privacy.Sealer{s, privacy.NewSealer(keys)} {
		got, err := r.Open(ctx, stored(t, sealed[0]))
		require.NoError(t, err)
		p := got.(domain.ProposalSubmitted)
		require.Equal(t, privacy.ErasedName, p.Author.Name)
		require.Equal(t, privacy.ErasedText, p.Text)
		require.Equal(t, privacy.ErasedText, p.Place)
		require.Equal(t, []string{privacy.ErasedText, privacy.ErasedText}, p.Photos, "the number of photos stays")
		require.Equal(t, "zhang", p.Author.ID, "ids stay: counts and links stay right")
		require.Equal(t, "停车棚夹道乱堆乱放", p.Title)
	}
	// After the erasure, new data about the person is never stored.
	again, err := s.Seal(ctx, "proposal-p2", []domain.Event{submitted()})
	require.NoError(t, err)
	body, _ := json.Marshal(again[0])
	require.NotContains(t, string(body), "张三")
	got, err := s.Open(ctx, stored(t, again[0]))
	require.NoError(t, err)
	require.Equal(t, privacy.ErasedName, got.(domain.ProposalSubmitted).Author.Name)
}

func TestItemErasureKeepsTheAuthor(t *testing.T) {
	s := privacy.NewSealer(privacy.NewMemoryKeys())
	sealed, err := s.Seal(ctx, "proposal-p1", []domain.Event{submitted()})
	require.NoError(t, err)
	require.NoError(t, s.Erase(ctx, time.Now(), privacy.ItemKey("proposal-p1")))
	got, err := s.Open(ctx, stored(t, sealed[0]))
	require.NoError(t, err)
	p := got.(domain.ProposalSubmitted)
	require.Equal(t, "张三", p.Author.Name)
	require.Equal(t, privacy.ErasedText, p.Text)
}

// A door number belongs to every owner of the unit: erasing any one of
// them erases it.
func TestDoorNeedsEveryOwner(t *testing.T) {
	s := privacy.NewSealer(privacy.NewMemoryKeys())
	u := domain.UnitRegistered{CommunityID: "c", CompoundID: "k", UnitID: "u", Label: "3-2-101", AreaDM2: 8956,
		Owners: []domain.Voter{{PersonID: "a", Name: "李四"}, {PersonID: "b", Name: "王五"}}}
	sealed, err := s.Seal(ctx, "organisation-c", []domain.Event{u})
	require.NoError(t, err)
	got, err := s.Open(ctx, stored(t, sealed[0]))
	require.NoError(t, err)
	require.Equal(t, u, got)
	require.NoError(t, s.Erase(ctx, time.Now(), privacy.PersonKey("b")))
	got, err = s.Open(ctx, stored(t, sealed[0]))
	require.NoError(t, err)
	g := got.(domain.UnitRegistered)
	require.Equal(t, privacy.ErasedText, g.Label)
	require.Equal(t, "李四", g.Owners[0].Name)
	require.Equal(t, privacy.ErasedName, g.Owners[1].Name)
	require.Equal(t, int64(8956), g.AreaDM2)
}

func TestUnitsArePublic(t *testing.T) {
	s := privacy.NewSealer(privacy.NewMemoryKeys())
	p := submitted()
	p.Author = domain.Party{Kind: domain.PartyUnit, ID: "wuye", Name: "某物业公司"}
	sealed, err := s.Seal(ctx, "proposal-p1", []domain.Event{p})
	require.NoError(t, err)
	require.Equal(t, p, sealed[0], "a unit's proposal holds no personal data")
}

func TestOpenForWithholdsOthers(t *testing.T) {
	s := privacy.NewSealer(privacy.NewMemoryKeys())
	v := domain.VotingOpened{MeetingID: "m", Electorate: []domain.Voter{{PersonID: "a", Name: "李四"}, {PersonID: "b", Name: "王五"}}}
	sealed, err := s.Seal(ctx, "meeting-m", []domain.Event{v})
	require.NoError(t, err)
	got, err := s.OpenFor(ctx, stored(t, sealed[0]), "a")
	require.NoError(t, err)
	e := got.(domain.VotingOpened).Electorate
	require.Equal(t, "李四", e[0].Name)
	require.Equal(t, privacy.Withheld, e[1].Name)
	require.False(t, strings.Contains(e[1].Name, "王"))
}

// TestPlaintextReadsAsBefore: events written before sealing (plaintext
// fields) open unchanged, whatever keys exist or are erased.
func TestPlaintextReadsAsBefore(t *testing.T) {
	s := privacy.NewSealer(privacy.NewMemoryKeys())
	require.NoError(t, s.Erase(ctx, time.Now(), privacy.PersonKey("zhang")))
	orig := submitted()
	got, err := s.Open(ctx, orig)
	require.NoError(t, err)
	require.Equal(t, orig, got)
	body, err := json.Marshal(orig)
	require.NoError(t, err)
	require.False(t, privacy.MaySeal(body))
}

// TestOpenInPlaceEqualsOpen: the projections' decoder opens the struct it
// just decoded in place; it must read exactly as Open does, erased fields
// included, and refuse what is not a pointer to an event struct.
func TestOpenInPlaceEqualsOpen(t *testing.T) {
	s := privacy.NewSealer(privacy.NewMemoryKeys())
	sealed, err := s.Seal(ctx, "proposal-p1", []domain.Event{submitted()})
	require.NoError(t, err)
	body, err := json.Marshal(sealed[0])
	require.NoError(t, err)
	for _, erase := range []bool{false, true} {
		if erase {
			require.NoError(t, s.Erase(ctx, time.Now(), privacy.ItemKey("proposal-p1")))
		}
		want, err := s.Open(ctx, stored(t, sealed[0]))
		require.NoError(t, err)
		var got domain.ProposalSubmitted
		require.NoError(t, json.Unmarshal(body, &got))
		require.NoError(t, s.OpenInPlace(ctx, &got))
		require.Equal(t, want, got)
	}
	require.Error(t, s.OpenInPlace(ctx, submitted()))
}

// slowKeys hands out keys only when told to, so that an erasure can come
// between a key's read and its caching. Only the first read is told of
// (reading): a later one, which a test does not wait for, must not hang it.
type slowKeys struct {
	*privacy.MemoryKeys
	reading chan struct{}
	release chan struct{}
	told    sync.Once
}

func (k *slowKeys) Key(ctx context.Context, id string) ([]byte, error) {
	key, err := k.MemoryKeys.Key(ctx, id)
	k.told.Do(func() { k.reading <- struct{}{} })
	<-k.release
	return key, err
}

// TestEraseDuringARead: a key read from the store before an erasure and
// cached after it must not bring the erased data back.
func TestEraseDuringARead(t *testing.T) {
	mem := privacy.NewMemoryKeys()
	sealed, err := privacy.NewSealer(mem).Seal(ctx, "meeting-m", []domain.Event{domain.ProposalSupported{ProposalID: "p", PersonID: "a", Name: "李四"}})
	require.NoError(t, err)
	keys := &slowKeys{MemoryKeys: mem, reading: make(chan struct{}), release: make(chan struct{})}
	s := privacy.NewSealer(keys)
	done := make(chan domain.Event)
	go func() {
		got, _ := s.Open(ctx, stored(t, sealed[0]))
		done <- got
	}()
	<-keys.reading // the reader holds the live key
	require.NoError(t, s.Erase(ctx, time.Now(), privacy.PersonKey("a")))
	close(keys.release)
	<-done
	got, err := s.Open(ctx, stored(t, sealed[0]))
	require.NoError(t, err)
	require.Equal(t, privacy.ErasedName, got.(domain.ProposalSupported).Name)
}

// TestEraseDuringAHeldRead: the same for a view's answer (OpenJSON): a
// value opened with a key read before an erasure is not kept among the
// values opened lately after it.
func TestEraseDuringAHeldRead(t *testing.T) {
	mem := privacy.NewMemoryKeys()
	sealed, err := privacy.NewSealer(mem).Seal(ctx, "meeting-m", []domain.Event{domain.ProposalSupported{ProposalID: "p", PersonID: "a", Name: "李四"}})
	require.NoError(t, err)
	e := sealed[0].(domain.ProposalSupported)
	require.NoError(t, privacy.MarkInPlace(&e))
	answer, err := json.Marshal(e)
	require.NoError(t, err)
	keys := &slowKeys{MemoryKeys: mem, reading: make(chan struct{}), release: make(chan struct{})}
	s := privacy.NewSealer(keys)
	done := make(chan struct{})
	go func() {
		_, _ = s.OpenJSON(ctx, answer)
		close(done)
	}()
	<-keys.reading // the reader holds the live key
	require.NoError(t, s.Erase(ctx, time.Now(), privacy.PersonKey("a")))
	close(keys.release)
	<-done
	got, err := s.OpenJSON(ctx, answer)
	require.NoError(t, err)
	require.NotContains(t, string(got), "李四")
	require.Contains(t, string(got), privacy.ErasedName)
}

// TestPartnerContactIsSealed: a partner unit's contact person is personal
// data, sealed under the partner's id; the unit's name stays public.
func TestPartnerContactIsSealed(t *testing.T) {
	s := privacy.NewSealer(privacy.NewMemoryKeys())
	p := domain.PartnerRegistered{CommunityID: "c", PartnerID: "wuye", Name: "衡苑物业服务中心", Kind: domain.UnitPropertyManagement, Contact: "王经理 13912345678"}
	sealed, err := s.Seal(ctx, "organisation-c", []domain.Event{p})
	require.NoError(t, err)
	body, err := json.Marshal(sealed[0])
	require.NoError(t, err)
	require.NotContains(t, string(body), "王经理")
	require.Contains(t, string(body), "衡苑物业服务中心")
	got, err := s.Open(ctx, stored(t, sealed[0]))
	require.NoError(t, err)
	require.Equal(t, p, got)
	require.NoError(t, s.Erase(ctx, time.Now(), privacy.PersonKey("wuye")))
	got, err = s.Open(ctx, stored(t, sealed[0]))
	require.NoError(t, err)
	require.Equal(t, privacy.ErasedText, got.(domain.PartnerRegistered).Contact)
	require.Equal(t, "衡苑物业服务中心", got.(domain.PartnerRegistered).Name)
}

// TestSealPlaintextKeepsSealedFields checks the re-sealing migration's
// sealer: a field sealed already is kept byte for byte, a plaintext one is
// sealed and counted, and a plaintext one whose key was erased meanwhile
// is stored with nothing of it.
func TestSealPlaintextKeepsSealedFields(t *testing.T) {
	s := privacy.NewSealer(privacy.NewMemoryKeys())
	sealed, err := s.Seal(ctx, "proposal-p1", []domain.Event{submitted()})
	require.NoError(t, err)
	mixed := sealed[0].(domain.ProposalSubmitted)
	mixed.Text = "我家3号楼2单元501室门口" // as written before sealing
	again, n, err := s.SealPlaintext(ctx, "proposal-p1", []domain.Event{mixed})
	require.NoError(t, err)
	require.Equal(t, 1, n, "only the plaintext field is sealed")
	got := again[0].(domain.ProposalSubmitted)
	require.Equal(t, mixed.Author.Name, got.Author.Name, "a sealed field is kept as it was")
	require.Equal(t, mixed.Photos, got.Photos)
	require.True(t, privacy.IsSealed(got.Text))
	opened, err := s.Open(ctx, stored(t, got))
	require.NoError(t, err)
	require.Equal(t, "我家3号楼2单元501室门口", opened.(domain.ProposalSubmitted).Text)
	require.Equal(t, "张三", opened.(domain.ProposalSubmitted).Author.Name)

	_, n, err = s.SealPlaintext(ctx, "proposal-p1", []domain.Event{got})
	require.NoError(t, err)
	require.Zero(t, n, "sealing twice seals nothing more")

	require.NoError(t, s.Erase(ctx, time.Now(), privacy.PersonKey("zhang")))
	erased, _, err := s.SealPlaintext(ctx, "proposal-p1", []domain.Event{mixed})
	require.NoError(t, err)
	body, _ := json.Marshal(erased[0])
	require.NotContains(t, string(body), "501室")
}

// countingKeys counts the key store's reads of each key.
type countingKeys struct {
	privacy.KeyStore
	mu    sync.Mutex
	reads map[string]int
}

func (c *countingKeys) Key(ctx context.Context, id string) ([]byte, error) {
	c.mu.Lock()
	c.reads[id]++
	c.mu.Unlock()
	return c.KeyStore.Key(ctx, id)
}

// An erasure forgets only the erased key: the
// rebuild that follows opens everyone else's data without reading their
// keys again.
func TestEraseKeepsOtherCiphers(t *testing.T) {
	keys := &countingKeys{KeyStore: privacy.NewMemoryKeys(), reads: map[string]int{}}
	s := privacy.NewSealer(keys)
	u := domain.UnitRegistered{CommunityID: "c", CompoundID: "k", UnitID: "u", Label: "3-2-101", AreaDM2: 8956,
		Owners: []domain.Voter{{PersonID: "a", Name: "李四"}, {PersonID: "b", Name: "王五"}}}
	other := u
	other.UnitID, other.Label, other.Owners = "v", "5-1-202", []domain.Voter{{PersonID: "c", Name: "赵六"}}
	sealed, err := s.Seal(ctx, "organisation-c", []domain.Event{u, other})
	require.NoError(t, err)
	for _, e := range sealed {
		_, err := s.Open(ctx, stored(t, e))
		require.NoError(t, err)
	}
	before := maps.Clone(keys.reads)
	require.NoError(t, s.Erase(ctx, time.Now(), privacy.PersonKey("b")))
	got, err := s.Open(ctx, stored(t, sealed[1]))
	require.NoError(t, err)
	require.Equal(t, other, got, "another unit's owner is untouched")
	got, err = s.Open(ctx, stored(t, sealed[0]))
	require.NoError(t, err)
	g := got.(domain.UnitRegistered)
	require.Equal(t, privacy.ErasedText, g.Label, "the list of a and b went with b")
	require.Equal(t, "李四", g.Owners[0].Name)
	require.Equal(t, privacy.ErasedName, g.Owners[1].Name)
	require.Equal(t, before, keys.reads, "no key was read again")
}

// TestWatchersHearOfEveryNewGeneration: an erasure and a Forget each tell
// the watchers the generation that follows them, once the sealer no
// longer opens what was erased.
func TestWatchersHearOfEveryNewGeneration(t *testing.T) {
	s := privacy.NewSealer(privacy.NewMemoryKeys())
	var heard []uint64
	s.Watch(func(gen uint64) {
		heard = append(heard, gen)
		if gen != s.Generation() {
			t.Errorf("told of generation %d while the sealer is at %d", gen, s.Generation())
		}
	})
	require.NoError(t, s.Erase(ctx, time.Now(), "person/r1"))
	require.NotEmpty(t, heard)
	require.Equal(t, s.Generation(), heard[len(heard)-1])
	n := len(heard)
	s.Forget()
	require.Equal(t, []uint64{s.Generation()}, heard[n:])
}
