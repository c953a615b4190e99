//go:build unix

package record

import (
	"errors"
	"os"
	"syscall"
)

// flock takes an exclusive lock on f without waiting. It is the lock of
// an open file: it goes with f's last close or the end of the process,
// however that comes (a SIGKILL included), so a crash never leaves a stale
// lock behind.
func flock(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			if errors.Is(err, syscall.EWOULDBLOCK) {
				return ErrInUse
			}
			return err
		}
	}
}

// idOf is a file's identity.
func idOf(info os.FileInfo) fileID {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)} //nolint:unconvert // Dev is int32 on macOS
}
