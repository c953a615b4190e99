package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/event"
	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// Odd join methods, in a file, a flag and a join URI, for releases from
// 12.1 to the newest and an unknown one: the event's join_type is only ever
// a join method that the release accepts (for an open release, one that
// some release accepts), and the odd text appears in no output, not even at
// debug level (README.md, "The event").
func TestOddJoinMethodsNeverLeave(t *testing.T) {
	odd := []string{
		"GitHub", "github ", "tok3n-abc123-mkrsecret", "../etc/mkrpath", "azure-devops", "bound-keypair",
		"token:mkrsecret", "g\u00efthub", "mkr\tmethod", "iam,github", "kubernetes\u200b",
	}
	versions := []string{"12.1.0", "13.1.3", "15.0.0-dev", "17.4.2", "19.1.0", ""}
	dir := t.TempDir()
	for i, method := range odd {
		quoted, _ := json.Marshal(method)
		v1 := writeFile(t, filepath.Join(dir, "v1-"+string(rune('a'+i))+".yaml"), "onboarding:\n  join_method: "+string(quoted)+"\n", 0o600)
		v2 := writeFile(t, filepath.Join(dir, "v2-"+string(rune('a'+i))+".yaml"),
			"version: v2\nonboarding:\n  join_method: "+string(quoted)+"\n", 0o600)
		uri := writeFile(t, filepath.Join(dir, "uri-"+string(rune('a'+i))+".yaml"),
			"version: v2\njoin_uri: "+string(mustJSON(t, "tbot+proxy+"+method+"://mkrtoken@127.0.0.1:1"))+"\n", 0o600)
		starts := map[string][]string{
			"v1 file":  {"start", "-c", v1},
			"v2 file":  {"start", "-c", v2},
			"flag":     {"start", "--join-method", method},
			"flag=":    {"start", "--join-method=" + method},
			"join_uri": {"start", "-c", uri},
			"flag uri": {"start", "noop", "--join-uri", "tbot+proxy+" + method + "://mkrtoken@127.0.0.1:1"},
		}
		for _, version := range versions {
			rel := release.For(version)
			for how, args := range starts {
				sys := newTestSystem(t, config.Env{})
				ours := []string{"report", "--dry-run", "--debug", "--log-format", "json"}
				if version != "" {
					ours = append(ours, "--tbot-version", version)
				}
				sys.run(t, append(append(ours, "--"), args...)...)
				name := version + "/" + how + "/" + method
				for _, out := range []string{sys.out.String(), sys.err.String()} {
					if strings.Contains(out, method) || strings.Contains(strings.ToLower(out), "mkr") {
						t.Errorf("%s: the odd text reached the output:\n%s", name, out)
					}
				}
				if sys.out.Len() == 0 {
					continue
				}
				var ev event.PostHog
				if err := json.Unmarshal(sys.out.Bytes(), &ev); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				jt := ev.Properties.JoinType
				// A method the release accepts, or where the release may be
				// newer than the table or never checked the file's method
				// (12.1-13), one that some release accepts.
				if jt != "" && !rel.AcceptsJoinMethod(jt) && !((rel.Open || !rel.Has(release.ChecksJoinMethod)) && release.AnyReleaseAccepts(jt)) {
					t.Errorf("%s: join_type %q is not one this release accepts", name, jt)
				}
			}
		}
	}
}

func mustJSON(t *testing.T, s string) []byte {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
