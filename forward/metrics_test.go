package forward_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tbot-telemetry/tbot-telemetry/collect/record"
	"github.com/tbot-telemetry/tbot-telemetry/forward"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// Each outcome of a request to PostHog is timed under its name, each line
// forwarded, skipped or dead-lettered is counted, and the backlog gauges
// read the queue at each scrape. PostHog is down at first, then refuses
// the key once, then fails once, then takes the batch but one event.
func TestMetrics(t *testing.T) {
	ph := testsupport.StartPostHog(t, testKey)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	lines := appendEvents(t, path, 4)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("not an event\n")
	f.Close()
	ph.RefuseEvent(distinctID(t, lines[3]), http.StatusBadRequest)

	var logs testsupport.LockedBuffer
	opts := quickRetries(fastOptions("", &logs))
	rec, err := record.Open(path, record.Options{Follow: true, Log: opts.Log})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	reg := prometheus.NewRegistry()
	opts.Metrics = forward.NewMetrics(reg, rec.Backlog)
	size := int64(0)
	for _, l := range lines {
		size += int64(len(l))
	}
	size += int64(len("not an event\n"))
	if got := testsupport.Samples(t, reg); got["tbot_collect_backlog_bytes"] != float64(size) || got["tbot_collect_backlog_lines"] != 5 {
		t.Errorf("backlog %v bytes, %v lines before forwarding; want %d and 5", got["tbot_collect_backlog_bytes"], got["tbot_collect_backlog_lines"], size)
	}

	// PostHog's address, where nothing listens until the forwarder found
	// it unreachable; then a front that refuses the key, fails once, and
	// hands the rest to the stand-in.
	addr := testsupport.FreeAddr(t)
	opts.Host = "http://" + addr
	fw, err := forward.New(rec, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fw.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitSample(t, reg, "tbot_collect_posthog_request_duration_seconds/unreachable")

	target, err := url.Parse(ph.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var mu sync.Mutex
	script := []int{http.StatusUnauthorized, http.StatusServiceUnavailable}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	front := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		var status int
		if len(script) > 0 {
			status, script = script[0], script[1:]
		}
		mu.Unlock()
		if status != 0 {
			http.Error(w, "{}", status)
			return
		}
		proxy.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	go front.Serve(ln)
	defer front.Close()
	for deadline := time.Now().Add(bound); ; time.Sleep(5 * time.Millisecond) {
		if b, l := rec.Backlog(); b == 0 && l == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still waiting: %v", testsupport.Samples(t, reg))
		}
	}
	got := testsupport.Samples(t, reg)
	for name, want := range map[string]float64{
		"tbot_collect_events_forwarded_total":                       3,
		"tbot_collect_lines_skipped_total":                          1,
		"tbot_collect_events_dead_lettered_total/400":               1,
		"tbot_collect_backlog_bytes":                                0,
		"tbot_collect_backlog_lines":                                0,
		"tbot_collect_posthog_request_duration_seconds/key_refused": 1,
		"tbot_collect_posthog_request_duration_seconds/retried":     1,
	} {
		if got[name] != want {
			t.Errorf("%s = %v, want %v", name, got[name], want)
		}
	}
	for _, outcome := range []string{"accepted", "refused", "unreachable"} {
		if got["tbot_collect_posthog_request_duration_seconds/"+outcome] < 1 {
			t.Errorf("no request counted as %s: %v", outcome, got)
		}
	}
}

// waitSample waits until the sample name is at least 1.
func waitSample(t *testing.T, reg *prometheus.Registry, name string) {
	t.Helper()
	for deadline := time.Now().Add(bound); testsupport.Samples(t, reg)[name] < 1; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s never came: %v", name, testsupport.Samples(t, reg))
		}
	}
}
