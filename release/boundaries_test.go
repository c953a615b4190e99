package release

import (
	"strings"
	"testing"
)

// boundary is one place where a fact changes on a release branch, written
// here from the pull requests and CHANGELOGs (docs/release-lines.md), not
// read from the table: on the branch of at, the fact holds from at on (or,
// gone, stops holding at at), and the version before says otherwise.
type boundary struct {
	fact string
	// at is the first version with the change: the backport's own patch,
	// or the first release of a branch that got it from master.
	at string
	// before is a version without the change, the patch just before at
	// where at is a patch of its branch; "" where nothing earlier fits.
	before string
	// gone: the fact stops at at (an Until of the table).
	gone bool
	pr   string
}

func from(fact, at, before, pr string) boundary {
	return boundary{fact: fact, at: at, before: before, pr: pr}
}

func until(fact, at, before, pr string) boundary {
	return boundary{fact: fact, at: at, before: before, gone: true, pr: pr}
}

// each is one boundary per fact, for the facts that changed together.
func each(at, before, pr string, facts ...string) []boundary {
	out := make([]boundary, len(facts))
	for i, f := range facts {
		out[i] = from(f, at, before, pr)
	}
	return out
}

func boundaries() []boundary {
	var bs []boundary
	add := func(more ...boundary) { bs = append(bs, more...) }
	// 12.x and 13.x: tags of the v12 and v13 lines (docs/release-lines.md).
	add(each("12.1.3", "12.1.2", "fe5bff329a, f2b943f24d, 2f181a8d20",
		"join:gitlab", "join:azure", "key:onboarding:azure", "rule:--data-dir is a URI")...)
	add(each("12.1.4", "12.1.3", "9154ccab8c", "global:fips", "key:v1:fips")...)
	add(from("key:destination:cluster", "12.2.3", "12.2.2", "ad7871d19b"))
	add(each("12.4.0", "12.3.5", "b3ec3024ca", "start:diag-addr", "key:v1:diag_addr")...)
	add(each("13.0.1", "13.0.0", "2f8fbac403", "start:diag-addr", "key:v1:diag_addr")...)
	// 14.0.0: the v2 format and what came with it.
	add(each("14.0.0", "13.1.3", "#27152, #27468, #24267, 9268e97d01, 5306331d17",
		"join:gcp", "start:log-format", "rule:reads `version:`", "rule:reads v2 files", "rule:migrates v1",
		"rule:checks the join method", "rule:strict v2",
		"output:identity", "output:application", "output:database", "output:kubernetes", "output:ssh_host",
		"key:v2:version", "key:v2:onboarding", "key:v2:storage", "key:v2:outputs", "key:v2:debug", "key:v2:auth_server",
		"key:v2:certificate_ttl", "key:v2:renewal_interval", "key:v2:oneshot", "key:v2:fips", "key:v2:diag_addr")...)
	add(until("rule:strict v1", "14.0.0", "13.1.3", "v2 format"),
		until("rule:--join-method defaults to token", "14.0.0", "13.1.3", "#24267"),
		until("rule:join_type `token` when none", "14.0.0", "13.1.3", "#24267"))
	add(each("14.3.7", "14.3.6", "v14 #39056", "key:v2:proxy_server", "start:proxy-server")...)
	// v15.
	add(each("15.0.0-0", "14.0.0", "c7cc451667, 64f703a0f2 (master before v15)",
		"join:kubernetes", "key:v2:insecure", "start:insecure", "rule:checks the CA options")...)
	add(each("15.0.0", "15.0.0-dev", "#34292, #36140 (master after 2023-11-16)",
		"join:spacelift", "key:v2:services", "service:example")...)
	add(each("15.0.0", "14.3.9", "#35833", "global:trace", "global:trace-exporter", "global:mem-profile",
		"global:cpu-profile", "global:trace-profile", "rule:--trace needs --trace-exporter")...)
	add(each("15.1.3", "15.1.2", "v15 #39011, #39055", "output:spiffe-svid", "service:spiffe-workload-api",
		"key:v2:proxy_server", "start:proxy-server")...)
	add(from("service:database-tunnel", "15.2.1", "15.2.0", "v15 #40151"))
	add(from("join:tpm", "15.3.0", "15.2.5", "v15 #40820"))
	add(from("service:ssh-multiplexer", "15.4.3", "15.4.2", "v15 #42761"))
	add(each("15.4.9", "15.4.8", "v15 #43883", "rule:counts services",
		"service:identity", "service:application", "service:database", "service:kubernetes", "service:ssh_host",
		"service:spiffe-svid", "output:database-tunnel", "output:example", "output:spiffe-workload-api",
		"output:ssh-multiplexer")...)
	add(each("15.4.10", "15.4.9", "v15 #44446", "output:application-tunnel", "service:application-tunnel")...)
	add(from("rule:kubernetes-secret storage", "15.4.12", "15.4.11", "v15 #44804"))
	// v16.
	add(from("service:ssh-multiplexer", "16.0.0", "", "v16 #42760"))
	add(each("16.1.0", "16.0.4", "v16 #43876", "rule:counts services",
		"service:identity", "service:application", "service:database", "service:kubernetes", "service:ssh_host",
		"service:spiffe-svid", "output:database-tunnel", "output:example", "output:spiffe-workload-api",
		"output:ssh-multiplexer")...)
	add(each("16.1.1", "16.1.0", "v16 #44443, #44801", "output:application-tunnel", "service:application-tunnel",
		"rule:kubernetes-secret storage")...)
	add(each("16.4.0", "16.3.0", "v16 #46049", "join:terraform_cloud", "key:onboarding:terraform")...)
	add(from("join:bitbucket", "16.4.9", "16.4.8", "v16 #49337"))
	add(each("16.4.13", "16.4.12", "v16 #51059, #51167", "output:workload-identity-x509", "service:workload-identity-x509",
		"output:workload-identity-jwt", "service:workload-identity-jwt")...)
	// v17 (the first release is 17.0.1).
	add(each("17.0.0", "16.4.13", "lib/tbot/cli (17.0.1)", "global:insecure", "global:log-format",
		"mode:legacy", "mode:identity", "mode:database", "mode:kubernetes", "mode:application", "mode:application-tunnel",
		"mode:database-tunnel", "mode:spiffe-svid", "start:pid-file", "rule:--destination-dir keeps outputs",
		"rule:--insecure in the CA check", "rule:`start <mode>`",
		"modeflag:auth-server", "modeflag:proxy-server", "modeflag:token", "modeflag:ca-pin", "modeflag:certificate-ttl",
		"modeflag:renewal-interval", "modeflag:join-method", "modeflag:oneshot", "modeflag:diag-addr", "modeflag:storage",
		"modeflag:pid-file")...)
	add(until("start:insecure", "17.0.0", "16.4.13", "global from 17.0.1"),
		until("start:log-format", "17.0.0", "16.4.13", "global from 17.0.1"))
	add(from("join:bitbucket", "17.0.2", "17.0.1", "v17 #49335"))
	add(each("17.2.7", "17.2.1", "v17 #51535, #51054", "output:kubernetes/v2", "service:kubernetes/v2", "mode:kubernetes/v2",
		"output:workload-identity-x509", "service:workload-identity-x509", "mode:workload-identity-x509",
		"output:workload-identity-jwt", "service:workload-identity-jwt", "mode:workload-identity-jwt",
		"output:workload-identity-api", "service:workload-identity-api", "mode:workload-identity-api")...)
	add(until("rule:strict v2", "17.2.8", "17.2.7", "v17 #52185"),
		from("key:v2:credential_ttl", "17.2.8", "17.2.7", "v17 #52185"))
	add(from("global:config-string", "17.2.9", "17.2.8", "v17 #52351"))
	add(each("17.4.0", "17.3.0", "v17 #53408", "output:workload-identity-aws-roles-anywhere",
		"service:workload-identity-aws-roles-anywhere", "mode:workload-identity-aws-roles-anywhere")...)
	add(from("key:onboarding:gitlab", "17.4.6", "17.4.5", "v17 #54187"))
	add(from("join:azure_devops", "17.5.0", "17.4.6", "v17 #54875"))
	add(from("rule:--no-oneshot wins", "17.5.1", "17.5.0", "v17 #54651"))
	add(from("rule:unique entry names", "17.5.4", "17.5.3", "v17 #56306"))
	add(each("17.7.3", "17.7.2", "v17 #57961", "join:bound_keypair", "key:onboarding:bound_keypair")...)
	add(each("17.7.4", "17.7.3", "v17 #58567", "output:kubernetes/argo-cd", "service:kubernetes/argo-cd")...)
	add(each("17.7.5", "17.7.4", "v17 #58334", "key:v2:join_uri", "modeflag:join-uri", "modeflag:registration-secret")...)
	add(each("17.7.7", "17.7.6", "v17 #59041, #59588", "join:oracle", "output:application-proxy",
		"service:application-proxy", "mode:application-proxy")...)
	// v18.
	add(each("18.0.0", "", "master before v18 was cut", "global:config-string", "join:bound_keypair",
		"key:onboarding:gitlab", "key:onboarding:bound_keypair", "rule:--no-oneshot wins", "rule:unique entry names")...)
	add(each("18.1.0", "18.0.2", "v18 #56746", "key:v2:join_uri", "modeflag:join-uri", "modeflag:registration-secret")...)
	add(each("18.1.7", "18.1.6", "v18 #58200", "output:kubernetes/argo-cd", "service:kubernetes/argo-cd")...)
	add(from("join:oracle", "18.2.1", "18.2.0", "v18 #59040"))
	add(each("18.2.3", "18.2.2", "v18 #59587", "output:application-proxy", "service:application-proxy", "mode:application-proxy")...)
	add(each("18.2.10", "18.2.9", "v18 #60031, #60287", "mode:ssh-multiplexer", "modeflag:registration-secret-path",
		"modeflag:static-key-path")...)
	add(from("join:env0", "18.4.0", "18.3.2", "v18 #60710"))
	add(from("mode:noop", "18.7.0", "18.6.6", "v18 #63666"))
	add(each("18.8.3", "18.8.2", "v18 #66701", "output:identity/key-agent", "service:identity/key-agent")...)
	add(from("join:generic_oidc", "18.11.0", "18.10.0", "v18 #68566"))
	// v19.
	add(each("19.0.0", "18.11.0", "master (v19)", "output:beams/vnet", "service:beams/vnet", "key:v2:leeway",
		"key:v2:scoped", "start:scoped", "modeflag:scoped")...)
	add(until("output:spiffe-svid", "19.0.0", "18.11.0", "#57541"), until("service:spiffe-svid", "19.0.0", "18.11.0", "#57541"),
		until("output:spiffe-workload-api", "19.0.0", "18.11.0", "#57541"),
		until("service:spiffe-workload-api", "19.0.0", "18.11.0", "#57541"),
		until("mode:spiffe-svid", "19.0.0", "18.11.0", "#57541"))
	return bs
}

// Each boundary holds: the backport's own patch has the change, the patch
// before it does not. A boundary moved by one patch, a dropped name or a
// flipped rule fails here.
func TestBoundaries(t *testing.T) {
	for _, b := range boundaries() {
		if got := has(t, b.fact, b.at); got == b.gone {
			t.Errorf("%s at %s (%s): got %v, want %v", b.fact, b.at, b.pr, got, !b.gone)
		}
		if b.before != "" {
			if got := has(t, b.fact, b.before); got != b.gone {
				t.Errorf("%s at %s, just before %s (%s): got %v, want %v", b.fact, b.before, b.at, b.pr, got, b.gone)
			}
		}
	}
}

// Every version the table names after 12.1.0 has its boundary above, so
// that no fact of the table goes untested; and the boundary above names a
// version the table has, so that neither drifts from the other.
func TestEveryBoundaryIsTested(t *testing.T) {
	tested := map[string]bool{}
	for _, b := range boundaries() {
		tested[boundaryKey(b.fact, b.at, b.gone)] = true
		atBranchStart := strings.HasSuffix(b.at, ".0.0") || strings.HasSuffix(b.at, ".0.0-0")
		if b.before == "" && !atBranchStart {
			t.Errorf("%s at %s: a patch boundary needs the version before it", b.fact, b.at)
		}
	}
	inTable := map[string]bool{}
	for _, e := range tableEntries() {
		key := boundaryKey(e.fact, e.version.String(), e.gone)
		inTable[key] = true
		if e.version.String() != "12.1.0" && !tested[key] {
			t.Errorf("%s: the table's boundary at %s (gone %v) has no test", e.fact, e.version, e.gone)
		}
	}
	for key := range tested {
		if !inTable[key] {
			t.Errorf("%s: tested, but the table has no such boundary", key)
		}
	}
}

func boundaryKey(fact, version string, gone bool) string {
	if gone {
		return fact + " until " + version
	}
	return fact + " from " + version
}

type tableEntry struct {
	fact    string
	version Version
	gone    bool
}

// tableEntries lists every version the table names, by the fact ids that
// has reads.
func tableEntries() []tableEntry {
	var out []tableEntry
	add := func(fact string, a Avail) {
		for _, v := range a.Firsts() {
			out = append(out, tableEntry{fact, v, false})
		}
		for _, v := range a.Lasts() {
			out = append(out, tableEntry{fact, v, true})
		}
	}
	for _, m := range Facts().JoinMethods {
		add("join:"+m.Name, m.Avail)
	}
	for _, s := range Facts().ServiceTypes {
		add("output:"+s.Name, s.Output)
		add("service:"+s.Name, s.Service)
	}
	for _, k := range Facts().Keys {
		add(factID("key", k.Place, k.Name), k.Avail)
	}
	for kind, list := range map[string][]FlagUse{"global": Facts().GlobalFlags, "start": Facts().StartFlags, "modeflag": Facts().ModeFlags} {
		for _, u := range list {
			add(kind+":"+u.Flag.Name, u.Avail)
		}
	}
	for _, m := range Facts().Modes {
		add("mode:"+m.Name, m.Avail)
	}
	for _, r := range Facts().Rules {
		add("rule:"+r.Name, r.Avail)
	}
	return out
}
