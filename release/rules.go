package release

// The rules: how a release reads, merges, checks and counts, where that is
// not a name in a list. Each is one Rule with the releases that follow it.

const (
	// ReadsVersionKey: the file's `version:` is read first (v1 or v2);
	// before, `version:` was an unknown key.
	ReadsVersionKey Rule = iota
	// ReadsV1: v1 files start.
	ReadsV1
	// ReadsV2: v2 files start.
	ReadsV2
	// MigratesV1: v1 files are turned into v2 outputs in memory, with that
	// migration's own refusals and leniencies.
	MigratesV1
	// StrictV1: unknown keys of a v1 file are refused.
	StrictV1
	// StrictV2: unknown keys at the top of a v2 file and in onboarding are
	// refused (entries of outputs and services were always read leniently).
	StrictV2
	// JoinMethodFlagIsEnum: --join-method refuses a method outside the
	// release's list as it parses the command line.
	JoinMethodFlagIsEnum
	// JoinMethodFlagDefaultsToToken: --join-method defaults to token, so
	// giving `--join-method=token` is not noticed.
	JoinMethodFlagDefaultsToToken
	// ReportsTokenWhenNoJoinMethod: join_type is token when nothing sets a
	// join method; otherwise it is "".
	ReportsTokenWhenNoJoinMethod
	// ChecksJoinMethod: a join method outside the release's list, from the
	// file too, is refused before the event.
	ChecksJoinMethod
	// ChecksCAPinsAndPath: ca_pins with ca_path is refused, and so is
	// `insecure: true` with either.
	ChecksCAPinsAndPath
	// ChecksInsecureFlag: --insecure counts in that check too.
	ChecksInsecureFlag
	// ChecksDataDirURI: --data-dir is a storage URI and an unknown scheme
	// is refused.
	ChecksDataDirURI
	// DataDirTakesKubernetesSecret: a storage URI may also be
	// kubernetes-secret:///name.
	DataDirTakesKubernetesSecret
	// NoFlagsWin: --no-oneshot (and --no-insecure) turn the file's
	// setting off; before, such a flag could only switch it on.
	NoFlagsWin
	// DestinationDirKeepsOutputs: --destination-dir replaces `services` and
	// keeps `outputs`; before, it replaced the outputs (v1 destinations)
	// and kept the services.
	DestinationDirKeepsOutputs
	// CountsServices: the event counts `services` with `outputs` appended;
	// before, only outputs (v1 destinations).
	CountsServices
	// StartModes: `start <mode>`; before, `start` was one command.
	StartModes
	// UniqueEntryNames: two outputs or services of the same `name:` are
	// refused.
	UniqueEntryNames
	// TraceNeedsExporter: --trace without --trace-exporter fails as tbot
	// sets up tracing, before it reads its file.
	TraceNeedsExporter

	numRules
)

// rules holds every Rule's releases, indexed by the Rule. It is a table,
// one entry per rule, and as long as the rules are many.
func rules() [numRules]RuleFact {
	always := From("12.1.0")
	facts := [numRules]RuleFact{
		ReadsVersionKey: {Name: "reads `version:`",
			Says:  "the file's `version:` is read first; before, it was an unknown key",
			Avail: From("14.0.0"), Evidence: "the v2 format, #27152 (14.0.0)"},
		ReadsV1: {Name: "reads v1 files",
			Says:  "v1 files (no `version:`, or `version: v1`) start",
			Avail: always, Evidence: "every stored lib/tbot/config/config.go migrates v1, the newest read being master of 2025-08 (v19 development); no v19 note removes it"},
		ReadsV2: {Name: "reads v2 files",
			Says:  "`version: v2` files start",
			Avail: From("14.0.0"), Evidence: "#27152 (14.0.0)"},
		MigratesV1: {Name: "migrates v1",
			Says:  "v1 destinations become v2 outputs in memory, by the migration's rules",
			Avail: From("14.0.0"), Evidence: "#27468 (14.0.0)"},
		StrictV1: {Name: "strict v1",
			Says:  "an unknown key of a v1 file is refused",
			Avail: always.Until("14.0.0"), Evidence: "observed on tbot 13.1.3"},
		StrictV2: {Name: "strict v2",
			Says:  "an unknown key at the top of a v2 file or in `onboarding` is refused",
			Avail: From("14.0.0").Until("17.2.8"), Evidence: "observed on 15.0.0-dev; lenient from master #51956 (18.0.0), v17 #52185 (17.2.8); no v15 or v16 backport"},
		JoinMethodFlagIsEnum: {Name: "--join-method is an enum",
			Says:  "--join-method refuses a method outside the release's list as the command line is parsed",
			Avail: always, Evidence: "observed on 13.1.3 and 15.0.0-dev; EnumVar over SupportedJoinMethods on every later branch"},
		JoinMethodFlagDefaultsToToken: {Name: "--join-method defaults to token",
			Says:  "`--join-method=token` is the flag's default, so it goes unnoticed",
			Avail: always.Until("14.0.0"), Evidence: "observed on 13.1.3"},
		ReportsTokenWhenNoJoinMethod: {Name: "join_type `token` when none",
			Says:  "join_type is `token` when nothing sets a join method (later releases: `\"\"`)",
			Avail: always.Until("14.0.0"), Evidence: "observed on 13.1.3; the raw join type from #24267 (14.0.0)"},
		ChecksJoinMethod: {Name: "checks the join method",
			Says:  "a join method outside the release's list, from the file too, is refused",
			Avail: From("14.0.0"), Evidence: "#24267 (14.0.0); observed on 15.0.0-dev"},
		ChecksCAPinsAndPath: {Name: "checks the CA options",
			Says:  "`ca_pins` with `ca_path` is refused, and `insecure` with either",
			Avail: From("15.0.0-0"), Evidence: "c7cc451667 (master 2023-11, v14 backport #31694 at a patch not found); observed on 15.0.0-dev"},
		ChecksInsecureFlag: {Name: "--insecure in the CA check",
			Says:  "--insecure counts in the CA check (before, it was applied after the checks)",
			Avail: From("17.0.0"), Evidence: "lib/tbot/cli GlobalArgs.ApplyConfig runs before CheckAndSetDefaults (17.0.1)"},
		ChecksDataDirURI: {Name: "--data-dir is a URI",
			Says:  "--data-dir is a storage URI (a path, file://, memory://); another scheme is refused",
			Avail: From("12.1.3"), Evidence: "2f181a8d20 (12.1.3)"},
		DataDirTakesKubernetesSecret: {Name: "kubernetes-secret storage",
			Says:  "a storage URI may also be `kubernetes-secret:///name`",
			Avail: From("15.4.12", "16.1.1"), Evidence: "v15 #44804 (15.4.12), v16 #44801 (16.1.1)"},
		NoFlagsWin: {Name: "--no-oneshot wins",
			Says:  "--no-oneshot (and --no-insecure) turn the file's setting off; before, they could only switch it on",
			Avail: From("17.5.1", "18.0.0"), Evidence: "master #54402 (18.0.0), v17 #54651 (17.5.1)"},
		DestinationDirKeepsOutputs: {Name: "--destination-dir keeps outputs",
			Says:  "--destination-dir replaces `services` and keeps `outputs` (before: it replaced `outputs`, v1 destinations included, and kept `services`)",
			Avail: From("17.0.0"), Evidence: "lib/tbot/cli start_legacy.go, LegacyDestinationDirArgs (17.0.1)"},
		CountsServices: {Name: "counts services",
			Says:  "the event counts `services` with `outputs` appended (before: only `outputs` and v1 destinations)",
			Avail: From("15.4.9", "16.1.0"), Evidence: "master #43685; v15 #43883 (15.4.9), v16 #43876 (16.1.0)"},
		StartModes: {Name: "`start <mode>`",
			Says:  "`start <mode>`; plain `start` is `start legacy`",
			Avail: From("17.0.0"), Evidence: "CHANGELOG 17.0.1, the first v17 release; docs #48337"},
		UniqueEntryNames: {Name: "unique entry names",
			Says:  "two outputs or services with the same `name:` are refused",
			Avail: From("17.5.4", "18.0.0"), Evidence: "master #55765 (18.0.0), v17 #56306 (17.5.4)"},
		TraceNeedsExporter: {Name: "--trace needs --trace-exporter",
			Says:  "--trace without --trace-exporter fails as tracing is set up, before the file is read",
			Avail: From("15.0.0"), Evidence: "master #35833 (2023-12, in 15.0.0); tool/tbot/main.go @88a83600"},
	}
	// Each fact's Rule is its index, so that a fact names itself wherever
	// it is passed on.
	for i := range facts {
		facts[i].Rule = Rule(i)
	}
	return facts
}
