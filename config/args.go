package config

import (
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/alecthomas/kingpin/v2"

	"github.com/tbot-telemetry/tbot-telemetry/internal/tbotcli"
	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// Environment variables that stand for flags, as tbot binds them (which
// release binds which is the release table's).
const (
	EnvConfigPath   = tbotcli.EnvConfigPath
	EnvConfigString = tbotcli.EnvConfigString
	EnvDebug        = tbotcli.EnvDebug
)

// ErrNotStart is returned for any tbot command other than `start`: tbot sends
// no event for those, and neither do we.
var ErrNotStart = errors.New("not a start")

// Invocation is what tbot's command line and environment say, reduced to what
// the event needs. Secrets given on the command line are recorded only as
// present or absent.
type Invocation struct {
	// Release is the tbot whose rules read the arguments and the file.
	Release release.Release
	// ServiceType is the type of the service the `start` mode adds; empty for
	// legacy and noop, which add none.
	ServiceType string
	// ConfigPath and ConfigString locate the configuration file; at most one
	// is set. ConfigString is tbot's base64 form.
	ConfigPath   string
	ConfigString string

	OneshotSet     bool // --oneshot or --no-oneshot was given
	Oneshot        bool
	JoinMethod     string // as given; empty when not given
	TokenSet       bool
	CAPinsSet      bool
	InsecureSet    bool // --insecure or --no-insecure was given
	Insecure       bool
	DestinationDir bool // legacy --destination-dir given
	DataDir        bool // --data-dir or --storage given: the file's storage is replaced

	// Skipped names the flags and modes that this program did not know and
	// passed over, for a debug line.
	Skipped []string

	// mode is the service the `start` mode adds, with its checks; nil for
	// the modes that add none.
	mode *entry
}

// LogHints is what tbot's own arguments say about logging: this program
// logs as tbot would unless told otherwise.
type LogHints struct {
	Debug     bool
	LogFormat string // "text", "json" or empty when not given
}

// ReadLogHints scans tbot's arguments (and TBOT_DEBUG) for -d/--debug and
// --log-format without parsing them fully, so that logging can be set up
// before anything else, and even when the arguments are refused.
func ReadLogHints(args []string, env Env) LogHints {
	var h LogHints
	if v, ok := env.lookup(EnvDebug); ok {
		h.Debug, _ = strconv.ParseBool(v)
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return h
		}
		f, ok := tbotcli.Lookup(a)
		switch {
		case !ok || !f.Logging:
		case !f.TakesValue:
			h.Debug = !strings.HasPrefix(a, "--no-")
		case strings.Contains(a, "="):
			_, h.LogFormat, _ = strings.Cut(a, "=")
		case i+1 < len(args):
			h.LogFormat = args[i+1]
			i++
		}
	}
	if h.LogFormat != "text" && h.LogFormat != "json" {
		h.LogFormat = ""
	}
	return h
}

// DisableFileExpansion turns off kingpin's @file argument expansion, which
// is a package variable in kingpin: this program's own flags never read a
// file, and tbot's @file arguments are read by expandArgFiles, bounded. It
// is safe to call from any goroutine, any number of times.
var DisableFileExpansion = sync.OnceFunc(func() { kingpin.EnableFileExpansion = false })

// IsStart reports whether tbot's arguments start the bot (any release's
// `tbot start`), without parsing them fully: nothing else sends an event,
// and nothing else is worth asking tbot its version for.
func IsStart(args []string) bool {
	expanded, err := expandArgFiles(args)
	if err != nil {
		return true // a start that tbot would refuse: ParseArgs says why
	}
	_, _, _, err = filterArgs(expanded, grammarFor(release.For("")))
	return !errors.Is(err, ErrNotStart)
}

// ParseArgs parses tbot's arguments (as they would follow `tbot` on its
// command line) with the environment, the way the given release of tbot
// does. It returns ErrNotStart for commands other than start, and a
// *Refusal that names the problem without quoting any value when that tbot
// would refuse the arguments.
func ParseArgs(args []string, env Env, rel release.Release) (*Invocation, error) {
	DisableFileExpansion()
	args, err := expandArgFiles(args)
	if err != nil {
		return nil, err
	}
	g := grammarFor(rel)
	filtered, found, skipped, err := filterArgs(args, g)
	if err != nil {
		return nil, err
	}
	mode, values, err := parseWithKingpin(g, filtered, found)
	if err != nil {
		return nil, err
	}
	if err := values.applyEnv(env, rel); err != nil {
		return nil, err
	}
	inv := &Invocation{Release: rel, Skipped: skipped}
	if mode.Adds != nil {
		inv.ServiceType = mode.Adds.Name
	}
	if err := inv.read(values); err != nil {
		return nil, err
	}
	if inv.mode, err = modeEntry(mode, values, rel); err != nil {
		return nil, err
	}
	return inv, nil
}

// parseWithKingpin parses the filtered arguments with a kingpin application
// of the release's grammar, and returns the mode selected and the values of
// its flags and the global ones. Only the mode the filter found (and
// legacy, kingpin's default) is modelled: the others cannot be selected, and
// building them all would be most of a report's start-up work.
func parseWithKingpin(g grammar, args []string, found *release.Mode) (*release.Mode, flagValues, error) {
	app := kingpin.New("tbot", "").Terminate(nil).UsageWriter(io.Discard).ErrorWriter(io.Discard)
	global := register(app, g.global)
	start := app.Command("start", "")
	byMode := map[string]flagValues{}
	for _, m := range g.modes {
		switch {
		case !g.hasModes:
			// `start` itself carries the flags.
			byMode[m.Name] = register(start, g.flags(m))
		case m.Name == release.LegacyMode || m == found:
			cmd := start.Command(m.Name, "")
			for _, a := range m.Aliases {
				cmd = cmd.Alias(a)
			}
			if m.Name == release.LegacyMode {
				cmd = cmd.Default()
			}
			byMode[m.Name] = register(cmd, g.flags(m))
		}
	}
	selected, err := app.Parse(args)
	if err != nil {
		return nil, nil, describeParseError(err)
	}
	name := release.LegacyMode
	if g.hasModes {
		name = strings.TrimPrefix(selected, "start ")
	}
	if found != nil && found.Name != name {
		// kingpin fell back to legacy because a legacy flag came before the
		// mode; tbot refuses that too.
		return nil, nil, refuse(FlagBeforeMode, "")
	}
	mode, _ := g.modeNamed(name)
	return mode, append(global, byMode[name]...), nil
}

// read takes from the parsed flags what the event needs, and makes the
// checks that tbot's parser and its flag handling make.
func (inv *Invocation) read(values flagValues) error {
	text := func(r release.Reading) string {
		if v := values.reading(r); v != nil {
			return v.text()
		}
		return ""
	}
	inv.ConfigPath, inv.ConfigString = text(release.ReadsConfigPath), text(release.ReadsConfigString)
	if inv.ConfigPath != "" && inv.ConfigString != "" {
		return refuse(ConfigAndConfigString, "")
	}
	if err := checkLogFormat(values.reading(release.ReadsLogFormat)); err != nil {
		return err
	}
	if v := values.reading(release.ReadsOneshot); v != nil {
		inv.OneshotSet, inv.Oneshot = v.set, *v.boolean
	}
	inv.JoinMethod = text(release.ReadsJoinMethod)
	if err := inv.checkJoinMethodFlag(values.reading(release.ReadsJoinMethod)); err != nil {
		return err
	}
	inv.TokenSet = text(release.ReadsToken) != ""
	if v := values.reading(release.ReadsCAPins); v != nil {
		inv.CAPinsSet = len(*v.strs) > 0
	}
	if v := values.reading(release.ReadsInsecure); v != nil {
		inv.InsecureSet, inv.Insecure = v.set, *v.boolean
	}
	if v := values.reading(release.ReadsTrace); v != nil && *v.boolean && inv.Release.Has(release.TraceNeedsExporter) &&
		text(release.ReadsTraceExporter) == "" {
		return refuse(TraceWithoutExporter, "")
	}
	inv.DestinationDir = text(release.ReadsDestinationDir) != ""
	return inv.readStorage(values)
}

// readStorage notes whether a flag replaces the file's storage, and
// refuses a storage URI the release refuses (--data-dir only from the
// release that reads it as a URI).
func (inv *Invocation) readStorage(values flagValues) error {
	for _, r := range []release.Reading{release.ReadsDataDir, release.ReadsStorage} {
		v := values.reading(r)
		if v == nil || v.text() == "" {
			continue
		}
		inv.DataDir = true
		if r == release.ReadsDataDir && !inv.Release.Has(release.ChecksDataDirURI) {
			continue
		}
		if _, err := destinationFromURI(v.text(), "--"+v.flag.Name, inv.Release); err != nil {
			return err
		}
	}
	return nil
}

// checkLogFormat refuses a --log-format other than text or json, given on
// the command line (every value: it is an enum) or by a variable.
func checkLogFormat(v *flagValue) error {
	if v == nil {
		return nil
	}
	formats := v.given
	if !v.set && v.text() != "" {
		formats = []string{v.text()} // from the environment
	}
	for _, lf := range formats {
		if lf != "text" && lf != "json" {
			return refuse(BadFlagValue, "--log-format").with("must be text or json")
		}
	}
	return nil
}

// checkJoinMethodFlag is kingpin's enum, as the release declares it: it
// checks every value given; no release's enum holds the empty string.
func (inv *Invocation) checkJoinMethodFlag(v *flagValue) error {
	rel := inv.Release
	if v == nil || !rel.Has(release.JoinMethodFlagIsEnum) {
		return nil
	}
	for _, method := range v.given {
		switch {
		case method == "":
		case rel.AcceptsJoinMethod(method):
			continue
		case rel.Open && method == inv.JoinMethod:
			continue // the one that counts: the privacy rule refuses it in its own words (merge.go)
		case rel.Open && release.AnyReleaseAccepts(method):
			continue
		}
		return refuse(JoinMethodFlag, "")
	}
	return nil
}

// The patterns of kingpin's messages, compiled only when one is described.
var (
	quotedFlag  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`'(--?[A-Za-z0-9][A-Za-z0-9-]*)'`) })
	flagNameRef = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`--[a-z0-9][a-z0-9-]*`) })
)

// describeParseError turns a kingpin error into a refusal that names the
// flag involved but never the value given, which may be a secret.
func describeParseError(err error) error {
	var r *Refusal
	if errors.As(err, &r) {
		return r // a value of ours refused it, in its own words
	}
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "expected argument for flag"):
		if m := quotedFlag().FindStringSubmatch(msg); m != nil {
			return refuse(MissingValue, m[1])
		}
		return refuse(MissingValue, "")
	case strings.HasPrefix(msg, "required flag"):
		// kingpin names every missing flag; the refusal names the first.
		return refuse(RequiredFlag, flagNameRef().FindString(msg))
	case strings.Contains(msg, "cannot be repeated"):
		return refuse(RepeatedFlag, "")
	case strings.HasPrefix(msg, "unexpected"):
		return refuse(UnexpectedArgument, "")
	}
	return refuse(BadFlagValue, flagNameRef().FindString(msg))
}
