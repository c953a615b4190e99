package report

import (
	"strings"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// README.md, "Flags of report and exec": --endpoint, else
// TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS, else tbot's own endpoint, written
// out here as README.md gives it rather than taken from DefaultEndpoint.
func TestEndpointPrecedence(t *testing.T) {
	const (
		flag    = "http://127.0.0.1:1"
		address = "http://127.0.0.1:2"
		tbots   = "https://reporting-tbot.teleportinfra.sh"
	)
	tests := []struct {
		name, flag string
		env        testEnv
		want       string
	}{
		{"the flag over the variable", flag, testEnv{"TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS": address}, flag},
		{"the flag alone", flag, nil, flag},
		{"the variable over the default", "", testEnv{"TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS": address}, address},
		{"an empty variable is unset", "", testEnv{"TELEPORT_ANONYMOUS_TELEMETRY_ADDRESS": ""}, tbots},
		{"neither", "", nil, tbots},
	}
	for _, tt := range tests {
		if got := Endpoint(tt.flag, tt.env.get); got != tt.want {
			t.Errorf("%s: Endpoint = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := Endpoint("", nil); got != tbots {
		t.Errorf("nil getenv: Endpoint = %q, want %q", got, tbots)
	}
}

func TestSendMalformedEndpoint(t *testing.T) {
	tests := map[string]string{
		"":                             "invalid_argument: endpoint is empty",
		"   ":                          "invalid_argument: endpoint is empty",
		"://mkr-no-scheme":             "invalid_argument: endpoint is not a valid url",
		"http://mkr host/":             "invalid_argument: endpoint is not a valid url",
		"http://mkr-host:notaport":     "invalid_argument: endpoint is not a valid url",
		"ftp://mkr-host/":              "invalid_argument: endpoint scheme is not http or https",
		"mkr-host:8080":                "invalid_argument: endpoint scheme is not http or https",
		"127.0.0.1:8080":               "invalid_argument: endpoint is not a valid url",
		"http://":                      "invalid_argument: endpoint has no host",
		"https:///mkr-path":            "invalid_argument: endpoint has no host",
		"http://mkr-user:mkr-pass@:80": "invalid_argument: endpoint has no host",
	}
	for endpoint, want := range tests {
		res := send(t, endpoint, nil, 10*time.Second)
		if res.err == nil || res.err.Error() != want {
			t.Errorf("%q: Send returned %v, want %q", endpoint, res.err, want)
		}
		if len(res.guard.dialed()) != 0 || strings.Contains(res.logs+res.err.Error(), "mkr") {
			t.Errorf("%q: dialed %v, logs %s", endpoint, res.guard.dialed(), res.logs)
		}
	}
}

// Plain http leaves the machine only with a warning, and is still sent.
func TestSendPlainHTTPWarning(t *testing.T) {
	proxy := testsupport.StartService(t)
	res := send(t, "http://telemetry.invalid", testEnv{"HTTP_PROXY": proxy.URL}, 10*time.Second)
	if res.err != nil || len(proxy.Requests()) != 1 {
		t.Fatalf("Send: %v, %d requests", res.err, len(proxy.Requests()))
	}
	lines := testsupport.LogLines(t, res.logs)
	if countLevel(lines, "WARN") != 1 || !strings.Contains(res.logs, "plain http") || strings.Contains(res.logs, "telemetry.invalid") {
		t.Errorf("want one warning about plain http that does not name the host:\n%s", res.logs)
	}

	// The guard refuses to dial localhost (it would need a resolver); only
	// the absence of the warning counts there.
	srv := testsupport.StartService(t)
	for _, loopback := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		res = send(t, loopback, nil, 10*time.Second)
		if countLevel(testsupport.LogLines(t, res.logs), "WARN") != 0 {
			t.Errorf("%s: a loopback endpoint needs no warning:\n%s", loopback, res.logs)
		}
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost.": true, "127.0.0.1": true, "127.255.0.9": true, "::1": true, "::ffff:127.0.0.1": true,
		"0.0.0.0": false, "10.0.0.1": false, "::": false, "localhost.example.com": false, "example.com": false, "": false,
	} {
		if got := isLoopbackHost(host); got != want {
			t.Errorf("isLoopbackHost(%q) = %v", host, got)
		}
	}
}

// The endpoint's userinfo, path and query appear nowhere: not in the logs,
// not in the error.
func TestSendKeepsEndpointOutOfLogs(t *testing.T) {
	svc := testsupport.StartService(t)
	hostPort := strings.TrimPrefix(svc.URL, "http://")
	ok := send(t, "http://mkr-user:mkr-pass@"+hostPort, nil, 10*time.Second)
	if ok.err != nil || len(svc.Requests()) != 1 {
		t.Fatalf("Send: %v", ok.err)
	}
	failed := send(t, "http://mkr-user:mkr-pass@"+hostPort+"/mkr-path?mkr-query=mkr-value", nil, 10*time.Second)
	wantError(t, failed.err, "unimplemented: http status 404")
	for _, res := range []sendResult{ok, failed} {
		text := res.logs
		if res.err != nil {
			text += res.err.Error()
		}
		if strings.Contains(text, "mkr") || strings.Contains(text, hostPort) {
			t.Errorf("the endpoint leaked:\n%s", text)
		}
		if !strings.Contains(res.logs, `"scheme":"http"`) || !strings.Contains(res.logs, `"loopback":true`) {
			t.Errorf("want the endpoint named by scheme and loopback only:\n%s", res.logs)
		}
	}
}
