package release

// The table: every fact that changes tbot's start event, with the releases
// that have it, branch by branch (rules.go, this file, and cli.go for the
// command line). docs/release-lines.md is generated from it
// (`go generate ./release`); each evidence string names the pull requests
// (master, then each [vNN] backport) and the sources the fact was read from.

// NewestBranch is the newest release branch the table knows. A version on
// it or a later one, or an unknown one, is judged open (Release.Open).
const NewestBranch = 19

var (
	// firstSends is the first release that sends the event; older
	// versions are judged by its rules.
	firstSends = Version{Major: 12, Minor: 1}
	// newestKnown is the version an unknown tbot is judged at: the newest
	// branch, past every patch the table names.
	newestKnown = Version{Major: NewestBranch, Minor: 999, Patch: 999}
)

// joinMethods are the join methods, each with the releases that accept it
// (one list checks the file's method and --join-method alike).
func joinMethods() []JoinMethod {
	always := From("12.1.0")
	return []JoinMethod{
		{Name: "token", Avail: always, Evidence: "#22658 (12.1.0)"},
		{Name: "iam", Avail: always, Evidence: "#22658 (12.1.0)"},
		{Name: "github", Avail: always, Evidence: "#22658 (12.1.0)"},
		{Name: "circleci", Avail: always, Evidence: "#22658 (12.1.0)"},
		{Name: "gitlab", Avail: From("12.1.3"), Evidence: "fe5bff329a (12.1.3)"},
		{Name: "azure", Avail: From("12.1.3"), Evidence: "f2b943f24d (12.1.3)"},
		{Name: "gcp", Avail: From("14.0.0"), Evidence: "5306331d17 (14.0.0)"},
		{Name: "kubernetes", Avail: From("15.0.0-0"),
			Evidence: "master 64f703a0f2 (observed on 15.0.0-dev); v14 #31702 at a patch not found"},
		{Name: "spacelift", Avail: From("15.0.0"),
			Evidence: "master #34292 (in 15.0.0; refused by 15.0.0-dev); v14 #34779 at a patch not found"},
		{Name: "tpm", Avail: From("15.3.0"),
			Evidence: "master #40647 (16.0.0), v15 #40820 (15.3.0, \"TPM joining\" headline; PR merged between 15.2.5 and 15.3.0)"},
		{Name: "terraform_cloud", Avail: From("16.4.0"), Evidence: "master #45574 (17.0.1), v16 #46049 (16.4.0); no v15 backport"},
		{Name: "bitbucket", Avail: From("16.4.9", "17.0.2"), Evidence: "master #48724 (18.0.0), v16 #49337 (16.4.9), v17 #49335 (17.0.2)"},
		{Name: "azure_devops", Avail: From("17.5.0"), Evidence: "master #54729 (18.0.0), v17 #54875 (17.5.0, re-released as 17.5.1)"},
		{Name: "bound_keypair", Avail: From("17.7.3", "18.0.0"),
			Evidence: "master #54371, #54372 (18.0.0), v17 #57961 (17.7.3; the server side #55037 was in 17.7.2)"},
		{Name: "oracle", Avail: From("17.7.7", "18.2.1"), Evidence: "master #58990 (19.0.0), v17 #59041 (17.7.7), v18 #59040 (18.2.1)"},
		{Name: "env0", Avail: From("18.4.0"), Evidence: "master #60386 (19.0.0), v18 #60710 (18.4.0); not backported to v17"},
		{Name: "generic_oidc", Avail: From("18.11.0"),
			Evidence: "master #67991 (19.0.0), v18 #68566 (18.11.0, as the docs PR #69216 dates it; no v18 CHANGELOG of it was found)"},
	}
}

// serviceTypes are every output and service type, with what each requires
// of an entry before tbot sends. It is a table, as long as the types and
// their checks are many.
func serviceTypes() []*ServiceType {
	always := From("12.1.0")
	// oneDecoder is where both lists came to take every type: outputs were
	// turned into services (master #43685: v15 #43883, v16 #43876). Before
	// it, `outputs:` took only the output types and `services:` only the
	// service types.
	oneDecoder := From("15.4.9", "16.1.0")
	var (
		typeIdentity          = &ServiceType{Name: "identity", Output: From("14.0.0"), Service: oneDecoder, Evidence: "#27152 (14.0.0)"}
		typeApplication       = &ServiceType{Name: "application", Counter: Application, Output: From("14.0.0"), Service: oneDecoder, Evidence: "#27152 (14.0.0)"}
		typeDatabase          = &ServiceType{Name: "database", Counter: Database, Output: From("14.0.0"), Service: oneDecoder, Evidence: "#27152 (14.0.0)"}
		typeKubernetes        = &ServiceType{Name: "kubernetes", Counter: Kubernetes, Output: From("14.0.0"), Service: oneDecoder, Evidence: "#27152 (14.0.0)"}
		typeSSHHost           = &ServiceType{Name: "ssh_host", Output: From("14.0.0"), Service: oneDecoder, Evidence: "#27152 (14.0.0)"}
		typeSPIFFESVID        = &ServiceType{Name: "spiffe-svid", Output: From("15.1.3").Until("19.0.0"), Service: oneDecoder.Until("19.0.0"), Evidence: "master #37772, v15 #39011 (15.1.3); removed by #57541 (19.0.0)"}
		typeExample           = &ServiceType{Name: "example", Output: oneDecoder, Service: From("15.0.0"), Evidence: "master #36140 (15.0.0; refused by 15.0.0-dev)"}
		typeDatabaseTunnel    = &ServiceType{Name: "database-tunnel", Output: oneDecoder, Service: From("15.2.1"), Evidence: "master #39880 (16.0.0), v15 #40151 (15.2.1)"}
		typeSPIFFEWorkloadAPI = &ServiceType{Name: "spiffe-workload-api", Output: oneDecoder.Until("19.0.0"), Service: From("15.1.3").Until("19.0.0"), Evidence: "v15 patch not found (present by 15.3.6; taken as 15.1.3, with spiffe-svid); removed by #57541 (19.0.0)"}
		typeSSHMultiplexer    = &ServiceType{Name: "ssh-multiplexer", Output: oneDecoder, Service: From("15.4.3", "16.0.0"), Evidence: "master #42592, v15 #42761 (15.4.3), v16 #42760 (16.0.0)"}
		typeApplicationTunnel = &ServiceType{Name: "application-tunnel", Output: From("15.4.10", "16.1.1"), Service: From("15.4.10", "16.1.1"), Evidence: "master #44087, v15 #44446 (15.4.10), v16 #44443 (16.1.1)"}
		typeKubernetesV2      = &ServiceType{Name: "kubernetes/v2", Output: From("17.2.7"), Service: From("17.2.7"), Evidence: "master #50898, v17 #51535 (17.2.7)"}
		typeWorkloadX509      = &ServiceType{Name: "workload-identity-x509", Output: From("16.4.13", "17.2.7"), Service: From("16.4.13", "17.2.7"), Evidence: "master #50812, v17 #51054 (17.2.7), v16 #51059 (merged 2025-01-15, after 16.4.12; taken as 16.4.13)"}
		typeWorkloadJWT       = &ServiceType{Name: "workload-identity-jwt", Output: From("16.4.13", "17.2.7"), Service: From("16.4.13", "17.2.7"), Evidence: "master #51027, v17 17.2.7, v16 #51167 (merged 2025-01-17, after 16.4.12; taken as 16.4.13)"}
		typeWorkloadAPI       = &ServiceType{Name: "workload-identity-api", Output: From("17.2.7"), Service: From("17.2.7"), Evidence: "master #50859, v17 17.2.7; no v16 backport found"}
		typeWorkloadAWS       = &ServiceType{Name: "workload-identity-aws-roles-anywhere", Output: From("17.4.0"), Service: From("17.4.0"), Evidence: "v17 #53408 (17.4.0)"}
		typeKubernetesArgoCD  = &ServiceType{Name: "kubernetes/argo-cd", Output: From("17.7.4", "18.1.7"), Service: From("17.7.4", "18.1.7"), Evidence: "v17 #58567 (17.7.4), v18 #58200 (18.1.7)"}
		typeApplicationProxy  = &ServiceType{Name: "application-proxy", Output: From("17.7.7", "18.2.3"), Service: From("17.7.7", "18.2.3"), Evidence: "master #59064, v17 #59588 (17.7.7), v18 #59587 (18.2.3)"}
		typeIdentityKeyAgent  = &ServiceType{Name: "identity/key-agent", Output: From("18.8.3"), Service: From("18.8.3"), Evidence: "master #66535, v18 #66701 (18.8.3)"}
		typeBeamsVNet         = &ServiceType{Name: "beams/vnet", Output: From("19.0.0"), Service: From("19.0.0"), Evidence: "master #66073 (19.0.0); a v18 backport (#67056) not confirmed"}
	)

	// Requirements that several types share.
	var (
		needsDestination = Requirement{Kind: NeedsValue, Fields: []string{"destination"}, Avail: always,
			Evidence: "\"no destination configured for output\"; observed on 15.0.0-dev"}
		needsSelector = Requirement{Kind: NeedsSelector, Fields: []string{"selector", "workload_identity"}, Avail: always,
			Evidence: "\"one of ['name', 'labels'] must be set\" (the key was `workload_identity:` in the first versions)"}
		needsListen = []Requirement{
			{Kind: NeedsString, Fields: []string{"listen"}, Avail: always, Evidence: "\"listen: should not be empty\""},
			{Kind: NeedsURL, Fields: []string{"listen"}, Avail: always, Evidence: "listen is parsed as a URL"},
		}
		// refusesRoles is #69181 (19.0.0), on the types that had a `roles`
		// field (a list, decoded before any check); on the others `roles:` is
		// an unknown key, ignored. The PR's list was read for
		// application-tunnel; kubernetes/v2 is taken to have had roles as the
		// kubernetes output it replaces did.
		refusesRoles = []Requirement{
			{Kind: NeedsListWhenSet, Fields: []string{"roles"}, Avail: always, Evidence: "roles is a list of role names"},
			{Kind: RefusesField, Fields: []string{"roles"}, Avail: From("19.0.0"), Evidence: "master #69181 (19.0.0); v19 upgrade guide"},
		}
		// lifetime is an entry's own credential_ttl and renewal_interval
		// (#51956, v17 #52185 in 17.2.8), refused rather than warned about in
		// the sources from 17.4 on (the 17.2.8 review only warned); the longest
		// TTL grew from 24h to 7 days with #53893 (v17 #54063, 17.4.5).
		lifetime = []Requirement{
			{Kind: NeedsLifetime, Values: []string{"24h"}, Avail: From("17.4.0").Until("17.4.5"), Evidence: "CredentialLifetime.Validate (17.4.0-17.4.4)"},
			{Kind: NeedsLifetime, Values: []string{"168h"}, Avail: From("17.4.5", "18.0.0"), Evidence: "CredentialLifetime.Validate; #53893, v17 #54063 (17.4.5)"},
		}
	)

	str := func(fields ...string) Requirement {
		return Requirement{Kind: NeedsString, Fields: fields, Avail: always, Evidence: "\"should not be empty\""}
	}
	return []*ServiceType{
		withRequirements(typeIdentity, reqs(refusesRoles, needsDestination, lifetime)),
		withRequirements(typeApplication, reqs(refusesRoles, needsDestination, str("app_name"), lifetime)),
		withRequirements(typeDatabase, reqs(refusesRoles, needsDestination, str("service"),
			Requirement{Kind: NeedsOneOfValues, Fields: []string{"format"}, Values: []string{"tls", "mongo", "cockroach"}, Avail: always, Evidence: "database output formats"},
			lifetime)),
		withRequirements(typeKubernetes, reqs(refusesRoles, needsDestination, str("kubernetes_cluster"), lifetime)),
		withRequirements(typeSSHHost, reqs(refusesRoles, needsDestination,
			Requirement{Kind: NeedsList, Fields: []string{"principals"}, Avail: always, Evidence: "ssh_host output"},
			lifetime)),
		withRequirements(typeSPIFFESVID, reqs(needsDestination,
			Requirement{Kind: NeedsAbsolutePath, Fields: []string{"svid.path"}, Avail: always, Evidence: "svid.path must start with /"},
			Requirement{Kind: NeedsIPs, Fields: []string{"svid.sans.ip"}, Avail: always, Evidence: "svid.sans.ip must be IP addresses"})),
		typeExample,
		withRequirements(typeDatabaseTunnel, reqs(refusesRoles, needsListen, str("service", "database", "username"), lifetime)),
		typeSPIFFEWorkloadAPI,
		withRequirements(typeSSHMultiplexer, reqs(needsDestination,
			Requirement{Kind: NeedsDirectory, Avail: always, Evidence: "\"destination: must be of type `directory`\""})),
		withRequirements(typeApplicationTunnel, reqs(refusesRoles, needsListen, str("app_name"), lifetime)),
		withRequirements(typeKubernetesV2, reqs(refusesRoles, needsDestination,
			Requirement{Kind: NeedsSelectors, Fields: []string{"selectors"}, Avail: always, Evidence: "\"at least one selector must be provided\""},
			lifetime)),
		withRequirements(typeWorkloadX509, reqs(needsDestination, needsSelector)),
		withRequirements(typeWorkloadJWT, reqs(needsDestination, needsSelector,
			Requirement{Kind: NeedsList, Fields: []string{"audiences"}, Avail: always, Evidence: "\"audiences: must have at least one value\""})),
		withRequirements(typeWorkloadAPI, reqs(str("listen"), needsSelector)),
		withRequirements(typeWorkloadAWS, reqs(needsDestination, needsSelector,
			Requirement{Kind: NeedsARN, Fields: []string{"role_arn"}, Avail: always, Evidence: "ARNs are parsed"},
			Requirement{Kind: NeedsARN, Fields: []string{"profile_arn"}, Avail: always, Evidence: "ARNs are parsed"},
			Requirement{Kind: NeedsARN, Fields: []string{"trust_anchor_arn"}, Avail: always, Evidence: "ARNs are parsed"},
			Requirement{Kind: NeedsAWSSession, Fields: []string{"session_duration", "session_renewal_interval"}, Avail: always, Evidence: "session_duration at most 12h, renewal shorter"})),
		withRequirements(typeKubernetesArgoCD, reqs(
			Requirement{Kind: NeedsSelectors, Fields: []string{"selectors"}, Avail: always, Evidence: "\"at least one selector is required\""})),
		withRequirements(typeApplicationProxy, reqs(needsListen)),
		withRequirements(typeIdentityKeyAgent, reqs(refusesRoles, needsDestination,
			Requirement{Kind: NeedsDirectory, Avail: always, Evidence: "destination must be a directory"},
			Requirement{Kind: NeedsAtMostOne, Fields: []string{"roles", "delegation_session_id"}, Avail: always, Evidence: "roles and delegation_session_id are exclusive"},
			lifetime)),
		withRequirements(typeBeamsVNet, reqs(str("delegation_session_id"),
			Requirement{Kind: NeedsHostPorts, Fields: []string{"upstream_nameservers"}, Avail: always, Evidence: "upstream_nameservers are ip:port"})),
	}
}

func reqs(groups ...any) []Requirement {
	var out []Requirement
	for _, g := range groups {
		switch g := g.(type) {
		case Requirement:
			out = append(out, g)
		case []Requirement:
			out = append(out, g...)
		}
	}
	return out
}

func withRequirements(t *ServiceType, reqs []Requirement) *ServiceType {
	t.Requires = reqs
	return t
}

// keys are the keys of a file that a strict release knows (StrictV1,
// StrictV2); a lenient release reads them too, but refuses no other.
func keys() []Key {
	always := From("12.1.0")
	return concatKeys(
		keysAt(V1Top, always, "#22658 (12.1.0)", "onboarding", "storage", "destinations", "debug", "auth_server",
			"certificate_ttl", "renewal_interval", "oneshot"),
		keysAt(V1Top, From("12.1.4"), "9154ccab8c (12.1.4)", "fips"),
		keysAt(V1Top, From("12.4.0", "13.0.1"), "b3ec3024ca (12.4.0), 2f8fbac403 (13.0.1)", "diag_addr"),
		keysAt(V2Top, From("14.0.0"), "#27152 (14.0.0)", "version", "onboarding", "storage", "outputs", "debug",
			"auth_server", "certificate_ttl", "renewal_interval", "oneshot", "fips", "diag_addr"),
		keysAt(V2Top, From("15.0.0-0"), "c7cc451667 (15.0.0-dev)", "insecure"),
		keysAt(V2Top, From("15.0.0"), "master #36140 (15.0.0; refused by 15.0.0-dev)", "services"),
		keysAt(V2Top, From("14.3.7", "15.1.3"), "master #38727 (16.0.0), v15 #39055 (15.1.3), v14 #39056 (14.3.7)", "proxy_server"),
		keysAt(V2Top, From("17.2.8"), "master #51956 (18.0.0), v17 #52185 (17.2.8)", "credential_ttl"),
		keysAt(V2Top, From("17.7.5", "18.1.0"), "master #56267, v17 #58334 (17.7.5), v18 #56746 (18.1.0)", "join_uri"),
		keysAt(V2Top, From("19.0.0"), "master (19.0.0)", "leeway", "scoped"),
		keysAt(Onboarding, always, "#22658 (12.1.0)", "token", "ca_path", "ca_pins", "join_method"),
		keysAt(Onboarding, From("12.1.3"), "f2b943f24d (12.1.3)", "azure"),
		keysAt(Onboarding, From("16.4.0"), "with terraform_cloud: master #45574, v16 #46049 (16.4.0)", "terraform"),
		keysAt(Onboarding, From("17.4.6", "18.0.0"), "master #54104 (18.0.0), v17 #54187 (17.4.6); never on v16", "gitlab"),
		keysAt(Onboarding, From("17.7.3", "18.0.0"), "with bound_keypair (17.7.3, 18.0.0)", "bound_keypair"),
		keysAt(V1Storage, always, "#22658 (12.1.0)", "directory", "memory"),
		keysAt(V1Destination, always, "#22658 (12.1.0)", "directory", "memory", "roles", "configs", "database",
			"kubernetes_cluster", "app"),
		keysAt(V1Destination, From("12.2.3"), "ad7871d19b (12.2.3)", "cluster"),
		keysAt(V1Database, always, "#22658 (12.1.0)", "service", "database", "username"),
	)
}

func keysAt(place KeyPlace, avail Avail, evidence string, names ...string) []Key {
	out := make([]Key, len(names))
	for i, n := range names {
		out[i] = Key{Place: place, Name: n, Avail: avail, Evidence: evidence}
	}
	return out
}

func concatKeys(lists ...[]Key) []Key {
	var out []Key
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}
