package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// End-to-end tests of `collect`: the built binary listens on a loopback
// port, real clients (the built `report` among them) send to it, and real
// signals stop it.

// collectBound bounds every wait in these tests so that none can hang.
const collectBound = 30 * time.Second

// collectProcess is a running `tbot-telemetry collect`.
type collectProcess struct {
	*process
	addr   string // the address it reported listening on
	stdout *testsupport.LockedBuffer
}

var collectListening = regexp.MustCompile(` Collecting tbot events\. listen:(\S+)`)

// collectStart starts the built binary as `collect --listen 127.0.0.1:0`
// with args, and waits for its start line to learn the port.
func collectStart(t *testing.T, args ...string) *collectProcess {
	t.Helper()
	return collectStartEnv(t, []string{}, args...)
}

// collectStartEnv is collectStart with env as collect's whole environment.
func collectStartEnv(t *testing.T, env []string, args ...string) *collectProcess {
	t.Helper()
	cmd := exec.Command(buildBinary(t), append([]string{"collect", "--listen", "127.0.0.1:0"}, args...)...)
	cmd.Env = env
	cmd.Dir = t.TempDir()
	p := &collectProcess{
		process: &process{t: t, cmd: cmd, name: "collect", bound: collectBound, stderr: &testsupport.LockedBuffer{}, done: make(chan struct{})},
		stdout:  &testsupport.LockedBuffer{},
	}
	cmd.Stdout = p.stdout
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	listening := make(chan string, 1)
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.stderr.Write(append(sc.Bytes(), '\n'))
			if m := collectListening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case listening <- m[1]:
				default:
				}
			}
		}
	}()
	p.watch(scanned)
	select {
	case p.addr = <-listening:
	case <-p.done:
		t.Fatalf("collect exited before listening; stderr:\n%s", p.stderr.String())
	case <-time.After(collectBound):
		t.Fatalf("collect said nothing of listening within %v; stderr:\n%s", collectBound, p.stderr.String())
	}
	if host, _, err := net.SplitHostPort(p.addr); err != nil || !net.ParseIP(host).IsLoopback() {
		t.Fatalf("collect listens on %q, want a loopback address", p.addr)
	}
	return p
}

func (p *collectProcess) baseURL() string { return "http://" + p.addr }

// stop sends sig and returns the exit status.
func (p *collectProcess) stop(sig syscall.Signal) int {
	p.t.Helper()
	p.signal(sig)
	return p.wait()
}

// collectClient talks to a collector over Connect (HTTP/1.1), or gRPC or
// gRPC-Web as opts say; gRPC goes over cleartext HTTP/2.
func collectClient(t *testing.T, baseURL string, h2c bool, opts ...connect.ClientOption) prehogv1alphaconnect.TbotReportingServiceClient {
	return prehogv1alphaconnect.NewTbotReportingServiceClient(testsupport.HTTPClient(t, h2c), baseURL, opts...)
}

// collectLines reads a collector's output back: whole lines only, each in
// the shape README.md gives under "The event".
func collectLines(t *testing.T, out string) []event.PostHog {
	t.Helper()
	if out == "" {
		return nil
	}
	if !strings.HasSuffix(out, "\n") {
		t.Fatalf("output ends in the middle of a line: %q", out[max(0, len(out)-80):])
	}
	var events []event.PostHog
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var ph event.PostHog
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ph); err != nil || dec.More() {
			t.Fatalf("line not in the dry-run shape (%v): %q", err, line)
		}
		if !strings.Contains(line, `"tbot.destinations_application":`) || !strings.Contains(line, `"tbot.helper":`) {
			t.Fatalf("line lacks one of the nine properties: %q", line)
		}
		events = append(events, ph)
	}
	return events
}

func collectEvent(id string) *prehogv1alpha.SubmitTbotEventRequest {
	return &prehogv1alpha.SubmitTbotEventRequest{
		DistinctId: id,
		Event: &prehogv1alpha.SubmitTbotEventRequest_Start{Start: &prehogv1alpha.TbotStartEvent{
			RunMode: prehogv1alpha.TbotStartEvent_RUN_MODE_DAEMON, Version: "19.1.0", JoinType: "github",
			DestinationsOther: 1,
		}},
	}
}

// The built `report` sends the event of a real tbot command line to the
// built `collect`, which writes the line README.md promises.
func TestCollectReceivesReport(t *testing.T) {
	output := filepath.Join(t.TempDir(), "events.jsonl")
	collector := collectStart(t, "--output", output)

	ctx, cancel := context.WithTimeout(context.Background(), collectBound)
	defer cancel()
	before := time.Now().UTC().Truncate(time.Millisecond)
	report := exec.CommandContext(ctx, buildBinary(t), "report", "--strict",
		"--endpoint", collector.baseURL(), "--tbot-version", "19.1.0",
		"--", "start", "identity", "--destination", "./out", "--join-method", "github")
	report.Env = []string{"TELEPORT_ANONYMOUS_TELEMETRY=1"}
	report.Dir = t.TempDir()
	var reportErr bytes.Buffer
	report.Stderr = &reportErr
	err := report.Run()
	after := time.Now().UTC()
	if err != nil {
		t.Fatalf("report: %v; stderr:\n%s", err, reportErr.String())
	}
	if code := collector.stop(syscall.SIGTERM); code != 0 {
		t.Fatalf("collect exited %d; stderr:\n%s", code, collector.stderr.String())
	}

	lines := collectLines(t, testsupport.ReadFile(t, output))
	if len(lines) != 1 {
		t.Fatalf("got %d lines, want 1; report's stderr:\n%s", len(lines), reportErr.String())
	}
	got := lines[0]
	if _, err := uuid.Parse(got.DistinctID); err != nil {
		t.Errorf("distinct_id %q is not a UUID", got.DistinctID)
	}
	ts, err := time.Parse(event.TimestampFormat, got.Timestamp)
	if err != nil || ts.Before(before) || ts.After(after) {
		t.Errorf("timestamp %q, want the start time, between %v and %v", got.Timestamp, before, after)
	}
	want := event.Properties{RunMode: "daemon", Version: "19.1.0", JoinType: "github", DestinationsOther: 1}
	if got.Event != "tbot.start" || got.Properties != want {
		t.Errorf("event %q %+v, want tbot.start %+v", got.Event, got.Properties, want)
	}
}

// SIGTERM in the middle of a load: the collector answers what is in flight
// and exits 0, and every event it answered with success has its line.
func TestCollectShutdownUnderLoadLosesNothing(t *testing.T) {
	output := filepath.Join(t.TempDir(), "events.jsonl")
	collector := collectStart(t, "--output", output)
	ctx, cancel := context.WithTimeout(context.Background(), collectBound)
	defer cancel()

	clients := []prehogv1alphaconnect.TbotReportingServiceClient{}
	for range 3 {
		clients = append(clients,
			collectClient(t, collector.baseURL(), false),
			collectClient(t, collector.baseURL(), true, connect.WithGRPC()),
			collectClient(t, collector.baseURL(), false, connect.WithGRPCWeb(), connect.WithProtoJSON()))
	}
	var (
		mu         sync.Mutex
		sent       = map[string]bool{}
		accepted   = map[string]bool{}
		afterTerm  int // answered after SIGTERM: in flight when it came
		terminated = make(chan struct{})
		enough     = make(chan struct{})
		enoughOnce sync.Once
		wg         sync.WaitGroup
	)
	for _, client := range clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				id := uuid.NewString()
				mu.Lock()
				sent[id] = true
				mu.Unlock()
				_, err := client.SubmitTbotEvent(ctx, connect.NewRequest(collectEvent(id)))
				if err != nil {
					select {
					case <-terminated:
						// Refused once the collector stops accepting.
					default:
						t.Errorf("before SIGTERM: %v", err)
					}
					return
				}
				mu.Lock()
				accepted[id] = true
				select {
				case <-terminated:
					afterTerm++
				default:
				}
				if len(accepted) >= 300 {
					enoughOnce.Do(func() { close(enough) })
				}
				mu.Unlock()
			}
		})
	}
	select {
	case <-enough:
	case <-ctx.Done():
		t.Fatal("the load never got going")
	}
	close(terminated)
	collector.signal(syscall.SIGTERM)
	code := collector.wait()
	wg.Wait()
	if code != 0 {
		t.Fatalf("collect exited %d after SIGTERM; stderr:\n%s", code, collector.stderr.String())
	}
	if ctx.Err() != nil {
		t.Fatalf("clients ran until the test's deadline: %v", ctx.Err())
	}

	written := map[string]bool{}
	for _, ph := range collectLines(t, testsupport.ReadFile(t, output)) {
		if written[ph.DistinctID] {
			t.Errorf("distinct_id %s written twice", ph.DistinctID)
		}
		written[ph.DistinctID] = true
		if !sent[ph.DistinctID] {
			t.Errorf("line for an event never sent: %s", ph.DistinctID)
		}
	}
	lost := 0
	for id := range accepted {
		if !written[id] {
			lost++
		}
	}
	if lost > 0 {
		t.Fatalf("%d of %d accepted events have no line", lost, len(accepted))
	}
	t.Logf("%d events accepted (%d of them after SIGTERM), %d lines written", len(accepted), afterTerm, len(written))
}

// A client that stalls mid-request holds the drain (up to the grace), but a
// second signal stops the collector at once.
func TestCollectSecondSignalStopsAtOnce(t *testing.T) {
	collector := collectStart(t)
	collectStallRequest(t, collector)

	collector.signal(syscall.SIGTERM)
	deadline := time.Now().Add(collectBound)
	for !strings.Contains(collector.stderr.String(), "Shutting down") {
		if time.Now().After(deadline) {
			t.Fatalf("no word of shutting down; stderr:\n%s", collector.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case <-collector.done:
		t.Fatalf("collect exited with a request in flight; stderr:\n%s", collector.stderr.String())
	default:
	}
	if code := collector.stop(syscall.SIGTERM); code != 128+int(syscall.SIGTERM) {
		t.Fatalf("collect exited %d after a second SIGTERM, want %d", code, 128+int(syscall.SIGTERM))
	}
	if lines := collectLines(t, collector.stdout.String()); len(lines) != 1 {
		t.Errorf("got %d lines, want the answered event's only", len(lines))
	}
}

// Two signals back to back, as an impatient operator or a supervisor that
// escalates at once sends them: the second must stop the collector at once
// however soon it follows the first. Repeated, because the window it once
// fell into (between taking the first signal and restoring the default
// action) was narrow. The two are different signals: the kernel and Go's
// runtime each hold one pending signal of a kind, so two SIGTERMs sent in
// the same microsecond are one SIGTERM to any program.
func TestCollectSignalsBackToBackStopAtOnce(t *testing.T) {
	const rounds = 20
	for i := range rounds {
		collector := collectStart(t)
		stall := collectStallRequest(t, collector)
		pid := collector.cmd.Process.Pid
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(pid, syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		// Far below the drain's grace: a swallowed second signal shows
		// as a collector still draining.
		select {
		case <-collector.done:
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d of %d: collect still running 5s after SIGTERM and SIGINT; stderr:\n%s", i+1, rounds, collector.stderr.String())
		}
		// Either may be taken second.
		if code := collector.wait(); code != 128+int(syscall.SIGTERM) && code != 128+int(syscall.SIGINT) {
			t.Fatalf("round %d of %d: collect exited %d after SIGTERM and SIGINT, want %d or %d; stderr:\n%s",
				i+1, rounds, code, 128+int(syscall.SIGTERM), 128+int(syscall.SIGINT), collector.stderr.String())
		}
		stall.Close()
	}
}

// collectStallRequest opens a request that never finishes (headers, then
// the first byte of a body that never comes), so that a drain cannot end
// before its grace, and returns once the collector is surely serving it;
// it also has one plain event answered.
//
// "Surely serving" is an event, not a guess: the request asks for "100
// Continue", which Go's server sends only once the handler reads the body.
// Accepting the connection is not enough: a server whose shutdown begins
// before it has read a connection's request drops that connection without
// serving it (net/http's conn.serve checks shuttingDown right after
// readRequest), and the drain then ends at once. That was the cause of
// this helper's tests failing now and then on a loaded machine.
func collectStallRequest(t *testing.T, collector *collectProcess) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", collector.addr, collectBound)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, "POST "+prehogv1alphaconnect.TbotReportingServiceSubmitTbotEventProcedure+" HTTP/1.1\r\n"+
		"Host: "+collector.addr+"\r\nContent-Type: application/json\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadDeadline(time.Now().Add(collectBound)); err != nil {
		t.Fatal(err)
	}
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 100 ") {
		t.Fatalf("the stalled request got %q, %v; want 100 Continue", status, err)
	}
	if _, err := io.WriteString(conn, "{"); err != nil {
		t.Fatal(err)
	}
	if _, err := collectClient(t, collector.baseURL(), false).SubmitTbotEvent(context.Background(),
		connect.NewRequest(collectEvent(uuid.NewString()))); err != nil {
		t.Fatal(err)
	}
	return conn
}

// With no --output the lines go to stdout and the logs to stderr; a plain
// JSON request as curl sends it is accepted; SIGINT stops it with 0.
func TestCollectWritesStdoutAndStopsOnSIGINT(t *testing.T) {
	collector := collectStart(t)
	ctx, cancel := context.WithTimeout(context.Background(), collectBound)
	defer cancel()

	curlID := uuid.NewString()
	body := `{"distinctId":"` + curlID + `","start":{"runMode":"RUN_MODE_DAEMON","version":"19.1.0","joinType":"github","destinationsOther":1}}`
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		collector.baseURL()+prehogv1alphaconnect.TbotReportingServiceSubmitTbotEventProcedure, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("curl-style request: %d %s", resp.StatusCode, answer)
	}
	grpcID := uuid.NewString()
	if _, err := collectClient(t, collector.baseURL(), true, connect.WithGRPC()).
		SubmitTbotEvent(ctx, connect.NewRequest(collectEvent(grpcID))); err != nil {
		t.Fatalf("gRPC: %v", err)
	}
	// Refused events leave nothing on stdout.
	_, err = collectClient(t, collector.baseURL(), false).SubmitTbotEvent(ctx, connect.NewRequest(collectEvent("not-a-uuid")))
	if connect.CodeOf(err) != connect.CodeInvalidArgument {
		t.Fatalf("bad distinct_id: %v, want invalid_argument", err)
	}

	// Without --posthog-host, collect serves the service alone, as it
	// did before forwarding existed.
	health, err := http.Get(collector.baseURL() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	health.Body.Close()
	if health.StatusCode != http.StatusNotFound {
		t.Errorf("GET /healthz without forwarding: %s, want 404", health.Status)
	}

	if code := collector.stop(syscall.SIGINT); code != 0 {
		t.Fatalf("collect exited %d after SIGINT; stderr:\n%s", code, collector.stderr.String())
	}
	lines := collectLines(t, collector.stdout.String())
	if len(lines) != 2 || lines[0].DistinctID != curlID || lines[1].DistinctID != grpcID {
		t.Fatalf("stdout:\n%s\nwant the lines of %s and %s", collector.stdout.String(), curlID, grpcID)
	}
	want := event.Properties{RunMode: "daemon", Version: "19.1.0", JoinType: "github", DestinationsOther: 1}
	for _, ph := range lines {
		if ph.Properties != want {
			t.Errorf("properties %+v, want %+v", ph.Properties, want)
		}
	}
	if stderr := collector.stderr.String(); !strings.Contains(stderr, "Refused an event.") || strings.Contains(stderr, "not-a-uuid") {
		t.Errorf("stderr should say an event was refused without echoing it:\n%s", stderr)
	}
}

// --output appends to what is there and creates a missing file private to
// its owner.
func TestCollectAppendsToOutput(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "existing.jsonl")
	earlier := `{"event":"tbot.start","distinct_id":"` + uuid.NewString() + `","timestamp":"2026-01-01T00:00:00.000Z","properties":{"tbot.run_mode":"daemon","tbot.version":"","tbot.join_type":"token","tbot.helper":"","tbot.helper_version":"","tbot.destinations_other":0,"tbot.destinations_database":0,"tbot.destinations_kubernetes":0,"tbot.destinations_application":0}}` + "\n"
	if err := os.WriteFile(existing, []byte(earlier), 0o644); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(dir, "fresh.jsonl")
	ctx, cancel := context.WithTimeout(context.Background(), collectBound)
	defer cancel()

	for _, output := range []string{existing, fresh} {
		collector := collectStart(t, "--output", output)
		id := uuid.NewString()
		if _, err := collectClient(t, collector.baseURL(), false).SubmitTbotEvent(ctx, connect.NewRequest(collectEvent(id))); err != nil {
			t.Fatal(err)
		}
		if code := collector.stop(syscall.SIGTERM); code != 0 {
			t.Fatalf("collect exited %d; stderr:\n%s", code, collector.stderr.String())
		}
		out := testsupport.ReadFile(t, output)
		lines := collectLines(t, out)
		if lines[len(lines)-1].DistinctID != id {
			t.Errorf("%s: last line is not the new event:\n%s", filepath.Base(output), out)
		}
		if output == existing && (len(lines) != 2 || !strings.HasPrefix(out, earlier)) {
			t.Errorf("the earlier line was not kept:\n%s", out)
		}
	}
	info, err := os.Stat(fresh)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("a new output file has mode %v, want it private to its owner", perm)
	}
}

// collect that cannot start says why on stderr and exits 1; its default
// address is on loopback.
func TestCollectStartFailures(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"output in a missing directory", []string{"--listen", "127.0.0.1:0", "--output", filepath.Join(t.TempDir(), "missing", "events.jsonl")},
			"opening the output file: "},
		{"output is a directory", []string{"--listen", "127.0.0.1:0", "--output", t.TempDir()},
			"opening the output file: "},
		{"address in use", []string{"--listen", busy.Addr().String()}, "listening: "},
		{"address malformed", []string{"--listen", "127.0.0.1"}, "listening: "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			run := runBinary(t, nil, append([]string{"collect"}, c.args...)...)
			if run.Code != 1 {
				t.Fatalf("collect: exit status %d, want 1; stderr:\n%s", run.Code, run.Stderr)
			}
			lines := textLines(t, run.Stderr)
			if len(lines) != 1 || lines[0].Level != "ERRO" || !strings.HasPrefix(lines[0].Rest, "tbot-telemetry stopped on an error. error:["+c.want) {
				t.Errorf("stderr %q, want one error line with error %q", run.Stderr, c.want)
			}
		})
	}

	sys := newTestSystem(t, nil)
	if code := sys.run(t, "collect", "--help"); code != 0 {
		t.Fatalf("collect --help exited %d", code)
	}
	if !strings.Contains(sys.out.String(), "127.0.0.1:8080") {
		t.Errorf("collect --help does not name the loopback default:\n%s", sys.out.String())
	}
}
