// Package procattach reads what a running tbot was started with: its
// arguments, its environment and its working directory, and where to run
// its very binary, from Linux's /proc. It lets `report --pid` (a systemd
// unit's ExecStartPost= with $MAINPID) derive the event of a tbot that is
// already running, without being told its arguments.
//
// Under systemd's Type=simple, ExecStartPost= may run before the main
// process has exec'd tbot: the process is then still the forking service
// manager (systemd, or systemd-executor). Attach waits until the process is
// tbot, which it decides by name alone (IsTbot): it never runs an unknown
// binary to find out.
package procattach

import (
	"errors"
	"path/filepath"
	"strings"
)

// The ways attaching fails. Their messages name no process, path or user.
var (
	// ErrNotFound: there is no such process, it has ended, or /proc hides
	// it (hidepid=invisible shows another user's processes to no one).
	ErrNotFound = errors.New("no such process (it has ended, or /proc hides it)")
	// ErrPermission: the process is another user's, or /proc is mounted
	// with hidepid=noaccess.
	ErrPermission = errors.New("not permitted to read the process (another user's, or /proc mounted with hidepid)")
	// ErrNotTbot: the process did not become tbot before the deadline.
	ErrNotTbot = errors.New("the process is not tbot")
	// ErrUnsupported: this platform has no /proc to read processes from.
	ErrUnsupported = errors.New("reading a running process needs Linux's /proc")
)

// Process is what a running tbot was started with.
type Process struct {
	// Argv is its command line, argv[0] first.
	Argv []string
	// Environ is the environment it was started with, in order, a name
	// given twice included: Getenv reads it as the process itself does.
	Environ []string
	// Exe runs the binary the process runs, even where the file has since
	// been replaced or removed (an upgrade): it is /proc/PID/exe.
	Exe string
	// Dir is its working directory as /proc/PID/cwd, which a chdir
	// follows to the directory itself (even one in another mount
	// namespace, or removed since).
	Dir string
}

// Env is the process's environment as Go's os.Getenv, and so tbot, reads
// it: the first entry of a repeated name wins (see Getenv).
func (p *Process) Env() map[string]string {
	env := make(map[string]string, len(p.Environ))
	for _, kv := range p.Environ {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			continue
		}
		if _, seen := env[k]; !seen {
			env[k] = v
		}
	}
	return env
}

// Getenv looks key up in environ as a Go program's os.Getenv does in the
// process that was started with environ: the first "key=" entry wins, and
// entries without "=" are skipped (Go's syscall.copyenv).
func Getenv(environ []string, key string) (string, bool) {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			return v, true
		}
	}
	return "", false
}

// IsTbot says whether a process whose argv[0] is argv0 and whose binary is
// exe (as /proc/PID/exe's link reads) is tbot: either is named tbot.
// argv[0] is the name the launcher gave (ExecStart='s path, a symlink such
// as /usr/local/bin/tbot into Teleport's managed install); exe is the file
// it resolves to, " (deleted)" once an upgrade has replaced it. Before the
// exec they are the service manager's own (systemd, systemd-executor).
func IsTbot(argv0, exe string) bool {
	return baseName(argv0) == "tbot" || baseName(strings.TrimSuffix(exe, " (deleted)")) == "tbot"
}

func baseName(path string) string {
	if path == "" {
		return ""
	}
	return filepath.Base(path)
}
