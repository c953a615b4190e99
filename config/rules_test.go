package config

import (
	"errors"
	"reflect"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// ruleCase is one start at two versions where a rule of the table changes
// what tbot does with it, each expectation written from the pull request
// (docs/release-lines.md), not computed from the table.
type ruleCase struct {
	rule           release.Rule
	pr             string
	file           string // a config file's content; "" for none
	args           []string
	env            Env
	before, at     string
	wantBefore     *wantView // nil: refused
	wantAt         *wantView
	reasonRefusing Reason // the reason of the refusal, where one side refuses
	// reasonBefore, where set, is the reason of a refusal before instead.
	reasonBefore Reason
}

func view(oneshot bool, method string, counted ...string) *wantView {
	if counted == nil {
		counted = []string{}
	}
	return &wantView{Oneshot: oneshot, JoinMethod: method, Services: counted}
}

func ruleCases() []ruleCase {
	const v1app = "onboarding:\n  join_method: github\ndestinations:\n  - directory: /opt/app\n    app: grafana\n"
	const bothLists = "version: v2\noutputs:\n  - type: application\n    app_name: grafana\n    destination: {type: memory}\n" +
		"services:\n  - type: database-tunnel\n    listen: tcp://127.0.0.1:5432\n    service: pg\n    database: app\n    username: bot\n"
	return []ruleCase{
		{rule: release.ReadsVersionKey, pr: "#27152", file: "version: v1\noneshot: true\n",
			before: "13.1.3", at: "14.0.0", wantBefore: nil, wantAt: view(true, ""), reasonRefusing: UnknownKey},
		{rule: release.ReadsV2, pr: "#27152", file: "version: v2\noneshot: true\n",
			before: "13.1.3", at: "14.0.0", wantBefore: nil, wantAt: view(true, ""), reasonRefusing: UnknownKey},
		{rule: release.ReadsV1, pr: "v19 still migrates", file: v1app,
			before: "18.11.0", at: "19.0.0", wantBefore: view(false, "github", "application"), wantAt: view(false, "github", "application")},
		{rule: release.MigratesV1, pr: "#27468: an empty app is no request once migrated",
			file:   "destinations:\n  - memory: true\n    app: \"\"\n",
			before: "13.1.3", at: "14.0.0", wantBefore: nil, wantAt: view(false, "", "identity"), reasonRefusing: BadField},
		{rule: release.StrictV1, pr: "observed on 13.1.3", file: "oneshot: true\nbot_name: x\n",
			before: "13.1.3", at: "14.0.0", wantBefore: nil, wantAt: view(true, ""), reasonRefusing: UnknownKey},
		{rule: release.StrictV2, pr: "v17 #52185", file: "version: v2\noneshot: true\nfuture_key: x\n",
			before: "17.2.7", at: "17.2.8", wantBefore: nil, wantAt: view(true, ""), reasonRefusing: UnknownKey},
		{rule: release.JoinMethodFlagIsEnum, pr: "observed on 13.1.3", args: []string{"--join-method", "bogus"},
			before: "13.1.3", at: "13.1.3", reasonRefusing: JoinMethodFlag},
		{rule: release.JoinMethodFlagDefaultsToToken, pr: "observed on 13.1.3: --join-method=token keeps the file's iam",
			file: "onboarding:\n  join_method: iam\n", args: []string{"--join-method", "token"},
			before: "13.1.3", at: "14.0.0", wantBefore: view(false, "iam"), wantAt: view(false, "token")},
		{rule: release.ReportsTokenWhenNoJoinMethod, pr: "#24267: the view has no method; event reports token before",
			file: "oneshot: true\n", before: "13.1.3", at: "14.0.0", wantBefore: view(true, ""), wantAt: view(true, "")},
		{rule: release.ChecksJoinMethod, pr: "#24267: tbot 13 sent a file's method unchecked",
			file: "onboarding:\n  join_method: kubernetes\n", before: "13.1.3", at: "14.0.0",
			wantBefore: view(false, "kubernetes"), wantAt: nil, reasonRefusing: JoinMethodRefused},
		{rule: release.ChecksCAPinsAndPath, pr: "c7cc451667",
			file:   "version: v2\nonboarding:\n  ca_pins: [sha256:a]\n  ca_path: /ca.pem\n",
			before: "14.3.0", at: "15.0.0-dev", wantBefore: view(false, ""), wantAt: nil, reasonRefusing: CAConflict},
		{rule: release.ChecksInsecureFlag, pr: "lib/tbot/cli (17.0.1)",
			file: "version: v2\nonboarding:\n  ca_pins: [sha256:a]\n", args: []string{"--insecure"},
			before: "16.4.9", at: "17.0.1", wantBefore: view(false, ""), wantAt: nil, reasonRefusing: CAConflict},
		{rule: release.ChecksDataDirURI, pr: "2f181a8d20", args: []string{"--data-dir", "s3://bucket"},
			before: "12.1.2", at: "12.1.3", wantBefore: view(false, ""), wantAt: nil, reasonRefusing: StorageURI},
		{rule: release.DataDirTakesKubernetesSecret, pr: "v15 #44804", args: []string{"--data-dir", "kubernetes-secret:///bot"},
			before: "15.4.11", at: "15.4.12", wantBefore: nil, wantAt: view(false, ""), reasonRefusing: StorageURI},
		{rule: release.NoFlagsWin, pr: "v17 #54651", file: "version: v2\noneshot: true\n", args: []string{"--no-oneshot"},
			before: "17.5.0", at: "17.5.1", wantBefore: view(true, ""), wantAt: view(false, "")},
		{rule: release.NoFlagsWin, pr: "master #54402 (--no-insecure too)",
			file: "version: v2\ninsecure: true\nonboarding:\n  ca_pins: [sha256:a]\n", args: []string{"--no-insecure"},
			before: "17.5.0", at: "18.0.0", wantBefore: nil, wantAt: view(false, ""), reasonRefusing: CAConflict},
		{rule: release.DestinationDirKeepsOutputs, pr: "lib/tbot/cli start_legacy.go (17.0.1)", file: bothLists,
			args: []string{"--destination-dir", "/opt/out"}, before: "16.4.9", at: "17.0.1",
			wantBefore: view(false, "", "database-tunnel", "identity"), wantAt: view(false, "", "identity", "application")},
		{rule: release.CountsServices, pr: "v15 #43883", file: bothLists,
			before: "15.4.8", at: "15.4.9", wantBefore: view(false, "", "application"), wantAt: view(false, "", "database-tunnel", "application")},
		{rule: release.CountsServices, pr: "v16 #43876", file: bothLists,
			before: "16.0.4", at: "16.1.0", wantBefore: view(false, "", "application"), wantAt: view(false, "", "database-tunnel", "application")},
		{rule: release.StartModes, pr: "17.0.1", args: []string{"identity", "--destination", "/opt/out"},
			before: "16.4.9", at: "17.0.1", wantBefore: nil, wantAt: view(false, "", "identity"), reasonRefusing: UnexpectedArgument},
		{rule: release.UniqueEntryNames, pr: "v17 #56306",
			file:   "version: v2\nservices:\n  - {type: identity, name: a, destination: {type: memory}}\n  - {type: identity, name: a, destination: {type: memory}}\n",
			before: "17.5.3", at: "17.5.4", wantBefore: view(false, "", "identity", "identity"), wantAt: nil, reasonRefusing: BadField},
		{rule: release.TraceNeedsExporter, pr: "#35833: the flag and its check came together", args: []string{"--trace"},
			before: "14.3.9", at: "15.0.0", wantBefore: nil, wantAt: nil, reasonRefusing: TraceWithoutExporter, reasonBefore: UnknownFlag},
		{rule: release.TraceNeedsExporter, pr: "#35833", args: []string{"--trace", "--trace-exporter", "grpc://127.0.0.1:1"},
			before: "15.0.0", at: "19.0.0", wantBefore: view(false, ""), wantAt: view(false, "")},
	}
}

// Every rule of the table changes what config does, as the pull request
// says, at the version the table names.
func TestEveryRuleIsEnforced(t *testing.T) {
	covered := map[release.Rule]bool{}
	for _, rc := range ruleCases() {
		covered[rc.rule] = true
		name := release.Facts().Rules[rc.rule].Name + " (" + rc.pr + ")"
		args := []string{"start"}
		if rc.file != "" {
			args = append(args, "-c", writeTemp(t, "tbot.yaml", rc.file))
		}
		args = append(args, rc.args...)
		reasonBefore := rc.reasonRefusing
		if rc.reasonBefore != 0 {
			reasonBefore = rc.reasonBefore
		}
		for _, side := range []struct {
			version string
			want    *wantView
			reason  Reason
		}{{rc.before, rc.wantBefore, reasonBefore}, {rc.at, rc.wantAt, rc.reasonRefusing}} {
			v, err := loadAt(t, side.version, args, rc.env)
			switch {
			case side.want == nil && err == nil:
				t.Errorf("%s at %s: got %+v, want refused", name, side.version, summarize(v))
			case side.want == nil:
				var r *Refusal
				if !errors.As(err, &r) || r.Reason != side.reason {
					t.Errorf("%s at %s: got %v, want a refusal of reason %d", name, side.version, err, side.reason)
				}
			case err != nil:
				t.Errorf("%s at %s: %v", name, side.version, err)
			case !reflect.DeepEqual(summarize(v), *side.want):
				t.Errorf("%s at %s: got %+v, want %+v", name, side.version, summarize(v), *side.want)
			}
		}
	}
	for r := release.Rule(0); int(r) < len(release.Facts().Rules); r++ {
		if !covered[r] {
			t.Errorf("rule %q has no case here", release.Facts().Rules[r].Name)
		}
	}
}
