package config

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/xhit/go-str2duration/v2"

	"github.com/tbot-telemetry/tbot-telemetry/internal/tbotcli"
	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// Env is the process environment as tbot would see it.
type Env map[string]string

// EnvFromList builds an Env from "KEY=value" entries, as os.Environ returns
// them; a later entry wins, as it does for getenv.
func EnvFromList(list []string) Env {
	env := make(Env, len(list))
	for _, kv := range list {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	return env
}

// List returns the environment as "KEY=value" entries, for a child process.
func (e Env) List() []string {
	list := make([]string, 0, len(e))
	for k, v := range e {
		list = append(list, k+"="+v)
	}
	return list
}

// Get returns a variable's value, "" when it is unset.
func (e Env) Get(key string) string { return e[key] }

// lookup returns a variable's value, an empty one counting as unset, as it
// does for the kingpin flags tbot binds to variables.
func (e Env) lookup(key string) (string, bool) {
	v := e[key]
	return v, v != ""
}

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
	Insecure       bool // --insecure
	DestinationDir bool // legacy --destination-dir given
	DataDir        bool // --data-dir or --storage given: the file's storage is replaced

	// Skipped names the flags and modes that this program did not know and
	// passed over, for a debug line.
	Skipped []string
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
// does. It returns ErrNotStart for commands other than start, and an error
// that names the problem without quoting any value when that tbot would
// refuse the arguments.
func ParseArgs(args []string, env Env, rel release.Release) (*Invocation, error) {
	DisableFileExpansion()
	args, err := expandArgFiles(args)
	if err != nil {
		return nil, err
	}
	g := grammarFor(rel)
	filtered, mode, skipped, err := filterArgs(args, g)
	if err != nil {
		return nil, err
	}

	app := kingpin.New("tbot", "").Terminate(nil).UsageWriter(io.Discard).ErrorWriter(io.Discard)
	values := newFlagValues()
	values.register(app, g.global, "")
	start := app.Command("start", "")
	// Only the mode the filter found (and legacy, kingpin's default) is
	// modelled: the others cannot be selected, and building them all would
	// be most of a report's start-up work.
	for _, m := range g.modes {
		if m.name != modeLegacy && m.name != mode.name {
			continue
		}
		if !g.hasModes {
			// `start` itself carries the flags.
			values.register(start, m.flags, m.name)
			continue
		}
		cmd := start.Command(m.name, "")
		for _, a := range m.aliases {
			cmd = cmd.Alias(a)
		}
		if m.name == modeLegacy {
			cmd = cmd.Default()
		}
		values.register(cmd, m.flags, m.name)
	}

	selected, err := app.Parse(filtered)
	if err != nil {
		return nil, fmt.Errorf("tbot would refuse its arguments: %s", describeParseError(err))
	}
	modeName := modeLegacy
	if g.hasModes {
		modeName = strings.TrimPrefix(selected, "start ")
	}
	if mode.name != "" && mode.name != modeName {
		// kingpin fell back to legacy because a legacy flag came before the
		// mode; tbot refuses that too.
		return nil, errors.New("tbot would refuse its arguments: a flag comes before the start mode")
	}
	m := modeSpecNamed(g.modes, modeName)
	inv := &Invocation{Release: rel, ServiceType: m.serviceType, Skipped: skipped}
	if err := values.applyEnv(env, m.name); err != nil {
		return nil, err
	}
	str := func(name string) string {
		if f := values.get(m.name, name); f != nil && f.str != nil {
			return *f.str
		}
		return ""
	}

	inv.ConfigPath, inv.ConfigString = str(flagConfig), str(flagConfigString)
	if inv.ConfigPath != "" && inv.ConfigString != "" {
		return nil, errors.New("tbot would refuse its arguments: cannot specify both config and config-string")
	}
	if f := values.get(m.name, flagLogFormat); f != nil {
		formats := f.given
		if !f.set && *f.str != "" {
			formats = []string{*f.str} // from the environment
		}
		for _, lf := range formats {
			if lf != "text" && lf != "json" {
				return nil, errors.New("tbot would refuse its arguments: --log-format must be text or json")
			}
		}
	}
	if f := values.get(m.name, flagOneshot); f != nil {
		inv.OneshotSet, inv.Oneshot = f.set, *f.boolean
	}
	inv.JoinMethod = str(flagJoinMethod)
	if f := values.get(m.name, flagJoinMethod); f != nil && rel.JoinMethodFlagIsEnum {
		// kingpin's enum, as this release declares it, checks every value
		// given; no release's enum holds the empty string.
		for _, method := range f.given {
			switch {
			case method == "":
			case release.Knows(rel.JoinMethods, method):
				continue
			case rel.Open && method == inv.JoinMethod:
				continue // the one that counts: the privacy rule refuses it in its own words (view.go)
			case rel.Open && release.AnyLineAccepts(method):
				continue
			}
			return nil, errors.New("tbot would refuse its arguments: --join-method names a join method this tbot release does not know")
		}
	}
	inv.TokenSet = str(flagToken) != ""
	if f := values.get(m.name, flagCAPin); f != nil {
		inv.CAPinsSet = len(*f.strs) > 0
	}
	inv.DestinationDir = str(flagDestinationDir) != ""
	if f := values.get(m.name, "insecure"); f != nil {
		inv.Insecure = *f.boolean
	}
	inv.DataDir = str("data-dir") != "" || str("storage") != ""
	if dataDir := str("data-dir"); dataDir != "" && rel.ChecksDataDirURI {
		if err := checkStorageURI(dataDir, rel.Modes != nil); err != nil {
			return nil, err
		}
	}
	return inv, nil
}

// checkStorageURI refuses a --data-dir that tbot cannot store in: it takes
// a path, file:///path, memory:// and, from v17, kubernetes-secret:///name.
// The error never quotes the value.
func checkStorageURI(s string, kubernetesSecret bool) error {
	if !strings.Contains(s, "://") {
		return nil // a plain path
	}
	u, err := url.Parse(s)
	refuse := errors.New("tbot would refuse its arguments: --data-dir is not a storage tbot knows")
	switch {
	case err != nil:
		return refuse
	case u.Scheme == "file" && u.Host == "":
		return nil
	case u.Scheme == "memory" && u.Host == "" && (u.Path == "" || u.Path == "/"):
		return nil
	case u.Scheme == "kubernetes-secret" && kubernetesSecret && u.Host == "":
		return nil
	}
	return refuse
}

// flagValue holds one parsed flag.
type flagValue struct {
	spec    flagSpec
	set     bool     // given on the command line
	given   []string // every value given on the command line, in order
	str     *string
	boolean *bool
	strs    *[]string
	dur     *time.Duration
}

// flagValues holds the flags of every command, keyed by mode ("" = global).
type flagValues map[string]map[string]*flagValue

func newFlagValues() flagValues { return flagValues{} }

type flagAdder interface {
	Flag(name, help string) *kingpin.FlagClause
}

func (fv flagValues) register(cmd flagAdder, specs []flagSpec, mode string) {
	byName := map[string]*flagValue{}
	fv[mode] = byName
	for _, s := range specs {
		v := &flagValue{spec: s}
		clause := cmd.Flag(s.name, "").IsSetByUser(&v.set)
		if s.short != 0 {
			clause = clause.Short(s.short)
		}
		if s.required {
			clause = clause.Required()
		}
		// tbot's parser lets any flag be repeated (the last one wins, a
		// list grows), which kingpin allows only for values that say so.
		switch s.kind {
		case kindBool:
			v.boolean = new(bool)
			clause.SetValue(&repeatableBool{p: v.boolean})
		case kindStrings:
			v.strs = new([]string)
			clause.SetValue(&repeatableStrings{p: v.strs})
		case kindDuration:
			v.dur = new(time.Duration)
			clause.SetValue(&durationValue{flag: s.name, d: v.dur})
		default:
			v.str = new(string)
			clause.SetValue(&repeatableString{p: v.str, all: &v.given})
		}
		byName[s.name] = v
	}
}

// get returns a flag of the mode, or a global flag, or nil when the mode has
// no such flag.
func (fv flagValues) get(mode, name string) *flagValue {
	if v, ok := fv[mode][name]; ok {
		return v
	}
	return fv[""][name]
}

// applyEnv fills flags that the command line left unset from the variables
// tbot binds them to; like kingpin, it refuses a bool that does not parse.
func (fv flagValues) applyEnv(env Env, mode string) error {
	for _, m := range []string{"", mode} {
		for _, v := range fv[m] {
			if v.spec.envVar == "" || v.set {
				continue
			}
			val, ok := env.lookup(v.spec.envVar)
			if !ok {
				continue
			}
			switch v.spec.kind {
			case kindBool:
				b, err := strconv.ParseBool(val)
				if err != nil {
					return fmt.Errorf("tbot would refuse its environment: %s is not a boolean", v.spec.envVar)
				}
				*v.boolean = b
			default:
				*v.str = val
			}
		}
	}
	return nil
}

// durationValue parses a duration as kingpin does, with an error that names
// the flag rather than quoting the value.
type durationValue struct {
	flag string
	d    *time.Duration
}

func (v *durationValue) Set(s string) error {
	d, err := str2duration.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid value for --%s", v.flag)
	}
	*v.d = d
	return nil
}

func (v *durationValue) String() string { return v.d.String() }

// IsCumulative lets the flag be repeated, as tbot's parser does.
func (v *durationValue) IsCumulative() bool { return true }

// repeatableString is a string flag that may be given more than once; the
// last value wins, and every value given is kept for the checks that tbot's
// parser makes of each (an enum refuses a bad one even if a good one
// follows).
type repeatableString struct {
	p   *string
	all *[]string
}

func (v *repeatableString) Set(s string) error {
	*v.p = s
	*v.all = append(*v.all, s)
	return nil
}
func (v *repeatableString) String() string     { return *v.p }
func (v *repeatableString) IsCumulative() bool { return true }

// repeatableStrings is a list flag (--ca-pin): each value is added.
type repeatableStrings struct{ p *[]string }

func (v *repeatableStrings) Set(s string) error { *v.p = append(*v.p, s); return nil }
func (v *repeatableStrings) String() string     { return strings.Join(*v.p, ",") }
func (v *repeatableStrings) IsCumulative() bool { return true }

// repeatableBool is a bool flag, with kingpin's --no-<flag> form, that may
// be given more than once; the last one wins.
type repeatableBool struct{ p *bool }

func (v *repeatableBool) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	*v.p = b
	return nil
}
func (v *repeatableBool) String() string     { return strconv.FormatBool(*v.p) }
func (v *repeatableBool) IsBoolFlag() bool   { return true }
func (v *repeatableBool) IsCumulative() bool { return true }

// The patterns of kingpin's messages, compiled only when one is described.
var (
	quotedFlag  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`'(--?[A-Za-z0-9][A-Za-z0-9-]*)'`) })
	flagNameRef = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`--[a-z0-9][a-z0-9-]*`) })
)

// describeParseError turns a kingpin error into a phrase that names the flag
// involved but never the value given, which may be a secret.
func describeParseError(err error) string {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "expected argument for flag"):
		if m := quotedFlag().FindStringSubmatch(msg); m != nil {
			return "flag " + m[1] + " is missing its value"
		}
		return "a flag is missing its value"
	case strings.HasPrefix(msg, "required flag"):
		return "required flag " + strings.Join(flagNameRef().FindAllString(msg, -1), ", ") + " not provided"
	case strings.Contains(msg, "cannot be repeated"):
		return "a flag that cannot be repeated was repeated"
	case strings.HasPrefix(msg, "unexpected"):
		return "unexpected argument"
	}
	if m := flagNameRef().FindString(msg); m != "" {
		return "invalid value for " + m
	}
	return "invalid arguments"
}
