package release

import "github.com/tbot-telemetry/tbot-telemetry/release/semver"

// Version is a tbot release number (package semver).
type Version = semver.Version

// ParseVersion reads X.Y.Z[-pre][+build], with or without a leading v. It
// reports false for anything else, which the caller treats as an unknown
// release, and which the event never carries as a version.
func ParseVersion(s string) (Version, bool) { return semver.Parse(s) }
