package notify_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/notify"
	"github.com/yishi-civic/yishi/privacy"
	"github.com/yishi-civic/yishi/projections"
)

// The child process of TestOutboxUnderKill9: it appends proposals and
// acceptances (printing "ack <proposal>" once each acceptance is
// acknowledged) while its delivery loop sends to the parent's webhook,
// until the parent kills it with SIGKILL. With YISHI_CRASH_DRAIN it
// appends nothing and exits once nothing is due.
const (
	crashDirEnv   = "YISHI_NOTIFY_CRASH_DIR"
	crashURLEnv   = "YISHI_NOTIFY_CRASH_URL"
	crashDrainEnv = "YISHI_NOTIFY_CRASH_DRAIN"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		if err := crashChild(dir, os.Getenv(crashURLEnv), os.Getenv(crashDrainEnv) != ""); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(2)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func crashChild(dir, url string, drain bool) error {
	store, err := pebble.Open(dir + "/store")
	if err != nil {
		return err
	}
	defer store.Close()
	keys, err := privacy.OpenKeyDir(dir + "/keys")
	if err != nil {
		return err
	}
	defer keys.Close()
	sealer := privacy.NewSealer(keys)
	l := ledger.New(store, ledger.WithSealer(sealer))
	runner, err := projections.New(store, projections.Config{Decode: projections.NewDecoder().Decode})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = runner.Run(ctx) }()
	d := notify.New(notify.Config{Ledger: l, Outbox: func() *projections.Notifications { return runner.Views().Notifications },
		WaitFor: runner.WaitFor, Channels: []notify.Channel{notify.NewWebhook(url, secret, 2*time.Second)}, Backoff: 10 * time.Millisecond,
		Now: func() time.Time { return time.Now().Truncate(24 * time.Hour).Add(4 * time.Hour) }}) // 12:00 China time: never quiet
	if drain {
		head, err := runner.Head(ctx)
		if err != nil {
			return err
		}
		if err := runner.WaitFor(ctx, head); err != nil {
			return err
		}
		for runner.Views().Notifications.PendingCount() > 0 {
			if _, err := d.Round(ctx); err != nil {
				return err
			}
		}
		return nil
	}
	go func() {
		for ctx.Err() == nil {
			_, _ = d.Round(ctx)
		}
	}()
	actor := ledger.Actor{ID: "f1", Role: "facilitator"}
	for i := 0; ; i++ {
		person := fmt.Sprintf("r%d-%d", os.Getpid(), i)
		id := uuid.NewString()
		for _, c := range []domain.Command{
			domain.ChangeNotificationSettings{PersonID: person, Settings: domain.NotificationSettings{Channels: []string{domain.ChannelWebhook},
				QuietFrom: "00:00", QuietTo: "00:00", Digest: domain.DigestOff, Language: domain.LangZH}, Contact: "1380013" + fmt.Sprintf("%04d", i%10000)},
			domain.SubmitProposal{ProposalID: id, CommunityID: "hengyuan", GridID: "g1", Title: "楼道灯坏了", Text: "晚上看不见", Category: "facilities",
				Place: "5号楼", Channel: domain.ChannelVisit, Author: domain.Party{Kind: domain.PartyPerson, ID: person, Name: "居民"}},
			domain.AcceptProposal{ProposalID: id, Owner: domain.Party{Kind: domain.PartyUnit, ID: "wuye", Name: "物业"}, By: "f1"},
		} {
			if _, err := l.Execute(ctx, c, actor, ledger.Options{}); err != nil {
				return err
			}
		}
		fmt.Printf("ack %s %s\n", id, person)
	}
}

// TestOutboxUnderKill9 kills the service with SIGKILL again and again
// while it appends events and delivers their notifications to a webhook:
// every notification of every acknowledged event reaches the receiver at
// least once, the ledger records each delivery exactly once, and a
// receiver that deduplicates by webhook-id sees each once.
func TestOutboxUnderKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kill -9 test: not in -short")
	}
	dir := t.TempDir()
	var mu sync.Mutex
	calls := map[string]int{} // webhook-id → requests
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if notify.Verify(secret, r.Header, body, time.Now(), time.Hour) != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var p notify.WebhookPayload
		if json.Unmarshal(body, &p) != nil || p.Data.ID != r.Header.Get("webhook-id") {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mu.Lock()
		calls[p.Data.ID]++
		mu.Unlock()
	}))
	defer srv.Close()

	acked := map[string]string{} // proposal → author
	const kills = 6
	for k := 0; k <= kills; k++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir, crashURLEnv+"="+srv.URL)
		if k == kills {
			cmd.Env = append(cmd.Env, crashDrainEnv+"=1")
		}
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan struct{})
		go func() {
			defer close(lines)
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "ack" {
					mu.Lock()
					acked[f[1]] = f[2]
					mu.Unlock()
				}
			}
		}()
		if k < kills {
			time.Sleep(time.Duration(300+100*k) * time.Millisecond)
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			<-lines
			_ = cmd.Wait()
			continue
		}
		<-lines
		if err := cmd.Wait(); err != nil {
			t.Fatalf("drain: %v", err)
		}
	}

	// The ledger, read after the last child drained the outbox.
	store, err := pebble.Open(dir + "/store")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	keys, err := privacy.OpenKeyDir(dir + "/keys")
	if err != nil {
		t.Fatal(err)
	}
	defer keys.Close()
	l := ledger.New(store, ledger.WithSealer(privacy.NewSealer(keys)))
	runner := mustRun(t, store, l.Sealer())
	head, err := runner.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := runner.WaitFor(context.Background(), head); err != nil {
		t.Fatal(err)
	}
	if len(acked) < 10 {
		t.Fatalf("only %d acknowledged acceptances: the children did too little to test anything", len(acked))
	}
	outbox := runner.Views().Notifications
	resent := 0
	for proposal, person := range acked {
		in := inboxOf(t, outbox, person, 0)
		if len(in.Items) != 1 || in.Items[0].Item != domain.ProposalStream(proposal) {
			t.Fatalf("%s's inbox: %+v", person, in)
		}
		id := in.Items[0].ID
		mu.Lock()
		n := calls[id]
		mu.Unlock()
		if n < 1 {
			t.Errorf("the notification of acknowledged %s never reached the receiver", proposal)
		}
		resent += n - 1
		evs, _, err := l.Load(context.Background(), domain.NotificationStream(id))
		if err != nil {
			t.Fatal(err)
		}
		sent := 0
		for _, e := range evs {
			if _, ok := e.(domain.NotificationSent); ok {
				sent++
			}
		}
		if sent != 1 {
			t.Errorf("%s: %d sent events recorded, want 1", id, sent)
		}
	}
	if outbox.PendingCount() != 0 {
		t.Errorf("%d deliveries still due", outbox.PendingCount())
	}
	// The receiver may hold more ids than acknowledged acceptances: an
	// acceptance durable in the log whose child was killed before it could
	// print its ack is still told of (the log, not the client, decides).
	t.Logf("%d kills: %d acknowledged acceptances, each delivered and recorded once; %d ids at the receiver; %d messages sent again after a kill (dropped by the receiver's dedup)",
		kills, len(acked), len(calls), resent)
}
