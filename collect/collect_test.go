package collect_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/tbot-telemetry/tbot-telemetry/collect"
	"github.com/tbot-telemetry/tbot-telemetry/event"
	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
	"github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha/prehogv1alphaconnect"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// receiver is a collect server on loopback writing to a real file.
type receiver struct {
	baseURL string
	output  string
}

// startReceiver serves collect's handler, with testsupport.Now as its
// clock, appending to a fresh file; it is stopped in t.Cleanup.
func startReceiver(t testing.TB) *receiver {
	t.Helper()
	output := filepath.Join(t.TempDir(), "events.jsonl")
	f, err := os.OpenFile(output, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() }) // after Serve has returned: cleanups run last first
	baseURL, _ := serveCollect(t, f, testsupport.Now)
	return &receiver{baseURL: baseURL, output: output}
}

// serveCollect serves collect's handler, writing to w with now as its
// clock, with collect.Serve on a loopback port. stop ends Serve's context
// and returns what Serve returned; the test's end stops it too.
func serveCollect(t testing.TB, w io.Writer, now func() time.Time) (baseURL string, stop func() error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	receiver := collect.NewReceiver(w, collect.Options{Now: now, Log: log})
	mux := http.NewServeMux()
	mux.Handle(receiver.Path(), receiver)

	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- collect.Serve(ctx, ln, mux, collect.ServeOptions{Log: log}) }()
	stop = sync.OnceValue(func() error {
		cancel()
		select {
		case err := <-served:
			return err
		case <-time.After(collect.ShutdownGrace + 5*time.Second):
			return errors.New("did not return after its context ended")
		}
	})
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String(), stop
}

// protocol is one way a client can talk to the service.
type protocol struct {
	name string
	opts []connect.ClientOption
	h2c  bool // gRPC needs HTTP/2; the others work over HTTP/1.1 too
}

var protocols = []protocol{
	{name: "connect+proto"},
	{name: "connect+json", opts: []connect.ClientOption{connect.WithProtoJSON()}},
	{name: "connect+proto+gzip", opts: []connect.ClientOption{connect.WithSendGzip()}},
	{name: "grpc+proto", opts: []connect.ClientOption{connect.WithGRPC()}, h2c: true},
	{name: "grpc+json", opts: []connect.ClientOption{connect.WithGRPC(), connect.WithProtoJSON()}, h2c: true},
	{name: "grpc-web+proto", opts: []connect.ClientOption{connect.WithGRPCWeb()}},
	{name: "grpc-web+json", opts: []connect.ClientOption{connect.WithGRPCWeb(), connect.WithProtoJSON()}},
}

func (r *receiver) client(t testing.TB, p protocol) prehogv1alphaconnect.TbotReportingServiceClient {
	return prehogv1alphaconnect.NewTbotReportingServiceClient(testsupport.HTTPClient(t, p.h2c), r.baseURL, p.opts...)
}

// lines reads the output file back; every line must be whole.
func (r *receiver) lines(t testing.TB) []string {
	t.Helper()
	b, err := os.ReadFile(r.output)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) == 0 {
		return nil
	}
	if !bytes.HasSuffix(b, []byte("\n")) {
		t.Fatalf("output ends in the middle of a line: %q", b[max(0, len(b)-80):])
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// parseEventLine decodes a line strictly: the shape README.md gives under "The
// event", nothing more, all nine properties present.
func parseEventLine(t testing.TB, line string) event.PostHog {
	t.Helper()
	var raw struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal([]byte(line), &raw); err != nil {
		t.Fatalf("line is not JSON: %v: %q", err, line)
	}
	if len(raw.Properties) != 9 {
		t.Errorf("line has %d properties, want all 9: %q", len(raw.Properties), line)
	}
	var ph event.PostHog
	dec := json.NewDecoder(strings.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&ph); err != nil {
		t.Fatalf("line is not in the dry-run shape: %v: %q", err, line)
	}
	if ph.Event != event.Name {
		t.Errorf("event = %q, want %q", ph.Event, event.Name)
	}
	if _, err := uuid.Parse(ph.DistinctID); err != nil {
		t.Errorf("distinct_id %q: %v", ph.DistinctID, err)
	}
	if _, err := time.Parse(event.TimestampFormat, ph.Timestamp); err != nil {
		t.Errorf("timestamp %q: %v", ph.Timestamp, err)
	}
	return ph
}

func startEvent(id string) *prehogv1alpha.SubmitTbotEventRequest {
	return &prehogv1alpha.SubmitTbotEventRequest{
		DistinctId: id,
		Timestamp:  timestamppb.New(time.Date(2026, 11, 25, 17, 4, 5, 678_900_000, time.UTC)),
		Event: &prehogv1alpha.SubmitTbotEventRequest_Start{Start: &prehogv1alpha.TbotStartEvent{
			RunMode:                 prehogv1alpha.TbotStartEvent_RUN_MODE_ONE_SHOT,
			Version:                 "17.4.2",
			JoinType:                "github",
			Helper:                  "gha:teleport-actions/auth",
			HelperVersion:           "2.1.2",
			DestinationsOther:       1,
			DestinationsDatabase:    0,
			DestinationsKubernetes:  1,
			DestinationsApplication: 1,
		}},
	}
}

func testContext(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// Every protocol and codec a client may pick is accepted, and its event
// comes out as exactly the line README.md shows under "The event".
func TestAcceptsEveryProtocol(t *testing.T) {
	for _, p := range protocols {
		t.Run(p.name, func(t *testing.T) {
			r := startReceiver(t)
			ctx := testContext(t, 30*time.Second)
			id := uuid.NewString()
			if _, err := r.client(t, p).SubmitTbotEvent(ctx, connect.NewRequest(startEvent(id))); err != nil {
				t.Fatalf("SubmitTbotEvent: %v", err)
			}
			want := `{"event":"tbot.start","distinct_id":"` + id + `","timestamp":"2026-11-25T17:04:05.678Z",` +
				`"properties":{"tbot.run_mode":"one-shot","tbot.version":"17.4.2","tbot.join_type":"github",` +
				`"tbot.helper":"gha:teleport-actions/auth","tbot.helper_version":"2.1.2",` +
				`"tbot.destinations_other":1,"tbot.destinations_database":0,` +
				`"tbot.destinations_kubernetes":1,"tbot.destinations_application":1}}`
			lines := r.lines(t)
			if len(lines) != 1 || lines[0] != want {
				t.Fatalf("output:\n%s\nwant one line:\n%s", strings.Join(lines, "\n"), want)
			}
		})
	}
}

// An event without a timestamp takes the receiver's ingest time, as prehog
// does.
func TestMissingTimestampIsIngestTime(t *testing.T) {
	r := startReceiver(t)
	req := startEvent(uuid.NewString())
	req.Timestamp = nil
	if _, err := r.client(t, protocols[0]).SubmitTbotEvent(testContext(t, 30*time.Second), connect.NewRequest(req)); err != nil {
		t.Fatalf("SubmitTbotEvent: %v", err)
	}
	lines := r.lines(t)
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1", len(lines))
	}
	if got := parseEventLine(t, lines[0]).Timestamp; got != "2026-11-26T06:00:00.123Z" {
		t.Errorf("timestamp = %q, want the ingest time 2026-11-26T06:00:00.123Z", got)
	}
}

// A plain JSON request, as curl would send it, is accepted: unset fields are
// zero and the timestamp is the ingest time.
func TestAcceptsPlainJSONAsCurlSendsIt(t *testing.T) {
	r := startReceiver(t)
	id := uuid.NewString()
	body := `{"distinctId":"` + id + `","start":{"runMode":"RUN_MODE_DAEMON","version":"17.4.2","joinType":"token","destinationsOther":2}}`
	req, err := http.NewRequestWithContext(testContext(t, 30*time.Second), http.MethodPost,
		r.baseURL+prehogv1alphaconnect.TbotReportingServiceSubmitTbotEventProcedure, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := testsupport.HTTPClient(t, false).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d %s, want 200", resp.StatusCode, answer)
	}
	if string(answer) != "{}" {
		t.Errorf("answer %q, want {}", answer)
	}
	want := `{"event":"tbot.start","distinct_id":"` + id + `","timestamp":"2026-11-26T06:00:00.123Z",` +
		`"properties":{"tbot.run_mode":"daemon","tbot.version":"17.4.2","tbot.join_type":"token",` +
		`"tbot.helper":"","tbot.helper_version":"",` +
		`"tbot.destinations_other":2,"tbot.destinations_database":0,` +
		`"tbot.destinations_kubernetes":0,"tbot.destinations_application":0}}`
	if lines := r.lines(t); len(lines) != 1 || lines[0] != want {
		t.Fatalf("output:\n%s\nwant one line:\n%s", strings.Join(lines, "\n"), want)
	}
}

// Each invalid event is refused with invalid_argument (or resource_exhausted
// when too large), leaves no line, and the receiver goes on accepting.
func TestRefusesInvalidEvents(t *testing.T) {
	valid := uuid.NewString()
	cases := []struct {
		name   string
		change func(*prehogv1alpha.SubmitTbotEventRequest)
		code   connect.Code
	}{
		{"empty distinct_id", func(r *prehogv1alpha.SubmitTbotEventRequest) { r.DistinctId = "" }, connect.CodeInvalidArgument},
		{"distinct_id not a UUID", func(r *prehogv1alpha.SubmitTbotEventRequest) { r.DistinctId = "bot-name" }, connect.CodeInvalidArgument},
		{"distinct_id in braces", func(r *prehogv1alpha.SubmitTbotEventRequest) { r.DistinctId = "{" + valid + "}" }, connect.CodeInvalidArgument},
		{"distinct_id as URN", func(r *prehogv1alpha.SubmitTbotEventRequest) { r.DistinctId = "urn:uuid:" + valid }, connect.CodeInvalidArgument},
		{"distinct_id without dashes", func(r *prehogv1alpha.SubmitTbotEventRequest) {
			r.DistinctId = strings.ReplaceAll(valid, "-", "")
		}, connect.CodeInvalidArgument},
		{"start missing", func(r *prehogv1alpha.SubmitTbotEventRequest) { r.Event = nil }, connect.CodeInvalidArgument},
		{"run_mode unspecified", func(r *prehogv1alpha.SubmitTbotEventRequest) {
			r.GetStart().RunMode = prehogv1alpha.TbotStartEvent_RUN_MODE_UNSPECIFIED
		}, connect.CodeInvalidArgument},
		{"run_mode unknown", func(r *prehogv1alpha.SubmitTbotEventRequest) { r.GetStart().RunMode = 7 }, connect.CodeInvalidArgument},
		{"negative count", func(r *prehogv1alpha.SubmitTbotEventRequest) { r.GetStart().DestinationsDatabase = -1 }, connect.CodeInvalidArgument},
		{"count too large", func(r *prehogv1alpha.SubmitTbotEventRequest) {
			r.GetStart().DestinationsApplication = collect.MaxCount + 1
		}, connect.CodeInvalidArgument},
		{"version too long", func(r *prehogv1alpha.SubmitTbotEventRequest) {
			r.GetStart().Version = strings.Repeat("1", collect.MaxStringBytes+1)
		}, connect.CodeInvalidArgument},
		{"join_type too long", func(r *prehogv1alpha.SubmitTbotEventRequest) {
			r.GetStart().JoinType = strings.Repeat("j", collect.MaxStringBytes+1)
		}, connect.CodeInvalidArgument},
		{"helper huge", func(r *prehogv1alpha.SubmitTbotEventRequest) {
			r.GetStart().Helper = strings.Repeat("h", 60<<10)
		}, connect.CodeInvalidArgument},
		{"helper_version too long", func(r *prehogv1alpha.SubmitTbotEventRequest) {
			r.GetStart().HelperVersion = strings.Repeat("v", collect.MaxStringBytes+1)
		}, connect.CodeInvalidArgument},
		{"timestamp out of range", func(r *prehogv1alpha.SubmitTbotEventRequest) {
			r.Timestamp = &timestamppb.Timestamp{Seconds: 1 << 62}
		}, connect.CodeInvalidArgument},
		{"body over 64 KiB", func(r *prehogv1alpha.SubmitTbotEventRequest) {
			r.GetStart().Helper = strings.Repeat("h", collect.MaxRequestBytes)
		}, connect.CodeResourceExhausted},
	}
	// JSON cannot carry these: the client refuses to encode them.
	binaryOnly := map[string]bool{"timestamp out of range": true}
	r := startReceiver(t)
	ctx := testContext(t, 60*time.Second)
	for _, p := range []protocol{protocols[0], protocols[1], protocols[3]} {
		client := r.client(t, p)
		for _, c := range cases {
			if binaryOnly[c.name] && strings.HasSuffix(p.name, "json") {
				continue
			}
			t.Run(p.name+"/"+c.name, func(t *testing.T) {
				req := startEvent(valid)
				c.change(req)
				_, err := client.SubmitTbotEvent(ctx, connect.NewRequest(req))
				if got := connect.CodeOf(err); got != c.code {
					t.Errorf("code %v (%v), want %v", got, err, c.code)
				}
			})
		}
	}
	if lines := r.lines(t); len(lines) != 0 {
		t.Fatalf("refused events left lines:\n%s", strings.Join(lines, "\n"))
	}
	if _, err := r.client(t, protocols[0]).SubmitTbotEvent(ctx, connect.NewRequest(startEvent(valid))); err != nil {
		t.Fatalf("receiver refused a valid event after invalid ones: %v", err)
	}
	if lines := r.lines(t); len(lines) != 1 || parseEventLine(t, lines[0]).DistinctID != valid {
		t.Fatalf("output after one valid event:\n%s", strings.Join(lines, "\n"))
	}
}

// Requests that are not an event at all, sent as raw HTTP: each gets the
// Connect error (or status) that says why, no line, and the receiver lives
// on.
func TestRefusesMalformedRequests(t *testing.T) {
	gzipped := func(b []byte) []byte {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(b)
		zw.Close()
		return buf.Bytes()
	}
	// A proto3 string must be UTF-8; this start event's version is not.
	badUTF8 := protowire.AppendTag(nil, 1, protowire.BytesType)
	badUTF8 = protowire.AppendString(badUTF8, uuid.NewString())
	start := protowire.AppendTag(nil, 1, protowire.VarintType)
	start = protowire.AppendVarint(start, 2)
	start = protowire.AppendTag(start, 2, protowire.BytesType)
	start = protowire.AppendBytes(start, []byte{0xff, 0xfe, '1'})
	badUTF8 = protowire.AppendTag(badUTF8, 3, protowire.BytesType)
	badUTF8 = protowire.AppendBytes(badUTF8, start)

	cases := []struct {
		name        string
		contentType string
		encoding    string
		body        []byte
		status      int
		code        string // the Connect error code in the JSON body; "" when none
	}{
		{"garbage bytes", "application/proto", "", []byte("\xff\xff\xff\xff\x00garbage\x01\x02"), http.StatusBadRequest, "invalid_argument"},
		{"garbage JSON", "application/json", "", []byte(`{"distinctId": nope`), http.StatusBadRequest, "invalid_argument"},
		{"JSON of the wrong type", "application/json", "", []byte(`{"distinctId": 7}`), http.StatusBadRequest, "invalid_argument"},
		{"string not UTF-8", "application/proto", "", badUTF8, http.StatusBadRequest, "invalid_argument"},
		{"empty body", "application/proto", "", nil, http.StatusBadRequest, "invalid_argument"},
		{"body over 64 KiB", "application/proto", "", bytes.Repeat([]byte{0}, collect.MaxRequestBytes+1), http.StatusTooManyRequests, "resource_exhausted"},
		{"gzip bomb", "application/proto", "gzip", gzipped(bytes.Repeat([]byte{0}, 1<<20)), http.StatusTooManyRequests, "resource_exhausted"},
		{"wrong content type", "text/plain", "", []byte("hello"), http.StatusUnsupportedMediaType, ""},
		{"form post", "application/x-www-form-urlencoded", "", []byte("distinctId=x"), http.StatusUnsupportedMediaType, ""},
	}
	r := startReceiver(t)
	ctx := testContext(t, 60*time.Second)
	client := testsupport.HTTPClient(t, false)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost,
				r.baseURL+prehogv1alphaconnect.TbotReportingServiceSubmitTbotEventProcedure, bytes.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", c.contentType)
			if c.encoding != "" {
				req.Header.Set("Content-Encoding", c.encoding)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			if resp.StatusCode != c.status {
				t.Errorf("status %d %s, want %d", resp.StatusCode, body, c.status)
			}
			if c.code != "" {
				var e struct{ Code string }
				if err := json.Unmarshal(body, &e); err != nil || e.Code != c.code {
					t.Errorf("body %s, want a Connect error with code %q", body, c.code)
				}
			}
		})
	}
	if lines := r.lines(t); len(lines) != 0 {
		t.Fatalf("malformed requests left lines:\n%s", strings.Join(lines, "\n"))
	}
	id := uuid.NewString()
	if _, err := r.client(t, protocols[0]).SubmitTbotEvent(ctx, connect.NewRequest(startEvent(id))); err != nil {
		t.Fatalf("receiver refused a valid event after malformed ones: %v", err)
	}
	if lines := r.lines(t); len(lines) != 1 || parseEventLine(t, lines[0]).DistinctID != id {
		t.Fatalf("output after one valid event:\n%s", strings.Join(lines, "\n"))
	}
}

// Many concurrent clients over every protocol: exactly one whole, parseable
// line per accepted event, each distinct_id exactly once.
func TestConcurrentClientsGetOneEventLineEach(t *testing.T) {
	const clients, perClient = 40, 100
	r := startReceiver(t)
	ctx := testContext(t, 60*time.Second)

	var (
		mu       sync.Mutex
		accepted = map[string]bool{}
		wg       sync.WaitGroup
		errs     = make(chan error, clients)
	)
	// Sending gzip costs the client, not the receiver: it is left to
	// TestAcceptsEveryProtocol.
	var rotation []protocol
	for _, p := range protocols {
		if !strings.Contains(p.name, "gzip") {
			rotation = append(rotation, p)
		}
	}
	for i := range clients {
		client := r.client(t, rotation[i%len(rotation)])
		wg.Go(func() {
			for range perClient {
				id := uuid.NewString()
				if _, err := client.SubmitTbotEvent(ctx, connect.NewRequest(startEvent(id))); err != nil {
					errs <- fmt.Errorf("client %d: %w", i, err)
					return
				}
				mu.Lock()
				accepted[id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	lines := r.lines(t)
	if len(lines) != len(accepted) {
		t.Errorf("%d lines for %d accepted events", len(lines), len(accepted))
	}
	seen := map[string]bool{}
	for _, line := range lines {
		id := parseEventLine(t, line).DistinctID
		if seen[id] {
			t.Errorf("distinct_id %s written twice", id)
		}
		seen[id] = true
		if !accepted[id] {
			t.Errorf("line for an event never accepted: %s", id)
		}
	}
	if len(accepted) != clients*perClient {
		t.Errorf("%d events accepted, want %d", len(accepted), clients*perClient)
	}
}

// Stdout is a valid output: lines there are whole too (the command's
// default).
func TestWritesToAnyWriter(t *testing.T) {
	var out testsupport.LockedBuffer
	baseURL, stop := serveCollect(t, &out, time.Now)
	ctx := testContext(t, 30*time.Second)

	client := prehogv1alphaconnect.NewTbotReportingServiceClient(testsupport.HTTPClient(t, false), baseURL)
	ids := []string{uuid.NewString(), uuid.NewString()}
	for _, id := range ids {
		if _, err := client.SubmitTbotEvent(ctx, connect.NewRequest(startEvent(id))); err != nil {
			t.Fatal(err)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	var got []string
	for sc.Scan() {
		got = append(got, parseEventLine(t, sc.Text()).DistinctID)
	}
	if len(got) != 2 || got[0] != ids[0] || got[1] != ids[1] {
		t.Errorf("distinct_ids %v, want %v", got, ids)
	}
}

// overlapWriter notes Write calls that overlap; each call yields the
// processor a while, as a writer that blocks (a pipe, a slow disk) would,
// so that overlapping calls show.
type overlapWriter struct {
	in, overlaps atomic.Int32
	out          testsupport.LockedBuffer
}

func (w *overlapWriter) Write(p []byte) (int, error) {
	if w.in.Add(1) > 1 {
		w.overlaps.Add(1)
	}
	defer w.in.Add(-1)
	for range 100 {
		runtime.Gosched()
	}
	return w.out.Write(p)
}

// The writer sees one Write at a time, however many clients send at once:
// it need not be safe for concurrent use, and its lines never interleave.
func TestOneWriteAtATime(t *testing.T) {
	const clients, perClient = 8, 25
	var w overlapWriter
	baseURL, stop := serveCollect(t, &w, time.Now)
	ctx := testContext(t, 60*time.Second)
	var wg sync.WaitGroup
	for range clients {
		client := prehogv1alphaconnect.NewTbotReportingServiceClient(testsupport.HTTPClient(t, false), baseURL)
		wg.Go(func() {
			for range perClient {
				if _, err := client.SubmitTbotEvent(ctx, connect.NewRequest(startEvent(uuid.NewString()))); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n := w.overlaps.Load(); n > 0 {
		t.Errorf("%d writes overlapped another", n)
	}
	if n := strings.Count(w.out.String(), "\n"); n != clients*perClient {
		t.Errorf("%d lines, want %d", n, clients*perClient)
	}
}
