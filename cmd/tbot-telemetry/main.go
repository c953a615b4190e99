// Command tbot-telemetry sends tbot's anonymous, opt-in start event (RFD 0106)
// from beside tbot: it reads the files, flags and environment that tbot
// reads, derives the event tbot would send, and posts it to
// prehog.v1alpha.TbotReportingService. It never changes how tbot starts.
//
// `exec` with telemetry off never reaches main: package launch runs it from
// its init function, before the heavier packages are initialized.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
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
		fmt.Fprintf(os.Stderr, "tbot-telemetry: %v\n", err)
		os.Exit(1)
	}
}
