package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/ownflags"
	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/event"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
	"github.com/tbot-telemetry/tbot-telemetry/report"
)

// counts is the expected run mode, join type and destination counts
// (other, database, kubernetes, application) of one event.
type counts struct {
	runMode, joinType   string
	other, db, k8s, app int32
}

func (c counts) properties(version string) event.Properties {
	return event.Properties{
		RunMode: c.runMode, Version: version, JoinType: c.joinType,
		DestinationsOther: c.other, DestinationsDatabase: c.db, DestinationsKubernetes: c.k8s, DestinationsApplication: c.app,
	}
}

func dryRunEvent(t *testing.T, sys *testSystem, tbotArgs ...string) (event.PostHog, int) {
	t.Helper()
	return dryRunEventOf(t, sys, "19.1.0", tbotArgs...)
}

// dryRunEventOf is dryRunEvent for a tbot of the given version.
func dryRunEventOf(t *testing.T, sys *testSystem, version string, tbotArgs ...string) (event.PostHog, int) {
	t.Helper()
	code := sys.run(t, append([]string{"report", "--dry-run", "--tbot-version", "v" + version, "--"}, tbotArgs...)...)
	var ev event.PostHog
	if sys.out.Len() > 0 {
		if strings.Count(sys.out.String(), "\n") != 1 {
			t.Fatalf("want exactly one line on stdout, got %q", sys.out.String())
		}
		if err := json.Unmarshal(sys.out.Bytes(), &ev); err != nil {
			t.Fatalf("stdout is not one JSON event: %v\n%s", err, sys.out.String())
		}
	}
	return ev, code
}

// Golden events: every scenario in testdata, and the command lines that
// README.md gives as examples of TBOT_ARGS ("Commands"), give the event
// that README.md's rules ("The event", "How destinations are counted")
// imply.
func TestDryRunGolden(t *testing.T) {
	td := func(name string) string { return repoFile("testdata", name) }
	b64 := base64.StdEncoding.EncodeToString
	const v17, newest = "17.4.2", "19.1.0"
	tests := []struct {
		name    string
		version string
		args    []string
		env     config.Env
		want    counts
	}{
		// v1 files as tbot 17 reads them: migrated into outputs, which it counts.
		{"v1 identity", v17, []string{"start", "-c", td("v1/identity-directory.yaml")}, nil, counts{"daemon", "token", 1, 0, 0, 0}},
		{"v1 app", v17, []string{"start", "-c", td("v1/app.yaml")}, nil, counts{"daemon", "github", 0, 0, 0, 1}},
		{"v1 database", v17, []string{"start", "-c", td("v1/database.yaml")}, nil, counts{"daemon", "iam", 0, 1, 0, 0}},
		{"v1 kubernetes", v17, []string{"start", "-c", td("v1/kubernetes.yaml")}, nil, counts{"daemon", "kubernetes", 0, 0, 1, 0}},
		{"v1 memory, no join method", v17, []string{"start", "-c", td("v1/memory.yaml")}, nil, counts{"daemon", "", 2, 0, 0, 0}},
		{"v1 memory, no join method, tbot 13", "13.1.3", []string{"start", "-c", td("v1/memory.yaml")}, nil, counts{"daemon", "token", 2, 0, 0, 0}},
		{"v1 teleport-actions", v17, []string{"start", "-c", td("v1/teleport-actions-oneshot.yaml")}, nil, counts{"one-shot", "github", 1, 0, 1, 1}},
		{"v2 outputs (auth action)", v17, []string{"start", "-c", td("v2/outputs-actions-auth.yaml")}, nil, counts{"one-shot", "github", 1, 0, 1, 0}},
		// Tunnels count as other: tbot's code has counters for application,
		// database and kubernetes outputs only.
		{"v2 services (tunnel actions)", newest, []string{"start", "-c", td("v2/services-actions-tunnel.yaml"), "--debug", "--diag-addr", "127.0.0.1:9999"}, nil,
			counts{"daemon", "github", 2, 0, 0, 0}},
		{"v2 services are not counted by tbot 16.0", "16.0.0", []string{"start", "-c", td("v2/service-database-tunnel.yaml")}, nil,
			counts{"daemon", "token", 0, 0, 0, 0}},
		{"v2 outputs and services", newest, []string{"start", "-c", td("v2/outputs-and-services.yaml")}, nil, counts{"daemon", "gitlab", 2, 1, 0, 1}},
		{"v2 join_uri is applied after the event", newest, []string{"start", "-c", td("v2/join-uri.yaml")}, nil, counts{"daemon", "", 1, 0, 0, 0}},
		{"v2 unknown keys", newest, []string{"start", "-c", td("v2/unknown-keys.yaml")}, nil, counts{"daemon", "bound_keypair", 1, 0, 0, 0}},
		{"v2 unknown type", newest, []string{"start", "-c", td("v2/service-unknown-type.yaml")}, nil, counts{"daemon", "token", 1, 0, 0, 0}},
		{"v2 kubernetes/v2", newest, []string{"start", "-c", td("v2/service-kubernetes-v2.yaml")}, nil, counts{"daemon", "token", 1, 0, 0, 0}},
		{"v2 argo-cd", newest, []string{"start", "-c", td("v2/service-kubernetes-argo-cd.yaml")}, nil, counts{"daemon", "token", 1, 0, 0, 0}},
		{"v2 app proxy", newest, []string{"start", "-c", td("v2/service-application-proxy.yaml")}, nil, counts{"daemon", "token", 1, 0, 0, 0}},
		{"v2 db tunnel", newest, []string{"start", "-c", td("v2/service-database-tunnel.yaml")}, nil, counts{"daemon", "token", 1, 0, 0, 0}},
		{"README: -c with --oneshot", newest, []string{"start", "-c", td("v2/empty-lists.yaml"), "--oneshot"}, nil, counts{"one-shot", "azure_devops", 0, 0, 0, 0}},
		{"README: identity mode, flags only", newest, []string{"start", "identity", "--destination=./out", "--join-method=github"}, nil, counts{"daemon", "github", 1, 0, 0, 0}},
		{"README: -d before start", v17, []string{"-d", "start", "--config=" + td("v1/app.yaml")}, nil, counts{"daemon", "github", 0, 0, 0, 1}},
		{"--no-oneshot over the file", newest, []string{"start", "-c", td("v2/oneshot-daemon-flag.yaml"), "--no-oneshot"}, nil, counts{"daemon", "token", 1, 0, 0, 0}},
		{"--no-oneshot does not win in tbot 17", v17, []string{"start", "-c", td("v2/oneshot-daemon-flag.yaml"), "--no-oneshot"}, nil, counts{"one-shot", "token", 1, 0, 0, 0}},
		{"flags over file: mode appends", newest, []string{"start", "k8s", "--destination", "./kube", "--kubernetes-cluster", "prod", "-c", td("v2/outputs-and-services.yaml")}, nil,
			counts{"daemon", "gitlab", 2, 1, 1, 1}},
		{"flags over file: token replaces onboarding", newest, []string{"start", "-c", td("v2/outputs-and-services.yaml"), "--token", "abc"}, nil,
			counts{"daemon", "", 2, 1, 0, 1}},
		{"TELEPORT_BOT_TOKEN replaces onboarding", v17, []string{"start", "-c", td("v1/app.yaml")}, config.Env{"TELEPORT_BOT_TOKEN": "abc"},
			counts{"daemon", "", 0, 0, 0, 1}},
		{"TELEPORT_BOT_TOKEN gives token in tbot 13", "13.1.3", []string{"start", "-c", td("v1/database.yaml")}, config.Env{"TELEPORT_BOT_TOKEN": "abc"},
			counts{"daemon", "token", 0, 1, 0, 0}},
		{"destination-dir keeps outputs", newest, []string{"start", "-c", td("v2/outputs-and-services.yaml"), "--destination-dir", "/opt/out"}, nil,
			counts{"daemon", "gitlab", 1, 1, 0, 1}},
		{"TBOT_CONFIG_PATH", newest, []string{"start"}, config.Env{"TBOT_CONFIG_PATH": td("v2/outputs-actions-auth.yaml")}, counts{"one-shot", "github", 1, 0, 1, 0}},
		{"TBOT_CONFIG_PATH is not read by tbot 15", "15.0.0-dev", []string{"start"}, config.Env{"TBOT_CONFIG_PATH": td("v2/outputs-actions-auth.yaml")}, counts{"daemon", "", 0, 0, 0, 0}},
		{"TBOT_CONFIG", newest, []string{"start", "--oneshot"}, config.Env{"TBOT_CONFIG": b64([]byte("version: v2\nservices: [{type: application-tunnel, listen: 'tcp://127.0.0.1:8443', app_name: grafana}]\n"))},
			counts{"one-shot", "", 1, 0, 0, 0}},
		{"join uri flag", newest, []string{"start", "db-tunnel", "--listen", "tcp://127.0.0.1:5432", "--service", "pg", "--username", "bot", "--database", "app", "--join-uri", "tbot+proxy+generic-oidc://bot@example.com:443"}, nil,
			counts{"daemon", "", 1, 0, 0, 0}},
		{"unknown flags and mode", newest, []string{"start", "future-mode", "--future-flag", "x", "--oneshot"}, nil, counts{"one-shot", "", 1, 0, 0, 0}},
		{"noop", newest, []string{"start", "noop", "--join-method", "tpm"}, nil, counts{"daemon", "tpm", 0, 0, 0, 0}},
		{"workload identity api", newest, []string{"start", "workload-identity-api", "--listen", "unix:///x", "--name-selector", "n"}, nil,
			counts{"daemon", "", 1, 0, 0, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sys := newTestSystem(t, tt.env)
			ev, code := dryRunEventOf(t, sys, tt.version, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d, stderr:\n%s", code, sys.err)
			}
			want := event.PostHog{Event: "tbot.start", DistinctID: testsupport.ID, Timestamp: "2026-11-26T06:00:00.123Z",
				Properties: tt.want.properties(tt.version)}
			if ev != want {
				t.Errorf("got  %+v\nwant %+v\nstderr:\n%s", ev, want, sys.err)
			}
		})
	}
}

func TestDryRunHelper(t *testing.T) {
	sys := newTestSystem(t, config.Env{"_TBOT_TELEMETRY_HELPER": "gha:teleport-actions/auth", "_TBOT_TELEMETRY_HELPER_VERSION": "2.1.2"})
	ev, _ := dryRunEvent(t, sys, "start", "-c", repoFile("testdata", "v2", "outputs-actions-auth.yaml"))
	if ev.Properties.Helper != "gha:teleport-actions/auth" || ev.Properties.HelperVersion != "2.1.2" {
		t.Errorf("helper %q %q", ev.Properties.Helper, ev.Properties.HelperVersion)
	}
}

// What tbot refuses prints no event and one warning, and exits 0 (1 with
// --strict), so that it never stops tbot from starting.
func TestDryRunRefusals(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  config.Env
		want string
	}{
		{"unknown version", []string{"start", "-c", repoFile("testdata", "bad", "unknown-version.yaml")}, nil, "unrecognized config version"},
		{"missing file", []string{"start", "-c", "/nonexistent/tbot.yaml"}, nil, "config file does not exist"},
		{"flag without value", []string{"start", "--join-method"}, nil, "flag --join-method is missing its value"},
		{"-c with TBOT_CONFIG", []string{"start", "-c", "x"}, config.Env{"TBOT_CONFIG": "eA=="}, "cannot specify both config and config-string"},
		{"bad base64", []string{"start"}, config.Env{"TBOT_CONFIG": "!!"}, "not valid base64"},
		{"bad join method", []string{"start", "--join-method", "Not A Method"}, nil, "not one that any tbot release accepts"},
	}
	for _, tt := range tests {
		for _, strict := range []bool{false, true} {
			sys := newTestSystem(t, tt.env)
			args := []string{"report", "--dry-run", "--tbot-version", "19.1.0"}
			if strict {
				args = append(args, "--strict")
			}
			code := sys.run(t, append(append(args, "--"), tt.args...)...)
			wantCode := 0
			if strict {
				wantCode = 1
			}
			if code != wantCode {
				t.Errorf("%s (strict %v): exit %d, want %d", tt.name, strict, code, wantCode)
			}
			if sys.out.Len() != 0 {
				t.Errorf("%s: printed an event: %s", tt.name, sys.out)
			}
			warnings := countTextLevel(t, sys.err.String(), "WARN")
			if warnings != 1 || !strings.Contains(sys.err.String(), tt.want) {
				t.Errorf("%s: want one warning containing %q, got:\n%s", tt.name, tt.want, sys.err)
			}
		}
	}
}

func TestNonStartSendsNothing(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"configure", "identity"}, {"init", "--destination-dir", "x"}, {"start", "--help"}} {
		sys := newTestSystem(t, nil)
		code := sys.run(t, append([]string{"report", "--dry-run", "--debug", "--"}, args...)...)
		if code != 0 || sys.out.Len() != 0 {
			t.Errorf("%q: exit %d, stdout %q", args, code, sys.out)
		}
		if !strings.Contains(sys.err.String(), "Not a tbot start") {
			t.Errorf("%q: no debug line saying so:\n%s", args, sys.err)
		}
	}
}

// Logging follows tbot's own flags unless told otherwise, and says at info
// level that this is a dry run (whether telemetry is enabled changes
// nothing then).
func TestLogging(t *testing.T) {
	sys := newTestSystem(t, config.Env{"TELEPORT_ANONYMOUS_TELEMETRY": "1"})
	dryRunEvent(t, sys, "start", "--log-format", "json", "-d", "--future-flag")
	var first map[string]any
	line, _, _ := strings.Cut(sys.err.String(), "\n")
	if err := json.Unmarshal([]byte(line), &first); err != nil {
		t.Fatalf("want JSON logs (tbot's --log-format json), got %q", line)
	}
	if first["message"] != dryRunMessage {
		t.Errorf("first line %v", first)
	}
	if !strings.Contains(sys.err.String(), `"level":"debug"`) || !strings.Contains(sys.err.String(), "--future-flag") {
		t.Errorf("want debug lines (tbot's -d) naming the passed-over flag:\n%s", sys.err)
	}

	sys = newTestSystem(t, nil)
	dryRunEvent(t, sys, "start")
	if lines := textLines(t, sys.err.String()); len(lines) == 0 || lines[0].Rest != dryRunMessage ||
		countTextLevel(t, sys.err.String(), "DEBU") != 0 {
		t.Errorf("want text logs at info level by default: %s", sys.err)
	}
	sys = newTestSystem(t, nil)
	sys.run(t, "report", "--dry-run", "--log-format", "text", "--", "start", "--log-format", "json")
	if len(textLines(t, sys.err.String())) == 0 {
		t.Errorf("--log-format text must win over tbot's json: %s", sys.err)
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args []string
		code int
		out  string // in stdout
		err  string // the one error line's message and attributes, in full
	}{
		{[]string{"report", "--timeout", "soon", "--", "start"}, 2, "",
			"--timeout is not a duration. flag:--timeout value:soon hint:a duration such as 3s or 500ms"},
		{[]string{"report", "--timeout", "0", "--", "start"}, 2, "",
			"--timeout must be above zero. flag:--timeout value:0 hint:a duration such as 3s or 500ms"},
		{[]string{"report", "--timeout", "-1s", "--", "start"}, 2, "",
			"--timeout must be above zero. flag:--timeout value:-1s hint:a duration such as 3s or 500ms"},
		{[]string{"report", "--timeout"}, 2, "", "--timeout needs a value. flag:--timeout"},
		{[]string{"report", "--tbot-version", "not a version!", "--", "start"}, 2, "",
			"--tbot-version is not a version. flag:--tbot-version value:not a version! hint:X.Y.Z or X.Y.Z-pre, as tbot version prints it (17.4.2)"},
		{[]string{"report", "--log-format", "xml", "--", "start"}, 2, "", "--log-format must be text or json. flag:--log-format value:xml"},
		// A bare HOST:PORT is a misuse with a hint, not a send that fails;
		// the address itself is not repeated.
		{[]string{"report", "--endpoint", "127.0.0.1:18080", "--", "start"}, 2, "",
			"--endpoint must be an http:// or https:// URL. flag:--endpoint hint:a bare HOST:PORT needs its scheme, as in http://127.0.0.1:8080"},
		{[]string{"report", "--endpoint=localhost:8080", "--", "start"}, 2, "",
			"--endpoint must be an http:// or https:// URL. flag:--endpoint hint:a bare HOST:PORT needs its scheme, as in http://127.0.0.1:8080"},
		{[]string{"report", "--endpoint", "ftp://example.com", "--", "start"}, 2, "",
			"--endpoint must be an http:// or https:// URL. flag:--endpoint hint:a bare HOST:PORT needs its scheme, as in http://127.0.0.1:8080"},
		{[]string{"report", "--dry-run", "--tbot-version", "17.4.2", "--endpoint", "HTTP://127.0.0.1:1", "--", "start"}, 0, `"tbot.version":"17.4.2"`, ""},
		{[]string{"report", "--pid", "abc"}, 2, "", "--pid is not a process ID. flag:--pid value:abc hint:a number above zero, such as systemd's $MAINPID"},
		{[]string{"report", "--pid", "0"}, 2, "", "--pid is not a process ID. flag:--pid value:0 hint:a number above zero, such as systemd's $MAINPID"},
		{[]string{"report", "--pid"}, 2, "", "--pid needs a value. flag:--pid"},
		{[]string{"report", "--pid", "1", "--", "start", "-c", "/etc/tbot.yaml"}, 2, "",
			"--pid reads tbot's arguments from the process; give no tbot arguments with it. flag:--pid"},
		{[]string{"report", "--pid", "1", "--tbot-path", "/usr/local/bin/tbot"}, 2, "",
			"--tbot-path does not go with --pid, which asks the process's own binary for its version. flag:--tbot-path"},
		// A long value is cut to its first 64 bytes: one line stays short.
		{[]string{"report", "--log-format", strings.Repeat("x", 65), "--", "start"}, 2, "",
			"--log-format must be text or json. flag:--log-format value:" + strings.Repeat("x", 64) + "…"},
		{[]string{"report", "--log-format", strings.Repeat("y", 64), "--", "start"}, 2, "",
			"--log-format must be text or json. flag:--log-format value:" + strings.Repeat("y", 64)},
		{[]string{"report", "--dryrun", "start"}, 2, "",
			"Unknown flag --dryrun. flag:--dryrun hint:tbot-telemetry report --help lists this program's flags; tbot's own arguments go after --"},
		{[]string{"collect", "--dry-run"}, 2, "", "Unknown flag --dry-run. flag:--dry-run hint:tbot-telemetry collect --help lists its flags"},
		{[]string{"bogus"}, 2, "", "Unknown command bogus. hint:commands: report, exec, collect, version"},
		{[]string{"exec", "--"}, 2, "", "exec needs PROGRAM. hint:tbot-telemetry exec [FLAGS] -- PROGRAM [ARGS...]"},
		{[]string{"--help"}, 0, "report", ""},
		{[]string{"report", "--help"}, 0, "--tbot-version", ""},
		{[]string{"version"}, 0, "tbot-telemetry dev git:unknown go1.26.0 linux/amd64\n", ""},
		{[]string{"--version"}, 0, "tbot-telemetry dev git:unknown go1.26.0 linux/amd64\n", ""},
		{[]string{"report", "--tbot-version", "v17.4.2-rc.1", "--dry-run"}, 0, "", ""},
	}
	for _, tt := range tests {
		sys := newTestSystem(t, nil)
		code := sys.run(t, tt.args...)
		if code != tt.code || !strings.Contains(sys.out.String(), tt.out) {
			t.Errorf("%q: exit %d (want %d)\nstdout: %s\nstderr: %s", tt.args, code, tt.code, sys.out, sys.err)
		}
		if tt.err == "" {
			continue
		}
		lines := textLines(t, sys.err.String())
		if len(lines) != 1 || lines[0].Level != "ERRO" || lines[0].Rest != tt.err {
			t.Errorf("%q: want one error line %q, got:\n%s", tt.args, tt.err, sys.err)
		}
	}
}

// Usage errors come in the log format the arguments ask for.
func TestUsageErrorInJSON(t *testing.T) {
	sys := newTestSystem(t, nil)
	if code := sys.run(t, "report", "--log-format", "json", "--timeout", "0s", "--", "start"); code != 2 {
		t.Fatalf("exit %d", code)
	}
	lines := testsupport.LogLines(t, sys.err.String())
	if len(lines) != 1 || lines[0]["level"] != "error" || lines[0]["flag"] != "--timeout" || lines[0]["component"] != "tbot-telemetry" {
		t.Errorf("want one JSON error line naming --timeout, got:\n%s", sys.err)
	}
}

// --version says what version says; --help names what a user must know.
func TestHelpAndVersion(t *testing.T) {
	version, long := newTestSystem(t, nil), newTestSystem(t, nil)
	version.run(t, "version")
	long.run(t, "--version")
	if version.out.String() != long.out.String() || version.out.Len() == 0 {
		t.Errorf("version %q, --version %q", version.out, long.out)
	}
	help := newTestSystem(t, nil)
	help.run(t, "--help")
	for _, want := range []string{"TELEPORT_ANONYMOUS_TELEMETRY", "DO_NOT_TRACK", "after --", "--log-format text", "json",
		"Exit status", "2 for a misuse", "128+N", "127", "126", "]version"} {
		if !strings.Contains(help.out.String(), want) {
			t.Errorf("--help does not say %q:\n%s", want, help.out)
		}
	}
}

// report's and exec's --help list the flags README.md gives ("Flags of
// report and exec"), written out here, and so does their one table
// (package ownflags), from which main registers them and the before-main
// path reads exec's: those with a value as such, the booleans with their
// --no- form, the defaults as README.md states them, and the endpoint's
// help naming what report falls back to.
func TestOwnFlagsAreTheTablesFlags(t *testing.T) {
	flag := regexp.MustCompile(`(?m)^\s+--(\[no-\])?([a-z-]+)(=("[^"]*")?)?`)
	shared := []string{"dry-run=", "timeout=3s", "endpoint=", "tbot-version=", "log-format=", "[no-]debug", "[no-]strict"}
	for command, want := range map[ownflags.Command][]string{
		ownflags.Report: append(slices.Clone(shared), "tbot-path=tbot", "pid="),
		ownflags.Exec:   append(slices.Clone(shared), "[no-]keep-child-telemetry"),
	} {
		want[0] = "[no-]dry-run"
		name := map[ownflags.Command]string{ownflags.Report: "report", ownflags.Exec: "exec"}[command]
		sys := newTestSystem(t, nil)
		sys.run(t, name, "--help")
		var help, table []string
		for _, m := range flag.FindAllStringSubmatch(sys.out.String(), -1) {
			if m[2] != "help" && m[2] != "help-man" && m[2] != "version" { // kingpin's own
				help = append(help, m[1]+m[2]+m[3][:min(1, len(m[3]))]+strings.Trim(m[4], `"`))
			}
		}
		for _, f := range ownflags.Of(command) {
			if f.TakesValue {
				table = append(table, f.Name+"="+f.Default)
			} else {
				table = append(table, "[no-]"+f.Name)
			}
		}
		if !slices.Equal(help, want) || !slices.Equal(table, want) {
			t.Errorf("%s's flags:\nhelp  %q\ntable %q\nwant  %q", name, help, table, want)
		}
		for _, s := range []string{report.DefaultEndpoint, report.EnvAddress} {
			if !strings.Contains(strings.Join(strings.Fields(sys.out.String()), " "), s) {
				t.Errorf("%s --help does not name %s:\n%s", name, s, sys.out.String())
			}
		}
	}
}

// kingpin writes completions to the process's stdout, so they are checked on
// the built binary.
func TestBinaryCompletion(t *testing.T) {
	bin := buildBinary(t)
	for args, want := range map[string]string{"--completion-bash re": "report", "--completion-script-bash": "complete -F"} {
		out, err := exec.Command(bin, strings.Fields(args)...).Output()
		if err != nil || !strings.Contains(string(out), want) {
			t.Errorf("%s: %v, output %q", args, err, out)
		}
	}
}

// tbot's version is asked of tbot, in both output forms, Enterprise too.
func TestVersionProbe(t *testing.T) {
	dir := t.TempDir()
	for name, output := range map[string]string{
		"oss":        "Teleport v17.4.2 git:v17.4.2-0-gabc1234 go1.23.5",
		"enterprise": "Teleport Enterprise v16.1.0 git:v16.1.0-0-gdef go1.22.3",
		"old":        "Teleport v12.1.5 git:api/v12.1.5-0-g1234567",
		"garbage":    "command not found: version",
	} {
		script := filepath.Join(dir, name)
		if err := os.WriteFile(script, []byte("#!/bin/sh\n[ \"$1\" = version ] && echo '"+output+"'\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]string{"oss": "17.4.2", "enterprise": "16.1.0", "old": "12.1.5", "garbage": "", "absent": ""} {
		sys := newTestSystem(t, config.Env{"PATH": dir})
		sys.run(t, "report", "--dry-run", "--tbot-path", name, "--", "start")
		var ev event.PostHog
		if err := json.Unmarshal(sys.out.Bytes(), &ev); err != nil {
			t.Fatalf("%s: %v: %s", name, err, sys.out)
		}
		if ev.Properties.Version != want {
			t.Errorf("%s: version %q, want %q", name, ev.Properties.Version, want)
		}
	}
}

// The built binary, run as a user would from the README.
func TestBinaryDryRun(t *testing.T) {
	bin := buildBinary(t)
	cmd := exec.Command(bin, "report", "--dry-run", "--tbot-version", "17.4.2", "--",
		"start", "-c", repoFile("testdata", "v1", "teleport-actions-oneshot.yaml"))
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	var ev event.PostHog
	if err := json.Unmarshal(out, &ev); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	want := counts{"one-shot", "github", 1, 0, 1, 1}.properties("17.4.2")
	if ev.Properties != want || ev.Event != "tbot.start" || len(ev.DistinctID) != 36 {
		t.Errorf("got %+v", ev)
	}
	// The event it prints, and not "not enabled" beside it.
	if !strings.Contains(stderr.String(), dryRunMessage) || strings.Contains(stderr.String(), "Anonymous telemetry is") {
		t.Errorf("stderr: %s", stderr.String())
	}
}

// An argument starting with @ is never expanded from a file, in this
// program's own flags or in tbot's.
// tbot's @FILE arguments are read as tbot's parser reads them; this
// program's own flags never read a file.
func TestArgFiles(t *testing.T) {
	dir := t.TempDir()
	version := writeFile(t, filepath.Join(dir, "version"), "13.1.3\n", 0o600)
	tbotArgs := writeFile(t, filepath.Join(dir, "tbot-args"), "# tbot's own arguments\n--join-method\n\ngithub\n@"+
		filepath.Join(dir, "more-args")+"\n", 0o600)
	writeFile(t, filepath.Join(dir, "more-args"), "--oneshot\n", 0o600)

	// Read as a file, @version would be a good version; it is not one.
	sys := newTestSystem(t, nil)
	if code := sys.run(t, "report", "--dry-run", "--tbot-version", "@"+version, "--", "start"); code != 2 || sys.out.Len() != 0 {
		t.Errorf("--tbot-version @FILE: exit %d (want 2, not a version), stdout %q", code, sys.out)
	}

	sys = newTestSystem(t, nil)
	code := sys.run(t, "report", "--dry-run", "--tbot-version", "19.1.0", "--", "start", "identity", "--destination", "x", "@"+tbotArgs)
	var ev event.PostHog
	if err := json.Unmarshal(sys.out.Bytes(), &ev); code != 0 || err != nil {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, sys.out, sys.err)
	}
	if ev.Properties.JoinType != "github" || ev.Properties.RunMode != "one-shot" {
		t.Errorf("tbot's @file arguments were not read as tbot reads them: %+v", ev.Properties)
	}

	// One that names itself never ends for tbot, which never starts.
	loop := filepath.Join(dir, "loop")
	writeFile(t, loop, "@"+loop+"\n", 0o600)
	sys = newTestSystem(t, nil)
	sys.run(t, "report", "--dry-run", "--tbot-version", "19.1.0", "--", "start", "@"+loop)
	if sys.out.Len() != 0 || !strings.Contains(sys.err.String(), "nests too deep") {
		t.Errorf("stdout %q, stderr:\n%s", sys.out, sys.err)
	}
}
