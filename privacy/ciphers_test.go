package privacy

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
)

// TestCacheSecondChance: when the cache is full, an entry read since the
// clock's hand last passed it outlives one that was not, and the cache
// never holds more than its bound.
func TestCacheSecondChance(t *testing.T) {
	c := newCipherCache(4)
	for i := range 4 {
		c.put(fmt.Sprint(i), &cached{})
	}
	require.NotNil(t, c.get("1"))
	require.NotNil(t, c.get("3"))
	c.put("4", &cached{})
	c.put("5", &cached{})
	require.Equal(t, 4, c.len())
	for _, id := range []string{"1", "3", "4", "5"} {
		require.NotNil(t, c.m[id], "%s kept", id)
	}
	require.Nil(t, c.m["0"])
	require.Nil(t, c.m["2"])
	again := &cached{}
	c.put("4", again)
	require.Same(t, again, c.m["4"], "a key put again replaces its entry in place")
	require.Equal(t, 4, c.len())
}

// sealV1 seals plaintext in the form written before v2: AES-256-GCM under
// each key in turn.
func sealV1(t *testing.T, keys KeyStore, plaintext string, ids ...string) string {
	t.Helper()
	_, err := keys.Ensure(context.Background(), ids)
	require.NoError(t, err)
	b := []byte(plaintext)
	for _, id := range ids {
		k, err := keys.Key(context.Background(), id)
		require.NoError(t, err)
		block, err := aes.NewCipher(k)
		require.NoError(t, err)
		a, err := cipher.NewGCM(block)
		require.NoError(t, err)
		nonce := make([]byte, a.NonceSize())
		_, err = rand.Read(nonce)
		require.NoError(t, err)
		b = a.Seal(nonce, nonce, b, []byte(id))
	}
	return prefixV1 + base64.RawStdEncoding.EncodeToString(b) + ":" + joinKeys(ids)
}

// TestOpensV1Values: values sealed with AES-256-GCM before v2 still open,
// beside v2 values under the same keys, and read as erased once a key of
// theirs is erased; a value sealed now is v2.
func TestOpensV1Values(t *testing.T) {
	ctx := context.Background()
	keys := NewMemoryKeys()
	s := NewSealer(keys)
	person, item := PersonKey("r1"), ItemKey("proposal-p1")
	old := domain.ProposalSubmitted{ProposalID: "p1", Author: domain.Party{Kind: domain.PartyPerson, ID: "r1",
		Name: sealV1(t, keys, "李秀兰", person)},
		Text: sealV1(t, keys, "车棚夹道堆了旧家具", person, item)}
	now, err := s.Seal(ctx, "proposal-p1", []domain.Event{domain.ProposalSupported{ProposalID: "p1", PersonID: "r1", Name: "李秀兰"}})
	require.NoError(t, err)
	require.True(t, IsSealed(now[0].(domain.ProposalSupported).Name))
	require.Contains(t, now[0].(domain.ProposalSupported).Name, prefix)

	got, err := s.Open(ctx, old)
	require.NoError(t, err)
	require.Equal(t, "李秀兰", got.(domain.ProposalSubmitted).Author.Name)
	require.Equal(t, "车棚夹道堆了旧家具", got.(domain.ProposalSubmitted).Text)
	sup, err := s.Open(ctx, now[0])
	require.NoError(t, err)
	require.Equal(t, "李秀兰", sup.(domain.ProposalSupported).Name)

	require.NoError(t, s.Erase(ctx, time.Now(), item))
	got, err = s.Open(ctx, old)
	require.NoError(t, err)
	require.Equal(t, "李秀兰", got.(domain.ProposalSubmitted).Author.Name, "the name is under the person's key alone")
	require.Equal(t, ErasedText, got.(domain.ProposalSubmitted).Text)
}

// TestListCachedBeforeAnErasure: a value's list of keys, cached while all
// were there, reads as erased after one of them is erased, also when that
// key's own entry fell out of the cache in between; with the caches
// under one lock and in shards.
func TestListCachedBeforeAnErasure(t *testing.T) {
	for _, shards := range []int{1, sealerShards} {
		t.Run(fmt.Sprint("shards=", shards), func(t *testing.T) { listCachedBeforeAnErasure(t, shards) })
	}
}

func listCachedBeforeAnErasure(t *testing.T, shards int) {
	ctx := context.Background()
	s := newSealer(NewMemoryKeys(), shards, 8)
	seal := func(person, text string) domain.Event {
		out, err := s.Seal(ctx, "wish-w1", []domain.Event{domain.WishPosted{WishID: "w1",
			WishMaker: domain.Voter{PersonID: person, Name: "王" + person}, Story: text}})
		require.NoError(t, err)
		return out[0]
	}
	v := seal("a", "想要一副老花镜")
	story := func(e domain.Event) string {
		got, err := s.Open(ctx, e)
		require.NoError(t, err)
		return got.(domain.WishPosted).Story
	}
	require.Equal(t, "想要一副老花镜", story(v))
	for i := range 20 {
		story(seal(fmt.Sprint("p", i), "别的心愿"))
		story(v) // the list stays used; its keys' own entries do not
	}
	require.NoError(t, s.Erase(ctx, time.Now(), PersonKey("a")))
	require.Equal(t, ErasedText, story(v))
}

// slowErase is a key store whose Erase waits for release after it is
// called, as a durable erasure takes its time.
type slowErase struct {
	KeyStore
	called, release chan struct{}
}

func (k slowErase) Erase(ctx context.Context, at time.Time, ids ...string) error {
	close(k.called)
	<-k.release
	return k.KeyStore.Erase(ctx, at, ids...)
}

// TestEraseWhileTheStoreErases: values opened while the key store is still
// erasing a key (its erased mark evicted by other opens meanwhile) may read
// either way, but once Erase has returned the erased person's data reads as
// erased, never from a key cached in between.
func TestEraseWhileTheStoreErases(t *testing.T) {
	for _, shards := range []int{1, sealerShards} {
		t.Run(fmt.Sprint("shards=", shards), func(t *testing.T) { eraseWhileTheStoreErases(t, shards) })
	}
}

func eraseWhileTheStoreErases(t *testing.T, shards int) {
	ctx := context.Background()
	keys := slowErase{KeyStore: NewMemoryKeys(), called: make(chan struct{}), release: make(chan struct{})}
	s := newSealer(keys, shards, 16)
	seal := func(person, name string) domain.Event {
		out, err := s.Seal(ctx, "proposal-p", []domain.Event{domain.ProposalSupported{ProposalID: "p", PersonID: person, Name: name}})
		require.NoError(t, err)
		return out[0]
	}
	nameOf := func(e domain.Event) string {
		got, err := s.Open(ctx, e)
		require.NoError(t, err)
		return got.(domain.ProposalSupported).Name
	}
	alice := seal("r0", "Alice")
	others := make([]domain.Event, 64)
	for i := range others {
		others[i] = seal(fmt.Sprint("r", i+1), fmt.Sprint("居民", i+1))
	}
	done := make(chan error, 1)
	go func() { done <- s.Erase(ctx, time.Now(), PersonKey("r0")) }()
	<-keys.called
	for _, e := range others {
		nameOf(e) // evicts the erased mark
	}
	nameOf(alice) // the store still holds the key
	close(keys.release)
	require.NoError(t, <-done)
	require.Equal(t, ErasedName, nameOf(alice))
}
