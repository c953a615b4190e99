package record

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// LockPath is the lock file that makes one collect the owner of the output
// file at path and of the files beside it (the offset file, the
// dead-letter file). It stays where it is whatever happens to the output
// file, and holds the owner's PID, so that a second collect can name it.
func LockPath(path string) string { return path + ".lock" }

// ErrInUse is what Open returns, wrapped, when another process owns the
// output file.
var ErrInUse = errors.New("the output file is in use")

// takeLock takes the lock file at path for this process, or says who has
// it.
func takeLock(path string, pid int) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening the lock file: %w", err)
	}
	if err := flock(f); err != nil {
		b := make([]byte, 32)
		n, _ := f.ReadAt(b, 0)
		f.Close()
		if other, convErr := strconv.Atoi(strings.TrimSpace(string(b[:n]))); convErr == nil && other > 0 {
			return nil, fmt.Errorf("%w by another collect (PID %d)", ErrInUse, other)
		}
		return nil, fmt.Errorf("%w by another collect", ErrInUse)
	}
	// The PID is for the message above only; the lock is the flock.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(pid)+"\n"), 0)
	}
	return f, nil
}
