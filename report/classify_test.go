package report

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"

	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// The generated handler answers a refusal with 400 and a Connect JSON body;
// so does a server that is not connect-go. Either is final.
func TestSendConnectJSONError400(t *testing.T) {
	srv, calls := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"code":"invalid_argument","message":"event has no start"}`)
	})
	res := send(t, srv.URL, nil, 10*time.Second)
	wantError(t, res.err, "invalid_argument: event has no start")
	if calls.Load() != 1 {
		t.Errorf("%d requests, want 1", calls.Load())
	}
}

// A proxy's HTML error page is retried while the deadline allows, then the
// send fails with a phrase, not the page, and within the deadline.
func TestSendProxyHTML502(t *testing.T) {
	t.Parallel() // it retries until its deadline, beside the other tests
	srv, calls := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1><p>upstream 10.0.0.7 unreachable</p></body></html>")
	})
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
			srv, calls := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, target.URL+r.URL.Path, status)
			})
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
			srv, calls := countingServer(t, func(w http.ResponseWriter, r *http.Request) {
				tt.handler(w, r)
			})
			res := send(t, srv.URL, nil, 10*time.Second)
			wantError(t, res.err, "resource_exhausted: response too large")
			if calls.Load() != 1 {
				t.Errorf("%d requests, want 1", calls.Load())
			}
		})
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
		{wrap(dial(os.NewSyscallError("connect", syscall.EHOSTUNREACH))), "unavailable: network unreachable", true},
		{wrap(dial(&net.DNSError{Err: "no such host", Name: "mkr-host.example", IsNotFound: true})), "unavailable: dns lookup failed", false},
		{wrap(dial(&net.DNSError{Err: "server misbehaving", Name: "mkr-host.example", IsTemporary: true})), "unavailable: dns lookup failed", true},
		{wrap(&net.OpError{Op: "proxyconnect", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), "unavailable: proxy connection failed", true},
		{wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), "unknown: tls certificate not trusted", false},
		{wrap(x509.HostnameError{Host: "mkr-host.example", Certificate: &x509.Certificate{}}), "unknown: tls certificate not trusted", false},
		{wrap(&net.OpError{Op: "remote error", Err: errors.New("tls: protocol version not supported")}), "unknown: tls handshake failed", false},
		{wrap(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), "unknown: tls handshake failed", false},
		{wrap(io.ErrUnexpectedEOF), "unavailable: connection closed without an answer", true},
		{wrap(io.EOF), "unavailable: connection closed without an answer", true},
		// A failure connect-go did not call unavailable keeps its code and
		// is not retried.
		{connect.NewError(connect.CodeInternal, &url.Error{Op: "Post", URL: secretURL, Err: errors.New("something new")}), "internal: request failed", false},
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
