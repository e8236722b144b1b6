package policy

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Finding is a field of a write whose text will be public and looks like
// personal data.
type Finding struct {
	// Field is the field's path in the request body: "title",
	// "options[1].label", "speaker.name".
	Field string `json:"field"`
	// Kinds are the kinds of personal data found, in the order they appear.
	Kinds []Kind `json:"kinds"`
}

// Scan reads a write's JSON body and reports every field whose text looks
// like personal data (Find), in the order of the fields' paths. Contact
// fields (a partner's phone, never public) and ids are not reported;
// everything else a public answer shows is, masked. Scan never refuses:
// the writer is warned, the text is kept, the public reads it masked.
func Scan(body []byte) []Finding {
	var tree any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&tree); err != nil {
		return nil
	}
	var out []Finding
	scan(tree, "", &out)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Field < out[j].Field })
	return out
}

func scan(v any, path string, out *[]Finding) {
	switch t := v.(type) {
	case map[string]any:
		for k, val := range t {
			lk := strings.ToLower(k)
			if dropKeys[lk] || personIDKeys[lk] || structuralKey(lk) {
				continue
			}
			p := k
			if path != "" {
				p = path + "." + k
			}
			scan(val, p, out)
		}
	case []any:
		for i, val := range t {
			scan(val, path+"["+strconv.Itoa(i)+"]", out)
		}
	case string:
		if identifier.MatchString(t) {
			return
		}
		if kinds := Find(t); kinds != nil {
			*out = append(*out, Finding{Field: path, Kinds: slices.Clip(kinds)})
		}
	}
}
