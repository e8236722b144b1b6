package projections

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

// TestNotificationIDIsUUIDv5: the id computed without allocations is the
// name-based (SHA-1) UUID of the event's id and the person in the
// notifications' namespace, as uuid.NewSHA1 makes it, for short and long
// person ids alike; so ids stay the same across this change and rebuilds.
func TestNotificationIDIsUUIDv5(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		var ev uuid.UUID
		for j := range ev {
			ev[j] = byte(r.Uint32())
		}
		person := fmt.Sprintf("resident-%d", r.Uint32())
		if i%7 == 0 {
			person = strings.Repeat("长", 30+i%40) // longer than the stack buffer
		}
		want := uuid.NewSHA1(notificationSpace, append(ev[:], person...)).String()
		require.Equal(t, want, NotificationID(ev, person))
	}
	ev := uuid.MustParse("0192f5c8-4a55-7b1e-9e3a-1f2d3c4b5a69")
	got := uuid.MustParse(NotificationID(ev, "resident-1"))
	require.Equal(t, uuid.Version(5), got.Version())
	require.Equal(t, uuid.RFC4122, got.Variant())
}
