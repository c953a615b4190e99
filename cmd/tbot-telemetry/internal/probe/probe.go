// Package probe asks tbot its version (`tbot version`), which says by whose
// rules its arguments are read and what the event reports as its version.
// It runs a process, so it lives with the command layer, apart from the
// sender (package report).
package probe

import (
	"context"
	"errors"
	"regexp"
	"sync"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/supervise"
)

// Share is the probe's share of ctx's deadline: a third of the time left,
// so that the send keeps the rest of the one deadline (README.md, "Flags of
// report and exec"). Without a deadline, the probe has ctx's.
func Share(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	return context.WithDeadline(ctx, shareEnd(time.Now(), deadline))
}

// shareEnd is when the probe's share of a deadline ends, seen at now.
func shareEnd(now, deadline time.Time) time.Time {
	return now.Add(deadline.Sub(now) / 3)
}

// maxProbeOutput bounds what is read of `tbot version`; its one line is far
// shorter.
const maxProbeOutput = 4096

// versionLine is how teleport-actions reads `tbot version`, Enterprise
// builds included.
var versionLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`Teleport (?:Enterprise )?v(\S+)`) })

// ParseVersion reads the version out of `tbot version` output, without the
// leading v; empty when the output has none.
func ParseVersion(out []byte) string {
	if m := versionLine().FindSubmatch(out); m != nil {
		return string(m[1])
	}
	return ""
}

// Version runs `<tbot> version` and parses its output, within ctx. A bare
// name is looked up on pathList, as the shell that launches tbot would; env
// is tbot's environment.
func Version(ctx context.Context, tbot, pathList string, env []string) (string, error) {
	path, err := supervise.LookPath(tbot, pathList)
	if err != nil {
		return "", errors.New("tbot version: tbot not found")
	}
	sup := supervise.New(supervise.Options{})
	defer sup.Close()
	return VersionOf(ctx, sup, path, tbot, env)
}

// VersionOf runs `<path> version` through sup (the only waiter for children
// when this process is PID 1), named argv0 and with env, and parses what it
// prints. The errors name no path.
func VersionOf(ctx context.Context, sup *supervise.Supervisor, path, argv0 string, env []string) (string, error) {
	out, _, runErr := sup.Output(ctx, &supervise.Command{Path: path, Args: []string{argv0, "version"}, Env: env}, maxProbeOutput)
	if v := ParseVersion(out); v != "" {
		return v, nil
	}
	switch {
	case ctx.Err() != nil:
		return "", errors.New("tbot version: deadline exceeded")
	case runErr != nil:
		return "", errors.New("tbot version: did not run")
	default:
		return "", errors.New("tbot version: no version in its output")
	}
}
