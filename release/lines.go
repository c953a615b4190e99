package release

// How a line's --destination-dir combines with the file's entries.
type DestinationDirRule int

// The three rules tbot has had.
const (
	// ReplacesDestinations: v1 `destinations` are replaced by one directory
	// destination (v12-v13).
	ReplacesDestinations DestinationDirRule = iota
	// ReplacesOutputs: `outputs` (v1 destinations migrated into them
	// included) are replaced by one identity output (v14-v16).
	ReplacesOutputs
	// ReplacesServicesKeepsOutputs: `services` are replaced by one identity
	// output and `outputs` are appended after it (v17 and later).
	ReplacesServicesKeepsOutputs
)

// Which configured entries a line's event counts.
type Counted int

// The three ways tbot has counted.
const (
	// CountsDestinations: the v1 destinations, by their special request.
	CountsDestinations Counted = iota
	// CountsOutputs: `outputs` only (v1 destinations migrated into them);
	// `services` are not counted at all.
	CountsOutputs
	// CountsServices: `services`, with `outputs` folded into them.
	CountsServices
)

// Line is what one release line of tbot does at `tbot start`, as far as its
// start event is concerned.
type Line struct {
	// Name is how the documents call the line ("13", "15.0.0-dev").
	Name string
	// Since is the first version the line covers; it ends where the next
	// line of Lines begins.
	Since Version

	// GlobalFlags and StartFlags name the flags that tbot's kingpin
	// application accepts anywhere and after `start`; StartFlags is for the
	// lines without Modes, whose modes' flags are config's table of the
	// newest tbot. The grammar of every flag is in config.
	GlobalFlags, StartFlags []string
	// Modes are the `start <mode>` names (aliases resolved in config); nil
	// where `start` has none.
	Modes []string
	// JoinMethodFlagDefault is the default of --join-method, which makes
	// `--join-method=<default>` indistinguishable from not giving it.
	JoinMethodFlagDefault string
	// JoinMethodFlagIsEnum: --join-method refuses a method outside
	// JoinMethods at parse time.
	JoinMethodFlagIsEnum bool

	// ReadsVersionKey: the file's `version:` key is read (v1 or v2 files);
	// without it, a `version:` key is an unknown key.
	ReadsVersionKey bool
	// ReadsV1, ReadsV2: which file versions start.
	ReadsV1, ReadsV2 bool
	// MigratesV1: v1 files are turned into v2 outputs in memory (v14-v18),
	// with that migration's own refusals and leniencies.
	MigratesV1 bool
	// StrictV1, StrictV2: unknown keys are refused, at the top level and in
	// the blocks tbot decodes with its strict decoder.
	StrictV1, StrictV2 bool
	// V1Keys, V2Keys, OnboardingKeys, DestinationKeys: the keys known at
	// the top of v1 and v2 files, in `onboarding`, and in a v1 destination.
	V1Keys, V2Keys, OnboardingKeys, DestinationKeys []string
	// OutputTypes and ServiceTypes are the `type:` values known under
	// `outputs:` and `services:`; ServiceTypes is nil where `services:` is
	// not a key.
	OutputTypes, ServiceTypes []string

	// JoinMethods are the join methods the line accepts.
	JoinMethods []string
	// ChecksJoinMethod: a join method outside JoinMethods, from the file
	// too, is refused before the event. Where false (v12-v13), the file's
	// method went out as written; this program then sends nothing.
	ChecksJoinMethod bool
	// ChecksCAPinsAndPath: ca_pins together with ca_path is refused, and so
	// is `insecure: true` with either.
	ChecksCAPinsAndPath bool
	// ChecksInsecureFlag: --insecure counts in that check too (from v17;
	// before, the flag was applied after the checks).
	ChecksInsecureFlag bool

	// RefusesRoles: an output or service that lists roles is refused (v19).
	RefusesRoles bool
	// ChecksDataDirURI: --data-dir is a storage URI (a path, file://,
	// memory://), and any other scheme is refused (from 12.1.3).
	ChecksDataDirURI bool
	// NoOneshotWins: --no-oneshot turns a file's `oneshot: true` off; older
	// lines only let --oneshot switch it on.
	NoOneshotWins bool
	// DestinationDir is how --destination-dir combines with the file.
	DestinationDir DestinationDirRule
	// ReadsConfigEnv: TBOT_CONFIG_PATH and TBOT_CONFIG (--config-string)
	// are read.
	ReadsConfigEnv bool
	// JoinURIAfterSend: join_uri is applied only once the event is on its
	// way, so it never refuses a start before the event.
	JoinURIAfterSend bool

	// DefaultJoinType is join_type when nothing configures a join method.
	DefaultJoinType string
	// Counts says which entries the event counts; each counts by its type
	// (a v1 destination by its special request) in Buckets.
	Counts Counted
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

// BucketOf is how every tbot line counts an entry: only these three types
// have counters of their own, everything else (tunnels, proxies,
// kubernetes/v2, identity, ...) is Other. RFD 0106 meant the counters by kind
// of access; tbot's code never counted that way, and the wire follows the
// code (README.md, "The event").
func BucketOf(serviceType string) Bucket {
	switch serviceType {
	case "application":
		return Application
	case "database":
		return Database
	case "kubernetes":
		return Kubernetes
	}
	return Other
}
