package projections

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yishi-civic/yishi/eventstore"
)

// Query limits shared by the views' paginated queries.
const (
	// DefaultLimit is the page size when a query asks for none.
	DefaultLimit = 50
	// MaxLimit is the largest page a query returns.
	MaxLimit = 500
)

func pageLimit(n int) int {
	if n <= 0 {
		return DefaultLimit
	}
	return min(n, MaxLimit)
}

// china is the time zone of the statistics' calendar months (UTC+8, no
// daylight saving), fixed so that no time zone database is needed.
var china = time.FixedZone("CST", 8*3600)

// monthOf returns t's calendar month in China, such as "2026-07".
func monthOf(t time.Time) string { return t.In(china).Format("2006-01") }

// positionCursor encodes a position as a cursor.
func positionCursor(p eventstore.Position) string { return strconv.FormatUint(uint64(p), 10) }

// parsePositionCursor decodes a cursor made by positionCursor; an empty or
// malformed cursor starts from the beginning.
func parsePositionCursor(c string) eventstore.Position {
	p, _ := strconv.ParseUint(c, 10, 64)
	return eventstore.Position(p)
}

// MaskName keeps a person's name's first character and stars the rest
// (张三 → 张*), for public views.
func MaskName(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(s)
	return string(r) + "*"
}

// MaskText stars every run of digits in free text, which hides phone
// numbers and door numbers (3号楼2单元501室 → *号楼*单元*室), for public
// views.
func MaskText(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' }) < 0 {
		return s
	}
	var b strings.Builder
	digits := false
	for _, r := range s {
		if r >= '0' && r <= '9' {
			if !digits {
				b.WriteByte('*')
			}
			digits = true
			continue
		}
		digits = false
		b.WriteRune(r)
	}
	return b.String()
}

// cloneStrings copies a slice, keeping nil as nil.
func cloneStrings(s []string) []string { return slices.Clone(s) }
