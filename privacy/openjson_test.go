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
	return view{Name: d.Author.Name, PersonName: d.Author.Name, Compact: d.Author.Name, Author: d.Author.Name,
		Text: d.Text, Photos: d.Photos, Title: d.Title, Quoted: fmt.Sprintf("she wrote %q", d.Author.Name)}
}

func TestOpenJSON(t *testing.T) {
	s := privacy.NewSealer(privacy.NewMemoryKeys())
	zhang := domain.Party{Kind: domain.PartyPerson, ID: "zhang", Name: "张三"}
	// Plaintext that JSON must escape, so that the replacement is encoded.
	v := sealedView(t, s, zhang, "He said \"<clear it>\"\nnow")
	require.True(t, privacy.IsSealed(v.Name))
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
	for _, doc := range []string{`{"name":"张三"}`, `[]`, `"sealed:v9"`, `{"a":"x\"sealed:v2:AA:person%2Fz\""}`} {
		got, err := s.OpenJSON(ctx, []byte(doc))
		require.NoError(t, err)
		require.Equal(t, doc, string(got), doc)
	}
	// A malformed sealed value reads as erased, never as an error.
	got, err := s.OpenJSON(ctx, []byte(`{"name":"sealed:v2:!!:person%2Fz","x":["sealed:v2:"]}`))
	require.NoError(t, err)
	require.JSONEq(t, fmt.Sprintf(`{"name":%q,"x":[%q]}`, privacy.ErasedName, privacy.ErasedText), string(got))
}
