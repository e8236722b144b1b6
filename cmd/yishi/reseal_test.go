package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/eventstore/pebble"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
)

// plaintextSecrets are the personal data plainLedger writes in the clear.
var plaintextSecrets = []string{"王秀英", "赵志强", "501室", "门口堆满纸箱", "西院车棚", "老刘"}

// plainLedger writes a ledger as it was before sealing: a unit with its
// owner and door number, a proposal by her with free text, a supporter,
// and an access token with its holder's name, all in plaintext. Then,
// after "the upgrade", one more proposal written through the sealer (its
// keys in dir/keys). The server's key is created in dir/seal.
func plainLedger(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	store, err := pebble.Open(dir)
	require.NoError(t, err)
	old := ledger.New(store)
	admin := ledger.Actor{ID: "operator", Role: "admin"}
	for _, c := range []domain.Command{
		domain.RegisterCommunity{CommunityID: "hengyuan", Name: "衡苑社区", Kind: domain.CommunityUrban, Street: "衡水路街道"},
		domain.CreateGrid{CommunityID: "hengyuan", GridID: "g1", Name: "第一网格", Kind: domain.GridResidential},
		domain.RegisterCompound{CommunityID: "hengyuan", CompoundID: "west", GridID: "g1", Name: "西院"},
		domain.RegisterUnit{CommunityID: "hengyuan", CompoundID: "west", UnitID: "w-3-501", Label: "3号楼2单元501室", AreaDM2: 8800,
			Owners: []domain.Voter{{PersonID: "r1", Name: "王秀英"}}},
		domain.SubmitProposal{ProposalID: "p1", CommunityID: "hengyuan", GridID: "g1", Title: "车棚杂物", Text: "门口堆满纸箱，消防通道堵了",
			Category: "环境", Place: "西院车棚", Channel: domain.ChannelOnline, Author: domain.Party{Kind: domain.PartyPerson, ID: "r1", Name: "王秀英"}},
		domain.SupportProposal{ProposalID: "p1", PersonID: "r2", Name: "赵志强"},
	} {
		_, err := old.Execute(ctx, c, admin, ledger.Options{})
		require.NoError(t, err, "%T", c)
	}
	_, _, _, err = auth.Issue(ctx, old, admin, auth.IssueRequest{Role: auth.RoleResident, Scope: auth.Scope{Community: "hengyuan"}, Name: "老刘", Subject: "r3"}, time.Now())
	require.NoError(t, err)

	kd, err := privacy.OpenKeyDir(filepath.Join(dir, "keys"))
	require.NoError(t, err)
	sealed := ledger.New(store, ledger.WithSealer(privacy.NewSealer(kd)))
	_, err = sealed.Execute(ctx, domain.SubmitProposal{ProposalID: "p2", CommunityID: "hengyuan", GridID: "g1", Title: "路灯不亮", Text: "晚上看不见台阶",
		Category: "设施", Place: "北门", Channel: domain.ChannelOnline, Author: domain.Party{Kind: domain.PartyPerson, ID: "r2", Name: "赵志强"}}, admin, ledger.Options{})
	require.NoError(t, err)
	require.NoError(t, kd.Close())
	require.NoError(t, store.Close())
	_, _, err = serverKey(filepath.Join(dir, "seal"), "yishi")
	require.NoError(t, err)
}

// storedData returns every event's stored body in dir's store, in order.
func storedData(t *testing.T, dir string) ([]eventstore.Event, []byte) {
	t.Helper()
	store, err := pebble.Open(dir)
	require.NoError(t, err)
	defer store.Close()
	var evs []eventstore.Event
	var all bytes.Buffer
	for ev, err := range store.ReadAll(context.Background(), eventstore.ReadAllOptions{}) {
		require.NoError(t, err)
		evs = append(evs, ev)
		all.Write(ev.Data)
		all.WriteString(ev.Metadata.Actor)
	}
	return evs, all.Bytes()
}

// exportOf is a person's own data from the ledger in dir, opened with its
// keys, without the positions (which re-sealing shifts by its note).
func exportOf(t *testing.T, dir, person string) (ledger.PersonExport, string) {
	t.Helper()
	store, err := pebble.Open(dir)
	require.NoError(t, err)
	defer store.Close()
	kd, err := privacy.OpenKeyDir(filepath.Join(dir, "keys"))
	require.NoError(t, err)
	defer kd.Close()
	exp, err := ledger.New(store, ledger.WithSealer(privacy.NewSealer(kd))).ExportPerson(context.Background(), person)
	require.NoError(t, err)
	for i := range exp.Events {
		exp.Events[i].Position = 0
	}
	b, err := json.Marshal(exp.Events)
	require.NoError(t, err)
	return exp, string(b)
}

// TestResealMigratesPlaintext re-seals a ledger written before sealing:
// the target holds no personal data in plaintext, reads the same, keeps
// every event's id, stream, revision and recorded time, verifies, starts
// with a note signed by the server's key that names the source's
// checkpoint; and an erasure on the target now reaches the old data.
func TestResealMigratesPlaintext(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "resealed")
	plainLedger(t, src)
	before, raw := storedData(t, src)
	for _, s := range plaintextSecrets {
		require.Contains(t, string(raw), s, "the source must hold %q in plaintext for this test to mean anything", s)
	}

	out, err := runCLI(t, "reseal", "--from", src, "--to", dst)
	require.ErrorContains(t, err, "--reason is required", out)
	out, err = runCLI(t, "reseal", "--from", src, "--to", dst, "--reason", "旧账本个人信息明文存储，迁移加密")
	require.NoError(t, err, out)
	for _, want := range []string{"OK: 9 events in", "OK: the target holds the source's 8 events", "statement, both verified", "7 personal fields sealed in 4 events", "copied the server's key"} {
		require.Contains(t, out, want)
	}
	_, err = runCLI(t, "reseal", "--from", src, "--to", dst, "--reason", "again")
	require.ErrorContains(t, err, "already holds events", "a second run into the same target")

	after, raw := storedData(t, dst)
	for _, s := range plaintextSecrets {
		require.NotContains(t, string(raw), s, "the re-sealed ledger holds %q in plaintext", s)
	}
	require.Len(t, after, len(before)+1)
	require.Equal(t, "ledger.resealed.v1", after[0].Type)
	for i, want := range before {
		got := after[i+1]
		require.Equal(t, want.ID, got.ID)
		require.Equal(t, want.Stream, got.Stream)
		require.Equal(t, want.Revision, got.Revision)
		require.Equal(t, want.Type, got.Type)
		require.True(t, want.Recorded.Equal(got.Recorded), "recorded time of %s", want.ID)
		if want.Stream == "proposal-p2" {
			require.Equal(t, string(want.Data), string(got.Data), "a field sealed already is kept as it was")
		}
	}

	// The views read the same: each person's own data, opened, is equal.
	for _, person := range []string{"r1", "r2"} {
		_, a := exportOf(t, src, person)
		_, b := exportOf(t, dst, person)
		require.Equal(t, a, b, "%s's data reads otherwise after re-sealing", person)
	}
	exp, _ := exportOf(t, dst, "r1")
	require.NotEmpty(t, exp.Events)

	out, err = runCLI(t, "verify", "--store", dst, "--views")
	require.NoError(t, err, out)
	require.Contains(t, out, "OK: 9 events")
	require.Contains(t, out, "equal the views rebuilt from the log")

	require.Contains(t, out, "give --vkey")
	vkey := filepath.Join(src, "seal", "server.vkey")
	out, err = runCLI(t, "verify", "--store", dst, "--vkey", vkey)
	require.NoError(t, err, out)
	require.Contains(t, out, "OK: re-sealed on")
	require.Contains(t, out, "because: 旧账本个人信息明文存储，迁移加密")

	// The note verifies against the server's public key, and not against another.
	store, err := pebble.Open(dst)
	require.NoError(t, err)
	v, err := readVerifier(filepath.Join(src, "seal", "server.vkey"))
	require.NoError(t, err)
	d, err := openResealNote(context.Background(), store, v)
	require.NoError(t, err)
	require.Equal(t, int64(len(before)), d.Size)
	require.Contains(t, d.Statement, "reason 旧账本个人信息明文存储，迁移加密")
	_, other, err := note.GenerateKey(nil, "yishi")
	require.NoError(t, err)
	ov, err := note.NewVerifier(other)
	require.NoError(t, err)
	_, err = openResealNote(context.Background(), store, ov)
	require.Error(t, err, "the note verified against another key")
	require.NoError(t, store.Close())
	otherFile := filepath.Join(t.TempDir(), "other.vkey")
	require.NoError(t, os.WriteFile(otherFile, []byte(other+"\n"), 0o644))
	out, err = runCLI(t, "verify", "--store", dst, "--vkey", otherFile)
	require.Error(t, err, out)
	require.Contains(t, out, "FAILED")

	// Erasing her on the target now makes her old data unreadable.
	out, err = runCLI(t, "person", "erase", "--data", dst, "--person", "r1", "--reason", "本人申请删除")
	require.NoError(t, err, out)
	exp, text := exportOf(t, dst, "r1")
	require.True(t, exp.Erased)
	for _, s := range []string{"王秀英", "501室", "门口堆满纸箱", "西院车棚"} {
		require.NotContains(t, text, s)
	}
	require.Contains(t, text, privacy.ErasedName)
	_, other2 := exportOf(t, dst, "r2")
	require.Contains(t, other2, "赵志强", "erasing her took another person's data with it")
	out, err = runCLI(t, "verify", "--store", dst)
	require.NoError(t, err, out)
	require.True(t, strings.Contains(out, "OK: 10 events"), out)
}
