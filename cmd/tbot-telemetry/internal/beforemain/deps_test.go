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
// kingpin, log/slog, ...) would be initialized before the before-main path
// runs, which is the cost it exists to avoid (its package comment says
// why).
//
// errors, slices and strconv cost nothing: they are in the path already
// (os imports errors and slices; supervise, optin and layout strconv), so
// importing them adds no package to initialize and moves nothing in Go's
// order; use them rather than copies of them. strings does not: see
// bannedDeps.
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

// bannedDeps are packages measured to cost the child's start, with what
// they cost; the test names the figure when one creeps in.
//
// strings (and bytes, which also needs unicode) was measured for issue 21
// on the release build with the path importing it (a build overlay adding
// `var _ = strings.Cut` to beforemain.go), on the 2-vCPU machine of
// BENCHMARKS.md: its own package has no init, and unicode's takes
// 0.02-0.12 ms, but Go initializes, in import-path order, every package
// whose imports are ready, so while the path waits for "strings" (and
// "unicode"), 41 more packages that sort before them go first: reflect,
// protobuf's detrand and protowire, compress/flate, crypto and its fips140
// packages, encoding/json, flag, kingpin's units. With
// GODEBUG=inittrace=1 the path ran after 64 package inits instead of 23,
// 0.38-1.0 ms (median 0.51 ms, 20 runs, load average 0.7; 0.45-2.3 ms at
// load 5) after os/signal's instead of at once; bench/childdelay (200
// runs, twice each, load 0.6) put exec's own delay with telemetry off at
// 2.19 ms against 1.94-2.02 ms, and paired runs at load 5 the child's
// start 0.24-0.32 ms later. path/filepath needs strings, and so costs the
// same. fmt, which sorts early, costs less but not nothing: 4 more package
// inits (unicode, reflect, protobuf's detrand, database/sql/driver), the
// path 0-0.3 ms later (median 0.1 ms, 20 runs); supervise's wrap stands in
// for its %w.
var bannedDeps = map[string]string{
	"strings":       "starts the child 0.15-0.32 ms later (41 more package inits first; see bannedDeps)",
	"bytes":         "needs unicode, as strings does: 41 more package inits before the path (see bannedDeps)",
	"path/filepath": "needs strings: 41 more package inits before the path (see bannedDeps)",
	"unicode":       "is what strings brings: 41 more package inits before the path (see bannedDeps)",
	"fmt":           "runs the path 0.1 ms later (4 more package inits first; see bannedDeps)",
	"reflect":       "needs unicode: more package inits before the path (see bannedDeps)",
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
		if cost, banned := bannedDeps[dep]; banned {
			t.Errorf("the before-main path now imports %s, which %s; use a loop of its own instead", dep, cost)
			continue
		}
		if !slices.Contains(allowedDeps, dep) {
			t.Errorf("the before-main path now imports %s, which Go would initialize before they run; "+
				"keep it out of beforemain, launch, supervise, optin, tbotcli and tbotlog/layout, or, if it is as light as "+
				"what Go's runtime initializes first, add it to allowedDeps", dep)
		}
	}
}
