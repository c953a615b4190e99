package record_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/collect/record"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// Tests of the offset file: how it is written, and what a restart makes
// of it when it no longer fits what is in the folder.

// stopped writes n lines to a new output file in a folder of its own,
// acknowledges the first acked of them, saves and closes: a collect
// stopped cleanly with a backlog of n-acked lines.
func stopped(t *testing.T, n, acked int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "events.jsonl")
	o := open(t, path, true)
	o.write(t, 0, n)
	o.read(t, acked)
	if err := o.Save(); err != nil {
		t.Fatal(err)
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// editCursor changes the offset file's only entry, as decoded JSON.
func editCursor(t *testing.T, path string, change func(c map[string]any, entry map[string]any)) {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal([]byte(testsupport.ReadFile(t, record.CursorPath(path))), &c); err != nil {
		t.Fatal(err)
	}
	files, _ := c["files"].([]any)
	if len(files) != 1 {
		t.Fatalf("the offset file names %d files, want 1", len(files))
	}
	change(c, files[0].(map[string]any))
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(record.CursorPath(path), b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// Save replaces the offset file whole: a reader that opened it before
// reads the old content, whole, and the path the new one.
func TestSaveReplacesTheOffsetFileWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	o := open(t, path, true)
	o.write(t, 0, 4)
	o.read(t, 1)
	if err := o.Save(); err != nil {
		t.Fatal(err)
	}
	old := testsupport.ReadFile(t, record.CursorPath(path))
	reader, err := os.Open(record.CursorPath(path))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	o.write(t, 4, 5)
	o.read(t, -1)
	if err := o.Save(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	n, _ := reader.ReadAt(buf, 0)
	if string(buf[:n]) != old {
		t.Errorf("a reader of the offset file saw %q, want the old content whole, %q", buf[:n], old)
	}
	if now := testsupport.ReadFile(t, record.CursorPath(path)); now == old {
		t.Error("the offset file was not saved again")
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".tmp") {
			t.Errorf("a temporary file left behind: %s", e.Name())
		}
	}
}

// Save writes nothing when nothing moved: the poll that saves four times a
// second does not rewrite the file each time.
func TestSaveWritesOnlyWhatMoved(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	o := open(t, path, true)
	o.write(t, 0, 3)
	o.read(t, 2)
	if err := o.Save(); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(record.CursorPath(path))
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := o.Save(); err != nil {
			t.Fatal(err)
		}
	}
	after, err := os.Stat(record.CursorPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("Save replaced the offset file though nothing moved")
	}
}

// A first start, on a file that does not exist yet, has nothing to warn
// about: no offset file is expected beside an empty output file.
func TestAFirstStartIsQuiet(t *testing.T) {
	o := open(t, filepath.Join(t.TempDir(), "events.jsonl"), true)
	if out := o.logs.String(); out != "" {
		t.Errorf("logs:\n%s", out)
	}
}

// An offset file this program could not have written (another version, an
// offset beyond the size it names, a negative offset) is unusable: a
// warning, and the whole file again, never lines skipped.
func TestAnOffsetFileOutOfRangeIsUnusable(t *testing.T) {
	for name, change := range map[string]func(c, e map[string]any){
		"another version":        func(c, _ map[string]any) { c["version"] = 3 },
		"offset beyond its size": func(_, e map[string]any) { e["size"] = e["offset"].(float64) - 1 },
		"negative offset":        func(_, e map[string]any) { e["offset"] = -1 },
	} {
		t.Run(name, func(t *testing.T) {
			path := stopped(t, 5, 2)
			editCursor(t, path, change)
			o := open(t, path, true)
			if !strings.Contains(o.logs.String(), "The offset file is unusable") {
				t.Errorf("logs:\n%s", o.logs.String())
			}
			same(t, "lines", o.read(t, -1), events(0, 5))
		})
	}
}

// A bare offset that is negative is no offset an earlier release wrote.
func TestANegativeOldOffsetIsUnusable(t *testing.T) {
	path := stopped(t, 3, 1)
	if err := os.WriteFile(record.CursorPath(path), []byte("-5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := open(t, path, true)
	if !strings.Contains(o.logs.String(), "The offset file is unusable") {
		t.Errorf("logs:\n%s", o.logs.String())
	}
	same(t, "lines", o.read(t, -1), events(0, 3))
}

// A bare offset (an earlier release's offset file) that does not fit the
// file at the path: its size then is not known, so the file is read from
// its start with a warning, never taken as all forwarded.
func TestAnOldOffsetThatDoesNotFit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	o := open(t, path, false)
	o.write(t, 0, 3)
	o.Close()
	if err := os.WriteFile(record.CursorPath(path), []byte("999999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	again := open(t, path, true)
	out := again.logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "not the one the offset file describes") ||
		strings.Contains(out, "after all of it was forwarded") {
		t.Errorf("logs:\n%s", out)
	}
	same(t, "lines", again.read(t, -1), events(0, 3))
}

// The file at the path rewritten in place while collect was stopped (the
// same inode, other lines): the saved offset is not its, and it is read
// from its start, with a warning naming what is lost.
func TestAFileRewrittenInPlaceWhileStopped(t *testing.T) {
	path := stopped(t, 5, 2)
	// Lines of the same lengths, so that the saved offset is at a line's
	// end in the new content too.
	if err := os.WriteFile(path, []byte(strings.Join(events(5, 10), "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := open(t, path, true)
	same(t, "lines", o.read(t, -1), events(5, 10))
	if out := o.logs.String(); !strings.Contains(out, "not the one the offset file describes") || !strings.Contains(out, "lost_bytes=") {
		t.Errorf("logs:\n%s", out)
	}
}

// A saved offset in the middle of a line cannot be one this program saved:
// the file is read from its start, never from half a line.
func TestAnOffsetInTheMiddleOfALine(t *testing.T) {
	path := stopped(t, 5, 2)
	editCursor(t, path, func(_, e map[string]any) { e["offset"] = e["offset"].(float64) - 3 })
	o := open(t, path, true)
	same(t, "lines", o.read(t, -1), events(0, 5))
	if out := o.logs.String(); !strings.Contains(out, "not the one the offset file describes") {
		t.Errorf("logs:\n%s", out)
	}
}

// A file moved away after a clean stop that forwarded all of it, whether
// it stays in the folder or leaves it: nothing to forward, nothing to say.
// (Leaving, not deleted: a deleted file's inode may be the new file's.)
func TestRestartAfterAForwardedFileWasMoved(t *testing.T) {
	for _, away := range []string{"", t.TempDir()} {
		path := stopped(t, 3, -1)
		dir := away
		if dir == "" {
			dir = filepath.Dir(path)
		}
		if err := os.Rename(path, filepath.Join(dir, "archive-1.jsonl")); err != nil {
			t.Fatal(err)
		}
		o := open(t, path, true)
		if lines := o.read(t, -1); len(lines) != 0 {
			t.Errorf("moved to %q: read %q", away, lines)
		}
		o.backlog(t, 0, 0)
		if out := o.logs.String(); out != "" {
			t.Errorf("moved to %q: logs:\n%s", away, out)
		}
	}
}

// A moved file with a backlog that left the folder while a copy of it
// came in under another name (a backup tool, a move across file systems
// and back): the copy is found by its first line and finished first.
func TestRestartFindsACopyOfAMovedFile(t *testing.T) {
	path := stopped(t, 5, 2)
	archive := filepath.Join(filepath.Dir(path), "archive-1.jsonl")
	if err := os.WriteFile(archive, []byte(testsupport.ReadFile(t, path)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, filepath.Join(t.TempDir(), "elsewhere")); err != nil {
		t.Fatal(err)
	}
	o := open(t, path, true)
	o.backlog(t, lineBytes(2, 5), 3)
	o.write(t, 5, 6)
	same(t, "lines", o.read(t, -1), events(2, 6))
	if out := o.logs.String(); !strings.Contains(out, "file=archive-1.jsonl") || strings.Contains(out, "level=WARN") || strings.Contains(out, "level=ERROR") {
		t.Errorf("logs:\n%s", out)
	}
}
