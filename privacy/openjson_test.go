package privacy_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/privacy"
)

// view is an answer built from a sealed event as the views keep it: the
// personal fields still sealed, under keys of every shape OpenJSON meets.
type view struct {
	Name       string   `json:"name"`
	PersonName string   `json:"person_name"`
	Compact    string   `json:"pn"`
	Author     string   `json:"author"`
	Text       string   `json:"text"`
	Photos     []string `json:"photos"`
	Title      string   `json:"title"`
	Quoted     string   `json:"quoted"`
}

func sealedView(t *testing.T, s *privacy.Sealer, author domain.Party, text string) view {
	t.Helper()
	e := submitted()
	e.Author, e.Text = author, text
	out, err := s.Seal(ctx, "proposal-p1", []domain.Event{e})
	require.NoError(t, err)
	d := out[0].(domain.ProposalSubmitted)
	// As the projections' decoder hands it to the views: held.
	require.NoError(t, privacy.MarkInPlace(&d))
	return view{Name: d.Author.Name, PersonName: d.Author.Name, Compact: d.Author.Name, Author: d.Author.Name,
		Text: d.Text, Photos: d.Photos, Title: d.Title, Quoted: fmt.Sprintf("she wrote %q", d.Author.Name)}
}

func TestOpenJSON(t *testing.T) {
	s := privacy.NewSealer(privacy.NewMemoryKeys())
	zhang := domain.Party{Kind: domain.PartyPerson, ID: "zhang", Name: "张三"}
	// Plaintext that JSON must escape, so that the replacement is encoded.
	v := sealedView(t, s, zhang, "He said \"<clear it>\"\nnow")
	require.True(t, privacy.IsSealed(v.Name[len(privacy.Held):]))
	b, err := json.MarshalIndent(v, "", "  ")
	require.NoError(t, err)

	got, err := s.OpenJSON(ctx, b)
	require.NoError(t, err)
	var back view
	require.NoError(t, json.Unmarshal(got, &back))
	require.Equal(t, "张三", back.Name)
	require.Equal(t, "张三", back.PersonName)
	require.Equal(t, "张三", back.Compact)
	require.Equal(t, "He said \"<clear it>\"\nnow", back.Text)
	require.Equal(t, []string{"sha-a", "sha-b"}, back.Photos)
	require.Equal(t, "停车棚夹道乱堆乱放", back.Title)
	require.Contains(t, back.Quoted, "sealed:v2:", "a sealed value quoted inside text is text: left as it is")
	require.Equal(t, v.Title, back.Title)
	require.NotContains(t, string(b), "张三", "b is not changed")

	// After the erasure: the markers, chosen by key.
	require.NoError(t, s.Erase(ctx, time.Now(), privacy.PersonKey("zhang")))
	for _, r := range []*privacy.Sealer{s, privacy.NewSealer(s.Keys())} {
		got, err = r.OpenJSON(ctx, b)
		require.NoError(t, err)
		require.NotContains(t, string(got), "张三")
		require.NoError(t, json.Unmarshal(got, &back))
		require.Equal(t, privacy.ErasedName, back.Name)
		require.Equal(t, privacy.ErasedName, back.PersonName)
		require.Equal(t, privacy.ErasedName, back.Compact)
		require.Equal(t, privacy.ErasedName, back.Author)
		require.Equal(t, privacy.ErasedText, back.Text)
		require.Equal(t, []string{privacy.ErasedText, privacy.ErasedText}, back.Photos)
	}
}

func TestOpenJSONLeavesPlainDocuments(t *testing.T) {
	s := privacy.NewSealer(privacy.NewMemoryKeys())
	for _, doc := range []string{`{"name":"张三"}`, `[]`, `"\u0000sealed:v9"`, `{"a":"x\"\u0000sealed:v2:AA:person%2Fz\""}`} {
		got, err := s.OpenJSON(ctx, []byte(doc))
		require.NoError(t, err)
		require.Equal(t, doc, string(got), doc)
	}
	// A malformed held value reads as erased, never as an error.
	got, err := s.OpenJSON(ctx, []byte(`{"name":"\u0000sealed:v2:!!:person%2Fz","x":["\u0000sealed:v2:"]}`))
	require.NoError(t, err)
	require.JSONEq(t, fmt.Sprintf(`{"name":%q,"x":[%q]}`, privacy.ErasedName, privacy.ErasedText), string(got))
}

// TestOpenJSONOpensOnlyHeldValues: a resident who pastes someone's stored
// ciphertext into a title (a field the events' tags do not mark personal)
// must not have the server open it for every reader; only what the
// projections' decoder marked held is opened.
func TestOpenJSONOpensOnlyHeldValues(t *testing.T) {
	s := privacy.NewSealer(privacy.NewMemoryKeys())
	zhang := domain.Party{Kind: domain.PartyPerson, ID: "zhang", Name: "张三"}
	e := submitted()
	e.Author = zhang
	out, err := s.Seal(ctx, "proposal-p1", []domain.Event{e})
	require.NoError(t, err)
	stolen := out[0].(domain.ProposalSubmitted).Author.Name
	pasted := submitted()
	pasted.Author, pasted.Title = domain.Party{Kind: domain.PartyPerson, ID: "li", Name: "李四"}, stolen
	out, err = s.Seal(ctx, "proposal-p2", []domain.Event{pasted})
	require.NoError(t, err)
	d := out[0].(domain.ProposalSubmitted)
	require.NoError(t, privacy.MarkInPlace(&d))
	require.Equal(t, stolen, d.Title, "a title is not personal: not marked")
	b, err := json.Marshal(d)
	require.NoError(t, err)
	got, err := s.OpenJSON(ctx, b)
	require.NoError(t, err)
	require.NotContains(t, string(got), "张三")
	require.Contains(t, string(got), "李四", "the author's own name, held, is opened")
}

// TestMissingKeyIsNotRemembered: reading a value under a key the store
// does not hold (an imported ledger's, a forged one) reads as erased, and
// does not make the person's next data be stored as erased once Seal
// creates their key.
func TestMissingKeyIsNotRemembered(t *testing.T) {
	keys := privacy.NewMemoryKeys()
	other := privacy.NewSealer(privacy.NewMemoryKeys()) // another ledger's keys
	e := submitted()
	e.Author = domain.Party{Kind: domain.PartyPerson, ID: "v9", Name: "赵六"}
	foreign, err := other.Seal(ctx, "proposal-p9", []domain.Event{e})
	require.NoError(t, err)
	held := foreign[0].(domain.ProposalSubmitted)
	require.NoError(t, privacy.MarkInPlace(&held))
	b, err := json.Marshal(view{Name: held.Author.Name, Text: held.Text})
	require.NoError(t, err)

	s := privacy.NewSealer(keys)
	got, err := s.OpenJSON(ctx, b)
	require.NoError(t, err)
	require.Contains(t, string(got), privacy.ErasedName, "a missing key reads as erased")

	mine, err := s.Seal(ctx, "proposal-p10", []domain.Event{e})
	require.NoError(t, err)
	opened, err := s.Open(ctx, stored(t, mine[0]))
	require.NoError(t, err)
	require.Equal(t, "赵六", opened.(domain.ProposalSubmitted).Author.Name, "sealed under the key Seal created, not as erased")
	require.Equal(t, e.Text, opened.(domain.ProposalSubmitted).Text)
}
