package event

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// FuzzDerive runs the whole derivation, file plus arguments plus environment,
// and checks what may reach the event: counts that add up to the configured
// services, a join type of tbot's shape, and helper strings cleaned; nothing
// else from the input has a field to travel in.
func FuzzDerive(f *testing.F) {
	f.Add([]byte("version: v2\nservices: [{type: database}, {type: kubernetes/v2}]\n"), "start\x00--oneshot", "gha:x", "1.0")
	f.Add([]byte("destinations: [{app: a}, {memory: true}]\nonboarding: {join_method: iam}\n"), "start\x00app\x00--destination\x00x", "", "")
	f.Add([]byte("version: v2\njoin_uri: tbot+proxy+generic-oidc://t@h:1\n"), "start\x00noop", "\x00\xff", "v")
	f.Fuzz(func(t *testing.T, file []byte, joinedArgs, helper, helperVersion string) {
		path := filepath.Join(t.TempDir(), "tbot.yaml")
		if err := os.WriteFile(path, file, 0o600); err != nil {
			t.Fatal(err)
		}
		args := strings.Split(joinedArgs, "\x00")
		for _, a := range args {
			if strings.Contains(a, "/") || strings.HasPrefix(a, "-c") || strings.HasPrefix(a, "--config") {
				return // only the file written above is to be read
			}
		}
		args = append(args, "-c", path)
		for _, version := range []string{"13.1.3", "15.0.0-dev", "17.4.2", ""} {
			deriveAndCheck(t, version, args, helper, helperVersion)
		}
	})
}

func deriveAndCheck(t *testing.T, version string, args []string, helper, helperVersion string) {
	rel := release.For(version)
	inv, err := config.ParseArgs(args, config.Env{}, rel)
	if err != nil {
		return
	}
	view, err := inv.Load()
	if err != nil {
		return
	}
	env := config.Env{EnvHelper: helper, EnvHelperVersion: helperVersion}
	req, err := Derive(view, env, version, fixed)
	if err != nil {
		t.Fatal(err)
	}
	s := req.GetStart()
	counts := []int32{s.DestinationsOther, s.DestinationsDatabase, s.DestinationsKubernetes, s.DestinationsApplication}
	var sum int32
	for _, c := range counts {
		if c < 0 {
			t.Fatalf("negative count in %v", counts)
		}
		sum += c
	}
	if int(sum) != len(view.Counted) {
		t.Fatalf("counts add up to %d for %d services", sum, len(view.Counted))
	}
	// No text the user wrote: only a join method some release accepts.
	if s.JoinType != "" && !release.AnyReleaseAccepts(s.JoinType) {
		t.Fatalf("%s: join type %q", rel, s.JoinType)
	}
	for _, h := range []string{s.Helper, s.HelperVersion} {
		if len(h) > MaxHelperLen || !utf8.ValidString(h) || strings.ContainsFunc(h, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
			t.Fatalf("helper string not cleaned: %q", h)
		}
	}
	if _, err := proto.Marshal(req); err != nil {
		t.Fatal(err)
	}
	if _, err := MarshalLine(req, testsupport.Now()); err != nil {
		t.Fatal(err)
	}
}
