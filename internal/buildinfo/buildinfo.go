// Package buildinfo says which build of this program is running: its
// version, the commit it was built from and whether that checkout had
// changes, the Go release and the platform (README.md, "Version").
//
// The Makefile stamps the version and the commit with -X; a plain `go
// build` or `go install` leaves them unstamped, and then Go's own build
// information fills them in: the module version that `go install
// module@version` records, and the vcs.revision and vcs.modified stamps
// that `go build` records in a git checkout.
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Unstamped are the values of the Makefile's stamps in a build without them.
const (
	UnstampedVersion = "dev"
	UnstampedCommit  = "unknown"
)

// Info is what a build says about itself.
type Info struct {
	// Version is the release (v1.2.3), a Go pseudo-version, or "dev".
	Version string
	// Commit is the abbreviated commit, or "unknown".
	Commit string
	// Modified is whether the checkout had uncommitted changes.
	Modified bool
	// GoVersion is the Go release that built it (go1.26.0).
	GoVersion string
	// Platform is GOOS/GOARCH.
	Platform string
}

// Read is this build's Info: the stamps where the Makefile set them, else
// Go's build information.
func Read(stampedVersion, stampedCommit string) Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = nil
	}
	return From(stampedVersion, stampedCommit, bi, runtime.GOOS+"/"+runtime.GOARCH)
}

// From is Read with the build information and platform given.
func From(stampedVersion, stampedCommit string, bi *debug.BuildInfo, platform string) Info {
	info := Info{Version: stampedVersion, Commit: stampedCommit, GoVersion: runtime.Version(), Platform: platform}
	if bi == nil {
		return info
	}
	if bi.GoVersion != "" {
		info.GoVersion = bi.GoVersion
	}
	if info.Version == UnstampedVersion || info.Version == "" {
		// "(devel)" is what go build records outside a version control
		// checkout or without a tag; it says no more than "dev".
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			info.Version = v
		} else {
			info.Version = UnstampedVersion
		}
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if info.Commit == UnstampedCommit || info.Commit == "" {
				info.Commit = short(s.Value)
			}
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	if info.Commit == "" {
		info.Commit = UnstampedCommit
	}
	return info
}

// short is a commit hash cut to twelve digits, as Go's pseudo-versions
// write it.
func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// String is the line `version` and `--version` print, in the order of
// `tbot version` (Teleport v17.4.2 git:v17.4.2-0-gabc1234 go1.23.5) with
// the platform added:
//
//	tbot-telemetry v0.3.0 git:66cda92c1f0e go1.26.0 linux/amd64
//	tbot-telemetry dev git:66cda92c1f0e-modified go1.26.0 darwin/arm64
func (i Info) String() string {
	commit := i.Commit
	if i.Modified {
		commit += "-modified"
	}
	return "tbot-telemetry " + i.Version + " git:" + commit + " " + i.GoVersion + " " + i.Platform
}
