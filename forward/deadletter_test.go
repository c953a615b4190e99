package forward_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/forward"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// quickRetries makes posthog-go's retries immediate: a batch refused for
// good is answered from the first answer, ten times, before posthog-go
// gives up on it and its events are tried alone.
func quickRetries(opts forward.Options) forward.Options {
	opts.RetryAfter = func(int) time.Duration { return time.Millisecond }
	return opts
}

// distinctID is the distinct_id of a line of the output file.
func distinctID(t *testing.T, line string) string {
	t.Helper()
	var l struct {
		DistinctID string `json:"distinct_id"`
	}
	if err := json.Unmarshal([]byte(line), &l); err != nil {
		t.Fatal(err)
	}
	return l.DistinctID
}

// waitLogged waits until the logs hold want.
func waitLogged(t *testing.T, logs *testsupport.LockedBuffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(bound); !strings.Contains(logs.String(), want); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the logs never said %q:\n%s", want, logs.String())
		}
	}
}

// An event refused for good whose dead letter cannot be written yet (the
// path taken by a folder, a full disk) stays in the backlog, unacknowledged,
// until it can: the offset never moves past an event that no file holds.
// The dead-letter file, once made, is private to its owner.
func TestADeadLetterWaitsForItsFile(t *testing.T) {
	ph := testsupport.StartPostHog(t, testKey)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	lines := appendEvents(t, path, 3)
	ph.RefuseEvent(distinctID(t, lines[2]), http.StatusBadRequest)
	if err := os.Mkdir(forward.DeadLetterPath(path), 0o700); err != nil {
		t.Fatal(err)
	}
	var logs testsupport.LockedBuffer
	r := start(t, path, quickRetries(fastOptions(ph.URL, &logs)))
	waitLogged(t, &logs, "Could not write to the dead-letter file")
	ph.WaitFor(t, 2, bound)
	if b, l := r.rec.Backlog(); b != int64(len(lines[2])) || l != 1 {
		t.Errorf("backlog %d bytes, %d lines while the dead letter is not written; want the refused line's", b, l)
	}
	if err := os.Remove(forward.DeadLetterPath(path)); err != nil {
		t.Fatal(err)
	}
	waitForwarded(t, r)
	r.end(t)
	dead := testsupport.ReadFile(t, forward.DeadLetterPath(path))
	if strings.Count(dead, "\n") != 1 || !strings.Contains(dead, distinctID(t, lines[2])) {
		t.Errorf("dead-letter file:\n%s", dead)
	}
	if st := r.f.Stats(); st != (forward.Stats{Forwarded: 2, DeadLettered: 1}) {
		t.Errorf("stats %+v", st)
	}
	info, err := os.Stat(forward.DeadLetterPath(path))
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("the dead-letter file's mode is %v, want -rw-------", perm)
	}
}

// A dead letter is synced before the offset moves past its event, so that
// the machine going down cannot lose it from both files. Only the system
// calls show it: the test runs itself again under strace.
func TestADeadLetterIsSynced(t *testing.T) {
	const env = "FORWARD_TEST_DEAD_LETTER_PATH"
	if path := os.Getenv(env); path != "" {
		// The traced run: one event refused for good.
		ph := testsupport.StartPostHog(t, testKey)
		lines := appendEvents(t, path, 1)
		ph.RefuseEvent(distinctID(t, lines[0]), http.StatusUnprocessableEntity)
		var logs testsupport.LockedBuffer
		r := start(t, path, quickRetries(fastOptions(ph.URL, &logs)))
		waitForwarded(t, r)
		r.end(t)
		return
	}
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "events.jsonl")
	calls := testsupport.TraceSyscalls(t, bound, []string{"fsync", "fdatasync"}, "TestADeadLetterIsSynced", env+"="+path)
	for _, call := range calls {
		if strings.Contains(call, "<"+forward.DeadLetterPath(path)+">") && strings.Contains(call, "= 0") {
			if !strings.Contains(testsupport.ReadFile(t, forward.DeadLetterPath(path)), `"status":422`) {
				t.Error("the traced run wrote no dead letter")
			}
			return
		}
	}
	t.Errorf("no sync of the dead-letter file in:\n%s", strings.Join(calls, "\n"))
}

// PostHog's answer is kept as the reason, cut to 512 bytes, the key never
// in it even when PostHog echoes it.
func TestARefusalsReasonIsCutAndHidesTheKey(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// A PostHog that refuses every batch for good, naming the key it got.
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"detail":"project `+testKey+` refuses this: `+strings.Repeat("x", 2000)+`"}`)
	}), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	path := filepath.Join(t.TempDir(), "events.jsonl")
	appendEvents(t, path, 1)
	var logs testsupport.LockedBuffer
	r := start(t, path, quickRetries(fastOptions("http://"+ln.Addr().String(), &logs)))
	waitForwarded(t, r)
	r.end(t)
	var letter forward.DeadLetter
	if err := json.Unmarshal([]byte(testsupport.ReadFile(t, forward.DeadLetterPath(path))), &letter); err != nil {
		t.Fatal(err)
	}
	if len(letter.Reason) != 512 || !strings.HasPrefix(letter.Reason, `{"detail":"project [key] refuses this: xxx`) {
		t.Errorf("reason of %d bytes: %.80q...; want PostHog's answer cut to 512 bytes, the key hidden", len(letter.Reason), letter.Reason)
	}
}
