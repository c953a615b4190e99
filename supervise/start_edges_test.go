package supervise

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The shell's statuses, written out: 127 for a program that is not there,
// 126 for one that is but cannot run.
func TestShellStatusesAreTheShells(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "plain")
	if err := os.WriteFile(plain, []byte("#!/bin/sh\nexit 0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sup := New(Options{})
	defer sup.Close()
	for path, want := range map[string]int{filepath.Join(dir, "absent"): 127, plain: 126} {
		_, err := sup.Start(&Command{Path: path, Args: []string{filepath.Base(path)}})
		var se *StartError
		if !errors.As(err, &se) || se.Code != want {
			t.Errorf("starting %s: %v, want status %d", filepath.Base(path), err, want)
		}
	}
}

// With only files that cannot run on PATH, the first of them is the one a
// shell tries (and reports as "permission denied").
func TestLookPathFallsBackToTheFirstCandidate(t *testing.T) {
	first, second := t.TempDir(), t.TempDir()
	for _, dir := range []string{first, second} {
		if err := os.WriteFile(filepath.Join(dir, "tool"), []byte("#!/bin/sh\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want := filepath.Join(first, "tool")
	if got, err := LookPath("tool", first+":"+second); err != nil || got != want {
		t.Errorf("LookPath = %q, %v; want %q", got, err, want)
	}
}

// openFiles counts this process's open file descriptors.
func openFiles(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("no /proc/self/fd: %v", err)
	}
	return len(entries)
}

// A program that cannot be started leaves no pipe open behind it: a wrapper
// that retries, or a long-lived caller, would run out of descriptors.
func TestFailedStartLeaksNoPipes(t *testing.T) {
	sup := New(Options{})
	defer sup.Close()
	absent := filepath.Join(t.TempDir(), "absent")
	const starts = 20
	before := openFiles(t)
	for range starts {
		var out, errOut bytes.Buffer
		_, err := sup.Start(&Command{Path: absent, Args: []string{"absent"},
			Stdin: strings.NewReader("input\n"), Stdout: &out, Stderr: &errOut})
		if err == nil {
			t.Fatal("started a program that is not there")
		}
	}
	// Each leaked start would hold three pipe ends: 60 in all. A few
	// descriptors of the runtime's own may come and go meanwhile.
	if after := openFiles(t); after-before > starts/2 {
		t.Errorf("%d descriptors open after %d failed starts, %d before", after, starts, before)
	}
}

// wait4 reports only ended children to the Supervisor, but a status that is
// neither an exit nor a death by signal (here, as the kernel encodes a
// child stopped by SIGSTOP) must still read as a failure, never a success.
func TestExitCodeOfAnUnendedStatusIsAFailure(t *testing.T) {
	stopped := Status{wait: syscall.WaitStatus(0x137f)}
	if got := stopped.ExitCode(); got != 1 {
		t.Errorf("ExitCode of a stopped status = %d, want 1", got)
	}
}

// A Command's own WaitDelay is how long output still flows after the child
// ends: what a process it left behind writes within it is kept. The leftover
// writes half a second after the child's end, far past DefaultWaitDelay and
// far within the 20 s given here.
func TestWaitDelayOfTheCommand(t *testing.T) {
	sup := New(Options{})
	defer sup.Close()
	var out bytes.Buffer
	cmd := shell(`(sleep 0.5; echo late) & echo early`)
	cmd.Stdout = &out
	cmd.WaitDelay = testBound
	p, err := sup.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if st := waitBounded(t, p); st.ExitCode() != 0 {
		t.Errorf("child: %v", st)
	}
	if out.String() != "early\nlate\n" {
		t.Errorf("output %q, want the leftover's line too", out.String())
	}
}
