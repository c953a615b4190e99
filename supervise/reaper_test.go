package supervise

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The reaper calls wait4(-1), which would also collect the children that
// other tests (and `go test` itself) start in this process. So it is tested
// in a fresh copy of the test binary that makes itself a child subreaper:
// orphans below it are then re-parented to it, as they are to PID 1 in a
// container, without needing a PID namespace.

const helperEnv = "SUPERVISE_TEST_HELPER"

func TestMain(m *testing.M) {
	switch mode := os.Getenv(helperEnv); mode {
	case "":
	case "nohup":
		os.Exit(catchHelper())
	default:
		os.Exit(reaperHelper(mode))
	}
	os.Exit(m.Run())
}

// helperReport is what the helper found, as JSON on its stdout.
type helperReport struct {
	Mismatches     []string // statuses that went to the wrong waiter, or nowhere
	VersionOutput  string
	ZombiesLeft    int // children that ended and were never collected
	OrphansReaped  int
	SignalAfterEnd string
	// WaitAfterClose is what Wait said of a child still running when the
	// Supervisor closed.
	WaitAfterClose string
}

func runReaperHelper(t *testing.T, mode string) helperReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
	// A test binary built with -race sleeps a second as it exits unless
	// told not to.
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, "GORACE=atexit_sleep_ms=0")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helper %s: %v\n%s", mode, err, stderr.String())
	}
	var rep helperReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("helper %s output %q: %v\n%s", mode, out, err, stderr.String())
	}
	return rep
}

// With the reaper, every child's status reaches its own waiter, even while
// orphans are being collected around it, and no zombie is left.
func TestReaperOwnsAllWaiting(t *testing.T) {
	rep := runReaperHelper(t, "reap")
	if len(rep.Mismatches) > 0 {
		t.Errorf("statuses lost or crossed:\n%s", strings.Join(rep.Mismatches, "\n"))
	}
	if rep.VersionOutput != "Teleport v17.4.2 git:v17.4.2-0-g0 go1.26\n" {
		t.Errorf("probe output %q", rep.VersionOutput)
	}
	if rep.ZombiesLeft != 0 {
		t.Errorf("%d zombies left", rep.ZombiesLeft)
	}
	if rep.OrphansReaped < orphanMakers {
		t.Errorf("reaped %d orphans, want at least %d", rep.OrphansReaped, orphanMakers)
	}
	if rep.SignalAfterEnd != os.ErrProcessDone.Error() {
		t.Errorf("signal after the end: %q, want ErrProcessDone", rep.SignalAfterEnd)
	}
	// Its end will never be known: that is an error, never a clean exit.
	if rep.WaitAfterClose != "supervisor closed before the child ended" {
		t.Errorf("wait for a child still running at Close: %q, want the supervisor closed", rep.WaitAfterClose)
	}
}

// Without it, the same orphans stay zombies: the check above can fail.
func TestWithoutReaperOrphansStayZombies(t *testing.T) {
	rep := runReaperHelper(t, "no-reap")
	if len(rep.Mismatches) > 0 {
		t.Errorf("statuses lost or crossed:\n%s", strings.Join(rep.Mismatches, "\n"))
	}
	if rep.ZombiesLeft < orphanMakers {
		t.Errorf("%d zombies left, want %d: the orphans were collected by someone", rep.ZombiesLeft, orphanMakers)
	}
}

const (
	prSetChildSubreaper = 36
	orphanMakers        = 8
	ownChildren         = 24
)

// reaperHelper runs in the helper process: it starts children that exit
// with known codes beside children that leave orphans behind, and checks
// that each waiter got its own status.
func reaperHelper(mode string) int {
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, prSetChildSubreaper, 1, 0); errno != 0 {
		fmt.Fprintln(os.Stderr, "prctl(PR_SET_CHILD_SUBREAPER):", errno)
		return 2
	}
	dir, err := os.MkdirTemp("", "supervise-reaper-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	defer os.RemoveAll(dir)

	sup := New(Options{ReapOrphans: mode == "reap"})
	defer sup.Close()
	env := []string{"PATH=" + os.Getenv("PATH")}
	var (
		mu  sync.Mutex
		rep helperReport
		wg  sync.WaitGroup
	)
	mismatch := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		rep.Mismatches = append(rep.Mismatches, fmt.Sprintf(format, args...))
	}
	orphanPids := make([]int, orphanMakers)
	for i := range orphanMakers {
		wg.Go(func() {
			// The inner shell exits at once, re-parenting its sleep to us.
			pidFile := filepath.Join(dir, strconv.Itoa(i))
			p, err := sup.Start(&Command{Path: "/bin/sh", Args: []string{"sh", "-c",
				`sh -c 'sleep 0.2 & echo $! > "$1"' inner "$1"; exit 9`, "outer", pidFile}, Env: env})
			if err != nil {
				mismatch("orphan maker %d: %v", i, err)
				return
			}
			if st, err := waitAtMost(p, 10*time.Second); err != nil || st.ExitCode() != 9 {
				mismatch("orphan maker %d: got %v, %v; want exit status 9", i, st, err)
			}
			data, _ := os.ReadFile(pidFile)
			orphanPids[i], _ = strconv.Atoi(strings.TrimSpace(string(data)))
		})
	}
	for i := range ownChildren {
		wg.Go(func() {
			p, err := sup.Start(&Command{Path: "/bin/sh", Args: []string{"sh", "-c", "exit " + strconv.Itoa(i)}, Env: env})
			if err != nil {
				mismatch("child %d: %v", i, err)
				return
			}
			if st, err := waitAtMost(p, 10*time.Second); err != nil || st.ExitCode() != i {
				mismatch("child %d: got %v, %v", i, st, err)
			}
		})
	}
	wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, st, err := sup.Output(ctx, &Command{Path: "/bin/sh", Args: []string{"sh", "-c",
			`echo "Teleport v17.4.2 git:v17.4.2-0-g0 go1.26"; exit 4`}, Env: env}, 4096)
		if err != nil || st.ExitCode() != 4 {
			mismatch("probe: got %v, %v; want exit status 4", st, err)
		}
		mu.Lock()
		rep.VersionOutput = string(out)
		mu.Unlock()
	})
	wg.Wait()

	p, err := sup.Start(&Command{Path: "/bin/true", Args: []string{"true"}})
	if err == nil {
		waitAtMost(p, 10*time.Second)
		err = p.Signal(syscall.SIGTERM)
		rep.SignalAfterEnd = fmt.Sprint(err)
	}

	// Wait for every orphan to end; then give the reaper a bounded time to
	// collect them.
	deadline := time.Now().Add(15 * time.Second)
	for _, pid := range orphanPids {
		for pid > 0 && time.Now().Before(deadline) {
			state, ok := processState(pid)
			if !ok || state == "Z" {
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	for time.Now().Before(deadline) {
		rep.ZombiesLeft = countZombieChildren()
		if rep.ZombiesLeft == 0 || mode != "reap" {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	rep.OrphansReaped = sup.OrphansReaped()
	if mode == "reap" {
		rep.WaitAfterClose = waitAfterClose(sup, env)
	}
	if err := json.NewEncoder(os.Stdout).Encode(rep); err != nil {
		return 2
	}
	return 0
}

// waitAfterClose starts a child that outlives sup, closes sup and says what
// Wait then returns.
func waitAfterClose(sup *Supervisor, env []string) string {
	p, err := sup.Start(&Command{Path: "/bin/sh", Args: []string{"sh", "-c", "exec sleep 30"}, Env: env})
	if err != nil {
		return "start: " + err.Error()
	}
	defer syscall.Kill(p.Pid(), syscall.SIGKILL)
	sup.Close()
	st, err := waitAtMost(p, 10*time.Second)
	if err != nil {
		return err.Error()
	}
	return "no error, " + st.String()
}

// waitAtMost is Wait, bounded: a status that went to the wrong waiter never
// arrives.
func waitAtMost(p *Process, bound time.Duration) (Status, error) {
	select {
	case <-p.Done():
		return p.Wait()
	case <-time.After(bound):
		p.Signal(syscall.SIGKILL)
		return Status{}, errors.New("no status arrived")
	}
}

// processState is the state letter of pid from /proc, if it exists.
func processState(pid int) (string, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", false
	}
	fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
	if len(fields) < 2 {
		return "", false
	}
	return fields[0], true
}

// countZombieChildren counts this process's children that have ended and
// not been collected.
func countZombieChildren() int {
	self := strconv.Itoa(os.Getpid())
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return -1
	}
	n := 0
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		fields := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+1:]))
		if len(fields) >= 2 && fields[0] == "Z" && fields[1] == self {
			n++
		}
	}
	return n
}
