package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// outcome is what the owning package's tests made of a mutant.
type outcome string

const (
	caught   outcome = "caught"
	survived outcome = "survived"
	// stale: find no longer occurs exactly once in the file; the list
	// needs mending, since the code moved on.
	stale outcome = "stale"
	// broken: the mutant does not build, so it tests nothing.
	broken outcome = "broken"
)

// result is one mutant's run.
type result struct {
	mutant
	Outcome outcome
	// By is the first test that failed, for a caught mutant.
	By   string
	Took time.Duration
	// Detail says why a mutant is stale or broken.
	Detail string
}

// runner runs go test on mutated copies of files, without touching the
// work tree: each mutant is a build overlay (go help build, -overlay),
// passed through GOFLAGS so that whatever the tests build themselves with
// `go build` (cmd's end-to-end tests build the binary) sees the mutant too.
type runner struct {
	root    string // the repository's root
	work    string // a directory of this run's own
	goCmd   string
	timeout time.Duration // for one package's tests
}

// testRun is one `go test` of a package.
type testRun struct {
	failed  bool
	output  string
	timeout bool
}

// goTest runs the tests of pkg (matching run, if set) with the overlay, if
// set, and bounds them by r.timeout.
func (r *runner) goTest(pkg, run, overlay string) (testRun, error) {
	args := []string{"test", "-count=1", "-vet=off", "-timeout=" + r.timeout.String()}
	if run != "" {
		args = append(args, "-run", run)
	}
	args = append(args, pkg)
	// A minute past go test's own timeout, in case that one fails to end it.
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout+time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.goCmd, args...)
	cmd.Dir = r.root
	cmd.Env = os.Environ()
	if overlay != "" {
		cmd.Env = append(cmd.Env, "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -overlay="+overlay))
	}
	// Its own process group, so that a hung test's children go with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		return testRun{failed: true, timeout: true, output: out.String()}, nil
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return testRun{}, fmt.Errorf("go test %s: %w", pkg, err)
	}
	return testRun{failed: err != nil, output: out.String(), timeout: strings.Contains(out.String(), "panic: test timed out")}, nil
}

// apply writes m's mutated copy of its file and an overlay that puts it in
// the file's place, in dir; it says why not when m is stale.
func (r *runner) apply(m mutant, dir string) (overlay, stale string, err error) {
	path := filepath.Join(r.root, m.File)
	src, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	if n := bytes.Count(src, []byte(m.Find)); n != 1 {
		return "", fmt.Sprintf("find occurs %d times in %s, want once", n, m.File), nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	mutated := filepath.Join(dir, filepath.Base(m.File))
	if err := os.WriteFile(mutated, bytes.Replace(src, []byte(m.Find), []byte(m.Replace), 1), 0o644); err != nil {
		return "", "", err
	}
	spec, err := json.Marshal(map[string]map[string]string{"Replace": {path: mutated}})
	if err != nil {
		return "", "", err
	}
	overlay = filepath.Join(dir, "overlay.json")
	return overlay, "", os.WriteFile(overlay, spec, 0o644)
}

// one runs mutant number i.
func (r *runner) one(i int, m mutant) (result, error) {
	started := time.Now()
	res := result{mutant: m}
	overlay, why, err := r.apply(m, filepath.Join(r.work, strconv.Itoa(i)))
	if err != nil {
		return res, err
	}
	if why != "" {
		res.Outcome, res.Detail = stale, why
		return res, nil
	}
	tr, err := r.goTest(m.Package, m.Run, overlay)
	if err != nil {
		return res, err
	}
	res.Took = time.Since(started)
	switch {
	case strings.Contains(tr.output, "[build failed]") || strings.Contains(tr.output, "[setup failed]"):
		res.Outcome, res.Detail = broken, firstLines(tr.output, 5)
	case tr.failed:
		res.Outcome, res.By = caught, firstFailure(tr)
	default:
		res.Outcome = survived
	}
	return res, nil
}

var failLine = regexp.MustCompile(`(?m)^\s*--- FAIL: (\S+)`)

// firstFailure names the first test that failed.
func firstFailure(tr testRun) string {
	if tr.timeout {
		return "(timed out)"
	}
	if m := failLine.FindStringSubmatch(tr.output); m != nil {
		return m[1]
	}
	return "(the test binary failed)"
}

func firstLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.Join(lines[:min(n, len(lines))], " | ")
}
