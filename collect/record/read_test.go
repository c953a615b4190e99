package record_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/collect/record"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// Tests of the queue as the forwarder reads it: long lines, what the
// backlog counts, when moved files are let go of, and the ring that a
// truncation is repaired from.

// longLineBound is the bound on a line read, newline included: 64 KiB, as
// collect's bound on a request. Written out, not record.MaxEventLineBytes,
// so that a change of the constant shows here.
const longLineBound = 64 << 10

// A line of exactly the bound, newline included, is read whole; one byte
// more and it comes back empty (to be skipped), and the line after it is
// read whole.
func TestLongLines(t *testing.T) {
	if record.MaxEventLineBytes != longLineBound {
		t.Errorf("MaxEventLineBytes = %d, want %d", record.MaxEventLineBytes, longLineBound)
	}
	o := open(t, filepath.Join(t.TempDir(), "events.jsonl"), true)
	atBound := strings.Repeat("a", longLineBound-1)
	over := strings.Repeat("b", longLineBound)
	for _, line := range []string{atBound, over, event(0), over + over, event(1)} {
		if _, err := o.Write([]byte(line + "\n")); err != nil {
			t.Fatal(err)
		}
	}
	same(t, "lines", o.read(t, -1), []string{atBound, "", event(0), "", event(1)})
	o.backlog(t, 0, 0)
}

// A cut last line closed at open is a line of the queue like any other:
// the backlog counts it, in bytes and in lines.
func TestACutLastLineIsInTheBacklog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(path, []byte(event(0)+"\n"+`{"event":"tbot.st`), 0o600); err != nil {
		t.Fatal(err)
	}
	o := open(t, path, true)
	o.write(t, 1, 2)
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	o.backlog(t, info.Size(), 3)
	same(t, "lines", o.read(t, -1), []string{event(0), `{"event":"tbot.st`, event(1)})
	o.backlog(t, 0, 0)
}

// A moved file cut short before it was forwarded: an error with what is
// lost, and the queue goes on to the new file.
func TestAMovedFileCutShort(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	o := open(t, path, true)
	o.write(t, 0, 5)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	o.write(t, 5, 6)
	if err := os.Truncate(path+".1", lineBytes(0, 2)); err != nil {
		t.Fatal(err)
	}
	same(t, "lines", o.read(t, -1), append(events(0, 2), event(5)))
	if out := o.logs.String(); !strings.Contains(out, "level=ERROR") || !strings.Contains(out, "cut short") ||
		!strings.Contains(out, fmt.Sprintf("lost_bytes=%d", lineBytes(2, 5))) {
		t.Errorf("logs:\n%s", out)
	}
	o.backlog(t, 0, 0)
}

// Each line is acknowledged once: acknowledging one again changes nothing.
func TestAcknowledgingALineAgain(t *testing.T) {
	o := open(t, filepath.Join(t.TempDir(), "events.jsonl"), true)
	o.write(t, 0, 3)
	var positions []record.Position
	for {
		_, pos, ok, err := o.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		positions = append(positions, pos)
	}
	o.Acknowledge(positions[0])
	o.Acknowledge(positions[1])
	o.Acknowledge(positions[1])
	o.Acknowledge(positions[0])
	o.backlog(t, lineBytes(2, 3), 1)
}

// Acknowledged is the offset in the file at the path, not in a moved one.
func TestAcknowledgedIsTheFileAtThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	o := open(t, path, true)
	o.write(t, 0, 5)
	o.read(t, 2)
	if got := o.Acknowledged(); got != lineBytes(0, 2) {
		t.Errorf("Acknowledged = %d, want %d", got, lineBytes(0, 2))
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	o.write(t, 5, 6)
	if got := o.Acknowledged(); got != 0 {
		t.Errorf("after a move, Acknowledged = %d, want 0: nothing of the new file", got)
	}
}

// openFiles is what this process has open now, by path.
func openFiles(t *testing.T) map[string]bool {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd to list open files: %v", err)
	}
	open := map[string]bool{}
	for _, fd := range fds {
		if target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); err == nil {
			open[target] = true
		}
	}
	return open
}

// A moved file is kept open while it has lines not yet acknowledged (so
// that deleting it loses nothing), and let go of once all of it is; without
// forwarding, at once.
func TestAMovedFileIsLetGoOf(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "events.jsonl")
	moved := path + ".1"
	o := open(t, path, true)
	o.write(t, 0, 3)
	if err := os.Rename(path, moved); err != nil {
		t.Fatal(err)
	}
	o.write(t, 3, 4)
	if !openFiles(t)[moved] {
		t.Fatal("the moved file was let go of with its lines not yet acknowledged")
	}
	o.read(t, -1)
	if openFiles(t)[moved] {
		t.Error("the moved file is still open once all of it was acknowledged")
	}

	plain := filepath.Join(dir, "plain.jsonl")
	p := open(t, plain, false)
	p.write(t, 0, 1)
	for i := range 3 {
		if err := os.Rename(plain, fmt.Sprintf("%s.%d", plain, i)); err != nil {
			t.Fatal(err)
		}
		p.write(t, 1, 2)
	}
	now := openFiles(t)
	for i := range 3 {
		if moved := fmt.Sprintf("%s.%d", plain, i); now[moved] {
			t.Errorf("without forwarding, a moved file is still open: %s", moved)
		}
	}
}

// The lines kept to write again after a truncation are the last 2048
// written: a truncation without a copy writes those again, and says how
// much before them is lost.
func TestTheRingKeepsTheLastLines(t *testing.T) {
	const ring, more = 2048, 10
	path := filepath.Join(t.TempDir(), "events.jsonl")
	o := open(t, path, true)
	o.write(t, 0, ring+more)
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	o.Check()
	if got := testsupport.ReadFile(t, path); got != strings.Join(events(more, ring+more), "\n")+"\n" {
		t.Errorf("the truncated file holds %d bytes, want the last %d lines written again", len(got), ring)
	}
	out := o.logs.String()
	if !strings.Contains(out, fmt.Sprintf("rewritten_lines=%d", ring)) || !strings.Contains(out, fmt.Sprintf("lost_bytes=%d", lineBytes(0, more))) {
		t.Errorf("logs:\n%s", out)
	}
}

// A clean stop syncs the output file: lines are not synced one by one, so
// this one sync is what makes them survive the machine going down. Only
// the system calls show it: the test runs itself again under strace.
func TestCloseSyncsTheOutputFile(t *testing.T) {
	const env = "RECORD_TEST_SYNC_PATH"
	if path := os.Getenv(env); path != "" {
		// The traced run: write a line and stop.
		f, err := record.Open(path, record.Options{Follow: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(event(0) + "\n")); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		return
	}
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "events.jsonl")
	calls := testsupport.TraceSyscalls(t, 30*time.Second, []string{"fsync", "fdatasync"}, "TestCloseSyncsTheOutputFile", env+"="+path)
	for _, call := range calls {
		if strings.Contains(call, "<"+path+">") && strings.Contains(call, "= 0") {
			return
		}
	}
	t.Errorf("no sync of %s in:\n%s", path, strings.Join(calls, "\n"))
}

// Close lets go of every file it held: the one at the path, the moved ones
// not yet forwarded, and the lock.
func TestCloseLetsGoOfEveryFile(t *testing.T) {
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "events.jsonl")
	o := open(t, path, true)
	o.write(t, 0, 2)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	o.write(t, 2, 3)
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	for target := range openFiles(t) {
		if strings.HasPrefix(target, dir+"/") {
			t.Errorf("still open after Close: %s", target)
		}
	}
}

// A truncation without a copy while collect runs, and a stop before the
// lines in flight were acknowledged (a crash): those lines were written
// again into the file at the path, which the offset file names alone, so a
// restart reads them from there and warns about nothing lost.
func TestRestartAfterATruncationWithLinesInFlight(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	o := open(t, path, true)
	o.write(t, 0, 4)
	same(t, "before", o.read(t, 1), events(0, 4))
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	o.write(t, 4, 5)
	if err := o.Save(); err != nil {
		t.Fatal(err)
	}
	o.Close()
	again := open(t, path, true)
	same(t, "after the restart", again.read(t, -1), events(1, 5))
	if out := again.logs.String(); out != "" {
		t.Errorf("logs:\n%s", out)
	}
}
