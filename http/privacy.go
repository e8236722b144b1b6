package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	nethttp "net/http"

	"github.com/labstack/echo/v4"

	"github.com/yishi-civic/yishi/auth"
	"github.com/yishi-civic/yishi/domain"
	"github.com/yishi-civic/yishi/eventstore"
	"github.com/yishi-civic/yishi/ledger"
	"github.com/yishi-civic/yishi/privacy"
)

// openedData is ev's body with its sealed personal fields opened (or read
// as erased), so that the feed's reader policy masks what the views show
// and no reader ever gets ciphertext.
func (s *Server) openedData(ctx context.Context, ev eventstore.Event) (json.RawMessage, error) {
	sealer := s.cfg.Ledger.Sealer()
	if sealer == nil || !privacy.MaySeal(ev.Data) {
		return ev.Data, nil
	}
	var e domain.Event
	if ev.Type == auth.TypeIssued {
		var is auth.Issued
		if err := json.Unmarshal(ev.Data, &is); err != nil {
			return nil, fmt.Errorf("feed: decode %s: %w", ev.Type, err)
		}
		if err := sealer.OpenInPlace(ctx, &is); err != nil {
			return nil, fmt.Errorf("feed: %w", err)
		}
		e = is
	} else {
		d, err := domain.Decode(ev.Type, ev.Data)
		if err != nil {
			return nil, fmt.Errorf("feed: decode %s: %w", ev.Type, err)
		}
		if e, err = sealer.Open(ctx, d); err != nil {
			return nil, fmt.Errorf("feed: %w", err)
		}
	}
	data, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("feed: encode %s: %w", ev.Type, err)
	}
	return data, nil
}

// erasureRequest is the body of POST /v1/persons/{person}/erasure.
type erasureRequest struct {
	Ground string `json:"ground"`
	Reason string `json:"reason"`
}

// postErasure erases a person's data (PIPL art. 47): it records the
// erasure, destroys the person's key and revokes the person's tokens, so
// that when it answers no view, feed or export shows the data any more
// (the views keep it sealed, and what opens it is the key just destroyed)
// and nothing acts as the person. Admins without a community scope only: a
// person is not bound to one community.
func (s *Server) postErasure(c echo.Context) error {
	p := principalOf(c)
	if p.token.Scope.Community != "" {
		return refuse(kindForbidden, text{"只有不限社区的管理员可以删除个人信息", "only an admin without a community scope may erase a person's data"})
	}
	person, err := pathSlug(c, "person")
	if err != nil {
		return err
	}
	var r erasureRequest
	if err := decodeJSON(c, &r); err != nil {
		return err
	}
	cmd := domain.EraseData{Subject: domain.ErasePerson, ID: person, Ground: r.Ground, Reason: r.Reason, By: p.token.Actor()}
	opts, err := writeOptions(c, p, cmd)
	if err != nil {
		return err
	}
	actor := ledger.Actor{ID: p.token.Actor(), Role: string(p.token.Role)}
	res, err := s.cfg.Ledger.Erase(c.Request().Context(), cmd, actor, opts)
	if errors.Is(err, ledger.ErrNoSealer) {
		return refuse(kindUnavailable, text{"本服务未配置密钥库，无法删除", "this service keeps no key store; nothing can be erased"})
	}
	if err != nil {
		return err
	}
	out := WriteResult{Stream: res.Stream, Revision: res.Revision, Position: uint64(res.Position), Replayed: res.Replayed}
	// The registry folds the erasure, which revokes the person's tokens
	// (and so the sessions and streams that stand on them) before the
	// answer says it is done.
	if err := s.tokens.Sync(context.WithoutCancel(c.Request().Context())); err != nil {
		return fmt.Errorf("erasure: revoke the person's tokens: %w", err)
	}
	s.log.Info("person erased", "person", person, "ground", r.Ground, "by", actor.ID, "position", res.Position)
	return c.JSON(nethttp.StatusOK, out)
}

// getPersonExport answers a person's own data (PIPL art. 45) to an admin
// without a community scope, who hands it over.
func (s *Server) getPersonExport(c echo.Context) error {
	if principalOf(c).token.Scope.Community != "" {
		return refuse(kindForbidden, text{"只有不限社区的管理员可以导出他人的个人信息", "only an admin without a community scope may export a person's data"})
	}
	person, err := pathSlug(c, "person")
	if err != nil {
		return err
	}
	return s.exportPerson(c, person)
}

// getOwnExport answers the data of the person the token acts as (PIPL
// art. 45): every resident can read what the ledger holds about them.
func (s *Server) getOwnExport(c echo.Context) error {
	return s.exportPerson(c, principalOf(c).token.Actor())
}

func (s *Server) exportPerson(c echo.Context, person string) error {
	exp, err := s.cfg.Ledger.ExportPerson(c.Request().Context(), person)
	if errors.Is(err, ledger.ErrNoSealer) {
		return refuse(kindUnavailable, text{"本服务未配置密钥库", "this service keeps no key store"})
	}
	if err != nil {
		return err
	}
	// A person's own data, whole, but never a receipt of a secret ballot.
	r := readerOf(c)
	for i, ev := range exp.Events {
		a, err := s.place(c.Request().Context(), ev.Stream)
		if err != nil {
			return err
		}
		if exp.Events[i].Data, err = r.BallotData(ev.Type, ev.Data, a.community, a.grid); err != nil {
			return err
		}
	}
	return c.JSON(nethttp.StatusOK, exp)
}

// followErasures applies the erasures that other processes sharing the log
// record (another replica, the command line; ledger.FollowErasures): each
// destroys the key in this process's key store and caches, so that a
// replica stops showing an erased person's data once it has met the
// erasure, as the one that recorded it does. The views need no rebuild:
// they keep personal data sealed.
func (s *Server) followErasures(ctx context.Context) error {
	return s.cfg.Ledger.FollowErasures(ctx, func(d domain.DataErased, pos eventstore.Position) {
		s.log.Info("erasure followed", "subject", d.Subject, "id", d.ID, "position", pos)
	})
}
