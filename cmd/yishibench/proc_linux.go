package main

import (
	"os/exec"
	"syscall"
)

// own puts a child in a process group of its own (so that it and its own
// children can be signalled together) and has the kernel kill it if this
// process dies first, even by SIGKILL.
func own(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
