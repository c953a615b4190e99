package event

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

var fixed = Sources{Now: testsupport.Now, NewID: testsupport.NewID}

// The contract's bucket table, row by row.
func TestBucketOf(t *testing.T) {
	tests := map[string]Bucket{
		"application": Application, "application-tunnel": Application, "application-proxy": Application,
		"database": Database, "database-tunnel": Database,
		"kubernetes": Kubernetes, "kubernetes/v2": Kubernetes, "kubernetes/argo-cd": Kubernetes,
		"identity": Other, "identity/key-agent": Other, "ssh_host": Other, "ssh-multiplexer": Other,
		"workload-identity-x509": Other, "workload-identity-jwt": Other, "workload-identity-api": Other,
		"workload-identity-aws-roles-anywhere": Other, "beams/vnet": Other, "example": Other,
		"spiffe-svid": Other, "spiffe-workload-api": Other, "identity/piv-agent": Other,
		"never-heard-of-it": Other, "": Other, "Application": Other,
	}
	for typ, want := range tests {
		if got := BucketOf(typ); got != want {
			t.Errorf("BucketOf(%q) = %v, want %v", typ, got, want)
		}
	}
}

// The contract's dry-run example, derived and rendered.
func TestDeriveContractExample(t *testing.T) {
	view := &config.View{Oneshot: true, JoinMethod: "github", Services: []string{"identity", "kubernetes", "application"}}
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
	req, err := Derive(&config.View{}, config.Env{EnvHelperVersion: "9.9.9"}, "", fixed)
	if err != nil {
		t.Fatal(err)
	}
	p := PostHogView(req, time.Time{}).Properties
	want := Properties{RunMode: "daemon", JoinType: "token"}
	if p != want {
		t.Errorf("got %+v, want %+v (helper_version only with a helper)", p, want)
	}
}

// All nine properties are always present, zero or empty as they may be.
func TestAllPropertiesPresent(t *testing.T) {
	req, err := Derive(&config.View{}, nil, "", fixed)
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
	req, err := Derive(&config.View{}, config.Env{EnvHelper: "gha:\x1b[31mred\x00\n" + long, EnvHelperVersion: "1.0\t\xff"}, "", fixed)
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
	if _, err := Derive(&config.View{}, nil, "", src); err == nil || !strings.Contains(err.Error(), "no entropy") {
		t.Errorf("got %v, want the ID source's error", err)
	}
}

func TestPostHogViewIngestTime(t *testing.T) {
	req, _ := Derive(&config.View{}, nil, "", fixed)
	req.Timestamp = nil
	received := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.FixedZone("x", 3600))
	if got := PostHogView(req, received).Timestamp; got != "2026-01-02T02:04:05.006Z" {
		t.Errorf("timestamp %q, want the ingest time in UTC", got)
	}
}
