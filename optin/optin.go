// Package optin decides from the environment alone whether tbot's anonymous
// telemetry is enabled, with the words tbot logs for the decision.
//
// It imports nothing but strconv: this program's before-main path
// (cmd/tbot-telemetry/internal/beforemain) uses it while the heavier
// packages are not yet initialized.
package optin

import "strconv"

// Environment variables of the opt-in: tbot's own, plus the cross-tool
// DO_NOT_TRACK convention, which always wins.
const (
	EnvTelemetry  = "TELEPORT_ANONYMOUS_TELEMETRY"
	EnvDoNotTrack = "DO_NOT_TRACK"
)

// DocsURL is the page tbot points to in its telemetry log line.
const DocsURL = "https://goteleport.com/docs/reference/machine-workload-identity/machine-id/telemetry/"

// Decision says whether telemetry is enabled, and why not when it is not.
type Decision struct {
	Enabled bool
	// Reason is empty when enabled; otherwise which variable decided.
	Reason string
}

// Decide applies the opt-in to the variables getenv returns ("" for unset):
// enabled only when TELEPORT_ANONYMOUS_TELEMETRY parses true with
// strconv.ParseBool, as tbot parses it, and DO_NOT_TRACK is not true.
func Decide(getenv func(key string) string) Decision {
	if dnt, err := strconv.ParseBool(getenv(EnvDoNotTrack)); err == nil && dnt {
		return Decision{Reason: EnvDoNotTrack + " is set"}
	}
	if on, err := strconv.ParseBool(getenv(EnvTelemetry)); err == nil && on {
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

// TbotOptedIn says whether tbot itself, with the environment getenv reads
// (its own), sends its start event: TELEPORT_ANONYMOUS_TELEMETRY parses true
// with strconv.ParseBool. No tbot reads DO_NOT_TRACK, so here it counts for
// nothing.
func TbotOptedIn(getenv func(key string) string) bool {
	on, err := strconv.ParseBool(getenv(EnvTelemetry))
	return err == nil && on
}
