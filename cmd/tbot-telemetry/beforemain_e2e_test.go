package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/beforemain"
	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// With telemetry off, `exec -- PROGRAM` and `report -- TBOT_ARGS` run whole
// from package beforemain's init and, with --timeout=3s added, through main:
// the two must not differ in anything but the time on the log line.
func TestBeforeMainRunsAsMainWould(t *testing.T) {
	_, notExecutable, notAProgram := execUnrunnable(t)
	// The time and the caller (main's or package beforemain's) may differ.
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
			whole := testsupport.Run(t, execBound, env, append([]string{buildBinary(t), tt.command, "--"}, tt.args...)...)
			main := testsupport.Run(t, execBound, env, append([]string{buildBinary(t), tt.command, "--timeout=3s", "--"}, tt.args...)...)
			if whole.Code != tt.want || main.Code != tt.want {
				t.Errorf("exit status %d (before main) and %d (main), want %d", whole.Code, main.Code, tt.want)
			}
			if whole.Stdout != main.Stdout {
				t.Errorf("stdout %q (before main) vs %q (main)", whole.Stdout, main.Stdout)
			}
			// The log line and the child's own line may come in either
			// order on a shared stderr; as sets, they must match.
			q, m := strings.Split(stamp.ReplaceAllString(whole.Stderr, "T $1 C"), "\n"), strings.Split(stamp.ReplaceAllString(main.Stderr, "T $1 C"), "\n")
			slices.Sort(q)
			slices.Sort(m)
			if !slices.Equal(q, m) {
				t.Errorf("stderr differs:\nbefore main: %q\nmain:        %q", whole.Stderr, main.Stderr)
			}
		})
	}
}

// The before-main path is only worth having if it comes before the heavy
// packages: with GODEBUG=inittrace=1, Go names each package it initializes,
// and none of these may be among them.
func TestBeforeMainInitializesNothingHeavy(t *testing.T) {
	for _, command := range [][]string{{"exec", "true"}, {"report", "start"}} {
		t.Run(command[0], func(t *testing.T) {
			res := testsupport.Run(t, execBound, execEnv("GODEBUG=inittrace=1"), buildBinary(t), command[0], "--", command[1])
			if res.Code != 0 || !strings.Contains(res.Stderr, "Anonymous telemetry is not enabled.") {
				t.Fatalf("exit status %d, stderr:\n%s", res.Code, res.Stderr)
			}
			for _, heavy := range []string{"net/http", "crypto/tls", "connectrpc.com/", "google.golang.org/protobuf/",
				"gopkg.in/yaml.v3", "github.com/alecthomas/kingpin", "text/template", "log/slog"} {
				if strings.Contains(res.Stderr, "init "+heavy) {
					t.Errorf("the before-main path initialized %s:\n%s", heavy, res.Stderr)
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

// exec starts PROGRAM from package beforemain's init whether telemetry is on
// or off, flags or not (see beforemain's package comment): tbot never waits for
// this program's heavier packages. With GODEBUG=inittrace=1, Go names each
// package it initializes on stderr, which the child shares; a child that
// says so at once can then show up before main's own package is
// initialized. A child started from main never can: main runs after every
// init. How soon the child's line comes depends on the machine, so it has a
// few tries; once is proof enough.
func TestExecStartsTheChildBeforeMainsInit(t *testing.T) {
	endpoint := "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=http://127.0.0.1:9"
	for _, tt := range []struct {
		name  string
		env   []string
		flags []string
	}{
		{"opted in", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", endpoint}, []string{"--tbot-version=17.4.2", "--timeout=200ms"}},
		{"opted in, no flags", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", endpoint}, nil},
		{"dry run", nil, []string{"--dry-run", "--tbot-version=17.4.2"}},
		{"keep the child's telemetry", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", endpoint}, []string{"--keep-child-telemetry", "--timeout=200ms"}},
		{"a misuse", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1"}, []string{"--timeout=0"}},
		{"an unknown flag", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1"}, []string{"--no-such-flag"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			argv := append(append([]string{buildBinary(t), "exec"}, tt.flags...), "--", "sh", "-c", "echo CHILD-STARTED >&2", "sh", "start")
			var last string
			for range 10 {
				res := testsupport.Run(t, execBound, execEnv(append(tt.env, "GODEBUG=inittrace=1")...), argv...)
				if res.Code != 0 {
					t.Fatalf("exit status %d; stderr:\n%s", res.Code, res.Stderr)
				}
				child, mainInit := strings.Index(res.Stderr, "CHILD-STARTED"), strings.Index(res.Stderr, "\ninit main @")
				if child < 0 || mainInit < 0 {
					t.Fatalf("no child's line or no main's init in:\n%s", res.Stderr)
				}
				if child < mainInit {
					return
				}
				last = res.Stderr
			}
			t.Errorf("the child's line came after main's init in every run; the last:\n%s", last)
		})
	}
}

// A signal that comes once the child runs but before main supervises it
// (here, the child's first act is to send it) is caught, queued and
// relayed, not the end of this program: before main or not, the signals are
// caught before the child exists and stay caught.
func TestExecQueuesSignalsForTheChildStartedBeforeMain(t *testing.T) {
	for _, tt := range []struct {
		name  string
		env   []string
		flags []string
	}{
		{"opted in", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=http://127.0.0.1:9"}, []string{"--timeout=300ms", "--tbot-version=17.4.2"}},
		{"dry run", nil, []string{"--dry-run", "--tbot-version=17.4.2"}},
		{"a misuse", nil, []string{"--log-format=xml"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			script := `trap 'echo got TERM; exit 42' TERM
kill -TERM $PPID
i=0
while [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
exit 1`
			argv := append(append([]string{buildBinary(t), "exec"}, tt.flags...), "--", "sh", "-c", script, "sh", "start")
			res := testsupport.Run(t, execBound, execEnv(tt.env...), argv...)
			if res.Code != 42 || !strings.Contains(res.Stdout, "got TERM") {
				t.Errorf("exit status %d, stdout %q: want the child's 42 after the relayed SIGTERM; stderr:\n%s", res.Code, res.Stdout, res.Stderr)
			}
		})
	}
}

// Package beforemain reads exec's command line (PlanExec) to start PROGRAM
// before main parses it; main then takes the running PROGRAM over. Both must agree
// on what PROGRAM is and on its TELEPORT_ANONYMOUS_TELEMETRY. Here main
// runs in-process, where nothing was started before main, so it starts PROGRAM as
// it reads the line itself; the PROGRAM's own report is compared with the
// plan.
func TestExecPlanBeforeMainAgreesWithMain(t *testing.T) {
	record := filepath.Join(t.TempDir(), "program")
	if err := os.WriteFile(record, []byte("#!/bin/sh\necho \"telemetry=${TELEPORT_ANONYMOUS_TELEMETRY-unset} args=$*\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A receiver that answers at once: the sends are beside the point here,
	// and one to a closed port would be retried until its deadline.
	receiver := testsupport.StartService(t)
	on := []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=" + receiver.URL}
	off := []string{"TELEPORT_ANONYMOUS_TELEMETRY=no"}
	for _, tt := range []struct {
		env  []string
		args []string
	}{
		{on, []string{"--", record, "start"}},
		{on, []string{record, "start"}},
		{off, []string{"--", record, "start"}},
		{on, []string{"--keep-child-telemetry", "--", record, "start"}},
		{on, []string{"--keep-child-telemetry", "--no-keep-child-telemetry", "--", record}},
		{on, []string{"--no-keep-child-telemetry", record}},
		{on, []string{"--dry-run", "--", record, "start"}},
		{on, []string{"--no-dry-run", "--", record, "start"}},
		{on, []string{"--debug", "--strict", "--no-debug", record}},
		{on, []string{"--timeout", "1s", "--endpoint", "http://127.0.0.1:9", record}},
		{on, []string{"--timeout=1s", "--endpoint=", "--log-format=json", "--tbot-version=v17.4.2-rc.1", "--", record}},
		{on, []string{"--log-format=", "--tbot-version=", "--", record}},
		{on, []string{"--endpoint", "--", record, "start"}},
		{on, []string{"--endpoint", "--", "--", record}},
		{on, []string{"--timeout=0", "--", record, "start"}},
		{on, []string{"--timeout", "-1s", record, "start"}},
		{on, []string{"--timeout=", record}},
		{on, []string{"--timeout=3", record}},
		{on, []string{"--timeout", "--", record}},
		{on, []string{"--tbot-version", "not a version!", "--", record}},
		{on, []string{"--tbot-version=17.04.2", "--", record}},
		{on, []string{"--tbot-version=17.4", "--", record}},
		{on, []string{"--tbot-version=17.4.2-", "--", record}},
		{on, []string{"--tbot-version=17.4.2+meta", "--", record}},
		{on, []string{"--tbot-version=V17.4.2", "--", record}},
		{on, []string{"--tbot-version=0.0.0-a.b-c", "--", record}},
		{on, []string{"--log-format", "xml", "--", record}},
		{on, []string{"--endpoint", "127.0.0.1:18080", "--", record, "start"}},
		{on, []string{"--endpoint=localhost:9", record}},
		{on, []string{"--endpoint", "ftp://127.0.0.1:9", record}},
		{on, []string{"--endpoint=HTTPS://127.0.0.1:9", record}},
		{on, []string{"--endpoint=http:/127.0.0.1:9", record}},
		{on, []string{"--log-format=JSON", record}},
		{on, []string{"--no-such-flag", "--", record, "start"}},
		{on, []string{"-d", "--", record, "start"}},
		{on, []string{"--no-timeout", "--", record}},
		{on, []string{"--dry-run", "--dry-run", "--", record}},
		{on, []string{"--timeout=1s", "--timeout=2s", "--", record}},
		{on, []string{"--dry-run", "--no-dry-run", "--", record}},
		{on, []string{"--endpoint", "--bogus", "--", record}},
		{on, []string{"--", record, "--dry-run", "start"}},
		{on, []string{"--dry-run=true", "--", record}},
		{on, []string{"--help", "--", record}},
		{on, []string{"--no-such-flag", record}},
		{on, []string{"--"}},
		{on, []string{"--timeout"}},
		{on, []string{"--", ""}},
		{on, nil},
	} {
		args := append([]string{"exec"}, tt.args...)
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Parallel()
			environ := append([]string{"PATH=" + os.Getenv("PATH")}, tt.env...)
			plan, ok := beforemain.PlanExec(args, config.EnvFromList(environ).Get)
			sys := newTestSystem(t, config.EnvFromList(environ))
			code := sys.run(t, args...)
			var ran []string
			for _, line := range strings.Split(sys.out.String(), "\n") {
				if strings.HasPrefix(line, "telemetry=") {
					ran = append(ran, line)
				}
			}
			if !ok {
				// Main alone decides; the plan before main stays out of it.
				return
			}
			if len(ran) != 1 {
				t.Fatalf("the plan starts %q, but main ran it %d times (exit %d); stderr:\n%s", plan.Argv, len(ran), code, sys.err)
			}
			telemetry := "unset"
			for _, kv := range plan.ChildEnv(environ) {
				if v, found := strings.CutPrefix(kv, "TELEPORT_ANONYMOUS_TELEMETRY="); found {
					telemetry = v
				}
			}
			if plan.Argv[0] != record {
				t.Fatalf("the plan starts %q, main ran %s", plan.Argv, record)
			}
			want := "telemetry=" + telemetry + " args=" + strings.Join(plan.Argv[1:], " ")
			if ran[0] != want {
				t.Errorf("main ran PROGRAM as %q, the plan as %q", ran[0], want)
			}
		})
	}
}

// The cases above in which main starts PROGRAM are the ones the plan takes,
// bar the few spellings it leaves to main on purpose.
func TestExecPlanBeforeMainLeavesOnlyRareSpellingsToMain(t *testing.T) {
	for _, args := range [][]string{
		{"exec", "--dry-run=true", "--", "tbot"},
		{"exec", "--help", "--", "tbot"},
		{"exec", "--no-such-flag", "tbot"},
		{"exec", "--"},
		{"exec", "--timeout"},
		{"exec", "--", ""},
		{"exec"},
		{"report", "--", "start"},
		{"--debug", "exec", "--", "tbot"},
	} {
		if plan, ok := beforemain.PlanExec(args, func(string) string { return "" }); ok {
			t.Errorf("PlanExec(%q) starts %q; main starts nothing or reads it its own way", args, plan.Argv)
		}
	}
	for _, args := range [][]string{
		{"exec", "--", "tbot"},
		{"exec", "--timeout=0", "--", "tbot"},
		{"exec", "--no-such-flag", "--", "tbot"},
		{"exec", "--dry-run", "--dry-run", "--", "tbot"},
	} {
		if plan, ok := beforemain.PlanExec(args, func(string) string { return "" }); !ok || !slices.Equal(plan.Argv, []string{"tbot"}) {
			t.Errorf("PlanExec(%q) = %q, %v; want tbot started before main", args, plan.Argv, ok)
		}
	}
}
