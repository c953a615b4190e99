package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
	"github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha/prehogv1alphaconnect"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// End-to-end tests of collect as a fleet runs it (docs/collect.md, "More
// than one collect", "TLS"): several built collects each with its own
// file feeding one PostHog stand-in, and collect serving TLS to report.

// startProxyOn serves a reverse proxy to target on addr until the test
// ends: one collect's own way to PostHog, which can be down while the
// others' is not.
func startProxyOn(t *testing.T, addr, target string) {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: httputil.NewSingleHostReverseProxy(u), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
}

// fleetEvent is a start event as tbot sends it, with its own start time,
// so that the same start sent to two collects (a sender retrying on
// another machine) is the same event, with the same uuid.
func fleetEvent(id string, at time.Time) *prehogv1alpha.SubmitTbotEventRequest {
	e := collectEvent(id)
	e.Timestamp = timestamppb.New(at)
	return e
}

// Three collects behind a load balancer (here: the test sending each event
// to one of them in turn, and some to two), each with its own file, feeding
// one PostHog. One of them cannot reach PostHog for a while: the other two
// forward meanwhile. In the end PostHog has every event once: the same
// event sent to two collects carries the same uuid from both.
func TestCollectFleetFeedsOnePostHog(t *testing.T) {
	ph := testsupport.StartPostHog(t, posthogKey)
	cutOff := testsupport.FreeAddr(t)
	env := []string{"POSTHOG_API_KEY=" + posthogKey}
	var fleet []*collectProcess
	for _, host := range []string{ph.URL, ph.URL, "http://" + cutOff} {
		output := filepath.Join(t.TempDir(), "events.jsonl")
		fleet = append(fleet, collectStartEnv(t, env, "--output", output, "--posthog-host", host))
	}
	ctx, cancel := context.WithTimeout(context.Background(), collectBound)
	defer cancel()
	clients := make([]prehogv1alphaconnect.TbotReportingServiceClient, len(fleet))
	for i, c := range fleet {
		clients[i] = collectClient(t, c.baseURL(), false)
	}
	start := time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)
	var reachable, all []string
	for i := range 60 {
		id := uuid.NewString()
		to := []int{i % 3}
		if i%10 == 0 {
			to = append(to, (i+1)%3) // a sender's retry landing on another collect
		}
		for _, c := range to {
			if _, err := clients[c].SubmitTbotEvent(ctx, connect.NewRequest(fleetEvent(id, start.Add(time.Duration(i)*time.Second)))); err != nil {
				t.Fatal(err)
			}
		}
		all = append(all, id)
		if to[0] != 2 || len(to) > 1 {
			reachable = append(reachable, id)
		}
	}
	// The cut-off collect's outage holds up no one else.
	ph.WaitFor(t, len(reachable), collectBound)
	if health := healthz(t, fleet[2].baseURL()); health["waiting_lines"] == 0 || health["forwarded"] != 0 {
		t.Errorf("the cut-off collect: %v, want its events waiting", health)
	}
	startProxyOn(t, cutOff, ph.URL)
	ph.WaitFor(t, len(all), collectBound)
	for _, c := range fleet {
		waitAcknowledged(t, c.baseURL())
		if code := c.stop(syscall.SIGTERM); code != 0 {
			t.Fatalf("collect exited %d:\n%s", code, c.stderr.String())
		}
	}
	checkAllArrived(t, ph, all)
	if distinct, received, _ := ph.Counts(); distinct != 60 || received != 66 {
		t.Errorf("%d distinct events, %d received; want 60 distinct, the 6 sent twice received twice under one uuid", distinct, received)
	}
}

// collect serves TLS with --tls-cert-file and --tls-key-file: Connect over
// HTTP/1.1 and gRPC over HTTP/2 work, report sends to it trusting the
// certificate, TLS 1.1 is refused without the client's address in the
// logs; SIGHUP reads renewed files without a restart, and keeps the old
// certificate when the new files are bad.
func TestCollectTLS(t *testing.T) {
	testsupport.SkipIfInheritedIgnored(t, syscall.SIGHUP)
	dir := t.TempDir()
	certFile, keyFile, pool := testsupport.WriteCertificate(t, dir, "collect")
	output := filepath.Join(t.TempDir(), "events.jsonl")
	collector := collectStart(t, "--output", output, "--tls-cert-file", certFile, "--tls-key-file", keyFile)
	base := "https://" + collector.addr

	client := func(pool *x509.CertPool, h2 bool) prehogv1alphaconnect.TbotReportingServiceClient {
		var p http.Protocols
		if h2 {
			p.SetHTTP2(true)
		} else {
			p.SetHTTP1(true)
		}
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, Protocols: &p}
		t.Cleanup(tr.CloseIdleConnections)
		return prehogv1alphaconnect.NewTbotReportingServiceClient(&http.Client{Transport: tr}, base)
	}
	ctx, cancel := context.WithTimeout(context.Background(), collectBound)
	defer cancel()
	if _, err := client(pool, false).SubmitTbotEvent(ctx, connect.NewRequest(collectEvent(uuid.NewString()))); err != nil {
		t.Fatalf("Connect over TLS: %v", err)
	}
	grpc := prehogv1alphaconnect.NewTbotReportingServiceClient(&http.Client{Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}, base, connect.WithGRPC())
	if _, err := grpc.SubmitTbotEvent(ctx, connect.NewRequest(collectEvent(uuid.NewString()))); err != nil {
		t.Fatalf("gRPC over TLS: %v", err)
	}
	report := exec.CommandContext(ctx, buildBinary(t), "report", "--strict", "--endpoint", base, "--tbot-version", "19.1.0",
		"--", "start", "identity", "--destination", "./out", "--join-method", "github")
	report.Env = []string{"TELEPORT_ANONYMOUS_TELEMETRY=1", "SSL_CERT_FILE=" + certFile}
	report.Dir = t.TempDir()
	if out, err := report.CombinedOutput(); err != nil {
		t.Fatalf("report to collect over TLS: %v\n%s", err, out)
	}
	old, err := tls.Dial("tcp", collector.addr, &tls.Config{RootCAs: pool, MaxVersion: tls.VersionTLS11})
	if err == nil {
		old.Close()
		t.Error("a TLS 1.1 handshake succeeded")
	}

	// A renewal: new files, then SIGHUP.
	_, _, renewed := testsupport.WriteCertificate(t, dir, "collect")
	collector.signal(syscall.SIGHUP)
	waitStderr(t, collector, "SIGHUP: read the TLS certificate again.", 1)
	if _, err := client(renewed, false).SubmitTbotEvent(ctx, connect.NewRequest(collectEvent(uuid.NewString()))); err != nil {
		t.Fatalf("with the renewed certificate: %v", err)
	}
	if _, err := client(pool, false).SubmitTbotEvent(ctx, connect.NewRequest(collectEvent(uuid.NewString()))); err == nil {
		t.Error("the old certificate is still served after SIGHUP")
	}
	// Bad files: the renewed certificate stays.
	if err := os.WriteFile(certFile, []byte("not a certificate"), 0o600); err != nil {
		t.Fatal(err)
	}
	collector.signal(syscall.SIGHUP)
	waitStderr(t, collector, "SIGHUP: could not read the TLS certificate again; serving the one read before.", 1)
	if _, err := client(renewed, false).SubmitTbotEvent(ctx, connect.NewRequest(collectEvent(uuid.NewString()))); err != nil {
		t.Fatalf("after a bad renewal: %v", err)
	}

	if code := collector.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("collect exited %d:\n%s", code, collector.stderr.String())
	}
	if n := len(collectLines(t, testsupport.ReadFile(t, output))); n != 5 {
		t.Errorf("%d lines, want 5", n)
	}
	for _, l := range strings.Split(collector.stderr.String(), "\n") {
		if strings.Contains(l, "handshake") && strings.Contains(l, "127.0.0.1") {
			t.Errorf("a client's address in the logs: %s", l)
		}
	}
	if !strings.Contains(collector.stderr.String(), "A TLS handshake with a client failed.") {
		t.Errorf("no word of the failed handshake:\n%s", collector.stderr.String())
	}
}

// waitStderr waits until what collect logged holds want n times.
func waitStderr(t *testing.T, p *collectProcess, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(collectBound)
	for strings.Count(p.stderr.String(), want) < n {
		if time.Now().After(deadline) {
			t.Fatalf("stderr lacks %q:\n%s", want, p.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
