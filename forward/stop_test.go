package forward_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/collect/record"
	"github.com/tbot-telemetry/tbot-telemetry/internal/logsummary"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// savedOffset is the offset the offset file holds for the file at path
// (0 while there is none).
func savedOffset(t *testing.T, path string) int64 {
	t.Helper()
	b, err := os.ReadFile(record.CursorPath(path))
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	var c struct {
		Files []struct {
			Offset int64 `json:"offset"`
		} `json:"files"`
	}
	if err := json.Unmarshal(b, &c); err != nil || len(c.Files) == 0 {
		return 0
	}
	return c.Files[len(c.Files)-1].Offset
}

// The offsets are saved while forwarding runs, not only at the stop (a
// crash then re-sends little); and lines the receiver writes while it
// drains, after the forwarder's last look, are still sent on the way out.
// The poll is an hour here: nothing but an answer or the stop makes the
// forwarder look at the file.
func TestSavesWhileRunningAndSendsWhatCameWhileStopping(t *testing.T) {
	ph := testsupport.StartPostHog(t, testKey)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	first := appendEvents(t, path, 1)
	var logs testsupport.LockedBuffer
	opts := fastOptions(ph.URL, &logs)
	opts.Poll = time.Hour
	r := start(t, path, opts)
	// Saved after the answer: the forwarder has looked at the file since,
	// and waits.
	for deadline := time.Now().Add(bound); savedOffset(t, path) != int64(len(first[0])); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the offset file holds %d while forwarding runs, want %d", savedOffset(t, path), len(first[0]))
		}
	}
	for _, line := range appendEvents(t, filepath.Join(t.TempDir(), "more.jsonl"), 3) {
		if _, err := r.rec.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	r.end(t)
	if distinct, _, _ := ph.Counts(); distinct != 4 {
		t.Errorf("%d events at PostHog, want the 4 written before the stop", distinct)
	}
}

// When the grace runs out, the requests still in flight are cut by the
// forwarder itself, not left to posthog-go's own timeout of 10 s.
func TestTheGraceCutsRequestsInFlight(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	arrived := make(chan struct{}, 100)
	release := make(chan struct{})
	// A PostHog that hangs.
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { close(release); srv.Close() })

	path := filepath.Join(t.TempDir(), "events.jsonl")
	appendEvents(t, path, 1)
	var logs testsupport.LockedBuffer
	opts := fastOptions("http://"+ln.Addr().String(), &logs)
	opts.Grace = 50 * time.Millisecond
	var (
		mu  sync.Mutex
		why []error
	)
	next := opts.Transport
	opts.Transport = roundTripper(func(req *http.Request) (*http.Response, error) {
		resp, err := next.RoundTrip(req)
		if err != nil {
			mu.Lock()
			why = append(why, req.Context().Err())
			mu.Unlock()
		}
		return resp, err
	})
	r := start(t, path, opts)
	select {
	case <-arrived:
	case <-time.After(bound):
		t.Fatal("no request came")
	}
	r.end(t)
	mu.Lock()
	defer mu.Unlock()
	if len(why) == 0 || !errors.Is(why[0], context.Canceled) {
		t.Errorf("the request in flight ended by %v, want cut (context.Canceled)", why)
	}
}

// "accepts events again" follows a warning that was written: when the
// failures of a second outage within the interval were only counted, their
// end says nothing either, so the two lines pair up.
func TestAcceptsAgainOnlyAfterAWarning(t *testing.T) {
	ph := testsupport.StartPostHog(t, testKey)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	var logs testsupport.LockedBuffer
	opts := fastOptions(ph.URL, &logs)
	// A clock that stands still: the second outage is within the
	// interval of the first.
	opts.Limiter = logsummary.New(opts.Log, time.Minute, testsupport.Now)
	r := start(t, path, opts)
	for round := 1; round <= 2; round++ {
		ph.FailNext(1, http.StatusServiceUnavailable)
		for _, line := range appendEvents(t, filepath.Join(t.TempDir(), "more.jsonl"), 1) {
			if _, err := r.rec.Write([]byte(line)); err != nil {
				t.Fatal(err)
			}
		}
		ph.WaitFor(t, round, bound)
	}
	r.end(t)
	out := logs.String()
	if strings.Count(out, "PostHog did not accept a batch") != 1 || strings.Count(out, "PostHog accepts events again.") != 1 {
		t.Errorf("logs:\n%s", out)
	}
}
