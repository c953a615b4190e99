package beforemain

import (
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/internal/environ"
	"github.com/tbot-telemetry/tbot-telemetry/optin"
	"github.com/tbot-telemetry/tbot-telemetry/release/semver"
)

// ExecPlan is how main will start exec's PROGRAM, read from exec's command
// line before main has parsed it, so that PROGRAM can start first.
type ExecPlan struct {
	// Argv is PROGRAM and its arguments.
	Argv []string
	// TelemetryOff says that PROGRAM gets TELEPORT_ANONYMOUS_TELEMETRY=0:
	// this program reports its start (one start is one event), and
	// --keep-child-telemetry was not given. Otherwise its environment is
	// this program's, untouched; so too after a misuse of exec's own flags,
	// where PROGRAM runs without telemetry.
	TelemetryOff bool
}

// ChildEnv is PROGRAM's environment, from this program's own: with
// TelemetryOff, TELEPORT_ANONYMOUS_TELEMETRY=0 and no other entry of that
// name, so that tbot, which reads the first, cannot read another.
func (p ExecPlan) ChildEnv(env []string) []string {
	if !p.TelemetryOff {
		return env
	}
	return environ.Set(env, optin.EnvTelemetry, "0")
}

// ExecValueFlags and ExecBoolFlags are exec's own flags, as main declares
// them (cmd/tbot-telemetry/app.go): those that take a value, and the
// booleans, which also have a --no- form. A test of main holds them to
// what exec's help lists.
var (
	ExecValueFlags = []string{"timeout", "endpoint", "tbot-version", "log-format"}
	ExecBoolFlags  = []string{"dry-run", "debug", "strict", "keep-child-telemetry"}
)

// PlanExec reads an exec command line (this program's arguments, without
// its name) as main will, and says how main will start PROGRAM: after
// exec's own flags, with the child's environment they and the opt-in
// (getenv) decide; or, after a misuse of those flags that leaves PROGRAM
// plain (after --), without telemetry. It returns false wherever main would
// start nothing (--help, a misuse without --, no PROGRAM) and for the few
// spellings it leaves to main (a boolean flag given a value), which then
// starts PROGRAM as it always did, only later.
//
// Main's parse has the last word on the event; this reading has it on how
// PROGRAM starts, and a test holds the two to the same answers.
func PlanExec(args []string, getenv func(string) string) (ExecPlan, bool) {
	if len(args) == 0 || args[0] != "exec" {
		return ExecPlan{}, false
	}
	var (
		seen                          []string
		timeout                       = "3s"
		tbotVersion, logFormat        string
		dryRun, keepChild, wellFormed bool
		program                       []string
	)
	for i := 1; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			program, wellFormed = args[i+1:], true
			break
		}
		if a == "" || a == "-" || a[0] != '-' {
			program, wellFormed = args[i:], true
			break
		}
		name, value, hasValue := cutFlag(a)
		switch {
		case contains(ExecValueFlags, name):
			if !hasValue {
				if i+1 >= len(args) {
					return ExecPlan{}, false // main: a flag without its value, no PROGRAM
				}
				i++
				value = args[i]
			}
			switch name {
			case "timeout":
				timeout = value
			case "tbot-version":
				tbotVersion = value
			case "log-format":
				logFormat = value
			}
		case contains(ExecBoolFlags, name) || (len(name) > 3 && name[:3] == "no-" && contains(ExecBoolFlags, name[3:])):
			if hasValue {
				return ExecPlan{}, false // kingpin's own reading; main's to make
			}
			on := true
			if !contains(ExecBoolFlags, name) {
				name, on = name[3:], false
			}
			switch name {
			case "dry-run":
				dryRun = on
			case "keep-child-telemetry":
				keepChild = on
			}
		case name == "help" || hasPrefix(name, "completion-"):
			return ExecPlan{}, false // main answers it; no PROGRAM
		default:
			// Unknown: main's misuse, with PROGRAM whatever follows the
			// first --.
			return plain(args)
		}
		if contains(seen, name) {
			return plain(args) // kingpin: a flag cannot be repeated
		}
		seen = append(seen, name)
	}
	if !wellFormed || len(program) == 0 || program[0] == "" {
		return ExecPlan{}, false // main: exec needs PROGRAM
	}
	if !validDuration(timeout) || (tbotVersion != "" && !isVersion(tbotVersion)) ||
		(logFormat != "" && logFormat != "text" && logFormat != "json") {
		return ExecPlan{Argv: program}, true // main's misuse: PROGRAM without telemetry
	}
	sends := optin.Decide(getenv).Enabled && !dryRun
	return ExecPlan{Argv: program, TelemetryOff: sends && !keepChild}, true
}

// plain is main's PROGRAM after a misuse that its parse finds: everything
// after the first --, if anything.
func plain(args []string) (ExecPlan, bool) {
	for i, a := range args {
		if a == "--" {
			if i+1 >= len(args) || args[i+1] == "" {
				return ExecPlan{}, false
			}
			return ExecPlan{Argv: args[i+1:]}, true
		}
	}
	return ExecPlan{}, false
}

// cutFlag splits --name[=value] as main does: name without the dashes, a
// flag without them is no name of exec's.
func cutFlag(a string) (name, value string, hasValue bool) {
	if len(a) < 2 || a[:2] != "--" {
		return "", "", false
	}
	for i := 2; i < len(a); i++ {
		if a[i] == '=' {
			return a[2:i], a[i+1:], true
		}
	}
	return a[2:], "", false
}

// validDuration is main's check of --timeout: a Go duration above zero.
func validDuration(s string) bool {
	d, err := time.ParseDuration(s)
	return err == nil && d > 0
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }

// isVersion is main's check of --tbot-version: tbot's version grammar,
// from the one package that holds it.
func isVersion(s string) bool {
	_, ok := semver.Parse(s)
	return ok
}
