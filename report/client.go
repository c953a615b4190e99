package report

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Environment variables the client reads from the injected environment, with
// the meaning Go's own HTTP stack gives them.
const (
	EnvHTTPSProxy  = "HTTPS_PROXY"
	EnvHTTPProxy   = "HTTP_PROXY"
	EnvNoProxy     = "NO_PROXY"
	EnvSSLCertFile = "SSL_CERT_FILE"
)

// maxCertFileSize bounds what is read of SSL_CERT_FILE; a full CA bundle is
// about 200 KiB.
const maxCertFileSize = 4 << 20

// Errors of the client's own making. They name the setting at fault, never
// its value, which may hold a proxy password or a path.
var (
	errProxySetting = errors.New("proxy setting is not a valid url")
	errProxyCGI     = errors.New("HTTP_PROXY refused in a CGI environment")
	errCertFile     = errors.New("SSL_CERT_FILE is not a readable PEM file")
)

type dialFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// NewHTTPClient returns the HTTP client that sends the event: a transport of
// its own (never http.DefaultTransport), proxies as the injected env says,
// verified TLS 1.2 or newer against the system roots plus SSL_CERT_FILE,
// HTTP/2 when the server offers it, and redirects returned rather than
// followed. No part of its setup reads a file before the first request that
// needs TLS, so a plain-http loopback send stays cheap. The client has no
// timeout of its own: the caller's context is the one deadline.
//
// Problems with the environment (a malformed proxy variable, an unreadable
// SSL_CERT_FILE) surface from the request that would use them, as Go's own
// client reports them; the error result is reserved for settings that would
// make every request fail, of which there are none yet.
//
// getenv reads the injected environment; nil is an empty one, so that no
// setting ever comes from this process's own environment by accident.
func NewHTTPClient(getenv func(string) string) (*http.Client, error) {
	return newHTTPClient(getenv, (&net.Dialer{}).DialContext), nil
}

func newHTTPClient(getenv func(string) string, dial dialFunc) *http.Client {
	if getenv == nil {
		getenv = noEnv
	}
	proxies := newProxyResolver(getenv)
	t := &transport{
		cleartext: newTransport(proxies, dial, nil),
		proxies:   proxies,
	}
	t.secure = sync.OnceValues(func() (*http.Transport, error) {
		t.secureBuilt.Store(true)
		roots, err := loadRoots(getenv(EnvSSLCertFile))
		if err != nil {
			return nil, err
		}
		return newTransport(proxies, dial, &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}), nil
	})
	return &http.Client{
		Transport: t,
		// A redirect would send the event where nobody configured it to go.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// transport sends in cleartext when neither the endpoint nor its proxy
// speaks TLS, so that the certificate pool is loaded only when TLS is used.
type transport struct {
	cleartext   *http.Transport
	secure      func() (*http.Transport, error)
	secureBuilt atomic.Bool
	proxies     *proxyResolver
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach both
// transports.
func (t *transport) CloseIdleConnections() {
	t.cleartext.CloseIdleConnections()
	if t.secureBuilt.Load() {
		if secure, err := t.secure(); err == nil {
			secure.CloseIdleConnections()
		}
	}
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.needsTLS(req.URL) {
		return t.cleartext.RoundTrip(req)
	}
	secure, err := t.secure()
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return secure.RoundTrip(req)
}

func (t *transport) needsTLS(u *url.URL) bool {
	if u.Scheme == "https" {
		return true
	}
	proxy, err := t.proxies.proxyFor(u)
	return err == nil && proxy != nil && proxy.Scheme == "https"
}

// newTransport bounds what a lying server can make the client hold; every
// wait is bounded by the request's context instead of fixed timeouts.
func newTransport(proxies *proxyResolver, dial dialFunc, tlsConfig *tls.Config) *http.Transport {
	return &http.Transport{
		Proxy:                  func(r *http.Request) (*url.URL, error) { return proxies.proxyFor(r.URL) },
		DialContext:            dial,
		TLSClientConfig:        tlsConfig,
		ForceAttemptHTTP2:      tlsConfig != nil,
		MaxIdleConns:           4,
		IdleConnTimeout:        30 * time.Second,
		MaxResponseHeaderBytes: MaxResponseBytes,
	}
}

// loadRoots is the system pool plus the PEM file that SSL_CERT_FILE names in
// the injected env. Go reads SSL_CERT_FILE only from the process env (and
// then instead of the system files), which an injected env cannot reach.
func loadRoots(certFile string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	if certFile == "" {
		return pool, nil
	}
	pem, err := readRegularFile(certFile, maxCertFileSize)
	if err != nil || !pool.AppendCertsFromPEM(pem) {
		return nil, errCertFile
	}
	return pool, nil
}

// readRegularFile refuses FIFOs and devices, which would block or never end.
func readRegularFile(path string, limit int64) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() || info.Size() > limit {
		return nil, errCertFile
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, limit))
}

// noEnv is the empty environment.
func noEnv(string) string { return "" }
