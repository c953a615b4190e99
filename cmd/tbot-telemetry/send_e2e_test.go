package main

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
	"github.com/tbot-telemetry/tbot-telemetry/optin"
)

// sendConfig is a v2 file with one output or service in each bucket.
const sendConfig = `version: v2
proxy_server: teleport.example.com:443
onboarding:
  join_method: gitlab
  token: gitlab-bot
outputs:
  - type: application
    app_name: grafana
    destination: {type: memory}
  - type: database
    service: pg
    database: orders
    username: reader
    destination: {type: memory}
services:
  - type: kubernetes/v2
    selectors: [{name: prod}]
    destination: {type: directory, path: /opt/kube}
  - type: ssh-multiplexer
    destination: {type: directory, path: /opt/mux}
`

func writeFile(t *testing.T, path, content string, mode os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	return path
}

// wantSendConfigEvent is the event of sendConfig with --oneshot.
func wantSendConfigEvent(id string, ts time.Time) *prehogv1alpha.SubmitTbotEventRequest {
	return &prehogv1alpha.SubmitTbotEventRequest{
		DistinctId: id,
		Timestamp:  timestamppb.New(ts),
		Event: &prehogv1alpha.SubmitTbotEventRequest_Start{Start: &prehogv1alpha.TbotStartEvent{
			RunMode:                 prehogv1alpha.TbotStartEvent_RUN_MODE_ONE_SHOT,
			Version:                 "19.1.0",
			JoinType:                "gitlab",
			Helper:                  "gha:teleport-actions/auth",
			HelperVersion:           "2.1.2",
			DestinationsOther:       2, // kubernetes/v2 and ssh-multiplexer, as tbot counts them
			DestinationsDatabase:    1,
			DestinationsKubernetes:  0,
			DestinationsApplication: 1,
		}},
	}
}

var helperEnv = config.Env{"_TBOT_TELEMETRY_HELPER": "gha:teleport-actions/auth", "_TBOT_TELEMETRY_HELPER_VERSION": "2.1.2"}

func withEnv(base config.Env, kv ...string) config.Env {
	env := config.Env{}
	for k, v := range base {
		env[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		env[kv[i]] = kv[i+1]
	}
	return env
}

func sendEnvList(env config.Env) []string {
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	return list
}

// runBinary runs the built binary with exactly env (nothing of the test
// process's own environment, proxies included).
func runBinary(t *testing.T, env config.Env, args ...string) testsupport.Result {
	t.Helper()
	return testsupport.Run(t, 30*time.Second, sendEnvList(env), append([]string{buildBinary(t)}, args...)...)
}

func linesAt(lines []map[string]any, level string) []map[string]any {
	var out []map[string]any
	for _, l := range lines {
		if l["level"] == level {
			out = append(out, l)
		}
	}
	return out
}

// The whole program in-process: the event arrives, field for field.
func TestReportSendsEvent(t *testing.T) {
	srv := testsupport.StartService(t)
	cfg := writeFile(t, filepath.Join(t.TempDir(), "tbot.yaml"), sendConfig, 0o600)
	sys := newTestSystem(t, withEnv(helperEnv, "TELEPORT_ANONYMOUS_TELEMETRY", "1"))
	code := sys.run(t, "report", "--endpoint", srv.URL, "--tbot-version", "19.1.0", "--", "start", "-c", cfg, "--oneshot")
	if code != 0 || sys.out.Len() != 0 {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", code, sys.out, sys.err)
	}
	events := srv.Events()
	if len(events) != 1 {
		t.Fatalf("%d events, want 1; stderr:\n%s", len(events), sys.err)
	}
	if want := wantSendConfigEvent(testsupport.ID, testsupport.Now()); !proto.Equal(events[0], want) {
		t.Errorf("event\n got %v\nwant %v", events[0], want)
	}
	if lines := strings.Split(strings.TrimSpace(sys.err.String()), "\n"); len(lines) != 1 ||
		!strings.Contains(lines[0], " INFO [TBOT-TELE] ") || !strings.Contains(lines[0], "Anonymous telemetry is enabled.") {
		t.Errorf("want only the info line, got:\n%s", sys.err)
	}
}

// A tbot that never answers `tbot version` takes only the probe's share of
// the deadline (a third): the event is still sent, with no version, by
// the newest rules, and with one warning about the version.
func TestReportProbeTakesOnlyItsShare(t *testing.T) {
	t.Parallel()
	srv := testsupport.StartService(t)
	cfg := writeFile(t, filepath.Join(t.TempDir(), "tbot.yaml"), sendConfig, 0o600)
	tbot := writeFile(t, filepath.Join(t.TempDir(), "tbot"), "#!/bin/sh\nexec sleep 30\n", 0o755)
	sys := newTestSystem(t, withEnv(config.Env{"PATH": "/usr/bin:/bin"}, "TELEPORT_ANONYMOUS_TELEMETRY", "1"))
	code := sys.run(t, "report", "--strict", "--timeout=1500ms", "--endpoint", srv.URL, "--tbot-path", tbot, "--", "start", "-c", cfg)
	if code != 0 || len(srv.Events()) != 1 {
		t.Fatalf("exit %d, %d events; want the event sent after the probe gave up; stderr:\n%s", code, len(srv.Events()), sys.err)
	}
	if v := srv.Events()[0].GetStart().GetVersion(); v != "" {
		t.Errorf("version %q, want none", v)
	}
	if !strings.Contains(sys.err.String(), "Could not ask tbot for its version") {
		t.Errorf("no warning about the version:\n%s", sys.err)
	}
}

// The built binary, end to end, as a systemd ExecStartPost= would run it.
func TestBinaryReportSendsEvent(t *testing.T) {
	srv := testsupport.StartService(t)
	cfg := writeFile(t, filepath.Join(t.TempDir(), "tbot.yaml"), sendConfig, 0o600)
	before := time.Now()
	run := runBinary(t, withEnv(helperEnv, "TELEPORT_ANONYMOUS_TELEMETRY", "1"),
		"report", "--endpoint", "http://"+srv.Listener.Addr().String(), "--tbot-version", "19.1.0", "--", "start", "-c", cfg, "--oneshot")
	after := time.Now()
	if run.Code != 0 || run.Stdout != "" || strings.Contains(run.Stderr, " WARN [TBOT-TELE] ") {
		t.Fatalf("exit %d, stdout %q, stderr:\n%s", run.Code, run.Stdout, run.Stderr)
	}
	events := srv.Events()
	if len(events) != 1 {
		t.Fatalf("%d events, want 1", len(events))
	}
	ev := events[0]
	id, err := uuid.Parse(ev.GetDistinctId())
	if err != nil || id.Version() != 4 {
		t.Errorf("distinct_id %q is not a random UUID", ev.GetDistinctId())
	}
	if ts := ev.GetTimestamp().AsTime(); ts.Before(before.Truncate(time.Millisecond)) || ts.After(after) {
		t.Errorf("timestamp %v not within the run (%v .. %v)", ts, before, after)
	}
	if want := wantSendConfigEvent(ev.GetDistinctId(), ev.GetTimestamp().AsTime()); !proto.Equal(ev, want) {
		t.Errorf("event\n got %v\nwant %v", ev, want)
	}

	// The endpoint from tbot's own variable, and tbot's success line.
	run = runBinary(t, withEnv(helperEnv, "TELEPORT_ANONYMOUS_TELEMETRY", "true", "TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS", srv.URL),
		"report", "--tbot-version", "19.1.0", "--", "-d", "start", "-c", cfg)
	events = srv.Events()
	if run.Code != 0 || len(events) != 2 {
		t.Fatalf("exit %d, %d events; stderr:\n%s", run.Code, len(events), run.Stderr)
	}
	if !strings.Contains(run.Stderr, ` Successfully transmitted anonymous telemetry distinct_id:`+events[1].GetDistinctId()+" duration:") {
		t.Errorf("want tbot's debug line on success (tbot's -d), got:\n%s", run.Stderr)
	}
}

// probeScript is a --tbot-path that leaves a mark when it runs.
func probeScript(t *testing.T, dir string) (script, marker string) {
	marker = filepath.Join(dir, "probed")
	script = writeFile(t, filepath.Join(dir, "tbot"),
		"#!/bin/sh\necho probed >> '"+marker+"'\necho 'Teleport v19.1.0 git:v19.1.0-0-g1234567 go1.24.4'\n", 0o755)
	return script, marker
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

const docsSuffix = " Find out more about anonymous telemetry at " + optin.DocsURL

// The opt-in, as tbot reads it plus DO_NOT_TRACK: when disabled, no
// version probe runs and no connection is made; one info line says so in
// tbot's words.
func TestReportOptIn(t *testing.T) {
	tests := []struct {
		name    string
		env     config.Env
		enabled bool
	}{
		{"unset", config.Env{}, false},
		{"empty", config.Env{"TELEPORT_ANONYMOUS_TELEMETRY": ""}, false},
		{"0", config.Env{"TELEPORT_ANONYMOUS_TELEMETRY": "0"}, false},
		{"1", config.Env{"TELEPORT_ANONYMOUS_TELEMETRY": "1"}, true},
		{"true", config.Env{"TELEPORT_ANONYMOUS_TELEMETRY": "true"}, true},
		{"TRUE", config.Env{"TELEPORT_ANONYMOUS_TELEMETRY": "TRUE"}, true},
		{"yes", config.Env{"TELEPORT_ANONYMOUS_TELEMETRY": "yes"}, false},
		{"garbage", config.Env{"TELEPORT_ANONYMOUS_TELEMETRY": "mkr\x00garbage"}, false},
		{"DO_NOT_TRACK=1 wins", config.Env{"TELEPORT_ANONYMOUS_TELEMETRY": "1", "DO_NOT_TRACK": "1"}, false},
		{"DO_NOT_TRACK=true wins", config.Env{"TELEPORT_ANONYMOUS_TELEMETRY": "1", "DO_NOT_TRACK": "true"}, false},
		{"DO_NOT_TRACK=0", config.Env{"TELEPORT_ANONYMOUS_TELEMETRY": "1", "DO_NOT_TRACK": "0"}, true},
		{"DO_NOT_TRACK=garbage", config.Env{"TELEPORT_ANONYMOUS_TELEMETRY": "1", "DO_NOT_TRACK": "nope"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			srv := testsupport.StartService(t)
			script, marker := probeScript(t, dir)
			cfg := writeFile(t, filepath.Join(dir, "tbot.yaml"), sendConfig, 0o600)
			sys := newTestSystem(t, tt.env)
			code := sys.run(t, "report", "--endpoint", srv.URL, "--tbot-path", script, "--", "start", "-c", cfg)
			if code != 0 {
				t.Fatalf("exit %d", code)
			}
			lines := strings.Split(strings.TrimSpace(sys.err.String()), "\n")
			events := srv.Events()
			if tt.enabled {
				if len(events) != 1 || events[0].GetStart().GetVersion() != "19.1.0" || !exists(marker) {
					t.Fatalf("enabled: %d events, probe ran %v; stderr:\n%s", len(events), exists(marker), sys.err)
				}
				if !strings.Contains(lines[0], ` INFO [TBOT-TELE] Anonymous telemetry is enabled.`+docsSuffix+" ") {
					t.Errorf("want tbot's info line first, got:\n%s", sys.err)
				}
				return
			}
			if srv.Connections() != 0 || exists(marker) {
				t.Errorf("disabled, yet %d connections, probe ran %v", srv.Connections(), exists(marker))
			}
			if len(lines) != 1 || !strings.Contains(lines[0], ` INFO [TBOT-TELE] Anonymous telemetry is not enabled.`+docsSuffix+" ") {
				t.Errorf("want exactly tbot's info line, got:\n%s", sys.err)
			}
		})
	}
}

// When disabled, nothing is read: inputs that warn as soon as they are
// read (the enabled runs prove they do) stay silent.
func TestReportDisabledReadsNothing(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "tbot.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  config.Env
		args []string
	}{
		{"config is a FIFO", nil, []string{"start", "-c", fifo}},
		{"config is missing", nil, []string{"start", "-c", filepath.Join(dir, "missing.yaml")}},
		{"TBOT_CONFIG is not base64", config.Env{"TBOT_CONFIG": "!!not base64!!"}, []string{"start"}},
		{"TBOT_CONFIG_PATH is a FIFO", config.Env{"TBOT_CONFIG_PATH": fifo}, []string{"start", "--oneshot"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, enabled := range []bool{false, true} {
				srv := testsupport.StartService(t)
				script, marker := probeScript(t, t.TempDir())
				env := withEnv(tt.env)
				if enabled {
					env["TELEPORT_ANONYMOUS_TELEMETRY"] = "1"
				}
				sys := newTestSystem(t, env)
				code := sys.run(t, append([]string{"report", "--endpoint", srv.URL, "--tbot-path", script, "--"}, tt.args...)...)
				warned := countTextLevel(t, sys.err.String(), "WARN") > 0
				// Enabled, tbot is asked its version first: it says which
				// release's rules read the rest.
				if code != 0 || srv.Connections() != 0 || (!enabled && exists(marker)) {
					t.Errorf("enabled=%v: exit %d, %d connections, probe ran %v", enabled, code, srv.Connections(), exists(marker))
				}
				if warned != enabled {
					t.Errorf("enabled=%v: warned %v:\n%s", enabled, warned, sys.err)
				}
			}
		})
	}
}

// A send that fails is one warning with a safe phrase, exit 0 (1 with
// --strict), and the run ends by the deadline.
func TestBinaryReportSendFailures(t *testing.T) {
	cfg := writeFile(t, filepath.Join(t.TempDir(), "tbot.yaml"), sendConfig, 0o600)
	refusing := testsupport.StartService(t)
	refusing.Refuse(connect.NewError(connect.CodeInvalidArgument, errors.New("event refused")))
	redirecting := httptest.NewServer(http.RedirectHandler("http://127.0.0.1:9/elsewhere", http.StatusFound))
	t.Cleanup(redirecting.Close)

	tests := []struct {
		name     string
		endpoint string
		extra    []string
		code     int
		want     string
	}{
		{"connection refused", testsupport.ClosedPortURL(t), nil, 0, "unavailable: connection refused"},
		{"connection refused, strict", testsupport.ClosedPortURL(t), []string{"--strict"}, 1, "unavailable: connection refused"},
		{"never answers", testsupport.StartSilentEndpoint(t).URL, nil, 0, "deadline_exceeded: no answer within the deadline"},
		{"refused by the service", refusing.URL, []string{"--strict"}, 1, "invalid_argument: event refused"},
		{"redirect", redirecting.URL, nil, 0, "unknown: redirect not followed (http status 302)"},
		// (An --endpoint without http:// or https:// is a misuse of the
		// flag: TestUsage.)
		{"malformed endpoint", "http://mkr-user:mkr-pass@[mkr-host.example/mkr-path", nil, 0, "invalid_argument: endpoint is not a valid url"},
	}
	const timeout = 800 * time.Millisecond
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"report", "--endpoint", tt.endpoint, "--timeout", timeout.String(),
				"--tbot-version", "19.1.0", "--log-format", "json"}, tt.extra...)
			run := runBinary(t, config.Env{"TELEPORT_ANONYMOUS_TELEMETRY": "1"}, append(args, "--", "start", "-c", cfg)...)
			if run.Code != tt.code || run.Stdout != "" {
				t.Errorf("exit %d (want %d), stdout %q", run.Code, tt.code, run.Stdout)
			}
			warnings := linesAt(testsupport.LogLines(t, run.Stderr), "warning")
			if len(warnings) != 1 || warnings[0]["message"] != "Failed to send anonymous telemetry." || warnings[0]["error"] != tt.want {
				t.Errorf("want one warning with error %q, got:\n%s", tt.want, run.Stderr)
			}
			if strings.Contains(run.Stderr, "mkr") || strings.Contains(run.Stderr, strings.TrimPrefix(tt.endpoint, "http://")) {
				t.Errorf("stderr names the endpoint:\n%s", run.Stderr)
			}
			// Generous: the bound is the point, not the speed.
			if run.Elapsed > timeout+5*time.Second {
				t.Errorf("ran %v with a %v deadline", run.Elapsed, timeout)
			}
		})
	}
}

// Privacy: nothing of tbot's configuration (secrets, addresses, paths,
// names) reaches the wire, stdout or stderr, even with --debug. Every
// value planted below contains "mkr"; the helper is sent by design and is
// not planted.
func TestReportPrivacy(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "mkr-config-dir")
	fileA := writeFile(t, filepath.Join(dir, "mkr-a.yaml"), `version: v2
proxy_server: mkr-proxy-host.example:443
onboarding:
  join_method: github
  token: mkr-token-name
  github:
    enterprise_server_host: mkr-ghes.example
credential_ttl: 1h
storage:
  type: directory
  path: /var/lib/mkr-storage-path
mkr-unknown-key: mkr-unknown-value
outputs:
  - type: identity
    cluster: mkr-cluster-name
    destination:
      type: directory
      path: /opt/mkr-output-path
  - type: application
    app_name: mkr-app-name
    destination:
      type: kubernetes_secret
      name: mkr-secret-name
  - type: database
    service: mkr-db-service
    database: mkr-db-name
    username: mkr-db-user
    destination: {type: memory}
services:
  - type: kubernetes/v2
    selectors: [{name: mkr-kube-cluster}, {labels: {mkr-label: mkr-label-value}}]
    destination: {type: directory, path: /opt/mkr-kube-path}
  - type: application-tunnel
    app_name: mkr-tunnel-app
    listen: tcp://mkr-listen-host.example:8443
  - type: mkr-future-service-type
    mkr-option: mkr-option-value
`, 0o600)
	fileC := `version: v2
join_uri: tbot+proxy+bound-keypair://mkr-uri-token:mkr-uri-secret@mkr-uri-host.example:443
onboarding:
  bound_keypair:
    registration_secret: mkr-registration-secret
services:
  - type: database-tunnel
    service: mkr-db-service
    database: mkr-db-name
    username: mkr-db-user
    listen: tcp://mkr-db-listen.example:5432
  - type: workload-identity-x509
    selector: {name: mkr-wid-name}
    destination: {type: directory, path: /opt/mkr-wid-path}
`
	pathC := writeFile(t, filepath.Join(dir, "mkr-c.yaml"), fileC, 0o600)
	badYAML := writeFile(t, filepath.Join(dir, "mkr-bad.yaml"), "version: v2\nmkr-key: [mkr-unclosed, {mkr-inner: mkr-value\n", 0o600)
	badVersion := writeFile(t, filepath.Join(dir, "mkr-version.yaml"), "version: mkr-version\n", 0o600)

	tests := []struct {
		name string
		env  config.Env
		args []string
		sent bool
	}{
		{"file, flags and env", config.Env{"TELEPORT_PROXY": "mkr-env-proxy.example:443"},
			[]string{"start", "-c", fileA, "--oneshot", "--certificate-ttl", "1h", "--diag-addr", "mkr-diag.example:3000",
				"--pid-file", "/run/mkr-pid-path/tbot.pid", "--data-dir", "/var/lib/mkr-data-dir", "--join-method", "github",
				"--future-flag", "mkr-future-value", "--future-flag2=mkr-future-value2"}, true},
		{"start mode flags over TBOT_CONFIG_PATH", config.Env{"TBOT_CONFIG_PATH": fileA, "TELEPORT_BOT_TOKEN": "mkr-env-token"},
			[]string{"start", "identity", "--destination", "/opt/mkr-dest-path", "--token", "mkr-flag-token", "--join-method", "github",
				"--proxy-server", "mkr-flag-proxy.example:443", "--storage", "/var/mkr-flag-storage", "--registration-secret", "mkr-flag-regsecret",
				"--cluster", "mkr-flag-cluster", "--reader-user", "mkr-reader-user", "--ca-pin", "sha256:mkr-ca-pin"}, true},
		{"join_uri in the file", nil, []string{"start", "-c", pathC}, true},
		{"join_uri flag", nil,
			[]string{"start", "app-tunnel", "--join-uri", "tbot+proxy+github://mkr-flag-uri-token:mkr-flag-uri-secret@mkr-flag-uri-host.example:443",
				"--app", "mkr-flag-app", "--listen", "tcp://mkr-listen.example:1234", "--registration-secret-path", "/run/mkr-regsecret-path"}, true},
		{"TBOT_CONFIG", config.Env{"TBOT_CONFIG": base64.StdEncoding.EncodeToString([]byte(fileC))}, []string{"start"}, true},
		// tbot applies join_uri after its event is on its way: this sends.
		{"join_uri with a token", nil, []string{"start", "-c", pathC, "--token", "mkr-conflict-token"}, true},
		{"refused: a join method of no release", nil, []string{"start", "--join-method", "mkr-method"}, false},
		{"refused: malformed file", nil, []string{"start", "-c", badYAML}, false},
		{"refused: unknown version", nil, []string{"start", "-c", badVersion}, false},
		{"refused: missing file", nil, []string{"start", "-c", filepath.Join(dir, "mkr-missing.yaml")}, false},
	}
	check := func(t *testing.T, how string, srv *testsupport.Service, sent bool, stdout, stderr string) {
		t.Helper()
		events := srv.Events()
		var request strings.Builder
		for _, r := range srv.Requests() {
			request.WriteString(r.Text())
		}
		if sent && len(events) != 1 {
			t.Fatalf("%s: %d events, want 1; stderr:\n%s", how, len(events), stderr)
		}
		if !sent && (srv.Connections() != 0 || !strings.Contains(stderr, `"level":"warning"`) && !strings.Contains(stderr, " WARN [TBOT-TELE] ")) {
			t.Fatalf("%s: want a warning and no connection, got %d connections; stderr:\n%s", how, srv.Connections(), stderr)
		}
		for name, text := range map[string]string{"request": request.String(), "stdout": stdout, "stderr": stderr} {
			if i := strings.Index(strings.ToLower(text), "mkr"); i >= 0 {
				t.Errorf("%s: %s carries a planted value near %q:\n%s", how, name, text[max(0, i-40):min(len(text), i+40)], text)
			}
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := withEnv(tt.env, "TELEPORT_ANONYMOUS_TELEMETRY", "1", "_TBOT_TELEMETRY_HELPER", "gha:teleport-actions/auth")

			srv := testsupport.StartService(t)
			sys := newTestSystem(t, env)
			sys.run(t, append([]string{"report", "--endpoint", srv.URL, "--tbot-version", "19.1.0", "--debug", "--log-format", "json", "--"}, tt.args...)...)
			check(t, "in-process", srv, tt.sent, sys.out.String(), sys.err.String())

			srv = testsupport.StartService(t)
			run := runBinary(t, env, append([]string{"report", "--endpoint", srv.URL, "--tbot-version", "19.1.0", "--debug", "--"}, tt.args...)...)
			check(t, "binary", srv, tt.sent, run.Stdout, run.Stderr)
			if tt.sent && !strings.Contains(run.Stderr, "Successfully transmitted anonymous telemetry") {
				t.Errorf("binary: no success line:\n%s", run.Stderr)
			}
		})
	}
}
