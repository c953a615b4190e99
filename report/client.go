package report

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/config"
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
func NewHTTPClient(env config.Env) (*http.Client, error) {
	return newHTTPClient(env, (&net.Dialer{}).DialContext), nil
}

func newHTTPClient(env config.Env, dial dialFunc) *http.Client {
	proxies := newProxyResolver(env)
	t := &transport{
		plain:   newTransport(proxies, dial, nil),
		proxies: proxies,
	}
	t.secure = sync.OnceValues(func() (*http.Transport, error) {
		t.secureBuilt.Store(true)
		roots, err := loadRoots(env[EnvSSLCertFile])
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

// transport sends over plain when neither the endpoint nor its proxy speaks
// TLS, so that the certificate pool is loaded only when TLS is used.
type transport struct {
	plain       *http.Transport
	secure      func() (*http.Transport, error)
	secureBuilt atomic.Bool
	proxies     *proxyResolver
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach both
// transports.
func (t *transport) CloseIdleConnections() {
	t.plain.CloseIdleConnections()
	if t.secureBuilt.Load() {
		if secure, err := t.secure(); err == nil {
			secure.CloseIdleConnections()
		}
	}
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.needsTLS(req.URL) {
		return t.plain.RoundTrip(req)
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

// proxyResolver picks the proxy for a URL from HTTPS_PROXY, HTTP_PROXY and
// NO_PROXY (upper case first, as Go reads them) of the injected env, with the
// semantics of Go's http.ProxyFromEnvironment, which reads only the process
// env and caches it. It differs in one way: a proxy variable that cannot be
// parsed fails the request that would use it, where Go silently connects
// directly; a user who set a proxy did not ask to bypass it.
type proxyResolver struct {
	https, http proxySetting
	cgi         bool
	noProxyAll  bool
	noProxy     []noProxyRule
}

type proxySetting struct {
	url *url.URL
	err error
}

// noProxyRule is one NO_PROXY entry: a CIDR, an IP, or a domain, each with
// an optional port.
type noProxyRule struct {
	cidr      netip.Prefix
	ip        netip.Addr
	domain    string // with a leading dot
	matchHost bool   // the entry had no leading dot, so the host itself matches too
	port      string
}

func newProxyResolver(env config.Env) *proxyResolver {
	p := &proxyResolver{
		https: parseProxy(firstSet(env, EnvHTTPSProxy, strings.ToLower(EnvHTTPSProxy))),
		http:  parseProxy(firstSet(env, EnvHTTPProxy, strings.ToLower(EnvHTTPProxy))),
		// httpoxy: in CGI, HTTP_PROXY may come from a request header.
		cgi: env["REQUEST_METHOD"] != "",
	}
	for _, entry := range strings.Split(firstSet(env, EnvNoProxy, strings.ToLower(EnvNoProxy)), ",") {
		entry = strings.ToLower(strings.TrimSpace(entry))
		if entry == "" {
			continue
		}
		if entry == "*" {
			p.noProxyAll = true
			break
		}
		if prefix, err := netip.ParsePrefix(entry); err == nil {
			p.noProxy = append(p.noProxy, noProxyRule{cidr: prefix.Masked()})
			continue
		}
		host, port, err := net.SplitHostPort(entry)
		if err != nil {
			host, port = entry, ""
		}
		host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
		if host == "" {
			continue // malformed, as Go ignores it
		}
		if ip, err := netip.ParseAddr(host); err == nil {
			p.noProxy = append(p.noProxy, noProxyRule{ip: ip.Unmap(), port: port})
			continue
		}
		if strings.HasPrefix(host, "*.") {
			host = host[1:]
		}
		rule := noProxyRule{domain: host, port: port}
		if !strings.HasPrefix(host, ".") {
			rule.domain, rule.matchHost = "."+host, true
		}
		p.noProxy = append(p.noProxy, rule)
	}
	return p
}

func firstSet(env config.Env, names ...string) string {
	for _, n := range names {
		if v := env[n]; v != "" {
			return v
		}
	}
	return ""
}

// parseProxy reads a proxy variable as Go does: a bare host:port means
// http://host:port.
func parseProxy(s string) proxySetting {
	if s == "" {
		return proxySetting{}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		if u2, err2 := url.Parse("http://" + s); err2 == nil {
			u, err = u2, nil
		}
	}
	if err != nil || u.Host == "" {
		return proxySetting{err: errProxySetting}
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
		return proxySetting{url: u}
	default:
		return proxySetting{err: errProxySetting}
	}
}

// proxyFor returns the proxy for a request URL, nil for a direct connection.
func (p *proxyResolver) proxyFor(u *url.URL) (*url.URL, error) {
	var s proxySetting
	switch u.Scheme {
	case "https":
		s = p.https
	case "http":
		s = p.http
		if s.url != nil && p.cgi {
			return nil, errProxyCGI
		}
	}
	if (s.url == nil && s.err == nil) || !p.useProxy(u) {
		return nil, nil
	}
	return s.url, s.err
}

func (p *proxyResolver) useProxy(u *url.URL) bool {
	host := strings.ToLower(u.Hostname())
	if host == "" || isLoopbackHost(host) {
		return false
	}
	if p.noProxyAll {
		return false
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	ip, ipErr := netip.ParseAddr(host)
	ip = ip.Unmap()
	for _, r := range p.noProxy {
		switch {
		case r.cidr.IsValid():
			if ipErr == nil && r.cidr.Contains(ip) {
				return false
			}
		case r.ip.IsValid():
			if ipErr == nil && r.ip == ip && (r.port == "" || r.port == port) {
				return false
			}
		default:
			if (strings.HasSuffix(host, r.domain) || (r.matchHost && host == r.domain[1:])) && (r.port == "" || r.port == port) {
				return false
			}
		}
	}
	return true
}

// isLoopbackHost says whether a URL's host name stays on this machine:
// localhost, 127.0.0.0/8 or ::1.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(strings.TrimSuffix(host, "."), "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
