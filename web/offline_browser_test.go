package web

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	yhttp "github.com/yishi-civic/yishi/http"
)

// link is the network between the browser and the server: a TCP proxy the
// test switches off, as a courtyard without signal does (DevTools' network
// emulation takes the page and its service worker offline as well; the
// link also loses answers on purpose).
type link struct {
	t      *testing.T
	ln     net.Listener
	target string

	mu    sync.Mutex
	state linkState
	conns map[net.Conn]bool
}

type linkState int

const (
	linkUp linkState = iota
	// linkDown refuses connections and cuts the open ones.
	linkDown
	// linkLosesAnswers passes requests to the server but cuts the
	// connection when the answer comes back: the command reached the
	// ledger, the phone never heard so.
	linkLosesAnswers
)

// mustLink starts a link to the server at base ("http://host:port").
func mustLink(t *testing.T, base string) *link {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &link{t: t, ln: ln, target: strings.TrimPrefix(base, "http://"), conns: map[net.Conn]bool{}}
	go l.serve()
	t.Cleanup(func() {
		_ = ln.Close()
		l.set(linkDown)
	})
	return l
}

func (l *link) url() string { return "http://" + l.ln.Addr().String() }

// set switches the link; switching it down cuts every open connection.
func (l *link) set(s linkState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state = s
	if s == linkDown {
		for c := range l.conns {
			_ = c.Close()
		}
		clear(l.conns)
	}
}

func (l *link) now() linkState {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

func (l *link) track(cs ...net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.state == linkDown {
		return false
	}
	for _, c := range cs {
		l.conns[c] = true
	}
	return true
}

func (l *link) serve() {
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		go l.carry(c)
	}
}

// carry passes one connection's bytes both ways while the link is up.
func (l *link) carry(c net.Conn) {
	if l.now() == linkDown {
		_ = c.Close()
		return
	}
	s, err := net.Dial("tcp", l.target)
	if err != nil {
		_ = c.Close()
		return
	}
	if !l.track(c, s) {
		_ = c.Close()
		_ = s.Close()
		return
	}
	cut := func() {
		_ = c.Close()
		_ = s.Close()
	}
	go func() {
		_, _ = io.Copy(s, c)
		cut()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := s.Read(buf)
		if n > 0 {
			if l.now() != linkUp {
				cut()
				return
			}
			if _, werr := c.Write(buf[:n]); werr != nil {
				cut()
				return
			}
		}
		if err != nil {
			cut()
			return
		}
	}
}

// offline takes the browser's page off the network (DevTools' emulation)
// and cuts the link; online brings both back.
func (b *browser) offline(l *link, off bool) {
	b.t.Helper()
	if off {
		l.set(linkDown)
	} else {
		l.set(linkUp)
	}
	worker := true
	b.do("network emulation", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return fmt.Errorf("enable network: %w", err)
		}
		if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{EmulateOfflineServiceWorker: &worker,
			MatchedNetworkConditions: []*network.Conditions{{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}}}); err != nil {
			return fmt.Errorf("emulate the network: %w", err)
		}
		// navigator.onLine and its online/offline events.
		_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1})
		return err
	}))
}

// forgetNetworkErrors drops the browser's own reports of requests that
// failed while the network was off (console messages from the "network"
// source); JavaScript errors stay, and fail check.
func (b *browser) forgetNetworkErrors() {
	b.mu.Lock()
	defer b.mu.Unlock()
	kept := b.console[:0]
	for _, m := range b.console {
		if m.Source != "network" {
			kept = append(kept, m)
		}
	}
	b.console = kept
}

// waitFor waits until the JavaScript condition holds (a minute at most).
func (b *browser) waitFor(what, cond string) {
	b.t.Helper()
	ok := eval[bool](b, fmt.Sprintf(`(async () => {
		for (let i = 0; i < 500; i++) {
			if (await (async () => { %s })()) return true;
			await new Promise(r => setTimeout(r, 100));
		}
		return false;
	})()`, cond))
	if !ok {
		body := eval[string](b, "document.body.innerText")
		b.t.Fatalf("%s: never happened; the page shows:\n%s", what, body)
	}
}

// queued counts the console's commands in IndexedDB in a state.
const queued = `new Promise((resolve) => {
	const r = indexedDB.open("yishi-console", 1);
	r.onupgradeneeded = () => r.result.createObjectStore("commands", { keyPath: "seq", autoIncrement: true });
	r.onsuccess = () => { const g = r.result.transaction("commands").objectStore("commands").getAll();
		g.onsuccess = () => { r.result.close(); resolve(g.result.filter(c => c.state === %q).length); }; };
})`

// TestBrowserOfflineConsole runs a courtyard meeting whose network drops:
// the facilitator's console, opened once online, opens again without a
// network from the service worker; attendance, a statement and a show of
// hands recorded offline wait on the phone, shown as waiting, and reach
// the ledger once each and in order when the network returns, with the
// moment they were recorded beside the moment they arrived; a command
// whose answer was lost is sent again with its key and recorded once; a
// show of hands that arrives after the vote was closed elsewhere is shown
// with the server's reason until dismissed; signing out deletes the kept
// pages and commands.
func TestBrowserOfflineConsole(t *testing.T) {
	s := mustServe(t, false)
	story := mustParkingLine(t, s)
	surnames := []rune("赵钱孙李周吴郑王冯陈褚卫蒋沈韩")
	name := func(i int) string { return string(surnames[i]) + "居民" }
	m := s.write(t, story.facilitator, "/v1/meetings", map[string]any{"community_id": "hengyuan", "grid_id": "g3", "compound_id": "west",
		"title": "西院停车议事会", "place": "西院凉亭", "starts_at": time.Now().Add(time.Hour).Format(time.RFC3339), "format": "courtyard"})
	api := "/v1/meetings/" + m.ID
	item := s.write(t, story.facilitator, api+"/agenda", map[string]string{"title": "西院车位线重新划线"}).ID
	var electorate []map[string]string
	for i, id := range story.residentIDs {
		s.write(t, story.facilitator, api+"/participants", map[string]string{"person_id": id, "name": name(i), "kind": "resident"})
		electorate = append(electorate, map[string]string{"person_id": id, "name": name(i)})
	}
	s.write(t, story.facilitator, api+"/open", nil)
	for i, id := range story.residentIDs[:10] {
		s.write(t, story.facilitator, api+"/attendance", map[string]string{"person_id": id, "name": name(i), "attendance": "present"})
	}
	motion := s.write(t, story.facilitator, api+"/motions", map[string]any{"item_id": item, "text": "由物业组织两周内重新划线",
		"options": []map[string]string{{"id": "o1", "label": "同意"}, {"id": "o2", "label": "不同意"}}, "rule": map[string]any{"kind": "simple_majority"}}).ID
	s.write(t, story.facilitator, api+"/motions/"+motion+"/voting", map[string]any{"electorate": electorate})
	var before yhttp.Aggregate
	s.read(t, story.facilitator, api, &before)

	net := mustLink(t, s.url)
	root := mustBrowser(t, net.url())
	f := root.signedIn(story.facilitator, 390, 844)
	console := "/staff/meetings/" + m.ID + "/console"

	// Online once: the service worker takes the console in hand and keeps
	// its five screens and their static files.
	f.visit(console + "?screen=attendance")
	f.waitFor("the service worker controls the console", `return !!navigator.serviceWorker.controller`)
	f.waitFor("the console's screens are kept", `const c = await caches.open("yishi-console-v1");
		const urls = (await c.keys()).map(r => r.url);
		return urls.filter(u => u.includes("/console?screen=")).length === 5 && urls.filter(u => u.includes("/static/")).length >= 4;`)

	// A command whose answer is lost: it reached the ledger, the phone
	// keeps it and sends it again with its key once the link is back.
	net.set(linkLosesAnswers)
	eval[bool](f, `document.querySelector('li[data-person="r11"] button[value="present"]').click(); true`)
	f.waitFor("the attendance waits on the phone", `return (await `+fmt.Sprintf(queued, "pending")+`) === 1`)
	s.waitForEvents(t, story.facilitator, api, len(before.Events)+1)
	net.set(linkUp)
	f.waitFor("the lost answer's command is sent again", `return (await `+fmt.Sprintf(queued, "pending")+`) === 0`)
	// The console reads itself again as of the write; the kept copy is
	// the page as the phone last read it.
	f.waitFor("the console shows r11 present", `return document.querySelector('li[data-person="r11"]').className.includes("is-present")`)
	f.waitFor("the kept page shows r11 present", `const r = await caches.match(location.origin + location.pathname + "?screen=attendance", { ignoreVary: true });
		const html = r ? await r.text() : "";
		return /class="person is-present" data-name="褚居民"/.test(html);`)

	// The network drops. The console opens from the service worker.
	f.offline(net, true)
	f.do("reload offline", chromedp.Reload())
	f.waitText("h1", "西院停车议事会")
	f.waitText("#queuebar", "离线")
	f.waitFor("the attendance list shows r11 present", `return document.querySelector('li[data-person="r11"]').className.includes("is-present")`)

	// Attendance, a statement and a show of hands, all offline.
	eval[bool](f, `document.querySelector('li[data-person="r12"] button[value="present"]').click(); true`)
	f.waitText("#queue-count", "本机待发送 1 条")
	f.waitText(`li[data-person="r12"] .badge`, "到场 · 待发送")
	if pressed := eval[string](f, `document.querySelector('li[data-person="r12"] button[value="present"]').getAttribute("aria-pressed")`); pressed != "true" {
		t.Errorf("the waiting attendance is not ticked: aria-pressed=%q", pressed)
	}
	f.forgetNetworkErrors()
	f.check("console-offline-attendance-zh")

	f.submit(`.screens a[href*="screen=discussion"]`)
	f.set("#speaker", "r01|赵居民")
	f.set("#summary", "晚上车多，线看不清，建议重新划线。")
	eval[bool](f, `document.querySelector('form[action$="/statement"] button[type=submit]').click(); true`)
	f.waitText("#queue-count", "本机待发送 2 条")
	f.waitText("#statements", "晚上车多，线看不清")
	f.waitText("#statements li.pending", "待发送")

	f.submit(`.screens a[href*="screen=vote"]`)
	eval[bool](f, `["r03", "r04"].forEach(id => document.querySelector('#unvoted input[value="' + id + '"]').click()); true`)
	eval[bool](f, `document.querySelector('form[action$="/ballots"] button[type=submit]').click(); true`)
	f.waitText("#queue-count", "本机待发送 3 条")
	f.waitText("#queue-pending", "孙居民、李居民")
	t.Logf("queued commands take %s bytes each (as JSON, UTF-8); the browser's storage quota for the site is %.0f MB",
		eval[string](f, `new Promise((resolve) => { const r = indexedDB.open("yishi-console", 1); r.onsuccess = () => {
			const g = r.result.transaction("commands").objectStore("commands").getAll();
			g.onsuccess = () => { r.result.close(); resolve(g.result.map(c => new Blob([JSON.stringify(c)]).size).join(", ")); }; }; })`),
		eval[float64](f, `navigator.storage.estimate().then(e => e.quota)`)/1e6)
	f.forgetNetworkErrors()
	f.check("console-offline-vote-zh")

	// The network returns: every command reaches the ledger once, in order.
	f.offline(net, false)
	f.waitFor("the queue is sent", `return (await `+fmt.Sprintf(queued, "pending")+`) === 0`)
	f.waitFor("the bar says nothing waits", `return document.getElementById("queuebar").hidden`)
	var after yhttp.Aggregate
	s.read(t, story.facilitator, api, &after)
	var got []string
	for _, ev := range after.Events[len(before.Events):] {
		var d struct {
			PersonID string    `json:"person_id"`
			VoterID  string    `json:"voter_id"`
			Summary  string    `json:"summary"`
			At       time.Time `json:"at"`
		}
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.TrimSuffix(ev.Type, ".v1")+" "+d.PersonID+d.VoterID+d.Summary)
		if ev.Type != "meeting.attendance_recorded.v1" || d.PersonID != "r11" {
			// Recorded offline: the moment it was made comes before the
			// moment it reached the ledger.
			if !d.At.Before(ev.Recorded) {
				t.Errorf("%s at %v, recorded %v: the command's own time is not kept", ev.Type, d.At, ev.Recorded)
			}
		}
	}
	want := []string{"meeting.attendance_recorded r11", "meeting.attendance_recorded r12", "meeting.statement_recorded 晚上车多，线看不清，建议重新划线。",
		"meeting.vote_cast r03", "meeting.vote_cast r04"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("the ledger got:\n%s\nwant, once each and in this order:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Offline again: a show of hands waits while the vote is closed
	// through the API; when it arrives it is refused, and says why.
	f.visit(console + "?screen=vote")
	f.offline(net, true)
	eval[bool](f, `document.querySelector('#unvoted input[value="r05"]').click(); true`)
	eval[bool](f, `document.querySelector('form[action$="/ballots"] button[type=submit]').click(); true`)
	f.waitText("#queue-count", "本机待发送 1 条")
	s.write(t, story.facilitator, api+"/motions/"+motion+"/voting/close", nil)
	f.offline(net, false)
	f.waitText("#queue-refused", "不能登记表决")
	f.waitText("#queue-count", "未被接受 1 条")
	if n := eval[int](f, fmt.Sprintf(queued, "refused")); n != 1 {
		t.Errorf("%d refused commands kept, want 1", n)
	}
	f.forgetNetworkErrors()
	f.check("console-refused-zh")
	var closed yhttp.Aggregate
	s.read(t, story.facilitator, api, &closed)
	for _, ev := range closed.Events[len(after.Events):] {
		if strings.Contains(string(ev.Data), `"r05"`) {
			t.Errorf("the refused show of hands is in the ledger: %s", ev.Data)
		}
	}
	eval[bool](f, `document.querySelector('#queue-refused button[data-dismiss]').click(); true`)
	f.waitFor("the refusal is dismissed", `return (await `+fmt.Sprintf(queued, "refused")+`) === 0 && document.getElementById("queue").hidden`)

	// Signing out deletes what the browser kept.
	f.submit(`form[action="/signout"] button`)
	f.waitFor("the kept pages and commands are gone", `const names = (await caches.keys()).filter(k => k.startsWith("yishi-"));
		const dbs = indexedDB.databases ? (await indexedDB.databases()).map(d => d.name) : [];
		return names.length === 0 && !dbs.includes("yishi-console");`)
	f.forgetNetworkErrors()
	f.check("home-signedout-zh")
}

// waitForEvents waits until the meeting's stream holds n events.
func (s *server) waitForEvents(t *testing.T, token, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		var a yhttp.Aggregate
		s.read(t, token, path, &a)
		if len(a.Events) >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s has %d events, want %d", path, len(a.Events), n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
