package ownflags

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// README.md, "Flags of report and exec", written out: which command has
// which flag, which take a value, and the defaults.
func TestTableIsREADMEs(t *testing.T) {
	type row struct {
		name       string
		takesValue bool
		def        string
	}
	shared := []row{{"dry-run", false, ""}, {"timeout", true, "3s"}, {"endpoint", true, ""}, {"tbot-version", true, ""},
		{"log-format", true, ""}, {"debug", false, ""}, {"strict", false, ""}}
	for command, want := range map[Command][]row{
		Report: append(slices.Clone(shared), row{"tbot-path", true, "tbot"}, row{"pid", true, ""}),
		Exec:   append(slices.Clone(shared), row{"keep-child-telemetry", false, ""}),
	} {
		var got []row
		for _, f := range Of(command) {
			got = append(got, row{f.Name, f.TakesValue, f.Default})
			if f.Help == "" {
				t.Errorf("%s has no help", f.Name)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("command %d: %v, want %v", command, got, want)
		}
	}
	d := Defaults()
	if d != (Values{Timeout: "3s", TbotPath: "tbot"}) {
		t.Errorf("Defaults() = %+v", d)
	}
}

// Every flag of the table has its place in Values, of its kind.
func TestValuesHoldEveryFlag(t *testing.T) {
	var v Values
	seen := map[any]string{}
	for _, f := range Flags {
		var at any
		if f.TakesValue {
			p := v.Text(f.Name)
			if p == nil || v.Bool(f.Name) != nil {
				t.Fatalf("%s: Text %v, Bool %v", f.Name, p, v.Bool(f.Name))
			}
			*p = "x"
			at = p
		} else {
			p := v.Bool(f.Name)
			if p == nil || v.Text(f.Name) != nil {
				t.Fatalf("%s: Bool %v, Text %v", f.Name, p, v.Text(f.Name))
			}
			*p = true
			at = p
		}
		if other, dup := seen[at]; dup {
			t.Errorf("%s and %s share one field", f.Name, other)
		}
		seen[at] = f.Name
	}
	if v != (Values{true, true, true, true, "x", "x", "x", "x", "x", "x"}) {
		t.Errorf("not every field has a flag: %+v", v)
	}
	if v.Bool("help") != nil || v.Text("no-such") != nil {
		t.Error("a place for a flag that is not in the table")
	}
}

func TestLookup(t *testing.T) {
	for _, tt := range []struct {
		command Command
		name    string
		want    string
		off, ok bool
	}{
		{Exec, "dry-run", "dry-run", false, true},
		{Exec, "no-dry-run", "dry-run", true, true},
		{Exec, "keep-child-telemetry", "keep-child-telemetry", false, true},
		{Exec, "no-keep-child-telemetry", "keep-child-telemetry", true, true},
		{Exec, "timeout", "timeout", false, true},
		{Exec, "no-timeout", "", false, false}, // no --no- form for a value
		{Exec, "tbot-path", "", false, false},  // report's only
		{Report, "tbot-path", "tbot-path", false, true},
		{Report, "keep-child-telemetry", "", false, false},
		{Report, "no-debug", "debug", true, true},
		{Exec, "", "", false, false},
		{Exec, "help", "", false, false},
		{Exec, "dry-run=true", "", false, false},
	} {
		f, off, ok := Lookup(tt.command, tt.name)
		if f.Name != tt.want || off != tt.off || ok != tt.ok {
			t.Errorf("Lookup(%d, %q) = %q, %v, %v; want %q, %v, %v", tt.command, tt.name, f.Name, off, ok, tt.want, tt.off, tt.ok)
		}
	}
}

func TestCheck(t *testing.T) {
	good := Defaults()
	for _, tt := range []struct {
		name    string
		change  func(*Values)
		want    time.Duration
		problem Problem
	}{
		{"defaults", func(*Values) {}, 3 * time.Second, Problem{}},
		{"500ms", func(v *Values) { v.Timeout = "500ms" }, 500 * time.Millisecond, Problem{}},
		{"1ns", func(v *Values) { v.Timeout = "1ns" }, time.Nanosecond, Problem{}},
		{"zero", func(v *Values) { v.Timeout = "0s" }, 0, Problem{"--timeout", "0s", "--timeout must be above zero.", "a duration such as 3s or 500ms"}},
		{"negative", func(v *Values) { v.Timeout = "-1s" }, 0, Problem{"--timeout", "-1s", "--timeout must be above zero.", "a duration such as 3s or 500ms"}},
		{"no unit", func(v *Values) { v.Timeout = "3" }, 0, Problem{"--timeout", "3", "--timeout is not a duration.", "a duration such as 3s or 500ms"}},
		{"empty timeout", func(v *Values) { v.Timeout = "" }, 0, Problem{"--timeout", "", "--timeout is not a duration.", "a duration such as 3s or 500ms"}},
		{"version", func(v *Values) { v.TbotVersion = "v17.4.2-rc.1" }, 3 * time.Second, Problem{}},
		{"not a version", func(v *Values) { v.TbotVersion = "17.4" }, 0, Problem{"--tbot-version", "17.4", "--tbot-version is not a version.", "X.Y.Z or X.Y.Z-pre, as tbot version prints it (17.4.2)"}},
		{"text", func(v *Values) { v.LogFormat = "text" }, 3 * time.Second, Problem{}},
		{"json", func(v *Values) { v.LogFormat = "json" }, 3 * time.Second, Problem{}},
		{"JSON", func(v *Values) { v.LogFormat = "JSON" }, 0, Problem{"--log-format", "JSON", "--log-format must be text or json.", ""}},
		{"xml", func(v *Values) { v.LogFormat = "xml" }, 0, Problem{"--log-format", "xml", "--log-format must be text or json.", ""}},
		{"an endpoint with its scheme", func(v *Values) { v.Endpoint = "HTTP://127.0.0.1:1" }, 3 * time.Second, Problem{}},
		// The address itself is not repeated in the problem.
		{"a bare HOST:PORT", func(v *Values) { v.Endpoint = "127.0.0.1:18080" }, 0,
			Problem{"--endpoint", "", "--endpoint must be an http:// or https:// URL.", "a bare HOST:PORT needs its scheme, as in http://127.0.0.1:8080"}},
		// Flags without a check here (--pid's is report's: it goes with
		// tbot's arguments).
		{"anything else", func(v *Values) {
			v.Endpoint, v.TbotPath, v.PID, v.DryRun, v.Strict = "https://[::1]", "", "x", true, true
		}, 3 * time.Second, Problem{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := good
			tt.change(&v)
			d, p := v.Check()
			if d != tt.want {
				t.Errorf("deadline %v, want %v", d, tt.want)
			}
			if (p == nil) != (tt.problem == Problem{}) || (p != nil && *p != tt.problem) {
				t.Errorf("problem %+v, want %+v", p, tt.problem)
			}
		})
	}
}

// One start is one event: exec turns the child's own telemetry off exactly
// when this program sends the start itself.
func TestChildTelemetryOff(t *testing.T) {
	for _, tt := range []struct {
		enabled, dryRun, keep, want bool
	}{
		{true, false, false, true},
		{true, true, false, false},
		{true, false, true, false},
		{true, true, true, false},
		{false, false, false, false},
		{false, true, false, false},
		{false, false, true, false},
	} {
		v := Values{DryRun: tt.dryRun, KeepChildTelemetry: tt.keep}
		if got := v.ChildTelemetryOff(tt.enabled); got != tt.want {
			t.Errorf("enabled %v, --dry-run %v, --keep-child-telemetry %v: off %v, want %v", tt.enabled, tt.dryRun, tt.keep, got, tt.want)
		}
	}
}

func TestChildEnv(t *testing.T) {
	env := []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", "PATH=/bin", "TELEPORT_ANONYMOUS_TELEMETRY=true", "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=x"}
	if got := ChildEnv(env, false); !slices.Equal(got, env) {
		t.Errorf("left on: %q, want the environment as it is", got)
	}
	want := []string{"PATH=/bin", "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=x", "TELEPORT_ANONYMOUS_TELEMETRY=0"}
	if got := ChildEnv(env, true); !slices.Equal(got, want) {
		t.Errorf("turned off: %q, want %q", got, want)
	}
}

func TestAmong(t *testing.T) {
	for args, want := range map[string]string{
		"start --dry-run":                 "--dry-run",
		"start --timeout=1s":              "--timeout",
		"start --timeout 1s":              "--timeout",
		"start --no-strict":               "--no-strict",
		"start --tbot-path=/x":            "--tbot-path",
		"start --keep-child-telemetry":    "--keep-child-telemetry",
		"--endpoint start":                "--endpoint",
		"start -c f --tbot-version=1.2.3": "--tbot-version",
		"start --debug --log-format=json": "", // tbot's too
		"start -d":                        "",
		"start -- --dry-run":              "", // tbot's own -- ends the search
		"start --dry-runs":                "",
		"start --":                        "",
		"start":                           "",
	} {
		if got := Among(strings.Fields(args)); got != want {
			t.Errorf("Among(%q) = %q, want %q", args, got, want)
		}
	}
}

func TestAfterSeparator(t *testing.T) {
	for args, want := range map[string][]string{
		"exec --timeout=0 -- tbot start": {"tbot", "start"},
		"exec -- tbot -- x":              {"tbot", "--", "x"},
		"exec --bogus tbot":              nil,
		"exec --":                        nil,
		"":                               nil,
	} {
		if got := AfterSeparator(strings.Fields(args)); !slices.Equal(got, want) {
			t.Errorf("AfterSeparator(%q) = %q, want %q", args, got, want)
		}
	}
	if got := AfterSeparator([]string{"exec", "--", ""}); got != nil {
		t.Errorf("an empty PROGRAM: %q", got)
	}
}

func TestEndpointHasScheme(t *testing.T) {
	for s, want := range map[string]bool{
		"http://127.0.0.1:8080":                   true,
		"https://reporting-tbot.teleportinfra.sh": true,
		"HTTPS://example.com":                     true,
		"http://":                                 true, // the scheme is there; the rest is the send's to judge
		"127.0.0.1:18080":                         false,
		"localhost:8080":                          false,
		"ftp://example.com":                       false,
		"http:/example.com":                       false,
		"http":                                    false,
		"":                                        false,
	} {
		if got := EndpointHasScheme(s); got != want {
			t.Errorf("EndpointHasScheme(%q) = %v, want %v", s, got, want)
		}
	}
}
