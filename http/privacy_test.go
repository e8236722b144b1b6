package http

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
)

// TestPersonErasureThroughAPI erases a resident through the admin API and
// searches the bytes of every answer for their name and their text: none
// may hold them any more (the token listing included), while the proposal,
// its support count and the other resident's name stay, and the hash
// chain still verifies. The erased resident's token no longer
// authenticates, and none may be issued for them again.
func TestPersonErasureThroughAPI(t *testing.T) {
	var logs syncBuffer
	e := mustServe(t, func(cfg *Config) {
		cfg.Logger = slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	c := newCast(e)
	organise(t, e, c)
	root := e.tokenNamed(auth.RoleAdmin, auth.Scope{}, "root", "系统管理员")
	sub := e.write(t, c.r1, "/v1/proposals", map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "title": "停车棚夹道乱堆乱放",
		"text": "我家门口3号楼2单元501室堆满杂物", "category": "环境", "place": "3号院车棚", "channel": "online",
	}, 201)
	sup := e.write(t, c.r2, "/v1/proposals/"+sub.ID+"/support", nil, 200)

	// The person's own export: their data, and nobody else's.
	own := e.do(req{method: "GET", path: "/v1/me/export", token: c.r1}).want(t, 200)
	if !bytes.Contains(own.body, []byte("张三")) || !bytes.Contains(own.body, []byte("501室")) {
		t.Fatalf("own export lacks the person's data: %s", own.body)
	}
	if bytes.Contains(own.body, []byte("李四")) {
		t.Fatalf("own export shows another resident: %s", own.body)
	}
	e.do(req{method: "GET", path: "/v1/persons/r1/export", token: c.r2}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "GET", path: "/v1/persons/r1/export", token: c.admin}).wantProblem(t, 403, "forbidden")
	// Only an admin without a community scope erases.
	e.do(req{method: "POST", path: "/v1/persons/r1/erasure", token: c.admin, body: map[string]string{"ground": "request", "reason": "本人申请"}}).wantProblem(t, 403, "forbidden")
	e.do(req{method: "POST", path: "/v1/persons/r1/erasure", token: root, body: map[string]string{"ground": "because", "reason": "本人申请"}}).wantProblem(t, 422, "validation")

	var er WriteResult
	e.do(req{method: "POST", path: "/v1/persons/r1/erasure", token: root, body: map[string]string{"ground": "request", "reason": "本人申请删除"}}).want(t, 200).decode(t, &er)
	if er.Stream != "erasure-person:r1" || er.Replayed {
		t.Fatalf("erasure result %+v", er)
	}
	wait := fmt.Sprintf("?wait_for=%d", er.Position)
	answers := map[string][]byte{}
	for name, r := range map[string]req{
		"proposal":        {method: "GET", path: "/v1/proposals/" + sub.ID, token: c.facilitator},
		"timeline":        {method: "GET", path: "/v1/proposals/" + sub.ID + "/timeline" + wait, token: c.auditor},
		"public timeline": {method: "GET", path: "/v1/proposals/" + sub.ID + "/timeline" + wait},
		"board":           {method: "GET", path: "/v1/board" + wait, token: c.facilitator},
		"stats":           {method: "GET", path: "/v1/stats?community=hengyuan"},
		"export":          {method: "GET", path: "/v1/persons/r1/export", token: root},
		"tokens":          {method: "GET", path: "/v1/tokens", token: root},
		// Time travel to before the erasure shows the erased state.
		"as of before": {method: "GET", path: fmt.Sprintf("/v1/proposals/%s/timeline?as_of=%d", sub.ID, sup.Position), token: c.auditor},
	} {
		answers[name] = e.do(r).want(t, 200).body
	}
	for name, body := range answers {
		for _, secret := range []string{"张三", "501室", "3号院车棚"} {
			if bytes.Contains(body, []byte(secret)) {
				t.Errorf("%s still shows %q after the erasure: %s", name, secret, body)
			}
		}
	}
	for _, name := range []string{"timeline", "public timeline"} {
		if !bytes.Contains(answers[name], []byte(privacy.ErasedName)) {
			t.Errorf("the %s does not show the erased resident's marker whole: %s", name, answers[name])
		}
	}
	if !bytes.Contains(answers["proposal"], []byte("李四")) {
		t.Errorf("the other resident's support lost its name: %s", answers["proposal"])
	}
	if !bytes.Contains(answers["export"], []byte(`"erased":true`)) {
		t.Errorf("export does not say the person is erased: %s", answers["export"])
	}
	if !bytes.Contains(answers["tokens"], []byte("李四")) || !bytes.Contains(answers["tokens"], []byte(privacy.ErasedName)) {
		t.Errorf("the token listing does not show the other resident and the erased one: %s", answers["tokens"])
	}
	e.do(req{method: "GET", path: "/v1/me/export", token: c.r1}).wantProblem(t, 401, "unauthorized")
	e.do(req{method: "GET", path: "/v1/me/export", token: c.r2}).want(t, 200)
	e.do(req{method: "POST", path: "/v1/tokens", token: root, body: map[string]any{"role": "resident", "community": "hengyuan", "grid": "g1", "subject": "r1"}}).wantProblem(t, 409, "conflict")
	// Erasing again is answered, and destroys the key again.
	e.do(req{method: "POST", path: "/v1/persons/r1/erasure", token: root, body: map[string]string{"ground": "request", "reason": "本人申请删除"}}).want(t, 200).decode(t, &er)
	if !er.Replayed {
		t.Fatalf("second erasure %+v", er)
	}
	if _, err := ledger.Verify(context.Background(), e.store, nil); err != nil {
		t.Fatalf("verify after erasure: %v", err)
	}

	// No key, in any encoding, is in any stored event or log line, and the
	// erased person's data is in no log line.
	var stored [][]byte
	for ev, err := range e.store.ReadAll(context.Background(), eventstore.ReadAllOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, ev.Data, []byte(fmt.Sprint(ev.Metadata)))
	}
	logged := []byte(logs.String())
	keys := 0
	for k, err := range e.ledger.Sealer().Keys().All(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if k.Key == nil {
			continue
		}
		keys++
		for _, enc := range [][]byte{k.Key, []byte(base64.StdEncoding.EncodeToString(k.Key)), []byte(base64.RawStdEncoding.EncodeToString(k.Key)), []byte(hex.EncodeToString(k.Key))} {
			for _, b := range append(stored, logged) {
				if bytes.Contains(b, enc) {
					t.Fatalf("key %s found in the ledger or the log", k.ID)
				}
			}
		}
	}
	if keys == 0 || len(logged) == 0 {
		t.Fatalf("nothing checked: %d keys, %d bytes of log", keys, len(logged))
	}
	for _, secret := range []string{"张三", "501室"} {
		if bytes.Contains(logged, []byte(secret)) {
			t.Errorf("the log holds %q", secret)
		}
	}
}

// TestPastedCiphertextIsNotOpened: a resident who copies someone's stored
// ciphertext (an open-data export carries every one) into a title must not
// have the server open it for every reader. Only what the events' tags
// mark personal is opened; the title reads as typed.
func TestPastedCiphertextIsNotOpened(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	sub := propose(t, e, c.r1, "车棚", "我家501室")
	var name, text string
	for ev, err := range e.store.ReadAll(context.Background(), eventstore.ReadAllOptions{}) {
		require.NoError(t, err)
		if ev.Stream != "proposal-"+sub.ID {
			continue
		}
		var d struct {
			Author struct{ Name string } `json:"author"`
			Text   string                `json:"text"`
		}
		require.NoError(t, json.Unmarshal(ev.Data, &d))
		name, text = d.Author.Name, d.Text
	}
	require.True(t, privacy.IsSealed(name) && privacy.IsSealed(text))
	var last WriteResult
	for _, v := range []string{name, text} {
		last = propose(t, e, c.r3, v, "x")
	}
	for _, token := range []string{"", c.facilitator} {
		r := e.do(req{method: "GET", path: fmt.Sprintf("/v1/board?wait_for=%d&limit=100", last.Position), token: token}).want(t, 200)
		require.NotContains(t, string(r.body), "501室", "the pasted text is not opened")
		var page struct{ Items []struct{ Title string } }
		r.decode(t, &page)
		var titles []string
		for _, it := range page.Items {
			titles = append(titles, it.Title)
		}
		if token != "" { // staff read titles whole; the public's are masked
			require.Contains(t, titles, name)
			require.Contains(t, titles, text)
		}
	}
}

// TestForgedKeyIdsDoNotEraseLaterData: a title shaped like a sealed value
// naming a key not yet made (person/v9) must not make the sealer remember
// that key as erased, so that v9's data, sealed once v9 is registered, is
// stored and read whole.
func TestForgedKeyIdsDoNotEraseLaterData(t *testing.T) {
	e := mustServe(t)
	c := newCast(e)
	organise(t, e, c)
	pos := propose(t, e, c.r3, "sealed:v2:AAAA:person/v9", "x")
	e.do(req{method: "GET", path: fmt.Sprintf("/v1/board?wait_for=%d", pos.Position)}).want(t, 200)
	e.do(req{method: "GET", path: fmt.Sprintf("/v1/board?wait_for=%d", pos.Position), token: c.facilitator}).want(t, 200)
	last := e.write(t, c.admin, "/v1/communities/hengyuan/volunteers", map[string]any{"grid_id": "g1", "person_id": "v9", "name": "赵六", "phone": "13800000000", "skills": []string{"维修"}, "categories": []string{"环境"}}, 201)
	sealedForV9 := 0
	for ev, err := range e.store.ReadAll(context.Background(), eventstore.ReadAllOptions{}) {
		require.NoError(t, err)
		if ev.Stream != "proposal-"+pos.ID && bytes.Contains(ev.Data, []byte(":person/v9")) {
			require.NotContains(t, string(ev.Data), "sealed:v2::person", "v9's data is stored sealed, not as erased")
			sealedForV9++
		}
	}
	require.Positive(t, sealedForV9, "v9's registration is sealed under v9's key")
	r := e.do(req{method: "GET", path: fmt.Sprintf("/v1/resources?community=hengyuan&kind=volunteer&wait_for=%d", last.Position), token: c.admin}).want(t, 200)
	require.Contains(t, string(r.body), "赵六")
}

// propose submits a proposal in hengyuan's grid g1 as token, with title and
// text, and returns where it was written.
func propose(t *testing.T, e *env, token, title, text string) WriteResult {
	t.Helper()
	return e.write(t, token, "/v1/proposals", map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "title": title,
		"text": text, "category": "环境", "place": "3号院车棚", "channel": "online",
	}, 201)
}
