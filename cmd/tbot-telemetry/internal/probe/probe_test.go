package probe

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/supervise"
)

// What real tbot binaries print (13.1.3 and 15.0.0-dev built from source,
// a release build, and teleport-actions' Enterprise form).
func TestParseVersion(t *testing.T) {
	for out, want := range map[string]string{
		"Teleport v13.1.3 git: go1.26.8\n":                        "13.1.3",
		"Teleport v15.0.0-dev git: go1.26.8\n":                    "15.0.0-dev",
		"Teleport v17.4.2 git:v17.4.2-0-gabc1234 go1.23.5\n":      "17.4.2",
		"Teleport Enterprise v18.1.0 git:v18.1.0-0-g1 go1.24.4\n": "18.1.0",
		"some banner\nTeleport v16.0.0 git:x go1.22\n":            "16.0.0",
		"tbot version 17\n":                                       "",
		"":                                                        "",
	} {
		if got := ParseVersion([]byte(out)); got != want {
			t.Errorf("ParseVersion(%q) = %q, want %q", out, got, want)
		}
	}
}

// fakeTbot writes a tbot that runs script for `tbot version`.
func fakeTbot(t *testing.T, script string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tbot")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVersion(t *testing.T) {
	tests := []struct {
		name, script, want, wantErr string
	}{
		{"prints its version", `[ "$1" = version ] && echo "Teleport v14.3.3 git: go1.26.8"`, "14.3.3", ""},
		{"prints nothing", "exit 0", "", "no version in its output"},
		{"fails", "echo oops >&2; exit 3", "", "no version in its output"},
		{"hangs", "exec sleep 10", "", "deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tbot := fakeTbot(t, tt.script)
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			got, err := Version(ctx, tbot, "/usr/bin:/bin", []string{"PATH=/usr/bin:/bin"})
			if got != tt.want || (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("got %q, %v; want %q, %q", got, err, tt.want, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), tbot) {
				t.Errorf("the error names the path: %v", err)
			}
		})
	}
	// By name, on the PATH it is given.
	tbot := fakeTbot(t, `echo "Teleport v15.0.0-dev git: go1.26.8"`)
	if got, err := Version(context.Background(), "tbot", filepath.Dir(tbot), nil); got != "15.0.0-dev" || err != nil {
		t.Errorf("by name: %q, %v", got, err)
	}
	if _, err := Version(context.Background(), "tbot", t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("not on PATH: %v", err)
	}
}

// The probe gets a third of what is left of the deadline; the send keeps
// the rest.
func TestShareIsAThirdOfWhatIsLeft(t *testing.T) {
	now := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	for left, want := range map[time.Duration]time.Duration{
		3 * time.Second:        time.Second,
		900 * time.Millisecond: 300 * time.Millisecond,
		30 * time.Second:       10 * time.Second,
		0:                      0,
	} {
		if got := shareEnd(now, now.Add(left)).Sub(now); got != want {
			t.Errorf("with %v left, the probe's share is %v, want %v", left, got, want)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	share, cancelShare := Share(ctx)
	defer cancelShare()
	end, ok := share.Deadline()
	if left := time.Until(end); !ok || left > 10*time.Second || left < 5*time.Second {
		t.Errorf("of 30s, the probe's share ends in %v (%v), want about 10s", left, ok)
	}
	cancel()
	if share.Err() == nil {
		t.Error("the share outlives the deadline it is part of")
	}

	none, cancelNone := Share(context.Background())
	defer cancelNone()
	if _, ok := none.Deadline(); ok {
		t.Error("a deadline of the probe's own where there was none")
	}
}

// A tbot that never answers takes only the probe's share, and the rest of
// the deadline is still there when the probe gives up.
func TestVersionWithinItsShare(t *testing.T) {
	t.Parallel()
	tbot := fakeTbot(t, "exec sleep 30")
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	share, cancelShare := Share(ctx)
	defer cancelShare()
	if _, err := Version(share, tbot, "/usr/bin:/bin", []string{"PATH=/usr/bin:/bin"}); err == nil || !strings.Contains(err.Error(), "deadline exceeded") {
		t.Fatalf("got %v, want the probe's deadline", err)
	}
	if ctx.Err() != nil {
		t.Error("the probe took the whole deadline, leaving the send nothing")
	}
}

// tbot is asked in its own environment (the one it is given, not this
// process's), and its version is found after a banner of warnings well
// past a line's length.
func TestVersionEnvironmentAndBanner(t *testing.T) {
	tbot := fakeTbot(t, `i=0; while [ $i -lt 20 ]; do echo "WARNING: one of the lines tbot may print first."; i=$((i+1)); done
echo "Teleport v$PROBE_TEST_VERSION git: go1.26.8"`)
	env := []string{"PATH=/usr/bin:/bin", "PROBE_TEST_VERSION=16.1.0"}
	if got, err := Version(context.Background(), tbot, "/usr/bin:/bin", env); got != "16.1.0" || err != nil {
		t.Errorf("got %q, %v; want 16.1.0", got, err)
	}
}

// A tbot that cannot be started at all is told apart from one that ran
// and printed no version; the error names no path.
func TestVersionOfDidNotRun(t *testing.T) {
	sup := supervise.New(supervise.Options{})
	defer sup.Close()
	missing := filepath.Join(t.TempDir(), "tbot")
	_, err := VersionOf(context.Background(), sup, missing, "tbot", nil)
	if err == nil || err.Error() != "tbot version: did not run" {
		t.Errorf("got %v, want tbot version: did not run", err)
	}
}

// A tbot that prints its version and then lingers past the deadline has
// still said its version: what it printed counts.
func TestVersionPrintedBeforeTheDeadline(t *testing.T) {
	tbot := fakeTbot(t, `echo "Teleport v14.3.3 git: go1.26.8"; exec sleep 10`)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if got, err := Version(ctx, tbot, "/usr/bin:/bin", []string{"PATH=/usr/bin:/bin"}); got != "14.3.3" || err != nil {
		t.Errorf("got %q, %v; want 14.3.3", got, err)
	}
}
