package http

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/internal/answershelf"
	"github.com/yishi-civic/yishi/privacy"
	"github.com/yishi-civic/yishi/projections"
)

// keptSetUp serves a ledger organised with one proposal by r1 (张三) in
// grid g1, and returns the server, its cast, an unscoped admin's token and
// the proposal's write. opts change the server's Config.
func keptSetUp(t *testing.T, opts ...func(*Config)) (*env, cast, string, WriteResult) {
	t.Helper()
	e := mustServe(t, opts...)
	c := newCast(e)
	organise(t, e, c)
	root := e.tokenNamed(auth.RoleAdmin, auth.Scope{}, "root", "系统管理员")
	sub := e.write(t, c.r1, "/v1/proposals", map[string]any{
		"community_id": "hengyuan", "grid_id": "g1", "title": "停车棚夹道乱堆乱放",
		"text": "车棚夹道堆满杂物", "category": "环境", "place": "3号院车棚", "channel": "online",
	}, 201)
	return e, c, root, sub
}

// eraseR1 erases r1 as root and returns the erasure's write.
func eraseR1(t *testing.T, e *env, root string) WriteResult {
	t.Helper()
	var er WriteResult
	e.do(req{method: "POST", path: "/v1/persons/r1/erasure", token: root, body: map[string]string{"ground": "request", "reason": "本人申请删除"}}).want(t, 200).decode(t, &er)
	return er
}

// TestPublicTimelineAnswersAreKeptUntilTheyChange: a public timeline page
// read again is served from the cache, as it was but for the views'
// position; staff read the page opened, never from it; a new step of the
// story and an erasure are in the very next public answer.
func TestPublicTimelineAnswersAreKeptUntilTheyChange(t *testing.T) {
	e, c, root, sub := keptSetUp(t)
	path := "/v1/proposals/" + sub.ID + "/timeline"
	read := func(token string, at uint64) []byte {
		t.Helper()
		return e.do(req{method: "GET", path: fmt.Sprintf("%s?wait_for=%d", path, at), token: token}).want(t, 200).body
	}
	// withoutPosition cuts the views' position, the one member that moves
	// with every event of the log.
	withoutPosition := func(b []byte) string {
		t.Helper()
		i := bytes.LastIndex(b, []byte(`,"position":`))
		if i < 0 {
			t.Fatalf("no position in %s", b)
		}
		return string(b[:i])
	}

	first := read("", sub.Position)
	hits := e.srv.publicAnswers.hits.Load()
	again := read("", sub.Position)
	if e.srv.publicAnswers.hits.Load() != hits+1 {
		t.Fatalf("the second public read was not served from the cache (%d hits, then %d)", hits, e.srv.publicAnswers.hits.Load())
	}
	if withoutPosition(first) != withoutPosition(again) {
		t.Fatalf("the cached answer differs:\n%s\n%s", first, again)
	}
	if !strings.Contains(string(first), "张*") || strings.Contains(string(first), "张三") {
		t.Fatalf("the public answer does not show the author masked: %s", first)
	}
	staff := read(c.auditor, sub.Position)
	if !strings.Contains(string(staff), "张三") || e.srv.publicAnswers.hits.Load() != hits+1 {
		t.Fatalf("the auditor's answer came from the public cache: %s", staff)
	}

	sup := e.write(t, c.r2, "/v1/proposals/"+sub.ID+"/support", nil, 200)
	grown := read("", sup.Position)
	if e.srv.publicAnswers.hits.Load() != hits+1 || !strings.Contains(string(grown), "李*") {
		t.Fatalf("a new step was not in the next public answer: %s", grown)
	}

	er := eraseR1(t, e, root)
	erased := read("", er.Position)
	if strings.Contains(string(erased), "张") || !strings.Contains(string(erased), privacy.ErasedName) {
		t.Fatalf("the public answer after the erasure still shows the person: %s", erased)
	}
}

// TestBoardItemAnswersAreKeptUntilTheyChange: a board item read again is
// answered from the cache, for the public and for staff alike but each
// with their own answer; a support, an overdue flag at another "now" and
// an erasure are in the very next answer.
func TestBoardItemAnswersAreKeptUntilTheyChange(t *testing.T) {
	e, c, root, sub := keptSetUp(t)
	pid := sub.ID
	e.write(t, c.facilitator, "/v1/proposals/"+pid+"/accept", nil, 200)
	due := time.Now().Add(48 * time.Hour).UTC()
	a := e.write(t, c.facilitator, "/v1/actions", map[string]any{"community_id": "hengyuan", "grid_id": "g1", "title": "清理夹道", "proposal_id": pid,
		"owner": map[string]string{"kind": "person", "id": "worker-1", "name": "网格员赵强"}, "due": due.Format(time.RFC3339)}, 201)
	type page struct {
		Items []struct {
			ProposalID string `json:"proposal_id"`
			Supporters int    `json:"supporters"`
			Overdue    bool   `json:"overdue"`
			Author     struct {
				Name string `json:"name"`
			} `json:"author"`
		} `json:"items"`
	}
	read := func(token string, at uint64, now time.Time) page {
		t.Helper()
		var p page
		e.do(req{method: "GET", path: fmt.Sprintf("/v1/board?community=hengyuan&grid=g1&wait_for=%d&now=%s", at, now.Format(time.RFC3339)), token: token}).want(t, 200).decode(t, &p)
		if len(p.Items) != 1 || p.Items[0].ProposalID != pid {
			t.Fatalf("board = %+v", p)
		}
		return p
	}
	today := time.Now().UTC()
	hits := e.srv.itemAnswers.hits.Load()
	first := read("", a.HeadPosition, today)
	if first.Items[0].Author.Name != "张*" || e.srv.itemAnswers.hits.Load() != hits {
		t.Fatalf("first public read: %+v (%d hits, then %d)", first, hits, e.srv.itemAnswers.hits.Load())
	}
	if again := read("", a.HeadPosition, today); !reflect.DeepEqual(again, first) || e.srv.itemAnswers.hits.Load() != hits+1 {
		t.Fatalf("the second public read was not the first, from the cache: %+v (%d hits)", again, e.srv.itemAnswers.hits.Load())
	}
	staff := read(c.auditor, a.HeadPosition, today)
	if staff.Items[0].Author.Name != "张三" || e.srv.itemAnswers.hits.Load() != hits+1 {
		t.Fatalf("the auditor was answered the public's item: %+v", staff)
	}
	if staffAgain := read(c.auditor, a.HeadPosition, today); staffAgain.Items[0].Author.Name != "张三" || e.srv.itemAnswers.hits.Load() != hits+2 {
		t.Fatalf("the auditor's second read: %+v (%d hits)", staffAgain, e.srv.itemAnswers.hits.Load())
	}

	late := read("", a.HeadPosition, due.Add(time.Hour))
	if !late.Items[0].Overdue {
		t.Fatalf("past the action's due date the item is not overdue: %+v", late)
	}
	sup := e.write(t, c.r2, "/v1/proposals/"+pid+"/support", nil, 200)
	if grown := read("", sup.Position, today); grown.Items[0].Supporters != first.Items[0].Supporters+1 || grown.Items[0].Overdue {
		t.Fatalf("a support was not in the next answer: %+v, then %+v", first, grown)
	}

	er := eraseR1(t, e, root)
	for _, token := range []string{"", c.auditor} {
		if erased := read(token, er.Position, today); erased.Items[0].Author.Name != privacy.ErasedName {
			t.Fatalf("after the erasure the board still shows the author: %+v", erased)
		}
	}
}

// TestErasureEmptiesTheKeptAnswersAtOnce: once an erasure is answered, no
// kept answer (staff's opened, the public's masked) holds the erased name,
// before anyone reads again.
func TestErasureEmptiesTheKeptAnswersAtOnce(t *testing.T) {
	e, c, root, sub := keptSetUp(t)
	for _, token := range []string{"", c.auditor} {
		e.do(req{method: "GET", path: fmt.Sprintf("/v1/board?community=hengyuan&grid=g1&wait_for=%d", sub.Position), token: token}).want(t, 200)
		e.do(req{method: "GET", path: fmt.Sprintf("/v1/proposals/%s/timeline?wait_for=%d", sub.ID, sub.Position), token: token}).want(t, 200)
	}
	holds := func(ca *answerCache, s string) bool {
		ca.mu.RLock()
		defer ca.mu.RUnlock()
		for el := ca.order.Front(); el != nil; el = el.Next() {
			if strings.Contains(string(el.Value.(*cachedAnswer).answer), s) {
				return true
			}
		}
		return false
	}
	if !holds(e.srv.itemAnswers, "张三") || !holds(e.srv.itemAnswers, "张*") || !holds(e.srv.publicAnswers, "张*") {
		t.Fatal("the reads were not kept")
	}
	eraseR1(t, e, root)
	for name, ca := range map[string]*answerCache{"board items": e.srv.itemAnswers, "timelines": e.srv.publicAnswers} {
		if holds(ca, "张") {
			t.Errorf("after the erasure the kept answers of %s still hold the erased name", name)
		}
	}
}

// TestAnswerCacheKeepsOneGenerationAndWhatIsRead: answers of an older
// generation are neither served nor kept; a newer one empties the cache;
// a full cache evicts an answer nobody read before one that was read.
func TestAnswerCacheKeepsOneGenerationAndWhatIsRead(t *testing.T) {
	c := newAnswerCache(16 * 100)
	c.put(1, "a", bytes.Repeat([]byte("a"), 99))
	if _, ok := c.get(1, "a"); !ok {
		t.Fatal("an answer kept is not served")
	}
	if _, ok := c.get(0, "a"); ok {
		t.Fatal("an answer was served to a read of an older generation")
	}
	c.put(0, "old", []byte("x"))
	if _, ok := c.get(1, "old"); ok {
		t.Fatal("an answer of an older generation was kept")
	}
	c.forgetBefore(2)
	if _, ok := c.get(2, "a"); ok {
		t.Fatal("a newer generation did not empty the cache")
	}

	// 16 answers of 100 bytes fill it; the first is read, so the next
	// answer evicts the second.
	for i := range 16 {
		c.put(2, fmt.Sprintf("%d%d", i/10, i%10), bytes.Repeat([]byte("b"), 98))
	}
	if _, ok := c.get(2, "00"); !ok {
		t.Fatal("the first answer is not kept")
	}
	c.put(2, "new", bytes.Repeat([]byte("c"), 97))
	if _, ok := c.get(2, "00"); !ok {
		t.Fatal("the answer read was evicted")
	}
	if _, ok := c.get(2, "01"); ok {
		t.Fatal("the oldest answer nobody read was kept")
	}
	if _, ok := c.get(2, "new"); !ok {
		t.Fatal("the newest answer is not kept")
	}
}

// shelvedSetUp is keptSetUp with an answer shelf in dir.
func shelvedSetUp(t *testing.T, dir string) (*env, cast, string, WriteResult, *answershelf.Shelf) {
	t.Helper()
	var shelf *answershelf.Shelf
	e, c, root, sub := keptSetUp(t, func(cfg *Config) {
		var err error
		shelf, err = answershelf.Open(context.Background(), dir, "", cfg.Ledger.Sealer().Keys(), slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = shelf.Close() })
		cfg.Answers = shelf
	})
	return e, c, root, sub, shelf
}

// TestPublicTimelineFirstPagesAreKeptOnDisk: a public first page is kept
// on the answer shelf as it was answered; after a restart (the answers in
// memory gone) it is answered from the shelf, at the page size it was
// kept for; staff neither read from it nor write to it, and later pages
// are not answered from it; nothing is on disk in plaintext; a new step
// of the story makes a new answer; after an erasure the shelf serves
// nothing it kept (answershelf's tests show its key destroyed).
func TestPublicTimelineFirstPagesAreKeptOnDisk(t *testing.T) {
	dir := t.TempDir()
	e, c, root, sub, shelf := shelvedSetUp(t, dir)
	path := "/v1/proposals/" + sub.ID + "/timeline"
	read := func(token string, at uint64, query string) string {
		t.Helper()
		return string(e.do(req{method: "GET", path: fmt.Sprintf("%s?wait_for=%d%s", path, at, query), token: token}).want(t, 200).body)
	}
	// shelved returns the first page of the default size kept for the
	// story as it is now.
	shelfKey := sub.ID + "|" + fmt.Sprint(projections.DefaultLimit)
	shelved := func() (string, string, bool) {
		t.Helper()
		steps, last, ok, err := e.srv.cfg.Runner.Views().Timeline.Length(sub.ID)
		if err != nil || !ok {
			t.Fatalf("no story of %s: %v", sub.ID, err)
		}
		v := timelineVersion(steps, last)
		b, ok, err := shelf.Get(e.srv.sealerGeneration(), shelfKey, v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b), v, ok
	}
	restart := func() { e.srv.publicAnswers = newAnswerCache(timelineAnswerBytes) }

	first := read("", sub.Position, "")
	kept, version, ok := shelved()
	if !ok || !strings.HasPrefix(first, strings.TrimSuffix(kept, "}")+`,"position":`) {
		t.Fatalf("the public first page was not kept as answered (kept %v):\n%s\n%s", ok, kept, first)
	}
	if onDisk(t, dir, "张*") {
		t.Fatal("the shelf's files hold the masked name in plaintext")
	}
	// What the shelf holds is what a read after a restart answers.
	planted := strings.Replace(kept, "张*", "planted", 1)
	if err := shelf.Put(e.srv.sealerGeneration(), shelfKey, version, []byte(planted)); err != nil {
		t.Fatal(err)
	}
	restart()
	if got := read("", sub.Position, ""); !strings.Contains(got, "planted") {
		t.Fatalf("the read after a restart was not answered from the shelf: %s", got)
	}
	restart()
	if got := read("", sub.Position, fmt.Sprintf("&limit=%d", projections.DefaultLimit)); !strings.Contains(got, "planted") {
		t.Fatalf("the default page size asked for by name was not answered from the shelf: %s", got)
	}
	for _, q := range []string{fmt.Sprintf("&limit=%d", projections.MaxLimit), "&limit=7", fmt.Sprintf("&cursor=%d", sub.Position-1)} {
		if got := read("", sub.Position, q); strings.Contains(got, "planted") {
			t.Fatalf("a page of another size or a later page was answered from the shelf (%s): %s", q, got)
		}
	}
	if staff := read(c.auditor, sub.Position, ""); !strings.Contains(staff, "张三") {
		t.Fatalf("the auditor's answer came from the shelf: %s", staff)
	}
	if kept, _, _ := shelved(); kept != planted {
		t.Fatalf("a staff read or another page changed the kept answer: %s", kept)
	}
	steps, last, _, err := e.srv.cfg.Runner.Views().Timeline.Length(sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := shelf.Get(e.srv.sealerGeneration(), sub.ID+"|7", timelineVersion(steps, last)); ok {
		t.Fatal("a page of a size no door asks for was kept on disk")
	}

	sup := e.write(t, c.r2, "/v1/proposals/"+sub.ID+"/support", nil, 200)
	restart()
	grown := read("", sup.Position, "")
	if strings.Contains(grown, "planted") || !strings.Contains(grown, "李*") {
		t.Fatalf("a new step was not in the next public answer: %s", grown)
	}
	if kept, _, ok := shelved(); !ok || !strings.Contains(kept, "李*") {
		t.Fatalf("the grown story's first page was not kept: %v %s", ok, kept)
	}

	keys := e.srv.cfg.Ledger.Sealer().Keys()
	var shelfKeys []string
	for k, err := range keys.All(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(k.ID, answershelf.KeyPrefix) && k.Erased.IsZero() {
			shelfKeys = append(shelfKeys, k.ID)
		}
	}
	if len(shelfKeys) != 1 {
		t.Fatalf("want the shelf's one key in the key store, have %v", shelfKeys)
	}
	er := eraseR1(t, e, root)
	if kept, _, ok := shelved(); ok {
		t.Fatalf("after the erasure the shelf still holds the page: %s", kept)
	}
	if _, err := keys.Key(context.Background(), shelfKeys[0]); !errors.Is(err, privacy.ErrErased) {
		t.Fatalf("after the erasure the shelf's key is not destroyed: %v", err)
	}
	restart()
	erased := read("", er.Position, "")
	if strings.Contains(erased, "张") || !strings.Contains(erased, privacy.ErasedName) {
		t.Fatalf("the public answer after the erasure still shows the person: %s", erased)
	}
}

// TestBoardItemAnswersAreKeptOnDisk: a board item's answer is kept on the
// answer shelf, one for the public and one for staff, under the item's
// state, and nothing in plaintext; after a restart (the answers in memory
// gone) each audience is answered from its own, an item that changed
// since is answered afresh and kept again; after an erasure the shelf
// serves nothing it kept. LoadKeptItems puts what the shelf holds back in
// memory at once, and nothing kept before an erasure.
func TestBoardItemAnswersAreKeptOnDisk(t *testing.T) {
	dir := t.TempDir()
	e, c, root, sub, shelf := shelvedSetUp(t, dir)
	read := func(token string, at uint64) string {
		t.Helper()
		return string(e.do(req{method: "GET", path: fmt.Sprintf("/v1/board?community=hengyuan&grid=g1&wait_for=%d", at), token: token}).want(t, 200).body)
	}
	// state is the item's state as a read now names it.
	state := func() string {
		t.Helper()
		var st string
		if _, _, err := e.srv.cfg.Runner.Views().Board.OpenKept(projections.BoardQuery{CommunityID: "hengyuan", GridID: "g1", Now: time.Now()},
			func(_, _, s string) ([]byte, bool) { st = s; return nil, false }); err != nil || st == "" {
			t.Fatalf("no state of %s: %v", sub.ID, err)
		}
		return st
	}
	shelved := func(audience string) (string, bool) {
		t.Helper()
		st := state()
		b, ok, err := shelf.Get(e.srv.sealerGeneration(), itemShelfKey(audience, st), st)
		if err != nil {
			t.Fatal(err)
		}
		return string(b), ok
	}
	restart := func() { e.srv.itemAnswers = newAnswerCache(itemAnswerBytes) }
	hits := func() float64 {
		return testutil.ToFloat64(e.srv.metrics.shelfReads.WithLabelValues("board_item", "hit"))
	}

	public, staff := read("", sub.Position), read(c.auditor, sub.Position)
	masked, ok := shelved("masked")
	if !ok || !strings.Contains(public, masked) || !strings.Contains(masked, "张*") {
		t.Fatalf("the public's item was not kept as answered (kept %v):\n%s\n%s", ok, masked, public)
	}
	opened, ok := shelved("opened")
	if !ok || !strings.Contains(staff, opened) || !strings.Contains(opened, "张三") {
		t.Fatalf("the auditor's item was not kept as answered (kept %v):\n%s\n%s", ok, opened, staff)
	}
	// A real restart of the shelf: its files closed (what it wrote without
	// waiting for the disk is then in them), read, and opened again.
	gen, st := e.srv.sealerGeneration(), state()
	if err := shelf.Close(); err != nil {
		t.Fatal(err)
	}
	for _, plain := range []string{"张*", "张三", "3号院车棚"} {
		if onDisk(t, dir, plain) {
			t.Fatalf("the shelf's files hold %q in plaintext", plain)
		}
	}
	shelf, err := answershelf.Open(context.Background(), dir, "", e.srv.cfg.Ledger.Sealer().Keys(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = shelf.Close() })
	shelf.Start(gen)
	e.srv.cfg.Answers = shelf

	// What the shelf holds is what a read after a restart answers, to
	// each audience its own: staff's alone planted, the public read its
	// own as kept.
	planted := map[string]string{"masked": `{"planted":"public"}`, "opened": `{"planted":"staff"}`}
	if err := shelf.Put(gen, itemShelfKey("opened", st), st, []byte(planted["opened"])); err != nil {
		t.Fatal(err)
	}
	restart()
	if got := read("", sub.Position); strings.Contains(got, "planted") || !strings.Contains(got, masked) {
		t.Fatalf("the public read after a restart was not answered its own kept answer: %s", got)
	}
	if err := shelf.Put(gen, itemShelfKey("masked", st), st, []byte(planted["masked"])); err != nil {
		t.Fatal(err)
	}
	restart()
	before := hits()
	if got := read("", sub.Position); !strings.Contains(got, planted["masked"]) || hits() != before+1 {
		t.Fatalf("the public read after a restart was not answered from the shelf: %s", got)
	}
	if got := read(c.auditor, sub.Position); !strings.Contains(got, planted["opened"]) || hits() != before+2 {
		t.Fatalf("the auditor's read after a restart was not answered from the shelf: %s", got)
	}
	// LoadKeptItems puts them back in memory in one pass, before any read.
	restart()
	e.srv.LoadKeptItems(context.Background())
	for audience, answer := range planted {
		if got, ok := e.srv.itemAnswers.get(gen, audience+"|"+st); !ok || string(got) != answer {
			t.Fatalf("the %s item was not put back in memory: %v %s", audience, ok, got)
		}
	}
	before = hits()
	if got := read("", sub.Position); !strings.Contains(got, planted["masked"]) || hits() != before {
		t.Fatalf("the public read after the items were put back was not answered from memory: %s", got)
	}

	sup := e.write(t, c.r2, "/v1/proposals/"+sub.ID+"/support", nil, 200)
	restart()
	if grown := read("", sup.Position); strings.Contains(grown, "planted") || !strings.Contains(grown, `"supporters":1`) {
		t.Fatalf("the supported item was answered from the shelf: %s", grown)
	}
	if kept, ok := shelved("masked"); !ok || strings.Contains(kept, "planted") || !strings.Contains(kept, `"supporters":1`) {
		t.Fatalf("the supported item's answer was not kept: %v %s", ok, kept)
	}

	er := eraseR1(t, e, root)
	for _, audience := range []string{"masked", "opened"} {
		if kept, ok := shelved(audience); ok {
			t.Fatalf("after the erasure the shelf still holds the %s item: %s", audience, kept)
		}
	}
	restart()
	e.srv.LoadKeptItems(context.Background())
	if n := len(e.srv.itemAnswers.byKey); n != 0 {
		t.Fatalf("after the erasure %d items' answers were put back in memory", n)
	}
	for _, token := range []string{"", c.auditor} {
		if erased := read(token, er.Position); strings.Contains(erased, "张") || !strings.Contains(erased, privacy.ErasedName) {
			t.Fatalf("the board after the erasure still shows the person: %s", erased)
		}
	}
}

// onDisk reports whether a file under dir holds text.
func onDisk(t *testing.T, dir, text string) bool {
	t.Helper()
	found := false
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		found = found || bytes.Contains(b, []byte(text))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// TestAnswerCacheKeepsNoSpareRoom: an answer written into room made for
// more is kept as a copy at its length, so that the bytes the cache counts
// are the bytes it holds; one with little spare room is kept as it is.
func TestAnswerCacheKeepsNoSpareRoom(t *testing.T) {
	c := newAnswerCache(1 << 20)
	roomy := append(make([]byte, 0, 4096), `{"title":"repaint the lines"}`...)
	c.put(1, "roomy", roomy)
	got, ok := c.get(1, "roomy")
	if !ok || string(got) != string(roomy) {
		t.Fatalf("kept %q, %v", got, ok)
	}
	if cap(got) >= 4096 {
		t.Fatalf("the answer kept its room: cap %d for %d bytes", cap(got), len(got))
	}
	tight := make([]byte, 1000, 1100)
	c.put(1, "tight", tight)
	got, _ = c.get(1, "tight")
	if &got[0] != &tight[0] {
		t.Fatal("an answer with little spare room was copied")
	}
}
