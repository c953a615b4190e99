package report

import (
	"net"
	"net/netip"
	"net/url"
	"strings"
)

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

func newProxyResolver(getenv func(string) string) *proxyResolver {
	p := &proxyResolver{
		https: parseProxy(firstSet(getenv, EnvHTTPSProxy, strings.ToLower(EnvHTTPSProxy))),
		http:  parseProxy(firstSet(getenv, EnvHTTPProxy, strings.ToLower(EnvHTTPProxy))),
		// httpoxy: in CGI, HTTP_PROXY may come from a request header.
		cgi: getenv("REQUEST_METHOD") != "",
	}
	for _, entry := range strings.Split(firstSet(getenv, EnvNoProxy, strings.ToLower(EnvNoProxy)), ",") {
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

func firstSet(getenv func(string) string, names ...string) string {
	for _, n := range names {
		if v := getenv(n); v != "" {
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
