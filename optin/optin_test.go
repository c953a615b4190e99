package optin

import "testing"

func TestDecide(t *testing.T) {
	for _, tc := range []struct {
		telemetry, doNotTrack string
		enabled               bool
		reason                string
	}{
		{"", "", false, "TELEPORT_ANONYMOUS_TELEMETRY is not true"},
		{"1", "", true, ""},
		{"true", "", true, ""},
		{"TRUE", "0", true, ""},
		{"yes", "", false, "TELEPORT_ANONYMOUS_TELEMETRY is not true"}, // not a ParseBool word
		{"0", "", false, "TELEPORT_ANONYMOUS_TELEMETRY is not true"},
		{"1", "1", false, "DO_NOT_TRACK is set"},
		{"1", "true", false, "DO_NOT_TRACK is set"},
		{"1", "nonsense", true, ""}, // only a true DO_NOT_TRACK wins
		{"1", "0", true, ""},
		{"t", "", true, ""},
		{"T", "", true, ""},
		{"True", "", true, ""},
		{"on", "", false, "TELEPORT_ANONYMOUS_TELEMETRY is not true"},
		{" 1", "", false, "TELEPORT_ANONYMOUS_TELEMETRY is not true"},
		{"0", "1", false, "DO_NOT_TRACK is set"}, // DO_NOT_TRACK is named whenever it is set
		{"", "t", false, "DO_NOT_TRACK is set"},
	} {
		env := map[string]string{EnvTelemetry: tc.telemetry, EnvDoNotTrack: tc.doNotTrack}
		got := Decide(func(k string) string { return env[k] })
		if got.Enabled != tc.enabled || got.Reason != tc.reason {
			t.Errorf("telemetry=%q do_not_track=%q: got %+v, want enabled=%v reason=%q", tc.telemetry, tc.doNotTrack, got, tc.enabled, tc.reason)
		}
	}
}

// tbot's own opt-in: strconv.ParseBool, and DO_NOT_TRACK means nothing to
// tbot.
func TestTbotOptedIn(t *testing.T) {
	for _, tc := range []struct {
		telemetry, doNotTrack string
		want                  bool
	}{
		{"", "", false},
		{"1", "", true},
		{"True", "1", true},
		{"yes", "", false},
		{"0", "", false},
		{"false", "1", false},
	} {
		env := map[string]string{EnvTelemetry: tc.telemetry, EnvDoNotTrack: tc.doNotTrack}
		if got := TbotOptedIn(func(k string) string { return env[k] }); got != tc.want {
			t.Errorf("telemetry=%q do_not_track=%q: got %v, want %v", tc.telemetry, tc.doNotTrack, got, tc.want)
		}
	}
}

// tbot's own words for its telemetry line, written out.
func TestLogMessage(t *testing.T) {
	const docs = "https://goteleport.com/docs/reference/machine-workload-identity/machine-id/telemetry/"
	if got := (Decision{Enabled: true}).LogMessage(); got != "Anonymous telemetry is enabled. Find out more about anonymous telemetry at "+docs {
		t.Errorf("enabled: %q", got)
	}
	if got := (Decision{Reason: "x"}).LogMessage(); got != "Anonymous telemetry is not enabled. Find out more about anonymous telemetry at "+docs {
		t.Errorf("not enabled: %q", got)
	}
}
