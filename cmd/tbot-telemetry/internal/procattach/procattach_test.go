package procattach

import "testing"

// Go's os.Getenv takes the first entry of a repeated name, and skips
// entries without "=" (syscall's copyenv); a shell takes the last.
func TestGetenv(t *testing.T) {
	environ := []string{"A=first", "NOEQUALS", "B=", "A=second", "C=x=y"}
	for _, tt := range []struct {
		key, want string
		ok        bool
	}{
		{"A", "first", true},
		{"B", "", true},
		{"C", "x=y", true},
		{"NOEQUALS", "", false},
		{"D", "", false},
	} {
		if got, ok := Getenv(environ, tt.key); got != tt.want || ok != tt.ok {
			t.Errorf("Getenv(%s) = %q, %v; want %q, %v", tt.key, got, ok, tt.want, tt.ok)
		}
	}
	env := (&Process{Environ: environ}).Env()
	if env["A"] != "first" || len(env) != 3 {
		t.Errorf("Env() = %v", env)
	}
}

func TestIsTbot(t *testing.T) {
	for _, tt := range []struct {
		argv0, exe string
		want       bool
	}{
		{"/usr/local/bin/tbot", "/opt/teleport/system/bin/tbot", true},
		{"tbot", "/usr/bin/tbot", true},
		{"/usr/local/bin/tbot", "/opt/teleport/default/bin/tbot-19", true}, // argv[0] says so
		{"/opt/x/tbot-wrapper", "/opt/teleport/system/bin/tbot (deleted)", true},
		{"/usr/lib/systemd/systemd", "/usr/lib/systemd/systemd", false},
		{"/usr/lib/systemd/systemd-executor", "/usr/lib/systemd/systemd-executor", false},
		{"/usr/bin/env", "/usr/bin/env", false},
		{"/bin/sh", "/usr/bin/dash", false},
		{"", "", false},
		{"tbot-telemetry", "/usr/local/bin/tbot-telemetry", false},
	} {
		if got := IsTbot(tt.argv0, tt.exe); got != tt.want {
			t.Errorf("IsTbot(%q, %q) = %v, want %v", tt.argv0, tt.exe, got, tt.want)
		}
	}
}
