package beforemain

import (
	"slices"

	"github.com/tbot-telemetry/tbot-telemetry/cmd/tbot-telemetry/internal/ownflags"
	"github.com/tbot-telemetry/tbot-telemetry/optin"
)

// ExecPlan is how main will start exec's PROGRAM, read from exec's command
// line before main has parsed it, so that PROGRAM can start first.
type ExecPlan struct {
	// Argv is PROGRAM and its arguments.
	Argv []string
	// TelemetryOff says that PROGRAM gets TELEPORT_ANONYMOUS_TELEMETRY=0
	// (ownflags.ChildTelemetryOff). Otherwise its environment is this
	// program's, untouched; so too after a misuse of exec's own flags, where
	// PROGRAM runs without telemetry.
	TelemetryOff bool
}

// ChildEnv is PROGRAM's environment, from this program's own (see
// ownflags.ChildEnv).
func (p ExecPlan) ChildEnv(env []string) []string {
	return ownflags.ChildEnv(env, p.TelemetryOff)
}

// PlanExec reads an exec command line (this program's arguments, without
// its name) as main will, with the same table of exec's flags
// (package ownflags), and says how main will start PROGRAM: after exec's
// own flags, with the child's environment they and the opt-in (getenv)
// decide; or, after a misuse of those flags where PROGRAM is still known
// (it follows --), without telemetry. It returns false wherever main would start
// nothing (--help, a misuse without --, no PROGRAM) and for the few
// spellings it leaves to main (a boolean flag given a value), which then
// starts PROGRAM as it always did, only later.
//
// Main's parse has the last word on the event; this reading has it on how
// PROGRAM starts, and a test of main holds the two to the same answers.
func PlanExec(args []string, getenv func(string) string) (ExecPlan, bool) {
	if len(args) == 0 || args[0] != "exec" {
		return ExecPlan{}, false
	}
	values, program, reading := readExecFlags(args[1:])
	switch {
	case reading == misused:
		return afterSeparator(args)
	case reading == leftToMain || len(program) == 0 || program[0] == "":
		return ExecPlan{}, false // main starts nothing (exec needs PROGRAM), or reads it its own way
	}
	if _, problem := values.Check(); problem != nil {
		return ExecPlan{Argv: program}, true // main's misuse: PROGRAM without telemetry
	}
	return ExecPlan{Argv: program, TelemetryOff: values.ChildTelemetryOff(optin.Decide(getenv).Enabled)}, true
}

// reading is how far readExecFlags got.
type reading int

const (
	// found: exec's own flags read, and PROGRAM is what follows them.
	found reading = iota
	// leftToMain: main starts no PROGRAM (--help, a flag without its
	// value and nothing after it, no PROGRAM) or reads the line its own
	// way (a boolean given a value).
	leftToMain
	// misused: a misuse that main's parse finds (an unknown or repeated
	// flag); PROGRAM is then whatever follows the first --.
	misused
)

// readExecFlags reads exec's own flags from args (what follows "exec") as
// main's parse does, with the table of package ownflags, and finds PROGRAM
// after them.
func readExecFlags(args []string) (values ownflags.Values, program []string, r reading) {
	values = ownflags.Defaults()
	var seen []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			return values, args[i+1:], found
		case a == "" || a == "-" || a[0] != '-':
			return values, args[i:], found
		}
		name, value, hasValue := cutFlag(a)
		if name == "help" || hasPrefix(name, "completion-") {
			return values, nil, leftToMain // main answers it; no PROGRAM
		}
		flag, off, ok := ownflags.Lookup(ownflags.Exec, name)
		switch {
		case !ok:
			return values, nil, misused
		case flag.TakesValue:
			if !hasValue {
				if i+1 >= len(args) {
					return values, nil, leftToMain // a flag without its value, no PROGRAM
				}
				i++
				value = args[i]
			}
			*values.Text(flag.Name) = value
		case hasValue:
			return values, nil, leftToMain // a boolean given a value: kingpin's own reading, main's to make
		default:
			*values.Bool(flag.Name) = !off
		}
		if slices.Contains(seen, flag.Name) {
			return values, nil, misused // kingpin: a flag cannot be repeated
		}
		seen = append(seen, flag.Name)
	}
	return values, nil, leftToMain // no PROGRAM
}

// afterSeparator is main's PROGRAM after a misuse that its parse finds:
// everything after the first --, if anything.
func afterSeparator(args []string) (ExecPlan, bool) {
	argv := ownflags.AfterSeparator(args)
	return ExecPlan{Argv: argv}, argv != nil
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

// hasPrefix is strings.HasPrefix, which this package may not import (see
// deps_test.go for what it would cost).
func hasPrefix(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }
