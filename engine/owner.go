package engine

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/weirhq/weir/store"
)

// SelfOwner returns the owner string of this process: "host:pid:start", where start is the
// process start time in clock ticks since boot (from /proc), so a reused pid is not
// mistaken for the owner.
func SelfOwner() string {
	host, _ := os.Hostname()
	pid := os.Getpid()
	return fmt.Sprintf("%s:%d:%d", host, pid, procStart(pid))
}

// procStart returns a process's start time in clock ticks since boot, 0 if unknown.
func procStart(pid int) uint64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	// The command name may hold spaces and parentheses: fields follow the last ")".
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	// After ")": state is field 3 of stat, starttime is field 22, so index 22-3 = 19.
	if len(f) < 20 {
		return 0
	}
	v, _ := strconv.ParseUint(f[19], 10, 64)
	return v
}

// procGroup returns a process's process group id, or -1.
func procGroup(pid int) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return -1
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 3 {
		return -1
	}
	g, err := strconv.Atoi(f[2])
	if err != nil {
		return -1
	}
	return g
}

// OwnerAlive reports whether the process named by an owner string ("host:pid:start", or an
// engine's "host:pid:start:instance") is alive: same host, the pid exists, and it started at
// the recorded time. An owner on another host is assumed alive: only its lease's expiry can
// tell (see the package store documentation).
func OwnerAlive(owner string) bool {
	host, pid, start, ok := parseOwner(owner)
	if !ok {
		return false
	}
	if self, _ := os.Hostname(); host != self {
		return true
	}
	return processAlive(pid, start)
}

// OwnerDead reports whether the owner is known to be dead: a process of this host that no
// longer exists (or whose pid was reused). A lease held by a dead owner may be taken over
// before it expires. An owner on another host, or one that cannot be parsed, is not known
// dead: its lease must expire first.
func OwnerDead(owner string) bool {
	host, pid, start, ok := parseOwner(owner)
	if !ok {
		return false
	}
	if self, _ := os.Hostname(); host != self {
		return false
	}
	return !processAlive(pid, start)
}

// parseOwner splits an owner string into its host, pid and process start time.
func parseOwner(owner string) (host string, pid int, start uint64, ok bool) {
	parts := strings.Split(owner, ":")
	if len(parts) != 3 && len(parts) != 4 {
		return "", 0, 0, false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil {
		return "", 0, 0, false
	}
	start, _ = strconv.ParseUint(parts[2], 10, 64)
	return parts[0], pid, start, true
}

// processAlive reports whether process pid of this host exists and started at start (0:
// unknown, not checked).
func processAlive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return true
	}
	if err := syscall.Kill(pid, 0); err != nil && err != syscall.EPERM {
		return false
	}
	return start == 0 || procStart(pid) == start
}

// orphanKey identifies the task instance a process runs, from its environment: the weir
// home that started it ($WEIR_HOME, absolute) and the instance's IDs. The home keeps the
// tries of another installation on the same host, which may have the same DAG, run and
// task IDs (scheduled run IDs are deterministic), out of reach.
type orphanKey struct {
	home, dagID, runID, taskID string
	mapIndex                   int
}

// scanOrphans reads, once, the WEIR_* environment of every process on this host and
// returns the process IDs by the task instance they run. Processes without $WEIR_HOME (or
// with a relative one) cannot be told apart by installation and are left out.
func scanOrphans() map[orphanKey][]int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	out := map[orphanKey][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err != nil || !bytes.Contains(env, []byte("WEIR_RUN_ID=")) {
			continue
		}
		var k orphanKey
		mapIndex := ""
		for _, kv := range bytes.Split(env, []byte{0}) {
			// The last value of a variable wins, as in the process's own getenv.
			switch {
			case bytes.HasPrefix(kv, []byte("WEIR_HOME=")):
				k.home = string(kv[len("WEIR_HOME="):])
			case bytes.HasPrefix(kv, []byte("WEIR_DAG_ID=")):
				k.dagID = string(kv[len("WEIR_DAG_ID="):])
			case bytes.HasPrefix(kv, []byte("WEIR_RUN_ID=")):
				k.runID = string(kv[len("WEIR_RUN_ID="):])
			case bytes.HasPrefix(kv, []byte("WEIR_TASK_ID=")):
				k.taskID = string(kv[len("WEIR_TASK_ID="):])
			case bytes.HasPrefix(kv, []byte("WEIR_MAP_INDEX=")):
				mapIndex = string(kv[len("WEIR_MAP_INDEX="):])
			}
		}
		mi, err := strconv.Atoi(mapIndex)
		if err != nil || !filepath.IsAbs(k.home) {
			continue
		}
		k.mapIndex = mi
		out[k] = append(out[k], pid)
	}
	return out
}

// killOrphans kills the process groups of the processes that run a given task instance of
// a given home (found by scanOrphans), so that a resumed run never has two executions of
// one instance at once, even when the dead owner had not yet recorded the task's PID. Only
// processes whose environment names this home and this instance are touched: never a
// process of another installation, nor whatever reused a recorded PID. It waits until they
// are gone and returns how many groups it killed.
func killOrphans(procs map[orphanKey][]int, k orphanKey) int {
	pids := procs[k]
	self := os.Getpid()
	killed := map[int]bool{}
	for _, pid := range pids {
		g := procGroup(pid)
		if g <= 1 || g == self || killed[g] {
			continue
		}
		if syscall.Kill(-g, syscall.SIGKILL) == nil {
			killed[g] = true
		}
	}
	waitGone(pids, 5*time.Second)
	return len(killed)
}

// waitGone waits until the processes have exited (or are zombies, whose files are closed),
// at most d.
func waitGone(pids []int, d time.Duration) {
	deadline := time.Now().Add(d)
	for _, pid := range pids {
		for time.Now().Before(deadline) {
			b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
			if err != nil {
				break
			}
			s := string(b)
			if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) && (s[i+2] == 'Z' || s[i+2] == 'X') {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

// KillOrphans kills, as Resume does for a dead owner's tries, the processes of this host
// still running the given task instances for weir home `home` (found by their environment;
// their process groups are killed and waited for), and returns how many groups it killed.
// Clear resets the instances of a run whose owner died without killing anything: its
// callers pass the instances that were running, after the clear committed and before the
// run is resumed (Resume only looks for the orphans of instances still running).
func KillOrphans(home string, keys []store.TIKey) int {
	if len(keys) == 0 {
		return 0
	}
	procs := scanOrphans()
	id := homeIdentity(home)
	n := 0
	for _, k := range keys {
		n += killOrphans(procs, orphanKey{home: id, dagID: k.DAGID, runID: k.RunID, taskID: k.TaskID, mapIndex: k.MapIndex})
	}
	return n
}
