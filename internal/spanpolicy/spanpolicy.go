// Package spanpolicy holds the pebble span policy of Yishi's stores, whose
// keys start with one byte naming their table: every file that pebble's
// flushes and compactions write ends at the end of its first key's table,
// so that no file holds the keys of two tables.
package spanpolicy

import "github.com/cockroachdb/pebble/v2"

// FirstByte is a pebble.SpanPolicyFunc (Options.Experimental.SpanPolicyFunc):
// it ends the file that starts at start where start's first byte ends.
func FirstByte(start []byte) (pebble.SpanPolicy, []byte, error) {
	switch {
	case len(start) == 0:
		return pebble.SpanPolicy{}, []byte{0}, nil
	case start[0] == 0xff:
		return pebble.SpanPolicy{}, nil, nil // nothing lies past it
	}
	return pebble.SpanPolicy{}, []byte{start[0] + 1}, nil
}
