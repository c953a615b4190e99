package main

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// With telemetry off, `exec -- PROGRAM` and `report -- TBOT_ARGS` run from
// package quiet's init and, with --timeout=3s added, through main: the two
// must not differ in anything but the time on the log line.
func TestQuietPathsBehaveAsMain(t *testing.T) {
	_, notExecutable, notAProgram := execUnrunnable(t)
	// The time and the caller (main's or package quiet's) may differ.
	stamp := regexp.MustCompile(`(?m)^\S+ ((?:INFO|ERRO) .*) \S+\.go:\d+$`)
	config := repoFile("testdata", "v2", "outputs-and-services.yaml")
	for _, tt := range []struct {
		name    string
		env     []string
		command string
		args    []string
		want    int
	}{
		{"exec success", nil, "exec", []string{"sh", "-c", "echo out; echo err >&2"}, 0},
		{"exec failure", nil, "exec", []string{"sh", "-c", "exit 3"}, 3},
		{"exec killed by SIGTERM", nil, "exec", []string{"sh", "-c", "kill -TERM $$"}, 143},
		{"exec with DO_NOT_TRACK", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", "DO_NOT_TRACK=1"}, "exec", []string{"true"}, 0},
		{"exec not found", nil, "exec", []string{"no-such-tbot", "start"}, 127},
		{"exec not executable", nil, "exec", []string{notExecutable, "start"}, 126},
		{"exec not an executable format", nil, "exec", []string{notAProgram}, 126},
		{"report", nil, "report", []string{"start", "-c", config, "--oneshot"}, 0},
		{"report with DO_NOT_TRACK", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", "DO_NOT_TRACK=true"}, "report", []string{"start", "-c", config}, 0},
		{"report of a file tbot would refuse", nil, "report", []string{"start", "-c", repoFile("testdata", "bad", "empty.yaml")}, 0},
		{"report of nothing", nil, "report", nil, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := execEnv(tt.env...)
			quiet := testsupport.Run(t, execBound, env, append([]string{buildBinary(t), tt.command, "--"}, tt.args...)...)
			main := testsupport.Run(t, execBound, env, append([]string{buildBinary(t), tt.command, "--timeout=3s", "--"}, tt.args...)...)
			if quiet.Code != tt.want || main.Code != tt.want {
				t.Errorf("exit status %d (quiet) and %d (main), want %d", quiet.Code, main.Code, tt.want)
			}
			if quiet.Stdout != main.Stdout {
				t.Errorf("stdout %q (quiet) vs %q (main)", quiet.Stdout, main.Stdout)
			}
			// The log line and the child's own line may come in either
			// order on a shared stderr; as sets, they must match.
			q, m := strings.Split(stamp.ReplaceAllString(quiet.Stderr, "T $1 C"), "\n"), strings.Split(stamp.ReplaceAllString(main.Stderr, "T $1 C"), "\n")
			slices.Sort(q)
			slices.Sort(m)
			if !slices.Equal(q, m) {
				t.Errorf("stderr differs:\nquiet: %q\nmain:  %q", quiet.Stderr, main.Stderr)
			}
		})
	}
}

// The quiet paths are only worth having if they come before the heavy
// packages: with GODEBUG=inittrace=1, Go names each package it initializes,
// and none of these may be among them.
func TestQuietPathsInitializeNothingHeavy(t *testing.T) {
	for _, command := range [][]string{{"exec", "true"}, {"report", "start"}} {
		t.Run(command[0], func(t *testing.T) {
			res := testsupport.Run(t, execBound, execEnv("GODEBUG=inittrace=1"), buildBinary(t), command[0], "--", command[1])
			if res.Code != 0 || !strings.Contains(res.Stderr, "Anonymous telemetry is not enabled.") {
				t.Fatalf("exit status %d, stderr:\n%s", res.Code, res.Stderr)
			}
			for _, heavy := range []string{"net/http", "crypto/tls", "connectrpc.com/", "google.golang.org/protobuf/",
				"gopkg.in/yaml.v3", "github.com/alecthomas/kingpin", "text/template", "log/slog"} {
				if strings.Contains(res.Stderr, "init "+heavy) {
					t.Errorf("the quiet path initialized %s:\n%s", heavy, res.Stderr)
				}
			}
			// And the same trace through main does name them, so the
			// check above can fail.
			res = testsupport.Run(t, execBound, execEnv("GODEBUG=inittrace=1"), buildBinary(t), command[0], "--timeout=3s", "--", command[1])
			if !strings.Contains(res.Stderr, "init google.golang.org/protobuf/") {
				t.Errorf("main's trace lacks protobuf:\n%s", res.Stderr)
			}
		})
	}
}
