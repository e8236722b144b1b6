package main

import (
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
)

// damonSys is a /sys with one kdamond, as on the machines measured: a
// scheme paging out the page cache of files no process maps, idle 12
// aggregation intervals of 5 s.
func damonSys(state string) fstest.MapFS {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s + "\n")} }
	const d = "kernel/mm/damon/admin/kdamonds/0/"
	const c = d + "contexts/0/"
	const s = c + "schemes/0/"
	return fstest.MapFS{
		"kernel/mm/transparent_hugepage/enabled":   file("always [madvise] never"),
		d + "state":                                file(state),
		c + "operations":                           file("paddr"),
		c + "monitoring_attrs/intervals/aggr_us":   file("5000000"),
		c + "monitoring_attrs/intervals/sample_us": file("500000"),
		s + "action":                               file("pageout"),
		s + "access_pattern/age/min":               file("12"),
		s + "ops_filters/nr_filters":               file("2"),
		s + "ops_filters/0/type":                   file("anon"),
		s + "ops_filters/0/matching":               file("Y"),
		s + "ops_filters/0/allow":                  file("N"),
		s + "ops_filters/1/type":                   file("unmapped"),
		s + "ops_filters/1/matching":               file("Y"),
		s + "ops_filters/1/allow":                  file("Y"),
		s + "filters/nr_filters":                   file("0"),
	}
}

// TestKernelMemorySettings: the report tells the huge pages' mode and
// what the kernel pages out when idle, from /sys.
func TestKernelMemorySettings(t *testing.T) {
	sys := damonSys("on")
	assert.Equal(t, "madvise", hugePages(sys))
	assert.Equal(t, "DAMON pageout of the page cache of files no process maps idle 1m0s or more", idlePageout(sys))

	assert.Equal(t, "none", idlePageout(damonSys("off")), "a kdamond that does not run")

	sys = damonSys("on")
	sys["kernel/mm/damon/admin/kdamonds/0/contexts/0/schemes/0/action"] = &fstest.MapFile{Data: []byte("hugepage\n")}
	assert.Equal(t, "none", idlePageout(sys), "a scheme that pages nothing out")

	sys = damonSys("on")
	sys["kernel/mm/damon/admin/kdamonds/0/contexts/0/schemes/0/ops_filters/nr_filters"] = &fstest.MapFile{Data: []byte("1\n")}
	assert.Equal(t, "DAMON pageout of the page cache idle 1m0s or more", idlePageout(sys), "anonymous memory kept only")
	sys = damonSys("on")
	sys["kernel/mm/damon/admin/kdamonds/0/contexts/0/schemes/0/ops_filters/0/matching"] = &fstest.MapFile{Data: []byte("N\n")}
	assert.Equal(t, "DAMON pageout of memory no process maps idle 1m0s or more", idlePageout(sys), "a filter of what is not anonymous")
	sys["kernel/mm/damon/admin/kdamonds/0/contexts/0/schemes/0/ops_filters/nr_filters"] = &fstest.MapFile{Data: []byte("0\n")}
	assert.Equal(t, "DAMON pageout of any memory idle 1m0s or more", idlePageout(sys), "no filter")

	sys = fstest.MapFS{
		"module/damon_reclaim/parameters/enabled": &fstest.MapFile{Data: []byte("Y\n")},
		"module/damon_reclaim/parameters/min_age": &fstest.MapFile{Data: []byte("120000000\n")},
	}
	assert.Equal(t, "DAMON_RECLAIM of memory idle 2m0s or more", idlePageout(sys))
	assert.Equal(t, "", hugePages(sys), "no transparent huge pages")
	assert.Equal(t, "none", idlePageout(fstest.MapFS{}))
}
