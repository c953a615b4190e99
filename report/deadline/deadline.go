// Package deadline holds the figure that report's Send and this program's
// --timeout share: how long a send may take, version probe, DNS, TLS and
// retries included, when nothing else says so (README.md, "Flags of report
// and exec"). It is a package of its own, importing only time, so that
// exec's before-main path (cmd/tbot-telemetry/internal/beforemain) can read
// it before Go initializes anything heavy, which package report is not.
package deadline

import "time"

// Default is the one deadline over a whole send when none is given.
const Default = 3 * time.Second
