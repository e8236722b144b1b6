package projections

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	gojson "github.com/goccy/go-json"

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
func monthOf(t time.Time) string {
	t = t.In(china)
	if y, m, _ := t.Date(); y >= firstMonthYear && y < firstMonthYear+len(monthNames)/12 {
		return monthNames[(y-firstMonthYear)*12+int(m)-1]
	}
	return t.Format("2006-01")
}

// monthNames are the months of this century as monthOf writes them, made
// once: a replay asks for a month several times an event, and formatting
// allocated each time.
var monthNames = func() []string {
	names := make([]string, 100*12)
	for i := range names {
		names[i] = fmt.Sprintf("%04d-%02d", firstMonthYear+i/12, i%12+1)
	}
	return names
}()

// firstMonthYear is the first year of monthNames.
const firstMonthYear = 2000

// positionCursor encodes a position as a cursor.
func positionCursor(p eventstore.Position) string { return strconv.FormatUint(uint64(p), 10) }

// parsePositionCursor decodes a cursor made by positionCursor; an empty or
// malformed cursor starts from the beginning.
func parsePositionCursor(c string) eventstore.Position {
	p, _ := strconv.ParseUint(c, 10, 64)
	return eventstore.Position(p)
}

// cloneStrings copies a slice, keeping nil as nil.
func cloneStrings(s []string) []string { return slices.Clone(s) }

// objectMap is a map written as a JSON object even when nil: a view can
// leave it unmade until its first entry (most meetings' are never written
// to before they end, or hold a few entries) and still write the
// snapshots it wrote when it made every one at once.
type objectMap[K comparable, V any] map[K]V

// MarshalJSON implements json.Marshaler: {} for a nil map.
func (m objectMap[K, V]) MarshalJSON() ([]byte, error) {
	if m == nil {
		return []byte("{}"), nil
	}
	return gojson.Marshal(map[K]V(m))
}

// set puts v under k in *m, making the map first when it is nil, with
// room for room entries (a meeting's attendance: attendanceRoom).
func (m *objectMap[K, V]) set(k K, v V, room int) {
	if *m == nil {
		*m = make(objectMap[K, V], room)
	}
	(*m)[k] = v
}

// attendanceRoom is the room to make a meeting's attendance with, for
// invited people: as many, one allocation rather than one at each growth,
// up to 256 (an owners' assembly may invite thousands, of whom a few
// attend).
func attendanceRoom(invited int) int { return min(invited, 256) }
