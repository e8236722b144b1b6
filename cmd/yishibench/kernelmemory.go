package main

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

// The kernel's memory settings that move a run's figures: whether the
// Go heap can have huge pages (hugeheap.Mode: a start from snapshots
// faults its heap in 2 MiB at a time only where they are given on
// request), and whether the kernel pages out memory left (nearly) unused
// for a while, the page cache of files no process maps included: a
// server started after such a pause reads its snapshot files and its
// store from the disk again, not from memory (docs/performance.md,
// twenty-sixth session).

// idlePageout describes what the kernel whose /sys is at sys pages out
// once it has gone unused a while (DAMON's schemes of action "pageout" in
// the kdamonds that run, and the DAMON_RECLAIM module when enabled),
// "none" when nothing does, and says so when its settings cannot be read
// (they are root's alone).
func idlePageout(sys fs.FS) string {
	var found []string
	denied := false
	read := func(name string) string {
		b, err := fs.ReadFile(sys, name)
		if errors.Is(err, fs.ErrPermission) {
			denied = true
		}
		return strings.TrimSpace(string(b))
	}
	number := func(name string) (uint64, bool) {
		v, err := strconv.ParseUint(read(name), 10, 64)
		return v, err == nil
	}
	kdamonds, _ := fs.Glob(sys, "kernel/mm/damon/admin/kdamonds/*/state")
	for _, state := range kdamonds {
		if read(state) != "on" {
			continue
		}
		contexts, _ := fs.Glob(sys, path.Join(path.Dir(state), "contexts/*"))
		for _, c := range contexts {
			aggr, ok := number(path.Join(c, "monitoring_attrs/intervals/aggr_us"))
			schemes, _ := fs.Glob(sys, path.Join(c, "schemes/*/action"))
			for _, action := range schemes {
				if read(action) != "pageout" {
					continue
				}
				s := path.Dir(action)
				target, further := damonTarget(read, s)
				what := "DAMON pageout of " + target
				if age, ok2 := number(path.Join(s, "access_pattern/age/min")); ok && ok2 {
					used := "unused"
					if n, _ := number(path.Join(s, "access_pattern/nr_accesses/max")); n > 0 {
						used = "rarely used"
					}
					what += fmt.Sprintf(" %s for %s or more", used, time.Duration(age*aggr)*time.Microsecond)
				}
				if further {
					what += ", filtered further"
				}
				if m := read(path.Join(s, "watermarks/metric")); m != "" && m != "none" {
					what += " (when free memory runs low)"
				}
				found = append(found, what)
			}
		}
	}
	if read("module/damon_reclaim/parameters/enabled") == "Y" {
		what := "DAMON_RECLAIM of memory"
		if read("module/damon_reclaim/parameters/skip_anon") == "Y" {
			what = "DAMON_RECLAIM of the page cache"
		}
		if age, ok := number("module/damon_reclaim/parameters/min_age"); ok {
			what += fmt.Sprintf(" unused for %s or more", time.Duration(age)*time.Microsecond)
		}
		found = append(found, what+" (when free memory runs low)")
	}
	switch {
	case len(found) > 0:
		return strings.Join(found, "; ")
	case denied:
		return "unknown: DAMON's settings are root's to read"
	}
	return "none"
}

// The kinds of page DAMON's filters of anonymous and unmapped pages tell
// apart, as bits of a set.
const (
	fileUnmapped = 1 << iota
	fileMapped
	anonUnmapped
	anonMapped
)

// pageSets names the sets of kinds of page with a name of their own;
// any other set is named kind by kind (pageKinds).
var pageSets = map[int]string{
	0:                           "nothing",
	fileUnmapped:                "the page cache of files no process maps",
	fileUnmapped | fileMapped:   "the page cache",
	fileUnmapped | anonUnmapped: "memory no process maps",
	anonUnmapped | anonMapped:   "anonymous memory",
	fileUnmapped | fileMapped | anonUnmapped | anonMapped: "any memory",
}

// pageKinds names each kind of page, by its bit.
var pageKinds = []string{"the page cache of files no process maps", "the page cache of files processes map",
	"anonymous memory no process maps", "anonymous memory processes map"}

// damonTarget says which memory the DAMON scheme at dir pages out, by its
// operations layer's filters of anonymous and of unmapped pages
// (ops_filters, or filters on older kernels), as the kernel applies them:
// in order, the first that matches a page deciding, and a page none
// matches taking the opposite of the last one's decision (all pages when
// there is none). Filters of other types are not followed: further
// reports that the scheme has some.
func damonTarget(read func(string) string, dir string) (what string, further bool) {
	type filter struct {
		kind            string
		matching, allow bool
	}
	var filters []filter
	for _, set := range []string{"ops_filters", "filters", "core_filters"} {
		n, _ := strconv.Atoi(read(path.Join(dir, set, "nr_filters")))
		for i := range n {
			f := path.Join(dir, set, strconv.Itoa(i))
			k := read(path.Join(f, "type"))
			if set == "core_filters" || k != "anon" && k != "unmapped" {
				further = true
				continue
			}
			filters = append(filters, filter{kind: k, matching: read(path.Join(f, "matching")) == "Y", allow: read(path.Join(f, "allow")) == "Y"})
		}
	}
	taken := func(anon, unmapped bool) bool {
		for _, f := range filters {
			is := anon
			if f.kind == "unmapped" {
				is = unmapped
			}
			if is == f.matching {
				return f.allow
			}
		}
		return len(filters) == 0 || !filters[len(filters)-1].allow
	}
	set := 0
	for bit := range len(pageKinds) {
		if taken(bit >= 2, bit%2 == 0) {
			set |= 1 << bit
		}
	}
	what, ok := pageSets[set]
	if !ok {
		var parts []string
		for bit, name := range pageKinds {
			if set&(1<<bit) != 0 {
				parts = append(parts, name)
			}
		}
		what = strings.Join(parts, " and ")
	}
	return what, further
}
