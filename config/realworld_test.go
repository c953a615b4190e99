package config

import (
	"errors"
	"reflect"
	"testing"
)

// How people really write tbot files, as found in public repositories,
// Teleport's docs and chart, CI actions, Terraform and operators: each case
// is written here anew with the shape of what was found (the key order,
// spellings, list forms, durations and the mistakes), at the version it was
// written for. What tbot of that version does with it was read from its
// source; a file tbot accepts must never lose its event here.
func TestRealWorldShapes(t *testing.T) {
	tests := []struct {
		name, version, file string
		want                *wantView // nil: refused
		reason              Reason
	}{
		{"an action's v1 file: memory storage, a kubernetes destination", "14.3.0",
			"auth_server: tele.example.com:443\noneshot: true\nonboarding:\n  join_method: github\n  token: gh-bot\nstorage:\n  memory: true\n" +
				"destinations:\n  - directory: /tmp/out\n    kubernetes_cluster: prod\n",
			view(true, "github", "kubernetes"), 0},
		{"an action's v2 file: empty roles and ca_pins, allow_reissue, services: []", "18.6.4",
			"version: v2\nproxy_server: tele.example.com:443\noneshot: true\nonboarding:\n  join_method: github\n  token: gh-bot\n  ca_pins: []\n" +
				"storage:\n  type: memory\noutputs:\n  - type: identity\n    destination:\n      type: directory\n      symlinks: try-secure\n      path: /tmp/out\n" +
				"    roles: []\n    allow_reissue: true\nservices: []\n",
			view(true, "github", "identity"), 0},
		{"empty roles are not roles on 19", "19.0.0",
			"version: v2\noutputs:\n  - type: identity\n    destination: {type: memory}\n    roles: []\n",
			view(false, "", "identity"), 0},
		{"the deprecated certificate_ttl in Go's duration format", "16.0.0",
			"version: v2\ncertificate_ttl: 12h0m0s\nrenewal_interval: 20m0s\nonboarding:\n  join_method: github\n" +
				"outputs:\n  - type: kubernetes\n    kubernetes_cluster: prod\n    destination:\n      type: directory\n      path: /tmp/kube\n",
			view(false, "github", "kubernetes"), 0},
		{"an action's database tunnel whose optional database was left empty", "18.6.4",
			"version: v2\nservices:\n  - type: database-tunnel\n    listen: tcp://127.0.0.1:5432\n    service: pg\n    username: bot\n    database: \"\"\n",
			nil, MissingField},
		{"a chart's destination spelled like the URI scheme, closed release", "15.4.9",
			"version: v2\nonboarding:\n  join_method: kubernetes\noutputs:\n  - type: identity\n    destination:\n      type: kubernetes-secret\n      name: out\n",
			nil, BadField},
		{"a docs values file whose selector lost its labels", "18.8.0",
			"version: v2\noutputs:\n  - type: kubernetes/argo-cd\n    selectors:\n        - environment: production\n          labels: null\n",
			nil, BadField},
		{"an operator's sorted keys, version last, unindented lists, list-valued labels", "18.6.0",
			"diag_addr: 0.0.0.0:3001\nonboarding:\n  join_method: kubernetes\n  token: t\nproxy_server: tele.example.com:443\nservices:\n" +
				"- app_name: app\n  listen: tcp://0.0.0.0:8080\n  type: application-tunnel\n" +
				"- credential_ttl: 60m\n  destination:\n    path: /svid\n    type: directory\n  renewal_interval: 20m\n  selector:\n    labels:\n      app:\n      - tracer\n  type: workload-identity-x509\n" +
				"storage:\n  path: /var/lib/tbot\n  type: directory\nversion: v2\n",
			view(false, "kubernetes", "application-tunnel", "workload-identity-x509"), 0},
		{"an operator draft's listener: for listen:", "18.6.0",
			"version: v2\nservices:\n  - type: application-tunnel\n    app_name: app\n    listener: tcp://0.0.0.0:8080\n",
			nil, MissingField},
		{"every scalar quoted", "18.6.0",
			"version: \"v2\"\nproxy_server: \"tele.example.com:443\"\nonboarding:\n  join_method: \"iam\"\n  token: \"t\"\n" +
				"services:\n  - type: \"workload-identity-api\"\n    listen: \"unix:///tmp/wid.sock\"\n    selector:\n      name: \"w\"\n",
			view(false, "iam", "workload-identity-api"), 0},
		{"a docs v1 reference with both directory and memory", "16.0.0",
			"destinations:\n  - directory: /opt/out\n    memory: true\n", nil, BadField},
		{"a file without a version whose services a v1 reading drops", "18.0.0",
			"proxy_server: tele.example.com:443\nonboarding:\n  join_method: kubernetes\nservices:\n  - type: workload-identity-api\n    listen: unix:///tmp/x\n",
			view(false, "kubernetes"), 0},
		{"a docs fragment of outputs alone, no version", "17.0.1",
			"outputs:\n  - type: spiffe-svid\n    svid: {path: /svid}\n    destination: {type: directory, path: /opt}\n", nil, BadField},
		{"an upgrade guide's application output without app_name", "14.0.0",
			"version: v2\noutputs:\n  - type: application\n    destination:\n      type: directory\n      path: /opt/app\n", nil, MissingField},
		{"a tunnel builder's discovered database without a name", "18.6.0",
			"version: v2\nservices:\n  - type: database-tunnel\n    listen: tcp://127.0.0.1:1\n    service: pg\n    username: bot\n",
			nil, MissingField},
		{"a strict release and a misnamed address key", "16.4.9",
			"version: v2\ninstance_addr: tele.example.com:443\nonboarding:\n  join_method: gitlab\n", nil, UnknownKey},
		{"a lenient release and the same key, which fails only after the event", "18.6.0",
			"version: v2\ninstance_addr: tele.example.com:443\nonboarding:\n  join_method: gitlab\n", view(false, "gitlab"), 0},
		{"16.0.4: services are read and not counted", "16.0.4",
			"version: v2\nservices:\n  - type: database-tunnel\n    listen: unix:///tmp/pg.sock\n    service: pg\n    database: app\n    username: bot\n",
			view(false, ""), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := writeTemp(t, "tbot.yaml", tt.file)
			v, err := loadAt(t, tt.version, []string{"start", "-c", f}, nil)
			if tt.want == nil {
				var r *Refusal
				if !errors.As(err, &r) || r.Reason != tt.reason {
					t.Fatalf("%s: got %v (view %+v), want a refusal of reason %d", tt.version, err, v, tt.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("%s: %v", tt.version, err)
			}
			if got := summarize(v); !reflect.DeepEqual(got, *tt.want) {
				t.Errorf("%s: got %+v, want %+v", tt.version, got, *tt.want)
			}
		})
	}
}
