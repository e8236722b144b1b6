package main

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
)

// damonSys is a /sys with one kdamond, as on the machines measured: a
// scheme paging out the page cache of files no process maps, accessed at
// most once in a while for 12 aggregation intervals of 5 s.
func damonSys(state string) fstest.MapFS {
	const d = "kernel/mm/damon/admin/kdamonds/0/"
	const c = d + "contexts/0/"
	const s = c + "schemes/0/"
	return files(map[string]string{
		d + "state":                              state,
		c + "monitoring_attrs/intervals/aggr_us": "5000000",
		s + "action":                             "pageout",
		s + "access_pattern/age/min":             "12",
		s + "access_pattern/nr_accesses/max":     "1",
		s + "watermarks/metric":                  "none",
		s + "ops_filters/nr_filters":             "2",
		s + "ops_filters/0/type":                 "anon",
		s + "ops_filters/0/matching":             "Y",
		s + "ops_filters/0/allow":                "N",
		s + "ops_filters/1/type":                 "unmapped",
		s + "ops_filters/1/matching":             "Y",
		s + "ops_filters/1/allow":                "Y",
		s + "filters/nr_filters":                 "0",
		s + "core_filters/nr_filters":            "0",
	})
}

// files is a file system of the given texts, each with a newline.
func files(texts map[string]string) fstest.MapFS {
	m := fstest.MapFS{}
	for name, text := range texts {
		m[name] = &fstest.MapFile{Data: []byte(text + "\n")}
	}
	return m
}

// deniedFS refuses to read the kdamonds' states, as /sys does to any
// user but root.
type deniedFS struct{ fstest.MapFS }

func (d deniedFS) denied(name string) error {
	if strings.HasSuffix(name, "/state") {
		return &fs.PathError{Op: "open", Path: name, Err: fs.ErrPermission}
	}
	return nil
}

func (d deniedFS) Open(name string) (fs.File, error) {
	if err := d.denied(name); err != nil {
		return nil, err
	}
	return d.MapFS.Open(name)
}

func (d deniedFS) ReadFile(name string) ([]byte, error) {
	if err := d.denied(name); err != nil {
		return nil, err
	}
	return d.MapFS.ReadFile(name)
}

// TestKernelMemorySettings: the report tells what the kernel pages out
// when memory goes unused, from /sys, DAMON's filters applied as the
// kernel applies them.
func TestKernelMemorySettings(t *testing.T) {
	const s = "kernel/mm/damon/admin/kdamonds/0/contexts/0/schemes/0/"
	sys := damonSys("on")
	assert.Equal(t, "DAMON pageout of the page cache of files no process maps rarely used for 1m0s or more", idlePageout(sys))
	assert.Equal(t, "unknown: DAMON's settings are root's to read", idlePageout(deniedFS{sys}))
	assert.Equal(t, "none", idlePageout(damonSys("off")), "a kdamond that does not run")

	for _, c := range []struct {
		why  string
		set  map[string]string
		want string
	}{
		{"a scheme that pages nothing out", map[string]string{"action": "hugepage"}, "none"},
		{"anonymous memory kept; the rest is the opposite of the last filter",
			map[string]string{"ops_filters/nr_filters": "1"}, "DAMON pageout of the page cache rarely used for 1m0s or more"},
		{"a filter of what is not anonymous: file pages refused, mapped anonymous ones by default",
			map[string]string{"ops_filters/0/matching": "N"}, "DAMON pageout of anonymous memory no process maps rarely used for 1m0s or more"},
		{"the same filters the other way round: the first that matches decides",
			map[string]string{"ops_filters/0/type": "unmapped", "ops_filters/0/allow": "Y", "ops_filters/1/type": "anon", "ops_filters/1/allow": "N"},
			"DAMON pageout of the page cache of files no process maps and the page cache of files processes map and anonymous memory no process maps rarely used for 1m0s or more"},
		{"no filter", map[string]string{"ops_filters/nr_filters": "0"}, "DAMON pageout of any memory rarely used for 1m0s or more"},
		{"a filter of another type", map[string]string{"ops_filters/nr_filters": "3", "ops_filters/2/type": "memcg", "ops_filters/2/matching": "Y", "ops_filters/2/allow": "N"},
			"DAMON pageout of the page cache of files no process maps rarely used for 1m0s or more, filtered further"},
		{"never accessed, and only when memory runs low", map[string]string{"access_pattern/nr_accesses/max": "0", "watermarks/metric": "free_mem_rate"},
			"DAMON pageout of the page cache of files no process maps unused for 1m0s or more (when free memory runs low)"},
	} {
		sys := damonSys("on")
		for name, text := range c.set {
			sys[s+name] = &fstest.MapFile{Data: []byte(text + "\n")}
		}
		assert.Equal(t, c.want, idlePageout(sys), c.why)
	}

	sys = files(map[string]string{
		"module/damon_reclaim/parameters/enabled":   "Y",
		"module/damon_reclaim/parameters/skip_anon": "Y",
		"module/damon_reclaim/parameters/min_age":   "120000000",
	})
	assert.Equal(t, "DAMON_RECLAIM of the page cache unused for 2m0s or more (when free memory runs low)", idlePageout(sys))
	assert.Equal(t, "none", idlePageout(fstest.MapFS{}))
}
