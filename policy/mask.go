package policy

import (
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/yishi-civic/yishi/privacy"
)

// Kind names a kind of personal data Text masks.
type Kind string

// The kinds of personal data found in free text.
const (
	// KindPhone is a mobile or landline number (13812345678,
	// +86 138-1234-5678, 010-88886666, (010)88886666), in ASCII or
	// full-width digits.
	KindPhone Kind = "phone"
	// KindIDNumber is an 18-digit resident ID number (its check digit may be
	// X) or any other run of 15 to 19 digits (bank cards, old ID numbers).
	KindIDNumber Kind = "id_number"
	// KindDoor is a door or unit number: 3号楼2单元302, 501室, 2-1-302.
	KindDoor Kind = "door"
	// KindEmail is an e-mail address.
	KindEmail Kind = "email"
)

// A digit that is not part of the match must not touch it: "d" stands for
// an ASCII digit after folding (see fold), so full-width digits match too.
var patterns = []struct {
	kind Kind
	re   *regexp.Regexp
}{
	{KindEmail, regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)},
	// An 18-digit ID number: region, birth date (19xx or 20xx), sequence,
	// check digit; then any long run of digits.
	{KindIDNumber, regexp.MustCompile(`[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]|\d{15,19}`)},
	// A mobile number, with the country code and separators people type.
	{KindPhone, regexp.MustCompile(`(?:(?:\+|00)?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2}`)},
	// A landline: the area code needs its dash or parentheses, or the whole
	// number starts with 0 and has 10 to 12 digits.
	{KindPhone, regexp.MustCompile(`(?:\(0\d{2,3}\)\s?|0\d{2,3}[ -])\d{7,8}(?:-\d{1,5})?|0\d{9,11}`)},
	// Door numbers: building-unit-room with dashes (2-1-302), a unit with
	// what follows (3号楼2单元302, 2单元501室), a room (501室, 12层1203室)
	// or a building followed by a room number (5号楼302).
	{KindDoor, regexp.MustCompile(`\d{1,3}-\d{1,2}-\d{3,4}` +
		`|(?:\d+\s*(?:号楼|栋|幢|座|号)\s*)?\d+\s*单元(?:\s*\d+\s*(?:层|楼))?(?:\s*\d+\s*(?:室|号房|号|户)?)?` +
		`|(?:\d+\s*(?:号楼|栋|幢|座)\s*)?(?:\d+\s*(?:层|楼)\s*)?\d+\s*(?:室|号房)` +
		`|\d+\s*(?:号楼|栋|幢|座)\s*\d{3,4}(?:\s*(?:室|号|户))?`)},
}

// fold maps full-width forms (U+FF01–U+FF5E: ０–９, Ａ–ｚ, ＠, －, ＋, （）)
// and the ideographic space to their ASCII counterparts, one rune for one,
// so that patterns written in ASCII find numbers typed on a Chinese input
// method.
func fold(r rune) rune {
	switch {
	case r >= 0xFF01 && r <= 0xFF5E:
		return r - 0xFEE0
	case r == 0x3000:
		return ' '
	}
	return r
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

// span is a match in rune indexes, end exclusive.
type span struct {
	from, to int
	kind     Kind
}

// find returns the spans of personal data in s, in rune indexes of s, and
// s as runes when there is any (every kind of personal data it finds holds
// a digit or an @, in ASCII or full width: text with neither, most of it,
// is passed over without a copy).
func find(s string) (runes []rune, spans []span) {
	if strings.IndexFunc(s, func(r rune) bool { f := fold(r); return isDigit(f) || f == '@' }) < 0 {
		return nil, nil
	}
	runes = []rune(s)
	folded := make([]rune, len(runes))
	for i, r := range runes {
		folded[i] = fold(r)
	}
	fs := string(folded)
	// byteToRune maps the byte offset of each rune of fs (matches start
	// and end on runes) to the rune's index.
	byteToRune := make([]int, len(fs)+1)
	ri := 0
	for bi := range fs {
		byteToRune[bi] = ri
		ri++
	}
	byteToRune[len(fs)] = len(folded)
	covered := make([]bool, len(folded))
	for _, p := range patterns {
		for _, m := range p.re.FindAllStringIndex(fs, -1) {
			from, to := byteToRune[m[0]], byteToRune[m[1]]
			// A number that is part of a longer number is not this one.
			if from > 0 && isDigit(folded[from-1]) && isDigit(folded[from]) {
				continue
			}
			if to < len(folded) && isDigit(folded[to]) && isDigit(folded[to-1]) {
				continue
			}
			if p.kind == KindDoor && from > 0 && folded[from-1] == '-' {
				continue
			}
			if overlaps(covered, from, to) {
				continue
			}
			for i := from; i < to; i++ {
				covered[i] = true
			}
			spans = append(spans, span{from, to, p.kind})
		}
	}
	return runes, spans
}

func overlaps(covered []bool, from, to int) bool {
	for i := from; i < to; i++ {
		if covered[i] {
			return true
		}
	}
	return false
}

// Text masks the personal data in free text for public answers: phone
// numbers, ID numbers, door and unit numbers and e-mail addresses, in
// ASCII or full-width characters. Each letter and digit of a match becomes
// "*" (separators and words such as 号楼 or 单元 stay, so a reader sees
// that something was hidden); everything else is left as written, so dates
// (2026-12-02, 2026年7月), amounts (3000元, ¥12,000.50), percentages, areas
// (89.56㎡), counts (24条, 第3网格) and place names (3号院, 3号楼) read as
// they were.
func Text(s string) string {
	runes, spans := find(s)
	if len(spans) == 0 {
		return s
	}
	for _, sp := range spans {
		for i := sp.from; i < sp.to; i++ {
			if f := fold(runes[i]); isDigit(f) || (f >= 'A' && f <= 'Z') || (f >= 'a' && f <= 'z') {
				runes[i] = '*'
			}
		}
	}
	return string(runes)
}

// Find reports the kinds of personal data in s, each once, in the order
// they first appear; nil when there is none. The API uses it to warn a
// writer whose public text looks like personal data.
func Find(s string) []Kind {
	_, spans := find(s)
	slices.SortFunc(spans, func(a, b span) int { return a.from - b.from })
	var kinds []Kind
	for _, sp := range spans {
		if !slices.Contains(kinds, sp.kind) {
			kinds = append(kinds, sp.kind)
		}
	}
	return kinds
}

// Name masks a person's name for public answers: its first character and
// a star (张三 → 张*, 欧阳娜娜 → 欧*, Li Wei → L*). The marker of an erased
// person (privacy.ErasedName, and the other markers) is no name: it stays
// whole, in both its languages.
func Name(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || privacy.IsMarker(s) {
		return s
	}
	r, _ := utf8.DecodeRuneInString(s)
	return string(r) + "*"
}
