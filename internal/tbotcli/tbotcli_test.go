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
