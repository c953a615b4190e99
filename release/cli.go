package release

import "github.com/tbot-telemetry/tbot-telemetry/internal/tbotcli"

// The command line in the table: tbot's flags, where each release accepts
// them, and the modes of `start`.

// The flags. They are constant data, so that the program's start does not
// build them; what is not constant (the grammar of the global flags, which
// internal/tbotcli holds, and the releases that bind a variable) is filled
// in once, with the rest of the table (Facts).
var (
	FlagDebug         = &Flag{Name: "debug"}
	FlagConfig        = &Flag{Name: "config", Reads: ReadsConfigPath}
	FlagConfigString  = &Flag{Name: "config-string", Reads: ReadsConfigString}
	FlagFIPS          = &Flag{Name: "fips"}
	FlagInsecure      = &Flag{Name: "insecure", Reads: ReadsInsecure}
	FlagLogFormat     = &Flag{Name: "log-format", Reads: ReadsLogFormat}
	FlagTrace         = &Flag{Name: "trace", Reads: ReadsTrace}
	FlagTraceExporter = &Flag{Name: "trace-exporter", Reads: ReadsTraceExporter}
	FlagMemProfile    = &Flag{Name: "mem-profile"}
	FlagCPUProfile    = &Flag{Name: "cpu-profile"}
	FlagTraceProfile  = &Flag{Name: "trace-profile"}

	FlagAuthServer      = &Flag{Name: "auth-server", Short: 'a', Env: "TELEPORT_AUTH_SERVER"}
	FlagProxyServer     = &Flag{Name: "proxy-server", Env: "TELEPORT_PROXY"}
	FlagToken           = &Flag{Name: "token", Env: "TELEPORT_BOT_TOKEN", Reads: ReadsToken}
	FlagCAPin           = &Flag{Name: "ca-pin", Kind: Strings, Reads: ReadsCAPins}
	FlagCertificateTTL  = &Flag{Name: "certificate-ttl", Kind: Duration}
	FlagRenewalInterval = &Flag{Name: "renewal-interval", Kind: Duration}
	FlagJoinMethod      = &Flag{Name: "join-method", Reads: ReadsJoinMethod}
	FlagOneshot         = &Flag{Name: "oneshot", Kind: Bool, Reads: ReadsOneshot}
	FlagDiagAddr        = &Flag{Name: "diag-addr"}
	FlagPIDFile         = &Flag{Name: "pid-file"}
	FlagScoped          = &Flag{Name: "scoped", Kind: Bool}
	FlagDataDir         = &Flag{Name: "data-dir", Reads: ReadsDataDir}
	FlagDestinationDir  = &Flag{Name: "destination-dir", Reads: ReadsDestinationDir}
	FlagJoinURI         = &Flag{Name: "join-uri"}
	FlagStorage         = &Flag{Name: "storage", Reads: ReadsStorage}
	FlagRegSecret       = &Flag{Name: "registration-secret"}
	FlagRegSecretPath   = &Flag{Name: "registration-secret-path"}
	FlagStaticKeyPath   = &Flag{Name: "static-key-path"}

	// The modes' own flags; the first four are also those of a mode newer
	// than the table (config).
	FlagDestination       = &Flag{Name: "destination"}
	FlagReaderUser        = &Flag{Name: "reader-user", Kind: Strings}
	FlagReaderGroup       = &Flag{Name: "reader-group", Kind: Strings}
	FlagListen            = &Flag{Name: "listen"}
	flagNameSelector      = &Flag{Name: "name-selector", Kind: Strings}
	flagLabelSelector     = &Flag{Name: "label-selector", Kind: Strings}
	flagCluster           = &Flag{Name: "cluster"}
	flagAllowReissue      = &Flag{Name: "allow-reissue", Kind: Bool}
	flagService           = &Flag{Name: "service"}
	flagUsername          = &Flag{Name: "username"}
	flagDatabase          = &Flag{Name: "database"}
	flagFormat            = &Flag{Name: "format"}
	flagKubernetesCluster = &Flag{Name: "kubernetes-cluster"}
	flagDisableExecPlugin = &Flag{Name: "disable-exec-plugin", Kind: Bool}
	flagApp               = &Flag{Name: "app"}
	flagSpecificTLS       = &Flag{Name: "specific-tls-extensions", Kind: Bool}
	flagEnableResumption  = &Flag{Name: "enable-resumption", Kind: Bool}
	flagProxyCommand      = &Flag{Name: "proxy-command", Kind: Strings}
	flagProxyTemplates    = &Flag{Name: "proxy-templates-path"}
	flagFederatedBundles  = &Flag{Name: "include-federated-trust-bundles", Kind: Bool}
	flagAudience          = &Flag{Name: "audience", Kind: Strings}
	flagRoleARN           = &Flag{Name: "role-arn"}
	flagProfileARN        = &Flag{Name: "profile-arn"}
	flagTrustAnchorARN    = &Flag{Name: "trust-anchor-arn"}
	flagRegion            = &Flag{Name: "region"}
	flagSessionDuration   = &Flag{Name: "session-duration"}
	flagSessionRenewal    = &Flag{Name: "session-renewal-interval"}
	flagSVIDPath          = &Flag{Name: "svid-path"}
	flagSVIDHint          = &Flag{Name: "svid-hint"}
	flagDNSSAN            = &Flag{Name: "dns-san", Kind: Strings}
	flagIPSAN             = &Flag{Name: "ip-san", Kind: Strings}
)

// fillFlags completes the flags: a global one from tbotcli's table (the one
// grammar of tbot's global flags that the before-main path also reads), and
// the releases where a variable stands for each.
func fillFlags() {
	always, tbotEnv := From("12.1.0"), From("17.2.9", "18.0.0")
	for _, f := range []*Flag{FlagDebug, FlagConfig, FlagConfigString, FlagFIPS, FlagInsecure, FlagLogFormat,
		FlagTrace, FlagTraceExporter, FlagMemProfile, FlagCPUProfile, FlagTraceProfile} {
		g, ok := tbotcli.Lookup("--" + f.Name)
		if !ok {
			panic("release: internal/tbotcli has no global flag " + f.Name)
		}
		f.Short, f.Kind, f.Env = g.Short, Bool, g.EnvVar
		if g.TakesValue {
			f.Kind = String
		}
		f.EnvAvail = tbotEnv
	}
	for _, f := range []*Flag{FlagAuthServer, FlagProxyServer, FlagToken} {
		f.EnvAvail = always
	}
}

// globalFlags are accepted before and after the command.
func globalFlags() []FlagUse {
	always, modern := From("12.1.0"), From("17.0.0")
	return []FlagUse{
		{Flag: FlagDebug, Avail: always, Evidence: "#22658 (12.1.0)"},
		{Flag: FlagConfig, Avail: always, Evidence: "#22658 (12.1.0)"},
		{Flag: FlagFIPS, Avail: From("12.1.4"), Evidence: "9154ccab8c (12.1.4)"},
		{Flag: FlagInsecure, Avail: modern, Evidence: "lib/tbot/cli globals.go (17.0.1); before, a flag of start"},
		{Flag: FlagLogFormat, Avail: modern, Evidence: "lib/tbot/cli globals.go (17.0.1); before, a flag of start"},
		{Flag: FlagConfigString, Avail: From("17.2.9", "18.0.0"), Evidence: "master #52305 (18.0.0), v17 #52351 (17.2.9); no v16 backport"},
		{Flag: FlagTrace, Avail: From("15.0.0"), Evidence: "hidden; master #35833 (merged 2023-12, in 15.0.0)"},
		{Flag: FlagTraceExporter, Avail: From("15.0.0"), Evidence: "hidden; master #35833 (15.0.0)"},
		{Flag: FlagMemProfile, Avail: From("15.0.0"), Evidence: "hidden; seen in the v16 and v18 tool/tbot/main.go, first patch not found (taken as 15.0.0)"},
		{Flag: FlagCPUProfile, Avail: From("15.0.0"), Evidence: "hidden; as --mem-profile"},
		{Flag: FlagTraceProfile, Avail: From("15.0.0"), Evidence: "hidden; as --mem-profile"},
	}
}

// startFlags are `start`'s, and `start legacy`'s where there are modes.
func startFlags() []FlagUse {
	always, modern := From("12.1.0"), From("17.0.0")
	return []FlagUse{
		{Flag: FlagAuthServer, Avail: always, Evidence: "#22658 (12.1.0)"},
		{Flag: FlagToken, Avail: always, Evidence: "#22658 (12.1.0)"},
		{Flag: FlagCAPin, Avail: always, Evidence: "#22658 (12.1.0)"},
		{Flag: FlagDataDir, Avail: always, Evidence: "#22658 (12.1.0)"},
		{Flag: FlagDestinationDir, Avail: always, Evidence: "#22658 (12.1.0)"},
		{Flag: FlagCertificateTTL, Avail: always, Evidence: "#22658 (12.1.0)"},
		{Flag: FlagRenewalInterval, Avail: always, Evidence: "#22658 (12.1.0)"},
		{Flag: FlagJoinMethod, Avail: always, Evidence: "#22658 (12.1.0)"},
		{Flag: FlagOneshot, Avail: always, Evidence: "#22658 (12.1.0)"},
		{Flag: FlagDiagAddr, Avail: From("12.4.0", "13.0.1"), Evidence: "b3ec3024ca (12.4.0), 2f8fbac403 (13.0.1)"},
		{Flag: FlagLogFormat, Avail: From("14.0.0").Until("17.0.0"), Evidence: "9268e97d01 (14.0.0); global from 17.0.1"},
		{Flag: FlagInsecure, Avail: From("15.0.0-0").Until("17.0.0"), Evidence: "c7cc451667 (15.0.0-dev; v14 #31694 at a patch not found); global from 17.0.1"},
		{Flag: FlagProxyServer, Avail: From("14.3.7", "15.1.3"), Evidence: "master #38727 (16.0.0), v15 #39055 (15.1.3), v14 #39056 (14.3.7)"},
		{Flag: FlagPIDFile, Avail: modern, Evidence: "the start flag's patch was not found (`tbot install systemd --pid-file`: v17 #63038, v18 #63039); taken as every release with modes"},
		{Flag: FlagScoped, Avail: From("19.0.0"), Evidence: "master #65351 (19.0.0); no backport found"},
	}
}

// modeFlags are taken by every mode but legacy.
func modeFlags() []FlagUse {
	modern := From("17.0.0")
	return []FlagUse{
		{Flag: FlagAuthServer, Avail: modern, Evidence: "lib/tbot/cli start_shared.go (17.0.1)"},
		{Flag: FlagProxyServer, Avail: modern, Evidence: "start_shared.go (17.0.1)"},
		{Flag: FlagToken, Avail: modern, Evidence: "start_shared.go (17.0.1)"},
		{Flag: FlagCAPin, Avail: modern, Evidence: "start_shared.go (17.0.1)"},
		{Flag: FlagCertificateTTL, Avail: modern, Evidence: "start_shared.go (17.0.1)"},
		{Flag: FlagRenewalInterval, Avail: modern, Evidence: "start_shared.go (17.0.1)"},
		{Flag: FlagJoinMethod, Avail: modern, Evidence: "start_shared.go (17.0.1)"},
		{Flag: FlagOneshot, Avail: modern, Evidence: "start_shared.go (17.0.1)"},
		{Flag: FlagDiagAddr, Avail: modern, Evidence: "start_shared.go (17.0.1)"},
		{Flag: FlagStorage, Avail: modern, Evidence: "start_shared.go (17.0.1)"},
		{Flag: FlagPIDFile, Avail: modern, Evidence: "as in StartFlags"},
		{Flag: FlagScoped, Avail: From("19.0.0"), Evidence: "master #65351 (19.0.0)"},
		{Flag: FlagJoinURI, Avail: From("17.7.5", "18.1.0"), Evidence: "master #56267, v17 #58334 (17.7.5), v18 #56746 (18.1.0)"},
		{Flag: FlagRegSecret, Avail: From("17.7.5", "18.1.0"), Evidence: "master #55380, v17 #58334 (17.7.5), v18 #56746 (18.1.0)"},
		{Flag: FlagRegSecretPath, Avail: From("18.2.10"), Evidence: "master #59620, v18 #60031 (18.2.10); no v17 backport"},
		{Flag: FlagStaticKeyPath, Avail: From("18.2.10"), Evidence: "master #59620, v18 #60031 (18.2.10); no v17 backport"},
	}
}

// LegacyMode is the mode that plain `start` is.
const LegacyMode = "legacy"

// modes are `start`'s modes; types gives the type each adds, by name. It is
// a table, one entry per mode.
func modes(types map[string]*ServiceType) []*Mode {
	always, modern := From("12.1.0"), From("17.0.0")
	t := func(name string) *ServiceType {
		if types[name] == nil {
			panic("release: a mode adds a type the table does not have: " + name)
		}
		return types[name]
	}
	// use is a flag of a mode for as long as the mode has been there,
	// filling a key of its service (or nothing); required, one the mode
	// cannot run without.
	use := func(f *Flag, fills string) FlagUse { return FlagUse{Flag: f, Fills: fills, Avail: always} }
	required := func(f *Flag, fills string) FlagUse {
		u := use(f, fills)
		u.Required = true
		return u
	}
	// The flag groups the modes share; which are required, and since when,
	// is in docs/release-lines.md ("Not known exactly, and the side chosen").
	destination := []FlagUse{required(FlagDestination, "destination"), use(FlagReaderUser, ""), use(FlagReaderGroup, "")}
	selectorOne := []FlagUse{use(flagNameSelector, "selector.name"), use(flagLabelSelector, "selector.labels")}
	selectorList := []FlagUse{use(flagNameSelector, "selectors[].name"), use(flagLabelSelector, "selectors[].labels")}
	return []*Mode{{Name: LegacyMode, Avail: modern, Evidence: "CHANGELOG 17.0.1"},
		{Name: "noop", Aliases: []string{"no-op"}, Avail: From("18.7.0"),
			Evidence: "master #63624 (19.0.0), v18 #63666 (18.7.0); not on v17"},
		{Name: "identity", Aliases: []string{"ssh", "id"}, Adds: t("identity"), Avail: modern, Evidence: "17.0.1",
			Flags: flags(destination, []FlagUse{use(flagCluster, ""), use(flagAllowReissue, "")})},
		{Name: "database", Aliases: []string{"db"}, Adds: t("database"), Avail: modern, Evidence: "17.0.1",
			Flags: flags(destination, []FlagUse{required(flagService, "service"), required(flagUsername, ""),
				required(flagDatabase, ""), use(flagFormat, "format")})},
		{Name: "kubernetes", Aliases: []string{"k8s"}, Adds: t("kubernetes"), Avail: modern, Evidence: "17.0.1",
			Flags: flags(destination, []FlagUse{required(flagKubernetesCluster, "kubernetes_cluster"), use(flagDisableExecPlugin, "")})},
		{Name: "kubernetes/v2", Aliases: []string{"k8s/v2"}, Adds: t("kubernetes/v2"), Avail: From("17.2.7"), Evidence: "v17 #51535 (17.2.7)",
			Flags: flags(destination, selectorList, []FlagUse{use(flagDisableExecPlugin, "")})},
		{Name: "application", Aliases: []string{"app"}, Adds: t("application"), Avail: modern, Evidence: "17.0.1",
			Flags: flags(destination, []FlagUse{required(flagApp, "app_name"), use(flagSpecificTLS, "")})},
		{Name: "application-tunnel", Aliases: []string{"app-tunnel"}, Adds: t("application-tunnel"), Avail: modern, Evidence: "17.0.1",
			Flags: []FlagUse{required(FlagListen, "listen"), required(flagApp, "app_name")}},
		{Name: "application-proxy", Aliases: []string{"app-proxy"}, Adds: t("application-proxy"), Avail: From("17.7.7", "18.2.3"),
			Evidence: "master #59064, v17 #59588 (17.7.7), v18 #59587 (18.2.3)",
			Flags:    []FlagUse{required(FlagListen, "listen")}},
		{Name: "database-tunnel", Aliases: []string{"db-tunnel"}, Adds: t("database-tunnel"), Avail: modern, Evidence: "17.0.1",
			Flags: []FlagUse{required(FlagListen, "listen"), required(flagService, "service"), required(flagUsername, "username"),
				required(flagDatabase, "database")}},
		{Name: "ssh-multiplexer", Adds: t("ssh-multiplexer"), Avail: From("18.2.10"), Evidence: "v18 #60287 (18.2.10); not on v17",
			Flags: flags(destination, []FlagUse{use(flagEnableResumption, ""), use(flagProxyCommand, ""), use(flagProxyTemplates, "")})},
		{Name: "workload-identity-x509", Adds: t("workload-identity-x509"), Avail: From("17.2.7"),
			Evidence: "master #50812, v17 #51054 (hidden before 17.2.7, announced then)",
			Flags:    flags(destination, selectorOne, []FlagUse{use(flagFederatedBundles, "")})},
		{Name: "workload-identity-jwt", Adds: t("workload-identity-jwt"), Avail: From("17.2.7"), Evidence: "master #51027 (17.2.7)",
			Flags: flags(destination, selectorOne, []FlagUse{required(flagAudience, "audiences[]")})},
		{Name: "workload-identity-api", Adds: t("workload-identity-api"), Avail: From("17.2.7"), Evidence: "master #50859 (17.2.7)",
			Flags: flags([]FlagUse{required(FlagListen, "listen")}, selectorOne)},
		{Name: "workload-identity-aws-roles-anywhere", Adds: t("workload-identity-aws-roles-anywhere"), Avail: From("17.4.0"),
			Evidence: "master #52426; the type reached v17 with #53408 (17.4.0), the mode taken as the same patch",
			Flags: flags(destination, selectorOne, []FlagUse{required(flagRoleARN, "role_arn"), required(flagProfileARN, "profile_arn"),
				required(flagTrustAnchorARN, "trust_anchor_arn"), use(flagRegion, ""),
				use(flagSessionDuration, "session_duration"), use(flagSessionRenewal, "session_renewal_interval")})},
		{Name: "spiffe-svid", Adds: t("spiffe-svid"), Avail: modern.Until("19.0.0"), Evidence: "hidden; removed by #57541 (19.0.0)",
			Flags: flags(destination, []FlagUse{use(flagSVIDPath, "svid.path"), use(flagSVIDHint, ""), use(flagDNSSAN, ""),
				use(flagIPSAN, ""), use(flagFederatedBundles, "")})},
	}
}

func flags(groups ...[]FlagUse) []FlagUse {
	var out []FlagUse
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}
