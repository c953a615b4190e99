package procattach

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"syscall"
	"time"
)

// maxListSize bounds what is read of a process's command line and of its
// environment. The kernel bounds the two together by ARG_MAX (a quarter of
// the stack limit, 2 MiB by default); a larger one is refused, not cut.
const maxListSize = 8 << 20

// Polls while waiting for the exec: the first soon, since the exec usually
// follows the fork within milliseconds, then less often.
const (
	firstPoll = time.Millisecond
	lastPoll  = 20 * time.Millisecond
)

// Attach reads process pid once it is tbot (IsTbot), waiting for it until
// ctx is done. waiting, if not nil, is called each time the process is
// seen not to be tbot yet. A process that is tbot from the first look is
// read at once.
func Attach(ctx context.Context, pid int, waiting func()) (*Process, error) {
	if pid <= 0 {
		return nil, ErrNotFound
	}
	dir := "/proc/" + strconv.Itoa(pid)
	poll := firstPoll
	for {
		p, err := read(dir)
		if p != nil || err != nil {
			return p, err
		}
		if waiting != nil {
			waiting()
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w: it did not exec tbot within the deadline", ErrNotTbot)
		case <-t.C:
		}
		poll = min(2*poll, lastPoll)
	}
}

// read reads the process under dir (/proc/PID), or returns nil and no
// error while it is not tbot. It reads the process's start time and binary
// before and after the rest, and takes what it read only when neither
// changed: an exec in between, or a new process under a reused PID, would
// otherwise mix two programs' lists.
func read(dir string) (*Process, error) {
	before, err := identity(dir)
	if err != nil {
		return nil, err
	}
	argv, err := readList(dir + "/cmdline")
	if err != nil {
		return nil, err
	}
	if len(argv) == 0 || !IsTbot(argv[0], before.exe) {
		return nil, nil
	}
	environ, err := readList(dir + "/environ")
	if err != nil {
		return nil, err
	}
	after, err := identity(dir)
	if err != nil {
		return nil, err
	}
	if after != before {
		return nil, nil
	}
	return &Process{Argv: argv, Environ: environ, Exe: dir + "/exe", Dir: dir + "/cwd"}, nil
}

// procIdentity tells one program of one process from any other: its start
// time (in clock ticks since boot, /proc/PID/stat's 22nd field) and its
// binary.
type procIdentity struct {
	start string
	exe   string
}

func identity(dir string) (procIdentity, error) {
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return procIdentity{}, classify(err)
	}
	// "pid (comm) state ppid ...": comm may hold spaces and parentheses,
	// so the fields are counted from the last ')'.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return procIdentity{}, errors.New("unreadable process status")
	}
	fields := bytes.Fields(stat[i+1:])
	const stateField, startField = 0, 22 - 3
	if len(fields) <= startField {
		return procIdentity{}, errors.New("unreadable process status")
	}
	if string(fields[stateField]) == "Z" || string(fields[stateField]) == "X" {
		return procIdentity{}, ErrNotFound // ended, not yet reaped
	}
	exe, err := os.Readlink(dir + "/exe")
	if err != nil {
		return procIdentity{}, classify(err)
	}
	return procIdentity{start: string(fields[startField]), exe: exe}, nil
}

// readList reads a NUL-separated list (cmdline, environ).
func readList(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, classify(err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxListSize+1))
	if err != nil {
		return nil, classify(err)
	}
	if len(data) > maxListSize {
		return nil, errors.New("the process's arguments or environment are too large")
	}
	data = bytes.TrimSuffix(data, []byte{0})
	if len(data) == 0 {
		return nil, nil
	}
	parts := bytes.Split(data, []byte{0})
	list := make([]string, len(parts))
	for i, p := range parts {
		list[i] = string(p)
	}
	return list, nil
}

// classify maps what reading /proc failed with onto this package's
// errors, dropping the path that os's errors carry.
func classify(err error) error {
	switch {
	case errors.Is(err, fs.ErrPermission):
		return ErrPermission
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ESRCH):
		return ErrNotFound
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return fmt.Errorf("reading the process: %w", pathErr.Err)
	}
	return fmt.Errorf("reading the process: %w", err)
}
