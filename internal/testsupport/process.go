package testsupport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// BuildTbotTelemetry builds the command, static, as dir/tbot-telemetry and
// returns that path; the error carries the compiler's output. It works from
// any directory of the module, as tests run in their package's.
func BuildTbotTelemetry(dir string) (string, error) {
	return buildStatic(filepath.Join(dir, "tbot-telemetry"), "github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry")
}

// buildStatic builds a package of this module, without cgo, as path.
func buildStatic(path, pkg string) (string, error) {
	cmd := exec.Command("go", "build", "-o", path, pkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %w\n%s", filepath.Base(path), err, out)
	}
	return path, nil
}

// Result is how a command ended.
type Result struct {
	Code           int // as a shell shows it: 128+N for death by signal N
	Stdout, Stderr string
	Elapsed        time.Duration
}

// Run runs argv with exactly env, nothing of the test process's own
// environment, and fails the test unless it ends within bound.
func Run(tb testing.TB, bound time.Duration, env []string, argv ...string) Result {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Env = append([]string{}, env...) // never nil, which would mean our own
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	started := time.Now()
	err := cmd.Run()
	elapsed := time.Since(started)
	if ctx.Err() != nil {
		tb.Fatalf("%q did not end within %v", argv, bound)
	}
	if err != nil && cmd.ProcessState == nil {
		tb.Fatalf("run %q: %v", argv, err)
	}
	return Result{Code: ExitStatus(cmd.ProcessState), Stdout: stdout.String(), Stderr: stderr.String(), Elapsed: elapsed}
}

// ExitStatus is the status of an ended process as a shell shows it: 128+N
// for death by signal N.
func ExitStatus(state *os.ProcessState) int {
	ws := state.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// LockedBuffer is a bytes.Buffer safe for concurrent use: one goroutine
// writes, as os/exec's does with a child's output, while the test reads.
type LockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String is everything written so far.
func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// ReadFile is the content of the file at path; it fails the test when the
// file cannot be read.
func ReadFile(tb testing.TB, path string) string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// LogLines decodes JSON log lines, one object a line; it fails the test on
// a line that is not one.
func LogLines(tb testing.TB, logs string) []map[string]any {
	tb.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs))
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			tb.Fatalf("log line is not JSON: %q", sc.Text())
		}
		lines = append(lines, line)
	}
	return lines
}
