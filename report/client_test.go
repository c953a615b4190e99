package report

import (
	"crypto/tls"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

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
	if secure == http.DefaultTransport || tr.cleartext == http.DefaultTransport {
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
