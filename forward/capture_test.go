package forward_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/forward"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// Which answers refuse a batch for good: a 4xx, but not 408 and 429 (they
// say "later") nor 401 and 403 (they refuse the key, not the events).
func TestPermanent(t *testing.T) {
	for status, want := range map[int]bool{
		400: true, 404: true, 413: true, 422: true, 499: true,
		401: false, 403: false, 408: false, 429: false,
		200: false, 204: false, 302: false, 500: false, 502: false, 503: false, 504: false,
	} {
		if got := forward.Permanent(status); got != want {
			t.Errorf("Permanent(%d) = %v, want %v", status, got, want)
		}
	}
}

// An event's uuid is a function of its name, distinct_id and timestamp,
// and of nothing else: the same in every release (PostHog counts re-sends
// across an upgrade once), another for another start of the same bot.
func TestEventUUID(t *testing.T) {
	const id, ts = "9c5bd4e4-9d7c-4a3c-8f3e-0f4b1c2d3e4f", "2026-11-26T06:00:00.123Z"
	// A version 5 uuid in the namespace 5f0c1ad4-9a0e-4f55-8a47-7c1b3e2d9f60
	// of "name NUL distinct_id NUL timestamp" (Python's uuid.uuid5 agrees).
	if got := forward.EventUUID("tbot.start", id, ts); got != "2c704b70-6d6b-5119-b17e-80d53b845347" {
		t.Errorf("EventUUID = %s, want the one every release derives", got)
	}
	for _, other := range [][3]string{
		{"tbot.start", id, "2026-11-26T06:00:00.124Z"},
		{"tbot.start", "9c5bd4e4-9d7c-4a3c-8f3e-0f4b1c2d3e40", ts},
		{"tbot.stop", id, ts},
	} {
		if forward.EventUUID(other[0], other[1], other[2]) == forward.EventUUID("tbot.start", id, ts) {
			t.Errorf("%q has the same uuid as another event", other)
		}
	}
}

// What is sent of a line is its name, distinct_id, timestamp and tbot.*
// properties: a $-property in it (a person update, an address) is not;
// and what is not one event (no distinct_id, two JSON values, not JSON)
// is skipped. A host given with a trailing slash is the same host.
func TestWhatIsSentOfALine(t *testing.T) {
	ph := testsupport.StartPostHog(t, testKey)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	lines := []string{
		`{"event":"tbot.start","timestamp":"2026-11-26T06:00:00.123Z","properties":{"tbot.version":"17.4.2"}}`,
		`{"event":"tbot.start","distinct_id":"a","timestamp":"2026-11-26T06:00:00.123Z"} {"event":"tbot.start"}`,
		`not json`,
		`{"event":"tbot.start","distinct_id":"9c5bd4e4-9d7c-4a3c-8f3e-0f4b1c2d3e4f","timestamp":"2026-11-26T06:00:00.123Z",` +
			`"properties":{"tbot.version":"17.4.2","$set":{"email":"x@example.com"},"$ip":"192.0.2.1","version":"1"}}`,
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs testsupport.LockedBuffer
	r := start(t, path, fastOptions(ph.URL+"/", &logs))
	waitForwarded(t, r)
	r.end(t)
	ph.Check(t)
	if st := r.f.Stats(); st != (forward.Stats{Forwarded: 1, Skipped: 3}) {
		t.Errorf("stats %+v, want 1 forwarded and 3 skipped", st)
	}
	events := ph.Events()
	if len(events) != 1 {
		t.Fatalf("%d events at PostHog, want 1", len(events))
	}
	props := map[string]string{}
	for k, v := range events[0].Properties {
		if k != "$lib" && k != "$lib_version" {
			props[k] = string(v)
		}
	}
	got, _ := json.Marshal(props)
	want, _ := json.Marshal(map[string]string{"tbot.version": `"17.4.2"`, "$geoip_disable": "true", "$ip": "null"})
	if string(got) != string(want) {
		t.Errorf("properties %s, want %s", got, want)
	}
	if events[0].Timestamp != "2026-11-26T06:00:00.123Z" {
		t.Errorf("timestamp %s, want 2026-11-26T06:00:00.123Z", events[0].Timestamp)
	}
}

// An event written twice (a sender's retry that was recorded both times)
// is sent twice with one uuid, PostHog counts it once, and both lines are
// acknowledged.
func TestAnEventWrittenTwice(t *testing.T) {
	ph := testsupport.StartPostHog(t, testKey)
	path := filepath.Join(t.TempDir(), "events.jsonl")
	lines := appendEvents(t, path, 2)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(lines[0] + lines[1] + lines[0])
	f.Close()
	var logs testsupport.LockedBuffer
	r := start(t, path, fastOptions(ph.URL, &logs))
	waitForwarded(t, r)
	r.end(t)
	ph.Check(t)
	if distinct, _, _ := ph.Counts(); distinct != 2 {
		t.Errorf("%d events at PostHog, want 2", distinct)
	}
	if st := r.f.Stats(); st.Forwarded != 5 {
		t.Errorf("stats %+v, want the 5 lines forwarded", st)
	}
}
