package release

import (
	"strings"
	"testing"
)

// What each type's own check requires of an entry before tbot sends, at
// one release of each era, written out from the sources named in the
// table's evidence (docs/release-lines.md, "What each type requires before
// tbot sends"). A dropped or changed requirement in the table fails here,
// in release's own tests, and not only in config's.
func TestEachTypeRequiresWhatTbotChecks(t *testing.T) {
	kinds := map[RequirementKind]string{
		NeedsString: "string", NeedsList: "list", NeedsValue: "value", NeedsOneOfValues: "oneof",
		RefusesField: "refused", NeedsAtMostOne: "atmostone", NeedsDirectory: "directory", NeedsURL: "url",
		NeedsARN: "arn", NeedsSelector: "selector", NeedsSelectors: "selectors", NeedsAWSSession: "awssession",
		NeedsLifetime: "lifetime", NeedsListWhenSet: "listifset", NeedsAbsolutePath: "abspath", NeedsIPs: "ips", NeedsHostPorts: "hostports",
	}
	tests := []struct {
		version, typ, want string
	}{
		// 15.4.10: no lifetimes yet, roles a list where the type has them.
		{"15.4.10", "identity", "listifset(roles) value(destination)"},
		{"15.4.10", "application", "listifset(roles) value(destination) string(app_name)"},
		{"15.4.10", "database", "listifset(roles) value(destination) string(service) oneof(format=tls,mongo,cockroach)"},
		{"15.4.10", "kubernetes", "listifset(roles) value(destination) string(kubernetes_cluster)"},
		{"15.4.10", "ssh_host", "listifset(roles) value(destination) list(principals)"},
		{"15.4.10", "spiffe-svid", "value(destination) abspath(svid.path) ips(svid.sans.ip)"},
		{"15.4.10", "database-tunnel", "listifset(roles) string(listen) url(listen) string(service,database,username)"},
		{"15.4.10", "application-tunnel", "listifset(roles) string(listen) url(listen) string(app_name)"},
		{"15.4.10", "ssh-multiplexer", "value(destination) directory()"},
		{"15.4.10", "example", ""},
		// 17.4.0-17.4.4: lifetimes of at most 24h.
		{"17.4.0", "kubernetes/v2", "listifset(roles) value(destination) selectors(selectors) lifetime(=24h)"},
		{"17.4.4", "identity", "listifset(roles) value(destination) lifetime(=24h)"},
		// 18.2.3: 168h, and the types of v17 and v18.
		{"18.2.3", "identity", "listifset(roles) value(destination) lifetime(=168h)"},
		{"18.2.3", "application-tunnel", "listifset(roles) string(listen) url(listen) string(app_name) lifetime(=168h)"},
		{"18.2.3", "workload-identity-x509", "value(destination) selector(selector,workload_identity)"},
		{"18.2.3", "workload-identity-jwt", "value(destination) selector(selector,workload_identity) list(audiences)"},
		{"18.2.3", "workload-identity-api", "string(listen) selector(selector,workload_identity)"},
		{"18.2.3", "workload-identity-aws-roles-anywhere", "value(destination) selector(selector,workload_identity) arn(role_arn) arn(profile_arn) arn(trust_anchor_arn) awssession(session_duration,session_renewal_interval)"},
		{"18.2.3", "kubernetes/argo-cd", "selectors(selectors)"},
		{"18.2.3", "application-proxy", "string(listen) url(listen)"},
		// 19.0.0: roles refused on the types that had them.
		{"19.0.0", "database", "listifset(roles) refused(roles) value(destination) string(service) oneof(format=tls,mongo,cockroach) lifetime(=168h)"},
		{"19.0.0", "identity/key-agent", "listifset(roles) refused(roles) value(destination) directory() atmostone(roles,delegation_session_id) lifetime(=168h)"},
		{"19.0.0", "beams/vnet", "string(delegation_session_id) hostports(upstream_nameservers)"},
	}
	for _, tt := range tests {
		r := For(tt.version)
		typ, ok := r.ServiceType(tt.typ)
		if !ok {
			t.Errorf("%s: no service type %s", tt.version, tt.typ)
			continue
		}
		var got []string
		for _, req := range r.Requirements(typ) {
			s := kinds[req.Kind] + "(" + strings.Join(req.Fields, ",")
			if len(req.Values) > 0 {
				s += "=" + strings.Join(req.Values, ",")
			}
			got = append(got, s+")")
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("%s %s requires\n got %s\nwant %s", tt.version, tt.typ, g, tt.want)
		}
	}
}
