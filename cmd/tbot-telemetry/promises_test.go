package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/event"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// Promises that README.md makes to users, each checked through the built
// binary with the figures written out as README.md states them, never
// taken from the constants that implement them: a test that sizes its
// input from the code's own constant passes whatever the constant says.

// sendConfigEvent is what --dry-run prints for sendConfig started as a
// daemon.
// (kubernetes/v2 and ssh-multiplexer count as other, as tbot 17 counts them.)
var sendConfigEvent = counts{"daemon", "gitlab", 2, 1, 0, 1}.properties("17.4.2")

// dryRunLine parses the one event line that --dry-run prints.
func dryRunLine(t *testing.T, stdout string) event.PostHog {
	t.Helper()
	var ev event.PostHog
	if strings.Count(stdout, "\n") != 1 {
		t.Fatalf("want exactly one line on stdout, got %q", stdout)
	}
	if err := json.Unmarshal([]byte(stdout), &ev); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	return ev
}

// paddedConfig writes sendConfig followed by YAML comment lines so that the
// file is exactly size bytes.
func paddedConfig(t *testing.T, size int) string {
	t.Helper()
	var b strings.Builder
	b.Grow(size)
	b.WriteString(sendConfig)
	line := "#" + strings.Repeat("x", 78) + "\n"
	for b.Len()+len(line) <= size {
		b.WriteString(line)
	}
	if left := size - b.Len(); left > 0 {
		b.WriteString("#" + strings.Repeat("x", left-1))
	}
	path := filepath.Join(t.TempDir(), "tbot.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(path); err != nil || info.Size() != int64(size) {
		t.Fatalf("padded file: %v, %v", info, err)
	}
	return path
}

// README.md, "When the input is bad": a file over 4 MiB is refused with one
// warning; a file of exactly 4 MiB is read like any other.
func TestPromiseFileOf4MiB(t *testing.T) {
	const mib = 1024 * 1024
	env := config.Env{"PATH": "/usr/bin:/bin"}
	args := func(path string) []string {
		return []string{"report", "--dry-run", "--strict", "--tbot-version", "17.4.2", "--log-format", "json", "--", "start", "-c", path}
	}

	run := runBinary(t, env, args(paddedConfig(t, 4*mib))...)
	if run.Code != 0 {
		t.Fatalf("exactly 4 MiB: exit %d, want 0; stderr:\n%s", run.Code, run.Stderr)
	}
	if ev := dryRunLine(t, run.Stdout); ev.Properties != sendConfigEvent {
		t.Errorf("exactly 4 MiB: properties %+v, want %+v", ev.Properties, sendConfigEvent)
	}

	run = runBinary(t, env, args(paddedConfig(t, 4*mib+1))...)
	if run.Code != 1 || run.Stdout != "" {
		t.Errorf("4 MiB + 1 byte: exit %d (want 1 under --strict), stdout %q", run.Code, run.Stdout)
	}
	warnings := linesAt(testsupport.LogLines(t, run.Stderr), "warning")
	if len(warnings) != 1 || !strings.Contains(warnings[0]["reason"].(string), "4 MiB") {
		t.Errorf("4 MiB + 1 byte: want one warning that names the 4 MiB limit, got:\n%s", run.Stderr)
	}
}

// README.md, "Flags of report and exec": the endpoint is --endpoint, else
// $TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS, else the default. Each receiver
// plays each part once, so that neither "the first one started" nor "the
// last one named" can pass for the rule.
func TestPromiseEndpointPrecedence(t *testing.T) {
	a, b := testsupport.StartService(t), testsupport.StartService(t)
	cfg := writeFile(t, filepath.Join(t.TempDir(), "tbot.yaml"), sendConfig, 0o600)
	closedProxy := testsupport.ClosedPortURL(t)
	tests := []struct {
		name          string
		flag, address *testsupport.Service
		want          *testsupport.Service
	}{
		{"--endpoint a over the variable's b", a, b, a},
		{"--endpoint b over the variable's a", b, a, b},
		{"the variable's a over the default", nil, a, a},
		{"the variable's b over the default", nil, b, b},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.Reset()
			b.Reset()
			// Should the default ever win, it goes to a closed loopback
			// proxy rather than to tbot's real endpoint (loopback
			// receivers are never proxied).
			env := config.Env{"TELEPORT_ANONYMOUS_TELEMETRY": "1", "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS": tt.address.URL,
				"HTTPS_PROXY": closedProxy}
			args := []string{"report", "--strict", "--tbot-version", "17.4.2"}
			if tt.flag != nil {
				args = append(args, "--endpoint", tt.flag.URL)
			}
			run := runBinary(t, env, append(args, "--", "start", "-c", cfg)...)
			if run.Code != 0 {
				t.Fatalf("exit %d; stderr:\n%s", run.Code, run.Stderr)
			}
			other := a
			if tt.want == a {
				other = b
			}
			if got := len(tt.want.Events()); got != 1 {
				t.Errorf("the receiver that should win got %d events, want 1", got)
			}
			if got := len(other.Events()); got != 0 {
				t.Errorf("the receiver that should lose got %d events, want 0", got)
			}
		})
	}
}

// README.md: one deadline, 3 s by default, over everything. Against an
// endpoint that accepts and never answers, report gives up after about
// 3 s: the window is wide, for this checks the promise, not the speed.
func TestPromiseDefaultDeadline(t *testing.T) {
	t.Parallel() // 3 s of waiting, beside the other tests
	silent := testsupport.StartSilentEndpoint(t)
	cfg := writeFile(t, filepath.Join(t.TempDir(), "tbot.yaml"), sendConfig, 0o600)
	run := runBinary(t, config.Env{"TELEPORT_ANONYMOUS_TELEMETRY": "1"},
		"report", "--endpoint", silent.URL, "--tbot-version", "17.4.2", "--log-format", "json", "--", "start", "-c", cfg)
	if run.Code != 0 {
		t.Errorf("exit %d, want 0", run.Code)
	}
	if silent.Connections() == 0 {
		t.Error("the endpoint was never reached")
	}
	warnings := linesAt(testsupport.LogLines(t, run.Stderr), "warning")
	if len(warnings) != 1 || warnings[0]["error"] != "deadline_exceeded: no answer within the deadline" {
		t.Errorf("want one deadline warning, got:\n%s", run.Stderr)
	}
	if run.Elapsed < 2500*time.Millisecond || run.Elapsed > 6*time.Second {
		t.Errorf("report returned after %v; the default deadline is 3s", run.Elapsed)
	}
}

// README.md, "Commands": tbot's arguments may follow report without a --
// when they open with one of tbot's global flags, as in
// `report -c FILE start`.
func TestPromiseReportWithoutDoubleDash(t *testing.T) {
	cfg := writeFile(t, filepath.Join(t.TempDir(), "tbot.yaml"), sendConfig, 0o600)
	for _, tt := range []struct {
		name     string
		tbotArgs []string
	}{
		{"-c FILE start", []string{"-c", cfg, "start"}},
		{"--config FILE start", []string{"--config", cfg, "start"}},
		{"--config=FILE start", []string{"--config=" + cfg, "start"}},
		{"-d -c FILE start", []string{"-d", "-c", cfg, "start"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			run := runBinary(t, config.Env{"PATH": "/usr/bin:/bin"},
				append([]string{"report", "--dry-run", "--strict", "--tbot-version", "17.4.2"}, tt.tbotArgs...)...)
			if run.Code != 0 {
				t.Fatalf("exit %d, want 0; stderr:\n%s", run.Code, run.Stderr)
			}
			if ev := dryRunLine(t, run.Stdout); ev.Properties != sendConfigEvent {
				t.Errorf("properties %+v, want %+v (the file's)", ev.Properties, sendConfigEvent)
			}
		})
	}
}
