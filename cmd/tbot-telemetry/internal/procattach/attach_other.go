//go:build !linux

package procattach

import "context"

// Attach is Linux-only: elsewhere there is no /proc to read a process's
// environment from, so it always fails with ErrUnsupported.
func Attach(ctx context.Context, pid int, waiting func()) (*Process, error) {
	return nil, ErrUnsupported
}
