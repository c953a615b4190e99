package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/event"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// End-to-end tests of `exec`: the built binary runs real child processes
// (shell scripts standing in for tbot), gets real signals, and reports to
// real Connect handlers on loopback.

// execBound bounds every wait in these tests, so that none can hang; it is
// far shorter than the 20s deadline the ordering tests give the send.
const execBound = 15 * time.Second

// execArgsOfStart are tbot arguments that make a start without a file.
var execArgsOfStart = []string{"start", "identity", "--destination=./out", "--join-method=github",
	"--token=bot", "--proxy-server=example.com:443", "--oneshot"}

// execProcess is a running tbot-telemetry.
type execProcess struct {
	*process
	lines chan string // its stdout, line by line; closed at EOF
}

// execStart starts the built binary with env and args; stdin may be nil.
func execStart(t *testing.T, stdin *os.File, env []string, args ...string) *execProcess {
	t.Helper()
	return execStartProgram(t, stdin, env, append([]string{buildBinary(t)}, args...)...)
}

// execStartProgram starts argv, which is to exec tbot-telemetry.
func execStartProgram(t *testing.T, stdin *os.File, env []string, argv ...string) *execProcess {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	if stdin != nil {
		cmd.Stdin = stdin
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &execProcess{
		process: &process{t: t, cmd: cmd, name: "tbot-telemetry", bound: execBound, stderr: &testsupport.LockedBuffer{}, done: make(chan struct{})},
		lines:   make(chan string, 64),
	}
	// Real files, so that the child writes to this very pipe.
	cmd.Stdout = w
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	go func() {
		defer close(p.lines)
		defer r.Close()
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
	}()
	p.watch(nil)
	return p
}

// nextLine is the next line on stdout.
func (p *execProcess) nextLine() string {
	p.t.Helper()
	select {
	case line, ok := <-p.lines:
		if !ok {
			p.t.Fatalf("stdout ended early; stderr:\n%s", p.stderr.String())
		}
		return line
	case <-time.After(execBound):
		p.t.Fatalf("no line on stdout within %v; stderr:\n%s", execBound, p.stderr.String())
		return ""
	}
}

// restOfOutput is every line still to come on stdout.
func (p *execProcess) restOfOutput() []string {
	p.t.Helper()
	var rest []string
	timeout := time.After(execBound)
	for {
		select {
		case line, ok := <-p.lines:
			if !ok {
				return rest
			}
			rest = append(rest, line)
		case <-timeout:
			p.t.Fatalf("stdout still open after %v", execBound)
		}
	}
}

// execEnv is a small, known environment: only PATH and extra.
func execEnv(extra ...string) []string {
	return append([]string{"PATH=" + os.Getenv("PATH")}, extra...)
}

// execFakeTbot writes a tbot stand-in: `version` answers as tbot does, but
// with a version that says whether the start child was already running
// (19.1.0) or not (0.0.1); anything else runs startBody.
func execFakeTbot(t *testing.T, startBody string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tbot")
	script := `#!/bin/sh
if [ "$1" = version ]; then
	for f in /proc/[0-9]*/cmdline; do
		case "$(tr '\0' ' ' < "$f" 2>/dev/null)" in
		*"$0 start"*) echo "Teleport v19.1.0 git:v19.1.0-0-g0 go1.26"; exit 0 ;;
		esac
	done
	echo "Teleport v0.0.1 git:probed-before-the-start go1.26"
	exit 0
fi
` + startBody + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// execUnrunnable writes, in a new directory, a script without the execute
// bit and an "executable" that is no program, both of which exec must
// answer with 126.
func execUnrunnable(t *testing.T) (dir, notExecutable, notAProgram string) {
	t.Helper()
	dir = t.TempDir()
	notExecutable = filepath.Join(dir, "not-executable")
	if err := os.WriteFile(notExecutable, []byte("#!/bin/sh\nexit 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	notAProgram = filepath.Join(dir, "not-a-program")
	if err := os.WriteFile(notAProgram, []byte("\x7fELF but not really\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, notExecutable, notAProgram
}

func TestExecExitStatus(t *testing.T) {
	dir, notExecutable, notAProgram := execUnrunnable(t)
	tests := []struct {
		name       string
		argv       []string
		want       int
		wantReason string // the end of the one error line for a program that never ran
		signal     syscall.Signal
	}{
		{"success", []string{"sh", "-c", "exit 0"}, 0, "", 0},
		{"failure", []string{"sh", "-c", "exit 3"}, 3, "", 0},
		{"status 1", []string{"sh", "-c", "exit 1"}, 1, "", 0},
		{"status 2", []string{"sh", "-c", "exit 2"}, 2, "", 0},
		{"the child's own 126", []string{"sh", "-c", "exit 126"}, 126, "", 0},
		{"SIGHUP", []string{"sh", "-c", "kill -HUP $$"}, 129, "", syscall.SIGHUP},
		{"SIGTERM", []string{"sh", "-c", "kill -TERM $$"}, 143, "", syscall.SIGTERM},
		{"SIGKILL", []string{"sh", "-c", "kill -KILL $$"}, 137, "", syscall.SIGKILL},
		{"not found", []string{"no-such-tbot", "start"}, 127, "command not found", 0},
		{"not found by path", []string{filepath.Join(dir, "absent"), "start"}, 127, "command not found", 0},
		{"not executable", []string{notExecutable, "start"}, 126, "cannot execute: permission denied", 0},
		{"directory", []string{dir, "start"}, 126, "cannot execute: permission denied", 0},
		{"not an executable format", []string{notAProgram, "start"}, 126, "cannot execute: not an executable format", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.signal != 0 {
				testsupport.SkipIfInheritedIgnored(t, tt.signal)
			}
			t.Parallel()
			// The send to a closed port is retried until the deadline: a
			// short one, so that exec does not wait 3 s after each child.
			p := execStart(t, nil, execEnv("TELEPORT_ANONYMOUS_TELEMETRY=1", "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS=http://127.0.0.1:9"),
				append([]string{"exec", "--timeout=300ms", "--"}, tt.argv...)...)
			if got := p.wait(); got != tt.want {
				t.Errorf("exit status %d, want %d; stderr:\n%s", got, tt.want, p.stderr.String())
			}
			if tt.wantReason != "" {
				lines := textLines(t, p.stderr.String())
				if len(lines) != 1 || lines[0].Level != "ERRO" || lines[0].Rest != "Could not start PROGRAM. program:"+tt.argv[0]+" reason:"+tt.wantReason {
					t.Errorf("stderr %q, want one error line naming %s and ending %q", p.stderr.String(), tt.argv[0], tt.wantReason)
				}
			}
		})
	}
}

// execTrapScript traps every forwarded signal (and the runtime's SIGURG),
// says which one came, and exits 42 on a forwarded one. It polls with short
// sleeps so that no process of it outlives it.
const execTrapScript = `
for sig in TERM INT HUP QUIT USR1 USR2 WINCH; do
	trap "echo got $sig; exit 42" $sig
done
trap "echo got URG" URG
echo ready
i=0
while [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done
exit 1
`

func TestExecForwardsSignals(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH} {
		name := strings.TrimPrefix(execSignalName(sig), "SIG")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testsupport.SkipIfInheritedIgnored(t, sig)
			p := execStart(t, nil, execEnv(), "exec", "--", "sh", "-c", execTrapScript)
			if line := p.nextLine(); line != "ready" {
				t.Fatalf("child said %q", line)
			}
			// The runtime's own signal goes first: it must never reach
			// the child.
			p.signal(syscall.SIGURG)
			p.signal(sig)
			if got := p.wait(); got != 42 {
				t.Errorf("exit status %d, want the child's 42; stderr:\n%s", got, p.stderr.String())
			}
			if rest := p.restOfOutput(); len(rest) != 1 || rest[0] != "got "+name {
				t.Errorf("child said %q, want only %q", rest, "got "+name)
			}
		})
	}
}

func execSignalName(sig syscall.Signal) string {
	return map[syscall.Signal]string{
		syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT", syscall.SIGHUP: "SIGHUP", syscall.SIGQUIT: "SIGQUIT",
		syscall.SIGUSR1: "SIGUSR1", syscall.SIGUSR2: "SIGUSR2", syscall.SIGWINCH: "SIGWINCH",
	}[sig]
}

// Started with SIGHUP ignored (nohup), tbot-telemetry leaves it ignored for
// itself and its child, instead of catching and relaying it.
func TestExecKeepsAnIgnoredSIGHUPIgnored(t *testing.T) {
	p := execStartProgram(t, nil, execEnv(), "/bin/sh", "-c", `trap '' HUP; exec "$0" "$@"`, buildBinary(t), "exec", "--", "sh", "-c", `
trap 'echo got TERM; exit 42' TERM
echo "ignored $(awk '/^SigIgn:/ {print $2}' /proc/$$/status)"
i=0
while [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done
exit 1`)
	var mask uint64
	if _, err := fmt.Sscanf(p.nextLine(), "ignored %x", &mask); err != nil {
		t.Fatal(err)
	}
	if mask&(1<<(syscall.SIGHUP-1)) == 0 {
		t.Errorf("child's ignored signals %#x lack SIGHUP", mask)
	}
	p.signal(syscall.SIGHUP) // ignored by tbot-telemetry: it must survive
	p.signal(syscall.SIGTERM)
	if got := p.wait(); got != 42 {
		t.Errorf("exit status %d, want the child's 42 after SIGTERM", got)
	}
}

// A child killed from outside is mirrored as 128+N.
func TestExecChildKilledBySignal(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM, syscall.SIGSEGV} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			p := execStart(t, nil, execEnv(), "exec", "--", "sh", "-c", `echo $$; exec sleep 30`)
			var pid int
			if _, err := fmt.Sscan(p.nextLine(), &pid); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Kill(pid, sig); err != nil {
				t.Fatal(err)
			}
			if got, want := p.wait(), 128+int(sig); got != want {
				t.Errorf("exit status %d, want %d", got, want)
			}
		})
	}
}

// The child runs at once, while the send to an endpoint that never answers
// is still pending; the version probe comes after the child's start. Once
// the child has ended, the unfinished send holds the exit until a second
// signal, which ends the wait long before the deadline.
func TestExecStartsTheChildBeforeTheSend(t *testing.T) {
	endpoint := testsupport.StartSilentEndpoint(t)
	tbot := execFakeTbot(t, `trap 'exit 7' TERM
echo started
i=0
while [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done
exit 1`)
	launched := time.Now()
	p := execStart(t, nil, execEnv("TELEPORT_ANONYMOUS_TELEMETRY=1"),
		append([]string{"exec", "--timeout=20s", "--endpoint=" + endpoint.URL, "--", tbot}, execArgsOfStart...)...)
	if line := p.nextLine(); line != "started" {
		t.Fatalf("child said %q", line)
	}
	// The send has begun (or is about to) and cannot have ended: the
	// endpoint never answers and the deadline is 20s away.
	for endpoint.Connections() == 0 {
		if time.Since(launched) > execBound {
			t.Fatalf("no send reached the endpoint; stderr:\n%s", p.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if p.exited() {
		t.Fatal("tbot-telemetry exited while its child ran")
	}

	p.signal(syscall.SIGTERM) // forwarded: the child exits 7
	for !p.exited() && time.Since(launched) < execBound {
		// Each one after the child's end is the second signal; the
		// process may have just exited.
		time.Sleep(100 * time.Millisecond)
		p.cmd.Process.Signal(syscall.SIGTERM)
	}
	if got := p.wait(); got != 7 {
		t.Errorf("exit status %d, want the child's 7; stderr:\n%s", got, p.stderr.String())
	}
	if elapsed := time.Since(launched); elapsed >= 20*time.Second {
		t.Errorf("exit came %v after launch: the second signal did not end the wait", elapsed)
	}
	// The signal ended the send too, and its outcome was still logged.
	if !strings.Contains(p.stderr.String(), "Failed to send anonymous telemetry.") {
		t.Errorf("the send's failure was not logged:\n%s", p.stderr.String())
	}
}

// The one deadline (--timeout) bounds what exec does for the event, the
// version probe too: a tbot whose `version` never answers holds exec, once
// the child has ended, no longer than the deadline.
func TestExecDeadlineBoundsTheProbe(t *testing.T) {
	t.Parallel()
	srv := testsupport.StartService(t)
	tbot := filepath.Join(t.TempDir(), "tbot")
	if err := os.WriteFile(tbot, []byte("#!/bin/sh\nif [ \"$1\" = version ]; then exec sleep 60; fi\nexit 4\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	res := testsupport.Run(t, execBound, execEnv("TELEPORT_ANONYMOUS_TELEMETRY=1"),
		append([]string{buildBinary(t), "exec", "--timeout=1500ms", "--endpoint=" + srv.URL, "--", tbot}, execArgsOfStart...)...)
	if res.Code != 4 {
		t.Errorf("exit status %d, want the child's 4; stderr:\n%s", res.Code, res.Stderr)
	}
	if !strings.Contains(res.Stderr, "Could not ask tbot for its version") || len(srv.Events()) != 1 {
		t.Errorf("want the version given up and the event sent (%d events); stderr:\n%s", len(srv.Events()), res.Stderr)
	}
}

// The version is asked of the child's own binary, after the child started.
func TestExecProbesTheChildsVersionAfterItsStart(t *testing.T) {
	tbot := execFakeTbot(t, `sleep 1; exit 0`)
	p := execStart(t, nil, execEnv("TELEPORT_ANONYMOUS_TELEMETRY=1"),
		append([]string{"exec", "--dry-run", "--", tbot}, execArgsOfStart...)...)
	ev := execEventLine(t, p.nextLine())
	if ev.Properties.Version != "19.1.0" {
		t.Errorf("version %q: the probe did not find the child running (or did not run)", ev.Properties.Version)
	}
	if got := p.wait(); got != 0 {
		t.Errorf("exit status %d; stderr:\n%s", got, p.stderr.String())
	}
}

func execEventLine(t *testing.T, line string) event.PostHog {
	t.Helper()
	var ev event.PostHog
	if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Event != "tbot.start" {
		t.Fatalf("not an event line: %q (%v)", line, err)
	}
	return ev
}

// One start is one event: the child's own telemetry is turned off whenever
// this program sends, and left alone otherwise.
func TestExecOneEventPerStartAndTheChildsEnvironment(t *testing.T) {
	tests := []struct {
		name       string
		env        []string
		flags      []string
		tbotArgs   []string
		wantChild  string // the child's TELEPORT_ANONYMOUS_TELEMETRY
		wantEvents int
		wantDryRun bool
	}{
		{"reporting", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1"}, nil, execArgsOfStart, "0", 1, false},
		{"reporting, true spelled TRUE", []string{"TELEPORT_ANONYMOUS_TELEMETRY=TRUE"}, nil, execArgsOfStart, "0", 1, false},
		{"keep the child's telemetry", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1"}, []string{"--keep-child-telemetry"}, execArgsOfStart, "1", 1, false},
		{"disabled, unset", nil, nil, execArgsOfStart, "<unset>", 0, false},
		{"disabled, 0", []string{"TELEPORT_ANONYMOUS_TELEMETRY=0"}, nil, execArgsOfStart, "0", 0, false},
		{"disabled, unparseable", []string{"TELEPORT_ANONYMOUS_TELEMETRY=yes"}, nil, execArgsOfStart, "yes", 0, false},
		{"DO_NOT_TRACK wins", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", "DO_NOT_TRACK=1"}, nil, execArgsOfStart, "1", 0, false},
		{"dry run sends nothing", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1"}, []string{"--dry-run"}, execArgsOfStart, "1", 0, true},
		{"not a start", []string{"TELEPORT_ANONYMOUS_TELEMETRY=1"}, nil, []string{"configure", "identity"}, "0", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			collector := testsupport.StartService(t)
			tbot := execFakeTbot(t, `echo "telemetry=${TELEPORT_ANONYMOUS_TELEMETRY-<unset>}"`)
			args := append(append(append([]string{"exec", "--tbot-version=19.1.0"}, tt.flags...), "--", tbot), tt.tbotArgs...)
			p := execStart(t, nil, execEnv(append(tt.env, "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS="+collector.URL)...), args...)
			if got := p.wait(); got != 0 {
				t.Errorf("exit status %d; stderr:\n%s", got, p.stderr.String())
			}
			var child string
			var dryRun []event.PostHog
			for _, line := range p.restOfOutput() {
				if strings.HasPrefix(line, "{") {
					dryRun = append(dryRun, execEventLine(t, line))
				} else {
					child += line
				}
			}
			if child != "telemetry="+tt.wantChild {
				t.Errorf("child saw %q, want telemetry=%s", child, tt.wantChild)
			}
			if got := collector.Events(); len(got) != tt.wantEvents {
				t.Errorf("%d events sent, want %d; stderr:\n%s", len(got), tt.wantEvents, p.stderr.String())
			} else if len(got) == 1 && got[0].GetStart().GetJoinType() != "github" {
				t.Errorf("event %v is not this start's", got[0])
			}
			if want := map[bool]int{true: 1, false: 0}[tt.wantDryRun]; len(dryRun) != want {
				t.Errorf("%d dry-run lines, want %d", len(dryRun), want)
			}
		})
	}
}

// Run in-process with buffers instead of files, the child's output and the
// dry-run line still both arrive, whole, and the status is the child's.
func TestExecInProcessWithBuffers(t *testing.T) {
	tbot := execFakeTbot(t, `echo "child output"; echo "child errors" >&2; exit 3`)
	sys := newTestSystem(t, config.Env{"PATH": os.Getenv("PATH"), "TELEPORT_ANONYMOUS_TELEMETRY": "1"})
	code := sys.run(t, append([]string{"exec", "--dry-run", "--tbot-version=19.1.0", "--", tbot}, execArgsOfStart...)...)
	if code != 3 {
		t.Errorf("exit status %d, want the child's 3; stderr:\n%s", code, sys.err.String())
	}
	var child []string
	events := 0
	for _, line := range strings.Split(strings.TrimSpace(sys.out.String()), "\n") {
		if strings.HasPrefix(line, "{") {
			execEventLine(t, line)
			events++
		} else {
			child = append(child, line)
		}
	}
	if events != 1 || strings.Join(child, "|") != "child output" {
		t.Errorf("stdout %q: want the child's line and one event", sys.out.String())
	}
	if !strings.Contains(sys.err.String(), "child errors\n") || !strings.Contains(sys.err.String(), dryRunMessage) {
		t.Errorf("stderr %q: want the child's line and the dry-run line", sys.err.String())
	}
}

// The child gets tbot-telemetry's own stdin, stdout and stderr, so its
// output arrives line by line while it runs.
func TestExecPassesStdioThrough(t *testing.T) {
	dir := t.TempDir()
	release := filepath.Join(dir, "release")
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdinR.Close()
	defer stdinW.Close()
	p := execStart(t, stdinR, execEnv(), "exec", "--", "sh", "-c", `
echo "fds $(readlink /proc/$$/fd/0) $(readlink /proc/$$/fd/1) $(readlink /proc/$$/fd/2)"
read line
echo "read $line"
i=0
while [ ! -e "$1" ] && [ $i -lt 300 ]; do sleep 0.05; i=$((i+1)); done
echo done`, "sh", release)
	stdinR.Close()

	fds := strings.Fields(p.nextLine())
	own := []string{"fds"}
	for fd := range 3 {
		link, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%d", p.cmd.Process.Pid, fd))
		if err != nil {
			t.Fatal(err)
		}
		own = append(own, link)
	}
	if strings.Join(fds, " ") != strings.Join(own, " ") {
		t.Errorf("child's fds %q, tbot-telemetry's %q: not passed through", fds, own)
	}
	if _, err := stdinW.WriteString("ping\n"); err != nil {
		t.Fatal(err)
	}
	// This line arrives while the child still waits for the release file.
	if line := p.nextLine(); line != "read ping" {
		t.Errorf("child said %q", line)
	}
	if p.exited() {
		t.Error("tbot-telemetry exited before its child")
	}
	if err := os.WriteFile(release, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if line := p.nextLine(); line != "done" {
		t.Errorf("child said %q", line)
	}
	if got := p.wait(); got != 0 {
		t.Errorf("exit status %d", got)
	}
}

// As PID 1 of a PID namespace (a container), tbot-telemetry reaps orphans
// re-parented to it, still mirrors the child's status, and still probes the
// version through its reaper.
func TestExecReapsOrphansAsPID1(t *testing.T) {
	unshare := execUnshare(t)
	dir := t.TempDir()
	tbot := execFakeTbot(t, `
sh -c 'sleep 0.3 >/dev/null 2>&1 & echo $! > "$1"' inner "`+dir+`/orphan"
orphan=$(cat "`+dir+`/orphan")
echo "orphan parent $(awk '{print $4}' /proc/$orphan/stat)"
i=0
while [ -e /proc/$orphan ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
if [ -e /proc/$orphan ]; then echo "zombie $(cut -d' ' -f3 /proc/$orphan/stat)"; else echo reaped; fi
exit 5`)
	args := append([]string{"--pid", "--fork", "--mount-proc", buildBinary(t), "exec", "--dry-run", "--", tbot}, execArgsOfStart...)
	cmd := exec.Command(unshare, args...)
	cmd.Env = execEnv("TELEPORT_ANONYMOUS_TELEMETRY=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ctx, cancel := context.WithTimeout(context.Background(), execBound)
	defer cancel()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		<-ctx.Done()
		cmd.Process.Kill()
	}()
	cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("did not end within %v", execBound)
	}
	if got := cmd.ProcessState.ExitCode(); got != 5 {
		t.Errorf("exit status %d, want the child's 5; stderr:\n%s", got, stderr.String())
	}
	var lines, events []string
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if strings.HasPrefix(line, "{") {
			events = append(events, line)
		} else {
			lines = append(lines, line)
		}
	}
	if want := []string{"orphan parent 1", "reaped"}; strings.Join(lines, "|") != strings.Join(want, "|") {
		t.Errorf("child said %q, want %q", lines, want)
	}
	if len(events) != 1 || execEventLine(t, events[0]).Properties.Version != "19.1.0" {
		t.Errorf("want one event with the probed version, got %q", events)
	}
}

// execUnshare finds a working `unshare` that can make PID namespaces, or
// skips.
func execUnshare(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("skipped: no unshare(1) on this machine to make a PID namespace")
	}
	ctx, cancel := context.WithTimeout(context.Background(), execBound)
	defer cancel()
	out, err := exec.CommandContext(ctx, path, "--pid", "--fork", "--mount-proc", "sh", "-c", "echo $$").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "1" {
		t.Skipf("skipped: cannot make a PID namespace here (needs root or user namespaces): %v %s", err, out)
	}
	return path
}

// BenchmarkExecLaunch compares starting a child through `tbot-telemetry
// exec` with starting it directly. The child is a tiny program that prints
// the wall clock as it starts; to-child-ns/op is the time from launch to
// that moment, ns/op the whole run. "telemetry-on" sends to a loopback
// collector and asks the child for its version, which must not delay the
// child's start.
func BenchmarkExecLaunch(b *testing.B) {
	bin := buildBinary(b)
	stamp := execBuildStampProgram(b)
	srv := testsupport.StartService(b)

	run := func(b *testing.B, env []string, argv ...string) {
		var toChild time.Duration
		for b.Loop() {
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Env = env
			launched := time.Now()
			out, err := cmd.Output()
			if err != nil {
				b.Fatal(err)
			}
			var started int64
			if _, err := fmt.Sscan(string(out), &started); err != nil {
				b.Fatalf("child said %q: %v", out, err)
			}
			toChild += time.Unix(0, started).Sub(launched)
		}
		b.ReportMetric(float64(toChild.Nanoseconds())/float64(b.N), "to-child-ns/op")
	}
	b.Run("direct", func(b *testing.B) { run(b, execEnv(), stamp) })
	b.Run("exec", func(b *testing.B) { run(b, execEnv(), bin, "exec", "--", stamp) })
	b.Run("exec-telemetry-on", func(b *testing.B) {
		run(b, execEnv("TELEPORT_ANONYMOUS_TELEMETRY=1", "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS="+srv.URL),
			bin, "exec", "--", stamp, "start", "identity", "--destination=./out")
	})
}

// execBuildStampProgram builds the benchmark's child: it prints the wall
// clock in nanoseconds and exits.
func execBuildStampProgram(b *testing.B) string {
	b.Helper()
	dir := b.TempDir()
	files := map[string]string{
		"go.mod":  "module stamp\n\ngo 1.26\n",
		"main.go": "package main\n\nimport (\n\t\"fmt\"\n\t\"time\"\n)\n\nfunc main() { fmt.Println(time.Now().UnixNano()) }\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	path := filepath.Join(b.TempDir(), "program")
	cmd := exec.Command("go", "build", "-o", path, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("build: %v\n%s", err, out)
	}
	return path
}

// When the child exits at once and the endpoint never answers, the child's
// end, the deadline and the send's failure race one another; whichever
// comes first, exec logs the failure before it exits. Run many times, since
// a lost line shows only in some orderings.
func TestExecAlwaysLogsTheFailedSend(t *testing.T) {
	endpoint := testsupport.StartSilentEndpoint(t)
	const runs = 30
	for i := range runs {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			res := testsupport.Run(t, execBound, execEnv("TELEPORT_ANONYMOUS_TELEMETRY=1"), append([]string{buildBinary(t),
				"exec", "--timeout=300ms", "--endpoint=" + endpoint.URL, "--tbot-version=17.4.2", "--", "true"}, execArgsOfStart...)...)
			if res.Code != 0 {
				t.Errorf("exit status %d, want true's 0", res.Code)
			}
			if countTextLevel(t, res.Stderr, "WARN") != 1 || !strings.Contains(res.Stderr, "Failed to send anonymous telemetry.") {
				t.Errorf("want the failure's one warning, got:\n%s", res.Stderr)
			}
		})
	}
}
