package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/event"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// recording is what hack/record-tbot wrote for one real tbot binary: each
// start it was given, and the event it sent (or none).
type recording struct {
	TbotVersion    string          `json:"tbot_version"`
	TeleportCommit string          `json:"teleport_commit"`
	Starts         []recordedStart `json:"starts"`
}

type recordedStart struct {
	Name  string            `json:"name"`
	Args  []string          `json:"args"`
	Env   map[string]string `json:"env"`
	Files map[string]string `json:"files"`
	Event *event.Properties `json:"event"`
}

// placeholderBase64 is the recorder's ${base64:NAME}: the padded base64 of
// the case's file NAME, as TBOT_CONFIG wants it.
var placeholderBase64 = regexp.MustCompile(`\$\{base64:([^}]+)\}`)

// The allowed differences between a recorded tbot and this program, and
// only these (docs/release-lines.md):
//   - helper strings: tbot sends them raw; this program keeps printable
//     ASCII, at most 128 bytes;
//   - privacy: where tbot sent a join method that no release accepts
//     (v12-v13 sent a file's method unchecked), this program sends
//     nothing;
//   - DO_NOT_TRACK set true turns this program's telemetry off (no tbot
//     reads it).
func TestRecordedStarts(t *testing.T) {
	files, err := filepath.Glob(repoFile("testdata", "tbot-recordings", "tbot-*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 2 {
		t.Fatalf("want the recordings of at least two tbot releases, found %d", len(files))
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var rec recording
		if err := json.Unmarshal(data, &rec); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if rec.TbotVersion == "" || rec.TeleportCommit == "" || len(rec.Starts) < 60 {
			t.Fatalf("%s: want a version, the Teleport commit and 60+ starts", file)
		}
		rel := release.For(rec.TbotVersion)
		for _, start := range rec.Starts {
			t.Run(rec.TbotVersion+"/"+start.Name, func(t *testing.T) {
				checkRecordedStart(t, rec.TbotVersion, rel, start)
			})
		}
	}
}

func checkRecordedStart(t *testing.T, version string, rel release.Release, start recordedStart) {
	// As the recorder ran tbot: in a directory of its own, which is also
	// its HOME, with the case's files in it.
	dir := t.TempDir()
	t.Chdir(dir)
	contents := map[string]string{}
	for name, content := range start.Files {
		content = strings.ReplaceAll(content, "$DIR", dir)
		contents[name] = content
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	subst := func(s string) string {
		s = strings.ReplaceAll(s, "$DIR", dir)
		return placeholderBase64.ReplaceAllStringFunc(s, func(m string) string {
			return base64.StdEncoding.EncodeToString([]byte(contents[placeholderBase64.FindStringSubmatch(m)[1]]))
		})
	}
	env := config.Env{"PATH": "/usr/bin:/bin", "HOME": dir, "TELEPORT_ANONYMOUS_TELEMETRY": "1"}
	for k, v := range start.Env {
		env[k] = subst(v)
	}
	args := make([]string, len(start.Args))
	for i, a := range start.Args {
		args[i] = subst(a)
	}

	srv := testsupport.StartService(t)
	sys := newTestSystem(t, env)
	if code := sys.run(t, append([]string{"report", "--endpoint", srv.URL, "--tbot-version", version, "--"}, args...)...); code != 0 {
		t.Fatalf("exit %d; stderr:\n%s", code, sys.err)
	}
	events := srv.Events()

	want := start.Event
	if want != nil && want.JoinType != "" && !release.AnyReleaseAccepts(want.JoinType) {
		want = nil // the privacy rule: text that no release accepts never leaves
	}
	if doNotTrack, _ := strconv.ParseBool(env["DO_NOT_TRACK"]); doNotTrack {
		want = nil
	}
	switch {
	case want == nil && len(events) == 0:
		return
	case want == nil:
		t.Fatalf("sent an event where tbot %s sent none (or one with a join method it does not accept); stderr:\n%s", version, sys.err)
	case len(events) != 1:
		t.Fatalf("sent %d events where tbot %s sent one; stderr:\n%s", len(events), version, sys.err)
	}
	got := event.PostHogView(events[0], testsupport.Now()).Properties
	expected := *want
	expected.Helper, expected.HelperVersion = cleanedLikeThisProgram(expected.Helper), cleanedLikeThisProgram(expected.HelperVersion)
	if got != expected {
		t.Errorf("event differs from tbot %s's\n got  %+v\n want %+v\nstderr:\n%s", version, got, expected, sys.err)
	}
}

// cleanedLikeThisProgram is README.md's helper-string rule ("The event"), written
// here on its own: printable ASCII only, at most 128 bytes.
func cleanedLikeThisProgram(s string) string {
	var kept []byte
	for i := 0; i < len(s) && len(kept) < 128; i++ {
		if s[i] >= 0x20 && s[i] <= 0x7e {
			kept = append(kept, s[i])
		}
	}
	return string(kept)
}
