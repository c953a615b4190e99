package supervise

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// testBound bounds every wait in these tests, so that none can hang.
const testBound = 20 * time.Second

func shell(script string) *Command {
	return &Command{Path: "/bin/sh", Args: []string{"sh", "-c", script}, Env: []string{"PATH=" + os.Getenv("PATH")}}
}

// waitBounded waits for p, failing the test instead of hanging.
func waitBounded(t *testing.T, p *Process) Status {
	t.Helper()
	type result struct {
		st  Status
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := p.Wait()
		done <- result{st, err}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("wait: %v", r.err)
		}
		return r.st
	case <-time.After(testBound):
		p.Signal(syscall.SIGKILL)
		t.Fatalf("child did not end within %v", testBound)
		return Status{}
	}
}

func TestExitStatusMirrorsTheChild(t *testing.T) {
	tests := []struct {
		script string
		want   int
		signal syscall.Signal
	}{
		{"exit 0", 0, 0},
		{"exit 1", 1, 0},
		{"exit 2", 2, 0},
		{"exit 3", 3, 0},
		{"exit 126", 126, 0},
		{"exit 127", 127, 0},
		{"exit 128", 128, 0},
		{"exit 255", 255, 0},
		{"kill -HUP $$", 128 + 1, syscall.SIGHUP},
		{"kill -INT $$", 128 + 2, syscall.SIGINT},
		{"kill -QUIT $$", 128 + 3, syscall.SIGQUIT},
		{"kill -KILL $$", 128 + 9, syscall.SIGKILL},
		{"kill -USR1 $$", 128 + 10, syscall.SIGUSR1},
		{"kill -SEGV $$", 128 + 11, syscall.SIGSEGV},
		{"kill -TERM $$", 128 + 15, syscall.SIGTERM},
	}
	sup := New(Options{})
	defer sup.Close()
	for _, tt := range tests {
		t.Run(tt.script, func(t *testing.T) {
			if tt.signal != 0 {
				testsupport.SkipIfInheritedIgnored(t, tt.signal)
			}
			p, err := sup.Start(shell(tt.script))
			if err != nil {
				t.Fatal(err)
			}
			st := waitBounded(t, p)
			if got := st.ExitCode(); got != tt.want {
				t.Errorf("exit code %d, want %d (%v)", got, tt.want, st)
			}
			sig, signaled := st.Signaled()
			if signaled != (tt.signal != 0) || sig != tt.signal {
				t.Errorf("Signaled() = %v, %v; want %v", sig, signaled, tt.signal)
			}
			want := "exit status " + strconv.Itoa(tt.want)
			if tt.signal != 0 {
				want = "killed by signal " + strconv.Itoa(int(tt.signal)) + " (" + tt.signal.String() + ")"
			}
			if st.String() != want {
				t.Errorf("String() = %q, want %q", st.String(), want)
			}
		})
	}
}

func TestStartFailuresGetTheShellsStatus(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	notExecutable := write("plain", "#!/bin/sh\nexit 0\n", 0o644)
	garbage := write("garbage", "\x00\x01\x02 not a program\n", 0o755)
	badInterpreter := write("bad-interpreter", "#!/nonexistent/interpreter\n", 0o755)
	onlyCandidateDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(onlyCandidateDir, "tool"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, program, pathList string
		wantCode                int
		wantReason              string
	}{
		{"missing bare name", "no-such-program-anywhere", dir, ExitNotFound, "command not found"},
		{"missing path", filepath.Join(dir, "absent"), "", ExitNotFound, "command not found"},
		{"missing directory in path", filepath.Join(dir, "absent", "tool"), "", ExitNotFound, "command not found"},
		{"not executable", notExecutable, "", ExitCannotExecute, "permission denied"},
		{"directory", dir, "", ExitCannotExecute, "permission denied"},
		{"not an executable format", garbage, "", ExitCannotExecute, "not an executable format"},
		{"missing interpreter", badInterpreter, "", ExitCannotExecute, "bad interpreter"},
		{"only a non-executable file on PATH", "tool", onlyCandidateDir, ExitCannotExecute, "permission denied"},
	}
	sup := New(Options{})
	defer sup.Close()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, err := LookPath(tt.program, tt.pathList)
			if err == nil {
				var p *Process
				p, err = sup.Start(&Command{Path: path, Args: []string{tt.program}})
				if err == nil {
					waitBounded(t, p)
					t.Fatal("started a program that cannot run")
				}
			}
			var se *StartError
			if !errors.As(err, &se) {
				t.Fatalf("error %v (%T) is not a *StartError", err, err)
			}
			if se.Code != tt.wantCode || !strings.Contains(se.Reason, tt.wantReason) {
				t.Errorf("got %d %q, want %d %q", se.Code, se.Reason, tt.wantCode, tt.wantReason)
			}
			if strings.Contains(se.Reason, dir) {
				t.Errorf("reason %q names a path", se.Reason)
			}
		})
	}
}

func TestLookPathSearchesLikeAShell(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(first, "tbot"), []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(first, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tbot", "sub"} {
		if err := os.WriteFile(filepath.Join(second, name), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	pathList := first + string(os.PathListSeparator) + second
	for name, want := range map[string]string{
		"tbot":           filepath.Join(second, "tbot"), // the executable one wins over an earlier plain file
		"sub":            filepath.Join(second, "sub"),  // a directory is never a program
		"./relative/x":   "./relative/x",                // a name with a slash is taken as it is
		"/abs/path/tbot": "/abs/path/tbot",
	} {
		got, err := LookPath(name, pathList)
		if err != nil || got != want {
			t.Errorf("LookPath(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	if _, err := LookPath("", pathList); !errors.Is(err, ErrNotFound) {
		t.Errorf("LookPath(\"\") error %v, want ErrNotFound", err)
	}
	// A directory alone is not found, as a shell says (127), rather than a
	// program that cannot run.
	if got, err := LookPath("sub", first); !errors.Is(err, ErrNotFound) {
		t.Errorf("LookPath of a directory = %q, %v; want ErrNotFound", got, err)
	}
	// No PATH: the shell's default.
	if got, err := LookPath("sh", ""); err != nil || (got != "/usr/bin/sh" && got != "/bin/sh") {
		t.Errorf("LookPath(sh) without PATH = %q, %v; want it from /usr/bin:/bin", got, err)
	}
}

// An empty entry of PATH (a leading or trailing colon, or two together) is
// the current directory, as it is to a shell.
func TestLookPathEmptyEntryIsTheCurrentDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tbot"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	for _, pathList := range []string{":/nonexistent", "/nonexistent:", "/nonexistent::/nonexistent2"} {
		if got, err := LookPath("tbot", pathList); err != nil || got != "./tbot" {
			t.Errorf("LookPath(tbot, %q) = %q, %v; want ./tbot", pathList, got, err)
		}
	}
}

// The child gets this process's own open files, not pipes that copy them.
func TestFilesArePassedThrough(t *testing.T) {
	dir := t.TempDir()
	in, err := os.Create(filepath.Join(dir, "stdin"))
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(filepath.Join(dir, "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	errFile, err := os.Create(filepath.Join(dir, "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer errFile.Close()

	sup := New(Options{})
	defer sup.Close()
	cmd := shell(`readlink /proc/$$/fd/0 /proc/$$/fd/1; readlink /proc/$$/fd/2 >&2`)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = in, out, errFile
	p, err := sup.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if st := waitBounded(t, p); st.ExitCode() != 0 {
		t.Fatalf("child: %v", st)
	}
	gotOut, _ := os.ReadFile(out.Name())
	gotErr, _ := os.ReadFile(errFile.Name())
	if want := in.Name() + "\n" + out.Name() + "\n"; string(gotOut) != want {
		t.Errorf("child's stdin and stdout are %q, want %q", gotOut, want)
	}
	if want := errFile.Name() + "\n"; string(gotErr) != want {
		t.Errorf("child's stderr is %q, want %q", gotErr, want)
	}
}

// Readers and writers that are not files still work, through pipes.
func TestNonFileStdioIsCopied(t *testing.T) {
	sup := New(Options{})
	defer sup.Close()
	var out, errOut bytes.Buffer
	cmd := shell(`read line; echo "out:$line"; echo "err:$line" >&2`)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader("hello\n"), &out, &errOut
	p, err := sup.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if st := waitBounded(t, p); st.ExitCode() != 0 {
		t.Fatalf("child: %v", st)
	}
	if out.String() != "out:hello\n" || errOut.String() != "err:hello\n" {
		t.Errorf("stdout %q, stderr %q", out.String(), errOut.String())
	}
}

// A process the child leaves behind holding its stdout pipe does not hold
// Wait for ever.
func TestWaitDoesNotHangOnLeftoverWriters(t *testing.T) {
	sup := New(Options{})
	defer sup.Close()
	var out bytes.Buffer
	cmd := shell(`sleep 30 & echo "$!"`)
	cmd.Stdout = &out
	p, err := sup.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	st := waitBounded(t, p)
	if leftover, err := strconv.Atoi(strings.TrimSpace(out.String())); err == nil {
		syscall.Kill(leftover, syscall.SIGKILL)
	} else {
		t.Errorf("output %q lost: %v", out.String(), err)
	}
	if st.ExitCode() != 0 {
		t.Errorf("child: %v", st)
	}
}

func TestOutputKeepsAtMostTheLimit(t *testing.T) {
	sup := New(Options{})
	defer sup.Close()
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	defer cancel()
	// 100000 bytes: far more than a pipe holds, so a reader that stopped
	// reading at the limit would block the child.
	out, st, err := sup.Output(ctx, shell(`i=0; while [ $i -lt 1000 ]; do printf '%0100d' 0; i=$((i+1)); done; exit 7`), 64)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 64 || st.ExitCode() != 7 {
		t.Errorf("got %d bytes and %v, want 64 bytes and exit status 7", len(out), st)
	}
}

func TestOutputKillsAtTheDeadline(t *testing.T) {
	sup := New(Options{})
	defer sup.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	out, st, err := sup.Output(ctx, shell(`echo started; exec sleep 30`), 4096)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v, want the deadline", err)
	}
	if sig, ok := st.Signaled(); !ok || sig != syscall.SIGKILL {
		t.Errorf("child %v, want killed", st)
	}
	if string(out) != "started\n" {
		t.Errorf("output %q", out)
	}
}

// Forward relays what arrives until the child ends; the child sees exactly
// the signal sent.
func TestForwardRelaysToTheChild(t *testing.T) {
	for _, sig := range ForwardedSignals() {
		name := strings.TrimPrefix(sigName(sig.(syscall.Signal)), "SIG")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testsupport.SkipIfInheritedIgnored(t, sig.(syscall.Signal))
			sup := New(Options{})
			defer sup.Close()
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			cmd := shell(trapScript())
			cmd.Stdout = w
			p, err := sup.Start(cmd)
			w.Close()
			if err != nil {
				t.Fatal(err)
			}
			lines := bufio.NewScanner(r)
			if !lines.Scan() || lines.Text() != "ready" {
				p.Signal(syscall.SIGKILL)
				t.Fatalf("child not ready: %q", lines.Text())
			}
			sigs := make(chan os.Signal, 1)
			sigs <- sig
			done := make(chan struct{})
			go func() {
				defer close(done)
				p.Forward(sigs)
			}()
			st := waitBounded(t, p)
			<-done
			if !lines.Scan() || lines.Text() != "got "+name {
				t.Errorf("child reported %q, want %q", lines.Text(), "got "+name)
			}
			if st.ExitCode() != 42 {
				t.Errorf("child: %v", st)
			}
			if err := p.Signal(syscall.SIGTERM); !errors.Is(err, os.ErrProcessDone) {
				t.Errorf("signal after the end: %v, want ErrProcessDone", err)
			}
		})
	}
}

// trapScript traps every forwarded signal, says which one came, and exits 42.
func trapScript() string {
	var b strings.Builder
	for _, sig := range ForwardedSignals() {
		name := strings.TrimPrefix(sigName(sig.(syscall.Signal)), "SIG")
		b.WriteString("trap 'echo got " + name + "; kill $pid 2>/dev/null; exit 42' " + name + "\n")
	}
	b.WriteString("sleep 30 >/dev/null 2>&1 & pid=$!\necho ready\nwait $pid\nexit 1\n")
	return b.String()
}

func sigName(sig syscall.Signal) string {
	switch sig {
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	case syscall.SIGUSR1:
		return "SIGUSR1"
	case syscall.SIGUSR2:
		return "SIGUSR2"
	case syscall.SIGWINCH:
		return "SIGWINCH"
	}
	return sig.String()
}

// Catch receives real signals sent to this process.
func TestCatchReceivesForwardedSignals(t *testing.T) {
	c := Catch()
	defer c.Stop()
	// Both are harmless to the test binary should catching fail: WINCH is
	// ignored by default and USR2 is the test's own to lose.
	for _, sig := range []syscall.Signal{syscall.SIGWINCH, syscall.SIGUSR2} {
		if err := syscall.Kill(os.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-c.C():
			if got != sig {
				t.Errorf("caught %v, want %v", got, sig)
			}
		case <-time.After(testBound):
			t.Fatalf("%v was not caught", sig)
		}
	}
}

// Started with SIGHUP and SIGINT ignored (nohup, a background job of a
// shell without job control), Catch leaves them ignored instead of catching
// them: they then neither reach the catcher nor end the process. Checked in
// a copy of this test binary started that way (see catchHelper).
func TestCatchLeavesAnIgnoredSIGHUPIgnored(t *testing.T) {
	testsupport.SkipIfInheritedIgnored(t, syscall.SIGUSR2)
	ctx, cancel := context.WithTimeout(context.Background(), testBound)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", `trap '' HUP INT; exec "$0" "$@"`, os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=nohup", "GORACE=atexit_sleep_ms=0") // no -race second at exit
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "first caught: user defined signal 2\n" {
		t.Errorf("the helper said %q (%v), want SIGUSR2 caught first and SIGHUP, SIGINT not at all", out, err)
	}
}

// catchHelper runs in a process started with SIGHUP and SIGINT ignored: it
// catches, sends itself SIGHUP, SIGINT and then SIGUSR2, and says which it
// caught first.
func catchHelper() int {
	c := Catch()
	defer c.Stop()
	syscall.Kill(os.Getpid(), syscall.SIGHUP)
	syscall.Kill(os.Getpid(), syscall.SIGINT)
	syscall.Kill(os.Getpid(), syscall.SIGUSR2)
	select {
	case sig := <-c.C():
		fmt.Printf("first caught: %v\n", sig)
		return 0
	case <-time.After(testBound):
		fmt.Println("nothing caught")
		return 1
	}
}

// The contract's list, written out: SIGTERM, SIGINT, SIGHUP, SIGQUIT,
// SIGUSR1, SIGUSR2 and SIGWINCH.
func TestForwardedSignalsAreTheContracts(t *testing.T) {
	want := []os.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH}
	if got := ForwardedSignals(); !slices.Equal(got, want) {
		t.Errorf("ForwardedSignals() = %v, want %v", got, want)
	}
}

func TestStopRequests(t *testing.T) {
	for _, sig := range ForwardedSignals() {
		want := sig == syscall.SIGTERM || sig == syscall.SIGINT || sig == syscall.SIGHUP || sig == syscall.SIGQUIT
		if IsStopRequest(sig) != want {
			t.Errorf("IsStopRequest(%v) = %v", sig, !want)
		}
	}
	for _, sig := range []os.Signal{syscall.SIGURG, syscall.SIGCHLD} {
		for _, f := range ForwardedSignals() {
			if f == sig {
				t.Errorf("%v is the runtime's own and must not be forwarded", sig)
			}
		}
	}
}
