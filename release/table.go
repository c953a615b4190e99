package release

import "slices"

// Lines is the table, oldest first; each row holds from its Since to the
// next row's. docs/release-lines.md gives the evidence for every field.
// Each row is written as the changes from the row before it, so that a
// difference between two releases is stated once.
var Lines = buildLines()

// Join methods, in the order tbot's lists grew.
var (
	joinMethods12_1 = []string{"token", "iam", "github", "circleci"}
	joinMethods12_3 = []string{"token", "iam", "github", "circleci", "gitlab", "azure"}
	joinMethods14   = append(slices.Clone(joinMethods12_3), "gcp")
	joinMethods16   = append(slices.Clone(joinMethods14), "kubernetes", "spacelift", "tpm")
)

func buildLines() []*Line {
	var lines []*Line
	add := func(name, since string, change func(*Line)) {
		v, ok := ParseVersion(since)
		if !ok {
			panic("release: bad version in table: " + since)
		}
		l := &Line{}
		if n := len(lines); n > 0 {
			l = lines[n-1].clone()
		}
		l.Name, l.Since = name, v
		change(l)
		lines = append(lines, l)
	}

	// 12.1: the first tbot that sends. v1 files only, decoded strictly;
	// `start` has one flag set; the file's join method goes out unchecked;
	// no join method is reported as token; v1 destinations are counted.
	add("12.1", "12.1.0", func(l *Line) {
		l.GlobalFlags = []string{"debug", "config"}
		l.StartFlags = []string{"auth-server", "token", "ca-pin", "data-dir", "destination-dir",
			"certificate-ttl", "renewal-interval", "join-method", "oneshot"}
		l.JoinMethodFlagDefault, l.JoinMethodFlagIsEnum = "token", true
		l.ReadsV1, l.StrictV1 = true, true
		l.V1Keys = []string{"onboarding", "storage", "destinations", "debug", "auth_server",
			"certificate_ttl", "renewal_interval", "oneshot"}
		l.OnboardingKeys = []string{"token", "ca_path", "ca_pins", "join_method"}
		l.DestinationKeys = []string{"directory", "memory", "roles", "configs", "database", "kubernetes_cluster", "app"}
		l.JoinMethods = joinMethods12_1
		l.DestinationDir = ReplacesDestinations
		l.DefaultJoinType = "token"
		l.Counts = CountsDestinations
	})
	add("12.1.3", "12.1.3", func(l *Line) {
		l.ChecksDataDirURI = true
		l.JoinMethods = joinMethods12_3
		l.OnboardingKeys = append(l.OnboardingKeys, "azure")
	})
	add("12.1.4", "12.1.4", func(l *Line) {
		l.GlobalFlags = append(l.GlobalFlags, "fips")
		l.V1Keys = append(l.V1Keys, "fips")
	})
	add("12.2.3", "12.2.3", func(l *Line) {
		l.DestinationKeys = append(l.DestinationKeys, "cluster")
	})
	add("12.4", "12.4.0", func(l *Line) {
		l.StartFlags = append(l.StartFlags, "diag-addr")
		l.V1Keys = append(l.V1Keys, "diag_addr")
	})
	// 13.0.0 was branched before diag_addr reached 12.4; 13.0.1 has it.
	add("13.0.0", "13.0.0", func(l *Line) {
		l.StartFlags = without(l.StartFlags, "diag-addr")
		l.V1Keys = without(l.V1Keys, "diag_addr")
	})
	add("13", "13.0.1", func(l *Line) {
		l.StartFlags = append(l.StartFlags, "diag-addr")
		l.V1Keys = append(l.V1Keys, "diag_addr")
	})
	// 14: v2 files with outputs (strict at the top); v1 files migrated in
	// memory, leniently; join methods checked; no default join type;
	// outputs counted; --join-method has no default any more.
	add("14", "14.0.0", func(l *Line) {
		l.StartFlags = append(l.StartFlags, "log-format")
		l.JoinMethodFlagDefault = ""
		l.ReadsVersionKey, l.ReadsV2, l.MigratesV1, l.StrictV1, l.StrictV2 = true, true, true, false, true
		l.V2Keys = []string{"version", "onboarding", "storage", "outputs", "debug", "auth_server",
			"certificate_ttl", "renewal_interval", "oneshot", "fips", "diag_addr"}
		l.OutputTypes = []string{"identity", "application", "database", "kubernetes", "ssh_host"}
		l.JoinMethods = joinMethods14
		l.ChecksJoinMethod = true
		l.DestinationDir = ReplacesOutputs
		l.DefaultJoinType = ""
		l.Counts = CountsOutputs
	})
	// Master of 2023-11 (recorded as 15.0.0-dev; 14.0.1+ got the same by
	// backports): --insecure and its key, ca_pins with ca_path refused, the
	// kubernetes join method.
	add("15.0.0-dev", "15.0.0-0", func(l *Line) {
		l.StartFlags = append(l.StartFlags, "insecure")
		l.V2Keys = append(l.V2Keys, "insecure")
		l.ChecksCAPinsAndPath = true
		l.JoinMethods = append(slices.Clone(l.JoinMethods), "kubernetes")
	})
	// 15: `services:` (not counted), spiffe-svid outputs.
	add("15", "15.0.0", func(l *Line) {
		l.V2Keys = append(l.V2Keys, "services")
		l.OutputTypes = append(l.OutputTypes, "spiffe-svid")
		l.ServiceTypes = []string{"example", "database-tunnel"}
	})
	// 15.1: proxy_server and --proxy-server, spiffe-workload-api.
	add("15.1", "15.1.0", func(l *Line) {
		l.StartFlags = append(l.StartFlags, "proxy-server")
		l.V2Keys = append(l.V2Keys, "proxy_server")
		l.ServiceTypes = append(l.ServiceTypes, "spiffe-workload-api")
	})
	// 16: spacelift and tpm; ssh-multiplexer.
	add("16", "16.0.0", func(l *Line) {
		l.OnboardingKeys = append(l.OnboardingKeys, "gitlab")
		l.ServiceTypes = append(l.ServiceTypes, "ssh-multiplexer")
		l.JoinMethods = joinMethods16
	})
	// 16.1: outputs become services, one decoder for both lists, and the
	// event counts services (outputs appended after them).
	add("16.1", "16.1.0", func(l *Line) {
		all := union(union(l.OutputTypes, l.ServiceTypes), []string{"application-tunnel"})
		l.OutputTypes, l.ServiceTypes = all, all
		l.Counts = CountsServices
	})
	add("16.4", "16.4.0", func(l *Line) {
		l.JoinMethods = append(slices.Clone(l.JoinMethods), "terraform_cloud")
	})
	// 17: `start <mode>`; --destination-dir replaces services and keeps
	// outputs; bitbucket.
	add("17", "17.0.0", func(l *Line) {
		l.Modes = []string{"legacy", "identity", "database", "kubernetes", "application",
			"application-tunnel", "database-tunnel", "spiffe-svid"}
		l.GlobalFlags = append(l.GlobalFlags, "insecure", "log-format")
		l.JoinMethods = append(slices.Clone(l.JoinMethods), "bitbucket")
		l.DestinationDir = ReplacesServicesKeepsOutputs
		l.ChecksInsecureFlag = true
	})
	add("17.2.7", "17.2.7", func(l *Line) {
		l.Modes = append(l.Modes, "kubernetes/v2", "workload-identity-x509", "workload-identity-api", "workload-identity-jwt")
		l.OutputTypes = append(l.OutputTypes, "kubernetes/v2", "workload-identity-x509", "workload-identity-api", "workload-identity-jwt")
		l.ServiceTypes = l.OutputTypes
	})
	// 17.2.8: unknown keys are passed over everywhere.
	add("17.2.8", "17.2.8", func(l *Line) {
		l.StrictV2 = false
	})
	// 17.2.9: TBOT_CONFIG_PATH, TBOT_DEBUG and TBOT_CONFIG (--config-string).
	add("17.2.9", "17.2.9", func(l *Line) {
		l.GlobalFlags = append(l.GlobalFlags, "config-string")
		l.ReadsConfigEnv = true
	})
	add("17.5", "17.5.0", func(l *Line) {
		l.Modes = append(l.Modes, "workload-identity-aws-roles-anywhere")
		l.OutputTypes = append(l.OutputTypes, "workload-identity-aws-roles-anywhere")
		l.ServiceTypes = l.OutputTypes
		l.JoinMethods = append(slices.Clone(l.JoinMethods), "azure_devops")
	})
	// 18: bound_keypair; later 18.x: join_uri (applied only once the event
	// is on its way), argo-cd, application-proxy, more join methods.
	add("18", "18.0.0", func(l *Line) {
		l.JoinMethods = append(slices.Clone(l.JoinMethods), "bound_keypair")
	})
	add("18.1", "18.1.0", func(l *Line) {
		l.V2Keys = append(l.V2Keys, "join_uri")
		l.JoinURIAfterSend = true
		l.Modes = append(l.Modes, "noop", "application-proxy", "ssh-multiplexer")
		l.OutputTypes = append(l.OutputTypes, "application-proxy", "kubernetes/argo-cd")
		l.ServiceTypes = l.OutputTypes
		l.JoinMethods = append(slices.Clone(l.JoinMethods), "oracle", "env0", "generic_oidc")
	})
	// 19, the newest: v1 files refused; --no-oneshot wins over the file;
	// spiffe-svid and spiffe-workload-api gone; identity/key-agent; roles
	// on an output or service refused.
	add("19", "19.0.0", func(l *Line) {
		l.ReadsV1, l.MigratesV1 = false, false
		l.RefusesRoles = true
		l.NoOneshotWins = true
		l.Modes = without(l.Modes, "spiffe-svid")
		l.OutputTypes = append(without(l.OutputTypes, "spiffe-svid", "spiffe-workload-api"), "identity/key-agent", "beams/vnet")
		l.ServiceTypes = l.OutputTypes
		l.V2Keys = append(l.V2Keys, "credential_ttl", "leeway", "scoped")
	})
	return lines
}

func (l *Line) clone() *Line {
	c := *l
	for _, s := range []*[]string{&c.GlobalFlags, &c.StartFlags, &c.Modes, &c.V1Keys, &c.V2Keys,
		&c.OnboardingKeys, &c.DestinationKeys, &c.OutputTypes, &c.ServiceTypes, &c.JoinMethods} {
		*s = slices.Clone(*s)
	}
	return &c
}

func union(a, b []string) []string {
	out := slices.Clone(a)
	for _, s := range b {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func without(list []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(list), func(s string) bool { return slices.Contains(drop, s) })
}

// Release is the line a tbot version falls in, and whether that tbot may
// know more than the table does.
type Release struct {
	*Line
	// Open is true where the tbot may be newer than the table: its version
	// is unknown, or falls in the newest line. Flags, modes, keys and types
	// the table does not know are then passed over rather than refused,
	// and a join method must be one that some line accepts.
	Open bool
}

// For returns the release for a tbot version as `tbot version` or
// --tbot-version gives it: unknown or unparsable is the newest line, open;
// older than the first line is the first line.
func For(version string) Release {
	v, ok := ParseVersion(version)
	newest := Lines[len(Lines)-1]
	if !ok {
		return Release{Line: newest, Open: true}
	}
	for i := len(Lines) - 1; i >= 0; i-- {
		if !v.Less(Lines[i].Since) {
			return Release{Line: Lines[i], Open: Lines[i] == newest}
		}
	}
	return Release{Line: Lines[0]}
}

// Knows reports whether list holds s; a shorthand for the table's lists.
func Knows(list []string, s string) bool { return slices.Contains(list, s) }

// AnyLineAccepts reports whether some line accepts the join method: the
// rule for a tbot newer than the table.
func AnyLineAccepts(joinMethod string) bool {
	for _, l := range Lines {
		if slices.Contains(l.JoinMethods, joinMethod) {
			return true
		}
	}
	return false
}
