package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tbot-telemetry/tbot-telemetry/config"
)

// Shared by the tests of this package: an in-process system with captured
// output and fixed clock and ID, and the built binary for end-to-end runs.

var (
	testTime = time.Date(2026, 11, 26, 6, 0, 0, 123_000_000, time.UTC)
	testID   = uuid.MustParse("0b6f3c1e-8a4d-4e2b-9c7a-1d2e3f405162")
)

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
			now:    func() time.Time { return testTime },
			newID:  func() (uuid.UUID, error) { return testID, nil },
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

var (
	buildOnce sync.Once
	builtPath string
	buildErr  error
)

// buildBinary builds tbot-telemetry once per test run and returns its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "tbot-telemetry-test-")
		if err != nil {
			buildErr = err
			return
		}
		builtPath = filepath.Join(dir, "tbot-telemetry")
		cmd := exec.Command("go", "build", "-o", builtPath, ".")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = err
			builtPath = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build tbot-telemetry: %v\n%s", buildErr, builtPath)
	}
	return builtPath
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
