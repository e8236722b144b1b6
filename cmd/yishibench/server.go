package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// server is a running `yishi serve`.
type server struct {
	cmd  *exec.Cmd
	addr string
	log  string
	done chan struct{} // closed when the process has ended
	err  error         // its exit, once done is closed
}

func (s *server) pid() int { return s.cmd.Process.Pid }

// freeAddr finds a free loopback port.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("free port: %w", err)
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// startServer starts `yishi serve` on a data directory and returns once
// /readyz answers 200, with the time from the process's start. All the load
// comes from one loopback address, so neither the rate limit per token nor
// the connections per address apply (as behind a proxy).
func (b *bench) startServer(ctx context.Context, yishi, data, logName string) (*server, time.Duration, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, 0, err
	}
	path := filepath.Join(b.logs, logName+".log")
	f, err := os.Create(path)
	if err != nil {
		return nil, 0, fmt.Errorf("log: %w", err)
	}
	cmd := exec.Command(yishi, "serve", "--data", data, "--addr", addr, "--rate-limit", "1000000",
		"--max-conns-per-addr", "-1", "--log-level", "warn")
	cmd.Dir = b.root
	cmd.Stdout, cmd.Stderr = f, f
	if b.opt.memoryLimit != "" {
		// As yishi sets it itself from a container's memory limit.
		cmd.Env = append(os.Environ(), "GOMEMLIMIT="+b.opt.memoryLimit)
	}
	own(cmd)
	s := &server{cmd: cmd, addr: addr, log: path, done: make(chan struct{})}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("yishi serve: %w", err)
	}
	b.mu.Lock()
	if b.servers == nil {
		b.servers = map[*server]bool{}
	}
	b.servers[s] = true
	b.serverPID = cmd.Process.Pid
	b.mu.Unlock()
	go func() {
		s.err = cmd.Wait()
		f.Close()
		close(s.done)
	}()

	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, time.Since(start), nil
			}
		}
		select {
		case <-ctx.Done():
			return s, 0, ctx.Err()
		case <-s.done:
			return s, 0, fmt.Errorf("yishi serve ended before it was ready (%v); %s", s.err, logTail(path))
		case <-tick.C:
		}
	}
}

// stopServer stops a server with SIGTERM, which writes the views'
// snapshots, and waits for it; after 10 minutes it is killed.
func (b *bench) stopServer(s *server) error {
	b.mu.Lock()
	running := b.servers[s]
	delete(b.servers, s)
	b.mu.Unlock()
	if !running {
		return nil
	}
	_ = syscall.Kill(-s.pid(), syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Minute):
		_ = syscall.Kill(-s.pid(), syscall.SIGKILL)
		<-s.done
		return fmt.Errorf("yishi serve did not stop within 10 minutes of SIGTERM; killed")
	}
	if s.err != nil {
		return fmt.Errorf("yishi serve stopped with %v; %s", s.err, logTail(s.log))
	}
	return nil
}

// stopServers stops every server still running.
func (b *bench) stopServers() {
	b.mu.Lock()
	var all []*server
	for s := range b.servers {
		all = append(all, s)
	}
	b.mu.Unlock()
	for _, s := range all {
		_ = b.stopServer(s)
	}
}

// memory reads the server's VmRSS and VmHWM in MiB.
func (s *server) memory() (rss, hwm float64, err error) {
	st, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.pid()))
	if err != nil {
		return 0, 0, fmt.Errorf("server memory: %w", err)
	}
	return vmStatus(string(st))
}

// rssSampler follows a server's VmRSS every 100 ms.
type rssSampler struct {
	stopc chan struct{}
	wg    sync.WaitGroup
	peak  float64
	err   error
}

func (s *server) sampleRSS() *rssSampler {
	r := &rssSampler{stopc: make(chan struct{})}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			rss, _, err := s.memory()
			if err != nil {
				r.err = err
				return
			}
			r.peak = max(r.peak, rss)
			select {
			case <-r.stopc:
				return
			case <-t.C:
			}
		}
	}()
	return r
}

// untilExit waits for the sampling to end with the server's exit (the
// read that fails then is no error) and returns the peak VmRSS in MiB.
func (r *rssSampler) untilExit() (float64, error) {
	r.wg.Wait()
	if r.peak == 0 {
		return 0, errors.New("server memory: no sample")
	}
	return r.peak, nil
}

// stop ends the sampling and returns the peak VmRSS in MiB.
func (r *rssSampler) stop() (float64, error) {
	close(r.stopc)
	r.wg.Wait()
	if r.err != nil {
		return 0, r.err
	}
	if r.peak == 0 {
		return 0, errors.New("server memory: no sample")
	}
	return r.peak, nil
}
