package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/yishi-civic/yishi/internal/hugeheap"
)

// moduleRoot is the directory of the go.mod in force (the repository's).
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("run yishibench inside the Yishi repository (no go.mod found)")
	}
	return filepath.Dir(mod), nil
}

// machine describes this machine and the code measured.
func machine(ctx context.Context, root string) Machine {
	m := Machine{Cores: runtime.NumCPU(), Load1: loadNow()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.CPUModel = cpuModel(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if f := strings.Fields(v); len(f) == 2 {
					kb, _ := strconv.ParseFloat(f[0], 64)
					m.MemTotalMiB = kb / 1024
				}
			}
		}
	}
	sys := os.DirFS("/sys")
	m.HugePages, m.IdlePageout = hugeheap.Mode(sys), idlePageout(sys)
	var u unix.Utsname
	if err := unix.Uname(&u); err == nil {
		m.Kernel = unix.ByteSliceToString(u.Sysname[:]) + " " + unix.ByteSliceToString(u.Release[:]) + " " + unix.ByteSliceToString(u.Machine[:])
	}
	if out, err := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output(); err == nil {
		m.GoVersion = strings.TrimSpace(string(out))
	}
	git := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = root
		return cmd.Output()
	}
	if out, err := git("rev-parse", "HEAD"); err == nil {
		m.Commit = strings.TrimSpace(string(out))
		if st, err := git("status", "--porcelain", "--untracked-files=no"); err == nil {
			m.Dirty = len(bytes.TrimSpace(st)) > 0
		}
	}
	return m
}

// loadNow is the 1-minute load average now, or -1 if it cannot be read.
func loadNow() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	v, err := load1(string(b))
	if err != nil {
		return -1
	}
	return v
}
