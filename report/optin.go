// Package report decides whether and where tbot's start event goes, asks
// tbot for its version, and sends the event over Connect with one deadline,
// bounded retries and a client that this program owns.
package report

import (
	"strconv"

	"github.com/tbot-telemetry/tbot-telemetry/config"
)

// Environment variables of the opt-in, as tbot reads them, plus the
// cross-tool DO_NOT_TRACK convention, which always wins.
const (
	EnvTelemetry  = "TELEPORT_ANONYMOUS_TELEMETRY"
	EnvAddress    = "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS"
	EnvDoNotTrack = "DO_NOT_TRACK"
)

// DefaultEndpoint is where tbot sends its event.
const DefaultEndpoint = "https://reporting-tbot.teleportinfra.sh"

// DocsURL is the page tbot points to in its telemetry log line.
const DocsURL = "https://goteleport.com/docs/reference/machine-workload-identity/machine-id/telemetry/"

// Decision says whether telemetry is enabled, and why not when it is not.
type Decision struct {
	Enabled bool
	// Reason is empty when enabled; otherwise which variable decided.
	Reason string
}

// Decide applies the opt-in: enabled only when TELEPORT_ANONYMOUS_TELEMETRY
// parses true (strconv.ParseBool, as tbot) and DO_NOT_TRACK is not true.
func Decide(env config.Env) Decision {
	if dnt, err := strconv.ParseBool(env[EnvDoNotTrack]); err == nil && dnt {
		return Decision{Reason: EnvDoNotTrack + " is set"}
	}
	if on, err := strconv.ParseBool(env[EnvTelemetry]); err == nil && on {
		return Decision{Enabled: true}
	}
	return Decision{Reason: EnvTelemetry + " is not true"}
}

// LogMessage is tbot's own info line for the decision.
func (d Decision) LogMessage() string {
	if d.Enabled {
		return "Anonymous telemetry is enabled. Find out more about anonymous telemetry at " + DocsURL
	}
	return "Anonymous telemetry is not enabled. Find out more about anonymous telemetry at " + DocsURL
}

// Endpoint picks where to send: the flag, else the variable tbot reads, else
// tbot's default.
func Endpoint(flag string, env config.Env) string {
	if flag != "" {
		return flag
	}
	if v := env[EnvAddress]; v != "" {
		return v
	}
	return DefaultEndpoint
}
