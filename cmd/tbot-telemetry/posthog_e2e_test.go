package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/forward"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// End-to-end tests of `collect --posthog-host`: the built binary (or the
// whole program in-process, where its waits are cut) forwards to a PostHog
// capture stand-in on loopback, through outages, refusals, slowness and a
// SIGKILL.

// posthogKey is distinctive enough that finding it anywhere but in the
// requests to the stand-in means it leaked.
const posthogKey = "phc_LeakCanary-d41f9e0b7c2a"

// sendEvents submits n events to collector from a few clients at once and
// returns the distinct_ids that were answered with success.
func sendEvents(t *testing.T, baseURL string, n int) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), collectBound)
	defer cancel()
	var (
		mu       sync.Mutex
		accepted []string
		wg       sync.WaitGroup
	)
	const clients = 4
	for c := range clients {
		client := collectClient(t, baseURL, false)
		wg.Go(func() {
			for i := c; i < n; i += clients {
				id := uuid.NewString()
				if _, err := client.SubmitTbotEvent(ctx, connect.NewRequest(collectEvent(id))); err != nil {
					t.Errorf("submit: %v", err)
					return
				}
				mu.Lock()
				accepted = append(accepted, id)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return accepted
}

// checkForwarded asserts that PostHog holds exactly the events of the
// output file, each once under the uuid derived from it.
func checkForwarded(t *testing.T, ph *testsupport.PostHog, output string) {
	t.Helper()
	ph.Check(t)
	inFile := map[string]string{} // distinct_id -> the uuid its line makes
	for _, l := range collectLines(t, testsupport.ReadFile(t, output)) {
		inFile[l.DistinctID] = forward.EventUUID(l.Event, l.DistinctID, l.Timestamp)
	}
	atPostHog := map[string]bool{}
	for _, e := range ph.Events() {
		if atPostHog[e.DistinctID] {
			t.Errorf("distinct_id %s came under two uuids", e.DistinctID)
		}
		atPostHog[e.DistinctID] = true
		if want, ok := inFile[e.DistinctID]; ok && e.UUID != want {
			t.Errorf("uuid %s is not derived from its event", e.UUID)
		}
		if _, ok := inFile[e.DistinctID]; !ok {
			t.Errorf("PostHog has %s, which is not in the file", e.DistinctID)
		}
	}
	for id := range inFile {
		if !atPostHog[id] {
			t.Errorf("event %s of the file never reached PostHog", id)
		}
	}
}

// forwardingToNothingYet sets up a collect that forwards to a PostHog that
// is not there yet: the address PostHog will listen on, the output file and
// its directory, and collect's environment and flags.
func forwardingToNothingYet(t *testing.T) (addr, dir, output string, env, args []string) {
	t.Helper()
	addr = testsupport.FreeAddr(t)
	dir = t.TempDir()
	output = filepath.Join(dir, "events.jsonl")
	env = []string{"POSTHOG_API_KEY=" + posthogKey}
	args = []string{"--output", output, "--posthog-host", "http://" + addr}
	return addr, dir, output, env, args
}

// checkKeyNowhere asserts that the key is in no log and no file of dir,
// and that it did reach PostHog.
func checkKeyNowhere(t *testing.T, ph *testsupport.PostHog, dir string, logs ...string) {
	t.Helper()
	for i, l := range logs {
		if strings.Contains(l, posthogKey) {
			t.Errorf("log %d carries the API key:\n%s", i, l)
		}
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), posthogKey) && filepath.Base(path) != "key" {
			t.Errorf("%s carries the API key", filepath.Base(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	keys := ph.KeysSeen()
	if len(keys) == 0 {
		t.Fatal("PostHog received no request")
	}
	for _, k := range keys {
		if k != posthogKey {
			t.Errorf("PostHog received api_key %q, want the project's", k)
		}
	}
}

// waitAcknowledged waits until collect's /healthz says that nothing waits
// for PostHog any more.
func waitAcknowledged(t *testing.T, baseURL string) {
	t.Helper()
	deadline := time.Now().Add(collectBound)
	for {
		health := healthz(t, baseURL)
		if health["waiting_bytes"] == 0 && health["waiting_lines"] == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for PostHog: %v", health)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// healthz is collect's GET /healthz.
func healthz(t *testing.T, baseURL string) map[string]int64 {
	t.Helper()
	resp, err := http.Get(baseURL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var health map[string]int64
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil {
		t.Fatalf("healthz: %v", err)
	}
	return health
}

// The built collect forwards what it receives, with the key from a file;
// the health endpoint shows the progress; SIGTERM ends it with 0 and a line
// of counts; the key is nowhere but in the requests.
func TestCollectForwardsToPostHog(t *testing.T) {
	ph := testsupport.StartPostHog(t, posthogKey)
	dir := t.TempDir()
	output := filepath.Join(dir, "events.jsonl")
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(posthogKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	collector := collectStart(t, "--output", output, "--posthog-host", ph.URL+"/", "--posthog-api-key-file", keyFile)
	accepted := sendEvents(t, collector.baseURL(), 40)
	ph.WaitFor(t, len(accepted), collectBound)
	waitAcknowledged(t, collector.baseURL())

	health := healthz(t, collector.baseURL())
	if health["recorded"] != 40 || health["forwarded"] != 40 || health["waiting_bytes"] != 0 {
		t.Errorf("healthz: %v, want 40 recorded, 40 forwarded, 0 bytes waiting", health)
	}

	if code := collector.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("collect exited %d; stderr:\n%s", code, collector.stderr.String())
	}
	checkForwarded(t, ph, output)
	checkKeyNowhere(t, ph, dir, collector.stderr.String(), collector.stdout.String())
	stderr := collector.stderr.String()
	for _, want := range []string{
		` INFO [TBOT-TELE] Forwarding events to PostHog. host:` + ph.URL,
		` INFO [TBOT-TELE] Stopped. recorded:40 forwarded:40 waiting:0`,
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
}

// PostHog down at the start, then slow and refusing, and collect killed
// with SIGKILL while events stream in and batches are in flight, then
// started again on the same file: every event of the file reaches PostHog,
// one uuid each (a re-send after the kill carries the same uuid), and the
// key is in no log or file.
func TestCollectKilledMidStreamLosesNothing(t *testing.T) {
	addr, dir, output, env, args := forwardingToNothingYet(t)

	first := collectStartEnv(t, env, args...)
	accepted := sendEvents(t, first.baseURL(), 150)
	deadline := time.Now().Add(collectBound)
	for !strings.Contains(first.stderr.String(), "status:unreachable") {
		if time.Now().After(deadline) {
			t.Fatalf("no warning that PostHog is unreachable:\n%s", first.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	ph := testsupport.StartPostHogOn(t, addr, posthogKey)
	ph.FailNext(2, http.StatusServiceUnavailable)
	ph.Delay(100 * time.Millisecond)

	// Events keep coming while PostHog catches up; the kill lands in the
	// middle of both.
	streaming := make(chan []string, 1)
	go func() {
		var ids []string
		client := collectClient(t, first.baseURL(), false)
		for {
			id := uuid.NewString()
			if _, err := client.SubmitTbotEvent(context.Background(), connect.NewRequest(collectEvent(id))); err != nil {
				streaming <- ids // killed
				return
			}
			ids = append(ids, id)
		}
	}()
	ph.WaitFor(t, 50, collectBound)
	first.signal(syscall.SIGKILL)
	if code := first.wait(); code != 128+int(syscall.SIGKILL) {
		t.Fatalf("collect exited %d, want killed", code)
	}
	accepted = append(accepted, <-streaming...)
	if distinct, _, _ := ph.Counts(); distinct >= len(accepted) {
		t.Logf("PostHog had all %d events before the kill; the restart has less to do", distinct)
	}

	second := collectStartEnv(t, env, args...)
	accepted = append(accepted, sendEvents(t, second.baseURL(), 50)...)
	ph.Delay(0)
	ph.WaitFor(t, len(accepted), collectBound)
	waitAcknowledged(t, second.baseURL())
	if code := second.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("collect exited %d; stderr:\n%s", code, second.stderr.String())
	}

	inFile := map[string]bool{}
	for _, l := range collectLines(t, testsupport.ReadFile(t, output)) {
		inFile[l.DistinctID] = true
	}
	for _, id := range accepted {
		if !inFile[id] {
			t.Errorf("accepted event %s has no line", id)
		}
	}
	checkForwarded(t, ph, output)
	checkKeyNowhere(t, ph, dir, first.stderr.String(), second.stderr.String())
	distinct, received, requests := ph.Counts()
	t.Logf("%d events accepted, %d at PostHog, %d copies received in %d requests", len(accepted), distinct, received, requests)
}

// Thousands of events through the built collect while PostHog refuses one
// request in three and answers slowly: none is lost, none counted twice.
func TestCollectLoadWithFlakyPostHog(t *testing.T) {
	ph := testsupport.StartPostHog(t, posthogKey)
	ph.FailEvery(3)
	ph.Delay(20 * time.Millisecond)
	dir := t.TempDir()
	output := filepath.Join(dir, "events.jsonl")
	collector := collectStartEnv(t, []string{"POSTHOG_API_KEY=" + posthogKey},
		"--output", output, "--posthog-host", ph.URL)
	start := time.Now()
	accepted := sendEvents(t, collector.baseURL(), 3000)
	ph.WaitFor(t, len(accepted), collectBound)
	elapsed := time.Since(start)
	if code := collector.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("collect exited %d; stderr:\n%s", code, collector.stderr.String())
	}
	checkForwarded(t, ph, output)
	checkKeyNowhere(t, ph, dir, collector.stderr.String())
	distinct, received, requests := ph.Counts()
	if distinct != 3000 || received != 3000 {
		t.Errorf("%d distinct events, %d received, want 3000 each (re-sends without a crash are duplicates)", distinct, received)
	}
	t.Logf("3000 events forwarded in %v through %d requests", elapsed.Round(time.Millisecond), requests)
}

// Stopped with SIGTERM while PostHog is down, collect says how many wait;
// started again once PostHog is up, it sends them, each once.
func TestCollectStoppedWhilePostHogDownSendsOnNextStart(t *testing.T) {
	addr, dir, output, env, args := forwardingToNothingYet(t)

	first := collectStartEnv(t, env, args...)
	accepted := sendEvents(t, first.baseURL(), 10)
	if code := first.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("collect exited %d; stderr:\n%s", code, first.stderr.String())
	}
	if want := "Stopped. recorded:10 forwarded:0 waiting:10"; !strings.Contains(first.stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, first.stderr.String())
	}

	ph := testsupport.StartPostHogOn(t, addr, posthogKey)
	second := collectStartEnv(t, env, args...)
	ph.WaitFor(t, len(accepted), collectBound)
	waitAcknowledged(t, second.baseURL())
	if code := second.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("collect exited %d; stderr:\n%s", code, second.stderr.String())
	}
	if want := "Stopped. recorded:0 forwarded:10 waiting:0"; !strings.Contains(second.stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, second.stderr.String())
	}
	checkForwarded(t, ph, output)
	if _, received, _ := ph.Counts(); received != 10 {
		t.Errorf("%d events received, want 10: after a clean stop nothing is sent twice", received)
	}
	checkKeyNowhere(t, ph, dir, first.stderr.String(), second.stderr.String())
}

// A PostHog that takes a batch and never answers does not hold collect's
// stop beyond the forwarder's grace (here cut short), far below the HTTP
// client's own timeout; the unanswered lines wait for the next start.
func TestCollectStopsWithinGraceWhenPostHogHangs(t *testing.T) {
	hung := testsupport.StartSilentEndpoint(t)
	output := filepath.Join(t.TempDir(), "events.jsonl")
	stderr := &testsupport.LockedBuffer{}
	sys := &system{
		stdin: strings.NewReader(""), stdout: &testsupport.LockedBuffer{}, stderr: stderr,
		env: config.Env{"POSTHOG_API_KEY": posthogKey}, now: time.Now, newID: uuid.NewRandom,
		forwardTuning: forward.Options{Grace: 200 * time.Millisecond, Interval: 10 * time.Millisecond, Poll: 5 * time.Millisecond},
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"collect", "--listen", "127.0.0.1:0", "--output", output, "--posthog-host", hung.URL}, sys)
	}()
	var addr string
	deadline := time.Now().Add(collectBound)
	for addr == "" {
		if m := collectListening.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("never listening:\n%s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	sendEvents(t, "http://"+addr, 5)
	for hung.Connections() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no batch reached the hung PostHog")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("collect still stopping 5s after its end, with a grace of 200ms:\n%s", stderr.String())
	}
	if want := "Stopped. recorded:5 forwarded:0 waiting:5"; !strings.Contains(stderr.String(), want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
	}
}
