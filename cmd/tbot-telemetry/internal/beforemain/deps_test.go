package beforemain

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// allowedDeps are the packages the before-main path may be built from: what Go's
// runtime initializes first, and this project's packages that import no
// more than that. Anything else (fmt, strings, net/http, protobuf, yaml,
// kingpin, log/slog, ...) would be initialized before the before-main path runs,
// which is the cost it exists to avoid (its package comment says why).
var allowedDeps = []string{
	"unsafe", "math/bits", "errors", "sync/atomic", "sync", "cmp", "iter", "slices", "syscall", "time",
	"context", "io", "unicode/utf8", "path", "io/fs", "os", "os/signal", "strconv",
	"github.com/tbot-telemetry/tbot-telemetry/internal/platform",
	"github.com/tbot-telemetry/tbot-telemetry/internal/environ",
	"github.com/tbot-telemetry/tbot-telemetry/supervise",
	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/launch",
	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/ownflags",
	"github.com/tbot-telemetry/tbot-telemetry/report/deadline",
	"github.com/tbot-telemetry/tbot-telemetry/internal/tbotcli",
	"github.com/tbot-telemetry/tbot-telemetry/release/semver",
	"github.com/tbot-telemetry/tbot-telemetry/internal/tbotlog/layout",
	"github.com/tbot-telemetry/tbot-telemetry/optin",
	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/beforemain",
}

func TestOnlyLightImports(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the before-main path's imports: %v", err)
	}
	out, err := exec.Command(goCmd, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "internal/") || strings.HasPrefix(dep, "runtime") || strings.HasPrefix(dep, "vendor/") {
			continue // the runtime's own
		}
		if !slices.Contains(allowedDeps, dep) {
			t.Errorf("the before-main path now imports %s, which Go would initialize before they run; "+
				"keep it out of beforemain, launch, supervise, optin, tbotcli and tbotlog/layout, or, if it is as light as "+
				"what Go's runtime initializes first, add it to allowedDeps", dep)
		}
	}
}
