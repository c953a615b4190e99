package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// End-to-end tests of the output file as operators treat it: the built
// collect, real files moved, copied and truncated by the test as logrotate
// would, a second collect, a flood of bad requests, and /metrics scraped;
// every accepted event must reach the PostHog stand-in, once.

// checkAllArrived asserts that every accepted event reached PostHog, each
// under one uuid.
func checkAllArrived(t *testing.T, ph *testsupport.PostHog, accepted []string) {
	t.Helper()
	ph.Check(t)
	at := map[string]int{}
	for _, e := range ph.Events() {
		at[e.DistinctID]++
	}
	lost := 0
	for _, id := range accepted {
		if at[id] == 0 {
			lost++
		}
	}
	for id, n := range at {
		if n > 1 {
			t.Errorf("%s reached PostHog under %d uuids", id, n)
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d accepted events never reached PostHog", lost, len(accepted))
	}
}

// stopLine is collect's last line; it fails the test without one.
var stopLine = regexp.MustCompile(` INFO \[TBOT-TELE\] Stopped\. recorded:(\d+) forwarded:(\d+) waiting:(\d+) dead_lettered:(\d+) `)

func stopped(t *testing.T, stderr string) (recorded, forwarded, waiting int) {
	t.Helper()
	m := stopLine.FindStringSubmatch(stderr)
	if m == nil {
		t.Fatalf("no stop line:\n%s", stderr)
	}
	recorded, _ = strconv.Atoi(m[1])
	forwarded, _ = strconv.Atoi(m[2])
	waiting, _ = strconv.Atoi(m[3])
	return recorded, forwarded, waiting
}

// A file that ends in the middle of a line (a crash, a full disk) is
// closed at start: every event accepted after it reaches PostHog, and
// the file stays whole lines.
func TestCollectClosesACutLastLine(t *testing.T) {
	ph := testsupport.StartPostHog(t, posthogKey)
	output := filepath.Join(t.TempDir(), "events.jsonl")
	earlier := sendNothing(t)
	if err := os.WriteFile(output, []byte(earlier+`{"event":"tbot.start","distinct_id":"0b6f`), 0o600); err != nil {
		t.Fatal(err)
	}
	collector := collectStartEnv(t, []string{"POSTHOG_API_KEY=" + posthogKey}, "--output", output, "--posthog-host", ph.URL)
	accepted := sendEvents(t, collector.baseURL(), 5)
	ph.WaitFor(t, 6, collectBound)
	waitAcknowledged(t, collector.baseURL())
	if code := collector.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("collect exited %d:\n%s", code, collector.stderr.String())
	}
	checkAllArrived(t, ph, accepted)
	stderr := collector.stderr.String()
	if !strings.Contains(stderr, "ended in the middle of a line") || !strings.Contains(stderr, "Skipped a line that is not an event.") {
		t.Errorf("stderr:\n%s", stderr)
	}
	out := testsupport.ReadFile(t, output)
	if lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n"); len(lines) != 7 {
		t.Errorf("%d lines, want the earlier one, the cut one, and 5:\n%s", len(lines), out)
	}
}

// sendNothing is one line of an earlier run, already forwarded or not.
func sendNothing(t *testing.T) string {
	t.Helper()
	return `{"event":"tbot.start","distinct_id":"` + uuid.NewString() + `","timestamp":"2026-01-01T00:00:00.000Z","properties":{"tbot.run_mode":"daemon","tbot.version":"","tbot.join_type":"token","tbot.helper":"","tbot.helper_version":"","tbot.destinations_other":0,"tbot.destinations_database":0,"tbot.destinations_kubernetes":0,"tbot.destinations_application":0}}` + "\n"
}

// logrotate's create mode while collect runs and PostHog is down: the
// file is moved away and new lines go to a new file at the path; once
// PostHog is back, the moved file is forwarded to its end, then the new.
func TestCollectFollowsAMoveWhileRunning(t *testing.T) {
	addr, _, output, env, args := forwardingToNothingYet(t)
	collector := collectStartEnv(t, env, args...)
	accepted := sendEvents(t, collector.baseURL(), 20)
	if err := os.Rename(output, output+".1"); err != nil {
		t.Fatal(err)
	}
	later := sendEvents(t, collector.baseURL(), 20)
	accepted = append(accepted, later...)
	ph := testsupport.StartPostHogOn(t, addr, posthogKey)
	ph.WaitFor(t, 40, collectBound)
	waitAcknowledged(t, collector.baseURL())
	if code := collector.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("collect exited %d:\n%s", code, collector.stderr.String())
	}
	checkAllArrived(t, ph, accepted)
	if len(collectLines(t, testsupport.ReadFile(t, output))) != 20 || len(collectLines(t, testsupport.ReadFile(t, output+".1"))) != 20 {
		t.Errorf("the moved file and the new one should hold 20 lines each")
	}
	if _, _, waiting := stopped(t, collector.stderr.String()); waiting != 0 {
		t.Errorf("waiting:%d after all arrived", waiting)
	}
}

// Stopped while PostHog is down, the file moved away while collect is
// stopped, and collect started again: the stop line counted the backlog,
// and the moved file, still in the folder, is found and finished.
func TestCollectFindsAMovedFileAfterARestart(t *testing.T) {
	addr, dir, output, env, args := forwardingToNothingYet(t)
	first := collectStartEnv(t, env, args...)
	accepted := sendEvents(t, first.baseURL(), 10)
	if err := os.Rename(output, filepath.Join(dir, "events.jsonl-20261126")); err != nil {
		t.Fatal(err)
	}
	accepted = append(accepted, sendEvents(t, first.baseURL(), 5)...)
	if code := first.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("collect exited %d:\n%s", code, first.stderr.String())
	}
	if recorded, _, waiting := stopped(t, first.stderr.String()); recorded != 15 || waiting != 15 {
		t.Errorf("stop line says recorded:%d waiting:%d, want 15 and 15, across both files", recorded, waiting)
	}
	// A second rotation while stopped.
	if err := os.Rename(output, filepath.Join(dir, "events.jsonl-20261127")); err != nil {
		t.Fatal(err)
	}
	ph := testsupport.StartPostHogOn(t, addr, posthogKey)
	second := collectStartEnv(t, env, args...)
	accepted = append(accepted, sendEvents(t, second.baseURL(), 5)...)
	ph.WaitFor(t, 20, collectBound)
	waitAcknowledged(t, second.baseURL())
	if code := second.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("collect exited %d:\n%s", code, second.stderr.String())
	}
	checkAllArrived(t, ph, accepted)
	if !strings.Contains(second.stderr.String(), "Forwarding the rest of a moved output file first. file:events.jsonl-20261126") {
		t.Errorf("no word of the moved file:\n%s", second.stderr.String())
	}
	if _, _, received := ph.Counts(); received > 40 {
		t.Logf("%d requests", received)
	}
}

// copytruncate while events stream in and PostHog is slow: the file is
// copied, then truncated under collect, twice; every accepted event
// reaches PostHog.
func TestCollectCopyTruncateUnderLoad(t *testing.T) {
	ph := testsupport.StartPostHog(t, posthogKey)
	ph.Delay(30 * time.Millisecond)
	dir := t.TempDir()
	output := filepath.Join(dir, "events.jsonl")
	collector := collectStartEnv(t, []string{"POSTHOG_API_KEY=" + posthogKey}, "--output", output, "--posthog-host", ph.URL)

	var (
		mu       sync.Mutex
		accepted []string
		wg       sync.WaitGroup
	)
	stop := make(chan struct{})
	for range 3 {
		client := collectClient(t, collector.baseURL(), false)
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := uuid.NewString()
				if _, err := client.SubmitTbotEvent(context.Background(), connect.NewRequest(collectEvent(id))); err != nil {
					t.Errorf("submit: %v", err)
					return
				}
				mu.Lock()
				accepted = append(accepted, id)
				mu.Unlock()
			}
		})
	}
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(accepted) }
	deadline := time.Now().Add(collectBound)
	wait200 := func() {
		t.Helper()
		for n := count(); count() < n+200; {
			if time.Now().After(deadline) {
				t.Fatalf("the load stalled at %d events", count())
			}
			time.Sleep(time.Millisecond)
		}
	}
	for i := 1; i <= 2; i++ {
		wait200()
		// What logrotate's copytruncate does: copy, then truncate.
		in, err := os.Open(output)
		if err != nil {
			t.Fatal(err)
		}
		dst, err := os.Create(fmt.Sprintf("%s.%d", output, i))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(dst, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		dst.Close()
		if err := os.Truncate(output, 0); err != nil {
			t.Fatal(err)
		}
	}
	wait200()
	close(stop)
	wg.Wait()
	ph.Delay(0)
	ph.WaitFor(t, len(accepted), collectBound)
	waitAcknowledged(t, collector.baseURL())
	if code := collector.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("collect exited %d:\n%s", code, collector.stderr.String())
	}
	checkAllArrived(t, ph, accepted)
	if n := strings.Count(collector.stderr.String(), "truncated under collect"); n != 2 {
		t.Errorf("%d words of a truncation, want 2:\n%s", n, collector.stderr.String())
	}
	t.Logf("%d events accepted through two copytruncates", len(accepted))
}

// A second collect on the same file refuses at once, exit 1, naming the
// first one's PID; the first goes on.
func TestCollectSecondCollectRefuses(t *testing.T) {
	output := filepath.Join(t.TempDir(), "events.jsonl")
	first := collectStart(t, "--output", output)
	second := runBinary(t, nil, "collect", "--listen", "127.0.0.1:0", "--output", output)
	pid := strconv.Itoa(first.cmd.Process.Pid)
	if second.Code != 1 || !strings.Contains(second.Stderr, "in use by another collect (PID "+pid+")") {
		t.Fatalf("second collect: exit %d, stderr %q; want 1 and the first one's PID %s", second.Code, second.Stderr, pid)
	}
	sendEvents(t, first.baseURL(), 3)
	if code := first.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("collect exited %d:\n%s", code, first.stderr.String())
	}
	if n := len(collectLines(t, testsupport.ReadFile(t, output))); n != 3 {
		t.Errorf("%d lines, want 3", n)
	}
	// Once the first has stopped, the file is free again.
	third := collectStart(t, "--output", output)
	if code := third.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("collect after the first stopped exited %d:\n%s", code, third.stderr.String())
	}
}

// A flood of bad requests leaves the log bounded: one line at the first,
// and one summary with the count of the rest.
func TestCollectLogStaysBoundedUnderAFlood(t *testing.T) {
	collector := collectStart(t, "--output", filepath.Join(t.TempDir(), "events.jsonl"))
	const flood = 4000
	var wg sync.WaitGroup
	for c := range 4 {
		client := collectClient(t, collector.baseURL(), false)
		wg.Go(func() {
			for i := c; i < flood; i += 4 {
				if _, err := client.SubmitTbotEvent(context.Background(), connect.NewRequest(collectEvent("not-a-uuid"))); connect.CodeOf(err) != connect.CodeInvalidArgument {
					t.Errorf("bad event: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	if code := collector.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("collect exited %d:\n%s", code, collector.stderr.String())
	}
	stderr := collector.stderr.String()
	lines := textLines(t, stderr)
	if len(lines) > 6 {
		t.Errorf("%d log lines for %d bad requests, want a handful:\n%s", len(lines), flood, stderr)
	}
	total := 0
	for _, l := range lines {
		if !strings.HasPrefix(l.Rest, "Refused an event.") {
			continue
		}
		// The first, then summaries of how many came after it.
		if m := regexp.MustCompile(` repeated:(\d+) `).FindStringSubmatch(l.Rest + " "); m != nil {
			n, _ := strconv.Atoi(m[1])
			total += n
		} else {
			total++
		}
	}
	if total != flood {
		t.Errorf("the refusal lines count %d refusals, want %d:\n%s", total, flood, stderr)
	}
}

// metrics scrapes /metrics and returns each sample by its name and labels
// as written, e.g. `tbot_collect_events_refused_total{reason="distinct_id"}`.
func metrics(t *testing.T, baseURL string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(baseURL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %s %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	samples := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		samples[line[:i]] = v
	}
	return samples
}

// /metrics, scraped as Prometheus does, shows the counts move as events
// flow: received, refused by reason, written, forwarded, the backlog
// while PostHog is down and after, and PostHog's requests by outcome.
func TestCollectMetricsMove(t *testing.T) {
	addr, _, _, env, args := forwardingToNothingYet(t)
	collector := collectStartEnv(t, env, args...)
	before := metrics(t, collector.baseURL())
	for _, name := range []string{
		"tbot_collect_events_received_total", "tbot_collect_events_written_total", "tbot_collect_events_forwarded_total",
		`tbot_collect_events_refused_total{reason="distinct_id"}`, `tbot_collect_events_refused_total{reason="malformed"}`,
		"tbot_collect_backlog_bytes", "tbot_collect_backlog_lines",
		`tbot_collect_posthog_request_duration_seconds_count{outcome="accepted"}`, "go_goroutines", "process_open_fds",
	} {
		if v, ok := before[name]; !ok || (strings.HasPrefix(name, "tbot_") && v != 0) {
			t.Errorf("before anything: %s = %v (present %v), want 0", name, v, ok)
		}
	}

	sendEvents(t, collector.baseURL(), 12)
	client := collectClient(t, collector.baseURL(), false)
	for range 3 {
		client.SubmitTbotEvent(context.Background(), connect.NewRequest(collectEvent("not-a-uuid")))
	}
	resp, err := http.Post(collector.baseURL()+"/prehog.v1alpha.TbotReportingService/SubmitTbotEvent", "application/json", strings.NewReader("{{{"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	down := metrics(t, collector.baseURL())
	for name, want := range map[string]float64{
		"tbot_collect_events_received_total":                      16,
		"tbot_collect_events_written_total":                       12,
		`tbot_collect_events_refused_total{reason="distinct_id"}`: 3,
		`tbot_collect_events_refused_total{reason="malformed"}`:   1,
		"tbot_collect_events_forwarded_total":                     0,
		"tbot_collect_backlog_lines":                              12,
	} {
		if down[name] != want {
			t.Errorf("while PostHog is down: %s = %v, want %v", name, down[name], want)
		}
	}
	if down["tbot_collect_backlog_bytes"] < 12*300 {
		t.Errorf("backlog_bytes = %v for 12 lines", down["tbot_collect_backlog_bytes"])
	}

	// posthog-go sends once per second: wait for it to have met the
	// outage.
	deadline := time.Now().Add(collectBound)
	for metrics(t, collector.baseURL())[`tbot_collect_posthog_request_duration_seconds_count{outcome="unreachable"}`] == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no request to the PostHog that is down")
		}
		time.Sleep(20 * time.Millisecond)
	}
	ph := testsupport.StartPostHogOn(t, addr, posthogKey)
	ph.WaitFor(t, 12, collectBound)
	waitAcknowledged(t, collector.baseURL())
	up := metrics(t, collector.baseURL())
	for name, want := range map[string]float64{
		"tbot_collect_events_forwarded_total": 12,
		"tbot_collect_backlog_lines":          0,
		"tbot_collect_backlog_bytes":          0,
	} {
		if up[name] != want {
			t.Errorf("after PostHog came back: %s = %v, want %v", name, up[name], want)
		}
	}
	if up[`tbot_collect_posthog_request_duration_seconds_count{outcome="accepted"}`] < 1 ||
		up[`tbot_collect_posthog_request_duration_seconds_count{outcome="unreachable"}`] < 1 {
		t.Errorf("PostHog's requests by outcome: accepted %v, unreachable %v; want both counted",
			up[`tbot_collect_posthog_request_duration_seconds_count{outcome="accepted"}`],
			up[`tbot_collect_posthog_request_duration_seconds_count{outcome="unreachable"}`])
	}
	if code := collector.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("collect exited %d:\n%s", code, collector.stderr.String())
	}
}

// /healthz answers what it always did, with the new counts beside.
func TestCollectHealthz(t *testing.T) {
	ph := testsupport.StartPostHog(t, posthogKey)
	output := filepath.Join(t.TempDir(), "events.jsonl")
	collector := collectStartEnv(t, []string{"POSTHOG_API_KEY=" + posthogKey}, "--output", output, "--posthog-host", ph.URL)
	sendEvents(t, collector.baseURL(), 3)
	ph.WaitFor(t, 3, collectBound)
	waitAcknowledged(t, collector.baseURL())
	health := healthz(t, collector.baseURL())
	info, err := os.Stat(output)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"recorded": 3, "forwarded": 3, "dead_lettered": 0, "acknowledged_offset": info.Size(), "waiting_bytes": 0, "waiting_lines": 0}
	b1, _ := json.Marshal(health)
	b2, _ := json.Marshal(want)
	if string(b1) != string(b2) {
		t.Errorf("healthz %s, want %s", b1, b2)
	}
	collector.stop(syscall.SIGTERM)
}

// The stop line that docs/collect.md shows, and the README names, is the
// line collect prints: the same message, the same keys in the same order,
// key:value as tbot's text layout writes them.
func TestCollectStopLineIsAsDocumented(t *testing.T) {
	ph := testsupport.StartPostHog(t, posthogKey)
	collector := collectStartEnv(t, []string{"POSTHOG_API_KEY=" + posthogKey},
		"--output", filepath.Join(t.TempDir(), "events.jsonl"), "--posthog-host", ph.URL)
	sendEvents(t, collector.baseURL(), 2)
	ph.WaitFor(t, 2, collectBound)
	waitAcknowledged(t, collector.baseURL())
	if code := collector.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("collect exited %d:\n%s", code, collector.stderr.String())
	}
	var real string
	for _, l := range strings.Split(collector.stderr.String(), "\n") {
		if strings.Contains(l, " Stopped. ") {
			real = l
		}
	}
	// The shape: numbers as N, the time and the caller's line left out.
	numbers := regexp.MustCompile(`\d+`)
	shape := func(line string) string {
		line = strings.TrimSpace(line)
		_, line, _ = strings.Cut(line, " ") // the time
		return numbers.ReplaceAllString(line, "N")
	}
	doc := testsupport.ReadFile(t, repoFile("docs", "collect.md"))
	var documented string
	for _, l := range strings.Split(doc, "\n") {
		if strings.Contains(l, " INFO [TBOT-TELE] Stopped. ") {
			documented = l
		}
	}
	if documented == "" || shape(documented) != shape(real) {
		t.Errorf("docs/collect.md shows\n %q\ncollect prints\n %q", documented, real)
	}
	_, message, _ := strings.Cut(shape(real), "[TBOT-TELE] ")
	message, _, _ = strings.Cut(message, " tbot-telemetry/")
	readme := testsupport.ReadFile(t, repoFile("README.md"))
	if !strings.Contains(readme, "`"+message+"`") {
		t.Errorf("README.md does not name the stop line as printed, %q", message)
	}
	for name, text := range map[string]string{"README.md": readme, "docs/collect.md": doc} {
		if strings.Contains(text, "recorded=") || strings.Contains(text, "waiting=") {
			t.Errorf("%s writes the stop line's counts as key=value; collect prints key:value", name)
		}
	}
}

// SIGHUP (logrotate's postrotate, systemctl reload) never stops collect.
func TestCollectGoesOnAfterSIGHUP(t *testing.T) {
	testsupport.SkipIfInheritedIgnored(t, syscall.SIGHUP)
	output := filepath.Join(t.TempDir(), "events.jsonl")
	collector := collectStart(t, "--output", output)
	collector.signal(syscall.SIGHUP)
	waitStderr(t, collector, "SIGHUP: nothing to read again (no TLS certificate); going on.", 1)
	sendEvents(t, collector.baseURL(), 2)
	if code := collector.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("collect exited %d:\n%s", code, collector.stderr.String())
	}
	if n := len(collectLines(t, testsupport.ReadFile(t, output))); n != 2 {
		t.Errorf("%d lines, want 2", n)
	}
}
