// Package tbotcli is the one table of tbot's global flags: the flags tbot
// accepts before and after its command (-d, -c, ...), the variables that
// stand for them, and which of them change how tbot logs. config parses
// them, the command line of report knows that tbot's arguments may start
// with them, and the before-main path (cmd/tbot-telemetry/internal/beforemain)
// looks for the logging ones; so that it can read the table before Go
// initializes anything heavy, this package imports nothing.
//
// Which release knows which global flag is the release table's (package
// release); the grammar here is the newest tbot's (docs/release-lines.md).
package tbotcli

// GlobalFlag is one of tbot's global flags.
type GlobalFlag struct {
	// Name is the long name, without the dashes.
	Name string
	// Short is the one-letter form, 0 when there is none.
	Short byte
	// TakesValue: the flag takes a value; otherwise it is a bool, with
	// kingpin's --no-<name> form.
	TakesValue bool
	// EnvVar is the variable that stands for the flag where a release reads
	// it (from 17.2.9), "" when none does.
	EnvVar string
	// Logging: the flag changes how tbot logs, and so how this program logs.
	Logging bool
}

// The variables that stand for global flags.
const (
	EnvDebug        = "TBOT_DEBUG"
	EnvConfigPath   = "TBOT_CONFIG_PATH"
	EnvConfigString = "TBOT_CONFIG"
)

// GlobalFlags is the table.
var GlobalFlags = [...]GlobalFlag{
	{Name: "debug", Short: 'd', EnvVar: EnvDebug, Logging: true},
	{Name: "config", Short: 'c', TakesValue: true, EnvVar: EnvConfigPath},
	{Name: "config-string", TakesValue: true, EnvVar: EnvConfigString},
	{Name: "fips"},
	{Name: "insecure"},
	{Name: "log-format", TakesValue: true, Logging: true},
	// Hidden: tracing and profiling for tbot's developers; accepted all the
	// same (docs/release-lines.md).
	{Name: "trace"},
	{Name: "trace-exporter", TakesValue: true},
	{Name: "mem-profile", TakesValue: true},
	{Name: "cpu-profile", TakesValue: true},
	{Name: "trace-profile", TakesValue: true},
}

// Lookup finds the global flag that arg names: -x, --name, --name=value
// or --no-name (for a bool). It reports false for anything else.
func Lookup(arg string) (GlobalFlag, bool) {
	switch {
	case len(arg) == 2 && arg[0] == '-' && arg[1] != '-':
		for _, f := range GlobalFlags {
			if f.Short != 0 && f.Short == arg[1] {
				return f, true
			}
		}
	case len(arg) > 2 && arg[:2] == "--":
		name := arg[2:]
		for i := 0; i < len(name); i++ {
			if name[i] == '=' {
				name = name[:i]
				break
			}
		}
		for _, f := range GlobalFlags {
			if name == f.Name || (!f.TakesValue && name == "no-"+f.Name) {
				return f, true
			}
		}
	}
	return GlobalFlag{}, false
}

// SetsLogging reports whether one of tbot's arguments sets a global flag
// that changes how tbot logs.
func SetsLogging(arg string) bool {
	f, ok := Lookup(arg)
	return ok && f.Logging
}
