package testsupport

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// PostHog is a stand-in for PostHog's capture API on loopback. It reads each
// POST to /batch/ the way capture does (a JSON body, gzip when the client
// says so, with api_key and a batch of events, each with event,
// distinct_id, timestamp, uuid and properties), refuses what capture would
// refuse, and keeps the events it accepted by uuid, so that a re-send counts
// once and a test can tell re-sends from duplicates.
type PostHog struct {
	URL string // its base URL, what --posthog-host names

	key string
	srv *http.Server
	ln  net.Listener

	mu       sync.Mutex
	events   map[string]CapturedEvent // by uuid
	received int                      // events accepted, re-sends included
	requests int
	keys     []string        // every api_key that came, to find the key in the request only
	offered  map[string]bool // the uuid of every event that came, refused or not
	problems []string
	fail     int            // how many requests to come are answered failStatus
	failStat int            // that status
	failRate int            // every failRate-th request fails with 503 (0: none)
	delay    time.Duration  // how long each answer waits
	refuse   map[string]int // distinct_id -> the status a batch holding it gets
}

// CapturedEvent is one event as the stand-in accepted it.
type CapturedEvent struct {
	Event      string
	DistinctID string
	Timestamp  string
	UUID       string
	Properties map[string]json.RawMessage
	Copies     int // how many times it came
}

// StartPostHog starts a stand-in that expects key, on a fresh loopback
// port.
func StartPostHog(tb testing.TB, key string) *PostHog {
	tb.Helper()
	return StartPostHogOn(tb, "127.0.0.1:0", key)
}

// FreeAddr returns a loopback address that nothing listens on now, for a
// PostHog that is down at first and comes up later with StartPostHogOn.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// StartPostHogOn starts a stand-in on addr until the test ends.
func StartPostHogOn(tb testing.TB, addr, key string) *PostHog {
	tb.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		tb.Fatal(err)
	}
	p := &PostHog{URL: "http://" + ln.Addr().String(), key: key, ln: ln, events: map[string]CapturedEvent{}, offered: map[string]bool{}}
	p.srv = &http.Server{Handler: http.HandlerFunc(p.serve), ReadHeaderTimeout: 10 * time.Second}
	go p.srv.Serve(ln)
	tb.Cleanup(p.Stop)
	return p
}

// Stop closes the stand-in and its connections: PostHog is down.
func (p *PostHog) Stop() { p.srv.Close() }

// FailNext answers the next n requests with status.
func (p *PostHog) FailNext(n, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail, p.failStat = n, status
}

// FailEvery answers every nth request with 503 from now on (0: none).
func (p *PostHog) FailEvery(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.failRate = n
}

// RefuseEvent answers every batch that holds the event with distinctID
// with status from now on, as capture refuses a whole batch for one event
// it cannot take.
func (p *PostHog) RefuseEvent(distinctID string, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refuse == nil {
		p.refuse = map[string]int{}
	}
	p.refuse[distinctID] = status
}

// Delay makes every answer wait d.
func (p *PostHog) Delay(d time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.delay = d
}

func (p *PostHog) problem(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.problems = append(p.problems, fmt.Sprintf(format, args...))
}

// batchBody is capture's /batch/ body.
type batchBody struct {
	APIKey string            `json:"api_key"`
	Batch  []json.RawMessage `json:"batch"`
}

type batchEvent struct {
	Event      string                     `json:"event"`
	DistinctID string                     `json:"distinct_id"`
	Timestamp  string                     `json:"timestamp"`
	UUID       string                     `json:"uuid"`
	Properties map[string]json.RawMessage `json:"properties"`
}

// serve answers one request as PostHog's capture API would, or as the test
// set it to fail; one flat function, so that each way of failing reads in
// the order a request meets it.
func (p *PostHog) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.requests++
	n, delay := p.requests, p.delay
	status := 0
	if p.fail > 0 {
		p.fail--
		status = p.failStat
	} else if p.failRate > 0 && n%p.failRate == 0 {
		status = http.StatusServiceUnavailable
	}
	p.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	if r.Method != http.MethodPost || r.URL.Path != "/batch/" {
		p.problem("%s %s, want POST /batch/", r.Method, r.URL.Path)
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			p.problem("gzip body: %v", err)
			http.Error(w, "bad gzip", http.StatusBadRequest)
			return
		}
		body = gz
	}
	raw, err := io.ReadAll(io.LimitReader(body, 20<<20))
	if err != nil {
		return // the client went away
	}
	if status != 0 {
		p.offer(raw)
		http.Error(w, `{"type":"server_error","detail":"stand-in outage"}`, status)
		return
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		p.problem("Content-Type %q, want application/json", ct)
	}
	var b batchBody
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&b); err != nil {
		p.problem("body is not JSON: %v", err)
		http.Error(w, `{"type":"validation_error"}`, http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	p.keys = append(p.keys, b.APIKey)
	p.mu.Unlock()
	if b.APIKey != p.key {
		p.problem("api_key is not the project's")
		http.Error(w, `{"type":"authentication_error"}`, http.StatusUnauthorized)
		return
	}
	if len(b.Batch) == 0 {
		p.problem("empty batch")
	}
	var accepted []batchEvent
	p.mu.Lock()
	refuse := p.refuse
	p.mu.Unlock()
	for _, rawEvent := range b.Batch {
		var e batchEvent
		if err := json.Unmarshal(rawEvent, &e); err != nil {
			p.problem("event is not an object: %v", err)
			http.Error(w, `{"type":"validation_error"}`, http.StatusBadRequest)
			return
		}
		if e.Event == "" || e.DistinctID == "" {
			p.problem("event without event name or distinct_id: %s", rawEvent)
		}
		if _, err := time.Parse(time.RFC3339Nano, e.Timestamp); err != nil {
			p.problem("timestamp %q is not RFC 3339", e.Timestamp)
		}
		if _, err := uuid.Parse(e.UUID); err != nil {
			p.problem("uuid %q is not a UUID", e.UUID)
		}
		if status, ok := refuse[e.DistinctID]; ok {
			p.offer(raw)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			io.WriteString(w, `{"type":"validation_error","code":"invalid_event","detail":"the stand-in refuses this event"}`)
			return
		}
		accepted = append(accepted, e)
	}
	p.mu.Lock()
	for _, e := range accepted {
		p.offered[e.UUID] = true
		p.received++
		c, seen := p.events[e.UUID]
		if seen && (c.DistinctID != e.DistinctID || c.Timestamp != e.Timestamp) {
			p.problems = append(p.problems, fmt.Sprintf("uuid %s came for two different events", e.UUID))
		}
		p.events[e.UUID] = CapturedEvent{Event: e.Event, DistinctID: e.DistinctID, Timestamp: e.Timestamp,
			UUID: e.UUID, Properties: e.Properties, Copies: c.Copies + 1}
	}
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"status":"Ok"}`)
}

// Events returns the accepted events, one per uuid, sorted by distinct_id.
func (p *PostHog) Events() []CapturedEvent {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]CapturedEvent, 0, len(p.events))
	for _, e := range p.events {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DistinctID < out[j].DistinctID })
	return out
}

// Counts returns how many distinct events, events with re-sends, and
// requests came.
func (p *PostHog) Counts() (distinct, received, requests int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.events), p.received, p.requests
}

// KeysSeen returns every api_key that came.
func (p *PostHog) KeysSeen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.keys...)
}

// WaitFor waits up to bound for n distinct events and fails the test
// otherwise.
func (p *PostHog) WaitFor(tb testing.TB, n int, bound time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(bound)
	for {
		distinct, received, requests := p.Counts()
		if distinct >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("PostHog stand-in has %d distinct events (%d with re-sends, %d requests) after %v, want %d",
				distinct, received, requests, bound, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Check fails the test for every request the real capture API would have
// read differently.
func (p *PostHog) Check(tb testing.TB) {
	tb.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, problem := range p.problems {
		tb.Errorf("PostHog stand-in: %s", problem)
	}
}

// offer notes the uuids of a refused batch's events.
func (p *PostHog) offer(raw []byte) {
	var b struct {
		Batch []struct {
			UUID string `json:"uuid"`
		} `json:"batch"`
	}
	if json.Unmarshal(raw, &b) != nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, e := range b.Batch {
		p.offered[e.UUID] = true
	}
}

// Offered is how many distinct events came at all, refused or accepted.
func (p *PostHog) Offered() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.offered)
}
