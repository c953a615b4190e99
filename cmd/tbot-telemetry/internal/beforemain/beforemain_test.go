package beforemain

import (
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
	"github.com/tbot-telemetry/tbot-telemetry/optin"
)

func TestChooseTakesOnlyWhatMainWouldDoTheSame(t *testing.T) {
	off := map[string]string{}
	report := []string{} // a report: Invocation.Exec is nil
	for _, tt := range []struct {
		name string
		args []string
		env  map[string]string
		want []string // exec: PROGRAM and its arguments; report; nil: left to main
	}{
		{"exec --", []string{"exec", "--", "tbot", "start", "-c", "/etc/tbot.yaml"}, off, []string{"tbot", "start", "-c", "/etc/tbot.yaml"}},
		{"exec without --", []string{"exec", "tbot", "start"}, off, []string{"tbot", "start"}},
		{"exec of a name like a flag, after --", []string{"exec", "--", "-tbot"}, off, []string{"-tbot"}},
		{"DO_NOT_TRACK wins", []string{"exec", "--", "tbot"}, map[string]string{"TELEPORT_ANONYMOUS_TELEMETRY": "1", "DO_NOT_TRACK": "1"}, []string{"tbot"}},
		{"tbot's -- ends its flags", []string{"exec", "--", "tbot", "start", "--", "-d"}, off, []string{"tbot", "start", "--", "-d"}},
		{"report --", []string{"report", "--", "start", "-c", "/etc/tbot.yaml"}, off, report},
		{"report without --", []string{"report", "start", "--oneshot"}, off, report},
		{"report of nothing", []string{"report"}, off, report},
		{"exec with telemetry on", []string{"exec", "--", "tbot", "start"}, map[string]string{"TELEPORT_ANONYMOUS_TELEMETRY": "true"}, nil},
		{"report with telemetry on", []string{"report", "--", "start"}, map[string]string{"TELEPORT_ANONYMOUS_TELEMETRY": "1"}, nil},
		{"an own flag", []string{"exec", "--dry-run", "--", "tbot", "start"}, off, nil},
		{"an own flag of report", []string{"report", "--tbot-path=/opt/tbot", "start"}, off, nil},
		{"tbot's global flag before report's arguments", []string{"report", "-d", "start"}, off, nil},
		{"a short flag before exec's PROGRAM", []string{"exec", "-x", "tbot"}, off, nil},
		{"tbot's -c before report's arguments", []string{"report", "-c", "/etc/tbot.yaml", "start"}, off, nil},
		{"exec of no PROGRAM", []string{"exec", "--"}, off, nil},
		{"exec of nothing", []string{"exec"}, off, nil},
		{"exec of an empty PROGRAM", []string{"exec", "--", ""}, off, nil},
		{"exec of an empty PROGRAM without --", []string{"exec", ""}, off, nil},
		{"a global flag first", []string{"--help", "exec", "--", "tbot"}, off, nil},
		{"collect", []string{"collect"}, off, nil},
		{"version", []string{"version"}, off, nil},
		{"nothing", nil, off, nil},
		{"tbot's -d", []string{"exec", "--", "tbot", "-d", "start"}, off, nil},
		{"tbot's --debug", []string{"report", "--", "start", "--debug"}, off, nil},
		{"tbot's --no-debug", []string{"exec", "--", "tbot", "start", "--no-debug"}, off, nil},
		{"tbot's --log-format", []string{"report", "--", "--log-format", "json", "start"}, off, nil},
		{"tbot's --log-format=", []string{"exec", "--", "tbot", "start", "--log-format=json"}, off, nil},
		{"report of this program's flag after --", []string{"report", "--", "--dry-run", "start"}, off, nil},
		{"exec of this program's flag after --", []string{"exec", "--", "tbot", "start", "--timeout=1s"}, off, nil},
		{"tbot's own -- ends the search", []string{"exec", "--", "tbot", "start", "--", "--timeout=1s"}, off, []string{"tbot", "start", "--", "--timeout=1s"}},
		{"TBOT_DEBUG", []string{"report", "--", "start"}, map[string]string{"TBOT_DEBUG": "1"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := Choose(tt.args, func(k string) string { return tt.env[k] })
			if ok != (tt.want != nil) {
				t.Fatalf("Choose(%q) took it: %v, want %v", tt.args, ok, tt.want != nil)
			}
			if ok && !slices.Equal(p.Exec, tt.want) {
				t.Errorf("Choose(%q) runs %q, want %q", tt.args, p.Exec, tt.want)
			}
			if ok && p.Decision.Enabled {
				t.Errorf("a whole run before main taken with telemetry enabled")
			}
		})
	}
}

func TestOffLineIsTbotsTextLine(t *testing.T) {
	at := time.Date(2026, 11, 26, 6, 0, 0, 123_987_000, time.UTC)
	got := string(offLine(at, optin.Decision{Reason: "DO_NOT_TRACK is set"}))
	want := regexp.MustCompile(`^2026-11-26T06:00:00\.123Z INFO \[TBOT-TELE\] Anonymous telemetry is not enabled\. Find out more about anonymous telemetry at ` +
		regexp.QuoteMeta(optin.DocsURL) + ` reason:DO_NOT_TRACK is set beforemain/beforemain\.go:\d+\n$`)
	if !want.MatchString(got) {
		t.Errorf("got  %q\nwant %s", got, want)
	}
}

// A whole run before main does what main would: exec starts PROGRAM, says
// that telemetry is off and mirrors PROGRAM's status; report only says
// that telemetry is off; a PROGRAM that cannot start gets one error line
// and the shell's status.
func TestRunWhole(t *testing.T) {
	at := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	now := func() time.Time { return at }
	off := optin.Decision{Reason: "TELEPORT_ANONYMOUS_TELEMETRY is not true"}
	offLine := `^2026-11-26T06:00:00\.000Z INFO \[TBOT-TELE\] Anonymous telemetry is not enabled\. .* reason:TELEPORT_ANONYMOUS_TELEMETRY is not true beforemain/beforemain\.go:\d+\n`
	for _, tt := range []struct {
		name   string
		exec   []string
		status int
		stdout string
		stderr string // a regular expression
	}{
		{"report", nil, 0, "", offLine + `$`},
		{"exec", []string{"sh", "-c", "echo out; exit 3"}, 3, "out\n", offLine + `$`},
		{"exec, status 1", []string{"sh", "-c", "exit 1"}, 1, "", offLine + `$`},
		{"exec, killed", []string{"sh", "-c", "kill -TERM $$"}, 143, "", offLine + `$`},
		{"exec of nothing there", []string{"no-such-tbot", "start"}, 127, "",
			`^2026-11-26T06:00:00\.000Z ERRO \[TBOT-TELE\] Could not start PROGRAM\. program:no-such-tbot reason:command not found beforemain/beforemain\.go:\d+\n$`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// Locked, as main's are: the child's output is copied in from
			// goroutines (in the binary they are the process's own files).
			var stdout, stderr testsupport.LockedBuffer
			got := Invocation{Exec: tt.exec, Decision: off}.Run(nil, &stdout, &stderr, []string{"PATH=/usr/bin:/bin"}, "/usr/bin:/bin", now)
			if got != tt.status || stdout.String() != tt.stdout || !regexp.MustCompile(tt.stderr).MatchString(stderr.String()) {
				t.Errorf("status %d, stdout %q, stderr %q; want %d, %q, %s", got, stdout.String(), stderr.String(), tt.status, tt.stdout, tt.stderr)
			}
		})
	}
}
