package projections

import (
	"fmt"
	"reflect"
	"sync"
	"unsafe"

	gojson "github.com/goccy/go-json"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/privacy"
)

// Decoder decodes stored events into domain events with
// github.com/goccy/go-json into the catalogue's own structs: measured about
// four times faster than encoding/json and twice as fast as encoding/json
// under GOEXPERIMENT=jsonv2 (docs/performance.md). Types outside the
// current catalogue (older versions that need upcasting, unknown types)
// go through domain.Decode, so upcasting and its errors stay the domain's.
// Sealed personal fields stay sealed: the views keep them as the log
// stores them, marked as held (privacy.MarkInPlace), and they are opened
// when read (privacy.Sealer.OpenJSON), so that a replay opens nothing and
// a snapshot holds no plaintext (docs/privacy.md).
//
// Each type's events are decoded in place into runs of its struct (a
// few kilobytes of zeroed values, one kept per core by a pool), and each
// event returned refers to its value there (box): where returning it as
// an interface copied it into memory of its own, one allocation per
// event, it costs two allocations per run (the run and what counts it
// out). A value is never written once it is returned. Whatever keeps an
// event keeps its run, a few kilobytes; the views keep none (they copy
// what they keep), nor does the runner between batches. Its strings are
// decoded as references into the stored bytes and then given memory of
// their own, shared with the same strings of the events just before
// where they repeat (decodestrings.go): most of an event's strings are
// ids and words its neighbours hold too, and need no allocation then.
type Decoder struct {
	types map[string]*decodeInto
}

// decodeInto is a type of the catalogue: its struct, a zero one whose
// type boxes the values decoded (box), runs of zeroed ones to decode
// into, and where its strings are (nil when the walk does not follow
// every field, and goccy copies each string then).
type decodeInto struct {
	rt   reflect.Type
	zero domain.Event
	runs sync.Pool // *decodeRun
	strs *stringPlan
}

// runBytes is about the size of a decodeRun.
const runBytes = 8 << 10

// decodeRun is a run of zeroed values of one type; those before next
// are taken.
type decodeRun struct {
	base unsafe.Pointer
	size uintptr
	n    int
	next int
}

// take returns a pointer to the next zeroed value of t, from a run the
// caller has to itself until it puts it back (put).
func (t *decodeInto) take() (*decodeRun, unsafe.Pointer) {
	s, _ := t.runs.Get().(*decodeRun) // never one used up (put)
	if s == nil {
		n := max(1, runBytes/int(t.rt.Size()))
		s = &decodeRun{base: reflect.MakeSlice(reflect.SliceOf(t.rt), n, n).UnsafePointer(), size: t.rt.Size(), n: n}
	}
	p := unsafe.Add(s.base, uintptr(s.next)*s.size)
	s.next++
	return s, p
}

// failed zeroes the value at p, which an event that failed to decode
// left partly written (its strings may still refer to the bytes decoded,
// a read buffer of the store's), and returns err.
func (t *decodeInto) failed(p unsafe.Pointer, err error) error {
	reflect.NewAt(t.rt, p).Elem().SetZero()
	return err
}

// put returns s to the pool, unless it is used up.
func (t *decodeInto) put(s *decodeRun) {
	if s.next < s.n {
		t.runs.Put(s)
	}
}

// box returns the event of zero's type whose value is at p, without
// copying it: an interface holding a struct larger than a pointer refers
// to its value, which must never change afterwards.
func box(zero domain.Event, p unsafe.Pointer) domain.Event {
	(*[2]unsafe.Pointer)(unsafe.Pointer(&zero))[1] = p
	return zero
}

// noCopy is goccy's option to decode strings as references into the input.
var noCopy = []gojson.DecodeOptionFunc{gojson.DecodeNoCopyString()}

// NewDecoder builds a decoder for the domain's catalogue. It learns each
// current type's struct by decoding an empty body with domain.Decode.
func NewDecoder() *Decoder {
	d := &Decoder{types: map[string]*decodeInto{}}
	for _, typ := range domain.EventTypes() {
		// A struct no larger than a pointer could be held in the
		// interface itself, not referred to (box); the catalogue has none.
		if zero, err := domain.Decode(typ, []byte("{}")); err == nil && reflect.TypeOf(zero).Kind() == reflect.Struct &&
			reflect.TypeOf(zero).Size() > unsafe.Sizeof(uintptr(0)) {
			rt := reflect.TypeOf(zero)
			strs, _ := planStrings(rt) // nil: copied by goccy
			d.types[typ] = &decodeInto{rt: rt, zero: zero, strs: strs}
		}
	}
	return d
}

// Decode decodes one stored event; it has domain.Decode's signature.
func (d *Decoder) Decode(typ string, data []byte) (domain.Event, error) {
	if t, ok := d.types[typ]; ok {
		s, at := t.take()
		defer t.put(s)
		ptr := reflect.NewAt(t.rt, at).Interface()
		if t.strs == nil {
			if err := gojson.Unmarshal(data, ptr); err != nil {
				return nil, t.failed(at, fmt.Errorf("decode %s: %w", typ, err))
			}
		} else {
			if err := gojson.UnmarshalWithOption(data, ptr, noCopy...); err != nil {
				return nil, t.failed(at, fmt.Errorf("decode %s: %w", typ, err))
			}
			c := cachesPool.Get().(*stringCache)
			t.strs.own(at, data, c)
			cachesPool.Put(c)
		}
		if err := mark(typ, ptr, data); err != nil {
			return nil, t.failed(at, err)
		}
		return box(t.zero, at), nil
	}
	e, err := domain.Decode(typ, data)
	if err != nil || reflect.TypeOf(e).Kind() != reflect.Struct {
		return e, err
	}
	p := reflect.New(reflect.TypeOf(e))
	p.Elem().Set(reflect.ValueOf(e))
	if err := mark(typ, p.Interface(), data); err != nil {
		return nil, err
	}
	return p.Elem().Interface().(domain.Event), nil
}

// mark marks the sealed fields of the event ptr points to, decoded from
// data, as held. A body without the sealed marker holds no sealed field
// (privacy.MaySeal), and is not walked.
func mark(typ string, ptr any, data []byte) error {
	if privacy.MaySeal(data) {
		if err := privacy.MarkInPlace(ptr); err != nil {
			return fmt.Errorf("decode %s: %w", typ, err)
		}
	}
	return nil
}
