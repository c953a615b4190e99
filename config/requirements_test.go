package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// What each type of output and service refuses of itself before tbot
// sends: one file per case, the version, and the refusal or the types
// counted. Written from each type's check in Teleport's source
// (docs/release-lines.md, "What each type requires before tbot sends").
func TestTypeRequirements(t *testing.T) {
	const dest = "    destination: {type: directory, path: /opt/out}\n"
	tests := []struct {
		name    string
		version string
		entry   string // one entry of services:
		refused Reason // 0: loads
		field   string // the field a MissingField refusal names
	}{
		// The two misses of real-world configs.
		{"database-tunnel without database", "17.4.2",
			"  - type: database-tunnel\n    listen: tcp://127.0.0.1:5432\n    service: pg\n    username: bot\n", MissingField, "database"},
		{"application-tunnel with listener: instead of listen:", "18.2.3",
			"  - type: application-tunnel\n    listener: tcp://127.0.0.1:8080\n    app_name: grafana\n", MissingField, "listen"},
		{"application-tunnel whole", "18.2.3",
			"  - type: application-tunnel\n    listen: tcp://127.0.0.1:8080\n    app_name: grafana\n", 0, ""},
		{"application-tunnel listen not a URL", "18.2.3",
			"  - type: application-tunnel\n    listen: \"%zz\"\n    app_name: grafana\n", BadField, ""},
		{"application-proxy without listen", "18.2.3", "  - type: application-proxy\n", MissingField, "listen"},
		{"database-tunnel without username", "16.4.0",
			"  - type: database-tunnel\n    listen: tcp://x:1\n    service: pg\n    database: app\n", MissingField, "username"},
		{"ssh-multiplexer in memory", "18.0.0", "  - type: ssh-multiplexer\n    destination: {type: memory}\n", BadField, ""},
		{"ssh-multiplexer in a directory", "18.0.0", "  - type: ssh-multiplexer\n" + dest, 0, ""},
		{"kubernetes/v2 without selectors", "17.2.7", "  - type: kubernetes/v2\n" + dest, MissingField, "selectors"},
		{"kubernetes/v2 selector with name and labels", "17.2.7",
			"  - type: kubernetes/v2\n    selectors: [{name: a, labels: {env: prod}}]\n" + dest, BadField, ""},
		{"kubernetes/v2 two selectors", "17.2.7",
			"  - type: kubernetes/v2\n    selectors: [{name: a}, {labels: {env: prod}}]\n" + dest, 0, ""},
		{"argo-cd without selectors", "18.1.7", "  - type: kubernetes/argo-cd\n", MissingField, "selectors"},
		{"workload-identity-x509 without a selector", "17.2.7", "  - type: workload-identity-x509\n" + dest, MissingField, "selector"},
		{"workload-identity-x509 by its first key", "17.2.7",
			"  - type: workload-identity-x509\n    workload_identity: {name: w}\n" + dest, 0, ""},
		{"workload-identity-jwt without audiences", "17.2.7",
			"  - type: workload-identity-jwt\n    selector: {name: w}\n" + dest, MissingField, "audiences"},
		{"workload-identity-api without listen", "17.2.7", "  - type: workload-identity-api\n    selector: {name: w}\n", MissingField, "listen"},
		{"aws roles anywhere, a bad ARN", "17.4.0",
			"  - type: workload-identity-aws-roles-anywhere\n    selector: {name: w}\n    role_arn: r\n    profile_arn: arn:aws:x:y:1:p\n    trust_anchor_arn: arn:aws:x:y:1:t\n" + dest,
			BadField, ""},
		{"aws roles anywhere, a 13h session", "17.4.0",
			"  - type: workload-identity-aws-roles-anywhere\n    selector: {name: w}\n    role_arn: arn:aws:x:y:1:r\n    profile_arn: arn:aws:x:y:1:p\n    trust_anchor_arn: arn:aws:x:y:1:t\n    session_duration: 13h\n" + dest,
			BadField, ""},
		{"identity/key-agent with roles and a delegation", "18.8.3",
			"  - type: identity/key-agent\n    roles: [a]\n    delegation_session_id: d\n" + dest, BadField, ""},
		{"beams/vnet without delegation", "19.0.0", "  - type: beams/vnet\n", MissingField, "delegation_session_id"},
		{"spiffe-svid with a relative path", "17.0.1", "  - type: spiffe-svid\n    svid: {path: svc}\n" + dest, BadField, ""},
		// roles: a list all along, refused from 19 on the types that had it
		// (#69181), and an unknown key of the others.
		{"roles, 18", "18.11.0", "  - type: identity\n    roles: [access]\n" + dest, 0, ""},
		{"roles, 19", "19.0.0", "  - type: identity\n    roles: [access]\n" + dest, FieldRefused, "roles"},
		{"roles not a list, 18", "18.11.0", "  - type: identity\n    roles: access\n" + dest, WrongType, ""},
		{"roles of a type that never had them, 19", "19.0.0",
			"  - type: workload-identity-x509\n    roles: [access]\n    selector: {name: w}\n" + dest, 0, ""},
		// An entry's own lifetime: only one of the two before 17.4 was
		// passed over; refused from the 17.4 sources on.
		{"lifetime, one of two, 17.3", "17.3.0", "  - type: identity\n    credential_ttl: 1h\n" + dest, 0, ""},
		{"lifetime, one of two, 17.4", "17.4.0", "  - type: identity\n    credential_ttl: 1h\n" + dest, BadField, ""},
		{"lifetime, TTL under the interval", "18.0.0",
			"  - type: identity\n    credential_ttl: 10m\n    renewal_interval: 20m\n" + dest, BadField, ""},
		{"lifetime, TTL under the interval, one-shot", "18.0.0",
			"  - type: identity\n    credential_ttl: 10m\n    renewal_interval: 20m\n" + dest + "oneshot: true\n", 0, ""},
		{"lifetime, 2 days, 17.4.4", "17.4.4",
			"  - type: identity\n    credential_ttl: 48h\n    renewal_interval: 20m\n" + dest, BadField, ""},
		{"lifetime, 2 days, 17.4.5", "17.4.5",
			"  - type: identity\n    credential_ttl: 48h\n    renewal_interval: 20m\n" + dest, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeTemp(t, "tbot.yaml", "version: v2\nservices:\n"+tt.entry)
			_, err := loadAt(t, tt.version, []string{"start", "-c", f}, nil)
			if tt.refused == 0 {
				if err != nil {
					t.Fatalf("%s: %v", tt.version, err)
				}
				return
			}
			var r *Refusal
			if !errors.As(err, &r) || r.Reason != tt.refused || r.Subject != tt.field && tt.field != "" {
				t.Fatalf("%s: got %v, want reason %d about %q", tt.version, err, tt.refused, tt.field)
			}
		})
	}
}

// The service a start mode adds is checked as an entry of the file is.
func TestModeServiceRequirements(t *testing.T) {
	tests := []struct {
		args []string
		want []string // nil: refused
	}{
		{[]string{"start", "k8s/v2", "--destination", "/opt/out"}, nil},
		{[]string{"start", "k8s/v2", "--destination", "/opt/out", "--name-selector", "a"}, []string{"kubernetes/v2"}},
		{[]string{"start", "workload-identity-x509", "--destination", "/opt/out"}, nil},
		{[]string{"start", "workload-identity-x509", "--destination", "/opt/out", "--name-selector", "a", "--label-selector", "b=c"}, nil},
		{[]string{"start", "workload-identity-x509", "--destination", "/opt/out", "--label-selector", "b=c"}, []string{"workload-identity-x509"}},
		{[]string{"start", "app-tunnel", "--listen", "%zz", "--app", "a"}, nil},
		{[]string{"start", "ssh-multiplexer", "--destination", "memory://"}, nil},
		{[]string{"start", "ssh-multiplexer", "--destination", "file:///opt/mux"}, []string{"ssh-multiplexer"}},
		{[]string{"start", "identity", "--destination", "s3://bucket"}, nil},
		{[]string{"start", "identity", "--destination", "kubernetes-secret:///bot"}, []string{"identity"}},
		{[]string{"start", "identity", "--destination", "memory://", "--storage", "memory://"}, []string{"identity"}},
		{[]string{"start", "identity", "--destination", "/opt/out", "--storage", "memory://host"}, nil},
	}
	for _, tt := range tests {
		v, err := loadAt(t, "19.0.0", tt.args, nil)
		switch {
		case tt.want == nil && err == nil:
			t.Errorf("%q: got %v, want refused", tt.args, v.Counted)
		case tt.want != nil && err != nil:
			t.Errorf("%q: %v", tt.args, err)
		case tt.want != nil && !reflect.DeepEqual(v.Counted, tt.want):
			t.Errorf("%q: counted %v, want %v", tt.args, v.Counted, tt.want)
		}
	}
}

// A refusal names the key it refuses when it looks like a key, keeps the
// parser's own tokens and names the line that broke a block (issue: a
// message a user can act on), and never quotes what may be a secret.
func TestMessagesNameWhatWasWrong(t *testing.T) {
	tests := []struct {
		name, version, file string
		want                []string
		not                 []string
	}{
		{"an unknown key is named", "16.4.9", "version: v2\noneshot: true\nrenewal_intervall: 5m\n",
			[]string{`line 3: the top level has a key this tbot release does not know: "renewal_intervall"`}, nil},
		{"a key like a token is not", "16.4.9", "version: v2\nghp_A1b2C3d4E5f6G7h8I9j0K1l2: x\n",
			[]string{"line 2: the top level has a key this tbot release does not know"}, []string{"ghp_"}},
		{"an onboarding key", "15.4.9", "version: v2\nonboarding:\n  gitlab: {}\n",
			[]string{`line 3: onboarding has a key this tbot release does not know: "gitlab"`}, nil},
		{"the parser's tokens stay", "19.0.0", "version: v2\nonboarding:\n  join_method: [github\noneshot: true\n",
			[]string{"did not find expected ',' or ']'"}, []string{"…"}},
		{"the line that broke the block", "19.0.0",
			"version: v2\nservices:\n  - type: identity\n    destination:\n      type: memory\n   bad: x\n",
			[]string{"line 6: not valid YAML: did not find expected '-' indicator"}, nil},
		{"an anchor's name is text of the file", "19.0.0", "version: v2\noneshot: *mkrsecret\n",
			[]string{"unknown anchor … referenced"}, []string{"mkrsecret"}},
	}
	for _, tt := range tests {
		f := writeTemp(t, "tbot.yaml", tt.file)
		_, err := loadAt(t, tt.version, []string{"start", "-c", f}, nil)
		if err == nil {
			t.Errorf("%s: no error", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: got %q, want it to contain %q", tt.name, err, w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(err.Error(), n) {
				t.Errorf("%s: got %q, which shows %q", tt.name, err, n)
			}
		}
	}
}
