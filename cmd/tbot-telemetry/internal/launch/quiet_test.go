package launch

import (
	"slices"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/optin"
)

func TestQuietExecTakesOnlyWhatMainWouldDoTheSame(t *testing.T) {
	off := map[string]string{}
	for _, tt := range []struct {
		name     string
		args     []string
		env      map[string]string
		wantArgv []string // nil: left to main
	}{
		{"exec --", []string{"exec", "--", "tbot", "start", "-c", "/etc/tbot.yaml"}, off, []string{"tbot", "start", "-c", "/etc/tbot.yaml"}},
		{"exec without --", []string{"exec", "tbot", "start"}, off, []string{"tbot", "start"}},
		{"DO_NOT_TRACK wins", []string{"exec", "--", "tbot"}, map[string]string{"TELEPORT_ANONYMOUS_TELEMETRY": "1", "DO_NOT_TRACK": "1"}, []string{"tbot"}},
		{"tbot's -- ends its flags", []string{"exec", "--", "tbot", "start", "--", "-d"}, off, []string{"tbot", "start", "--", "-d"}},
		{"telemetry on", []string{"exec", "--", "tbot", "start"}, map[string]string{"TELEPORT_ANONYMOUS_TELEMETRY": "true"}, nil},
		{"an own flag", []string{"exec", "--dry-run", "--", "tbot", "start"}, off, nil},
		{"an own flag without --", []string{"exec", "--timeout=1s", "tbot"}, off, nil},
		{"no PROGRAM", []string{"exec", "--"}, off, nil},
		{"nothing", []string{"exec"}, off, nil},
		{"empty PROGRAM", []string{"exec", "--", ""}, off, nil},
		{"a global flag first", []string{"--help", "exec", "--", "tbot"}, off, nil},
		{"report", []string{"report", "--", "start"}, off, nil},
		{"tbot's -d", []string{"exec", "--", "tbot", "-d", "start"}, off, nil},
		{"tbot's --debug", []string{"exec", "--", "tbot", "start", "--debug"}, off, nil},
		{"tbot's --no-debug", []string{"exec", "--", "tbot", "start", "--no-debug"}, off, nil},
		{"tbot's --log-format", []string{"exec", "--", "tbot", "--log-format", "json", "start"}, off, nil},
		{"tbot's --log-format=", []string{"exec", "--", "tbot", "start", "--log-format=json"}, off, nil},
		{"TBOT_DEBUG", []string{"exec", "--", "tbot", "start"}, map[string]string{"TBOT_DEBUG": "1"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			q, ok := QuietExec(tt.args, func(k string) string { return tt.env[k] })
			if ok != (tt.wantArgv != nil) || !slices.Equal(q.Argv, tt.wantArgv) {
				t.Errorf("QuietExec(%q) = %q, %v; want %q", tt.args, q.Argv, ok, tt.wantArgv)
			}
			if ok && q.Decision.Enabled {
				t.Errorf("quiet path taken with telemetry enabled")
			}
		})
	}
}

func TestOffLineIsSlogsTextLine(t *testing.T) {
	at := time.Date(2026, 11, 26, 6, 0, 0, 123_987_000, time.UTC)
	got := string(offLine(at, optin.Decision{Reason: "DO_NOT_TRACK is set"}))
	want := `time=2026-11-26T06:00:00.123Z level=INFO msg="Anonymous telemetry is not enabled. Find out more about anonymous telemetry at ` +
		optin.DocsURL + `" reason="DO_NOT_TRACK is set"` + "\n"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
