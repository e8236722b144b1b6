package http

import (
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/sumdb/note"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/seal"
)

// TestWitnessesSendTheirCosignaturesBack: an admin registers a witness's
// key; the witness cosigns the server's checkpoint and posts it; anyone
// lists the checkpoints with both signatures in one note. Bad keys, bad
// notes, unknown witnesses and other roles are refused, naming the field.
func TestWitnessesSendTheirCosignaturesBack(t *testing.T) {
	e := mustServe(t, withSeal(t))
	admin := e.token(auth.RoleAdmin, auth.Scope{}, "")
	for i := range 3 {
		e.record(t, "witness-test", "seal.tested.v1", fmt.Sprintf(`{"n":%d}`, i))
	}
	wkey, wvkey, err := note.GenerateKey(rand.Reader, "street-office")
	require.NoError(t, err)
	witness, err := note.NewSigner(wkey)
	require.NoError(t, err)
	server, err := note.NewVerifier(strings.TrimSpace(string(e.do(req{method: "GET", path: "/v1/checkpoint/key"}).want(t, 200).body)))
	require.NoError(t, err)
	msg := e.do(req{method: "GET", path: "/v1/checkpoint"}).want(t, 200).body
	cosigned, cp, err := seal.Cosign(msg, server, witness, nil, nil)
	require.NoError(t, err)
	post := func(body []byte) response {
		return e.do(req{method: "POST", path: "/v1/checkpoints/cosigned", body: body, header: map[string]string{"Content-Type": "text/plain; charset=utf-8"}})
	}

	p := post(cosigned).wantProblem(t, 422, "validation")
	assert.Equal(t, "checkpoint", p.Field)
	assert.Contains(t, p.Detail, "没有已登记的见证方")

	e.do(req{method: "PUT", path: "/v1/witnesses/street-office", token: e.token(auth.RoleAuditor, auth.Scope{}, ""), body: map[string]string{"key": wvkey}}).wantProblem(t, 403, "forbidden")
	_, other, err := note.GenerateKey(rand.Reader, "other")
	require.NoError(t, err)
	for _, bad := range []string{"", "street-office+00+bad", other} {
		p := e.do(req{method: "PUT", path: "/v1/witnesses/street-office", token: admin, body: map[string]string{"key": bad}}).wantProblem(t, 422, "validation")
		assert.Equal(t, "key", p.Field, bad)
	}
	e.do(req{method: "PUT", path: "/v1/witnesses/street-office", token: admin, body: map[string]string{"key": wvkey}}).want(t, 200)

	var kept struct {
		Size       int64    `json:"size"`
		CosignedBy []string `json:"cosigned_by"`
	}
	post(cosigned).want(t, 201).decode(t, &kept)
	assert.Equal(t, cp.Size, kept.Size)
	assert.Equal(t, []string{"street-office"}, kept.CosignedBy)

	p = post(msg).wantProblem(t, 422, "validation") // the server's own, cosigned by nobody
	assert.Equal(t, "checkpoint", p.Field)
	post([]byte("not a note")).wantProblem(t, 422, "validation")
	forged := append([]byte(nil), cosigned...)
	forged[len("yishi test\n")] = '9' // another size: no signature holds
	post(forged).wantProblem(t, 422, "validation")
	e.do(req{method: "POST", path: "/v1/checkpoints/cosigned", body: map[string]string{"note": string(cosigned)}}).wantProblem(t, 415, "unsupported-media-type")

	e.record(t, "witness-test", "seal.tested.v1", `{"n":9}`)
	var list CheckpointList
	e.do(req{method: "GET", path: "/v1/checkpoints"}).want(t, 200).decode(t, &list)
	require.Len(t, list.Items, 2, "the latest, not cosigned yet, and the cosigned one")
	assert.True(t, list.Items[0].Latest)
	assert.Empty(t, list.Items[0].CosignedBy)
	assert.Greater(t, list.Items[0].Size, cp.Size)
	it := list.Items[1]
	assert.Equal(t, CosignedCheckpoint{Size: cp.Size, Root: cp.Root, Head: uint64(cp.Head), MatchesLog: true, CosignedBy: []string{"street-office"}, Note: it.Note}, it)
	wv, err := note.NewVerifier(wvkey)
	require.NoError(t, err)
	n, err := note.Open([]byte(it.Note), note.VerifierList(server, wv))
	require.NoError(t, err)
	assert.Len(t, n.Sigs, 2, "the server's signature and the witness's")
	assert.Equal(t, []WitnessInfo{{Name: "street-office", Key: wvkey, LatestSize: cp.Size, LatestMatches: true}}, list.Witnesses)

	e.do(req{method: "GET", path: "/v1/checkpoints?limit=1"}).want(t, 200).decode(t, &list)
	require.Len(t, list.Items, 1)
	require.Equal(t, list.Items[0].Size, list.NextBefore)
	e.do(req{method: "GET", path: "/v1/checkpoints?before=" + strconv.FormatInt(list.NextBefore, 10)}).want(t, 200).decode(t, &list)
	require.Len(t, list.Items, 1)
	assert.Equal(t, cp.Size, list.Items[0].Size)
	e.do(req{method: "GET", path: "/v1/checkpoints?before=x"}).wantProblem(t, 400, "bad-request")
	var ws struct {
		Items []WitnessInfo `json:"items"`
	}
	e.do(req{method: "GET", path: "/v1/witnesses"}).want(t, 200).decode(t, &ws)
	assert.Len(t, ws.Items, 1)
}
