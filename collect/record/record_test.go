package record_test

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/collect/record"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// Tests of the output file as a queue, with real files in a temporary
// folder and the file operations that operators and logrotate do.

// opened is a record.File with what it logged.
type opened struct {
	*record.File
	logs *testsupport.LockedBuffer
}

func open(t *testing.T, path string, follow bool) *opened {
	t.Helper()
	logs := &testsupport.LockedBuffer{}
	f, err := record.Open(path, record.Options{Follow: follow, Log: slog.New(slog.NewTextHandler(logs, nil)), PID: 4242})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &opened{File: f, logs: logs}
}

// event is the line of the nth event of a test: unique, as every line of
// collect is (each holds a random distinct_id).
func event(n int) string { return fmt.Sprintf(`{"event":"tbot.start","n":%d}`, n) }

func (o *opened) write(t *testing.T, from, to int) {
	t.Helper()
	for n := from; n < to; n++ {
		if _, err := o.Write([]byte(event(n) + "\n")); err != nil {
			t.Fatal(err)
		}
	}
}

// read reads every line there is now and acknowledges the first ack of
// them (all when ack < 0), in order.
func (o *opened) read(t *testing.T, ack int) []string {
	t.Helper()
	var lines []string
	var positions []record.Position
	for {
		line, pos, ok, err := o.Next()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		lines = append(lines, string(line))
		positions = append(positions, pos)
	}
	if ack < 0 {
		ack = len(positions)
	}
	for _, p := range positions[:ack] {
		o.Acknowledge(p)
	}
	return lines
}

func events(from, to int) []string {
	var out []string
	for n := from; n < to; n++ {
		out = append(out, event(n))
	}
	return out
}

func same(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func (o *opened) backlog(t *testing.T, bytes, lines int64) {
	t.Helper()
	if b, l := o.Backlog(); b != bytes || l != lines {
		t.Fatalf("backlog %d bytes, %d lines; want %d and %d", b, l, bytes, lines)
	}
}

func lineBytes(from, to int) int64 { return int64(len(strings.Join(events(from, to), "\n")) + 1) }

// A file that ends in the middle of a line (a crash, a full disk) is
// closed at open, before anything is appended: the cut line stays a line
// of its own, and the first new line is whole.
func TestClosesACutLastEventLineAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(path, []byte(event(0)+"\n"+`{"event":"tbot.st`), 0o600); err != nil {
		t.Fatal(err)
	}
	o := open(t, path, false)
	if got := testsupport.ReadFile(t, path); got != event(0)+"\n"+`{"event":"tbot.st`+"\n" {
		t.Fatalf("after open: %q", got)
	}
	o.write(t, 1, 2)
	if got := testsupport.ReadFile(t, path); !strings.HasSuffix(got, "\n"+event(1)+"\n") {
		t.Fatalf("after a write: %q", got)
	}
	if !strings.Contains(o.logs.String(), "ended in the middle of a line") {
		t.Errorf("no warning:\n%s", o.logs.String())
	}
}

// One owner: a second Open of the same file, or of the same file through
// another name, fails at once; the lock goes with Close.
func TestOneOwner(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.jsonl")
	first := open(t, path, true)
	_, err := record.Open(path, record.Options{Follow: true, PID: 1})
	if !errors.Is(err, record.ErrInUse) || !strings.Contains(err.Error(), "(PID 4242)") {
		t.Fatalf("second Open: %v, want ErrInUse naming PID 4242", err)
	}
	link := filepath.Join(dir, "link.jsonl")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	if _, err := record.Open(link, record.Options{}); !errors.Is(err, record.ErrInUse) {
		t.Fatalf("Open through a symlink: %v, want ErrInUse", err)
	}
	first.Close()
	second, err := record.Open(path, record.Options{Follow: true})
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	second.Close()
}

// A file moved away (logrotate's create mode) is followed: the next line
// goes to a new file at the path, and the moved one is read to its end
// before the new one.
func TestFollowsAMoveWhileRunning(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.jsonl")
	o := open(t, path, true)
	o.write(t, 0, 5)
	same(t, "before the move", o.read(t, 2), events(0, 5))
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	o.write(t, 5, 8)
	same(t, "after the move", o.read(t, 0), events(5, 8))
	if got := testsupport.ReadFile(t, path); got != strings.Join(events(5, 8), "\n")+"\n" {
		t.Errorf("the new file holds %q", got)
	}
	o.backlog(t, lineBytes(2, 8), 6)
}

// A move found only by the reader's look (no line written since) still
// leaves the moved file to be read to its end first.
func TestAMoveSeenWithoutWrites(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.jsonl")
	o := open(t, path, true)
	o.write(t, 0, 3)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	o.Check()
	o.write(t, 3, 4)
	same(t, "lines", o.read(t, -1), events(0, 4))
	o.backlog(t, 0, 0)
}

// A look at the path that fails for another reason than "not there" (EIO,
// EACCES: the file may well still be there) is no move: the lines go on
// into the open file, read once, with nothing said about a rotation.
func TestAPathThatCannotBeLookedAtIsNoMove(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	logs := &testsupport.LockedBuffer{}
	failing := false
	f, err := record.Open(path, record.Options{Follow: true, Log: slog.New(slog.NewTextHandler(logs, nil)),
		StatPath: func(name string) (os.FileInfo, error) {
			if failing {
				return nil, &os.PathError{Op: "stat", Path: name, Err: syscall.EIO}
			}
			return os.Stat(name)
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	o := &opened{File: f, logs: logs}
	o.write(t, 0, 2)
	failing = true
	o.Check()
	o.write(t, 2, 4)
	failing = false
	same(t, "lines", o.read(t, -1), events(0, 4))
	if got := testsupport.ReadFile(t, path); got != strings.Join(events(0, 4), "\n")+"\n" {
		t.Errorf("the file holds %q", got)
	}
	if strings.Contains(logs.String(), "moved") {
		t.Errorf("a failed look was taken for a move:\n%s", logs.String())
	}
	o.backlog(t, 0, 0)
}

// copytruncate: the file is copied, then truncated. Reading starts again
// at the file's start at once; what was not yet read is read from the
// copy; the line written between the copy and the truncation (in no file)
// is written again from memory.
func TestCopyTruncate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.jsonl")
	o := open(t, path, true)
	o.write(t, 0, 6)
	same(t, "first", o.read(t, 2)[:2], events(0, 2))
	o.write(t, 6, 10)
	// The copy holds lines 0..8; line 9 came after the copy was made.
	whole := testsupport.ReadFile(t, path)
	copied := whole[:len(whole)-len(event(9))-1]
	if err := os.WriteFile(path+".1", []byte(copied), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	o.Check()
	o.write(t, 10, 12)
	same(t, "after the truncation", o.read(t, 0), append(events(6, 10), events(10, 12)...))
	if got := testsupport.ReadFile(t, path); got != event(9)+"\n"+event(10)+"\n"+event(11)+"\n" {
		t.Errorf("the truncated file holds %q, want line 9 written again, then 10 and 11", got)
	}
	// Lines 2..8 in the copy (2..5 read before the truncation), and 9..11
	// in the file.
	o.backlog(t, lineBytes(2, 12), 10)
	if !strings.Contains(o.logs.String(), "copytruncate") || !strings.Contains(o.logs.String(), "copy=events.jsonl.1") {
		t.Errorf("logs:\n%s", o.logs.String())
	}
}

// A truncation with no copy (": > file"): the lines not yet acknowledged
// that are still in memory are written again, and reading goes on from
// the file's start.
func TestTruncationWithoutACopy(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	o := open(t, path, true)
	o.write(t, 0, 4)
	same(t, "first", o.read(t, 1), events(0, 4))
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	o.write(t, 4, 5)
	same(t, "after", o.read(t, -1), events(1, 5))
	if !strings.Contains(o.logs.String(), "no copy") || !strings.Contains(o.logs.String(), "lost_bytes=0") {
		t.Errorf("logs:\n%s", o.logs.String())
	}
}

// A restart on a fully acknowledged file (the state a clean stop leaves)
// has nothing to read and nothing to say.
func TestRestartFullyAcknowledged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	o := open(t, path, true)
	o.write(t, 0, 5)
	o.read(t, -1)
	if err := o.Save(); err != nil {
		t.Fatal(err)
	}
	o.Close()
	again := open(t, path, true)
	if lines := again.read(t, -1); len(lines) != 0 {
		t.Errorf("read %q", lines)
	}
	again.backlog(t, 0, 0)
	if again.logs.String() != "" {
		t.Errorf("logs:\n%s", again.logs.String())
	}
}

// After a restart, a file moved away while collect was stopped (or while
// it ran, its backlog not yet forwarded) is found in the folder by its
// identity and finished before the new file; the offset file's absence or
// garbage is warned about.
func TestRestartFindsAMovedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.jsonl")
	o := open(t, path, true)
	o.write(t, 0, 5)
	o.read(t, 2)
	if err := o.Save(); err != nil {
		t.Fatal(err)
	}
	o.Close()
	if err := os.Rename(path, filepath.Join(dir, "archive-1.jsonl")); err != nil {
		t.Fatal(err)
	}
	again := open(t, path, true)
	again.backlog(t, lineBytes(2, 5), 3)
	again.write(t, 5, 7)
	same(t, "after the restart", again.read(t, -1), events(2, 7))
	if err := again.Save(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(again.logs.String(), "file=archive-1.jsonl") {
		t.Errorf("logs:\n%s", again.logs.String())
	}
}

// A moved file that is no longer in the folder with events not yet
// forwarded is an error in the logs, with how much was lost.
func TestRestartWithAMovedFileGone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.jsonl")
	o := open(t, path, true)
	o.write(t, 0, 5)
	o.read(t, 2)
	o.Save()
	o.Close()
	if err := os.Rename(path, filepath.Join(t.TempDir(), "elsewhere")); err != nil {
		t.Fatal(err)
	}
	again := open(t, path, true)
	if !strings.Contains(again.logs.String(), "level=ERROR") || !strings.Contains(again.logs.String(), fmt.Sprintf("lost_bytes=%d", lineBytes(2, 5))) {
		t.Errorf("logs:\n%s", again.logs.String())
	}
}

// A truncation while collect was stopped: the rest of the copy, then the
// file from its start.
func TestRestartAfterCopyTruncate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.jsonl")
	o := open(t, path, true)
	o.write(t, 0, 5)
	o.read(t, 2)
	o.Save()
	o.Close()
	if err := os.WriteFile(path+".1", []byte(testsupport.ReadFile(t, path)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	again := open(t, path, true)
	again.write(t, 5, 6)
	same(t, "after the restart", again.read(t, -1), events(2, 6))
}

// The offset file missing beside a file with lines, or not one this
// program wrote: a warning, and the whole file again.
func TestOffsetFileMissingOrUnusable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	o := open(t, path, true)
	o.write(t, 0, 3)
	o.Close()
	again := open(t, path, true)
	if !strings.Contains(again.logs.String(), "No offset file") {
		t.Errorf("missing: %s", again.logs.String())
	}
	again.Close()
	if err := os.WriteFile(record.CursorPath(path), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	third := open(t, path, true)
	if !strings.Contains(third.logs.String(), "unusable") {
		t.Errorf("garbage: %s", third.logs.String())
	}
	same(t, "lines", third.read(t, -1), events(0, 3))
}

// A truncation while collect was stopped after everything was forwarded
// (logrotate's copytruncate between a clean stop and a start) loses
// nothing, and says so at info level only.
func TestRestartAfterATruncationOfWhatWasForwarded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	o := open(t, path, true)
	o.write(t, 0, 3)
	o.read(t, -1)
	o.Save()
	o.Close()
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	again := open(t, path, true)
	again.write(t, 3, 4)
	same(t, "after the restart", again.read(t, -1), events(3, 4))
	if out := again.logs.String(); strings.Contains(out, "level=WARN") || strings.Contains(out, "level=ERROR") || !strings.Contains(out, "after all of it was forwarded") {
		t.Errorf("logs:\n%s", out)
	}
}
