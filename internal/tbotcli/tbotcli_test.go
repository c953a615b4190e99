package tbotcli

import "testing"

// tbot's global flags as docs/release-lines.md gives them, written out here rather than
// read from the table.
func TestLookup(t *testing.T) {
	tests := map[string]struct {
		name    string
		logging bool
	}{
		"-d": {"debug", true}, "--debug": {"debug", true}, "--no-debug": {"debug", true},
		"-c": {"config", false}, "--config": {"config", false}, "--config=/etc/tbot.yaml": {"config", false},
		"--config-string": {"config-string", false}, "--fips": {"fips", false}, "--no-fips": {"fips", false},
		"--insecure": {"insecure", false}, "--log-format": {"log-format", true}, "--log-format=json": {"log-format", true},
	}
	for arg, want := range tests {
		f, ok := Lookup(arg)
		if !ok || f.Name != want.name || SetsLogging(arg) != want.logging {
			t.Errorf("Lookup(%q) = %+v, %v; want %s (logging %v)", arg, f, ok, want.name, want.logging)
		}
	}
	for _, arg := range []string{"", "-", "--", "-x", "-dc", "--no-config", "--no-log-format", "--token", "start", "--debugx", "d"} {
		if f, ok := Lookup(arg); ok {
			t.Errorf("Lookup(%q) = %+v, want no global flag", arg, f)
		}
	}
}

// The variables that stand for global flags, as docs/release-lines.md
// gives them, and the flags without one.
func TestEnvVars(t *testing.T) {
	want := map[string]string{"debug": "TBOT_DEBUG", "config": "TBOT_CONFIG_PATH", "config-string": "TBOT_CONFIG",
		"fips": "", "insecure": "", "log-format": "", "trace": "", "trace-exporter": "", "mem-profile": "", "cpu-profile": "",
		"trace-profile": ""}
	for _, f := range GlobalFlags {
		if w, ok := want[f.Name]; !ok || f.EnvVar != w {
			t.Errorf("--%s stands for $%s, want $%s", f.Name, f.EnvVar, w)
		}
		delete(want, f.Name)
	}
	for name := range want {
		t.Errorf("--%s is missing from the table", name)
	}
	if EnvDebug != "TBOT_DEBUG" || EnvConfigPath != "TBOT_CONFIG_PATH" || EnvConfigString != "TBOT_CONFIG" {
		t.Errorf("variables %s, %s, %s", EnvDebug, EnvConfigPath, EnvConfigString)
	}
}

// Which global flags take a value, as docs/release-lines.md gives them:
// only the bools have a --no- form, hidden ones included. A short flag
// is a letter; the flags without one are not found by a NUL.
func TestTakesValue(t *testing.T) {
	want := map[string]bool{"debug": false, "config": true, "config-string": true, "fips": false, "insecure": false,
		"log-format": true, "trace": false, "trace-exporter": true, "mem-profile": true, "cpu-profile": true,
		"trace-profile": true}
	for _, f := range GlobalFlags {
		if f.TakesValue != want[f.Name] {
			t.Errorf("--%s takes a value: %v, want %v", f.Name, f.TakesValue, want[f.Name])
		}
		_, ok := Lookup("--no-" + f.Name)
		if ok != !want[f.Name] {
			t.Errorf("Lookup(--no-%s) found %v, want %v", f.Name, ok, !want[f.Name])
		}
	}
	if f, ok := Lookup("-\x00"); ok {
		t.Errorf("Lookup(-NUL) = %+v, want no global flag", f)
	}
}
