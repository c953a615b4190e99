package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// With telemetry off, `exec -- PROGRAM` runs from package launch's init
// (the quiet path) and `exec --timeout=3s -- PROGRAM` through main: the two
// must not differ in anything but the time on the log line.
func TestExecQuietPathBehavesAsMain(t *testing.T) {
	dir := t.TempDir()
	notExecutable := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(notExecutable, []byte("#!/bin/sh\nexit 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notAProgram := filepath.Join(dir, "not-a-program")
	if err := os.WriteFile(notAProgram, []byte("\x7fELF but not really\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	stamp := regexp.MustCompile(`(?m)^time=\S+ `)
	for _, tt := range []struct {
		name string
		env  []string
		argv []string
		want int
	}{
		{"success", nil, []string{"sh", "-c", "echo out; echo err >&2"}, 0},
		{"failure", nil, []string{"sh", "-c", "exit 3"}, 3},
		{"killed by SIGTERM", nil, []string{"sh", "-c", "kill -TERM $$"}, 143},
		{"DO_NOT_TRACK", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", "DO_NOT_TRACK=1"}, []string{"true"}, 0},
		{"not found", nil, []string{"no-such-tbot", "start"}, 127},
		{"not executable", nil, []string{notExecutable, "start"}, 126},
		{"not an executable format", nil, []string{notAProgram}, 126},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := execEnv(tt.env...)
			quiet := testsupport.Run(t, execBound, env, append([]string{buildBinary(t), "exec", "--"}, tt.argv...)...)
			main := testsupport.Run(t, execBound, env, append([]string{buildBinary(t), "exec", "--timeout=3s", "--"}, tt.argv...)...)
			if quiet.Code != tt.want || main.Code != tt.want {
				t.Errorf("exit status %d (quiet) and %d (main), want %d", quiet.Code, main.Code, tt.want)
			}
			if quiet.Stdout != main.Stdout {
				t.Errorf("stdout %q (quiet) vs %q (main)", quiet.Stdout, main.Stdout)
			}
			// The log line and the child's own line may come in either
			// order on a shared stderr; as sets, they must match.
			q, m := strings.Split(stamp.ReplaceAllString(quiet.Stderr, "time=T "), "\n"), strings.Split(stamp.ReplaceAllString(main.Stderr, "time=T "), "\n")
			slices.Sort(q)
			slices.Sort(m)
			if !slices.Equal(q, m) {
				t.Errorf("stderr differs:\nquiet: %q\nmain:  %q", quiet.Stderr, main.Stderr)
			}
		})
	}
}

// The quiet path is only worth having if it comes before the heavy
// packages: with GODEBUG=inittrace=1, Go names each package it initializes,
// and none of these may be among them.
func TestExecQuietPathInitializesNothingHeavy(t *testing.T) {
	res := testsupport.Run(t, execBound, execEnv("GODEBUG=inittrace=1"), buildBinary(t), "exec", "--", "true")
	if res.Code != 0 || !strings.Contains(res.Stderr, "Anonymous telemetry is not enabled.") {
		t.Fatalf("exit status %d, stderr:\n%s", res.Code, res.Stderr)
	}
	for _, heavy := range []string{"net/http", "crypto/tls", "connectrpc.com/", "google.golang.org/protobuf/",
		"gopkg.in/yaml.v3", "github.com/alecthomas/kingpin", "text/template", "log/slog"} {
		if strings.Contains(res.Stderr, "init "+heavy) {
			t.Errorf("the quiet path initialized %s:\n%s", heavy, res.Stderr)
		}
	}
	// And the same trace through main does name them, so the check above
	// can fail.
	res = testsupport.Run(t, execBound, execEnv("GODEBUG=inittrace=1"), buildBinary(t), "exec", "--timeout=3s", "--", "true")
	if !strings.Contains(res.Stderr, "init google.golang.org/protobuf/") {
		t.Errorf("main's trace lacks protobuf:\n%s", res.Stderr)
	}
}
