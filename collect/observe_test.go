package collect_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tbot-telemetry/tbot-telemetry/collect"
	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
	"github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha/prehogv1alphaconnect"
	"github.com/tbot-telemetry/tbot-telemetry/internal/logsummary"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// Tests of what the receiver tells an operator: its metrics, its bounded
// logs, and TLS with a certificate read again.

// serveWith serves receiver on loopback until the test ends and returns its
// base URL.
func serveWith(t *testing.T, receiver *collect.Receiver, serve collect.ServeOptions) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(receiver.Path(), receiver)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- collect.Serve(ctx, ln, mux, serve) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	scheme := "http://"
	if serve.TLS != nil {
		scheme = "https://"
	}
	return scheme + ln.Addr().String()
}

// Each request is counted as received, each refusal by its reason (those
// Connect refuses before the service included), each line written; the
// refusals are logged once, then summarised with their count.
func TestRefusalsAreCountedAndSummarised(t *testing.T) {
	reg := prometheus.NewRegistry()
	var logs testsupport.LockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	limiter := logsummary.New(log, time.Minute, testsupport.Now)
	var out testsupport.LockedBuffer
	receiver := collect.NewReceiver(&out, collect.Options{Now: testsupport.Now, Log: log, Limiter: limiter, Metrics: collect.NewMetrics(reg)})
	base := serveWith(t, receiver, collect.ServeOptions{Log: log})
	client := prehogv1alphaconnect.NewTbotReportingServiceClient(testsupport.HTTPClient(t, false), base)
	ctx := testContext(t, 30*time.Second)
	send := func(req *prehogv1alpha.SubmitTbotEventRequest) error {
		_, err := client.SubmitTbotEvent(ctx, connect.NewRequest(req))
		return err
	}
	for range 3 {
		if err := send(startEvent("not-a-uuid")); connect.CodeOf(err) != connect.CodeInvalidArgument {
			t.Fatalf("bad distinct_id: %v", err)
		}
	}
	noMode := startEvent(uuid.NewString())
	noMode.GetStart().RunMode = prehogv1alpha.TbotStartEvent_RUN_MODE_UNSPECIFIED
	if err := send(noMode); connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("no run mode: %v", err)
	}
	for range 2 {
		if err := send(startEvent(uuid.NewString())); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := http.Post(base+prehogv1alphaconnect.TbotReportingServiceSubmitTbotEventProcedure, "application/proto", strings.NewReader("\xff\xff\xff"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	got := testsupport.Samples(t, reg)
	for name, want := range map[string]float64{
		"tbot_collect_events_received_total":             7,
		"tbot_collect_events_written_total":              2,
		"tbot_collect_events_refused_total/distinct_id":  3,
		"tbot_collect_events_refused_total/run_mode":     1,
		"tbot_collect_events_refused_total/malformed":    1,
		"tbot_collect_events_refused_total/unwritable":   0,
		"tbot_collect_events_refused_total/unrenderable": 0,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	if n := receiver.Written(); n != 2 {
		t.Errorf("Written = %d, want 2", n)
	}
	if n := strings.Count(logs.String(), "Refused an event."); n != 1 {
		t.Errorf("%d refusal lines before the summary, want 1:\n%s", n, logs.String())
	}
	limiter.Flush(true)
	if !strings.Contains(logs.String(), `msg="Refused an event." reason="run_mode is not one-shot or daemon" repeated=3`) {
		t.Errorf("no summary of the 3 refusals after the first:\n%s", logs.String())
	}
}

// A line that cannot be written is refused as unwritable, counted, and its
// repeats summarised.
func TestWriteFailuresAreCountedAndSummarised(t *testing.T) {
	reg := prometheus.NewRegistry()
	var logs testsupport.LockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	receiver := collect.NewReceiver(failingWriter{}, collect.Options{Now: testsupport.Now, Log: log,
		Limiter: logsummary.New(log, time.Minute, testsupport.Now), Metrics: collect.NewMetrics(reg)})
	base := serveWith(t, receiver, collect.ServeOptions{Log: log})
	client := prehogv1alphaconnect.NewTbotReportingServiceClient(testsupport.HTTPClient(t, false), base)
	for range 5 {
		if _, err := client.SubmitTbotEvent(testContext(t, 30*time.Second), connect.NewRequest(startEvent(uuid.NewString()))); connect.CodeOf(err) != connect.CodeUnavailable {
			t.Fatalf("write failure answered %v, want unavailable", err)
		}
	}
	if n := receiver.Written(); n != 0 {
		t.Errorf("Written = %d, want 0", n)
	}
	if got := testsupport.Samples(t, reg)["tbot_collect_events_refused_total/unwritable"]; got != 5 {
		t.Errorf("unwritable = %v, want 5", got)
	}
	if n := strings.Count(logs.String(), "Could not record an event."); n != 1 {
		t.Errorf("%d lines, want 1:\n%s", n, logs.String())
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, os.ErrPermission }

// Served over TLS: TLS 1.2 at least, the certificate read again by
// Reload, the old one kept when the new files are bad, and a failed
// handshake logged without the client's address.
func TestServeTLSWithReload(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, pool := testsupport.WriteCertificate(t, dir, "collect")
	cert, err := collect.LoadCertificate(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	var logs testsupport.LockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	base := serveWith(t, collect.NewReceiver(io.Discard, collect.Options{Now: time.Now, Log: log}), collect.ServeOptions{Log: log, TLS: cert.TLSConfig()})
	ctx := testContext(t, 30*time.Second)
	// HTTP/1.1 over TLS: HTTP/2 would refuse TLS 1.0 and 1.1 itself.
	submit := func(pool *x509.CertPool, maxVersion uint16) error {
		// The client would refuse TLS 1.0 and 1.1 itself too: it offers them.
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS10, MaxVersion: maxVersion}}
		defer tr.CloseIdleConnections()
		_, err := prehogv1alphaconnect.NewTbotReportingServiceClient(&http.Client{Transport: tr}, base).
			SubmitTbotEvent(ctx, connect.NewRequest(startEvent(uuid.NewString())))
		return err
	}
	if err := submit(pool, 0); err != nil {
		t.Fatalf("over TLS: %v", err)
	}
	for _, old := range []uint16{tls.VersionTLS10, tls.VersionTLS11} {
		if err := submit(pool, old); err == nil {
			t.Errorf("%s accepted", tls.VersionName(old))
		}
	}
	// gRPC over TLS, which is HTTP/2.
	h2 := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}
	defer h2.CloseIdleConnections()
	if _, err := prehogv1alphaconnect.NewTbotReportingServiceClient(&http.Client{Transport: h2}, base, connect.WithGRPC()).
		SubmitTbotEvent(ctx, connect.NewRequest(startEvent(uuid.NewString()))); err != nil {
		t.Fatalf("gRPC over TLS: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: h2}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Errorf("over TLS, a client offering HTTP/2 got %s", resp.Proto)
	}
	_, _, renewed := testsupport.WriteCertificate(t, dir, "collect")
	if err := submit(renewed, 0); err == nil {
		t.Fatal("the renewed certificate served before Reload")
	}
	if err := cert.Reload(); err != nil {
		t.Fatal(err)
	}
	if err := submit(renewed, 0); err != nil {
		t.Fatalf("after Reload: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "collect.key"), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := cert.Reload(); err == nil || !strings.HasPrefix(err.Error(), "reading the TLS certificate and key: ") {
		t.Fatalf("Reload of bad files: %v", err)
	}
	if err := submit(renewed, 0); err != nil {
		t.Fatalf("after a failed Reload: %v", err)
	}
	out := logs.String()
	if !strings.Contains(out, "A TLS handshake with a client failed.") || strings.Contains(out, "127.0.0.1") {
		t.Errorf("logs:\n%s", out)
	}
}

// Every reason a refusal is counted by shows from the start, at 0, so that
// a dashboard has each series before the first refusal.
func TestEveryReasonShowsFromTheStart(t *testing.T) {
	reg := prometheus.NewRegistry()
	collect.NewMetrics(reg)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]bool{}
	for _, f := range families {
		if f.GetName() != "tbot_collect_events_refused_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				reasons[l.GetValue()] = true
			}
		}
	}
	for _, r := range []string{"malformed", "distinct_id", "timestamp", "no_start", "run_mode", "too_long", "not_utf8", "count", "unrenderable", "unwritable"} {
		if !reasons[r] {
			t.Errorf("no series for the reason %s", r)
		}
	}
}
