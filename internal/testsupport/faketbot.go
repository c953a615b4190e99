package testsupport

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BuildFakeTbot builds the Go stand-in for tbot (./faketbot, whose package
// comment says what it does) as dir/tbot and returns that path.
func BuildFakeTbot(dir string) (string, error) {
	return buildStatic(filepath.Join(dir, "tbot"), "github.com/tbot-telemetry/tbot-telemetry/internal/testsupport/faketbot")
}

// FakeTbotRecord is what the stand-in saw at its start (faketbot's Record).
type FakeTbotRecord struct {
	Args   []string          `json:"args"`
	Getenv map[string]string `json:"getenv"`
	Dir    string            `json:"dir"`
}

// ReadFakeTbotRecord reads what the stand-in recorded in path.
func ReadFakeTbotRecord(tb testing.TB, path string) FakeTbotRecord {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("the stand-in tbot recorded nothing: %v", err)
	}
	var rec FakeTbotRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		tb.Fatalf("the stand-in's record: %v", err)
	}
	return rec
}

// Daemon is a process started with StartDaemon.
type Daemon struct {
	Process *os.Process
	stdout  *bufio.Reader
	done    chan struct{}
	state   *os.ProcessState
}

// StartDaemon starts argv with exactly env, kept as it is (a name given
// twice stays twice: os/exec would keep only the last), in dir, and ends
// it with SIGKILL when the test ends. os.StartProcess does not look argv[0]
// up on PATH.
func StartDaemon(tb testing.TB, dir string, env []string, argv ...string) *Daemon {
	tb.Helper()
	return StartDaemonFrom(tb, argv[0], dir, env, argv...)
}

// StartDaemonFrom is StartDaemon running the binary at path, whatever
// argv[0] says.
func StartDaemonFrom(tb testing.TB, path, dir string, env []string, argv ...string) *Daemon {
	tb.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		tb.Fatal(err)
	}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		tb.Fatal(err)
	}
	defer devnull.Close()
	p, err := os.StartProcess(path, argv, &os.ProcAttr{
		Dir:   dir,
		Env:   append([]string{}, env...),
		Files: []*os.File{devnull, w, os.Stderr},
	})
	w.Close()
	if err != nil {
		r.Close()
		tb.Fatal(err)
	}
	d := &Daemon{Process: p, stdout: bufio.NewReader(r), done: make(chan struct{})}
	go func() {
		d.state, _ = p.Wait()
		r.Close()
		close(d.done)
	}()
	tb.Cleanup(func() {
		p.Signal(syscall.SIGKILL)
		<-d.done
	})
	return d
}

// WaitReady waits, within bound, for the stand-in's "ready" line.
func (d *Daemon) WaitReady(tb testing.TB, bound time.Duration) {
	tb.Helper()
	line := make(chan string, 1)
	go func() {
		s, _ := d.stdout.ReadString('\n')
		line <- s
	}()
	select {
	case s := <-line:
		if s != "ready\n" {
			tb.Fatalf("the stand-in said %q, not ready", s)
		}
	case <-time.After(bound):
		tb.Fatalf("the stand-in was not ready within %v", bound)
	}
}

// Stop sends SIGTERM and waits, within bound, for the end.
func (d *Daemon) Stop(tb testing.TB, bound time.Duration) *os.ProcessState {
	tb.Helper()
	d.Process.Signal(syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	select {
	case <-d.done:
		return d.state
	case <-ctx.Done():
		tb.Fatalf("the process did not end within %v of SIGTERM", bound)
		return nil
	}
}

// Ended waits for the process to end, as after a -launch that failed.
func (d *Daemon) Ended() <-chan struct{} { return d.done }
