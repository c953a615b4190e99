package config

import (
	"slices"

	"github.com/tbot-telemetry/tbot-telemetry/internal/tbotcli"
	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// This file is the grammar of tbot's command line: what kind of value each
// flag takes and which environment variable stands for it, and the modes of
// the newest tbot's `start`. Which of them a release knows is the release
// table's (package release); grammarFor puts the two together, and the
// parser in args.go builds a kingpin application from the result.

type flagKind int

const (
	kindString flagKind = iota
	kindBool
	kindStrings  // repeatable
	kindDuration // parsed as tbot parses it, so a bad one is refused alike
)

type flagSpec struct {
	name     string
	short    rune
	kind     flagKind
	envVar   string
	required bool
}

// The flag names the derivation reads. Everything else is parsed only so
// that tbot's grammar (values, repetition, required flags) is kept.
const (
	flagDebug          = "debug"
	flagConfig         = "config"
	flagConfigString   = "config-string"
	flagLogFormat      = "log-format"
	flagAuthServer     = "auth-server"
	flagProxyServer    = "proxy-server"
	flagToken          = "token"
	flagCAPin          = "ca-pin"
	flagJoinMethod     = "join-method"
	flagJoinURI        = "join-uri"
	flagOneshot        = "oneshot"
	flagDestinationDir = "destination-dir"
)

// Environment variables that stand for flags, as tbot binds them.
const (
	EnvConfigPath   = tbotcli.EnvConfigPath
	EnvConfigString = tbotcli.EnvConfigString
	EnvDebug        = tbotcli.EnvDebug
	EnvToken        = "TELEPORT_BOT_TOKEN"
	EnvAuthServer   = "TELEPORT_AUTH_SERVER"
	EnvProxyServer  = "TELEPORT_PROXY"
)

// globalFlags is the grammar of tbot's global flags, from their one table.
var globalFlags = func() []flagSpec {
	specs := make([]flagSpec, 0, len(tbotcli.GlobalFlags))
	for _, f := range tbotcli.GlobalFlags {
		spec := flagSpec{name: f.Name, short: rune(f.Short), envVar: f.EnvVar, kind: kindString}
		if !f.TakesValue {
			spec.kind = kindBool
		}
		specs = append(specs, spec)
	}
	return specs
}()

var authProxyFlags = []flagSpec{
	{name: flagAuthServer, short: 'a', envVar: EnvAuthServer},
	{name: flagProxyServer, envVar: EnvProxyServer},
}

// onboardingFlags are common to `start legacy` and the modern modes.
var onboardingFlags = []flagSpec{
	{name: flagToken, envVar: EnvToken},
	{name: flagCAPin, kind: kindStrings},
	{name: "certificate-ttl", kind: kindDuration},
	{name: "renewal-interval", kind: kindDuration},
	{name: flagJoinMethod},
	{name: flagOneshot, kind: kindBool},
	{name: "diag-addr"},
	{name: "pid-file"},
	{name: "scoped", kind: kindBool},
}

var legacyOnlyFlags = []flagSpec{
	{name: "data-dir"},
	{name: flagDestinationDir},
}

var modernOnlyFlags = []flagSpec{
	{name: flagJoinURI},
	{name: "storage"},
	{name: "registration-secret"},
	{name: "registration-secret-path"},
	{name: "static-key-path"},
}

func destinationFlags(required bool) []flagSpec {
	return []flagSpec{
		{name: "destination", required: required},
		{name: "reader-user", kind: kindStrings},
		{name: "reader-group", kind: kindStrings},
	}
}

var selectorFlags = []flagSpec{
	{name: "name-selector", kind: kindStrings},
	{name: "label-selector", kind: kindStrings},
}

// modeSpec is one `tbot start <mode>`.
type modeSpec struct {
	name    string
	aliases []string
	// serviceType is the type of the one service the mode adds, spelled as
	// in a v2 file's `type:`; empty for modes that add none.
	serviceType string
	flags       []flagSpec
}

const (
	modeLegacy  = "legacy"
	modeUnknown = "unknown-mode" // stands for a mode newer than this program
)

func concat(lists ...[]flagSpec) []flagSpec {
	var out []flagSpec
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// startModes returns every mode of `tbot start`, legacy first.
func startModes() []modeSpec {
	shared := concat(authProxyFlags, onboardingFlags, modernOnlyFlags)
	dest := destinationFlags(true)
	with := func(own ...[]flagSpec) []flagSpec { return concat(append([][]flagSpec{shared}, own...)...) }
	listen := []flagSpec{{name: "listen"}}
	return []modeSpec{
		{name: modeLegacy, flags: concat(authProxyFlags, onboardingFlags, legacyOnlyFlags)},
		{name: "noop", aliases: []string{"no-op"}, flags: with()},
		{name: "identity", aliases: []string{"ssh", "id"}, serviceType: "identity", flags: with(dest,
			[]flagSpec{{name: "cluster"}, {name: "allow-reissue", kind: kindBool}})},
		{name: "database", aliases: []string{"db"}, serviceType: "database", flags: with(dest,
			[]flagSpec{{name: "service"}, {name: "username"}, {name: "database"}, {name: "format"}})},
		{name: "kubernetes", aliases: []string{"k8s"}, serviceType: "kubernetes", flags: with(dest,
			[]flagSpec{{name: "kubernetes-cluster"}, {name: "disable-exec-plugin", kind: kindBool}})},
		{name: "kubernetes/v2", aliases: []string{"k8s/v2"}, serviceType: "kubernetes/v2", flags: with(dest, selectorFlags,
			[]flagSpec{{name: "disable-exec-plugin", kind: kindBool}})},
		{name: "application", aliases: []string{"app"}, serviceType: "application", flags: with(dest,
			[]flagSpec{{name: "app"}, {name: "specific-tls-extensions", kind: kindBool}})},
		{name: "application-tunnel", aliases: []string{"app-tunnel"}, serviceType: "application-tunnel", flags: with(listen,
			[]flagSpec{{name: "app"}})},
		{name: "application-proxy", aliases: []string{"app-proxy"}, serviceType: "application-proxy", flags: with(listen)},
		{name: "database-tunnel", aliases: []string{"db-tunnel"}, serviceType: "database-tunnel", flags: with(listen,
			[]flagSpec{{name: "service"}, {name: "username"}, {name: "database"}})},
		{name: "ssh-multiplexer", serviceType: "ssh-multiplexer", flags: with(dest,
			[]flagSpec{{name: "enable-resumption", kind: kindBool}, {name: "proxy-command", kind: kindStrings}, {name: "proxy-templates-path"}})},
		{name: "workload-identity-x509", serviceType: "workload-identity-x509", flags: with(dest, selectorFlags,
			[]flagSpec{{name: "include-federated-trust-bundles", kind: kindBool}})},
		{name: "workload-identity-jwt", serviceType: "workload-identity-jwt", flags: with(dest, selectorFlags,
			[]flagSpec{{name: "audience", kind: kindStrings}})},
		{name: "workload-identity-api", serviceType: "workload-identity-api", flags: with(listen, selectorFlags)},
		{name: "workload-identity-aws-roles-anywhere", serviceType: "workload-identity-aws-roles-anywhere", flags: with(dest, selectorFlags,
			[]flagSpec{{name: "role-arn"}, {name: "profile-arn"}, {name: "trust-anchor-arn"}, {name: "region"},
				{name: "session-duration"}, {name: "session-renewal-interval"}})},
		{name: "spiffe-svid", serviceType: "spiffe-svid", flags: with(destinationFlags(false),
			[]flagSpec{{name: "svid-path"}, {name: "svid-hint"}, {name: "dns-san", kind: kindStrings},
				{name: "ip-san", kind: kindStrings}, {name: "include-federated-trust-bundles", kind: kindBool}})},
		// A mode this program has never heard of still starts one service;
		// its flags are read as leniently as the shared ones allow.
		{name: modeUnknown, serviceType: modeUnknown, flags: with(destinationFlags(false), listen)},
	}
}

// tbotCommands are tbot's other top-level commands; none of them starts the
// bot, so none sends the event. Knowing them lets an unknown flag before the
// command be told from the command itself.
var tbotCommands = map[string]bool{
	"start": true, "version": true, "init": true, "migrate": true, "configure": true, "db": true,
	"proxy": true, "keypair": true, "spiffe-inspect": true, "tpm": true, "install": true,
	"copy-binaries": true, "wait": true, "help": true, "kube": true, "ssh-proxy-command": true,
	"ssh-multiplexer-proxy-command": true, "cert-inspect": true, "mcp": true,
}

// grammar is the command line of one release: its global flags and the modes
// of its `start` (one, legacy, for the lines without modes).
type grammar struct {
	global []flagSpec
	modes  []modeSpec
	// hasModes: `start <mode>` exists; without it, any word after start is
	// refused.
	hasModes bool
	// open: flags and modes this table does not know are passed over (the
	// tbot may be newer than the table); otherwise they are refused, as
	// that release refuses them.
	open bool
}

// flagCatalogue finds a flag's grammar by its name.
func flagCatalogue(name string) (flagSpec, bool) {
	for _, list := range [][]flagSpec{globalFlags, authProxyFlags, onboardingFlags, legacyOnlyFlags, modernOnlyFlags} {
		for _, f := range list {
			if f.name == name {
				return f, true
			}
		}
	}
	return flagSpec{}, false
}

// grammarFor builds the command line of a release from the release table.
func grammarFor(rel release.Release) grammar {
	g := grammar{open: rel.Open, hasModes: rel.Modes != nil}
	pick := func(names []string) []flagSpec {
		var out []flagSpec
		for _, n := range names {
			if f, ok := flagCatalogue(n); ok {
				if !rel.ReadsConfigEnv && (n == flagConfig || n == flagConfigString || n == flagDebug) {
					f.envVar = ""
				}
				out = append(out, f)
			}
		}
		return out
	}
	g.global = pick(rel.GlobalFlags)
	if !g.hasModes {
		g.modes = []modeSpec{{name: modeLegacy, flags: pick(rel.StartFlags)}}
		return g
	}
	for _, m := range startModes() {
		if slices.Contains(rel.Modes, m.name) || (m.name == modeUnknown && rel.Open) {
			g.modes = append(g.modes, m)
		}
	}
	return g
}
