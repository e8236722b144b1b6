package http

import (
	"fmt"
	nethttp "net/http"

	"github.com/labstack/echo/v4"
	"github.com/yishi-civic/yishi/eventstore"
)

// health is the body of /healthz and /readyz.
type health struct {
	Status string `json:"status"`
	// Position is the projections' position (readyz only).
	Position uint64 `json:"position,omitempty"`
	// Head is the newest event's position (readyz only).
	Head uint64 `json:"head,omitempty"`
}

// getHealthz says the process serves requests; it checks nothing else.
func (s *Server) getHealthz(c echo.Context) error {
	return c.JSON(nethttp.StatusOK, health{Status: "ok"})
}

// getReadyz says whether the service is ready for reads and writes: the
// store answers, its disk has room (a full disk is not ready, and the
// answer says so, although reads go on), and the projections have caught
// up with the log as it was when they started, and so has the Merkle tree
// the checkpoints are signed from.
func (s *Server) getReadyz(c echo.Context) error {
	head, err := s.headPosition(c.Request().Context())
	if err != nil {
		return err
	}
	if sp, ok := s.space(); ok && sp.Full {
		return refuse(kindUnavailable, text{
			fmt.Sprintf("磁盘已满：剩余 %d MiB，低于保留的 %d MiB；写入被拒绝，读取照常", sp.Free>>20, sp.Floor>>20),
			fmt.Sprintf("disk full: %d MiB free, below the %d MiB kept in reserve; writes are refused, reads work", sp.Free>>20, sp.Floor>>20),
		})
	}
	if s.cfg.Runner == nil || !s.cfg.Runner.Ready() {
		return notReady(text{"视图仍在追赶事件日志", "the views are still catching up with the log"})
	}
	if s.cfg.Seal != nil && !s.cfg.Seal.CaughtUp() {
		return notReady(text{"完整性校验树仍在追赶事件日志", "the integrity tree is still catching up with the log"})
	}
	if s.cfg.Seal != nil && s.cfg.Seal.Damaged() {
		return notReady(text{"保存的完整性校验树文件已损坏：请重启服务，它将重新计算整个事件日志", "the integrity tree's saved file is damaged: restart the server, which hashes the whole log again"})
	}
	return c.JSON(nethttp.StatusOK, health{Status: "ready", Position: uint64(s.cfg.Runner.Position()), Head: uint64(head)})
}

// space reports the store's disk when the store watches it.
func (s *Server) space() (eventstore.Space, bool) {
	sr, ok := s.cfg.Store.(eventstore.SpaceReporter)
	if !ok {
		return eventstore.Space{}, false
	}
	return sr.Space(), true
}

// refuseWhenDiskFull refuses a write that the store would refuse anyway,
// before it costs the disk anything (an upload).
func (s *Server) refuseWhenDiskFull() error {
	if sp, ok := s.space(); ok && sp.Full {
		return fmt.Errorf("http: %w", eventstore.ErrDiskFull)
	}
	return nil
}
