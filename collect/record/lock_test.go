package record_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/collect/record"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// The lock file names its owner as it is now: an owner with a shorter PID
// than the last one is named whole, not mixed with the last one's digits.
func TestTheLockNamesTheOwnerNow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	first, err := record.Open(path, record.Options{PID: 4194304})
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	second, err := record.Open(path, record.Options{PID: 42})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if got := testsupport.ReadFile(t, record.LockPath(path)); got != "42\n" {
		t.Errorf("the lock file holds %q, want the owner's PID, 42", got)
	}
	_, err = record.Open(path, record.Options{PID: 7})
	if !errors.Is(err, record.ErrInUse) || !strings.Contains(err.Error(), "(PID 42)") {
		t.Fatalf("a third Open: %v, want ErrInUse naming PID 42", err)
	}
}

// The output file is made private to its owner, at Open and after a move.
func TestTheOutputFileIsPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	o := open(t, path, true)
	private := func(what string) {
		t.Helper()
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: mode %v, want -rw-------", what, perm)
		}
	}
	private("at Open")
	o.write(t, 0, 1)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	o.write(t, 1, 2)
	private("after a move")
}
