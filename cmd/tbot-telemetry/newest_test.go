package main

import (
	"encoding/base64"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/config"
)

// The newest tbot cannot be built here (no snapshot of Teleport 16 or later
// is small enough), so its rules are held by this table, each row written
// from the file and commit of gravitational/teleport where the fact was read
// (docs/release-lines.md, "Evidence").
func TestNewestReleaseFromSource(t *testing.T) {
	const newest = "19.1.0"
	td := func(name string) string { return repoFile("testdata", name) }
	b64 := base64.StdEncoding.EncodeToString
	tests := []struct {
		source string
		args   []string
		env    config.Env
		want   *counts // nil: no event
	}{
		{"lib/tbot/config/config.go (master of 2025-08, v19 development): ReadConfig still migrates v1 files; no release refuses them",
			[]string{"start", "-c", td("v1/app.yaml")}, nil, &counts{"daemon", "github", 0, 0, 0, 1}},
		{"tool/tbot/anonymous_telemetry.go @759949bd: counts cfg.Services; application, database and kubernetes (v1) outputs in their counters",
			[]string{"start", "-c", td("v2/outputs-and-services.yaml")}, nil, &counts{"daemon", "gitlab", 2, 1, 0, 1}},
		{"tool/tbot/anonymous_telemetry.go @759949bd: kubernetes/v2 is not the kubernetes output, so other",
			[]string{"start", "-c", td("v2/service-kubernetes-v2.yaml")}, nil, &counts{"daemon", "token", 1, 0, 0, 0}},
		{"tool/tbot/anonymous_telemetry.go @759949bd: join_type is the configured method as it is, \"\" when none",
			[]string{"start", "-c", td("v2/service-identity.yaml"), "--token", "t"}, nil, &counts{"daemon", "", 1, 0, 0, 0}},
		{"lib/tbot/cli/start_legacy.go @09ff2012: --oneshot is read with IsSetByUser, so --no-oneshot turns the file's off",
			[]string{"start", "-c", td("v2/oneshot-daemon-flag.yaml"), "--no-oneshot"}, nil, &counts{"daemon", "token", 1, 0, 0, 0}},
		{"lib/tbot/cli/start_legacy.go @09ff2012: --destination-dir replaces services; outputs are appended after them",
			[]string{"start", "-c", td("v2/outputs-and-services.yaml"), "--destination-dir", "/opt/out"}, nil, &counts{"daemon", "gitlab", 1, 1, 0, 1}},
		{"tool/tbot/main.go @88a83600: onStart sends from a goroutine before the bot runs; join_uri is applied in the run, so a bad one still sends",
			[]string{"start", "-c", td("v2/join-uri-bad-scheme.yaml")}, nil, &counts{"daemon", "", 0, 0, 0, 0}},
		{"lib/tbot/cli/globals.go @020b529c: -c is bound to TBOT_CONFIG_PATH",
			[]string{"start"}, config.Env{"TBOT_CONFIG_PATH": td("v2/outputs-actions-auth.yaml")}, &counts{"one-shot", "github", 1, 0, 1, 0}},
		{"lib/tbot/cli/globals.go @020b529c: --config-string is bound to TBOT_CONFIG (standard base64)",
			[]string{"start"}, config.Env{"TBOT_CONFIG": b64([]byte("version: v2\noneshot: true\n"))}, &counts{"one-shot", "", 0, 0, 0, 0}},
		{"lib/tbot/cli/globals.go @020b529c: giving both a config path and a config string is refused",
			[]string{"start", "-c", td("v2/outputs-actions-auth.yaml")}, config.Env{"TBOT_CONFIG": b64([]byte("version: v2\n"))}, nil},
		{"lib/tbot/config/config.go @3e05bfe5: a join method outside SupportedJoinMethods is refused",
			[]string{"start", "--join-method", "ec2"}, nil, nil},
		{"lib/tbot/config/config.go @3e05bfe5: a type outside the known services is refused (\"unrecognized service type\"), unless newer than this program",
			[]string{"start", "-c", td("v2/service-unknown-type.yaml")}, nil, &counts{"daemon", "token", 1, 0, 0, 0}},
		{"tool/tbot/main.go @88a83600: a start mode adds its one service, which is counted",
			[]string{"start", "app", "--destination", "/opt/app", "--app", "grafana", "--join-method", "github"}, nil, &counts{"daemon", "github", 0, 0, 0, 1}},
		{"tool/tbot/main.go @88a83600: only start sends; version does not",
			[]string{"version"}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.source, func(t *testing.T) {
			sys := newTestSystem(t, tt.env)
			ev, code := dryRunEventOf(t, sys, newest, tt.args...)
			if code != 0 {
				t.Fatalf("exit %d\n%s", code, sys.err)
			}
			if tt.want == nil {
				if ev.Event != "" {
					t.Errorf("sent %+v, want no event", ev.Properties)
				}
				return
			}
			if got, want := ev.Properties, tt.want.properties(newest); got != want {
				t.Errorf("got  %+v\nwant %+v\nstderr:\n%s", got, want, sys.err)
			}
		})
	}
}
