package web

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	yhttp "github.com/yishi-civic/yishi/http"
)

// TestConsolePassesTheCommandTimeOn: the console's script posts a
// meeting's command with Yishi-Command-Time; the staff command handler
// passes it on to the API, which refuses a time before the meeting opened
// with a problem naming the header, in the page's language, and records
// an acceptable one as the event's own time.
func TestConsolePassesTheCommandTimeOn(t *testing.T) {
	s := mustServe(t, false)
	p := mustParkingLine(t, s)
	m := s.write(t, p.facilitator, "/v1/meetings", map[string]any{"community_id": "hengyuan", "grid_id": "g3", "compound_id": "west",
		"title": "西院停车议事会", "place": "西院凉亭", "starts_at": time.Now().Add(time.Hour).Format(time.RFC3339), "format": "courtyard"})
	api := "/v1/meetings/" + m.ID
	s.write(t, p.facilitator, api+"/participants", map[string]string{"person_id": "r01", "name": "赵居民", "kind": "resident"})
	s.write(t, p.facilitator, api+"/open", nil)
	f := newStaffClient(t, s, p.facilitator)
	page := f.get("/staff/meetings/"+m.ID+"/console", 200)
	csrf := csrfField.FindStringSubmatch(page)[1]
	post := func(at, lang string) (int, []byte) {
		form := url.Values{"csrf": {csrf}, "person_id": {"r01"}, "name": {"赵居民"}, "attendance": {"present"}}
		req, _ := http.NewRequest("POST", s.url+"/staff/meetings/"+m.ID+"/attendance?lang="+lang, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-CSRF-Token", csrf)
		req.Header.Set("Yishi-Command-Time", at)
		res, err := f.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, b
	}
	status, body := post(time.Now().Add(-time.Hour).UTC().Format(time.RFC3339Nano), "en")
	var prob yhttp.Problem
	if err := json.Unmarshal(body, &prob); status != 422 || err != nil || prob.Field != "Yishi-Command-Time" || !strings.Contains(prob.Detail, "before the meeting opened") {
		t.Fatalf("an hour before the opening: %d %s", status, body)
	}
	own := time.Now().Add(-time.Second).UTC().Truncate(time.Millisecond)
	if status, body := post(own.Format(time.RFC3339Nano), "zh-CN"); status != 200 {
		t.Fatalf("a second ago: %d %s", status, body)
	}
	var a yhttp.Aggregate
	s.read(t, p.facilitator, api, &a)
	last := a.Events[len(a.Events)-1]
	var d struct {
		At time.Time `json:"at"`
	}
	if err := json.Unmarshal(last.Data, &d); err != nil || last.Type != "meeting.attendance_recorded.v1" || !d.At.Equal(own) || !last.Recorded.After(own) {
		t.Fatalf("the attendance event %s at %v recorded %v, want at %v", last.Type, d.At, last.Recorded, own)
	}
}
