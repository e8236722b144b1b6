package hugeheap

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
)

// TestMode: the mode is the bracketed one, the huge page size's own
// setting when it does not inherit the system's.
func TestMode(t *testing.T) {
	sys := fstest.MapFS{
		thp + "enabled":                  {Data: []byte("always [madvise] never\n")},
		thp + "hpage_pmd_size":           {Data: []byte("2097152\n")},
		thp + "hugepages-2048kB/enabled": {Data: []byte("always [inherit] madvise never\n")},
	}
	assert.Equal(t, "madvise", Mode(sys))
	sys[thp+"hugepages-2048kB/enabled"] = &fstest.MapFile{Data: []byte("always inherit madvise [never]\n")}
	assert.Equal(t, "never", Mode(sys), "the heap's huge pages set apart from the system's")
	sys[thp+"hpage_pmd_size"] = &fstest.MapFile{Data: []byte("4194304\n")}
	assert.Equal(t, "madvise", Mode(sys), "another huge page size: the system's setting")
	assert.Empty(t, Mode(fstest.MapFS{}), "no transparent huge pages")
}
