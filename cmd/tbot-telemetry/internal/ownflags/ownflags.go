// Package ownflags is the one definition of report's and exec's own flags:
// their names, which command has each, whether it takes a value, its
// default and help, the checks of their values, and what exec's flags do to
// PROGRAM's environment. main registers them with its command-line library
// from here (cmd/tbot-telemetry/app.go), and the before-main path
// (cmd/tbot-telemetry/internal/beforemain) reads exec's with the same table
// before main parses them, so the two cannot read a flag differently.
//
// To add a flag: a row in Flags, a field in Values with its case in Bool or
// Text, and its check in Check if its value can be wrong.
//
// It imports only what the Go runtime initializes first (and this
// project's light packages), because the before-main path runs from an
// init function before the heavier packages are initialized.
package ownflags

import (
	"slices"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/internal/environ"
	"github.com/tbot-telemetry/tbot-telemetry/optin"
	"github.com/tbot-telemetry/tbot-telemetry/release/semver"
	"github.com/tbot-telemetry/tbot-telemetry/report/deadline"
)

// Command is a set of this program's commands.
type Command uint8

// The commands that have flags of their own here.
const (
	Report Command = 1 << iota
	Exec
)

// Names of the flags, without their dashes.
const (
	DryRun             = "dry-run"
	Timeout            = "timeout"
	Endpoint           = "endpoint"
	TbotVersion        = "tbot-version"
	LogFormat          = "log-format"
	Debug              = "debug"
	Strict             = "strict"
	TbotPath           = "tbot-path"
	PID                = "pid"
	KeepChildTelemetry = "keep-child-telemetry"
)

// Flag is one flag of report, exec or both.
type Flag struct {
	// Name is the long name, without the dashes.
	Name string
	// Commands are the commands that have it.
	Commands Command
	// TakesValue: --name=VALUE or --name VALUE; otherwise a boolean, with
	// a --no-name form that turns it off.
	TakesValue bool
	// Default is the value of a flag that takes one when it is not given;
	// "" for none.
	Default string
	// PlaceHolder names the value in --help.
	PlaceHolder string
	// Help is its line in --help.
	Help string
	// TbotsToo: tbot has a global flag of the same name and meaning
	// (-d/--debug, --log-format), so among tbot's arguments it is tbot's,
	// and no mistake (see Among).
	TbotsToo bool
}

// Flags is the table.
var Flags = [...]Flag{
	{Name: DryRun, Commands: Report | Exec, Help: "Print the event on stdout and send nothing."},
	{Name: Timeout, Commands: Report | Exec, TakesValue: true, Default: deadline.Default.String(),
		Help: "One deadline for the whole send: version probe, DNS, TLS, retries (a duration above zero)."},
	// The variable and the URL are report.EnvAddress and
	// report.DefaultEndpoint, which this package is too light to import; a
	// test of main holds the help to them.
	{Name: Endpoint, Commands: Report | Exec, TakesValue: true, PlaceHolder: "URL",
		Help: "Where to send (default $TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS, else https://reporting-tbot.teleportinfra.sh)."},
	{Name: TbotVersion, Commands: Report | Exec, TakesValue: true, PlaceHolder: "X.Y.Z",
		Help: "The tbot version to report, X.Y.Z or X.Y.Z-pre; otherwise tbot is asked."},
	{Name: LogFormat, Commands: Report | Exec, TakesValue: true, PlaceHolder: "text|json", TbotsToo: true,
		Help: "Log format on stderr, text or json, in tbot's layout (default: tbot's own --log-format, else text)."},
	{Name: Debug, Commands: Report | Exec, TbotsToo: true, Help: "Debug logs (default: tbot's own -d/--debug)."},
	{Name: Strict, Commands: Report | Exec, Help: "Exit 1 when the event could not be built or sent."},
	{Name: TbotPath, Commands: Report, TakesValue: true, Default: "tbot", Help: "The tbot binary to ask for its version."},
	{Name: PID, Commands: Report, TakesValue: true, PlaceHolder: "PID",
		Help: "Read tbot's arguments, environment and working directory from the running tbot PID instead of TBOT_ARGS, and ask its own binary for its version (Linux; in a systemd unit: --pid $MAINPID)."},
	{Name: KeepChildTelemetry, Commands: Exec,
		Help: "Leave the child's " + optin.EnvTelemetry + " as it is (tbot may then send its own event too)."},
}

// Of returns the flags of command, in the table's order.
func Of(command Command) []Flag {
	var out []Flag
	for _, f := range Flags {
		if f.Commands&command != 0 {
			out = append(out, f)
		}
	}
	return out
}

// Lookup finds command's flag for name as typed without its dashes: a
// flag's name, or no-NAME for a boolean, which turns it off (off is true).
func Lookup(command Command, name string) (f Flag, off, ok bool) {
	for _, f := range Of(command) {
		if name == f.Name {
			return f, false, true
		}
		if !f.TakesValue && name == "no-"+f.Name {
			return f, true, true
		}
	}
	return Flag{}, false, false
}

// Values are the flags of one report or exec, values as typed.
type Values struct {
	DryRun, Debug, Strict, KeepChildTelemetry bool
	Timeout, Endpoint, TbotVersion, LogFormat string
	TbotPath, PID                             string
}

// Defaults are the Values of a command line without any flag.
func Defaults() Values {
	var v Values
	for _, f := range Flags {
		if f.Default != "" {
			*v.Text(f.Name) = f.Default
		}
	}
	return v
}

// Bool is where the boolean flag name is kept; nil for any other name.
func (v *Values) Bool(name string) *bool {
	switch name {
	case DryRun:
		return &v.DryRun
	case Debug:
		return &v.Debug
	case Strict:
		return &v.Strict
	case KeepChildTelemetry:
		return &v.KeepChildTelemetry
	}
	return nil
}

// Text is where the value of the flag name is kept; nil for a boolean or
// any other name.
func (v *Values) Text(name string) *string {
	switch name {
	case Timeout:
		return &v.Timeout
	case Endpoint:
		return &v.Endpoint
	case TbotVersion:
		return &v.TbotVersion
	case LogFormat:
		return &v.LogFormat
	case TbotPath:
		return &v.TbotPath
	case PID:
		return &v.PID
	}
	return nil
}

// Problem is a flag given a value that it does not take: report exits 2 for
// it, and exec says so and runs PROGRAM without telemetry.
type Problem struct {
	// Flag is the flag as typed (--timeout), Value what it was given.
	Flag, Value string
	// Message is a sentence saying what is wrong; Hint, if not empty, what
	// to give instead.
	Message, Hint string
}

// The values --log-format takes (tbotlog's formats).
var logFormats = []string{"text", "json"}

// Check checks the values and returns the deadline that --timeout gives:
// a Go duration above zero; --tbot-version empty or tbot's version grammar
// (release/semver); --log-format empty, text or json.
func (v Values) Check() (time.Duration, *Problem) {
	d, err := time.ParseDuration(v.Timeout)
	if err != nil {
		return 0, &Problem{Flag: "--" + Timeout, Value: v.Timeout, Message: "--timeout is not a duration.", Hint: timeoutHint}
	}
	if d <= 0 {
		return 0, &Problem{Flag: "--" + Timeout, Value: v.Timeout, Message: "--timeout must be above zero.", Hint: timeoutHint}
	}
	if _, ok := semver.Parse(v.TbotVersion); v.TbotVersion != "" && !ok {
		return 0, &Problem{Flag: "--" + TbotVersion, Value: v.TbotVersion, Message: "--tbot-version is not a version.",
			Hint: "X.Y.Z or X.Y.Z-pre, as tbot version prints it (17.4.2)"}
	}
	if v.Endpoint != "" && !EndpointHasScheme(v.Endpoint) {
		// The value is an address: not repeated in the logs.
		return 0, &Problem{Flag: "--" + Endpoint, Message: "--endpoint must be an http:// or https:// URL.",
			Hint: "a bare HOST:PORT needs its scheme, as in http://127.0.0.1:8080"}
	}
	if v.LogFormat != "" && !slices.Contains(logFormats, v.LogFormat) {
		return 0, &Problem{Flag: "--" + LogFormat, Value: v.LogFormat, Message: "--log-format must be text or json."}
	}
	return d, nil
}

// EndpointHasScheme is the check of --endpoint: the value starts with
// http:// or https:// (the scheme in any case). A bare HOST:PORT is the
// usual slip, and a misuse of the flag; whatever else is wrong with a URL
// is the send's to find, as for tbot's TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS.
func EndpointHasScheme(s string) bool {
	for _, scheme := range []string{"http://", "https://"} {
		if len(s) >= len(scheme) && equalFold(s[:len(scheme)], scheme) {
			return true
		}
	}
	return false
}

// equalFold compares ASCII strings without regard to case (strings is too
// heavy for the before-main path: internal/beforemain's deps_test.go).
func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

const timeoutHint = "a duration such as 3s or 500ms"

// ChildTelemetryOff says whether exec gives PROGRAM
// TELEPORT_ANONYMOUS_TELEMETRY=0: whenever this program reports the start
// itself (telemetry enabled, and not --dry-run), so that one start is one
// event, unless --keep-child-telemetry.
func (v Values) ChildTelemetryOff(enabled bool) bool {
	return enabled && !v.DryRun && !v.KeepChildTelemetry
}

// ChildEnv is PROGRAM's environment, from this program's own env: with
// telemetryOff (ChildTelemetryOff), TELEPORT_ANONYMOUS_TELEMETRY=0 and no
// other entry of that name, for tbot reads the first; otherwise env as it is.
func ChildEnv(env []string, telemetryOff bool) []string {
	if !telemetryOff {
		return env
	}
	return environ.Set(env, optin.EnvTelemetry, "0")
}

// Among returns the first of args, up to a "--", that is one of report's or
// exec's own flags that tbot does not have too (--name, --name=value, or
// --no-name), or "". Among tbot's arguments such a flag is a mistake: it was
// meant for this program but goes to tbot.
func Among(args []string) string {
	for _, a := range args {
		if a == "--" {
			return ""
		}
		if len(a) < 3 || a[:2] != "--" {
			continue
		}
		name := a[2:]
		for i := 0; i < len(name); i++ {
			if name[i] == '=' {
				name = name[:i]
				break
			}
		}
		for _, f := range Flags {
			if !f.TbotsToo && (name == f.Name || name == "no-"+f.Name) {
				return a[:2+len(name)]
			}
		}
	}
	return ""
}

// AfterSeparator is exec's PROGRAM and its arguments as they are known
// after a misuse of exec's flags, without parsing those flags: everything
// after the first --; nil when nothing (or an empty name) follows it.
func AfterSeparator(args []string) []string {
	for i, a := range args {
		if a == "--" {
			if i+1 >= len(args) || args[i+1] == "" {
				return nil
			}
			return args[i+1:]
		}
	}
	return nil
}
