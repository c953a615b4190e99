package report

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// A nil event is refused before anything is dialed, rather than sent empty
// or dereferenced.
func TestSendNilEvent(t *testing.T) {
	svc := testsupport.StartService(t)
	guard := &netGuard{}
	err := Send(context.Background(), SendOptions{Endpoint: svc.URL, Client: newHTTPClient(nil, guard.dial)}, nil)
	wantError(t, err, "invalid_argument: no event to send")
	if len(guard.dialed()) != 0 || len(svc.Requests()) != 0 {
		t.Errorf("dialed %v for no event", guard.dialed())
	}
}

// cancelOnRetry is a log handler that cancels the send as Send announces
// its wait before a retry: the cancel then lands in the wait, never in an
// attempt.
type cancelOnRetry struct {
	slog.Handler
	cancel context.CancelFunc
}

func (h cancelOnRetry) Enabled(context.Context, slog.Level) bool { return true }

func (h cancelOnRetry) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "Anonymous telemetry not accepted yet; trying again." {
		h.cancel()
	}
	return nil
}

// A send canceled while it waits to retry stops there: no further attempt,
// and the error is the service's, which is what went wrong, not the cancel.
func TestSendCanceledDuringBackoff(t *testing.T) {
	srv, calls := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	logger := slog.New(cancelOnRetry{Handler: slog.DiscardHandler, cancel: cancel})
	err := Send(ctx, SendOptions{Endpoint: srv.URL, Client: newHTTPClient(nil, (&netGuard{}).dial), Logger: logger}, testsupport.Event())
	wantError(t, err, "unavailable: http status 503")
	if calls.Load() != 1 {
		t.Errorf("%d requests, want 1: the cancel came before the retry", calls.Load())
	}
}

// A plain 400 (not a Connect error) is final and named by its status; it is
// no redirect.
func TestSendPlain400(t *testing.T) {
	srv, calls := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadRequest)
		w.Write([]byte("<html><body>400 Bad Request</body></html>"))
	})
	res := send(t, srv.URL, nil, 10*time.Second)
	// The Connect protocol maps HTTP 400 to internal.
	wantError(t, res.err, "internal: http status 400")
	if calls.Load() != 1 {
		t.Errorf("%d requests, want 1", calls.Load())
	}
}

// NO_PROXY's port applies to an https URL without one as to port 443.
func TestNoProxyPortOfHTTPS(t *testing.T) {
	const proxy = "http://proxy.example:3128"
	for _, tt := range []struct {
		noProxy, target string
		proxied         bool
	}{
		{"example.com:443", "https://example.com", false},
		{"example.com:80", "https://example.com", true},
		{"example.com:443", "https://example.com:8443", true},
	} {
		p := newProxyResolver(testEnv{"HTTPS_PROXY": proxy, "NO_PROXY": tt.noProxy}.get)
		u, _ := url.Parse(tt.target)
		got, err := p.proxyFor(u)
		if err != nil || (got != nil) != tt.proxied {
			t.Errorf("NO_PROXY=%q %s: proxy %v, %v; want proxied %v", tt.noProxy, tt.target, got, err, tt.proxied)
		}
	}
}

// An SSL_CERT_FILE that holds no certificate is as unusable as a missing
// one: the send says so, instead of failing later on a certificate that is
// not trusted.
func TestSendCertFileWithoutCertificates(t *testing.T) {
	svc := testsupport.NewRecorder()
	srv := testsupport.StartServer(t, svc.Handler(), enableHTTP2)
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, []byte("not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	res := send(t, srv.URL, testEnv{"SSL_CERT_FILE": path}, 10*time.Second)
	wantError(t, res.err, "unknown: SSL_CERT_FILE is not a readable PEM file")
	if len(res.guard.dialed()) != 0 {
		t.Errorf("dialed %v with no usable roots", res.guard.dialed())
	}
}

// An SSL_CERT_FILE naming a FIFO is refused at once: opening it would block
// until someone writes to it, beyond any deadline.
func TestSendCertFileFIFO(t *testing.T) {
	svc := testsupport.NewRecorder()
	srv := testsupport.StartServer(t, svc.Handler(), enableHTTP2)
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	done := make(chan sendResult, 1)
	go func() { done <- send(t, srv.URL, testEnv{"SSL_CERT_FILE": path}, 10*time.Second) }()
	select {
	case res := <-done:
		wantError(t, res.err, "unknown: SSL_CERT_FILE is not a readable PEM file")
	case <-time.After(20 * time.Second):
		// Release the reader that blocked on the FIFO.
		if f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		t.Fatal("Send blocked on a FIFO as SSL_CERT_FILE")
	}
}

// The endpoint's password is a secret like its host and user: a server
// message that repeats it is withheld.
func TestSendWithholdsAMessageNamingThePassword(t *testing.T) {
	refusal := connect.NewError(connect.CodePermissionDenied, errors.New("token mkrpass42 has expired"))
	svc := testsupport.StartService(t, refusal, refusal)
	endpoint := strings.Replace(svc.URL, "http://", "http://bot:mkrpass42@", 1)
	res := send(t, endpoint, nil, 10*time.Second)
	wantError(t, res.err, "permission_denied: server message withheld")
}

// An answer cut off by a lost connection, after a 200, is retried as a
// failure of the network: the next attempt goes through.
func TestSendRetriesAnAnswerCutOff(t *testing.T) {
	svc := testsupport.NewRecorder()
	h := svc.Handler()
	var calls atomic.Int64
	srv := testsupport.StartServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) > 1 {
			h.ServeHTTP(w, r)
			return
		}
		// Fewer bytes than promised: net/http then closes the connection
		// and the client reads an unexpected EOF.
		w.Header().Set("Content-Type", "application/proto")
		w.Header().Set("Content-Length", "100")
		w.WriteHeader(http.StatusOK)
		w.Write([]byte{0x0a, 0x03})
	}))
	res := send(t, srv.URL, nil, 10*time.Second)
	if res.err != nil {
		t.Fatalf("Send: %v", res.err)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("%d requests, want 2 (one retry)", n)
	}
	if len(svc.Events()) != 1 {
		t.Errorf("%d events reached the service, want 1", len(svc.Events()))
	}
}

// A server's own message is passed on as it was sent when nothing in it
// needs cleaning: a deadline_exceeded of the server's is its, not the local
// deadline; a message of exactly the bound is whole; junk before it is
// trimmed, not turned into a space.
func TestSendServerMessagesAsSent(t *testing.T) {
	eighty := "the event was refused because the bot instance is not known to this cluster now."
	if len(eighty) != 80 {
		t.Fatalf("the message of the bound is %d bytes, want 80", len(eighty))
	}
	for _, tt := range []struct {
		name string
		err  error
		want string
	}{
		{"the server's deadline", connect.NewError(connect.CodeDeadlineExceeded, errors.New("backend took too long")),
			"deadline_exceeded: backend took too long"},
		{"exactly the bound", connect.NewError(connect.CodeInvalidArgument, errors.New(eighty)), "invalid_argument: " + eighty},
		{"junk first", connect.NewError(connect.CodeInvalidArgument, errors.New("\r\n\x1b refused")), "invalid_argument: refused"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			svc := testsupport.StartService(t, tt.err, tt.err)
			res := send(t, svc.URL, nil, 10*time.Second)
			wantError(t, res.err, tt.want)
			if n := len(svc.Requests()); n != 1 {
				t.Errorf("%d requests, want 1 (no retry)", n)
			}
		})
	}
}

// With no Client, Send builds its own from Getenv: the proxy it names is
// used (and nothing is looked up in DNS, which cannot resolve .invalid).
func TestSendBuildsItsClientFromGetenv(t *testing.T) {
	proxy := testsupport.StartService(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	env := testEnv{"HTTP_PROXY": "http://" + proxy.Listener.Addr().String()}
	err := Send(ctx, SendOptions{Endpoint: "http://telemetry.invalid", Getenv: env.get}, testsupport.Event())
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if reqs := proxy.Requests(); len(reqs) != 1 || reqs[0].Host != "telemetry.invalid" {
		t.Errorf("the proxy got %d requests, want the one for telemetry.invalid", len(reqs))
	}
}

// A server's message that could name an address (userinfo, a URL, an IPv6
// address) or repeat a part of the endpoint (its path, its user in another
// case) is withheld.
func TestSendWithholdsAddressesAndTheEndpoint(t *testing.T) {
	for _, tt := range []struct {
		name, message, path, user string
	}{
		{name: "userinfo", message: "ask admin@reporting for access"},
		{name: "url", message: "see https://status.example for updates"},
		{name: "ipv6", message: "upstream fe80::1 refused the event"},
		{name: "the endpoint's path", message: "tenant mkr-tenant-7 is unknown", path: "/mkr-tenant-7"},
		{name: "the endpoint's user, in another case", message: "mkr-bot may not send", user: "Mkr-Bot"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			refusal := connect.NewError(connect.CodePermissionDenied, errors.New(tt.message))
			svc := testsupport.NewRecorder(refusal, refusal)
			var h http.Handler = svc.Handler()
			if tt.path != "" {
				h = http.StripPrefix(tt.path, h)
			}
			srv := testsupport.StartServer(t, h)
			endpoint := srv.URL + tt.path
			if tt.user != "" {
				endpoint = strings.Replace(endpoint, "http://", "http://"+tt.user+"@", 1)
			}
			res := send(t, endpoint, nil, 10*time.Second)
			wantError(t, res.err, "permission_denied: server message withheld")
		})
	}
}

// socks5h, where the proxy resolves the name, is a proxy scheme as Go's own
// client takes it.
func TestProxySOCKS5h(t *testing.T) {
	p := newProxyResolver(testEnv{"HTTPS_PROXY": "socks5h://127.0.0.1:1080"}.get)
	got, err := p.proxyFor(&url.URL{Scheme: "https", Host: "telemetry.example"})
	if err != nil || got == nil || got.String() != "socks5h://127.0.0.1:1080" {
		t.Errorf("proxy %v, %v; want socks5h://127.0.0.1:1080", got, err)
	}
}
