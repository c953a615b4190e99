// Package beforemain is what this program does before main runs: from its
// init function, before Go initializes this program's heavier packages
// (HTTP, TLS, protobuf, YAML, the CLI library), it
//
//   - runs whole the two commands that have next to nothing to do when
//     telemetry is off: `exec [--] PROGRAM [ARGS...]` only has to run
//     PROGRAM and mirror it, `report [--] TBOT_ARGS...` only has to say that
//     telemetry is off (Choose, Invocation);
//   - starts exec's PROGRAM for every other exec (telemetry on, exec's own
//     flags, a misuse of them), as main would start it (PlanExec), and hands
//     it over to main (package launch), which reads the arguments and the
//     file, asks for the version and sends beside it: tbot waits for none of
//     that.
//
// Initializing those packages is most of this program's start-up time, and
// both commands run at each of tbot's starts (exec as its parent, report as
// a systemd ExecStartPost=). A whole run takes only invocations with no flag
// of the command's own and nothing that changes how main would log (tbot's
// -d/--debug/--log-format in the arguments, or TBOT_DEBUG), and then does
// exactly what main would; main handles everything else.
//
// Go initializes a package as soon as its imports are, in import-path order,
// so this package imports only what the runtime initializes first (see
// supervise's package comment); a test of cmd/tbot-telemetry checks that
// neither path initializes any of the heavy packages.
package beforemain

import (
	"io"
	"os"
	"runtime"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/launch"
	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/ownflags"
	"github.com/tbot-telemetry/tbot-telemetry/internal/environ"
	"github.com/tbot-telemetry/tbot-telemetry/internal/tbotcli"
	"github.com/tbot-telemetry/tbot-telemetry/internal/tbotlog/layout"
	"github.com/tbot-telemetry/tbot-telemetry/optin"
)

func init() {
	// One list, read as Go's getenv (and tbot) reads it: the first entry
	// of a repeated name wins.
	env := os.Environ()
	getenv := environ.Getter(env)
	if whole, ok := Choose(os.Args[1:], getenv); ok {
		os.Exit(whole.Run(os.Stdin, os.Stdout, os.Stderr, env, getenv("PATH"), time.Now))
	}
	// Any other exec: PROGRAM starts now all the same, and main, which
	// reports beside it, takes it over (see PlanExec).
	if plan, ok := PlanExec(os.Args[1:], getenv); ok {
		launch.HandOver(launch.Begin(plan.Argv, plan.ChildEnv(env), getenv("PATH"), os.Stdin, os.Stdout, os.Stderr))
	}
}

// Invocation is an exec or a report that runs whole before main.
type Invocation struct {
	// Exec is PROGRAM and its arguments for exec; nil for report.
	Exec     []string
	Decision optin.Decision
}

// Choose says whether args (this program's, without its name) are an exec
// or a report that runs whole before main, exactly as main would run it.
func Choose(args []string, getenv func(string) string) (Invocation, bool) {
	if len(args) == 0 || (args[0] != "exec" && args[0] != "report") {
		return Invocation{}, false
	}
	rest := args[1:]
	if len(rest) > 0 && rest[0] == "--" {
		rest = rest[1:]
	} else if len(rest) > 0 && len(rest[0]) > 0 && rest[0][0] == '-' {
		return Invocation{}, false // a flag of the command's own, or tbot's before --
	}
	decision := optin.Decide(getenv)
	if decision.Enabled || getenv(tbotcli.EnvDebug) != "" {
		return Invocation{}, false
	}
	tbotArgs := rest
	if args[0] == "exec" {
		if len(rest) == 0 || rest[0] == "" {
			return Invocation{}, false // main says what is missing
		}
		tbotArgs = rest[1:]
	}
	if ownflags.Among(tbotArgs) != "" {
		return Invocation{}, false // main warns about it
	}
	for _, a := range tbotArgs {
		if a == "--" {
			break
		}
		if tbotcli.SetsLogging(a) {
			return Invocation{}, false
		}
	}
	if args[0] == "report" {
		return Invocation{Decision: decision}, true
	}
	return Invocation{Exec: rest, Decision: decision}, true
}

// Run does what main would and returns the status to exit with: for exec,
// it starts PROGRAM at once, says that telemetry is off, and waits for
// PROGRAM's end; for report, it only says that telemetry is off.
func (p Invocation) Run(stdin io.Reader, stdout, stderr io.Writer, env []string, pathList string, now func() time.Time) int {
	if p.Exec == nil {
		stderr.Write(offLine(now(), p.Decision))
		return 0
	}
	say := func(message, program, reason string) {
		stderr.Write(errorLine(now(), message, program, reason))
	}
	l := launch.Begin(p.Exec, env, pathList, stdin, stdout, stderr)
	defer l.Close()
	if l.Child == nil {
		return l.Failed(say)
	}
	stderr.Write(offLine(now(), p.Decision))
	return l.Wait(say)
}

// errorLine is the line main's text logger writes about PROGRAM, with this
// function as its caller.
func errorLine(t time.Time, message, program, reason string) []byte {
	_, file, lineNumber, _ := runtime.Caller(0)
	return layout.AppendText(nil, layout.Entry{
		Time:      t,
		Level:     "ERROR",
		Component: layout.Component,
		Message:   message,
		Attrs:     []layout.Attr{{Key: "program", Value: program}, {Key: "reason", Value: reason}},
		Caller:    layout.Caller(file, lineNumber),
	})
}

// offLine is the line main's text logger writes for the decision, in the
// same layout (package layout), with this function as its caller.
func offLine(t time.Time, d optin.Decision) []byte {
	_, file, lineNumber, _ := runtime.Caller(0)
	return layout.AppendText(nil, layout.Entry{
		Time:      t,
		Level:     "INFO",
		Component: layout.Component,
		Message:   d.LogMessage(),
		Attrs:     []layout.Attr{{Key: "reason", Value: d.Reason}},
		Caller:    layout.Caller(file, lineNumber),
	})
}
