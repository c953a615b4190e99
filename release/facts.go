package release

// The kinds of fact the table holds. Each is one typed entry with the
// releases that have it (Avail) and the evidence for that, so that config
// reads what a release accepts from one place and docs/release-lines.md is
// generated from the same entries (release/internal/gendoc).

// JoinMethod is a join method that tbot accepts (onboarding.join_method,
// --join-method).
type JoinMethod struct {
	Name     string
	Avail    Avail
	Evidence string
}

// ServiceType is a `type:` of an entry of a v2 file's `outputs:` or
// `services:` (and of the service a `start <mode>` adds).
type ServiceType struct {
	Name string
	// Counter is where the start event counts an entry of this type.
	Counter Bucket
	// Output and Service are the releases that accept the type under
	// `outputs:` and under `services:`.
	Output, Service Avail
	// Requires is what tbot's own check of an entry of this type refuses
	// before it sends its event.
	Requires []Requirement
	Evidence string
}

// RequirementKind is how a Requirement checks its fields. Fields are keys
// of the entry; a dotted one (svid.path) is a key of a key.
type RequirementKind int

// The checks tbot makes of an entry's fields before it sends.
const (
	// NeedsString: the field is a string, not empty.
	NeedsString RequirementKind = iota
	// NeedsList: the field is a list, not empty.
	NeedsList
	// NeedsValue: the field is present and not empty, of any kind.
	NeedsValue
	// NeedsOneOfValues: the field, when set, is one of Values.
	NeedsOneOfValues
	// RefusesField: the field must not be set.
	RefusesField
	// NeedsAtMostOne: at most one of the fields is set.
	NeedsAtMostOne
	// NeedsDirectory: the destination, when set, is a directory.
	NeedsDirectory
	// NeedsURL: the field, when set, parses as a URL.
	NeedsURL
	// NeedsARN: the field is an AWS ARN.
	NeedsARN
	// NeedsSelector: the first of the fields that is present is a
	// selector with exactly one of name and labels (the key was renamed
	// once, so both spellings are looked at).
	NeedsSelector
	// NeedsSelectors: the field is a non-empty list of such selectors.
	NeedsSelectors
	// NeedsAWSSession: Fields[0] (session_duration) at most 12h (default
	// 6h), and Fields[1] (session_renewal_interval, default 1h) shorter.
	NeedsAWSSession
	// NeedsLifetime: the entry's credential_ttl and renewal_interval are
	// both set or neither, not negative, the TTL not shorter than the
	// interval unless the bot runs once, and not longer than Values[0]
	// (when given).
	NeedsLifetime
	// NeedsAbsolutePath: the field is a path starting with /.
	NeedsAbsolutePath
	// NeedsIPs: the field, when set, is a list of IP addresses.
	NeedsIPs
	// NeedsHostPorts: the field, when set, is a list of host:port.
	NeedsHostPorts
	// NeedsListWhenSet: the field, when set, is a list (tbot decodes it
	// into one before it checks anything).
	NeedsListWhenSet

	// NumRequirementKinds is the number of kinds above.
	NumRequirementKinds
)

// Requirement is one check of an entry's fields that tbot makes before it
// sends, for the releases in Avail.
type Requirement struct {
	Kind   RequirementKind
	Fields []string
	// Values parameterise some kinds (NeedsOneOfValues, NeedsLifetime).
	Values   []string
	Avail    Avail
	Evidence string
}

// KeyPlace is where in a configuration file a key is.
type KeyPlace int

// The places whose keys a strict release checks.
const (
	// V1Top is the top level of a v1 file.
	V1Top KeyPlace = iota
	// V2Top is the top level of a v2 file.
	V2Top
	// Onboarding is the `onboarding` block (v1 and v2).
	Onboarding
	// V1Storage is a v1 file's `storage`.
	V1Storage
	// V1Destination is an entry of a v1 file's `destinations`.
	V1Destination
	// V1Database is a v1 destination's `database` block.
	V1Database
)

// Key is a key that a release knows at a place of its file.
type Key struct {
	Place    KeyPlace
	Name     string
	Avail    Avail
	Evidence string
}

// FlagKind is what a flag's value is.
type FlagKind int

// The kinds of tbot's flags.
const (
	// String: one value; repeated, the last one wins.
	String FlagKind = iota
	// Bool: no value, with kingpin's --no-<name> form.
	Bool
	// Strings: repeatable, each value kept (--ca-pin).
	Strings
	// Duration: a duration as tbot parses it.
	Duration
)

// Flag is one of tbot's flags: its grammar, and the variable that stands
// for it in the releases that bind one.
type Flag struct {
	Name  string
	Short byte
	Kind  FlagKind
	// Env is the variable that stands for the flag where EnvAvail holds.
	Env      string
	EnvAvail Avail
	// Hidden flags are left out of tbot's help, but accepted all the same.
	Hidden bool
	// Reads is what this program reads from the flag; ReadsNothing for a
	// flag that is parsed only so that tbot's grammar is kept.
	Reads Reading
}

// Reading is what this program takes from a flag into its view of tbot's
// configuration; config handles each.
type Reading int

// What the flags say that the event needs.
const (
	ReadsNothing Reading = iota
	ReadsConfigPath
	ReadsConfigString
	ReadsLogFormat
	ReadsOneshot
	ReadsJoinMethod
	ReadsToken
	ReadsCAPins
	ReadsInsecure
	ReadsDestinationDir
	ReadsDataDir
	ReadsStorage
	ReadsTrace
	ReadsTraceExporter
)

// FlagUse is a flag where a release accepts it: among the global flags,
// `start`'s, or a mode's.
type FlagUse struct {
	Flag *Flag
	// Required: the command refuses to run without it.
	Required bool
	// Fills is the key of the mode's service that the flag sets, for the
	// checks of that service's type: a key (listen), a key of a key
	// (selector.name), or an entry of a list of selectors (selectors[].name);
	// "destination" for a destination URI.
	Fills    string
	Avail    Avail
	Evidence string
}

// Mode is a `tbot start <mode>`.
type Mode struct {
	Name    string
	Aliases []string
	// Adds is the type of the one service the mode adds; nil for the modes
	// that add none (legacy, noop).
	Adds *ServiceType
	// Flags are the mode's own; every mode but legacy also takes
	// ModeFlags, and legacy takes StartFlags.
	Flags    []FlagUse
	Avail    Avail
	Evidence string
}

// Rule is a way a release reads, merges, checks or counts that is not a
// name in a list.
type Rule int

// RuleFact is one Rule with the releases that follow it.
type RuleFact struct {
	Rule Rule
	// Name is how the page calls it; Says what it means.
	Name, Says string
	Avail      Avail
	Evidence   string
}
