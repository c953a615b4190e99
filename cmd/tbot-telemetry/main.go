// Command tbot-telemetry sends tbot's anonymous, opt-in start event (the one
// README.md describes) from beside tbot: it reads the files, flags and
// environment that tbot reads, derives the event tbot would send, and posts
// it to prehog.v1alpha.TbotReportingService. It never changes how tbot
// starts.
//
// `exec` and `report` with telemetry off and none of their own flags never
// reach main: package beforemain runs them from its init function, before the
// heavier packages are initialized.
package main

import (
	"context"
	"errors"
	"os"

	_ "github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/beforemain" // may run exec or report whole; see its package comment
	_ "github.com/tbot-telemetry/tbot-telemetry/internal/platform"                      // Linux and macOS only; see its package comment
)

// Stamped at build time by the Makefile.
var (
	version = "dev"
	commit  = "unknown"
)

func main() {
	err := run(context.Background(), os.Args[1:], newSystem())
	var exit exitStatus
	switch {
	case err == nil:
	case errors.As(err, &exit):
		os.Exit(int(exit))
	default:
		// Only collect returns such errors (it has no --log-format).
		newLogger(os.Stderr, "text", false).Error("tbot-telemetry stopped on an error.", "error", err)
		os.Exit(1)
	}
}
