package beforemain

import (
	"bytes"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/launch"
	"github.com/tbot-telemetry/tbot-telemetry/internal/environ"
)

// PlanExec reads exec's command line as main's parse does (a test of main,
// TestExecPlanBeforeMainAgreesWithMain, holds the two together); here its
// answers are written out.
func TestPlanExec(t *testing.T) {
	on := []string{"TELEPORT_ANONYMOUS_TELEMETRY=1"}
	off := []string{"TELEPORT_ANONYMOUS_TELEMETRY=no"}
	none := "<none>" // PlanExec leaves it to main
	for _, tt := range []struct {
		env  []string
		args string
		want string // PROGRAM's argv, then "off" when it gets TELEPORT_ANONYMOUS_TELEMETRY=0; none
	}{
		{on, "exec -- tbot start", "tbot start off"},
		{on, "exec tbot start", "tbot start off"},
		{off, "exec -- tbot start", "tbot start"},
		{nil, "exec -- tbot", "tbot"},
		{[]string{"TELEPORT_ANONYMOUS_TELEMETRY=1", "DO_NOT_TRACK=1"}, "exec -- tbot", "tbot"},
		{on, "exec - start", "- start off"},
		{on, "exec -- tbot --dry-run start", "tbot --dry-run start off"},
		// The flags that decide the child's telemetry.
		{on, "exec --keep-child-telemetry -- tbot", "tbot"},
		{on, "exec --no-keep-child-telemetry tbot", "tbot off"},
		{on, "exec --dry-run -- tbot", "tbot"},
		{on, "exec --no-dry-run -- tbot", "tbot off"},
		{off, "exec --no-dry-run -- tbot", "tbot"},
		// Values, in both spellings; a value may look like a flag.
		{on, "exec --timeout 1s --endpoint http://127.0.0.1:9 tbot", "tbot off"},
		{on, "exec --timeout=1s --endpoint= --log-format=json --tbot-version=v17.4.2-rc.1 -- tbot", "tbot off"},
		{on, "exec --log-format= --tbot-version= -- tbot", "tbot off"},
		// ... and "--" or "--bogus" as --endpoint's value is no URL: a
		// misuse, so PROGRAM runs without telemetry.
		{on, "exec --endpoint -- tbot start", "tbot start"},
		{on, "exec --endpoint -- -- tbot", "tbot"},
		{on, "exec --endpoint --bogus -- tbot", "tbot"},
		{on, "exec --endpoint 127.0.0.1:18080 -- tbot", "tbot"},
		{on, "exec --endpoint HTTPS://127.0.0.1:1 -- tbot", "tbot off"},
		{on, "exec --debug --strict -- tbot", "tbot off"},
		// A misuse where PROGRAM is still known: it runs without telemetry.
		{on, "exec --timeout=0 -- tbot start", "tbot start"},
		{on, "exec --timeout -1s tbot start", "tbot start"},
		{on, "exec --timeout= tbot", "tbot"},
		{on, "exec --timeout=3 tbot", "tbot"},
		{on, "exec --timeout -- tbot", "tbot"},
		{on, "exec --tbot-version=17.4 -- tbot", "tbot"},
		{on, "exec --log-format xml -- tbot", "tbot"},
		{on, "exec --log-format=JSON tbot", "tbot"},
		{on, "exec --no-such-flag -- tbot start", "tbot start"},
		{on, "exec -d -- tbot start", "tbot start"},
		{on, "exec --no-timeout -- tbot", "tbot"},
		{on, "exec --tbot-path=/x -- tbot", "tbot"}, // report's, not exec's
		{on, "exec --dry-run --dry-run -- tbot", "tbot"},
		{on, "exec --dry-run --no-dry-run -- tbot", "tbot"},
		{on, "exec --timeout=1s --timeout=2s -- tbot", "tbot"},
		// Where main starts nothing, or reads the line its own way.
		{on, "exec --debug --strict --no-debug tbot", none},
		{on, "exec --dry-run=true -- tbot", none},
		{on, "exec --help -- tbot", none},
		{on, "exec --completion-bash", none},
		{on, "exec --completion-bash -- tbot", none},
		{on, "exec --no-such-flag tbot", none},
		{on, "exec --", none},
		{on, "exec --timeout", none},
		{on, "exec", none},
		{on, "report -- start", none},
		{on, "--debug exec -- tbot", none},
		{on, "", none},
	} {
		t.Run(tt.args, func(t *testing.T) {
			plan, ok := PlanExec(strings.Fields(tt.args), environ.Getter(tt.env))
			got := none
			if ok {
				got = strings.Join(plan.Argv, " ")
				if plan.TelemetryOff {
					got += " off"
				}
			}
			if got != tt.want {
				t.Errorf("PlanExec = %q, want %q", got, tt.want)
			}
		})
	}
	if _, ok := PlanExec([]string{"exec", "--", ""}, environ.Getter(on)); ok {
		t.Error("an empty PROGRAM is planned")
	}
}

// childEnv, when set, makes this test binary the Go program that exec
// starts, standing in for tbot: it says what it reads of the opt-in, as
// tbot (a Go program) reads it, the first entry of the name, and how many
// entries of it it was given.
const childEnv = "BEFOREMAIN_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		entries := "unknown" // off Linux
		if raw, err := os.ReadFile("/proc/self/environ"); err == nil {
			n := 0
			for _, kv := range bytes.Split(raw, []byte{0}) {
				if bytes.HasPrefix(kv, []byte("TELEPORT_ANONYMOUS_TELEMETRY=")) {
					n++
				}
			}
			entries = strconv.Itoa(n)
		}
		v, ok := os.LookupEnv("TELEPORT_ANONYMOUS_TELEMETRY")
		if !ok {
			v = "<unset>"
		}
		os.Stdout.WriteString("telemetry=" + v + " entries=" + entries + "\n")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// tbot reads the first of repeated entries (Go's getenv); a shell reads the
// last. So the child that checks what exec gives it is a Go program, and
// the environment exec is given has the name more than once: whatever
// this program decides, tbot must read the same, and when this program
// reports, tbot must find its own telemetry off in every entry it could
// read.
func TestChildEnvAsTbotReadsIt(t *testing.T) {
	self := os.Args[0]
	for _, tt := range []struct {
		name  string
		env   []string
		flags []string
		want  string
	}{
		{"reporting: off, once", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", "TELEPORT_ANONYMOUS_TELEMETRY=1"}, nil, "telemetry=0 entries=1"},
		{"reporting, a later entry off", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", "TELEPORT_ANONYMOUS_TELEMETRY=0"}, nil, "telemetry=0 entries=1"},
		{"not reporting: the first entry says off, as tbot reads", []string{"TELEPORT_ANONYMOUS_TELEMETRY=0", "TELEPORT_ANONYMOUS_TELEMETRY=1"}, nil, "telemetry=0 entries=2"},
		{"kept", []string{"TELEPORT_ANONYMOUS_TELEMETRY=true", "TELEPORT_ANONYMOUS_TELEMETRY=0"}, []string{"--keep-child-telemetry"}, "telemetry=true entries=2"},
		{"dry run", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1"}, []string{"--dry-run"}, "telemetry=1 entries=1"},
		{"unset", nil, nil, "telemetry=<unset> entries=0"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"exec"}, tt.flags...), "--", self, "-test.run=^$")
			plan, ok := PlanExec(args, environ.Getter(tt.env))
			if !ok {
				t.Fatalf("PlanExec(%q) starts nothing", args)
			}
			// GORACE: a test binary built with -race sleeps a second as it
			// exits unless told not to.
			env := append([]string{childEnv + "=1", "GORACE=atexit_sleep_ms=0"}, plan.ChildEnv(tt.env)...)
			var out bytes.Buffer
			l := launch.Begin(plan.Argv, env, "", nil, &out, os.Stderr)
			defer l.Close()
			if l.Child == nil {
				t.Fatalf("the Go child did not start: %d", l.Status)
			}
			if code := l.Wait(func(m, p, r string) { t.Errorf("%s %s %s", m, p, r) }); code != 0 {
				t.Fatalf("the Go child: exit status %d", code)
			}
			want := tt.want
			if runtime.GOOS != "linux" {
				want = want[:strings.Index(want, " entries=")] + " entries=unknown"
			}
			if got := strings.TrimSpace(out.String()); got != want {
				t.Errorf("the Go child read %q, want %q", got, want)
			}
		})
	}
}
