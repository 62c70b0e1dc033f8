package engine

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// tmpPrefix starts the name of an engine's folder for the files of its tries:
// HOME/tmp/engine-PID-START-HOST-RANDOM, where START is the process's start time
// (procStart) and HOST a hash of the host name, so that a later engine on the same host can
// tell whether the process that made it is gone (a home shared between hosts or containers
// keeps the folders of the others).
const tmpPrefix = "engine-"

// hostTag returns the hash of this host's name that temporary folder names carry.
func hostTag() string {
	h := fnv.New32a()
	name, _ := os.Hostname()
	h.Write([]byte(name))
	return fmt.Sprintf("%08x", h.Sum32())
}

// makeTempDir creates this process's folder for try files under HOME/tmp.
func makeTempDir(home string) (string, error) {
	root := filepath.Join(home, "tmp")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("create the temporary folder %s: %w", root, err)
	}
	pid := os.Getpid()
	dir, err := os.MkdirTemp(root, fmt.Sprintf("%s%d-%d-%s-", tmpPrefix, pid, procStart(pid), hostTag()))
	if err != nil {
		return "", fmt.Errorf("create a temporary folder in %s: %w", root, err)
	}
	return dir, nil
}

// removeDeadTempDirs removes the try-file folders of this home that belong to processes
// that are gone (an engine killed by SIGKILL cannot remove its own). Folders of live
// processes, this one included, and anything else in HOME/tmp are left alone.
func (e *Engine) removeDeadTempDirs() {
	removed, err := removeDeadTempDirs(e.cfg.Home)
	if err != nil {
		e.cfg.Logger.Warn("remove the temporary folders of dead processes", "err", err)
	}
	if len(removed) > 0 {
		e.cfg.Logger.Info("removed the temporary folders of dead processes", "folders", removed)
	}
}

// removeDeadTempDirs removes the HOME/tmp/engine-PID-START-HOST-* folders of this host
// whose process is gone and returns their names.
func removeDeadTempDirs(home string) ([]string, error) {
	root := filepath.Join(home, "tmp")
	entries, err := os.ReadDir(root)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	host := hostTag()
	var removed []string
	var errs []error
	for _, ent := range entries {
		pid, start, h, ok := parseTempDirName(ent.Name())
		if !ok || h != host || !ent.IsDir() || processAlive(pid, start) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(root, ent.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, ent.Name())
	}
	if len(errs) > 0 {
		return removed, fmt.Errorf("%d folders in %s: %v", len(errs), root, errs[0])
	}
	return removed, nil
}

// parseTempDirName returns the PID, start time and host tag in an
// engine-PID-START-HOST-RANDOM name.
func parseTempDirName(name string) (pid int, start uint64, host string, ok bool) {
	rest, ok := strings.CutPrefix(name, tmpPrefix)
	if !ok {
		return 0, 0, "", false
	}
	f := strings.SplitN(rest, "-", 4)
	if len(f) != 4 {
		return 0, 0, "", false
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 0 {
		return 0, 0, "", false
	}
	start, err = strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0, 0, "", false
	}
	return pid, start, f[2], true
}

// homeIdentity returns the absolute path of home with symbolic links resolved (those of its
// parent when home does not exist yet, so the result does not depend on whether it does):
// the value of $WEIR_HOME in command tasks, by which orphans are matched.
func homeIdentity(home string) string {
	abs, err := filepath.Abs(home)
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real
	}
	if parent, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(parent, filepath.Base(abs))
	}
	return abs
}
