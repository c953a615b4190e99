package beforemain

import "testing"

// What Choose decided travels with the invocation: the line it writes
// names the variable that turned telemetry off.
func TestChooseKeepsTheDecision(t *testing.T) {
	for _, args := range [][]string{{"report", "--", "start"}, {"exec", "--", "tbot", "start"}} {
		for _, tt := range []struct {
			env  map[string]string
			want string
		}{
			{map[string]string{"DO_NOT_TRACK": "1", "TELEPORT_ANONYMOUS_TELEMETRY": "1"}, "DO_NOT_TRACK is set"},
			{map[string]string{"TELEPORT_ANONYMOUS_TELEMETRY": "no"}, "TELEPORT_ANONYMOUS_TELEMETRY is not true"},
		} {
			p, ok := Choose(args, func(k string) string { return tt.env[k] })
			if !ok || p.Decision.Enabled || p.Decision.Reason != tt.want {
				t.Errorf("Choose(%q) with %v: %v, decision %+v; want taken, reason %q", args, tt.env, ok, p.Decision, tt.want)
			}
		}
	}
}
