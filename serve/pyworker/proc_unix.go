//go:build unix

package pyworker

import (
	"os/exec"
	"syscall"
)

// isolate puts the worker in its own process group, so killing the group also ends any
// process the model started, and the terminal's Ctrl-C reaches only weir, which then
// closes the pool.
func isolate(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

// killTree kills the worker's process group.
func killTree(cmd *exec.Cmd) {
	if cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Process.Kill()
}
