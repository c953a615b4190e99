package launch

import (
	"bufio"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// said records what a Say was told.
type said struct{ lines []string }

func (s *said) say(message, program, reason string) {
	s.lines = append(s.lines, message+" program:"+program+" reason:"+reason)
}

var shellEnv = []string{"PATH=/usr/bin:/bin"}

// A PROGRAM that cannot start gets the shell's status, and one line says
// why, naming the program as typed and no path.
func TestStartFailures(t *testing.T) {
	dir := t.TempDir()
	notExecutable := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(notExecutable, []byte("#!/bin/sh\nexit 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		argv     []string
		pathList string
		status   int
		reason   string
	}{
		{[]string{"no-such-tbot", "start"}, dir, 127, "command not found"},
		{[]string{filepath.Join(dir, "absent")}, "", 127, "command not found"},
		{[]string{notExecutable}, "", 126, "cannot execute: permission denied"},
		{[]string{dir}, "", 126, "cannot execute: permission denied"},
	} {
		l := Begin(tt.argv, shellEnv, tt.pathList, nil, nil, nil)
		var s said
		status := -1
		if l.Child == nil {
			status = l.Failed(s.say)
		}
		l.Close()
		want := "Could not start PROGRAM. program:" + tt.argv[0] + " reason:" + tt.reason
		if status != tt.status || len(s.lines) != 1 || s.lines[0] != want {
			t.Errorf("%q: status %d, said %q; want %d and %q", tt.argv, status, s.lines, tt.status, want)
		}
	}
}

// Wait returns PROGRAM's own status, 128+N when it died of signal N.
func TestWaitMirrorsTheStatus(t *testing.T) {
	for script, want := range map[string]int{
		"exit 0": 0, "exit 1": 1, "exit 2": 2, "exit 126": 126, "exit 127": 127, "exit 255": 255,
		"kill -HUP $$": 129, "kill -TERM $$": 143, "kill -KILL $$": 137,
	} {
		if script == "kill -HUP $$" && signal.Ignored(syscall.SIGHUP) {
			// Started under nohup, the child inherits SIGHUP ignored, as
			// it would without exec (see testsupport.SkipIfInheritedIgnored).
			continue
		}
		l := Begin([]string{"sh", "-c", script}, shellEnv, "/usr/bin:/bin", nil, nil, nil)
		if l.Child == nil {
			t.Fatalf("%s did not start", script)
		}
		var s said
		if got := l.Wait(s.say); got != want || len(s.lines) != 0 {
			t.Errorf("%s: status %d, said %q; want %d", script, got, s.lines, want)
		}
		l.Close()
	}
}

// Signals are caught from before PROGRAM starts: one that comes before
// Wait is queued and relayed by it, as are those that come while PROGRAM
// runs; after Wait they are delivered on Signals. Each is sent to this very
// process, as systemd or a container runtime would send it to exec.
func TestSignalsAreCaughtQueuedAndRelayed(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	script := `trap 'echo got WINCH' WINCH
trap 'echo got USR1' USR1
trap 'echo got TERM; exit 42' TERM
echo ready
i=0
while [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done
exit 1`
	l := Begin([]string{"sh", "-c", script}, shellEnv, "/usr/bin:/bin", nil, w, os.Stderr)
	w.Close()
	defer l.Close()
	if l.Child == nil {
		t.Fatal("the child did not start")
	}
	lines := bufio.NewScanner(r)
	if !lines.Scan() || lines.Text() != "ready" {
		t.Fatalf("child said %q", lines.Text())
	}
	// Queued: nobody relays before Wait.
	kill(t, syscall.SIGUSR1)
	status := make(chan int, 1)
	go func() { status <- l.Wait(func(m, p, r string) { t.Errorf("%s %s %s", m, p, r) }) }()
	if !lines.Scan() || lines.Text() != "got USR1" {
		t.Fatalf("child said %q, want the queued SIGUSR1", lines.Text())
	}
	kill(t, syscall.SIGWINCH)
	if !lines.Scan() || lines.Text() != "got WINCH" {
		t.Fatalf("child said %q, want SIGWINCH", lines.Text())
	}
	kill(t, syscall.SIGTERM)
	select {
	case got := <-status:
		if got != 42 {
			t.Errorf("status %d, want the child's 42", got)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the child did not end")
	}
	if !lines.Scan() || lines.Text() != "got TERM" {
		t.Errorf("child said %q, want SIGTERM", lines.Text())
	}
	// PROGRAM has ended: signals now come to whoever waits on Signals.
	kill(t, syscall.SIGWINCH)
	select {
	case sig := <-l.Signals():
		if sig != syscall.SIGWINCH {
			t.Errorf("got %v on Signals, want SIGWINCH", sig)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("SIGWINCH did not come on Signals")
	}
}

func kill(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(os.Getpid(), sig); err != nil {
		t.Fatal(err)
	}
}

// What the before-main path starts, main takes over once.
func TestHandOverOnce(t *testing.T) {
	if TakeOver() != nil {
		t.Fatal("something was handed over before the test")
	}
	l := &Launched{Argv: []string{"tbot"}}
	HandOver(l)
	if got := TakeOver(); got != l {
		t.Errorf("TakeOver() = %v, want what was handed over", got)
	}
	if got := TakeOver(); got != nil {
		t.Errorf("a second TakeOver() = %v, want nil", got)
	}
}

// helperEnv, when set, makes this test binary a helper process; see
// TestMain.
const helperEnv = "LAUNCH_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "pid1" {
		os.Exit(pid1Helper())
	}
	os.Exit(m.Run())
}

// As PID 1 of a PID namespace (a container), what Begin starts runs under a
// Supervisor that reaps the orphans the kernel re-parents to it, and the
// child's own status still comes back. Checked in a copy of this test
// binary run as PID 1 by unshare(1) (see pid1Helper).
func TestBeginReapsOrphansAsPID1(t *testing.T) {
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Skip("skipped: no unshare(1) to make a PID namespace")
	}
	if out, err := exec.Command(unshare, "--pid", "--fork", "--mount-proc", "sh", "-c", "echo $$").Output(); err != nil || strings.TrimSpace(string(out)) != "1" {
		t.Skipf("skipped: cannot make a PID namespace here (needs root or user namespaces): %v", err)
	}
	cmd := exec.Command(unshare, "--pid", "--fork", "--mount-proc", os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=pid1", "GORACE=atexit_sleep_ms=0") // no -race second at exit
	out, err := cmd.CombinedOutput()
	want := "orphan parent 1\nreaped\nstatus 5\nLost track of PROGRAM. program:sleep reason:supervisor closed before the child ended\nstatus 1\n"
	if err != nil || string(out) != want {
		t.Errorf("as PID 1: %q (%v), want %q", out, err, want)
	}
}

// pid1Helper runs as PID 1: its child leaves an orphan behind, waits to see
// it reaped and exits 5. Then a second child is lost: its Supervisor
// closes while it runs, and exec must not take that for a success.
func pid1Helper() int {
	dir, err := os.MkdirTemp("", "launch-pid1-")
	if err != nil {
		return 2
	}
	defer os.RemoveAll(dir)
	script := `sh -c 'sleep 0.3 >/dev/null 2>&1 & echo $! > "$1"' inner "$1/orphan"
orphan=$(cat "$1/orphan")
echo "orphan parent $(awk '{print $4}' /proc/$orphan/stat)"
i=0
while [ -e /proc/$orphan ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done
if [ -e /proc/$orphan ]; then echo "zombie $(cut -d' ' -f3 /proc/$orphan/stat)"; else echo reaped; fi
exit 5`
	l := Begin([]string{"sh", "-c", script, "sh", dir}, []string{"PATH=/usr/bin:/bin"}, "/usr/bin:/bin", nil, os.Stdout, os.Stderr)
	if l.Child == nil {
		return 2
	}
	say := func(m, p, r string) { os.Stdout.WriteString(m + " program:" + p + " reason:" + r + "\n") }
	os.Stdout.WriteString("status " + strconv.Itoa(l.Wait(say)) + "\n")
	l.Close() // one reaper at a time: each collects whatever ends

	lost := Begin([]string{"sleep", "30"}, nil, "/usr/bin:/bin", nil, nil, nil)
	defer lost.Close()
	if lost.Child == nil {
		return 2
	}
	lost.Sup.Close()
	os.Stdout.WriteString("status " + strconv.Itoa(lost.Wait(say)) + "\n")
	return 0
}
