package forward_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tbot-telemetry/tbot-telemetry/collect/record"
	"github.com/tbot-telemetry/tbot-telemetry/event"
	"github.com/tbot-telemetry/tbot-telemetry/forward"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// Tests of the forwarder against a PostHog stand-in on loopback, with a
// real output file and offset file, and the Go HTTP stack between them.

const (
	testKey = "phc_forwardTestKey-7f3a9c"
	bound   = 30 * time.Second
)

// fastOptions are production's options with the waits cut to test speed.
func fastOptions(host string, log *testsupport.LockedBuffer) forward.Options {
	return forward.Options{
		Host:       host,
		APIKey:     testKey,
		Transport:  http.DefaultTransport.(*http.Transport).Clone(),
		Log:        slog.New(slog.NewTextHandler(log, nil)),
		Poll:       5 * time.Millisecond,
		Interval:   10 * time.Millisecond,
		RetryAfter: func(int) time.Duration { return 20 * time.Millisecond },
		Grace:      2 * time.Second,
	}
}

// appendEvents appends n lines as collect writes them and returns them.
func appendEvents(t testing.TB, path string, n int) []string {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	for i := range n {
		req := testsupport.Event()
		req.DistinctId = uuid.NewString()
		req.Timestamp = timestamppb.New(time.Date(2026, 11, 26, 6, 0, i%60, 123_000_000, time.UTC))
		req.GetStart().DestinationsOther = int32(i)
		line, err := event.MarshalLine(req, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write(line); err != nil {
			t.Fatal(err)
		}
		lines = append(lines, string(line))
	}
	return lines
}

// running is a forwarder whose Run goes on in the background, on the
// output file opened as a queue.
type running struct {
	f    *forward.Forwarder
	rec  *record.File
	stop context.CancelFunc
	done chan error
}

func start(t testing.TB, path string, opts forward.Options) *running {
	t.Helper()
	rec, err := record.Open(path, record.Options{Follow: true, Log: opts.Log})
	if err != nil {
		t.Fatal(err)
	}
	f, err := forward.New(rec, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{f: f, rec: rec, stop: cancel, done: make(chan error, 1)}
	go func() { r.done <- f.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-r.done; rec.Close() })
	return r
}

// end stops the forwarder, waits for Run to return and closes the file.
func (r *running) end(t testing.TB) {
	t.Helper()
	r.stop()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatal(err)
		}
		r.done <- nil // for the cleanup
	case <-time.After(bound):
		t.Fatal("Run did not return")
	}
	if err := r.rec.Close(); err != nil {
		t.Fatal(err)
	}
}

// backlog is what a collect started now on path would have left to
// forward, in bytes and lines, and what it would log at its start.
func backlog(t *testing.T, path string) (bytes, lines int64, logs string) {
	t.Helper()
	var out testsupport.LockedBuffer
	rec, err := record.Open(path, record.Options{Follow: true, Log: slog.New(slog.NewTextHandler(&out, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	bytes, lines = rec.Backlog()
	return bytes, lines, out.String()
}

// waitForwarded waits until nothing of the file waits for PostHog.
func waitForwarded(t *testing.T, r *running) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		if b, l := r.rec.Backlog(); b == 0 && l == 0 {
			return
		}
		if time.Now().After(deadline) {
			b, l := r.rec.Backlog()
			t.Fatalf("%d bytes, %d lines still wait for PostHog", b, l)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Each line arrives as PostHog's capture API reads it: its name,
// distinct_id and timestamp, the nine properties exactly as written, the
// uuid derived from the event, and what keeps PostHog from recording the
// sender's address; the key is in the request and nowhere in the logs.
func TestForwardsEachEventLineAsWritten(t *testing.T) {
	ph := testsupport.StartPostHog(t, testKey)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	lines := appendEvents(t, path, 25)
	var logs testsupport.LockedBuffer
	r := start(t, path, fastOptions(ph.URL, &logs))
	ph.WaitFor(t, len(lines), bound)
	r.end(t)
	ph.Check(t)

	byID := map[string]testsupport.CapturedEvent{}
	for _, e := range ph.Events() {
		byID[e.DistinctID] = e
	}
	for _, l := range lines {
		var want struct {
			Event      string                     `json:"event"`
			DistinctID string                     `json:"distinct_id"`
			Timestamp  string                     `json:"timestamp"`
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal([]byte(l), &want); err != nil {
			t.Fatal(err)
		}
		got, ok := byID[want.DistinctID]
		if !ok {
			t.Fatalf("event %s never arrived", want.DistinctID)
		}
		if got.Event != "tbot.start" || got.Event != want.Event {
			t.Errorf("event %q, want %q", got.Event, want.Event)
		}
		if got.UUID != forward.EventUUID(want.Event, want.DistinctID, want.Timestamp) {
			t.Errorf("uuid %s is not the one derived from the event", got.UUID)
		}
		gotTS, err1 := time.Parse(time.RFC3339Nano, got.Timestamp)
		wantTS, err2 := time.Parse(time.RFC3339Nano, want.Timestamp)
		if err1 != nil || err2 != nil || !gotTS.Equal(wantTS) {
			t.Errorf("timestamp %q, want %q", got.Timestamp, want.Timestamp)
		}
		if len(want.Properties) != 9 {
			t.Fatalf("the test's line has %d properties", len(want.Properties))
		}
		for k, v := range want.Properties {
			if string(got.Properties[k]) != string(v) {
				t.Errorf("property %s = %s, want %s as in the line", k, got.Properties[k], v)
			}
		}
		if string(got.Properties["$geoip_disable"]) != "true" {
			t.Errorf("$geoip_disable = %s, want true", got.Properties["$geoip_disable"])
		}
		if ip, ok := got.Properties["$ip"]; !ok || string(ip) != "null" {
			t.Errorf("$ip = %s (present %v), want null so that PostHog records no address", ip, ok)
		}
		for k := range got.Properties {
			if !strings.HasPrefix(k, "tbot.") && !map[string]bool{"$geoip_disable": true, "$ip": true, "$lib": true, "$lib_version": true}[k] {
				t.Errorf("unexpected property %s", k)
			}
		}
	}
	if b, l, _ := backlog(t, path); b != 0 || l != 0 {
		t.Errorf("%d bytes, %d lines left to forward after a clean stop, want none", b, l)
	}
	if strings.Contains(logs.String(), testKey) {
		t.Errorf("the key is in the logs:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "Forwarding events to PostHog.") || !strings.Contains(logs.String(), ph.URL) {
		t.Errorf("no info line naming the host:\n%s", logs.String())
	}
}

// A second run on the same file sends only what the first did not: the
// lines acknowledged before a clean stop are not sent again.
func TestResumesFromTheAcknowledgedOffset(t *testing.T) {
	ph := testsupport.StartPostHog(t, testKey)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	appendEvents(t, path, 30)
	var logs testsupport.LockedBuffer
	r := start(t, path, fastOptions(ph.URL, &logs))
	ph.WaitFor(t, 30, bound)
	r.end(t)

	appendEvents(t, path, 20)
	r = start(t, path, fastOptions(ph.URL, &logs))
	ph.WaitFor(t, 50, bound)
	r.end(t)
	ph.Check(t)
	if distinct, received, _ := ph.Counts(); distinct != 50 || received != 50 {
		t.Errorf("%d distinct events, %d with re-sends; want 50 and 50", distinct, received)
	}
}

// PostHog down at the start, then refusing with 503 for a while, then slow:
// every line arrives, each uuid once, and the warnings name the status
// class and never the key or PostHog's answer.
func TestOutageThenRefusalsThenSlowness(t *testing.T) {
	addr := testsupport.FreeAddr(t)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	appendEvents(t, path, 40)
	var logs testsupport.LockedBuffer
	r := start(t, path, fastOptions("http://"+addr, &logs))

	// Down: nothing listens yet, until the forwarder found so. Lines keep
	// coming meanwhile.
	waitLogged(t, &logs, "status=unreachable")
	appendEvents(t, path, 40)
	ph := testsupport.StartPostHogOn(t, addr, testKey)
	ph.FailNext(10, http.StatusServiceUnavailable)
	ph.WaitFor(t, 80, bound)
	ph.Delay(300 * time.Millisecond)
	appendEvents(t, path, 20)
	ph.WaitFor(t, 100, bound)
	r.end(t)
	ph.Check(t)

	if distinct, _, _ := ph.Counts(); distinct != 100 {
		t.Errorf("%d distinct events, want 100", distinct)
	}
	for _, e := range ph.Events() {
		if e.UUID != forward.EventUUID(e.Event, e.DistinctID, e.Timestamp) {
			t.Errorf("uuid %s is not derived from its event", e.UUID)
		}
	}
	if b, l, _ := backlog(t, path); b != 0 || l != 0 {
		t.Errorf("%d bytes, %d lines left to forward, want none", b, l)
	}
	out := logs.String()
	for _, want := range []string{`status=unreachable`, `status=5xx`, "PostHog accepts events again."} {
		if !strings.Contains(out, want) {
			t.Errorf("logs lack %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, testKey) || strings.Contains(out, "stand-in outage") {
		t.Errorf("logs carry the key or PostHog's answer:\n%s", out)
	}
}

// A batch acknowledged after an earlier one that is still being retried
// does not move the acknowledged offset past the earlier one's lines: a
// stop then, and a start, sends them.
func TestOffsetAdvancesOnlyOverAContiguousPrefix(t *testing.T) {
	ph := testsupport.StartPostHog(t, testKey)
	ph.FailNext(1, http.StatusServiceUnavailable)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	first := appendEvents(t, path, 10)
	var logs testsupport.LockedBuffer
	opts := fastOptions(ph.URL, &logs)
	// The refused first batch waits out a long backoff.
	opts.RetryAfter = func(int) time.Duration { return time.Minute }
	r := start(t, path, opts)
	deadline := time.Now().Add(bound)
	for _, _, requests := ph.Counts(); requests < 1; _, _, requests = ph.Counts() {
		if time.Now().After(deadline) {
			t.Fatal("no request came")
		}
		time.Sleep(5 * time.Millisecond)
	}
	appendEvents(t, path, 10)
	ph.WaitFor(t, 10, bound)
	r.end(t)
	if _, l, _ := backlog(t, path); l != 20 {
		t.Errorf("%d lines left to forward while the first %d lines were never acknowledged, want all 20", l, len(first))
	}
	r = start(t, path, fastOptions(ph.URL, &logs))
	ph.WaitFor(t, 20, bound)
	r.end(t)
	ph.Check(t)
}

// However long PostHog refuses, no more than Window lines are read ahead
// of the acknowledged offset; once it accepts, the rest follow.
func TestReadsAtMostWindowAhead(t *testing.T) {
	ph := testsupport.StartPostHog(t, testKey)
	ph.FailNext(1<<30, http.StatusServiceUnavailable)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	appendEvents(t, path, 500)
	var logs testsupport.LockedBuffer
	opts := fastOptions(ph.URL, &logs)
	opts.Window = 50
	r := start(t, path, opts)
	// Let it try for a while: many refused requests.
	deadline := time.Now().Add(bound)
	for _, _, requests := ph.Counts(); requests < 20; _, _, requests = ph.Counts() {
		if time.Now().After(deadline) {
			t.Fatal("no requests came")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if offered := ph.Offered(); offered > opts.Window {
		t.Errorf("%d distinct events offered to a refusing PostHog, want at most the window of %d", offered, opts.Window)
	}
	ph.FailNext(0, 0)
	ph.WaitFor(t, 500, bound)
	r.end(t)
	ph.Check(t)
	if distinct, received, _ := ph.Counts(); distinct != 500 || received != 500 {
		t.Errorf("%d distinct events, %d with re-sends; want 500 and 500", distinct, received)
	}
}

// An offset that cannot belong to the file (the file was replaced by a
// shorter one) starts over from the top rather than skipping lines; a
// line that is not an event is passed over without being logged.
func TestOffsetThatDoesNotFitAndWhatIsNotAnEvent(t *testing.T) {
	ph := testsupport.StartPostHog(t, testKey)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	appendEvents(t, path, 3)
	if err := os.WriteFile(record.CursorPath(path), []byte("999999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	// What a full disk leaves behind: half a line, then the next on its
	// own line.
	f.WriteString(`{"event":"tbot.start","distinct_id":"secret-half` + "\n")
	f.Close()
	appendEvents(t, path, 2)
	var logs testsupport.LockedBuffer
	r := start(t, path, fastOptions(ph.URL, &logs))
	ph.WaitFor(t, 5, bound)
	waitForwarded(t, r)
	r.end(t)
	ph.Check(t)
	if st := r.f.Stats(); st.Skipped != 1 || st.Forwarded != 5 {
		t.Errorf("stats %+v, want 5 forwarded and 1 skipped", st)
	}
	out := logs.String()
	if !strings.Contains(out, "not the one the offset file describes") || !strings.Contains(out, "Skipped a line") || strings.Contains(out, "secret-half") {
		t.Errorf("logs:\n%s", out)
	}
}

// Waiting counts the lines past the acknowledged offset.
func TestWaitingIsTheBacklog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.jsonl")
	lines := appendEvents(t, path, 7)
	// An offset file as an earlier release wrote it: the bare offset.
	if err := os.WriteFile(record.CursorPath(path), []byte(strconv.Itoa(len(lines[0])+len(lines[1]))), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, l, logs := backlog(t, path); l != 5 || b != int64(len(strings.Join(lines[2:], ""))) || logs != "" {
		t.Errorf("backlog %d bytes, %d lines, logging %q; want the last 5 lines, silently", b, l, logs)
	}
}

// A stop flushes what posthog-go holds (here a batch its flush interval
// would not send for a minute) and saves the offset it reached.
func TestStopFlushesAndSavesTheOffset(t *testing.T) {
	ph := testsupport.StartPostHog(t, testKey)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	appendEvents(t, path, 5)
	var logs testsupport.LockedBuffer
	opts := fastOptions(ph.URL, &logs)
	opts.Interval = time.Minute
	r := start(t, path, opts)
	// The lines are read at once; nothing is sent before the stop.
	time.Sleep(50 * time.Millisecond)
	if distinct, _, _ := ph.Counts(); distinct != 0 {
		t.Fatalf("%d events sent before the flush interval", distinct)
	}
	r.end(t)
	if distinct, _, _ := ph.Counts(); distinct != 5 {
		t.Errorf("%d events sent by the stop, want 5", distinct)
	}
	if b, l, _ := backlog(t, path); b != 0 || l != 0 {
		t.Errorf("%d bytes, %d lines left after the stop, want none", b, l)
	}
}

// A restart on a fully acknowledged file (the offset at the file's end, as
// a clean stop leaves it) forwards nothing and warns about nothing.
func TestRestartOnAFullyAcknowledgedFile(t *testing.T) {
	ph := testsupport.StartPostHog(t, testKey)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	appendEvents(t, path, 12)
	var logs testsupport.LockedBuffer
	r := start(t, path, fastOptions(ph.URL, &logs))
	ph.WaitFor(t, 12, bound)
	r.end(t)
	_, _, requests := ph.Counts()

	var again testsupport.LockedBuffer
	r = start(t, path, fastOptions(ph.URL, &again))
	// One new line, after the twelve: once it has arrived, and the stop
	// has flushed everything, whatever the restart would have sent again
	// has arrived too.
	appendEvents(t, path, 1)
	ph.WaitFor(t, 13, bound)
	r.end(t)
	if _, received, after := ph.Counts(); received != 13 || after != requests+1 {
		t.Errorf("%d events received in %d requests, want 13 in %d: nothing sent again after the restart", received, after, requests+1)
	}
	if st := r.f.Stats(); st != (forward.Stats{Forwarded: 1}) {
		t.Errorf("stats %+v after the restart, want the one new line forwarded", st)
	}
	if out := again.String(); strings.Contains(out, "level=WARN") || strings.Contains(out, "level=ERROR") {
		t.Errorf("the restart warns:\n%s", out)
	}
}

// An event that PostHog refuses for good (400) in a batch with others: the
// others arrive, the batch's events are tried alone, and the refused one
// goes to the dead-letter file with PostHog's status and answer; the
// offset moves past it, and PostHog is asked a bounded number of times.
func TestDeadLettersWhatPostHogRefusesForGood(t *testing.T) {
	ph := testsupport.StartPostHog(t, testKey)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	lines := appendEvents(t, path, 30)
	var bad struct {
		DistinctID string `json:"distinct_id"`
	}
	if err := json.Unmarshal([]byte(lines[17]), &bad); err != nil {
		t.Fatal(err)
	}
	ph.RefuseEvent(bad.DistinctID, http.StatusBadRequest)
	var logs testsupport.LockedBuffer
	r := start(t, path, quickRetries(fastOptions(ph.URL, &logs)))
	waitForwarded(t, r)
	r.end(t)
	ph.Check(t)
	if distinct, _, requests := ph.Counts(); distinct != 29 || requests > 40 {
		t.Errorf("%d events at PostHog in %d requests, want the 29 good ones in a bounded number", distinct, requests)
	}
	if st := r.f.Stats(); st.DeadLettered != 1 {
		t.Errorf("stats %+v, want one dead letter", st)
	}
	dead := strings.Split(strings.TrimSpace(testsupport.ReadFile(t, forward.DeadLetterPath(path))), "\n")
	if len(dead) != 1 {
		t.Fatalf("dead-letter file:\n%s", strings.Join(dead, "\n"))
	}
	var letter forward.DeadLetter
	if err := json.Unmarshal([]byte(dead[0]), &letter); err != nil {
		t.Fatal(err)
	}
	if letter.Status != 400 || !strings.Contains(letter.Reason, "the stand-in refuses this event") ||
		string(letter.EventLine) != strings.TrimSuffix(lines[17], "\n") {
		t.Errorf("dead letter %+v, want status 400, PostHog's answer and the line", letter)
	}
	if _, err := time.Parse(time.RFC3339Nano, letter.Time); err != nil {
		t.Errorf("time %q: %v", letter.Time, err)
	}
	if strings.Contains(logs.String(), testKey) || strings.Contains(testsupport.ReadFile(t, forward.DeadLetterPath(path)), testKey) {
		t.Error("the key is in the logs or the dead-letter file")
	}
}

// A refusal of the key (401, 403) is not the events' fault: nothing is
// dead-lettered, and the events wait for the key to be fixed.
func TestAKeyRefusalIsNotDeadLettered(t *testing.T) {
	ph := testsupport.StartPostHog(t, "phc_another-project")
	path := filepath.Join(t.TempDir(), "events.jsonl")
	appendEvents(t, path, 5)
	var logs testsupport.LockedBuffer
	r := start(t, path, fastOptions(ph.URL, &logs))
	deadline := time.Now().Add(bound)
	for _, _, requests := ph.Counts(); requests < 5; _, _, requests = ph.Counts() {
		if time.Now().After(deadline) {
			t.Fatal("no requests")
		}
		time.Sleep(5 * time.Millisecond)
	}
	r.end(t)
	if _, err := os.Stat(forward.DeadLetterPath(path)); err == nil {
		t.Error("a dead-letter file for a refused key")
	}
	if _, l, _ := backlog(t, path); l != 5 {
		t.Errorf("%d lines wait, want all 5", l)
	}
	if n := strings.Count(logs.String(), "refuses the project API key"); n != 2 || !strings.Contains(logs.String(), "repeated=") {
		t.Errorf("%d lines about the key, want 2: the first, and on the way out how many more (the rest counted):\n%s", n, logs.String())
	}
}

// Requests sent into a hang that fail only after PostHog accepts again
// (old requests timing out) do not make the logs flap between "retrying"
// and "accepts again".
func TestOldRequestsDoNotFlap(t *testing.T) {
	ph := testsupport.StartPostHog(t, testKey)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	var logs testsupport.LockedBuffer
	opts := fastOptions(ph.URL, &logs)
	hang := make(chan struct{})
	hanging := make(chan struct{}, 10)
	var n atomic.Int64
	next := opts.Transport
	opts.Transport = roundTripper(func(req *http.Request) (*http.Response, error) {
		if n.Add(1) <= 2 {
			hanging <- struct{}{}
			<-hang
			return nil, errors.New("timed out")
		}
		return next.RoundTrip(req)
	})
	r := start(t, path, opts)
	appendEvents(t, path, 3)
	<-hanging
	appendEvents(t, path, 3)
	<-hanging
	// PostHog is back: a newer batch is accepted, then the two old ones
	// fail. Accepted as the forwarder sees it: PostHog keeping the events
	// comes before its answer reaches the forwarder, and old requests
	// failing before that answer are news.
	appendEvents(t, path, 3)
	ph.WaitFor(t, 3, bound)
	for deadline := time.Now().Add(bound); r.f.Stats().Forwarded < 3; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the forwarder never took PostHog's answer: %+v", r.f.Stats())
		}
	}
	close(hang)
	ph.WaitFor(t, 9, bound)
	r.end(t)
	out := logs.String()
	if strings.Contains(out, "retrying") || strings.Contains(out, "accepts events again") {
		t.Errorf("the logs flap on old requests:\n%s", out)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }

// The forwarder follows the queue through a move and a copytruncate while
// it runs: every event arrives once.
func TestForwardsThroughRotations(t *testing.T) {
	ph := testsupport.StartPostHog(t, testKey)
	dir := t.TempDir()
	path := filepath.Join(dir, "events.jsonl")
	var logs testsupport.LockedBuffer
	r := start(t, path, fastOptions(ph.URL, &logs))
	write := func(n int) {
		t.Helper()
		for range n {
			req := testsupport.Event()
			req.DistinctId = uuid.NewString()
			line, err := event.MarshalLine(req, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.rec.Write(line); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(10)
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	write(10)
	ph.WaitFor(t, 20, bound)
	write(10)
	if err := os.WriteFile(path+".2", []byte(testsupport.ReadFile(t, path)), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	write(10)
	ph.WaitFor(t, 40, bound)
	waitForwarded(t, r)
	r.end(t)
	ph.Check(t)
	if distinct, _, _ := ph.Counts(); distinct != 40 {
		t.Errorf("%d events at PostHog, want 40", distinct)
	}
}
