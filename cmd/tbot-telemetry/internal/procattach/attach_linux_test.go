package procattach

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// bound bounds every wait of these tests; none of them passes by timing.
const bound = 20 * time.Second

// fakeTbot builds the Go stand-in for tbot (testsupport's faketbot) into a
// directory of its own, world-readable so that another user can run it.
func fakeTbot(t *testing.T) string {
	t.Helper()
	built, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(built)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(worldReadableDir(t), "tbot")
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

// buildOnce builds the stand-in once for the whole package; each test runs
// a copy of its own, which it may remove.
var buildOnce = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "procattach-build-")
	if err != nil {
		return "", err
	}
	return testsupport.BuildFakeTbot(dir)
})

func TestMain(m *testing.M) {
	code := m.Run()
	if path, err := buildOnce(); err == nil {
		os.RemoveAll(filepath.Dir(path))
	}
	os.Exit(code)
}

func worldReadableDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "procattach-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func attach(t *testing.T, pid int, waiting func()) (*Process, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	return Attach(ctx, pid, waiting)
}

// A running tbot: its arguments, its environment as it was handed over (a
// name given twice stays twice, and reads as the Go program itself reads
// it: the first), its working directory, and its binary.
func TestAttachReadsRunningTbot(t *testing.T) {
	tbot, work := fakeTbot(t), t.TempDir()
	record := filepath.Join(t.TempDir(), "record")
	env := []string{
		"TBOT_CONFIG_PATH=first.yaml",
		"FAKE_TBOT_RECORD=" + record,
		"TBOT_CONFIG_PATH=second.yaml",
		"TELEPORT_ANONYMOUS_TELEMETRY=0",
		"NOT_A_PAIR",
		"TELEPORT_ANONYMOUS_TELEMETRY=1",
		"FAKE_TBOT_VERSION=16.4.7",
	}
	d := testsupport.StartDaemon(t, work, env, tbot, "start", "-c", "tbot.yaml")
	d.WaitReady(t, bound)

	p, err := attach(t, d.Process.Pid, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{tbot, "start", "-c", "tbot.yaml"}; !slices.Equal(p.Argv, want) {
		t.Errorf("Argv %q, want %q", p.Argv, want)
	}
	if !slices.Equal(p.Environ, env) {
		t.Errorf("Environ %q, want it as handed over, %q", p.Environ, env)
	}
	saw := testsupport.ReadFakeTbotRecord(t, record)
	got := p.Env()
	for _, k := range []string{"TBOT_CONFIG_PATH", "TELEPORT_ANONYMOUS_TELEMETRY"} {
		if got[k] != saw.Getenv[k] {
			t.Errorf("Env()[%s] = %q, but the Go program's os.Getenv said %q", k, got[k], saw.Getenv[k])
		}
		if v, _ := Getenv(p.Environ, k); v != saw.Getenv[k] {
			t.Errorf("Getenv(%s) = %q, but the Go program's os.Getenv said %q", k, v, saw.Getenv[k])
		}
	}
	if got["TBOT_CONFIG_PATH"] != "first.yaml" {
		t.Errorf("TBOT_CONFIG_PATH %q, want the first entry", got["TBOT_CONFIG_PATH"])
	}

	// Dir leads into its working directory.
	if err := os.WriteFile(filepath.Join(work, "marker"), []byte("here"), 0o644); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(filepath.Join(p.Dir, "marker")); err != nil || string(data) != "here" {
		t.Errorf("Dir does not lead to the working directory: %q, %v", data, err)
	}
	// Exe runs its very binary, even once the file is gone.
	if err := os.Remove(tbot); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(p.Exe, "version").Output()
	if err != nil || !strings.HasPrefix(string(out), "Teleport v17.4.2 ") {
		t.Errorf("%s version: %q, %v", p.Exe, out, err)
	}
	// Still tbot, though its file now reads "(deleted)".
	if _, err := attach(t, d.Process.Pid, nil); err != nil {
		t.Errorf("after the binary was removed: %v", err)
	}
}

// A tbot whose argv[0] names something else is known by its binary.
func TestAttachKnowsTbotByItsBinary(t *testing.T) {
	tbot := fakeTbot(t)
	d := testsupport.StartDaemonFrom(t, tbot, t.TempDir(), nil, "/opt/bots/machine-id", "start")
	d.WaitReady(t, bound)
	p, err := attach(t, d.Process.Pid, func() { t.Fatal("waited for a process that is tbot") })
	if err != nil || p.Argv[0] != "/opt/bots/machine-id" {
		t.Errorf("got %v, %v", p, err)
	}
}

// Under systemd's Type=simple, the main process may still be the forking
// service manager when ExecStartPost= runs: Attach waits for the exec.
func TestAttachWaitsForTheExec(t *testing.T) {
	tbot := fakeTbot(t)
	launcher := filepath.Join(filepath.Dir(tbot), "launcher")
	if err := os.Link(tbot, launcher); err != nil {
		t.Fatal(err)
	}
	trigger := filepath.Join(t.TempDir(), "trigger")
	if err := syscall.Mkfifo(trigger, 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"A=1", "A=2"}
	d := testsupport.StartDaemon(t, t.TempDir(), env, launcher, "-launch", trigger, tbot, "start", "--oneshot")

	// Seen as the launcher 16 times before it execs: the looks come every
	// 20 ms at most by then, well within the bound (the wait between them
	// does not grow without bound).
	const looks = 16
	waits := 0
	p, err := attach(t, d.Process.Pid, func() {
		if waits++; waits == looks {
			// Now let it exec tbot.
			go func() {
				f, err := os.OpenFile(trigger, os.O_WRONLY, 0)
				if err == nil {
					f.WriteString("go\n")
					f.Close()
				}
			}()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if waits < looks {
		t.Errorf("waited %d times: the launcher was taken for tbot", waits)
	}
	if want := []string{tbot, "start", "--oneshot"}; !slices.Equal(p.Argv, want) {
		t.Errorf("Argv %q, want tbot's %q", p.Argv, want)
	}
	if !slices.Equal(p.Environ, env) {
		t.Errorf("Environ %q, want %q", p.Environ, env)
	}
}

// A process that never becomes tbot: Attach gives up when ctx is done.
func TestAttachGivesUpOnAnotherProgram(t *testing.T) {
	tbot := fakeTbot(t)
	launcher := filepath.Join(filepath.Dir(tbot), "launcher")
	if err := os.Link(tbot, launcher); err != nil {
		t.Fatal(err)
	}
	trigger := filepath.Join(t.TempDir(), "trigger")
	if err := syscall.Mkfifo(trigger, 0o600); err != nil {
		t.Fatal(err)
	}
	d := testsupport.StartDaemon(t, t.TempDir(), nil, launcher, "-launch", trigger, tbot, "start")
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	waits := 0
	_, err := Attach(ctx, d.Process.Pid, func() {
		if waits++; waits == 3 {
			cancel() // the deadline, without waiting for one
		}
	})
	if !errors.Is(err, ErrNotTbot) || waits != 3 {
		t.Errorf("got %v after %d looks, want ErrNotTbot after 3", err, waits)
	}
}

// A process that has ended, reaped or not, and one that never was.
func TestAttachEndedProcess(t *testing.T) {
	tbot := fakeTbot(t)
	d := testsupport.StartDaemon(t, t.TempDir(), nil, tbot, "start")
	d.WaitReady(t, bound)

	// Killed but not yet reaped: a zombie. os.Process.Wait would reap it,
	// so this child is started with plain fork/exec and waited for later.
	pid, err := syscall.ForkExec(tbot, []string{tbot, "start"}, &syscall.ProcAttr{Env: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	syscall.Kill(pid, syscall.SIGKILL)
	for deadline := time.Now().Add(bound); ; {
		stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if i := bytes.LastIndexByte(stat, ')'); i > 0 && bytes.HasPrefix(stat[i+1:], []byte(" Z")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the killed child never became a zombie")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := attach(t, pid, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("a zombie: %v, want ErrNotFound", err)
	}
	var ws syscall.WaitStatus
	syscall.Wait4(pid, &ws, 0, nil)
	if _, err := attach(t, pid, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("a reaped process: %v, want ErrNotFound", err)
	}

	d.Stop(t, bound)
	if _, err := attach(t, d.Process.Pid, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("a stopped process: %v, want ErrNotFound", err)
	}
	for _, pid := range []int{0, -1} {
		if _, err := attach(t, pid, nil); !errors.Is(err, ErrNotFound) {
			t.Errorf("pid %d: %v", pid, err)
		}
	}
}

// Another user's tbot cannot be read: ErrPermission, with no path or
// number in the message. As root, the reader runs as nobody (this test
// binary again, in helperAttach); otherwise it reads PID 1, which is
// root's.
func TestAttachAnotherUsersProcess(t *testing.T) {
	if os.Getenv(helperEnv) != "" {
		return
	}
	if os.Geteuid() != 0 {
		_, err := attach(t, 1, nil)
		if !errors.Is(err, ErrPermission) {
			t.Fatalf("PID 1, as uid %d: %v, want ErrPermission", os.Geteuid(), err)
		}
		return
	}
	tbot := fakeTbot(t)
	d := testsupport.StartDaemon(t, t.TempDir(), []string{"TELEPORT_BOT_TOKEN=secret-token"}, tbot, "start")
	d.WaitReady(t, bound)

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(worldReadableDir(t), "procattach.test")
	data, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(copyPath, data, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	cmd := exec.CommandContext(ctx, copyPath, "-test.run=^TestHelperAttach$")
	cmd.Env = []string{helperEnv + "=" + strconv.Itoa(d.Process.Pid)}
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, _ := cmd.CombinedOutput()
	if !strings.Contains(string(out), "attach: "+ErrPermission.Error()) {
		t.Errorf("as nobody: %s", out)
	}
	if strings.Contains(string(out), "secret-token") || strings.Contains(string(out), strconv.Itoa(d.Process.Pid)+" ") {
		t.Errorf("the message tells too much: %s", out)
	}
}

const helperEnv = "PROCATTACH_TEST_HELPER_PID"

// TestHelperAttach is TestAttachAnotherUsersProcess's reader, run as
// another user; it only prints what Attach said.
func TestHelperAttach(t *testing.T) {
	pid, err := strconv.Atoi(os.Getenv(helperEnv))
	if err != nil {
		t.Skip("only run by TestAttachAnotherUsersProcess")
	}
	_, err = attach(t, pid, nil)
	os.Stdout.WriteString("attach: " + errString(err) + "\n")
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

// A command name may hold ')' and spaces: the fields of /proc/PID/stat are
// counted from the last ')', so a tbot whose binary is named so is read
// (here one whose name, read from the first ')', would say it is a zombie).
func TestAttachACommandNameWithParentheses(t *testing.T) {
	tbot := fakeTbot(t)
	odd := filepath.Join(filepath.Dir(tbot), "tbot) Z (x")
	if err := os.Rename(tbot, odd); err != nil {
		t.Fatal(err)
	}
	d := testsupport.StartDaemonFrom(t, odd, t.TempDir(), nil, "tbot", "start")
	d.WaitReady(t, bound)
	p, err := attach(t, d.Process.Pid, nil)
	if err != nil || !slices.Equal(p.Argv, []string{"tbot", "start"}) {
		t.Errorf("got %+v, %v", p, err)
	}
}
