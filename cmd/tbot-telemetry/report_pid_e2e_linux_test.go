package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// report --pid against real running processes: the Go stand-in for tbot
// (testsupport's faketbot), started as systemd would start it, and the
// built binary reading it from /proc.

// pidFakeTbot builds the Go stand-in once, beside the built binary.
var pidFakeTbot = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "tbot-telemetry-faketbot-")
	if err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return "", err
	}
	return testsupport.BuildFakeTbot(dir)
})

func fakeTbotBinary(t *testing.T) string {
	t.Helper()
	path, err := pidFakeTbot()
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// A v2 file per join method; the two tell apart which file was read.
func writeJoinFile(t *testing.T, path, joinMethod string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	content := "version: v2\nproxy_server: example.teleport.sh:443\nonboarding:\n  join_method: " + joinMethod +
		"\n  token: example-bot\nstorage:\n  type: memory\noutputs:\n  - type: identity\n    destination:\n      type: directory\n      path: ./out\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runningTbot starts the stand-in in dir with exactly env (a name given
// twice stays twice) and waits until it runs; record is what it saw.
func runningTbot(t *testing.T, dir string, env []string, args ...string) (pid int, record string) {
	t.Helper()
	record = filepath.Join(t.TempDir(), "record")
	d := testsupport.StartDaemon(t, dir, append([]string{"FAKE_TBOT_RECORD=" + record}, env...), append([]string{fakeTbotBinary(t)}, args...)...)
	d.WaitReady(t, execBound)
	return d.Process.Pid, record
}

// reportPID runs the built binary's report --pid from a directory of its
// own, with env (report's own: the opt-in and where to send).
func reportPID(t *testing.T, env []string, flags ...string) testsupport.Result {
	t.Helper()
	argv := append([]string{buildBinary(t), "report"}, flags...)
	return testsupport.Run(t, execBound, append([]string{"PATH=/usr/bin:/bin"}, env...), argv...)
}

func TestReportPIDSendsTheRunningTbotsEvent(t *testing.T) {
	c := testsupport.StartService(t)
	on := []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=" + c.URL}
	work := t.TempDir()
	writeJoinFile(t, filepath.Join(work, "conf", "kube.yaml"), "kubernetes")
	writeJoinFile(t, filepath.Join(work, "conf", "github.yaml"), "github")
	if err := os.WriteFile(filepath.Join(work, "args.txt"), []byte("@more.txt\n--oneshot\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "more.txt"), []byte("-c\nconf/github.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name     string
		tbotEnv  []string
		args     []string
		join     string
		version  string
		oneShot  bool
		wantSent bool
	}{
		// Relative -c, read from tbot's working directory; the version is
		// what tbot's own binary says, asked with tbot's environment.
		{"relative -c", []string{"FAKE_TBOT_VERSION=16.4.7"}, []string{"start", "-c", "conf/kube.yaml"}, "kubernetes", "16.4.7", false, true},
		// @file arguments, nested, relative to tbot's working directory.
		{"relative @file", nil, []string{"start", "@args.txt"}, "github", "17.4.2", true, true},
		// A name given twice: tbot, a Go program, reads the first.
		{"TBOT_CONFIG_PATH twice", []string{"TBOT_CONFIG_PATH=conf/kube.yaml", "TBOT_CONFIG_PATH=conf/github.yaml"}, []string{"start"}, "kubernetes", "17.4.2", false, true},
		{"TBOT_CONFIG_PATH twice, other order", []string{"TBOT_CONFIG_PATH=conf/github.yaml", "TBOT_CONFIG_PATH=conf/kube.yaml"}, []string{"start"}, "github", "17.4.2", false, true},
		// tbot's own opt-in, read as tbot reads it.
		{"tbot opted in", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1"}, []string{"start", "-c", "conf/kube.yaml"}, "", "", false, false},
		{"tbot opted in first", []string{"TELEPORT_ANONYMOUS_TELEMETRY=true", "TELEPORT_ANONYMOUS_TELEMETRY=0"}, []string{"start", "-c", "conf/kube.yaml"}, "", "", false, false},
		{"tbot opted out first", []string{"TELEPORT_ANONYMOUS_TELEMETRY=0", "TELEPORT_ANONYMOUS_TELEMETRY=1"}, []string{"start", "-c", "conf/kube.yaml"}, "kubernetes", "17.4.2", false, true},
		{"tbot says yes, which is no", []string{"TELEPORT_ANONYMOUS_TELEMETRY=yes"}, []string{"start", "-c", "conf/kube.yaml"}, "kubernetes", "17.4.2", false, true},
		// DO_NOT_TRACK is this program's, not tbot's: tbot still sends.
		{"tbot opted in, DO_NOT_TRACK", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", "DO_NOT_TRACK=1"}, []string{"start", "-c", "conf/kube.yaml"}, "", "", false, false},
		// tbot older than 12.1 sent nothing of its own.
		{"tbot 11 opted in", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", "FAKE_TBOT_VERSION=11.3.0"}, []string{"start", "--auth-server", "example.teleport.sh:443", "--token", "x", "--data-dir", "d", "--destination-dir", "o"}, "token", "11.3.0", false, true},
		// Not a start.
		{"not a start", nil, []string{"configure", "identity"}, "", "", false, false},
		// Bad input gets what it gets without --pid: a warning, no event.
		{"bad input: a missing file", nil, []string{"start", "-c", "conf/missing.yaml"}, "", "", false, false},
		{"bad input: both -c and TBOT_CONFIG", []string{"TBOT_CONFIG=dmVyc2lvbjogdjIK"}, []string{"start", "-c", "conf/kube.yaml"}, "", "", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c.Reset()
			pid, record := runningTbot(t, work, tt.tbotEnv, tt.args...)
			res := reportPID(t, on, "--pid", strconv.Itoa(pid))
			if res.Code != 0 {
				t.Fatalf("exit %d\n%s", res.Code, res.Stderr)
			}
			events := c.Events()
			if !tt.wantSent {
				if len(events) != 0 {
					t.Fatalf("%d events, want none\n%s", len(events), res.Stderr)
				}
				if strings.HasPrefix(tt.name, "tbot opted in") && !strings.Contains(res.Stderr, " INFO [TBOT-TELE] Not sending anonymous telemetry: this tbot sends its own start event") {
					t.Errorf("want the reason at info level:\n%s", res.Stderr)
				}
				if strings.HasPrefix(tt.name, "bad input") && !strings.Contains(res.Stderr, " WARN [TBOT-TELE] Not sending anonymous telemetry. reason:") {
					t.Errorf("want one warning that says why:\n%s", res.Stderr)
				}
				return
			}
			if len(events) != 1 {
				t.Fatalf("%d events, want one\n%s", len(events), res.Stderr)
			}
			ev := events[0].GetStart()
			if ev.GetJoinType() != tt.join || ev.GetVersion() != tt.version || (ev.GetRunMode() == 1) != tt.oneShot {
				t.Errorf("event %v, want join %q version %q one-shot %v\n%s", ev, tt.join, tt.version, tt.oneShot, res.Stderr)
			}
			if strings.HasPrefix(tt.name, "TBOT_CONFIG_PATH twice") {
				saw := testsupport.ReadFakeTbotRecord(t, record)
				want := map[string]string{"conf/kube.yaml": "kubernetes", "conf/github.yaml": "github"}[saw.Getenv["TBOT_CONFIG_PATH"]]
				if ev.GetJoinType() != want {
					t.Errorf("tbot read %q, whose join method is %q; the event says %q", saw.Getenv["TBOT_CONFIG_PATH"], want, ev.GetJoinType())
				}
			}
		})
	}
}

// Nothing is read when telemetry is off: not even whether the process
// exists.
func TestReportPIDOffReadsNothing(t *testing.T) {
	res := reportPID(t, nil, "--pid", strconv.Itoa(endedPID(t)))
	lines := textLines(t, res.Stderr)
	if res.Code != 0 || len(lines) != 1 || !strings.HasPrefix(lines[0].Rest, "Anonymous telemetry is not enabled.") {
		t.Errorf("exit %d, stderr:\n%s", res.Code, res.Stderr)
	}
}

// endedPID is the PID of a process that has ended and been reaped.
func endedPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("/bin/true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// A process that cannot be read: a warning that says why, no event, exit
// 0 (1 with --strict).
func TestReportPIDCannotRead(t *testing.T) {
	c := testsupport.StartService(t)
	on := []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=" + c.URL}
	gone := strconv.Itoa(endedPID(t))
	for _, strict := range []bool{false, true} {
		flags := []string{"--pid", gone}
		want := 0
		if strict {
			flags, want = append(flags, "--strict"), 1
		}
		res := reportPID(t, on, flags...)
		lines := textLines(t, res.Stderr)
		if res.Code != want || len(lines) != 2 || lines[1].Level != "WARN" ||
			lines[1].Rest != "Not sending anonymous telemetry: could not read the running tbot. reason:no such process (it has ended, or /proc hides it)" {
			t.Errorf("strict %v: exit %d (want %d), stderr:\n%s", strict, res.Code, want, res.Stderr)
		}
	}

	// Another user's: as root, this program runs as nobody against root's
	// tbot; otherwise against PID 1, which is root's.
	target, asNobody := 1, os.Geteuid() == 0
	if asNobody {
		target, _ = runningTbot(t, t.TempDir(), []string{"TELEPORT_BOT_TOKEN=secret-token-value"}, "start", "--token", "secret-token-value")
	}
	bin := buildBinary(t)
	if asNobody {
		bin = worldRunnableCopy(t, bin)
	}
	cmd := exec.Command(bin, "report", "--pid", strconv.Itoa(target))
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, on...)
	cmd.Dir = "/"
	if asNobody {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "WARN [TBOT-TELE] Not sending anonymous telemetry: could not read the running tbot. reason:\"not permitted to read the process (another user's, or /proc mounted with hidepid)\"") &&
		!strings.Contains(string(out), "reason:not permitted to read the process") {
		t.Errorf("as another user:\n%s", out)
	}
	if strings.Contains(string(out), "secret-token-value") || strings.Contains(string(out), strconv.Itoa(target)) {
		t.Errorf("the warning tells too much:\n%s", out)
	}
	if len(c.Events()) != 0 {
		t.Errorf("%d events", len(c.Events()))
	}
}

func worldRunnableCopy(t *testing.T, path string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tbot-telemetry-nobody-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, filepath.Base(path))
	if err := os.WriteFile(out, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return out
}

// Under systemd's Type=simple, ExecStartPost= may run while the main
// process is still the service manager's fork: report waits for the exec,
// then sends tbot's event.
func TestReportPIDWaitsForTheExec(t *testing.T) {
	c := testsupport.StartService(t)
	tbot := fakeTbotBinary(t)
	launcher := filepath.Join(t.TempDir(), "systemd-executor")
	if err := os.Link(tbot, launcher); err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	writeJoinFile(t, filepath.Join(work, "tbot.yaml"), "kubernetes")
	trigger := filepath.Join(t.TempDir(), "trigger")
	if err := syscall.Mkfifo(trigger, 0o600); err != nil {
		t.Fatal(err)
	}
	d := testsupport.StartDaemon(t, work, nil, launcher, "-launch", trigger, tbot, "start", "-c", "tbot.yaml")

	ctx, cancel := context.WithTimeout(context.Background(), execBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, buildBinary(t), "report", "--debug", "--timeout", "30s", "--pid", strconv.Itoa(d.Process.Pid))
	cmd.Env = []string{"PATH=/usr/bin:/bin", "TELEPORT_ANONYMOUS_TELEMETRY=1", "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=" + c.URL}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	lines := bufio.NewScanner(stderr)
	waiting := false
	for !waiting && lines.Scan() {
		log.WriteString(lines.Text() + "\n")
		waiting = strings.Contains(lines.Text(), "Waiting for the process to become tbot")
	}
	if !waiting {
		t.Fatalf("report never waited:\n%s", log.String())
	}
	f, err := os.OpenFile(trigger, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("exec\n")
	f.Close()
	for lines.Scan() {
		log.WriteString(lines.Text() + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if ev := c.OnlyEvent(t).GetStart(); ev.GetJoinType() != "kubernetes" || ev.GetVersion() != "17.4.2" {
		t.Errorf("event %v\n%s", ev, log.String())
	}
}

// A process that never becomes tbot: report gives up within its deadline,
// with a warning, and exits 0.
func TestReportPIDGivesUpOnAnotherProgram(t *testing.T) {
	c := testsupport.StartService(t)
	tbot := fakeTbotBinary(t)
	launcher := filepath.Join(t.TempDir(), "launcher")
	if err := os.Link(tbot, launcher); err != nil {
		t.Fatal(err)
	}
	trigger := filepath.Join(t.TempDir(), "trigger")
	if err := syscall.Mkfifo(trigger, 0o600); err != nil {
		t.Fatal(err)
	}
	d := testsupport.StartDaemon(t, t.TempDir(), nil, launcher, "-launch", trigger, tbot, "start")
	res := reportPID(t, []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=" + c.URL},
		"--timeout", "600ms", "--pid", strconv.Itoa(d.Process.Pid))
	if res.Code != 0 || !strings.Contains(res.Stderr, "could not read the running tbot. reason:\"the process is not tbot: it did not exec tbot within the deadline\"") &&
		!strings.Contains(res.Stderr, "reason:the process is not tbot") {
		t.Errorf("exit %d\n%s", res.Code, res.Stderr)
	}
	if len(c.Events()) != 0 {
		t.Errorf("%d events", len(c.Events()))
	}
}

// --dry-run prints the running tbot's event and sends nothing.
func TestReportPIDDryRun(t *testing.T) {
	work := t.TempDir()
	writeJoinFile(t, filepath.Join(work, "tbot.yaml"), "github")
	pid, _ := runningTbot(t, work, []string{"_TBOT_TELEMETRY_HELPER=gha:example/deploy", "_TBOT_TELEMETRY_HELPER_VERSION=1.0.0"}, "start", "-c", "tbot.yaml", "--oneshot")
	res := reportPID(t, nil, "--dry-run", "--pid", strconv.Itoa(pid))
	want := `"properties":{"tbot.run_mode":"one-shot","tbot.version":"17.4.2","tbot.join_type":"github","tbot.helper":"gha:example/deploy","tbot.helper_version":"1.0.0","tbot.destinations_other":1,`
	if res.Code != 0 || !strings.Contains(res.Stdout, want) {
		t.Errorf("exit %d\nstdout %s\nstderr %s", res.Code, res.Stdout, res.Stderr)
	}
}

// /proc mounted with hidepid, in a mount namespace of the test's own: as
// another user, tbot's process is invisible (hidepid=2) or unreadable
// (hidepid=1). Either way: one warning, no event, exit 0.
func TestReportPIDUnderHidepid(t *testing.T) {
	unshare, err1 := exec.LookPath("unshare")
	setpriv, err2 := exec.LookPath("setpriv")
	if os.Geteuid() != 0 || err1 != nil || err2 != nil {
		t.Skip("skipped: needs root, unshare and setpriv (util-linux) to mount /proc with hidepid in a namespace of its own")
	}
	c := testsupport.StartService(t)
	pid, _ := runningTbot(t, t.TempDir(), nil, "start")
	bin := worldRunnableCopy(t, buildBinary(t))
	for _, tt := range []struct{ hidepid, reason string }{
		{"2", "no such process (it has ended, or /proc hides it)"},
		{"1", "not permitted to read the process (another user's, or /proc mounted with hidepid)"},
	} {
		t.Run("hidepid="+tt.hidepid, func(t *testing.T) {
			script := "mount -t proc -o hidepid=" + tt.hidepid + " proc /proc && exec " + setpriv +
				" --reuid=65534 --regid=65534 --clear-groups " + bin + " report --pid " + strconv.Itoa(pid)
			res := testsupport.Run(t, execBound, []string{"PATH=/usr/bin:/bin", "TELEPORT_ANONYMOUS_TELEMETRY=1", "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=" + c.URL},
				unshare, "--mount", "--propagation", "private", "sh", "-c", script)
			if res.Code != 0 || !strings.Contains(res.Stderr, "could not read the running tbot.") || !strings.Contains(res.Stderr, tt.reason) {
				t.Errorf("exit %d\n%s", res.Code, res.Stderr)
			}
			if len(c.Events()) != 0 {
				t.Errorf("%d events", len(c.Events()))
			}
		})
	}
}
