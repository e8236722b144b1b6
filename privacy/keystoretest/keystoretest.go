// Package keystoretest is the conformance suite every privacy.KeyStore
// passes (the embedded KeyDir, MemoryKeys, the replicas' SharedKeys), and
// the cross-replica cases of a store that several processes share. Test
// code only.
package keystoretest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/yishi-civic/yishi/privacy"
)

var ctx = context.Background()

// Run runs the suite against stores made by open, a fresh empty store per
// subtest.
func Run(t *testing.T, open func(t testing.TB) privacy.KeyStore) {
	t.Run("EnsureAndKey", func(t *testing.T) {
		ks := open(t)
		erased, err := ks.Ensure(ctx, []string{"person/a", "item/proposal-1"})
		if err != nil || len(erased) != 0 {
			t.Fatalf("ensure: %v, %v", erased, err)
		}
		ka := mustKey(t, ks, "person/a")
		if len(ka) != privacy.KeySize {
			t.Fatalf("key of %d bytes", len(ka))
		}
		if _, err := ks.Ensure(ctx, []string{"person/a"}); err != nil {
			t.Fatal(err)
		}
		if again := mustKey(t, ks, "person/a"); !bytes.Equal(ka, again) {
			t.Fatal("a second Ensure changed the key")
		}
		if bytes.Equal(ka, mustKey(t, ks, "item/proposal-1")) {
			t.Fatal("two ids share a key")
		}
		if _, err := ks.Key(ctx, "person/none"); !errors.Is(err, privacy.ErrNoKey) {
			t.Fatalf("key of an unknown id: %v, want ErrNoKey", err)
		}
	})
	t.Run("OneCallSeesItsOwnRecords", func(t *testing.T) {
		// A tombstone and a key of one id in one Put (two key files
		// put together): the erasure stands.
		ks := open(t)
		at := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
		if err := ks.Put(ctx, []privacy.Entry{{ID: "person/a", Erased: at}, {ID: "person/a", Key: bytes.Repeat([]byte{7}, privacy.KeySize)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := ks.Key(ctx, "person/a"); !errors.Is(err, privacy.ErrErased) {
			t.Fatalf("the erased key came back: %v", err)
		}
	})
	t.Run("Erase", func(t *testing.T) {
		ks := open(t)
		if _, err := ks.Ensure(ctx, []string{"person/a", "person/b"}); err != nil {
			t.Fatal(err)
		}
		first := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
		if err := ks.Erase(ctx, first, "person/a", "person/never"); err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{"person/a", "person/never"} {
			if _, err := ks.Key(ctx, id); !errors.Is(err, privacy.ErrErased) {
				t.Errorf("key of erased %s: %v, want ErrErased", id, err)
			}
		}
		erased, err := ks.Ensure(ctx, []string{"person/a", "person/b", "person/never"})
		if err != nil || !slices.Equal(erased, []string{"person/a", "person/never"}) {
			t.Fatalf("ensure after erasure: %v, %v; an erased key is never created again", erased, err)
		}
		mustKey(t, ks, "person/b")
		if err := ks.Erase(ctx, first.Add(time.Hour), "person/a"); err != nil {
			t.Fatal(err)
		}
		for e, err := range ks.All(ctx) {
			if err != nil {
				t.Fatal(err)
			}
			if e.ID == "person/a" && !e.Erased.Equal(first) {
				t.Errorf("erasing again moved the tombstone's time to %v", e.Erased)
			}
		}
	})
	t.Run("AllAndPut", func(t *testing.T) {
		ks := open(t)
		if _, err := ks.Ensure(ctx, []string{"person/c", "person/a", "item/x"}); err != nil {
			t.Fatal(err)
		}
		at := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		if err := ks.Erase(ctx, at, "person/c"); err != nil {
			t.Fatal(err)
		}
		all := collect(t, ks)
		var ids []string
		for _, e := range all {
			ids = append(ids, e.ID)
		}
		if !slices.Equal(ids, []string{"item/x", "person/a", "person/c"}) {
			t.Fatalf("All: %v, want every id ordered", ids)
		}
		if all[2].Key != nil || !all[2].Erased.Equal(at) || len(all[1].Key) != privacy.KeySize {
			t.Fatalf("All: %+v", all)
		}
		other := open(t)
		if err := other.Put(ctx, all); err != nil {
			t.Fatal(err)
		}
		if got := mustKey(t, other, "person/a"); !bytes.Equal(got, all[1].Key) {
			t.Fatal("Put did not carry the key")
		}
		if _, err := other.Key(ctx, "person/c"); !errors.Is(err, privacy.ErrErased) {
			t.Fatalf("Put did not carry the tombstone: %v", err)
		}
		// A key never replaces a tombstone.
		if err := other.Put(ctx, []privacy.Entry{{ID: "person/c", Key: bytes.Repeat([]byte{7}, privacy.KeySize)}}); err != nil {
			t.Fatal(err)
		}
		if _, err := other.Key(ctx, "person/c"); !errors.Is(err, privacy.ErrErased) {
			t.Fatalf("a key replaced a tombstone: %v", err)
		}
		// A tombstone replaces a key.
		if err := other.Put(ctx, []privacy.Entry{{ID: "person/a", Erased: at}}); err != nil {
			t.Fatal(err)
		}
		if _, err := other.Key(ctx, "person/a"); !errors.Is(err, privacy.ErrErased) {
			t.Fatalf("a tombstone did not replace a key: %v", err)
		}
	})
	t.Run("ConcurrentEnsure", func(t *testing.T) {
		ks := open(t)
		keys := ensureAtOnce(t, []privacy.KeyStore{ks, ks, ks, ks, ks, ks, ks, ks}, "person/hot")
		for i, k := range keys {
			if !bytes.Equal(k, keys[0]) {
				t.Fatalf("ensure %d got another key than ensure 0", i)
			}
		}
	})
}

// RunShared runs the cases of a store shared by replicas: open returns two
// stores (two replicas' clients) on one fresh shared store.
func RunShared(t *testing.T, open func(t testing.TB) (a, b privacy.KeyStore)) {
	t.Run("OneKeyPerId", func(t *testing.T) {
		a, b := open(t)
		for i := range 5 {
			id := fmt.Sprintf("person/p%d", i)
			keys := ensureAtOnce(t, []privacy.KeyStore{a, b, a, b}, id)
			for j, k := range keys {
				if !bytes.Equal(k, keys[0]) {
					t.Fatalf("%s: replica %d's Ensure got another key than replica 0's", id, j%2)
				}
			}
			if !bytes.Equal(mustKey(t, a, id), mustKey(t, b, id)) {
				t.Fatalf("%s: the replicas read different keys", id)
			}
		}
	})
	t.Run("ErasedByTheOther", func(t *testing.T) {
		a, b := open(t)
		if _, err := a.Ensure(ctx, []string{"person/x", "person/y"}); err != nil {
			t.Fatal(err)
		}
		mustKey(t, b, "person/x") // b caches it
		mustKey(t, b, "person/y")
		if err := a.Erase(ctx, time.Now(), "person/x"); err != nil {
			t.Fatal(err)
		}
		// b's cache does not know yet; a key it has never read, does.
		if erased, err := b.Ensure(ctx, []string{"person/x2"}); err != nil || len(erased) != 0 {
			t.Fatalf("ensure: %v, %v", erased, err)
		}
		if err := a.Erase(ctx, time.Now(), "person/x2"); err != nil {
			t.Fatal(err)
		}
		// Following the log, b applies the erasure itself: from then on
		// the key is gone for it too, and stays gone.
		if err := b.Erase(ctx, time.Now(), "person/x"); err != nil {
			t.Fatal(err)
		}
		for _, ks := range []privacy.KeyStore{a, b} {
			if _, err := ks.Key(ctx, "person/x"); !errors.Is(err, privacy.ErrErased) {
				t.Fatalf("after the erasure: %v, want ErrErased", err)
			}
			if erased, err := ks.Ensure(ctx, []string{"person/x", "person/y"}); err != nil || !slices.Equal(erased, []string{"person/x"}) {
				t.Fatalf("ensure after the erasure: %v, %v", erased, err)
			}
		}
		mustKey(t, a, "person/y")
	})
	t.Run("EnsureRacesErase", func(t *testing.T) {
		// One replica creates ids while the other erases them: each ends
		// erased for both, never with a key created after its tombstone.
		a, b := open(t)
		var wg sync.WaitGroup
		ids := []string{"person/r0", "person/r1", "person/r2", "person/r3", "person/r4", "person/r5"}
		errs := make(chan error, 2*len(ids))
		for _, id := range ids {
			wg.Add(2)
			go func() {
				defer wg.Done()
				if _, err := a.Ensure(ctx, []string{id}); err != nil {
					errs <- err
				}
			}()
			go func() {
				defer wg.Done()
				if err := b.Erase(ctx, time.Now(), id); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if err := a.Erase(ctx, time.Now(), ids...); err != nil { // a follows the log too
			t.Fatal(err)
		}
		for _, id := range ids {
			for _, ks := range []privacy.KeyStore{a, b} {
				if erased, err := ks.Ensure(ctx, []string{id}); err != nil || len(erased) != 1 {
					t.Fatalf("%s: ensure after the race: %v, %v; want it erased", id, erased, err)
				}
			}
		}
	})
}

// ensureAtOnce calls Ensure(id) on every store at once and returns the key
// each then reads.
func ensureAtOnce(t testing.TB, stores []privacy.KeyStore, id string) [][]byte {
	t.Helper()
	keys := make([][]byte, len(stores))
	errs := make([]error, len(stores))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, ks := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, errs[i] = ks.Ensure(ctx, []string{id}); errs[i] == nil {
				keys[i], errs[i] = ks.Key(ctx, id)
			}
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("ensure %d of %s: %v", i, id, err)
		}
	}
	return keys
}

func mustKey(t testing.TB, ks privacy.KeyStore, id string) []byte {
	t.Helper()
	k, err := ks.Key(ctx, id)
	if err != nil {
		t.Fatalf("key %s: %v", id, err)
	}
	return k
}

func collect(t testing.TB, ks privacy.KeyStore) []privacy.Entry {
	t.Helper()
	var all []privacy.Entry
	for e, err := range ks.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, e)
	}
	return all
}
