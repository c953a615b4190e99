package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/internal/buildinfo"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// Shared by the tests of this package: an in-process system with captured
// output and fixed clock and ID, and the built binary for end-to-end runs.

// testSystem is a system whose output the test reads.
type testSystem struct {
	*system
	out, err *bytes.Buffer
}

func newTestSystem(t *testing.T, env config.Env) *testSystem {
	t.Helper()
	if env == nil {
		env = config.Env{}
	}
	out, errOut := &bytes.Buffer{}, &bytes.Buffer{}
	return &testSystem{
		system: &system{
			stdin:  bytes.NewReader(nil),
			stdout: out,
			stderr: errOut,
			env:    env,
			now:    testsupport.Now,
			newID:  testsupport.NewID,
			build:  buildinfo.Info{Version: "dev", Commit: "unknown", GoVersion: "go1.26.0", Platform: "linux/amd64"},
		},
		out: out,
		err: errOut,
	}
}

// run runs the whole program with a bounded context and returns its
// exit status as main would compute it.
func (s *testSystem) run(t *testing.T, args ...string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return exitCode(run(ctx, args, s.system))
}

func exitCode(err error) int {
	var exit exitStatus
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return int(exit)
	default:
		return 1
	}
}

var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "tbot-telemetry-test-")
	if err != nil {
		return "", err
	}
	return testsupport.BuildTbotTelemetry(dir)
})

// buildBinary builds tbot-telemetry once per test run and returns its path.
func buildBinary(tb testing.TB) string {
	tb.Helper()
	path, err := buildOnce()
	if err != nil {
		tb.Fatal(err)
	}
	return path
}

var testPrograms sync.Map // name -> func() (string, error)

// buildTestProgram builds testdata/<name> once per test run, beside the
// built tbot-telemetry (so that an unprivileged user may run it too), and
// returns its path.
func buildTestProgram(t *testing.T, name string) string {
	t.Helper()
	dir := filepath.Dir(buildBinary(t))
	build, _ := testPrograms.LoadOrStore(name, sync.OnceValues(func() (string, error) {
		path := filepath.Join(dir, name)
		out, err := exec.Command("go", "build", "-o", path, "./testdata/"+name).CombinedOutput()
		if err != nil {
			return "", fmt.Errorf("build %s: %v\n%s", name, err, out)
		}
		return path, nil
	}))
	path, err := build.(func() (string, error))()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// repoFile returns the path of a file at the module root (tests run in
// cmd/tbot-telemetry).
func repoFile(parts ...string) string {
	return filepath.Join(append([]string{"..", ".."}, parts...)...)
}

// process is a child that a test started: reaped in the background, and
// killed at the end of the test if it is still running.
type process struct {
	t      *testing.T
	cmd    *exec.Cmd
	name   string        // how failures call it
	bound  time.Duration // the longest wait for its exit
	stderr *testsupport.LockedBuffer
	done   chan struct{} // closed once it has been reaped
}

// watch reaps p once drained, when not nil, has closed: Wait closes the
// pipes it made, which must be read out first.
func (p *process) watch(drained <-chan struct{}) {
	go func() {
		defer close(p.done)
		if drained != nil {
			<-drained
		}
		p.cmd.Wait()
	}()
	p.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
	})
}

func (p *process) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v: %v", sig, err)
	}
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait returns the exit status as a shell would show it.
func (p *process) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(p.bound):
		p.t.Fatalf("%s did not exit within %v; stderr:\n%s", p.name, p.bound, p.stderr.String())
	}
	return testsupport.ExitStatus(p.cmd.ProcessState)
}

// tbotTextLine is tbot's text log line (internal/tbotlog/layout): time to the
// millisecond, level in four columns, component in eleven, message and
// attributes, then the caller.
var tbotTextLine = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(?:Z|[+-]\d\d:\d\d)) (DEBU|INFO|WARN|ERRO) (\[[^\]]*\] *) (.*) (\S+\.go:\d+)$`)

// textLines parses stderr as tbot's text log lines and fails the test on
// any other line.
func textLines(t *testing.T, stderr string) []textLine {
	t.Helper()
	var out []textLine
	for _, line := range strings.Split(strings.TrimSuffix(stderr, "\n"), "\n") {
		if line == "" {
			continue
		}
		m := tbotTextLine.FindStringSubmatch(line)
		if m == nil || strings.TrimRight(m[3], " ") != "[TBOT-TELE]" {
			t.Fatalf("not one of tbot's text log lines: %q", line)
		}
		out = append(out, textLine{Level: m[2], Rest: m[4], Caller: m[5]})
	}
	return out
}

// textLine is one parsed text line.
type textLine struct {
	Level  string // DEBU, INFO, WARN, ERRO
	Rest   string // message and attributes
	Caller string
}

// countTextLevel counts the text lines at level (DEBU, INFO, WARN, ERRO).
func countTextLevel(t *testing.T, stderr, level string) int {
	t.Helper()
	n := 0
	for _, l := range textLines(t, stderr) {
		if l.Level == level {
			n++
		}
	}
	return n
}
