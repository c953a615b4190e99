package event

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
	"github.com/tbot-telemetry/tbot-telemetry/release"
)

var fixed = Sources{Now: testsupport.Now, NewID: testsupport.NewID}

// README.md's example event ("The event"), derived and rendered.
func TestDeriveContractExample(t *testing.T) {
	view := &config.View{Release: release.For("17.4.2"), Oneshot: true, JoinMethod: "github", Counted: []string{"identity", "kubernetes", "application"}}
	env := config.Env{EnvHelper: "gha:teleport-actions/auth", EnvHelperVersion: "2.1.2"}
	req, err := Derive(view, env, "v17.4.2", fixed)
	if err != nil {
		t.Fatal(err)
	}
	line, err := MarshalLine(req, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"event":"tbot.start","distinct_id":"0b6f3c1e-8a4d-4e2b-9c7a-1d2e3f405162","timestamp":"2026-11-26T06:00:00.123Z",` +
		`"properties":{"tbot.run_mode":"one-shot","tbot.version":"17.4.2","tbot.join_type":"github",` +
		`"tbot.helper":"gha:teleport-actions/auth","tbot.helper_version":"2.1.2",` +
		`"tbot.destinations_other":1,"tbot.destinations_database":0,` +
		`"tbot.destinations_kubernetes":1,"tbot.destinations_application":1}}` + "\n"
	if string(line) != want {
		t.Errorf("got  %s\nwant %s", line, want)
	}
}

func TestDeriveDefaults(t *testing.T) {
	// tbot 12-13 reported token when nothing set a join method; later
	// releases report nothing.
	for version, joinType := range map[string]string{"13.1.3": "token", "12.1.0": "token", "15.0.0-dev": "", "17.4.2": "", "": ""} {
		req, err := Derive(&config.View{Release: release.For(version)}, config.Env{EnvHelperVersion: "9.9.9"}, version, fixed)
		if err != nil {
			t.Fatal(err)
		}
		p := PostHogView(req, time.Time{}).Properties
		want := Properties{RunMode: "daemon", JoinType: joinType, Version: version}
		if p != want {
			t.Errorf("%s: got %+v, want %+v (helper_version only with a helper)", version, p, want)
		}
	}
}

// All nine properties are always present, zero or empty as they may be.
func TestAllPropertiesPresent(t *testing.T) {
	req, err := Derive(newestView(), nil, "", fixed)
	if err != nil {
		t.Fatal(err)
	}
	line, _ := MarshalLine(req, time.Time{})
	var got struct {
		Properties map[string]any `json:"properties"`
	}
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"tbot.run_mode", "tbot.version", "tbot.join_type", "tbot.helper", "tbot.helper_version",
		"tbot.destinations_other", "tbot.destinations_database", "tbot.destinations_kubernetes", "tbot.destinations_application"} {
		if _, ok := got.Properties[k]; !ok {
			t.Errorf("property %s missing from %s", k, line)
		}
	}
	if len(got.Properties) != 9 {
		t.Errorf("want 9 properties, got %d", len(got.Properties))
	}
}

func TestHelperCleaned(t *testing.T) {
	long := strings.Repeat("h", 300)
	req, err := Derive(newestView(), config.Env{EnvHelper: "gha:\x1b[31mred\x00\n" + long, EnvHelperVersion: "1.0\t\xff"}, "", fixed)
	if err != nil {
		t.Fatal(err)
	}
	s := req.GetStart()
	if want := ("gha:[31mred" + long)[:MaxHelperLen]; s.Helper != want {
		t.Errorf("helper %q, want %q", s.Helper, want)
	}
	if s.HelperVersion != "1.0" {
		t.Errorf("helper version %q, want 1.0", s.HelperVersion)
	}
}

func TestNormalizeVersion(t *testing.T) {
	for in, want := range map[string]string{
		"v17.4.2": "17.4.2", "17.4.2": "17.4.2", " v18.0.0-beta.1 ": "18.0.0-beta.1", "12.1.0+dev": "12.1.0+dev",
		"": "", "v": "", "latest": "", "17.4.2 secret": "", strings.Repeat("1", 100): "",
	} {
		if got := NormalizeVersion(in); got != want {
			t.Errorf("NormalizeVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDeriveIDFailure(t *testing.T) {
	src := fixed
	src.NewID = func() (uuid.UUID, error) { return uuid.Nil, errors.New("no entropy") }
	if _, err := Derive(newestView(), nil, "", src); err == nil || !strings.Contains(err.Error(), "no entropy") {
		t.Errorf("got %v, want the ID source's error", err)
	}
}

func TestPostHogViewIngestTime(t *testing.T) {
	req, _ := Derive(newestView(), nil, "", fixed)
	req.Timestamp = nil
	received := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.FixedZone("x", 3600))
	if got := PostHogView(req, received).Timestamp; got != "2026-01-02T02:04:05.006Z" {
		t.Errorf("timestamp %q, want the ingest time in UTC", got)
	}
}

func newestView() *config.View { return &config.View{Release: release.For("")} }

// Every line counts only application, database and kubernetes entries in
// their own counters, tunnels and kubernetes/v2 included in other.
func TestDeriveCountsAsTbotCode(t *testing.T) {
	view := newestView()
	view.Counted = []string{"application", "application-tunnel", "application-proxy", "database", "database-tunnel",
		"kubernetes", "kubernetes/v2", "kubernetes/argo-cd", "identity", "never-heard-of-it"}
	req, err := Derive(view, nil, "", fixed)
	if err != nil {
		t.Fatal(err)
	}
	s := req.GetStart()
	got := [4]int32{s.DestinationsApplication, s.DestinationsDatabase, s.DestinationsKubernetes, s.DestinationsOther}
	if want := [4]int32{1, 1, 1, 7}; got != want {
		t.Errorf("application, database, kubernetes, other = %v, want %v", got, want)
	}
}

// The helper strings keep printable ASCII, space (0x20) to tilde (0x7e)
// both included, and at most 128 bytes of it: what is dropped does not
// count against the bound.
func TestHelperCleaningBounds(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"the ends of printable ASCII", " gha:~ ", " gha:~ "},
		{"just outside them", "\x1fgha\x7f\x80", "gha"},
		{"exactly 128 bytes", strings.Repeat("a", 128), strings.Repeat("a", 128)},
		{"129 bytes", strings.Repeat("b", 129), strings.Repeat("b", 128)},
		{"dropped bytes do not count", strings.Repeat("\x00", 200) + strings.Repeat("c", 128), strings.Repeat("c", 128)},
		{"UTF-8", "héllo", "hllo"},
		{"empty", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req, err := Derive(newestView(), config.Env{EnvHelper: tt.in, EnvHelperVersion: tt.in}, "", fixed)
			if err != nil {
				t.Fatal(err)
			}
			s := req.GetStart()
			if s.Helper != tt.want {
				t.Errorf("helper %q, want %q", s.Helper, tt.want)
			}
			if s.HelperVersion != tt.want {
				t.Errorf("helper version %q, want %q", s.HelperVersion, tt.want)
			}
		})
	}
}

// The event's timestamp is the start time as the clock gave it, to the
// nanosecond on the wire (as tbot's timestamppb.Now); the PostHog view
// writes it in UTC with exactly three fractional digits, cut, not rounded.
func TestTimestamp(t *testing.T) {
	at := time.Date(2026, 11, 26, 7, 0, 0, 999_999_999, time.FixedZone("CET", 3600))
	src := Sources{Now: func() time.Time { return at }, NewID: testsupport.NewID}
	req, err := Derive(newestView(), nil, "", src)
	if err != nil {
		t.Fatal(err)
	}
	if ts := req.GetTimestamp(); ts.GetSeconds() != at.Unix() || ts.GetNanos() != 999_999_999 {
		t.Errorf("wire timestamp %d s %d ns, want %d s 999999999 ns", ts.GetSeconds(), ts.GetNanos(), at.Unix())
	}
	for in, want := range map[time.Time]string{
		at: "2026-11-26T06:00:00.999Z",
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC):           "2026-01-02T03:04:05.000Z",
		time.Date(2026, 1, 2, 3, 4, 5, 1_500_000, time.UTC):   "2026-01-02T03:04:05.001Z",
		time.Date(2026, 1, 2, 3, 4, 5, 120_000_000, time.UTC): "2026-01-02T03:04:05.120Z",
	} {
		req.Timestamp = timestamppb.New(in)
		if got := PostHogView(req, time.Time{}).Timestamp; got != want {
			t.Errorf("timestamp of %v: %q, want %q", in, got, want)
		}
	}
}

// Run mode and the view's join method; an unknown run mode is left empty.
func TestRunModeAndJoinType(t *testing.T) {
	view := newestView()
	view.JoinMethod = "iam"
	req, err := Derive(view, nil, "", fixed)
	if err != nil {
		t.Fatal(err)
	}
	if p := PostHogView(req, time.Time{}).Properties; p.RunMode != "daemon" || p.JoinType != "iam" {
		t.Errorf("run mode %q, join type %q; want daemon, iam", p.RunMode, p.JoinType)
	}
	view.Oneshot = true
	req, _ = Derive(view, nil, "", fixed)
	if p := PostHogView(req, time.Time{}).Properties; p.RunMode != "one-shot" {
		t.Errorf("run mode %q, want one-shot", p.RunMode)
	}
	req.GetStart().RunMode = prehogv1alpha.TbotStartEvent_RUN_MODE_UNSPECIFIED
	if p := PostHogView(req, time.Time{}).Properties; p.RunMode != "" {
		t.Errorf("run mode %q for an unspecified one, want empty", p.RunMode)
	}
}

// tbot 12-13 reported token only when nothing set a join method: one that
// the configuration sets is reported as it is, on every release line.
func TestJoinMethodSetWinsOverReleaseDefault(t *testing.T) {
	for _, version := range []string{"12.1.0", "13.1.3", "17.4.2"} {
		view := &config.View{Release: release.For(version), JoinMethod: "iam"}
		req, err := Derive(view, nil, version, fixed)
		if err != nil {
			t.Fatal(err)
		}
		if got := req.GetStart().GetJoinType(); got != "iam" {
			t.Errorf("%s: join type %q, want the configured iam", version, got)
		}
	}
}

// The variables that helpers set, by the names teleport-actions uses,
// written out here rather than read from the constants.
func TestHelperVariableNames(t *testing.T) {
	env := config.Env{"_TBOT_TELEMETRY_HELPER": "gha:teleport-actions/auth-k8s", "_TBOT_TELEMETRY_HELPER_VERSION": "2.0.0"}
	req, err := Derive(newestView(), env, "", fixed)
	if err != nil {
		t.Fatal(err)
	}
	if s := req.GetStart(); s.GetHelper() != "gha:teleport-actions/auth-k8s" || s.GetHelperVersion() != "2.0.0" {
		t.Errorf("helper %q, helper version %q; want gha:teleport-actions/auth-k8s, 2.0.0", s.GetHelper(), s.GetHelperVersion())
	}
}

// Each count lands in its own PostHog property: counts that differ from
// one another so that a property carrying another's count shows.
func TestPostHogViewCounts(t *testing.T) {
	view := newestView()
	view.Counted = []string{"application", "database", "database", "kubernetes", "kubernetes", "kubernetes",
		"identity", "identity", "identity", "identity"}
	req, err := Derive(view, nil, "", fixed)
	if err != nil {
		t.Fatal(err)
	}
	p := PostHogView(req, time.Time{}).Properties
	got := [4]int32{p.DestinationsApplication, p.DestinationsDatabase, p.DestinationsKubernetes, p.DestinationsOther}
	if want := [4]int32{1, 2, 3, 4}; got != want {
		t.Errorf("application, database, kubernetes, other = %v, want %v", got, want)
	}
}
