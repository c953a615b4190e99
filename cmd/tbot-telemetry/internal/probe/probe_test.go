package probe

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// What real tbot binaries print (13.1.3 and 15.0.0-dev built from source,
// a release build, and teleport-actions' Enterprise form).
func TestParseVersion(t *testing.T) {
	for out, want := range map[string]string{
		"Teleport v13.1.3 git: go1.26.8\n":                        "13.1.3",
		"Teleport v15.0.0-dev git: go1.26.8\n":                    "15.0.0-dev",
		"Teleport v17.4.2 git:v17.4.2-0-gabc1234 go1.23.5\n":      "17.4.2",
		"Teleport Enterprise v18.1.0 git:v18.1.0-0-g1 go1.24.4\n": "18.1.0",
		"some banner\nTeleport v16.0.0 git:x go1.22\n":            "16.0.0",
		"tbot version 17\n":                                       "",
		"":                                                        "",
	} {
		if got := ParseVersion([]byte(out)); got != want {
			t.Errorf("ParseVersion(%q) = %q, want %q", out, got, want)
		}
	}
}

// fakeTbot writes a tbot that runs script for `tbot version`.
func fakeTbot(t *testing.T, script string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tbot")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestVersion(t *testing.T) {
	tests := []struct {
		name, script, want, wantErr string
	}{
		{"prints its version", `[ "$1" = version ] && echo "Teleport v14.3.3 git: go1.26.8"`, "14.3.3", ""},
		{"prints nothing", "exit 0", "", "no version in its output"},
		{"fails", "echo oops >&2; exit 3", "", "no version in its output"},
		{"hangs", "exec sleep 10", "", "deadline exceeded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tbot := fakeTbot(t, tt.script)
			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			got, err := Version(ctx, tbot, "/usr/bin:/bin", []string{"PATH=/usr/bin:/bin"})
			if got != tt.want || (tt.wantErr == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("got %q, %v; want %q, %q", got, err, tt.want, tt.wantErr)
			}
			if err != nil && strings.Contains(err.Error(), tbot) {
				t.Errorf("the error names the path: %v", err)
			}
		})
	}
	// By name, on the PATH it is given.
	tbot := fakeTbot(t, `echo "Teleport v15.0.0-dev git: go1.26.8"`)
	if got, err := Version(context.Background(), "tbot", filepath.Dir(tbot), nil); got != "15.0.0-dev" || err != nil {
		t.Errorf("by name: %q, %v", got, err)
	}
	if _, err := Version(context.Background(), "tbot", t.TempDir(), nil); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("not on PATH: %v", err)
	}
}
