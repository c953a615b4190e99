package report

import "testing"

// README.md, "Flags of report and exec": --endpoint, else
// TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS, else tbot's own endpoint, written
// out here as README.md gives it rather than taken from DefaultEndpoint.
func TestEndpointPrecedence(t *testing.T) {
	const (
		flag    = "http://127.0.0.1:1"
		address = "http://127.0.0.1:2"
		tbots   = "https://reporting-tbot.teleportinfra.sh"
	)
	tests := []struct {
		name, flag string
		env        testEnv
		want       string
	}{
		{"the flag over the variable", flag, testEnv{"TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS": address}, flag},
		{"the flag alone", flag, nil, flag},
		{"the variable over the default", "", testEnv{"TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS": address}, address},
		{"an empty variable is unset", "", testEnv{"TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS": ""}, tbots},
		{"neither", "", nil, tbots},
	}
	for _, tt := range tests {
		if got := Endpoint(tt.flag, tt.env.get); got != tt.want {
			t.Errorf("%s: Endpoint = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := Endpoint("", nil); got != tbots {
		t.Errorf("nil getenv: Endpoint = %q, want %q", got, tbots)
	}
}
