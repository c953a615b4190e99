package release

import (
	"slices"
	"sync"
)

// Table is every fact of the table (table.go, cli.go, rules.go).
type Table struct {
	Rules        [numRules]RuleFact
	JoinMethods  []JoinMethod
	ServiceTypes []*ServiceType
	Keys         []Key
	// GlobalFlags are accepted before and after the command; StartFlags
	// are `start`'s (and `start legacy`'s where there are modes);
	// ModeFlags every other mode's.
	GlobalFlags, StartFlags, ModeFlags []FlagUse
	Modes                              []*Mode
}

// Facts returns the table. It is built on first use, not as the program
// starts: exec starts tbot from an init function (cmd/tbot-telemetry's
// before-main path), and every package initialized before that delays tbot.
var Facts = sync.OnceValue(func() *Table {
	fillFlags()
	t := &Table{Rules: rules(), JoinMethods: joinMethods(), ServiceTypes: serviceTypes(), Keys: keys(),
		GlobalFlags: globalFlags(), StartFlags: startFlags(), ModeFlags: modeFlags()}
	byName := map[string]*ServiceType{}
	for _, st := range t.ServiceTypes {
		byName[st.Name] = st
	}
	t.Modes = modes(byName)
	return t
})

// Release is the tbot whose rules apply: a version, judged on its own
// release branch, and whether it may know more than the table does.
type Release struct {
	// Version is the version the rules are read at: the tbot's own, the
	// first release that sends when it is older than that, or the newest
	// branch's when it is unknown.
	Version Version
	// Open is true where the tbot may be newer than the table: its version
	// is unknown, or on the newest branch the table knows or a later one.
	// Flags, modes, keys and types the table does not know are then passed
	// over rather than refused, and a join method must be one that some
	// release accepts.
	Open bool
}

// For returns the release for a tbot version as `tbot version` or
// --tbot-version gives it: unknown or unparsable is the newest branch, open;
// older than the first release that sends is that release.
func For(version string) Release {
	v, ok := ParseVersion(version)
	switch {
	case !ok:
		return Release{Version: newestKnown, Open: true}
	case v.Less(firstSends):
		return Release{Version: firstSends}
	}
	return Release{Version: v, Open: v.Major >= NewestBranch}
}

// String names the release for a log line: its version, and "open" where
// it is judged as possibly newer than the table.
func (r Release) String() string {
	s := r.Version.String()
	if r.Open {
		s += " (open)"
	}
	return s
}

// Has reports whether the release follows a rule.
func (r Release) Has(rule Rule) bool { return Facts().Rules[rule].Avail.In(r.Version) }

// AcceptsJoinMethod reports whether the release accepts a join method.
func (r Release) AcceptsJoinMethod(name string) bool {
	for _, m := range Facts().JoinMethods {
		if m.Name == name && m.Avail.In(r.Version) {
			return true
		}
	}
	return false
}

// AnyReleaseAccepts reports whether some release accepts the join method:
// the most that is known of a tbot newer than the table.
func AnyReleaseAccepts(name string) bool {
	return slices.ContainsFunc(Facts().JoinMethods, func(m JoinMethod) bool { return m.Name == name })
}

// OutputType returns the type if the release accepts it under `outputs:`.
func (r Release) OutputType(name string) (*ServiceType, bool) {
	return r.serviceType(name, func(t *ServiceType) Avail { return t.Output })
}

// ServiceType returns the type if the release accepts it under `services:`.
func (r Release) ServiceType(name string) (*ServiceType, bool) {
	return r.serviceType(name, func(t *ServiceType) Avail { return t.Service })
}

func (r Release) serviceType(name string, list func(*ServiceType) Avail) (*ServiceType, bool) {
	for _, t := range Facts().ServiceTypes {
		if t.Name == name && list(t).In(r.Version) {
			return t, true
		}
	}
	return nil, false
}

// Requirements returns the checks the release makes of an entry of type t.
func (r Release) Requirements(t *ServiceType) []Requirement {
	var out []Requirement
	for _, req := range t.Requires {
		if req.Avail.In(r.Version) {
			out = append(out, req)
		}
	}
	return out
}

// Keys returns the keys the release knows at a place of its file.
func (r Release) Keys(place KeyPlace) []string {
	var out []string
	for _, k := range Facts().Keys {
		if k.Place == place && k.Avail.In(r.Version) {
			out = append(out, k.Name)
		}
	}
	return out
}

// GlobalFlags returns the flags the release accepts before and after its
// command.
func (r Release) GlobalFlags() []FlagUse { return r.uses(Facts().GlobalFlags) }

// StartFlags returns the flags of `start` for a release without modes, and
// of `start legacy` for one with them.
func (r Release) StartFlags() []FlagUse { return r.uses(Facts().StartFlags) }

// ModeFlags returns the flags that every mode but legacy takes.
func (r Release) ModeFlags() []FlagUse { return r.uses(Facts().ModeFlags) }

// Modes returns the release's `start` modes, as the table has them (each
// with only its own flags: FlagsOf gives every flag a mode takes). It is
// empty where `start` has no modes.
func (r Release) Modes() []*Mode {
	if !r.Has(StartModes) {
		return nil
	}
	var out []*Mode
	for _, m := range Facts().Modes {
		if m.Avail.In(r.Version) {
			out = append(out, m)
		}
	}
	return out
}

// FlagsOf returns every flag a mode takes in this release: legacy's are
// StartFlags; every other mode's are ModeFlags and its own.
func (r Release) FlagsOf(m *Mode) []FlagUse {
	if m.Name == LegacyMode {
		return r.uses(Facts().StartFlags)
	}
	return append(r.uses(Facts().ModeFlags), r.uses(m.Flags)...)
}

// Binds returns the variable that stands for a flag in this release, or
// "" where none does.
func (r Release) Binds(f *Flag) string {
	if f.Env == "" || !f.EnvAvail.In(r.Version) {
		return ""
	}
	return f.Env
}

func (r Release) uses(list []FlagUse) []FlagUse {
	out := make([]FlagUse, 0, len(list))
	for _, u := range list {
		if u.Avail.In(r.Version) {
			out = append(out, u)
		}
	}
	return out
}

// Bucket is a counter of the start event.
type Bucket int

// The four counters.
const (
	Other Bucket = iota
	Database
	Kubernetes
	Application
)

// BucketOf is where the event counts an entry of a type: a type the table
// knows counts where its entry says (only application, database and
// kubernetes have counters of their own); any other is Other. RFD 0106 meant
// the counters by kind of access; tbot's code never counted that way, and the
// wire follows the code (README.md, "The event").
func BucketOf(typeName string) Bucket {
	for _, t := range Facts().ServiceTypes {
		if t.Name == typeName {
			return t.Counter
		}
	}
	return Other
}
