package projections

import (
	"fmt"
	"reflect"
	"sync"

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
// Each type's struct is decoded into a zeroed one kept for it (a pool, as
// the runner decodes on both cores), then copied into the event returned:
// one allocation per event fewer than a new struct for each. Its strings
// are decoded as references into the stored bytes and then given memory
// of their own, shared with the same strings of the events just before
// where they repeat (decodestrings.go): most of an event's strings are
// ids and words its neighbours hold too, and need no allocation then.
type Decoder struct {
	types map[string]*decodeInto
}

// decodeInto is a type of the catalogue: its struct, pointers to zeroed
// ones to decode into, and where its strings are (nil when the walk does
// not follow every field, and goccy copies each string then).
type decodeInto struct {
	rt      reflect.Type
	scratch sync.Pool
	strs    *stringPlan
}

// noCopy is goccy's option to decode strings as references into the input.
var noCopy = []gojson.DecodeOptionFunc{gojson.DecodeNoCopyString()}

// NewDecoder builds a decoder for the domain's catalogue. It learns each
// current type's struct by decoding an empty body with domain.Decode.
func NewDecoder() *Decoder {
	d := &Decoder{types: map[string]*decodeInto{}}
	for _, typ := range domain.EventTypes() {
		if zero, err := domain.Decode(typ, []byte("{}")); err == nil && reflect.TypeOf(zero).Kind() == reflect.Struct {
			rt := reflect.TypeOf(zero)
			strs, _ := planStrings(rt) // nil: copied by goccy
			d.types[typ] = &decodeInto{rt: rt, strs: strs}
		}
	}
	return d
}

// Decode decodes one stored event; it has domain.Decode's signature.
func (d *Decoder) Decode(typ string, data []byte) (domain.Event, error) {
	if t, ok := d.types[typ]; ok {
		ptr := t.scratch.Get()
		if ptr == nil {
			ptr = reflect.New(t.rt).Interface()
		}
		p := reflect.ValueOf(ptr)
		defer func() {
			p.Elem().SetZero() // holding nothing of this event
			t.scratch.Put(ptr)
		}()
		if t.strs == nil {
			if err := gojson.Unmarshal(data, ptr); err != nil {
				return nil, fmt.Errorf("decode %s: %w", typ, err)
			}
			return marked(typ, p, data)
		}
		if err := gojson.UnmarshalWithOption(data, ptr, noCopy...); err != nil {
			return nil, fmt.Errorf("decode %s: %w", typ, err)
		}
		c := cachesPool.Get().(*stringCache)
		t.strs.own(p.UnsafePointer(), data, c)
		cachesPool.Put(c)
		return marked(typ, p, data)
	}
	e, err := domain.Decode(typ, data)
	if err != nil || reflect.TypeOf(e).Kind() != reflect.Struct {
		return e, err
	}
	p := reflect.New(reflect.TypeOf(e))
	p.Elem().Set(reflect.ValueOf(e))
	return marked(typ, p, data)
}

// marked returns the event p points to, decoded from data, its sealed
// fields marked as held, as a copy. A body without the sealed marker
// holds no sealed field (privacy.MaySeal), and is not walked.
func marked(typ string, p reflect.Value, data []byte) (domain.Event, error) {
	if privacy.MaySeal(data) {
		if err := privacy.MarkInPlace(p.Interface()); err != nil {
			return nil, fmt.Errorf("decode %s: %w", typ, err)
		}
	}
	return p.Elem().Interface().(domain.Event), nil
}
