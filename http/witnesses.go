package http

import (
	"errors"
	"fmt"
	"io"
	"mime"
	nethttp "net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/yishi-civic/yishi/seal"
)

// Witnesses (docs/audit.md, "Witnesses"): an admin registers a witness's
// verifier key; the witness (yishi seal cosign) sends back each checkpoint
// it cosigned, which the server checks and keeps; anyone lists the
// checkpoints with their cosignatures.

// WitnessInfo is a registered witness in GET /v1/checkpoints and
// GET /v1/witnesses: its name and verifier key, the size of the newest
// checkpoint it cosigned (0 for none yet) and whether that checkpoint
// still matches the log.
type WitnessInfo struct {
	Name          string `json:"name"`
	Key           string `json:"key"`
	LatestSize    int64  `json:"latest_size"`
	LatestMatches bool   `json:"latest_matches_log"`
}

// CosignedCheckpoint is a checkpoint in GET /v1/checkpoints: its size,
// root and head position; Note is the checkpoint with the server's
// signature and every kept witness's (one sumdb note, which
// note.Open checks with any of the keys); CosignedBy names those
// witnesses. MatchesLog is false when the server's log, as it is now, no
// longer has that root at that size: the history was rewritten after the
// witnesses signed (a fork). Latest marks the server's newest checkpoint,
// listed first even before any witness cosigned it.
type CosignedCheckpoint struct {
	Size       int64     `json:"size"`
	Root       tlog.Hash `json:"root"`
	Head       uint64    `json:"head"`
	Latest     bool      `json:"latest"`
	MatchesLog bool      `json:"matches_log"`
	CosignedBy []string  `json:"cosigned_by"`
	Note       string    `json:"note"`
}

// CheckpointList is the answer of GET /v1/checkpoints: the registered
// witnesses, and checkpoints newest first. NextBefore, when set, is the
// "before" of the next page.
type CheckpointList struct {
	Witnesses  []WitnessInfo        `json:"witnesses"`
	Items      []CosignedCheckpoint `json:"items"`
	NextBefore int64                `json:"next_before,omitempty"`
}

// witnessesReady refuses when the server keeps no witnesses.
func (s *Server) witnessesReady() error {
	if s.cfg.Witnesses == nil || s.cfg.Seal == nil || s.cfg.VerifierKey == "" {
		return refuse(kindUnavailable, text{"本服务未配置见证方", "this server keeps no witnesses"})
	}
	return nil
}

// serverVerifier is the verifier of the server's own checkpoints.
func (s *Server) serverVerifier() (note.Verifier, error) {
	v, err := note.NewVerifier(s.cfg.VerifierKey)
	if err != nil {
		return nil, fmt.Errorf("the server's verifier key: %w", err)
	}
	return v, nil
}

// putWitnessRequest is the body of PUT /v1/witnesses/{witness}.
type putWitnessRequest struct {
	Key string `json:"key"`
}

// putWitness registers (or replaces) a witness's verifier key: admins
// without a community scope (the witnesses watch the whole log).
func (s *Server) putWitness(c echo.Context) error {
	if principalOf(c).token.Scope.Community != "" {
		return refuse(kindForbidden, text{"只有不限社区的管理员可以登记见证方", "only an admin without a community scope may register a witness"})
	}
	if err := s.witnessesReady(); err != nil {
		return err
	}
	var body putWitnessRequest
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	name := c.Param("witness")
	if err := s.cfg.Witnesses.Register(name, body.Key); err != nil {
		return fieldErr(kindValidation, "key", text{"不是这个见证方的验证密钥（yishi seal keygen 生成）：" + err.Error(), "not this witness's verifier key (yishi seal keygen makes one): " + err.Error()})
	}
	s.log.Info("witness registered", "witness", name, "by", principalOf(c).token.ID)
	return c.JSON(nethttp.StatusOK, WitnessInfo{Name: name, Key: strings.TrimSpace(body.Key)})
}

// witnessInfos lists the registered witnesses with their newest
// cosigned checkpoint.
func (s *Server) witnessInfos(server note.Verifier) ([]WitnessInfo, error) {
	out := []WitnessInfo{}
	for _, w := range s.cfg.Witnesses.List() {
		info := WitnessInfo{Name: w.Name, Key: w.Key}
		if len(w.Sizes) > 0 {
			info.LatestSize = w.Sizes[0]
			msg, ok, err := s.cfg.Witnesses.Note(w.Name, w.Sizes[0])
			if err != nil {
				return nil, err
			}
			if ok {
				if c, err := seal.Open(msg, server); err == nil {
					if info.LatestMatches, err = s.cfg.Seal.Matches(c); err != nil {
						return nil, err
					}
				}
			}
		}
		out = append(out, info)
	}
	return out, nil
}

// getWitnesses lists the registered witnesses: anyone.
func (s *Server) getWitnesses(c echo.Context) error {
	if err := s.witnessesReady(); err != nil {
		return err
	}
	server, err := s.serverVerifier()
	if err != nil {
		return err
	}
	infos, err := s.witnessInfos(server)
	if err != nil {
		return err
	}
	return c.JSON(nethttp.StatusOK, map[string]any{"items": infos})
}

// maxNote bounds a cosigned checkpoint's body.
const maxNote = 16 << 10

// postCosigned keeps a checkpoint a registered witness cosigned. Its
// signatures authenticate it, so it needs no token: the server's own,
// and at least one registered witness's. It must be a checkpoint of the
// log as it is now (409 otherwise: the witness saw another history).
func (s *Server) postCosigned(c echo.Context) error {
	if err := s.witnessesReady(); err != nil {
		return err
	}
	if mt, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType)); err != nil || mt != echo.MIMETextPlain {
		return refuse(kindUnsupportedMedia, text{"请求体必须是 text/plain 的检查点", "the body must be a checkpoint as text/plain"})
	}
	msg, err := io.ReadAll(io.LimitReader(c.Request().Body, maxNote+1))
	if err != nil {
		return refuse(kindBadRequest, text{"读取请求体失败", "the body could not be read"})
	}
	if len(msg) > maxNote {
		return refuse(kindTooLarge, text{fmt.Sprintf("请求体超过 %d 字节", maxNote), fmt.Sprintf("the body exceeds %d bytes", maxNote)})
	}
	server, err := s.serverVerifier()
	if err != nil {
		return err
	}
	cp, err := seal.Open(msg, server)
	if err != nil {
		return fieldErr(kindValidation, "checkpoint", text{"不是本服务器签名的检查点：" + err.Error(), "not a checkpoint signed by this server: " + err.Error()})
	}
	if cp.Origin != s.cfg.Origin {
		return fieldErr(kindValidation, "checkpoint", text{fmt.Sprintf("检查点属于 %q，不是 %q", cp.Origin, s.cfg.Origin), fmt.Sprintf("the checkpoint is of %q, not %q", cp.Origin, s.cfg.Origin)})
	}
	ok, err := s.cfg.Seal.Matches(cp)
	if err != nil {
		return err
	}
	if !ok {
		s.log.Warn("a witness sent a checkpoint the log no longer matches", "size", cp.Size, "root", cp.Root.String())
		return refuse(kindConflict, text{
			fmt.Sprintf("账本现在的前 %d 个事件与这个检查点不符：历史被改写过", cp.Size),
			fmt.Sprintf("the log's first %d events, as they are now, do not match this checkpoint: the history was rewritten", cp.Size)})
	}
	_, names, err := s.cfg.Witnesses.Accept(msg, server)
	if errors.Is(err, seal.ErrUnknownWitness) {
		return fieldErr(kindValidation, "checkpoint", text{"没有已登记的见证方签名（请管理员先登记见证方的验证密钥）", "no registered witness signed it (an admin registers the witness's verifier key first)"})
	}
	if err != nil {
		return err
	}
	s.log.Info("cosigned checkpoint kept", "size", cp.Size, "witnesses", strings.Join(names, ","))
	return c.JSON(nethttp.StatusCreated, map[string]any{"size": cp.Size, "cosigned_by": names})
}

// getCheckpoints lists the server's latest checkpoint and the checkpoints
// witnesses cosigned, newest first, each with its cosignatures merged into
// one note: anyone.
func (s *Server) getCheckpoints(c echo.Context) error {
	if err := s.witnessesReady(); err != nil {
		return err
	}
	limit, err := queryInt(c, "limit")
	if err != nil {
		return err
	}
	if limit <= 0 || limit > 100 {
		limit = 20
	}
	var before int64
	if v := c.QueryParam("before"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before < 1 {
			return fieldErr(kindBadRequest, "before", text{"应为检查点的事件数（正整数）", "want a checkpoint's number of events (a positive integer)"})
		}
	}
	server, err := s.serverVerifier()
	if err != nil {
		return err
	}
	latestMsg, latest, err := s.latestCheckpoint()
	if err != nil {
		return err
	}
	out := CheckpointList{Items: []CosignedCheckpoint{}}
	if out.Witnesses, err = s.witnessInfos(server); err != nil {
		return err
	}
	bySize := map[int64][]string{} // size → witnesses that cosigned it
	for _, w := range s.cfg.Witnesses.List() {
		for _, size := range w.Sizes {
			bySize[size] = append(bySize[size], w.Name)
		}
	}
	if _, ok := bySize[latest.Size]; !ok {
		bySize[latest.Size] = nil
	}
	sizes := make([]int64, 0, len(bySize))
	for size := range bySize {
		if before == 0 || size < before {
			sizes = append(sizes, size)
		}
	}
	slices.Sort(sizes)
	slices.Reverse(sizes)
	if len(sizes) > limit {
		out.NextBefore = sizes[limit-1]
		sizes = sizes[:limit]
	}
	for _, size := range sizes {
		item, err := s.cosignedCheckpoint(server, size, bySize[size], latest, latestMsg)
		if err != nil {
			return err
		}
		out.Items = append(out.Items, item)
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.JSON(nethttp.StatusOK, out)
}

// cosignedCheckpoint merges the notes the witnesses kept for the
// checkpoint of size events (the latest one's own when none did).
func (s *Server) cosignedCheckpoint(server note.Verifier, size int64, witnesses []string, latest seal.Checkpoint, latestMsg []byte) (CosignedCheckpoint, error) {
	var text string
	var cp seal.Checkpoint
	sigs := []string{}
	seen := map[string]bool{}
	add := func(msg []byte, known ...note.Verifier) error {
		c, n, err := seal.OpenNote(msg, server, known...)
		if err != nil {
			return err
		}
		text, cp = n.Text, c
		for _, sig := range n.Sigs {
			line := "— " + sig.Name + " " + sig.Base64 + "\n"
			if !seen[line] {
				seen[line] = true
				sigs = append(sigs, line)
			}
		}
		return nil
	}
	item := CosignedCheckpoint{Size: size, Latest: size == latest.Size, CosignedBy: []string{}}
	keys := map[string]string{}
	for _, w := range s.cfg.Witnesses.List() {
		keys[w.Name] = w.Key
	}
	for _, name := range witnesses {
		msg, ok, err := s.cfg.Witnesses.Note(name, size)
		if err != nil {
			return item, err
		}
		v, verr := note.NewVerifier(keys[name])
		if !ok || verr != nil {
			continue
		}
		if err := add(msg, v); err != nil {
			continue // kept before the witness's key was replaced
		}
		item.CosignedBy = append(item.CosignedBy, name)
	}
	if text == "" || (item.Latest && cp.Root != latest.Root) {
		if !item.Latest {
			return item, fmt.Errorf("no readable cosigned checkpoint of %d events", size)
		}
		sigs, seen, item.CosignedBy = []string{}, map[string]bool{}, []string{}
		if err := add(latestMsg); err != nil {
			return item, err
		}
	}
	item.Root, item.Head, item.Note = cp.Root, uint64(cp.Head), text+"\n"+strings.Join(sigs, "")
	matches, err := s.cfg.Seal.Matches(cp)
	if err != nil {
		return item, err
	}
	item.MatchesLog = matches
	return item, nil
}
