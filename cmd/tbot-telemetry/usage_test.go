package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// A misuse of exec's own flags is said, and PROGRAM still runs: without
// telemetry (so with its own setting), and exec exits with its status.
func TestExecMisuseStillRunsProgram(t *testing.T) {
	dir := t.TempDir()
	record := filepath.Join(dir, "telemetry")
	script := `echo "${TELEPORT_ANONYMOUS_TELEMETRY-unset}" > ` + record + `; exit 3`
	for _, args := range [][]string{
		{"--timeout=0"},
		{"--timeout", "-1s"},
		{"--tbot-version", "not a version!"},
		{"--log-format", "xml"},
		{"--endpoint", "127.0.0.1:18080"},
		{"--no-such-flag"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			os.Remove(record)
			argv := append(append([]string{buildBinary(t), "exec"}, args...), "--", "sh", "-c", script)
			res := testsupport.Run(t, execBound, execEnv("TELEPORT_ANONYMOUS_TELEMETRY=1"), argv...)
			if res.Code != 3 {
				t.Errorf("exit %d, want PROGRAM's 3; stderr:\n%s", res.Code, res.Stderr)
			}
			data, err := os.ReadFile(record)
			if err != nil || strings.TrimSpace(string(data)) != "1" {
				t.Errorf("PROGRAM ran: %v, with telemetry %q; want it run with its own setting", err, data)
			}
			lines := textLines(t, res.Stderr)
			if len(lines) != 1 || lines[0].Level != "ERRO" || !strings.Contains(lines[0].Rest, "Running PROGRAM without anonymous telemetry.") {
				t.Errorf("want one error line, got:\n%s", res.Stderr)
			}
		})
	}
	// Without --, PROGRAM is not known once a flag is unknown: a misuse
	// that exits 2.
	res := testsupport.Run(t, execBound, execEnv(), buildBinary(t), "exec", "--no-such-flag", "sh", "-c", script)
	if res.Code != 2 || !strings.Contains(res.Stderr, "Unknown flag --no-such-flag.") {
		t.Errorf("exit %d, want 2; stderr:\n%s", res.Code, res.Stderr)
	}
}

// report without tbot's arguments says why nothing is sent, at info level.
func TestReportWithoutArgumentsSaysSo(t *testing.T) {
	for _, args := range [][]string{{"report"}, {"report", "--dry-run"}, {"report", "--"}} {
		sys := newTestSystem(t, config.Env{"TELEPORT_ANONYMOUS_TELEMETRY": "1"})
		if code := sys.run(t, args...); code != 0 || sys.out.Len() != 0 {
			t.Errorf("%q: exit %d, stdout %q", args, code, sys.out)
		}
		lines := textLines(t, sys.err.String())
		if len(lines) != 2 || lines[1].Level != "INFO" || !strings.HasPrefix(lines[1].Rest, "No tbot arguments given") {
			t.Errorf("%q: want the reason at info level, got:\n%s", args, sys.err)
		}
	}
}

// This program's own flag among tbot's arguments is a warning, with
// telemetry on or off (the before-main path leaves it to main).
func TestOwnFlagAfterSeparatorWarns(t *testing.T) {
	for _, env := range []string{"TELEPORT_ANONYMOUS_TELEMETRY=0", "TELEPORT_ANONYMOUS_TELEMETRY=1"} {
		res := testsupport.Run(t, execBound, execEnv(env), buildBinary(t), "report", "--", "--dry-run", "start", "--token=x", "--proxy-server=a:1")
		if res.Code != 0 || countTextLevel(t, res.Stderr, "WARN") < 1 || !strings.Contains(res.Stderr, "flag:--dry-run") {
			t.Errorf("%s: exit %d, want a warning naming --dry-run:\n%s", env, res.Code, res.Stderr)
		}
	}
	sys := newTestSystem(t, nil)
	sys.run(t, "report", "--", "start", "--", "--dry-run")
	if countTextLevel(t, sys.err.String(), "WARN") != 0 {
		t.Errorf("after tbot's own --, the flag is tbot's business:\n%s", sys.err)
	}
}

// At debug level, the telemetry line says which build wrote it.
func TestDebugLineNamesTheBuild(t *testing.T) {
	sys := newTestSystem(t, nil)
	sys.run(t, "report", "--dry-run", "--debug", "--", "start", "--token=x", "--proxy-server=a:1")
	first := textLines(t, sys.err.String())[0]
	if first.Level != "INFO" || !strings.Contains(first.Rest, " tbot_telemetry_version:dev commit:unknown modified:false go_version:go1.26.0 platform:linux/amd64") {
		t.Errorf("first line %q does not name the build", first.Rest)
	}
	sys = newTestSystem(t, nil)
	sys.run(t, "report", "--dry-run", "--", "start", "--token=x", "--proxy-server=a:1")
	if first := textLines(t, sys.err.String())[0]; strings.Contains(first.Rest, "go_version") {
		t.Errorf("at info level the line names the build: %q", first.Rest)
	}
}

// Every line any command writes on stderr is one of tbot's, in the format
// asked for (tbot's --log-format json, or ours).
func TestEveryCommandLogsInTbotsFormat(t *testing.T) {
	silent := testsupport.StartSilentEndpoint(t)
	start := []string{"start", "--token=x", "--proxy-server=a:1"}
	commands := [][]string{
		{"report", "--timeout=300ms", "--endpoint=" + silent.URL, "--tbot-version=1.2.3", "--debug"},
		{"report", "--dry-run", "--debug", "--tbot-path=/nonexistent/tbot"},
		{"report", "--timeout=0"},
		{"report", "--no-such-flag"},
		{"exec", "--timeout=300ms", "--endpoint=" + silent.URL, "--debug", "--", "no-such-tbot"},
		{"exec", "--timeout=0", "--", "no-such-tbot"},
		{"exec", "--timeout=300ms", "--endpoint=" + silent.URL, "--", "true"},
	}
	for _, env := range []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", "TELEPORT_ANONYMOUS_TELEMETRY=0"} {
		for _, format := range []string{"text", "json"} {
			for _, command := range commands {
				argv := append([]string{buildBinary(t), command[0], "--log-format=" + format}, command[1:]...)
				if command[0] == "report" {
					argv = append(argv, "--")
				}
				argv = append(argv, start...)
				res := testsupport.Run(t, execBound, execEnv(env), argv...)
				if res.Stderr == "" {
					t.Errorf("%q: no logs at all", argv[1:])
				}
				if format == "text" {
					textLines(t, res.Stderr)
					continue
				}
				for _, l := range testsupport.LogLines(t, res.Stderr) {
					for _, key := range []string{"timestamp", "level", "caller", "message", "component"} {
						if _, ok := l[key].(string); !ok {
							t.Errorf("%q: JSON line without %s: %v", argv[1:], key, l)
						}
					}
				}
			}
		}
	}
	// collect has text logs only.
	res := testsupport.Run(t, execBound, execEnv(), buildBinary(t), "collect", "--listen", "127.0.0.1")
	if len(textLines(t, res.Stderr)) != 1 {
		t.Errorf("collect: %q", res.Stderr)
	}
}
