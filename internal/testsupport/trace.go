package testsupport

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TraceSyscalls runs the test named test of this test binary again, with
// env added to its environment, under strace, and returns strace's lines for
// the system calls named, file descriptors shown with their paths
// (`fsync(3</tmp/x/events.jsonl>) = 0`), in the order they were made. It is
// for what only the system calls show, such as an fsync: the traced run
// does the work, and the test reads what it asked of the kernel. The traced
// run must pass. It skips when strace is not installed or cannot trace
// here (no ptrace in the container).
func TraceSyscalls(tb testing.TB, bound time.Duration, syscalls []string, test string, env ...string) []string {
	tb.Helper()
	strace, err := exec.LookPath("strace")
	if err != nil {
		tb.Skip("strace is not installed")
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	if out, err := exec.CommandContext(ctx, strace, "-o", os.DevNull, "true").CombinedOutput(); err != nil {
		tb.Skipf("strace cannot trace here: %v\n%s", err, out)
	}
	self, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	out := filepath.Join(tb.TempDir(), "strace")
	cmd := exec.CommandContext(ctx, strace, "-f", "-qq", "-y", "-e", "trace="+strings.Join(syscalls, ","), "-o", out,
		self, "-test.run=^"+test+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	if output, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("the traced run of %s: %v\n%s", test, err, output)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}
