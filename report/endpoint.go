// Package report asks tbot for its version and sends the start event over
// Connect to where tbot would send it, with one deadline, bounded retries and
// a client that this program owns. Whether to send at all is package optin's
// decision.
package report

import "github.com/tbot-telemetry/tbot-telemetry/config"

// EnvAddress is the variable tbot reads for where to send.
const EnvAddress = "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS"

// DefaultEndpoint is where tbot sends its event.
const DefaultEndpoint = "https://reporting-tbot.teleportinfra.sh"

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
