package launch

import (
	"io"
	"os"
	"strconv"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/optin"
	"github.com/tbot-telemetry/tbot-telemetry/supervise"
)

// The quiet path. When telemetry is off, exec has nothing to do but run
// PROGRAM, so this runs it before Go initializes HTTP, TLS, protobuf, YAML
// and the CLI library, which would otherwise delay PROGRAM by most of this
// program's start-up time. Go initializes a package as soon as its imports
// are, in import-path order; this one's are few and early.
func init() {
	quiet, ok := QuietExec(os.Args[1:], os.Getenv)
	if !ok {
		return // main runs it
	}
	os.Exit(quiet.Run(os.Stdin, os.Stdout, os.Stderr, os.Environ(), os.Getenv("PATH"), time.Now))
}

// Quiet is an exec that the quiet path runs.
type Quiet struct {
	// Argv is PROGRAM and its arguments.
	Argv     []string
	Decision optin.Decision
}

// QuietExec says whether args (this program's, without its name) are an exec
// that the quiet path runs exactly as main would: `exec [--] PROGRAM
// [ARGS...]` with no flag of exec's own, telemetry off, and nothing that
// changes main's logging (tbot's -d/--debug/--log-format in ARGS, or
// TBOT_DEBUG). Anything else is left to main, which knows all of it.
func QuietExec(args []string, getenv func(string) string) (Quiet, bool) {
	if len(args) < 2 || args[0] != "exec" {
		return Quiet{}, false
	}
	argv := args[1:]
	if argv[0] == "--" {
		argv = argv[1:]
	}
	if len(argv) == 0 || len(argv[0]) == 0 || argv[0][0] == '-' {
		return Quiet{}, false
	}
	decision := optin.Decide(getenv)
	if decision.Enabled || getenv("TBOT_DEBUG") != "" {
		return Quiet{}, false
	}
	for _, a := range argv[1:] {
		if a == "--" {
			break
		}
		if a == "-d" || a == "--debug" || a == "--no-debug" || a == "--log-format" ||
			(len(a) > len("--log-format=") && a[:len("--log-format=")] == "--log-format=") {
			return Quiet{}, false
		}
	}
	return Quiet{Argv: argv, Decision: decision}, true
}

// Run starts PROGRAM at once, says that telemetry is off as main would, and
// returns the status to exit with once PROGRAM has ended.
func (q Quiet) Run(stdin io.Reader, stdout, stderr io.Writer, env []string, pathList string, now func() time.Time) int {
	signals := supervise.Catch()
	defer signals.Stop()
	sup := supervise.New(supervise.Options{ReapOrphans: os.Getpid() == 1})
	defer sup.Close()
	child, _, status := Start(sup, q.Argv, env, pathList, stdin, stdout, stderr)
	if child == nil {
		return status
	}
	stderr.Write(offLine(now(), q.Decision))
	return Wait(child, q.Argv[0], signals.C(), stderr)
}

// offLine is the line main's text logger writes for the decision, byte for
// byte (log/slog's TextHandler: time to the millisecond, both values quoted
// since they hold spaces); a test holds the two paths to it.
func offLine(t time.Time, d optin.Decision) []byte {
	b := append([]byte(nil), "time="...)
	b = t.Truncate(time.Millisecond).AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
	b = append(b, " level=INFO msg="...)
	b = strconv.AppendQuote(b, d.LogMessage())
	b = append(b, " reason="...)
	b = strconv.AppendQuote(b, d.Reason)
	return append(b, '\n')
}
