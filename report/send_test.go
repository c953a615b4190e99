package report

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
	"github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha/prehogv1alphaconnect"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// Every test of this package sends only to loopback. The client's dialer is
// guarded: a dial anywhere else is recorded and answered as a resolver
// answers for a name that does not exist, so a test that would leave the
// machine fails instead.

// netGuard lets the client dial loopback addresses only.
type netGuard struct {
	mu    sync.Mutex
	dials []string
}

func (g *netGuard) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	g.mu.Lock()
	g.dials = append(g.dials, addr)
	g.mu.Unlock()
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsLoopback() {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
}

func (g *netGuard) dialed() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]string(nil), g.dials...)
}

// testEnv is an injected environment.
type testEnv map[string]string

func (e testEnv) get(key string) string { return e[key] }

// sendResult is what one Send did.
type sendResult struct {
	err    error
	logs   string // JSON lines, debug level
	guard  *netGuard
	client *http.Client
}

// send runs Send with a guarded client built as NewHTTPClient builds it.
func send(t *testing.T, endpoint string, env testEnv, timeout time.Duration) sendResult {
	t.Helper()
	return sendEvent(t, endpoint, env, timeout, testsupport.Event())
}

func sendEvent(t *testing.T, endpoint string, env testEnv, timeout time.Duration, ev *prehogv1alpha.SubmitTbotEventRequest) sendResult {
	t.Helper()
	guard := &netGuard{}
	client := newHTTPClient(env.get, guard.dial)
	t.Cleanup(client.CloseIdleConnections)
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := Send(ctx, SendOptions{Endpoint: endpoint, Client: client, Getenv: env.get, Logger: logger}, ev)
	return sendResult{err: err, logs: logs.String(), guard: guard, client: client}
}

func wantError(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || err.Error() != want {
		t.Fatalf("Send returned %v, want %q", err, want)
	}
	var sendErr *SendError
	if !errors.As(err, &sendErr) {
		t.Fatalf("Send returned %T, want *SendError", err)
	}
}

func countLevel(lines []map[string]any, level string) int {
	n := 0
	for _, l := range lines {
		if l["level"] == level {
			n++
		}
	}
	return n
}

// A full send: the request is the one tbot makes, every field arrives, and
// the success is logged as tbot logs it.
func TestSendFullEvent(t *testing.T) {
	svc := testsupport.StartService(t)
	res := send(t, svc.URL, nil, 10*time.Second)
	if res.err != nil {
		t.Fatalf("Send: %v", res.err)
	}
	reqs := svc.Requests()
	if len(reqs) != 1 {
		t.Fatalf("service got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != http.MethodPost || r.Path != prehogv1alphaconnect.TbotReportingServiceSubmitTbotEventProcedure {
		t.Errorf("request %s %s", r.Method, r.Path)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/proto" {
		t.Errorf("Content-Type %q, want application/proto (binary, as tbot sends)", ct)
	}
	if v := r.Header.Get("Connect-Protocol-Version"); v != "1" {
		t.Errorf("Connect-Protocol-Version %q", v)
	}
	if ms, err := strconv.Atoi(r.Header.Get("Connect-Timeout-Ms")); err != nil || ms <= 0 || ms > 10_000 {
		t.Errorf("Connect-Timeout-Ms %q: the deadline must travel with the call", r.Header.Get("Connect-Timeout-Ms"))
	}

	got, want := svc.OnlyEvent(t), testsupport.Event()
	if got.GetDistinctId() != want.GetDistinctId() {
		t.Errorf("distinct_id %q", got.GetDistinctId())
	}
	if !got.GetTimestamp().AsTime().Equal(want.GetTimestamp().AsTime()) {
		t.Errorf("timestamp %v", got.GetTimestamp().AsTime())
	}
	gs, ws := got.GetStart(), want.GetStart()
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"run_mode", gs.GetRunMode(), ws.GetRunMode()},
		{"version", gs.GetVersion(), ws.GetVersion()},
		{"join_type", gs.GetJoinType(), ws.GetJoinType()},
		{"helper", gs.GetHelper(), ws.GetHelper()},
		{"helper_version", gs.GetHelperVersion(), ws.GetHelperVersion()},
		{"destinations_other", gs.GetDestinationsOther(), ws.GetDestinationsOther()},
		{"destinations_database", gs.GetDestinationsDatabase(), ws.GetDestinationsDatabase()},
		{"destinations_kubernetes", gs.GetDestinationsKubernetes(), ws.GetDestinationsKubernetes()},
		{"destinations_application", gs.GetDestinationsApplication(), ws.GetDestinationsApplication()},
	} {
		if f.got != f.want {
			t.Errorf("start.%s = %v, want %v", f.name, f.got, f.want)
		}
	}

	lines := testsupport.LogLines(t, res.logs)
	var success map[string]any
	for _, l := range lines {
		if l["msg"] == "Successfully transmitted anonymous telemetry" {
			success = l
		}
	}
	if success == nil || success["level"] != "DEBUG" || success["distinct_id"] != want.GetDistinctId() || success["duration"] == nil {
		t.Errorf("want tbot's debug line with distinct_id and duration, got:\n%s", res.logs)
	}
	if n := countLevel(lines, "WARN"); n != 0 {
		t.Errorf("%d warnings for a loopback send:\n%s", n, res.logs)
	}
}

// The bytes on the wire, decoded by field number without the generated
// code, have the layout of upstream's tbot.proto.
func TestSendWireLayout(t *testing.T) {
	svc := testsupport.StartService(t)
	if res := send(t, svc.URL, nil, 10*time.Second); res.err != nil {
		t.Fatalf("Send: %v", res.err)
	}
	body := svc.Requests()[0].Body

	top := decodeFields(t, body)
	if got := string(top.bytes(t, 1)); got != "0b6f3c1e-8a4d-4e2b-9c7a-1d2e3f405162" {
		t.Errorf("field 1 (distinct_id) = %q", got)
	}
	ts := decodeFields(t, top.bytes(t, 2))
	if secs := ts.varint(t, 1); secs != uint64(time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC).Unix()) {
		t.Errorf("timestamp field 1 (seconds) = %d", secs)
	}
	if nanos := ts.varint(t, 2); nanos != 123_000_000 {
		t.Errorf("timestamp field 2 (nanos) = %d", nanos)
	}
	start := decodeFields(t, top.bytes(t, 3))
	wantVarints := map[protowire.Number]uint64{1: 1 /* RUN_MODE_ONE_SHOT */, 6: 1, 7: 2, 8: 3, 9: 4}
	for num, want := range wantVarints {
		if got := start.varint(t, num); got != want {
			t.Errorf("start field %d = %d, want %d", num, got, want)
		}
	}
	wantStrings := map[protowire.Number]string{2: "17.4.2", 3: "github", 4: "gha:teleport-actions/auth", 5: "2.1.2"}
	for num, want := range wantStrings {
		if got := string(start.bytes(t, num)); got != want {
			t.Errorf("start field %d = %q, want %q", num, got, want)
		}
	}
	if len(top) != 3 || len(ts) != 2 || len(start) != 9 {
		t.Errorf("unexpected fields: top %v, timestamp %v, start %v", keys(top), keys(ts), keys(start))
	}
}

type wireField struct {
	typ   protowire.Type
	value uint64
	bytes []byte
}

type wireMessage map[protowire.Number]wireField

// decodeFields reads one message level; each field may appear once.
func decodeFields(t *testing.T, b []byte) wireMessage {
	t.Helper()
	m := wireMessage{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			t.Fatalf("bad tag: %v", protowire.ParseError(n))
		}
		b = b[n:]
		if _, dup := m[num]; dup {
			t.Fatalf("field %d twice", num)
		}
		f := wireField{typ: typ}
		switch typ {
		case protowire.VarintType:
			f.value, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			f.bytes, n = protowire.ConsumeBytes(b)
		default:
			t.Fatalf("field %d has wire type %d; the event has varints and length-delimited fields only", num, typ)
		}
		if n < 0 {
			t.Fatalf("field %d: %v", num, protowire.ParseError(n))
		}
		b = b[n:]
		m[num] = f
	}
	return m
}

func (m wireMessage) varint(t *testing.T, num protowire.Number) uint64 {
	t.Helper()
	f, ok := m[num]
	if !ok || f.typ != protowire.VarintType {
		t.Fatalf("field %d missing or not a varint", num)
	}
	return f.value
}

func (m wireMessage) bytes(t *testing.T, num protowire.Number) []byte {
	t.Helper()
	f, ok := m[num]
	if !ok || f.typ != protowire.BytesType {
		t.Fatalf("field %d missing or not length-delimited", num)
	}
	return f.bytes
}

func keys(m wireMessage) []protowire.Number {
	var ks []protowire.Number
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

// An unavailable service is asked once more, with the very same event.
func TestSendRetriesUnavailableOnce(t *testing.T) {
	tests := []struct {
		name string
		// fail answers the first request; nil lets it through.
		fail func(w http.ResponseWriter) bool
		svc  []error
	}{
		{name: "connect error 503", svc: []error{connect.NewError(connect.CodeUnavailable, errors.New("warming up"))}},
		{name: "load balancer 503", fail: func(w http.ResponseWriter) bool {
			http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
			return true
		}},
		{name: "rate limited 429", fail: func(w http.ResponseWriter) bool {
			w.Header().Set("Retry-After", "0")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return true
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := testsupport.NewRecorder(tt.svc...)
			var calls atomic.Int64
			h := svc.Handler()
			srv := testsupport.StartServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if calls.Add(1) == 1 && tt.fail != nil && tt.fail(w) {
					return
				}
				h.ServeHTTP(w, r)
			}))
			res := send(t, srv.URL, nil, 10*time.Second)
			if res.err != nil {
				t.Fatalf("Send: %v", res.err)
			}
			if n := calls.Load(); n != 2 {
				t.Fatalf("%d requests, want 2 (one retry)", n)
			}
			events := svc.Events()
			if len(events) == 0 {
				t.Fatal("no event reached the service")
			}
			last := events[len(events)-1]
			if !proto.Equal(last, testsupport.Event()) {
				t.Errorf("retry sent %v", last)
			}
			if len(events) == 2 && !proto.Equal(events[0], events[1]) {
				t.Errorf("the retry changed the event: %v then %v", events[0], events[1])
			}
			if !strings.Contains(res.logs, "trying again") {
				t.Errorf("no debug line for the retry:\n%s", res.logs)
			}
		})
	}
}

// A refusal is final, and the server's message is kept only after cleaning.
func TestSendDoesNotRetryRefusals(t *testing.T) {
	long := "distinct_id is not a uuid\n" + `time=2026 level=ERROR msg="forged"` + "\x1b[31m" + strings.Repeat("x", 200)
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"invalid argument, cleaned and cut", connect.NewError(connect.CodeInvalidArgument, errors.New(long)),
			"invalid_argument: " + `distinct_id is not a uuid time=2026 level=ERROR msg="forged" [31mxxxxxxxxxxxx...`},
		{"message naming an address", connect.NewError(connect.CodeInvalidArgument, errors.New("bad request from 10.1.2.3")),
			"invalid_argument: server message withheld"},
		{"message repeating the endpoint host", connect.NewError(connect.CodePermissionDenied, errors.New("127.0.0.1 is not allowed")),
			"permission_denied: server message withheld"},
		{"no message", connect.NewError(connect.CodeUnauthenticated, nil), "unauthenticated: http status 401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := testsupport.StartService(t, tt.err, tt.err)
			res := send(t, svc.URL, nil, 10*time.Second)
			wantError(t, res.err, tt.want)
			if _, reason, _ := strings.Cut(res.err.Error(), ": "); len(reason) > maxServerMessage {
				t.Errorf("reason of %d bytes, want at most %d", len(reason), maxServerMessage)
			}
			if n := len(svc.Requests()); n != 1 {
				t.Errorf("%d requests, want 1 (no retry)", n)
			}
		})
	}
}

// countingServer serves handler on loopback and counts the requests it
// was given, for the tests that say how many attempts a send made.
func countingServer(t *testing.T, handler http.HandlerFunc) (*testsupport.Server, *atomic.Int64) {
	t.Helper()
	var calls atomic.Int64
	srv := testsupport.StartServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		handler(w, r)
	}))
	return srv, &calls
}
