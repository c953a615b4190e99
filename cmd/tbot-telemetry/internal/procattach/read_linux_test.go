package procattach

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

// Tests of read on a directory laid out as /proc/PID is, for what a real
// process cannot be made to do on demand: change between two looks, hold
// an empty or a huge command line, or fail a read.

// statLine is /proc/PID/stat for a sleeping process started at start (in
// clock ticks since boot, the 22nd field), its command name comm.
func statLine(comm, start string) string {
	fields := []string{"4242", "(" + comm + ")", "S"}
	for n := 4; n <= 52; n++ {
		switch n {
		case 22:
			fields = append(fields, start)
		case 23:
			fields = append(fields, "123456") // vsize
		default:
			fields = append(fields, "0")
		}
	}
	return strings.Join(fields, " ") + "\n"
}

// fakeProc lays out dir as /proc/PID: stat, exe (a link to exe), and
// cmdline and environ as NUL-terminated lists.
func fakeProc(t *testing.T, start, exe string, argv, environ []string) string {
	t.Helper()
	dir := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("stat", statLine(filepath.Base(exe), start))
	if err := os.Symlink(exe, filepath.Join(dir, "exe")); err != nil {
		t.Fatal(err)
	}
	list := func(l []string) string {
		var b strings.Builder
		for _, s := range l {
			b.WriteString(s + "\x00")
		}
		return b.String()
	}
	write("cmdline", list(argv))
	write("environ", list(environ))
	return dir
}

// read gives what it read only when the process is the same program at
// the end as at the start: an exec, or a new process under the PID,
// between the two looks would mix two programs' lists. Its environment
// is made a FIFO here, so that the test changes the process while read
// waits for it.
func TestReadDropsAProcessThatChangedMeanwhile(t *testing.T) {
	for name, change := range map[string]func(dir string) error{
		"a new process under the PID": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "stat"), []byte(statLine("tbot", "2000")), 0o600)
		},
		"an exec of another binary": func(dir string) error {
			if err := os.Remove(filepath.Join(dir, "exe")); err != nil {
				return err
			}
			return os.Symlink("/usr/lib/systemd/systemd-executor", filepath.Join(dir, "exe"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir := fakeProc(t, "1000", "/usr/bin/tbot", []string{"tbot", "start"}, nil)
			environ := filepath.Join(dir, "environ")
			if err := os.Remove(environ); err != nil {
				t.Fatal(err)
			}
			if err := syscall.Mkfifo(environ, 0o600); err != nil {
				t.Fatal(err)
			}
			type result struct {
				p   *Process
				err error
			}
			done := make(chan result, 1)
			go func() {
				p, err := read(dir)
				done <- result{p, err}
			}()
			// Opening the FIFO waits for read to open it: it has looked at
			// the process once, and read its command line.
			opened := make(chan *os.File, 1)
			go func() {
				w, _ := os.OpenFile(environ, os.O_WRONLY, 0)
				opened <- w
			}()
			var w *os.File
			select {
			case w = <-opened:
			case r := <-done:
				// Let the opener go before failing.
				if unblock, err := os.OpenFile(environ, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
					(<-opened).Close()
					unblock.Close()
				}
				t.Fatalf("read = %+v, %v before it read the environment", r.p, r.err)
			}
			if w == nil {
				t.Fatal("could not open the FIFO")
			}
			if err := change(dir); err != nil {
				t.Fatal(err)
			}
			w.WriteString("A=1\x00")
			w.Close()
			if r := <-done; r.p != nil || r.err != nil {
				t.Errorf("read = %+v, %v; want nothing yet (nil, nil)", r.p, r.err)
			}
		})
	}
	// Unchanged, the same layout is read.
	dir := fakeProc(t, "1000", "/usr/bin/tbot", []string{"tbot", "start"}, []string{"A=1"})
	if p, err := read(dir); err != nil || p == nil || !slices.Equal(p.Environ, []string{"A=1"}) {
		t.Errorf("read = %+v, %v", p, err)
	}
}

// A process with an empty command line (a kernel thread; a process between
// fork and exec may show one) is not tbot yet: nothing, and no error.
func TestReadAnEmptyCommandLine(t *testing.T) {
	dir := fakeProc(t, "1000", "/usr/bin/tbot", nil, nil)
	if p, err := read(dir); p != nil || err != nil {
		t.Errorf("read = %+v, %v; want nil, nil", p, err)
	}
}

// A command line or environment is read up to 8 MiB (four times what the
// kernel lets a program start with); a longer one is refused, never cut.
func TestReadBoundsTheLists(t *testing.T) {
	const bound = 8 << 20
	for _, size := range []int{bound, bound + 1} {
		arg := strings.Repeat("x", size-len("tbot\x00")-1)
		dir := fakeProc(t, "1000", "/usr/bin/tbot", []string{"tbot", arg}, nil)
		p, err := read(dir)
		switch {
		case size <= bound && (err != nil || p == nil || len(p.Argv) != 2 || p.Argv[1] != arg):
			t.Errorf("%d bytes: read = %v; want it whole", size, err)
		case size > bound && (err == nil || !strings.Contains(err.Error(), "too large")):
			t.Errorf("%d bytes: read = %v; want it refused as too large", size, err)
		}
	}
}

// A read that fails says how, never where: no path of /proc in the error.
func TestReadErrorsNameNoPath(t *testing.T) {
	dir := fakeProc(t, "1000", "/usr/bin/tbot", []string{"tbot"}, nil)
	environ := filepath.Join(dir, "environ")
	if err := os.Remove(environ); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(environ, 0o700); err != nil {
		t.Fatal(err)
	}
	_, err := read(dir)
	if !errors.Is(err, syscall.EISDIR) || strings.Contains(err.Error(), dir) {
		t.Errorf("read = %v; want EISDIR, without the path", err)
	}
}
