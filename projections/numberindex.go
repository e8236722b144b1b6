package projections

import "hash/maphash"

// numberIndex finds the number of a key among keys kept elsewhere (a
// dictionary's names, a list view's rows): a table of 8-byte slots with
// linear probing, each slot the number plus one (0 is empty) and 32 bits
// of its key's hash, which say where it lives and tell most other keys
// apart without reading them. A Go map of the same keys keeps a copy of
// each key in its slots: where the board's 600,000 ids of ten million
// events took a map of 24 bytes an id or more, made in about a fifth of
// the board's load, they take a table of 12 to 24 bytes an id (a third
// to two thirds full: 14 for the board's) that fits the CPU's cache
// better, and no key is copied
// (docs/performance.md, twentieth session). Keys are never removed.
type numberIndex struct {
	slots []uint64
	used  int
}

// hashSeed seeds the keys' hashes. It is made anew by each process, so
// that no one can choose ids that all land in one place of the table;
// the table is never written anywhere.
var hashSeed = maphash.MakeSeed()

// hashString is the hash of s (and of the bytes of s: maphash.Bytes
// hashes as maphash.String does).
func hashString(s string) uint64 { return maphash.String(hashSeed, s) }

// hashBytes is hashString of b.
func hashBytes(b []byte) uint64 { return maphash.Bytes(hashSeed, b) }

// hashKey is the hash of a fixed-size key (an ident, a pair of them).
func hashKey[K comparable](k K) uint64 { return maphash.Comparable(hashSeed, k) }

// newNumberIndex returns an index with room for n keys before it grows.
func newNumberIndex(n int) numberIndex {
	size := 8
	for size*2 < n*3 { // at most two thirds full
		size *= 2
	}
	return numberIndex{slots: make([]uint64, size)}
}

// tagOf is the 32 bits of a hash a slot keeps; its low bits are the
// slot where the key's probe starts.
func tagOf(h uint64) uint64 { return (h ^ h>>32) << 32 }

// find returns the number of the key hashed to h for which same is true.
func (x *numberIndex) find(h uint64, same func(int32) bool) (int32, bool) {
	if len(x.slots) == 0 {
		return 0, false
	}
	tag, mask := tagOf(h), uint64(len(x.slots)-1)
	for i := tag >> 32 & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			return 0, false
		}
		if s&^0xffffffff == tag && same(int32(uint32(s))-1) {
			return int32(uint32(s)) - 1, true
		}
	}
}

// put numbers n the key hashed to h, unless a key for which same is true
// is there: then it returns that key's number and false.
func (x *numberIndex) put(h uint64, n int32, same func(int32) bool) (int32, bool) {
	if (x.used+1)*3 > len(x.slots)*2 {
		x.grow()
	}
	tag, mask := tagOf(h), uint64(len(x.slots)-1)
	for i := tag >> 32 & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			x.slots[i] = tag | uint64(uint32(n)+1)
			x.used++
			return n, true
		}
		if s&^0xffffffff == tag && same(int32(uint32(s))-1) {
			return int32(uint32(s)) - 1, false
		}
	}
}

// grow doubles the table, each slot moved where its tag says.
func (x *numberIndex) grow() {
	old := x.slots
	x.slots = make([]uint64, max(8, 2*len(old)))
	mask := uint64(len(x.slots) - 1)
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := s >> 32 & mask
		for x.slots[i] != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = s
	}
}

// bulk empties the index and numbers the keys first to first+n-1 at once:
// hashOf(k) is key k's hash, and same(a, b) reports whether keys a and b
// are equal. The keys are put in the order of the slots their probes
// start at (a radix sort of their slots), so that the table is written
// from its start to its end, where putting them in their order wrote
// each to a slot at random: a miss in the CPU's cache for each key of a
// table larger than the cache (the board's ids at ten million events:
// docs/performance.md, twentieth session). It returns the first key it
// finds equal to another one put before it, and false, if there is one
// (the index then holds the keys put before it).
func (x *numberIndex) bulk(first int32, n int, hashOf func(int32) uint64, same func(a, b int32) bool) (int32, bool) {
	if x.used > 0 || n*3 > len(x.slots)*2 {
		*x = newNumberIndex(n)
	}
	mask := uint64(len(x.slots) - 1)
	bits := 0
	for 1<<bits < len(x.slots) {
		bits++
	}
	// Each entry is a slot's value: the tag above, the number plus one
	// below; sorted by the slot its probe starts at, eleven bits a pass.
	entries, spare := make([]uint64, n), make([]uint64, n)
	for i := range entries {
		k := first + int32(i)
		entries[i] = tagOf(hashOf(k)) | uint64(uint32(k)+1)
	}
	const digit = 11
	var counts [1 << digit]int
	for shift := 0; shift < bits; shift += digit {
		clear(counts[:])
		for _, e := range entries {
			counts[(e>>32&mask)>>shift&(1<<digit-1)]++
		}
		at := 0
		for d, c := range counts {
			counts[d], at = at, at+c
		}
		for _, e := range entries {
			d := (e >> 32 & mask) >> shift & (1<<digit - 1)
			spare[counts[d]] = e
			counts[d]++
		}
		entries, spare = spare, entries
	}
	for _, e := range entries {
		k := int32(uint32(e)) - 1
		for i := e >> 32 & mask; ; i = (i + 1) & mask {
			s := x.slots[i]
			if s == 0 {
				x.slots[i] = e
				x.used++
				break
			}
			if s&^0xffffffff == e&^0xffffffff && same(int32(uint32(s))-1, k) {
				return k, false
			}
		}
	}
	return 0, true
}
