package http

import (
	"encoding/json"
	"flag"
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// pairsIn returns every "voter:choice" pair an answer shows: any JSON
// object naming a voter (voter_id) beside a choice (option_id or
// previous_option), however deep.
func pairsIn(body []byte) map[string]bool {
	var tree any
	if json.Unmarshal(body, &tree) != nil {
		return nil
	}
	out := map[string]bool{}
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if voter, ok := t["voter_id"].(string); ok {
				for _, k := range []string{"option_id", "previous_option"} {
					if o, ok := t[k].(string); ok {
						out[voter+":"+o] = true
					}
				}
			}
			for _, val := range t {
				walk(val)
			}
		case []any:
			for _, val := range t {
				walk(val)
			}
		}
	}
	walk(tree)
	return out
}

// TestSecretBallotsNeverReachNonAuditors drives random secret votes (who
// is invited, who votes what and changes their mind, whether voting
// closes) and reads every read path as every role but the auditor: no
// answer, streamed or not, shows a voter beside a choice of a secret
// motion, and the live view shows no running count while voting is open.
// The auditor's history shows every pair, so the property is not vacuous.
func TestSecretBallotsNeverReachNonAuditors(t *testing.T) {
	// Each check holds a meeting through HTTP (some 20 writes and 25 reads):
	// 30 checks by default keep the package quick on a shared machine; ask
	// for more with -rapid.checks.
	if f := flag.Lookup("rapid.checks"); f != nil && f.Value.String() == f.DefValue {
		if err := f.Value.Set("30"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = f.Value.Set(f.DefValue) })
	}
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	residents := []struct{ id, name, token string }{{"r1", "张三", c.r1}, {"r2", "李四", c.r2}, {"r3", "王五", c.r3}}
	readers := map[string]string{"public": "", "resident": c.r1, "unit": c.unit, "worker": c.worker, "facilitator": c.facilitator,
		"other grid": c.otherFacilitator, "admin": c.admin}
	feed := e.openSSE("/v1/events/live", c.admin, nil)
	next(t, feed, "caught-up")
	options := []string{"yes", "no", "maybe"}

	rapid.Check(t, func(rt *rapid.T) {
		voters := rapid.IntRange(1, len(residents)).Draw(rt, "voters")
		base, item := convene(t, e, c, "courtyard", "", "无记名表决", map[string]string{}, "")
		for _, r := range residents[:voters] {
			e.write(t, c.worker, base+"/participants", map[string]string{"person_id": r.id, "name": r.name, "kind": "resident"}, 200)
			e.write(t, c.worker, base+"/attendance", map[string]string{"person_id": r.id, "name": r.name, "attendance": "present"}, 200)
		}
		motion := e.write(t, c.facilitator, base+"/motions", map[string]any{"item_id": item, "text": "无记名表决", "secret": true,
			"options": []map[string]string{{"id": "yes", "label": "同意"}, {"id": "no", "label": "反对"}, {"id": "maybe", "label": "再议"}},
			"rule":    map[string]any{"kind": "simple_majority"}}, 201).ID
		mbase := base + "/motions/" + motion
		last := e.write(t, c.facilitator, mbase+"/voting", nil, 200).Position
		current := map[string]string{}
		cast := map[string]bool{}
		for range rapid.IntRange(0, 5).Draw(rt, "ballots") {
			v := residents[rapid.IntRange(0, voters-1).Draw(rt, "voter")]
			o := rapid.SampledFrom(options).Draw(rt, "option")
			if current[v.id] == o {
				continue
			}
			last = e.write(t, v.token, mbase+"/votes", map[string]string{"option_id": o}, 200).Position
			current[v.id] = o
			cast[v.id+":"+o] = true
		}
		closed := rapid.Bool().Draw(rt, "close")
		if closed {
			last = e.write(t, c.facilitator, mbase+"/voting/close", nil, 200).Position
		}
		wait := "?wait_for=" + strconv.FormatUint(last, 10)

		answers := map[string][]byte{}
		for name, tok := range readers {
			paths := []string{"/v1/register" + wait}
			if closed {
				paths = append(paths, "/v1/register/"+base[len("/v1/meetings/"):]+"/"+motion+wait)
			}
			if tok != "" && name != "other grid" {
				paths = append(paths, base+wait, base+"/live"+wait)
			}
			for _, p := range paths {
				answers[name+" GET "+p] = e.do(req{method: "GET", path: p, token: tok}).want(t, 200).body
			}
		}
		live := e.openSSE(base+"/live/stream", c.facilitator, nil)
		answers["facilitator live stream"] = []byte(next(t, live, "state").data)
		for {
			ev := next(t, feed, "event")
			answers["admin feed "+ev.id] = []byte(ev.data)
			if pos, _ := strconv.ParseUint(ev.id, 10, 64); pos >= last {
				break
			}
		}

		for name, body := range answers {
			for pair := range pairsIn(body) {
				if cast[pair] {
					rt.Fatalf("%s shows the secret ballot %s: %s", name, pair, body)
				}
			}
		}
		if !closed {
			for name, body := range answers {
				var st struct {
					Motion map[string]any `json:"motion"`
				}
				if json.Unmarshal(body, &st) == nil && st.Motion != nil && st.Motion["motion_id"] == motion {
					for _, k := range []string{"tally", "abstentions", "running"} {
						if _, ok := st.Motion[k]; ok {
							rt.Fatalf("%s shows the running count %s of a secret vote: %s", name, k, body)
						}
					}
				}
			}
		}
		seen := pairsIn(e.do(req{method: "GET", path: base + wait, token: c.auditor}).want(t, 200).body)
		for pair := range cast {
			if !seen[pair] {
				rt.Fatalf("the auditor's history lacks %s: %v", pair, seen)
			}
		}
	})
}

// TestSecretBallotPairs checks the property's own detector.
func TestSecretBallotPairs(t *testing.T) {
	got := pairsIn([]byte(`{"events":[{"data":{"voter_id":"r1","option_id":"no","previous_option":"yes"}},{"data":{"voter_id":"r2"}}]}`))
	if len(got) != 2 || !got["r1:no"] || !got["r1:yes"] {
		t.Fatalf("pairs %v", got)
	}
}
