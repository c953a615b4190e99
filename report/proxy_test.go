package report

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha/prehogv1alphaconnect"
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

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
