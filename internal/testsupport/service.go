package testsupport

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"connectrpc.com/connect"
	"google.golang.org/protobuf/proto"

	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
	"github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha/prehogv1alphaconnect"
)

// Server is an httptest server on loopback that counts the connections it
// accepts, so that a test can tell "nothing arrived" from "nothing was
// answered".
type Server struct {
	*httptest.Server
	conns atomic.Int64
}

// StartServer serves h on loopback until the test ends. Each configure
// function may change the server before it starts (TLS settings, HTTP/2, its
// error log); it starts with TLS when they set TLS or HTTP/2.
func StartServer(tb testing.TB, h http.Handler, configure ...func(*httptest.Server)) *Server {
	tb.Helper()
	s := &Server{Server: httptest.NewUnstartedServer(h)}
	s.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		if state == http.StateNew {
			s.conns.Add(1)
		}
	}
	for _, c := range configure {
		c(s.Server)
	}
	if s.Server.TLS != nil || s.EnableHTTP2 {
		s.StartTLS()
	} else {
		s.Start()
	}
	tb.Cleanup(s.Close)
	return s
}

// Connections is how many connections the server has accepted.
func (s *Server) Connections() int64 { return s.conns.Load() }

// Request is one HTTP request as it reached a Recorder, before Connect
// decoded it.
type Request struct {
	Body       []byte // as sent, whatever its encoding
	Header     http.Header
	Method     string
	Path       string
	RequestURI string
	Host       string
	ProtoMajor int
	TLSVersion uint16 // 0 without TLS
}

// Text is the request as one string, to search for what must not travel:
// the request line, the host, every header and the body.
func (r Request) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/%d\r\nHost: %s\r\n", r.Method, r.RequestURI, r.ProtoMajor, r.Host)
	r.Header.Write(&b)
	b.WriteString("\r\n")
	b.Write(r.Body)
	return b.String()
}

// Recorder is a real TbotReportingService behind the generated handler: it
// records every request and every event that reach it, and answers with
// success unless told to fail.
type Recorder struct {
	mu       sync.Mutex
	requests []Request
	events   []*prehogv1alpha.SubmitTbotEventRequest
	failures []error // answered to the next calls, one each
	refusal  error   // answered to every call once failures are used up
}

// NewRecorder returns a Recorder that answers its first calls with
// failures, one each in order, and the calls after them with success.
func NewRecorder(failures ...error) *Recorder {
	return &Recorder{failures: failures}
}

// Refuse makes the Recorder answer every later call with err, once the
// failures it was made with are used up.
func (r *Recorder) Refuse(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refusal = err
}

// SubmitTbotEvent records the event and answers as the Recorder was told.
func (r *Recorder) SubmitTbotEvent(_ context.Context, req *connect.Request[prehogv1alpha.SubmitTbotEventRequest]) (*connect.Response[prehogv1alpha.SubmitTbotEventResponse], error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, proto.CloneOf(req.Msg))
	if len(r.failures) > 0 {
		err := r.failures[0]
		r.failures = r.failures[1:]
		return nil, err
	}
	if r.refusal != nil {
		return nil, r.refusal
	}
	return connect.NewResponse(&prehogv1alpha.SubmitTbotEventResponse{}), nil
}

// Handler is the generated Connect handler for the Recorder, behind a layer
// that records each raw request first, whatever Connect then makes of it.
func (r *Recorder) Handler() http.Handler {
	_, h := prehogv1alphaconnect.NewTbotReportingServiceHandler(r)
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		if err != nil {
			http.Error(w, "read body", http.StatusBadRequest)
			return
		}
		rec := Request{Body: body, Header: req.Header.Clone(), Method: req.Method, Path: req.URL.Path,
			RequestURI: req.RequestURI, Host: req.Host, ProtoMajor: req.ProtoMajor}
		if req.TLS != nil {
			rec.TLSVersion = req.TLS.Version
		}
		r.mu.Lock()
		r.requests = append(r.requests, rec)
		r.mu.Unlock()
		req.Body = io.NopCloser(bytes.NewReader(body))
		h.ServeHTTP(w, req)
	})
}

// Requests are the HTTP requests received so far, in order.
func (r *Recorder) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.requests...)
}

// Events are the events that Connect decoded and passed to the service so
// far, in order, refused ones included.
func (r *Recorder) Events() []*prehogv1alpha.SubmitTbotEventRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*prehogv1alpha.SubmitTbotEventRequest(nil), r.events...)
}

// OnlyEvent is the one event received; it fails the test unless exactly
// one arrived.
func (r *Recorder) OnlyEvent(tb testing.TB) *prehogv1alpha.SubmitTbotEventRequest {
	tb.Helper()
	events := r.Events()
	if len(events) != 1 {
		tb.Fatalf("%d events received, want 1", len(events))
	}
	return events[0]
}

// Reset forgets what was recorded, so that a benchmark's memory does not
// grow with its iterations.
func (r *Recorder) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = r.requests[:0]
	r.events = r.events[:0]
}

// Service is the reporting service on loopback: a Recorder served by a
// Server.
type Service struct {
	*Recorder
	*Server
}

// StartService serves a Recorder made with failures on a loopback Server,
// closed when the test ends.
func StartService(tb testing.TB, failures ...error) *Service {
	tb.Helper()
	r := NewRecorder(failures...)
	return &Service{Recorder: r, Server: StartServer(tb, r.Handler())}
}

// SilentEndpoint is a loopback port that accepts connections and never
// writes a byte: a server that never answers. It is closed, with every
// connection it accepted, when the test ends.
type SilentEndpoint struct {
	// URL is the endpoint as an http URL.
	URL   string
	mu    sync.Mutex
	conns []net.Conn
}

// StartSilentEndpoint listens on a loopback port until the test ends.
func StartSilentEndpoint(tb testing.TB) *SilentEndpoint {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	e := &SilentEndpoint{URL: "http://" + ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			e.mu.Lock()
			e.conns = append(e.conns, c)
			e.mu.Unlock()
		}
	}()
	tb.Cleanup(func() {
		ln.Close()
		e.mu.Lock()
		defer e.mu.Unlock()
		for _, c := range e.conns {
			c.Close()
		}
	})
	return e
}

// Connections is how many connections the endpoint has accepted.
func (e *SilentEndpoint) Connections() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.conns)
}

// ClosedPortURL is an http URL of a loopback port that was free a moment
// ago and has no listener: a connection to it is refused.
func ClosedPortURL(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// HTTPClient is a client of its own that speaks HTTP/1.1 only, or, with
// h2c, cleartext HTTP/2 only (which gRPC needs); its idle connections are
// closed when the test ends.
func HTTPClient(tb testing.TB, h2c bool) *http.Client {
	var p http.Protocols
	if h2c {
		p.SetUnencryptedHTTP2(true)
	} else {
		p.SetHTTP1(true)
	}
	tr := &http.Transport{Protocols: &p, MaxIdleConnsPerHost: 64}
	tb.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr}
}
