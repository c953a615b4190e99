package launch

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// Begin keeps what PROGRAM was started with: the file found on the search
// path, its argument vector and its environment, which the version probe
// reuses to ask the very same tbot.
func TestBeginKeepsWhatPROGRAMStartedWith(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "prog"), []byte("#!/bin/sh\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	argv := []string{"prog", "start"}
	env := []string{"PATH=/usr/bin:/bin", "TBOT_CONFIG_PATH=/etc/tbot.yaml"}
	l := Begin(argv, env, "/nonexistent:"+dir, nil, nil, nil)
	defer l.Close()
	if l.Child == nil {
		t.Fatal("prog did not start")
	}
	var s said
	if got := l.Wait(s.say); got != 3 {
		t.Errorf("status %d, want prog's 3", got)
	}
	if want := filepath.Join(dir, "prog"); l.Path != want {
		t.Errorf("Path %q, want %q", l.Path, want)
	}
	if !slices.Equal(l.Argv, []string{"prog", "start"}) {
		t.Errorf("Argv %q", l.Argv)
	}
	if !slices.Equal(l.Env, []string{"PATH=/usr/bin:/bin", "TBOT_CONFIG_PATH=/etc/tbot.yaml"}) {
		t.Errorf("Env %q", l.Env)
	}
}
