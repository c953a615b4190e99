package report

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
	"github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha/prehogv1alphaconnect"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// Every test here sends only to loopback. The client's dialer is guarded:
// a dial anywhere else is recorded and answered as a resolver answers for
// a name that does not exist, so a test that would leave the machine fails
// instead.

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

// The generated handler answers a refusal with 400 and a Connect JSON body;
// so does a server that is not connect-go. Either is final.
func TestSendConnectJSONError400(t *testing.T) {
	var calls atomic.Int64
	srv := testsupport.StartServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"code":"invalid_argument","message":"event has no start"}`)
	}))
	res := send(t, srv.URL, nil, 10*time.Second)
	wantError(t, res.err, "invalid_argument: event has no start")
	if calls.Load() != 1 {
		t.Errorf("%d requests, want 1", calls.Load())
	}
}

// A proxy's HTML error page is retried while the deadline allows, then the
// send fails with a phrase, not the page, and within the deadline.
func TestSendProxyHTML502(t *testing.T) {
	var calls atomic.Int64
	srv := testsupport.StartServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1><p>upstream 10.0.0.7 unreachable</p></body></html>")
	}))
	const deadline = 1500 * time.Millisecond
	started := time.Now()
	res := send(t, srv.URL, nil, deadline)
	wantError(t, res.err, "unavailable: http status 502")
	if calls.Load() < 2 {
		t.Errorf("%d requests: a 502 must be retried", calls.Load())
	}
	if elapsed := time.Since(started); elapsed > deadline+2*time.Second {
		t.Errorf("returned after %v, deadline was %v", elapsed, deadline)
	}
}

func TestSendConnectionRefused(t *testing.T) {
	res := send(t, testsupport.ClosedPortURL(t), nil, time.Second)
	wantError(t, res.err, "unavailable: connection refused")
	if n := len(res.guard.dialed()); n < 2 {
		t.Errorf("dialed %d times: a refused connection is transient and must be retried", n)
	}
}

// An endpoint that accepts and never answers ends at the deadline.
func TestSendNeverAnswers(t *testing.T) {
	endpoint := testsupport.StartSilentEndpoint(t)
	const deadline = 500 * time.Millisecond
	started := time.Now()
	res := send(t, endpoint.URL, nil, deadline)
	wantError(t, res.err, "deadline_exceeded: no answer within the deadline")
	if elapsed := time.Since(started); elapsed > deadline+2*time.Second {
		t.Errorf("returned after %v, deadline was %v", elapsed, deadline)
	}
}

// A redirect is not followed: the event goes nowhere it was not sent.
func TestSendRedirectNotFollowed(t *testing.T) {
	for _, status := range []int{http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			target := testsupport.StartService(t)
			var calls atomic.Int64
			srv := testsupport.StartServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				http.Redirect(w, r, target.URL+r.URL.Path, status)
			}))
			res := send(t, srv.URL, nil, 10*time.Second)
			wantError(t, res.err, "unknown: redirect not followed (http status "+strconv.Itoa(status)+")")
			if target.Connections() != 0 || len(target.Requests()) != 0 {
				t.Errorf("the redirect target saw %d connections", target.Connections())
			}
			if calls.Load() != 1 {
				t.Errorf("%d requests, want 1", calls.Load())
			}
		})
	}
}

// A huge answer is cut off, whatever part of it is huge.
func TestSendOversizedResponse(t *testing.T) {
	endless := func(w http.ResponseWriter, r *http.Request) {
		chunk := bytes.Repeat([]byte{0x0a, 0x01, 'x'}, 10_000)
		for r.Context().Err() == nil {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"endless 200 body", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/proto")
			endless(w, r)
		}},
		{"huge connect error", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"code":"invalid_argument","message":"`+strings.Repeat("a", 4<<20)+`"}`)
		}},
		{"gzip bomb", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/proto")
			w.Header().Set("Content-Encoding", "gzip")
			zw := gzip.NewWriter(w)
			zw.Write(bytes.Repeat([]byte{0}, 8<<20))
			zw.Close()
		}},
		{"huge headers", func(w http.ResponseWriter, r *http.Request) {
			for i := range 100 {
				w.Header().Set("X-Filler-"+strconv.Itoa(i), strings.Repeat("f", 4000))
			}
			w.Header().Set("Content-Type", "application/proto")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int64
			srv := testsupport.StartServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				calls.Add(1)
				tt.handler(w, r)
			}))
			res := send(t, srv.URL, nil, 10*time.Second)
			wantError(t, res.err, "resource_exhausted: response too large")
			if calls.Load() != 1 {
				t.Errorf("%d requests, want 1", calls.Load())
			}
		})
	}
}

// Proxies come from the injected env, with Go's semantics.
func TestSendThroughHTTPProxy(t *testing.T) {
	const endpoint = "http://telemetry.invalid"
	tests := []struct {
		name    string
		env     func(proxy string) testEnv
		proxied bool
	}{
		{"HTTP_PROXY", func(p string) testEnv { return testEnv{"HTTP_PROXY": "http://" + p} }, true},
		{"http_proxy", func(p string) testEnv { return testEnv{"http_proxy": "http://" + p} }, true},
		{"HTTP_PROXY without scheme", func(p string) testEnv { return testEnv{"HTTP_PROXY": p} }, true},
		{"HTTP_PROXY wins over http_proxy", func(p string) testEnv {
			return testEnv{"HTTP_PROXY": "http://" + p, "http_proxy": "http://proxy.invalid:1"}
		}, true},
		{"HTTPS_PROXY does not apply to http", func(p string) testEnv { return testEnv{"HTTPS_PROXY": "http://" + p} }, false},
		{"NO_PROXY on another port", func(p string) testEnv {
			return testEnv{"HTTP_PROXY": "http://" + p, "NO_PROXY": "telemetry.invalid:8080"}
		}, true},
		{"NO_PROXY of another domain", func(p string) testEnv {
			return testEnv{"HTTP_PROXY": "http://" + p, "NO_PROXY": "example.com,10.0.0.0/8"}
		}, true},
		{"NO_PROXY host", func(p string) testEnv {
			return testEnv{"HTTP_PROXY": "http://" + p, "NO_PROXY": "telemetry.invalid"}
		}, false},
		{"no_proxy host", func(p string) testEnv {
			return testEnv{"HTTP_PROXY": "http://" + p, "no_proxy": "telemetry.invalid"}
		}, false},
		{"NO_PROXY .domain", func(p string) testEnv { return testEnv{"HTTP_PROXY": "http://" + p, "NO_PROXY": ".invalid"} }, false},
		{"NO_PROXY domain suffix", func(p string) testEnv { return testEnv{"HTTP_PROXY": "http://" + p, "NO_PROXY": "invalid"} }, false},
		{"NO_PROXY host:port", func(p string) testEnv {
			return testEnv{"HTTP_PROXY": "http://" + p, "NO_PROXY": " example.com , TELEMETRY.invalid:80"}
		}, false},
		{"NO_PROXY *", func(p string) testEnv { return testEnv{"HTTP_PROXY": "http://" + p, "NO_PROXY": "*"} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			proxy := testsupport.StartService(t)
			proxyAddr := proxy.Listener.Addr().String()
			res := send(t, endpoint, tt.env(proxyAddr), 10*time.Second)
			dialed := res.guard.dialed()
			if !tt.proxied {
				wantError(t, res.err, "unavailable: dns lookup failed")
				if proxy.Connections() != 0 {
					t.Errorf("the proxy saw %d connections", proxy.Connections())
				}
				if len(dialed) != 1 || dialed[0] != "telemetry.invalid:80" {
					t.Errorf("dialed %v, want one direct dial of telemetry.invalid:80", dialed)
				}
				return
			}
			if res.err != nil {
				t.Fatalf("Send: %v", res.err)
			}
			reqs := proxy.Requests()
			if len(reqs) != 1 || reqs[0].Host != "telemetry.invalid" ||
				reqs[0].RequestURI != "http://telemetry.invalid"+prehogv1alphaconnect.TbotReportingServiceSubmitTbotEventProcedure {
				t.Fatalf("the proxy did not get the request for the endpoint: %+v", reqs)
			}
			for _, d := range dialed {
				if d != proxyAddr {
					t.Errorf("dialed %s, want only the proxy %s", d, proxyAddr)
				}
			}
		})
	}
}

// A proxy's credentials reach the proxy and nowhere else.
func TestSendProxyCredentialsStayOutOfLogs(t *testing.T) {
	proxy := testsupport.StartService(t)
	env := testEnv{"HTTP_PROXY": "http://mkr-proxy-user:mkr-proxy-pass@" + proxy.Listener.Addr().String()}
	res := send(t, "http://telemetry.invalid/", env, 10*time.Second)
	if res.err != nil {
		t.Fatalf("Send: %v", res.err)
	}
	if auth := proxy.Requests()[0].Header.Get("Proxy-Authorization"); !strings.HasPrefix(auth, "Basic ") {
		t.Errorf("Proxy-Authorization %q", auth)
	}
	if strings.Contains(res.logs, "mkr") {
		t.Errorf("logs name the proxy's credentials:\n%s", res.logs)
	}
}

// Loopback is never proxied, whatever the env says.
func TestSendLoopbackNeverProxied(t *testing.T) {
	svc := testsupport.StartService(t)
	proxy := testsupport.StartService(t)
	env := testEnv{"HTTP_PROXY": proxy.URL, "http_proxy": proxy.URL, "HTTPS_PROXY": proxy.URL}
	if res := send(t, svc.URL, env, 10*time.Second); res.err != nil {
		t.Fatalf("Send: %v", res.err)
	}
	if proxy.Connections() != 0 || len(svc.Requests()) != 1 {
		t.Errorf("proxy saw %d connections, service %d requests", proxy.Connections(), len(svc.Requests()))
	}
}

// connectProxy is an HTTPS_PROXY: it tunnels CONNECT to one loopback
// address, whatever the target, and records the targets it was asked for.
type connectProxy struct {
	to      string
	mu      sync.Mutex
	targets []string
	wg      sync.WaitGroup
}

func (p *connectProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, r.Host)
	p.mu.Unlock()
	upstream, err := net.Dial("tcp", p.to)
	if err != nil {
		http.Error(w, "upstream", http.StatusBadGateway)
		return
	}
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		upstream.Close()
		return
	}
	io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n")
	p.wg.Add(2)
	go func() {
		defer p.wg.Done()
		io.Copy(upstream, buf)
		upstream.Close()
	}()
	go func() {
		defer p.wg.Done()
		io.Copy(conn, upstream)
		conn.Close()
	}()
}

func writeCertFile(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	data := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func enableHTTP2(s *httptest.Server) { s.EnableHTTP2 = true }

// HTTPS through a CONNECT proxy: TLS is verified end to end against
// SSL_CERT_FILE of the injected env, and HTTP/2 is used when offered.
func TestSendThroughHTTPSProxy(t *testing.T) {
	svc := testsupport.NewRecorder()
	tlsSrv := testsupport.StartServer(t, svc.Handler(), enableHTTP2)
	proxy := &connectProxy{to: tlsSrv.Listener.Addr().String()}
	proxySrv := testsupport.StartServer(t, proxy)
	env := testEnv{"HTTPS_PROXY": proxySrv.URL, "SSL_CERT_FILE": writeCertFile(t, tlsSrv.Server)}
	// Cleanups run last first: the tunnels end once send's cleanup has
	// closed the client's idle connections.
	t.Cleanup(proxy.wg.Wait)

	// httptest's certificate is valid for *.example.com.
	res := send(t, "https://telemetry.example.com", env, 10*time.Second)
	if res.err != nil {
		t.Fatalf("Send: %v", res.err)
	}
	for _, d := range res.guard.dialed() {
		if d != proxySrv.Listener.Addr().String() {
			t.Errorf("dialed %s, want only the proxy", d)
		}
	}
	proxy.mu.Lock()
	targets := proxy.targets
	proxy.mu.Unlock()
	if len(targets) != 1 || targets[0] != "telemetry.example.com:443" {
		t.Errorf("CONNECT targets %v", targets)
	}
	reqs := svc.Requests()
	if len(reqs) != 1 || reqs[0].ProtoMajor != 2 || reqs[0].TLSVersion < tls.VersionTLS12 {
		t.Fatalf("want one HTTP/2 request over TLS 1.2+, got %+v", reqs)
	}
	if ev := svc.OnlyEvent(t); !proto.Equal(ev, testsupport.Event()) {
		t.Errorf("event %v", ev)
	}
}

func TestSendTLS(t *testing.T) {
	t.Run("trusted through SSL_CERT_FILE, HTTP/2", func(t *testing.T) {
		svc := testsupport.NewRecorder()
		srv := testsupport.StartServer(t, svc.Handler(), enableHTTP2)
		res := send(t, srv.URL, testEnv{"SSL_CERT_FILE": writeCertFile(t, srv.Server)}, 10*time.Second)
		if res.err != nil {
			t.Fatalf("Send: %v", res.err)
		}
		if reqs := svc.Requests(); len(reqs) != 1 || reqs[0].ProtoMajor != 2 {
			t.Errorf("want one HTTP/2 request, got %+v", reqs)
		}
	})
	t.Run("untrusted certificate, not retried", func(t *testing.T) {
		svc := testsupport.NewRecorder()
		srv := testsupport.StartServer(t, svc.Handler(), enableHTTP2, quiet)
		res := send(t, srv.URL, nil, 10*time.Second)
		wantError(t, res.err, "unknown: tls certificate not trusted")
		if srv.Connections() != 1 || len(svc.Requests()) != 0 {
			t.Errorf("%d connections, %d requests; want 1 and 0", srv.Connections(), len(svc.Requests()))
		}
	})
	t.Run("server below TLS 1.2", func(t *testing.T) {
		svc := testsupport.NewRecorder()
		srv := testsupport.StartServer(t, svc.Handler(), func(s *httptest.Server) {
			s.TLS = &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}
		}, quiet)
		res := send(t, srv.URL, testEnv{"SSL_CERT_FILE": writeCertFile(t, srv.Server)}, 10*time.Second)
		wantError(t, res.err, "unknown: tls handshake failed")
		if srv.Connections() != 1 {
			t.Errorf("%d connections, want 1 (no retry)", srv.Connections())
		}
	})
	t.Run("plain http server", func(t *testing.T) {
		srv := testsupport.StartService(t)
		res := send(t, strings.Replace(srv.URL, "http://", "https://", 1), nil, 10*time.Second)
		wantError(t, res.err, "unknown: tls handshake failed")
	})
	t.Run("unusable SSL_CERT_FILE", func(t *testing.T) {
		svc := testsupport.NewRecorder()
		srv := testsupport.StartServer(t, svc.Handler(), enableHTTP2)
		res := send(t, srv.URL, testEnv{"SSL_CERT_FILE": filepath.Join(t.TempDir(), "missing.pem")}, 10*time.Second)
		wantError(t, res.err, "unknown: SSL_CERT_FILE is not a readable PEM file")
		if srv.Connections() != 0 || len(res.guard.dialed()) != 0 {
			t.Errorf("dialed %v with no usable roots", res.guard.dialed())
		}
	})
	// The certificate pool is loaded only for TLS: a plain-http loopback
	// send never builds it, so a broken SSL_CERT_FILE does not matter there.
	t.Run("plain http never loads certificates", func(t *testing.T) {
		svc := testsupport.StartService(t)
		res := send(t, svc.URL, testEnv{"SSL_CERT_FILE": filepath.Join(t.TempDir(), "missing.pem")}, 10*time.Second)
		if res.err != nil || len(svc.Requests()) != 1 {
			t.Fatalf("Send: %v, %d requests", res.err, len(svc.Requests()))
		}
		if res.client.Transport.(*transport).secureBuilt.Load() {
			t.Error("a plain-http send set up TLS")
		}
	})
}

// quiet keeps the server's handshake errors, which these tests cause, out
// of the test output.
func quiet(s *httptest.Server) { s.Config.ErrorLog = log.New(io.Discard, "", 0) }

func TestSendMalformedEndpoint(t *testing.T) {
	tests := map[string]string{
		"":                             "invalid_argument: endpoint is empty",
		"://mkr-no-scheme":             "invalid_argument: endpoint is not a valid url",
		"http://mkr host/":             "invalid_argument: endpoint is not a valid url",
		"http://mkr-host:notaport":     "invalid_argument: endpoint is not a valid url",
		"ftp://mkr-host/":              "invalid_argument: endpoint scheme is not http or https",
		"mkr-host:8080":                "invalid_argument: endpoint scheme is not http or https",
		"127.0.0.1:8080":               "invalid_argument: endpoint is not a valid url",
		"http://":                      "invalid_argument: endpoint has no host",
		"https:///mkr-path":            "invalid_argument: endpoint has no host",
		"http://mkr-user:mkr-pass@:80": "invalid_argument: endpoint has no host",
	}
	for endpoint, want := range tests {
		res := send(t, endpoint, nil, 10*time.Second)
		if res.err == nil || res.err.Error() != want {
			t.Errorf("%q: Send returned %v, want %q", endpoint, res.err, want)
		}
		if len(res.guard.dialed()) != 0 || strings.Contains(res.logs+res.err.Error(), "mkr") {
			t.Errorf("%q: dialed %v, logs %s", endpoint, res.guard.dialed(), res.logs)
		}
	}
}

// Plain http leaves the machine only with a warning, and is still sent.
func TestSendPlainHTTPWarning(t *testing.T) {
	proxy := testsupport.StartService(t)
	res := send(t, "http://telemetry.invalid", testEnv{"HTTP_PROXY": proxy.URL}, 10*time.Second)
	if res.err != nil || len(proxy.Requests()) != 1 {
		t.Fatalf("Send: %v, %d requests", res.err, len(proxy.Requests()))
	}
	lines := testsupport.LogLines(t, res.logs)
	if countLevel(lines, "WARN") != 1 || !strings.Contains(res.logs, "plain http") || strings.Contains(res.logs, "telemetry.invalid") {
		t.Errorf("want one warning about plain http that does not name the host:\n%s", res.logs)
	}

	// The guard refuses to dial localhost (it would need a resolver); only
	// the absence of the warning counts there.
	srv := testsupport.StartService(t)
	for _, loopback := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		res = send(t, loopback, nil, 10*time.Second)
		if countLevel(testsupport.LogLines(t, res.logs), "WARN") != 0 {
			t.Errorf("%s: a loopback endpoint needs no warning:\n%s", loopback, res.logs)
		}
	}
}

func TestIsLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LocalHost.": true, "127.0.0.1": true, "127.255.0.9": true, "::1": true, "::ffff:127.0.0.1": true,
		"0.0.0.0": false, "10.0.0.1": false, "::": false, "localhost.example.com": false, "example.com": false, "": false,
	} {
		if got := isLoopbackHost(host); got != want {
			t.Errorf("isLoopbackHost(%q) = %v", host, got)
		}
	}
}

// The endpoint's userinfo, path and query appear nowhere: not in the logs,
// not in the error.
func TestSendKeepsEndpointOutOfLogs(t *testing.T) {
	svc := testsupport.StartService(t)
	hostPort := strings.TrimPrefix(svc.URL, "http://")
	ok := send(t, "http://mkr-user:mkr-pass@"+hostPort, nil, 10*time.Second)
	if ok.err != nil || len(svc.Requests()) != 1 {
		t.Fatalf("Send: %v", ok.err)
	}
	failed := send(t, "http://mkr-user:mkr-pass@"+hostPort+"/mkr-path?mkr-query=mkr-value", nil, 10*time.Second)
	wantError(t, failed.err, "unimplemented: http status 404")
	for _, res := range []sendResult{ok, failed} {
		text := res.logs
		if res.err != nil {
			text += res.err.Error()
		}
		if strings.Contains(text, "mkr") || strings.Contains(text, hostPort) {
			t.Errorf("the endpoint leaked:\n%s", text)
		}
		if !strings.Contains(res.logs, `"scheme":"http"`) || !strings.Contains(res.logs, `"loopback":true`) {
			t.Errorf("want the endpoint named by scheme and loopback only:\n%s", res.logs)
		}
	}
}

// Transport failures become short phrases, whatever text the error had.
func TestClassifyTransport(t *testing.T) {
	const secretURL = "https://mkr-user:mkr-pass@mkr-host.example/mkr-path"
	wrap := func(err error) error {
		return connect.NewError(connect.CodeUnavailable, &url.Error{Op: "Post", URL: secretURL, Err: err})
	}
	dial := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	tests := []struct {
		err   error
		want  string
		retry bool
	}{
		{wrap(dial(os.NewSyscallError("connect", syscall.ECONNREFUSED))), "unavailable: connection refused", true},
		{wrap(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), "unavailable: connection reset", true},
		{wrap(dial(os.NewSyscallError("connect", syscall.ENETUNREACH))), "unavailable: network unreachable", true},
		{wrap(dial(&net.DNSError{Err: "no such host", Name: "mkr-host.example", IsNotFound: true})), "unavailable: dns lookup failed", false},
		{wrap(dial(&net.DNSError{Err: "server misbehaving", Name: "mkr-host.example", IsTemporary: true})), "unavailable: dns lookup failed", true},
		{wrap(&net.OpError{Op: "proxyconnect", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), "unavailable: proxy connection failed", true},
		{wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), "unknown: tls certificate not trusted", false},
		{wrap(x509.HostnameError{Host: "mkr-host.example", Certificate: &x509.Certificate{}}), "unknown: tls certificate not trusted", false},
		{wrap(&net.OpError{Op: "remote error", Err: errors.New("tls: protocol version not supported")}), "unknown: tls handshake failed", false},
		{wrap(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), "unknown: tls handshake failed", false},
		{wrap(io.ErrUnexpectedEOF), "unavailable: connection closed without an answer", true},
		{wrap(errProxySetting), "unknown: proxy setting is not a valid url", false},
		{wrap(errors.New("something new about " + secretURL)), "unavailable: connection failed", true},
		{connect.NewError(connect.CodeDeadlineExceeded, wrap(context.DeadlineExceeded)), "deadline_exceeded: no answer within the deadline", false},
		{connect.NewError(connect.CodeCanceled, wrap(context.Canceled)), "canceled: sending was canceled", false},
	}
	for _, tt := range tests {
		got := classify(tt.err, &attempt{}, nil)
		if got.Error() != tt.want || got.retry != tt.retry {
			t.Errorf("%v:\n got %q (retry %v), want %q (retry %v)", tt.err, got, got.retry, tt.want, tt.retry)
		}
	}
}

func TestProxyResolver(t *testing.T) {
	const proxy = "http://proxy.example:3128"
	tests := []struct {
		noProxy string
		target  string
		proxied bool
	}{
		{"", "http://telemetry.example.com", true},
		{"", "http://localhost:8080", false},
		{"", "http://127.0.0.2", false},
		{"", "http://[::1]:80", false},
		{"example.com", "http://telemetry.example.com", false},
		{"example.com", "http://example.com", false},
		{"example.com", "http://notexample.com", true},
		{".example.com", "http://example.com", true},
		{".example.com", "http://a.example.com", false},
		{"*.example.com", "http://example.com", true},
		{"*.example.com", "http://a.example.com", false},
		{"example.com:8080", "http://example.com", true},
		{"example.com:8080", "http://example.com:8080", false},
		{"example.com:80", "http://example.com", false},
		{"10.0.0.0/8", "http://10.1.2.3", false},
		{"10.0.0.0/8", "http://11.1.2.3", true},
		{"192.0.2.7", "http://192.0.2.7:8080", false},
		{"192.0.2.7:9", "http://192.0.2.7:8080", true},
		{"2001:db8::/32", "http://[2001:db8::1]", false},
		{"[2001:db8::1]:80", "http://[2001:db8::1]", false},
		{"*", "http://anything.example", false},
		{" , ,EXAMPLE.com ", "http://Telemetry.Example.Com", false},
	}
	for _, tt := range tests {
		p := newProxyResolver(testEnv{"HTTP_PROXY": proxy, "NO_PROXY": tt.noProxy}.get)
		u, _ := url.Parse(tt.target)
		got, err := p.proxyFor(u)
		if err != nil || (got != nil) != tt.proxied {
			t.Errorf("NO_PROXY=%q %s: proxy %v, %v; want proxied %v", tt.noProxy, tt.target, got, err, tt.proxied)
		}
	}

	u, _ := url.Parse("http://telemetry.example.com")
	if _, err := newProxyResolver(testEnv{"HTTP_PROXY": "ftp://proxy.example"}.get).proxyFor(u); !errors.Is(err, errProxySetting) {
		t.Errorf("a proxy of an unknown scheme: %v", err)
	}
	if _, err := newProxyResolver(testEnv{"HTTP_PROXY": proxy, "REQUEST_METHOD": "GET"}.get).proxyFor(u); !errors.Is(err, errProxyCGI) {
		t.Errorf("HTTP_PROXY in CGI: %v", err)
	}
	if got, err := newProxyResolver(testEnv{"HTTPS_PROXY": proxy}.get).proxyFor(u); got != nil || err != nil {
		t.Errorf("HTTPS_PROXY applied to http: %v, %v", got, err)
	}
	if got, _ := newProxyResolver(testEnv{"https_proxy": "socks5://127.0.0.1:1080"}.get).proxyFor(&url.URL{Scheme: "https", Host: "x.example"}); got == nil || got.Scheme != "socks5" {
		t.Errorf("https_proxy socks5: %v", got)
	}
}

// The client this program owns is its own, bounded as documented.
func TestNewHTTPClient(t *testing.T) {
	c, err := NewHTTPClient(nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, ok := c.Transport.(*transport)
	if !ok || c.Timeout != 0 || c.CheckRedirect == nil {
		t.Fatalf("client %+v", c)
	}
	secure, err := tr.secure()
	if err != nil {
		t.Fatal(err)
	}
	if secure == http.DefaultTransport || tr.plain == http.DefaultTransport {
		t.Error("shares http.DefaultTransport")
	}
	cfg := secure.TLSClientConfig
	if cfg.MinVersion != tls.VersionTLS12 || cfg.InsecureSkipVerify || cfg.RootCAs == nil || !secure.ForceAttemptHTTP2 {
		t.Errorf("TLS config %+v", cfg)
	}
	if secure.MaxResponseHeaderBytes != MaxResponseBytes {
		t.Errorf("MaxResponseHeaderBytes %d", secure.MaxResponseHeaderBytes)
	}
}
