package supervise

import (
	"errors"
	"os"
	"strconv"
	"syscall"
)

// Exit statuses that shells use for a program that never ran.
const (
	ExitNotFound      = 127
	ExitCannotExecute = 126
)

// Status is how a child ended.
type Status struct {
	wait syscall.WaitStatus
}

// ExitCode is the status a shell would report for the child: its own exit
// code, or 128+N when it died of signal N.
func (s Status) ExitCode() int {
	switch {
	case s.wait.Exited():
		return s.wait.ExitStatus()
	case s.wait.Signaled():
		return 128 + int(s.wait.Signal())
	default:
		// wait4 reports only ended children here; anything else is a
		// failure, not a success.
		return 1
	}
}

// Signaled reports whether the child died of a signal, and which.
func (s Status) Signaled() (syscall.Signal, bool) {
	if s.wait.Signaled() {
		return s.wait.Signal(), true
	}
	return 0, false
}

// String says how the child ended, for messages.
func (s Status) String() string {
	if sig, ok := s.Signaled(); ok {
		return "killed by signal " + strconv.Itoa(int(sig)) + " (" + sig.String() + ")"
	}
	return "exit status " + strconv.Itoa(s.ExitCode())
}

// ErrNotFound is returned by LookPath when no file of that name is on the
// search path.
var ErrNotFound = errors.New("command not found")

// StartError says why a program could not be started, and the status a shell
// would exit with for it.
type StartError struct {
	// Code is ExitNotFound or ExitCannotExecute.
	Code int
	// Reason is short and names no path, e.g. "permission denied".
	Reason string
	Err    error
}

// Error is the reason alone, which names no path.
func (e *StartError) Error() string { return e.Reason }

// Unwrap gives the system's error.
func (e *StartError) Unwrap() error { return e.Err }

// DefaultPath is searched when PATH is unset, as execvp does.
const DefaultPath = "/usr/bin:/bin"

// LookPath finds a program the way a POSIX shell does: a name with a slash is
// taken as it is; a bare name is searched in the directories of pathList
// (DefaultPath when empty), where the first executable regular file wins and
// a file that is there but not executable is still returned, so that
// starting it fails with "permission denied" (126) rather than "not found"
// (127). It returns ErrNotFound, wrapped in a *StartError, when there is
// nothing to try.
func LookPath(name, pathList string) (string, error) {
	if containsSlash(name) {
		return name, nil
	}
	if name == "" {
		return "", &StartError{Code: ExitNotFound, Reason: ErrNotFound.Error(), Err: ErrNotFound}
	}
	if pathList == "" {
		pathList = DefaultPath
	}
	fallback := ""
	for _, dir := range splitPathList(pathList) {
		if dir == "" {
			dir = "." // an empty entry means the current directory, to a shell
		}
		p := dir + "/" + name
		info, err := os.Stat(p)
		if err != nil || info.IsDir() {
			continue
		}
		if info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
			return p, nil
		}
		if fallback == "" {
			fallback = p
		}
	}
	if fallback != "" {
		return fallback, nil
	}
	return "", &StartError{Code: ExitNotFound, Reason: ErrNotFound.Error(), Err: ErrNotFound}
}

// splitPathList splits a search path at its colons: strings.Split, without
// strings.
func splitPathList(list string) []string {
	var dirs []string
	start := 0
	for i := 0; i < len(list); i++ {
		if list[i] == ':' {
			dirs = append(dirs, list[start:i])
			start = i + 1
		}
	}
	return append(dirs, list[start:])
}

// containsSlash is strings.ContainsRune(name, '/'), without strings (see
// the package comment on what this package imports).
func containsSlash(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			return true
		}
	}
	return false
}

// startError classifies a failure of execve for path: 127 when there is no
// such file, 126 when there is one that cannot be executed (no permission, a
// directory, not an executable format, a missing #! interpreter).
func startError(path string, err error) *StartError {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return &StartError{Code: ExitCannotExecute, Reason: "cannot execute", Err: err}
	}
	if errno == syscall.ENOENT {
		if _, statErr := os.Stat(path); statErr != nil {
			return &StartError{Code: ExitNotFound, Reason: ErrNotFound.Error(), Err: err}
		}
		// The file is there: what is missing is the interpreter its #!
		// line names (or a loader), which shells report as 126.
		return &StartError{Code: ExitCannotExecute, Reason: "cannot execute: bad interpreter", Err: err}
	}
	reason := errno.Error()
	switch errno {
	case syscall.ENOEXEC:
		reason = "not an executable format"
	case syscall.EACCES:
		reason = "permission denied"
	}
	return &StartError{Code: ExitCannotExecute, Reason: "cannot execute: " + reason, Err: err}
}
