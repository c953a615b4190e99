//go:build !unix

package platform

// Not a Unix: this constant names an identifier that does not exist, so
// that the compiler's error says what is wrong.
const _ = tbot_telemetry_runs_on_Linux_and_macOS_amd64_and_arm64_only
