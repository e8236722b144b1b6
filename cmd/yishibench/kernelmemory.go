package main

import (
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"
)

// The kernel's memory settings that move a run's figures: whether the
// Go heap can have huge pages (a start from snapshots faults its heap in
// 2 MiB at a time only where they are given on request), and whether
// the kernel pages out memory left idle for a while, the page cache of
// files no process maps included: a server started after such a pause
// reads its snapshot files and its store from the disk again, not from
// memory (docs/performance.md, twenty-sixth session).

// hugePages is the transparent huge pages mode ("always", "madvise",
// "never") of the system whose /sys is at sys, "" when it has none.
func hugePages(sys fs.FS) string {
	b, err := fs.ReadFile(sys, "kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return ""
	}
	s := string(b)
	if i := strings.IndexByte(s, '['); i >= 0 {
		if j := strings.IndexByte(s[i:], ']'); j > 0 {
			return s[i+1 : i+j]
		}
	}
	return ""
}

// idlePageout describes what the kernel whose /sys is at sys pages out
// when it has been idle a while (DAMON's schemes of action "pageout" in
// the kdamonds that run, and the DAMON_RECLAIM module when enabled),
// "none" when nothing is.
func idlePageout(sys fs.FS) string {
	var found []string
	read := func(name string) string {
		b, _ := fs.ReadFile(sys, name)
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
				what := "DAMON pageout of " + damonTarget(read, s)
				if age, ok2 := number(path.Join(s, "access_pattern/age/min")); ok && ok2 {
					what += fmt.Sprintf(" idle %s or more", time.Duration(age*aggr)*time.Microsecond)
				}
				found = append(found, what)
			}
		}
	}
	if read("module/damon_reclaim/parameters/enabled") == "Y" {
		what := "DAMON_RECLAIM of memory"
		if age, ok := number("module/damon_reclaim/parameters/min_age"); ok {
			what += fmt.Sprintf(" idle %s or more", time.Duration(age)*time.Microsecond)
		}
		found = append(found, what)
	}
	if len(found) == 0 {
		return "none"
	}
	return strings.Join(found, "; ")
}

// damonTarget says which memory the DAMON scheme at dir takes: its
// filters of anonymous and of unmapped pages (ops_filters, or filters on
// older kernels), the first of each type deciding.
func damonTarget(read func(string) string, dir string) string {
	anon, unmapped := "", ""
	for _, set := range []string{"ops_filters", "filters"} {
		n, err := strconv.Atoi(read(path.Join(dir, set, "nr_filters")))
		if err != nil {
			continue
		}
		for i := range n {
			f := path.Join(dir, set, strconv.Itoa(i))
			if read(path.Join(f, "matching")) != "Y" {
				continue // one for the pages it does not match: not told
			}
			allow := read(path.Join(f, "allow")) == "Y"
			switch read(path.Join(f, "type")) {
			case "anon":
				if anon == "" {
					anon = strconv.FormatBool(allow)
				}
			case "unmapped":
				if unmapped == "" {
					unmapped = strconv.FormatBool(allow)
				}
			}
		}
	}
	switch {
	case anon == "false" && unmapped == "true":
		return "the page cache of files no process maps"
	case anon == "false":
		return "the page cache"
	case unmapped == "true":
		return "memory no process maps"
	}
	return "any memory"
}
