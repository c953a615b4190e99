package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/tbot-telemetry/tbot-telemetry/event"
	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
	"github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha/prehogv1alphaconnect"
	"github.com/tbot-telemetry/tbot-telemetry/internal/logsummary"
)

// gatedWriter holds each write until released, so that a test can stop the
// server while a request is in flight.
type gatedWriter struct {
	w        io.Writer
	entered  chan struct{}
	release  chan struct{}
	announce sync.Once
}

func newGatedWriter(w io.Writer) *gatedWriter {
	return &gatedWriter{w: w, entered: make(chan struct{}), release: make(chan struct{})}
}

func (g *gatedWriter) Write(p []byte) (int, error) {
	g.announce.Do(func() { close(g.entered) })
	<-g.release
	return g.w.Write(p)
}

func daemonEvent() *prehogv1alpha.SubmitTbotEventRequest {
	return &prehogv1alpha.SubmitTbotEventRequest{
		DistinctId: uuid.NewString(),
		Event: &prehogv1alpha.SubmitTbotEventRequest_Start{Start: &prehogv1alpha.TbotStartEvent{
			RunMode: prehogv1alpha.TbotStartEvent_RUN_MODE_DAEMON, Version: "17.4.2", JoinType: "token",
		}},
	}
}

type testServer struct {
	addr   string
	cancel context.CancelFunc
	// done closes when serve has returned err.
	done   chan struct{}
	err    error
	client prehogv1alphaconnect.TbotReportingServiceClient
}

func startTestServer(t *testing.T, w io.Writer, grace time.Duration) *testServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	receiver := NewReceiver(w, Options{Now: time.Now, Log: log})
	mux := http.NewServeMux()
	mux.Handle(receiver.Path(), receiver)
	ctx, cancel := context.WithCancel(context.Background())
	s := &testServer{addr: ln.Addr().String(), cancel: cancel, done: make(chan struct{})}
	go func() {
		s.err = serve(ctx, ln, mux, ServeOptions{Log: log}, grace)
		close(s.done)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(grace + 10*time.Second):
			t.Error("serve did not return")
		}
	})
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	s.client = prehogv1alphaconnect.NewTbotReportingServiceClient(&http.Client{Transport: tr}, "http://"+s.addr)
	return s
}

// waitRefusing waits until the server no longer accepts connections: the
// shutdown has begun.
func waitRefusing(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("server still accepts connections after its context ended")
}

// submitUntilWriting sends req in the background and returns once the
// server is writing its line, held at gate: a request in flight. The answer
// comes on the channel.
func submitUntilWriting(t *testing.T, ctx context.Context, s *testServer, gate *gatedWriter, req *prehogv1alpha.SubmitTbotEventRequest) <-chan error {
	t.Helper()
	answered := make(chan error, 1)
	go func() {
		_, err := s.client.SubmitTbotEvent(ctx, connect.NewRequest(req))
		answered <- err
	}()
	select {
	case <-gate.entered:
	case <-ctx.Done():
		t.Fatal("the request never reached the writer")
	}
	return answered
}

// Ending Serve's context stops new connections but answers the request in
// flight, with its line written, before Serve returns nil.
func TestServeAnswersRequestsInFlightBeforeReturning(t *testing.T) {
	out := filepath.Join(t.TempDir(), "events.jsonl")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gate := newGatedWriter(f)
	s := startTestServer(t, gate, 20*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := daemonEvent()
	answered := submitUntilWriting(t, ctx, s, gate, req)

	s.cancel()
	waitRefusing(t, s.addr)
	select {
	case <-s.done:
		t.Fatalf("serve returned (%v) with a request in flight", s.err)
	default:
	}

	close(gate.release)
	if err := <-answered; err != nil {
		t.Fatalf("the request in flight was not answered: %v", err)
	}
	select {
	case <-s.done:
		if s.err != nil {
			t.Fatalf("serve: %v", s.err)
		}
	case <-ctx.Done():
		t.Fatal("serve did not return once the request was answered")
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), req.DistinctId) || strings.Count(string(b), "\n") != 1 {
		t.Fatalf("output %q, want the one line of %s", b, req.DistinctId)
	}
}

// A request that outlives the grace does not hold the receiver forever:
// Serve gives up with an error and the client is not told the event was
// accepted.
func TestServeGivesUpAfterTheGrace(t *testing.T) {
	gate := newGatedWriter(io.Discard)
	defer close(gate.release)
	s := startTestServer(t, gate, 200*time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	answered := submitUntilWriting(t, ctx, s, gate, daemonEvent())
	s.cancel()
	select {
	case <-s.done:
		if !errors.Is(s.err, context.DeadlineExceeded) {
			t.Fatalf("serve = %v, want the grace exceeded", s.err)
		}
	case <-ctx.Done():
		t.Fatal("serve did not give up after the grace")
	}
	if err := <-answered; err == nil {
		t.Fatal("client was told a stuck event was accepted")
	}
}

// A write that fails (a full disk) is not answered as a success, and the
// receiver goes on.
func TestWriteFailureIsNotSuccess(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full to fill: %v", err)
	}
	defer full.Close()
	s := startTestServer(t, full, 5*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for range 2 {
		_, err := s.client.SubmitTbotEvent(ctx, connect.NewRequest(daemonEvent()))
		if connect.CodeOf(err) != connect.CodeUnavailable {
			t.Fatalf("SubmitTbotEvent = %v, want unavailable", err)
		}
	}
}

// shortWriter writes the first n bytes of the next write and then fails, as
// write(2) does when the disk fills up mid-line.
type shortWriter struct {
	w io.Writer
	n int // -1: write everything
}

func (s *shortWriter) Write(p []byte) (int, error) {
	if s.n < 0 {
		return s.w.Write(p)
	}
	n, _ := s.w.Write(p[:s.n])
	s.n = -1
	return n, syscall.ENOSPC
}

// A line cut short by a failed write does not swallow the next one: that
// starts on a line of its own and parses.
func TestCutEventLineDoesNotSwallowTheNext(t *testing.T) {
	var b strings.Builder
	sw := &shortWriter{w: &b, n: 10}
	r := &receiver{w: sw}
	first, err := event.MarshalLine(daemonEvent(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	second, err := event.MarshalLine(daemonEvent(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.writeEventLine(first); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("writeEventLine = %v, want ENOSPC", err)
	}
	if err := r.writeEventLine(second); err != nil {
		t.Fatalf("writeEventLine after the failure: %v", err)
	}
	if want := string(first[:10]) + "\n" + string(second); b.String() != want {
		t.Fatalf("output %q, want %q", b.String(), want)
	}

	// A failure that wrote nothing leaves the output at a line's end.
	b.Reset()
	sw.n = 0
	r.midEventLine = false
	if err := r.writeEventLine(first); err == nil {
		t.Fatal("writeEventLine succeeded on a failed write")
	}
	if err := r.writeEventLine(second); err != nil {
		t.Fatal(err)
	}
	if b.String() != string(second) {
		t.Fatalf("output %q, want only %q", b.String(), second)
	}
}

// validate's own checks, including those the wire decoder already makes
// (invalid UTF-8) but which a handler must not rely on.
func TestValidate(t *testing.T) {
	good := daemonEvent
	// The bounds are written out, not MaxStringBytes and MaxCount, so
	// that a change of the constants shows here: 128 bytes, as tbot cuts
	// its helper strings, and counts up to 1 000 000.
	cases := []struct {
		name   string
		change func(*prehogv1alpha.SubmitTbotEventRequest)
		reason string // "" when valid
	}{
		{"valid", func(*prehogv1alpha.SubmitTbotEventRequest) {}, ""},
		{"upper-case UUID", func(r *prehogv1alpha.SubmitTbotEventRequest) { r.DistinctId = strings.ToUpper(r.DistinctId) }, ""},
		{"one-shot", func(r *prehogv1alpha.SubmitTbotEventRequest) {
			r.GetStart().RunMode = prehogv1alpha.TbotStartEvent_RUN_MODE_ONE_SHOT
		}, ""},
		{"strings at the bound", func(r *prehogv1alpha.SubmitTbotEventRequest) {
			r.GetStart().Helper = strings.Repeat("é", 128/2)
		}, ""},
		{"counts at the bound", func(r *prehogv1alpha.SubmitTbotEventRequest) {
			s := r.GetStart()
			s.DestinationsOther, s.DestinationsDatabase, s.DestinationsKubernetes, s.DestinationsApplication = 1_000_000, 1_000_000, 1_000_000, 1_000_000
		}, ""},
		{"version over the bound", func(r *prehogv1alpha.SubmitTbotEventRequest) { r.GetStart().Version = strings.Repeat("1", 129) }, ReasonTooLong},
		{"helper_version over the bound", func(r *prehogv1alpha.SubmitTbotEventRequest) {
			r.GetStart().HelperVersion = strings.Repeat("v", 129)
		}, ReasonTooLong},
		{"helper not UTF-8", func(r *prehogv1alpha.SubmitTbotEventRequest) { r.GetStart().Helper = "gha\xff" }, ReasonNotUTF8},
		{"join_type not UTF-8", func(r *prehogv1alpha.SubmitTbotEventRequest) { r.GetStart().JoinType = "\xc3" }, ReasonNotUTF8},
		{"not a UUID", func(r *prehogv1alpha.SubmitTbotEventRequest) { r.DistinctId = "{" + r.DistinctId + "}" }, ReasonDistinctID},
		{"nil start", func(r *prehogv1alpha.SubmitTbotEventRequest) {
			r.Event = &prehogv1alpha.SubmitTbotEventRequest_Start{}
		}, ReasonNoStart},
		{"no event", func(r *prehogv1alpha.SubmitTbotEventRequest) { r.Event = nil }, ReasonNoStart},
		{"run mode unspecified", func(r *prehogv1alpha.SubmitTbotEventRequest) {
			r.GetStart().RunMode = prehogv1alpha.TbotStartEvent_RUN_MODE_UNSPECIFIED
		}, ReasonRunMode},
		{"negative other", func(r *prehogv1alpha.SubmitTbotEventRequest) { r.GetStart().DestinationsOther = -5 }, ReasonCount},
		{"negative database", func(r *prehogv1alpha.SubmitTbotEventRequest) { r.GetStart().DestinationsDatabase = -1 }, ReasonCount},
		{"kubernetes over the bound", func(r *prehogv1alpha.SubmitTbotEventRequest) {
			r.GetStart().DestinationsKubernetes = 1_000_001
		}, ReasonCount},
		{"application over the bound", func(r *prehogv1alpha.SubmitTbotEventRequest) {
			r.GetStart().DestinationsApplication = 1_000_001
		}, ReasonCount},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := good()
			c.change(req)
			err := validate(req)
			if (err == nil) != (c.reason == "") || (err != nil && err.reason != c.reason) {
				t.Fatalf("validate = %v, want the reason %q", err, c.reason)
			}
			if err != nil && strings.Contains(err.Error(), req.GetStart().GetHelper()) && req.GetStart().GetHelper() != "" {
				t.Errorf("error %q echoes the value sent", err)
			}
		})
	}
}

// A write that takes less than the line without an error (a writer that
// is not a file) is no success either: the event is not recorded, and the
// next line starts on a line of its own.
func TestShortWriteIsNotSuccess(t *testing.T) {
	var b strings.Builder
	r := &receiver{w: &silentlyShort{w: &b, n: 10}}
	first, err := event.MarshalLine(daemonEvent(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	second, err := event.MarshalLine(daemonEvent(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := r.writeEventLine(first); !errors.Is(err, io.ErrShortWrite) {
		t.Fatalf("writeEventLine = %v, want io.ErrShortWrite", err)
	}
	if err := r.writeEventLine(second); err != nil {
		t.Fatal(err)
	}
	if want := string(first[:10]) + "\n" + string(second); b.String() != want {
		t.Fatalf("output %q, want %q", b.String(), want)
	}
}

// silentlyShort writes the first n bytes of the next write and says so,
// with no error; then everything.
type silentlyShort struct {
	w io.Writer
	n int
}

func (s *silentlyShort) Write(p []byte) (int, error) {
	if s.n < 0 {
		return s.w.Write(p)
	}
	n, err := s.w.Write(p[:s.n])
	s.n = -1
	return n, err
}

// The server cuts slow clients at the bounds docs/collect.md gives: 10 s
// for the headers, 30 s for the request and the answer, idle connections
// after 2 minutes, 64 KiB of headers.
func TestServerBoundsSlowClients(t *testing.T) {
	srv := newServer(http.NotFoundHandler(), ServeOptions{Log: slog.New(slog.DiscardHandler)})
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{
		{"ReadHeaderTimeout", srv.ReadHeaderTimeout, 10 * time.Second},
		{"ReadTimeout", srv.ReadTimeout, 30 * time.Second},
		{"WriteTimeout", srv.WriteTimeout, 30 * time.Second},
		{"IdleTimeout", srv.IdleTimeout, 2 * time.Minute},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if srv.MaxHeaderBytes != 64<<10 {
		t.Errorf("MaxHeaderBytes = %d, want 64 KiB", srv.MaxHeaderBytes)
	}
}

// The HTTP server's own complaints are bounded by kind, whatever their
// reason, and name no client: a scanner's flood is a line or two.
func TestServerLogIsBounded(t *testing.T) {
	var out strings.Builder
	log := slog.New(slog.NewTextHandler(&out, nil))
	w := serverLog{logsummary.New(log, time.Minute, time.Now)}
	for i := range 5 {
		fmt.Fprintf(w, "http: TLS handshake error from 192.0.2.%d:4242: EOF\n", i)
		fmt.Fprintf(w, "http: superfluous response from 192.0.2.%d:4242: reason %d\n", i, i)
	}
	got := out.String()
	if strings.Count(got, "\n") != 2 || !strings.Contains(got, "A TLS handshake with a client failed.") ||
		!strings.Contains(got, "could not serve a connection") || strings.Contains(got, "192.0.2.") {
		t.Errorf("logs:\n%s", got)
	}
}
