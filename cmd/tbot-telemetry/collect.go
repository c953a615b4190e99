package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/collect"
	"github.com/tbot-telemetry/tbot-telemetry/forward"
)

// collectFlags are the flags of collect.
type collectFlags struct {
	listen, output              string
	posthogHost, posthogKeyFile string
}

// runCollect is `collect`: a local receiver that writes each accepted event
// as one JSON line to stdout or appends it to output, and with
// --posthog-host also forwards the lines to PostHog. SIGTERM and SIGINT (or
// the end of ctx) stop it after the requests in flight are answered; a
// second signal stops it at once.
func runCollect(ctx context.Context, sys *system, flags *collectFlags) (err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopSignals := stopOnSignals(cancel)
	defer stopSignals()
	log := newLogger(sys.stderr, "text", false)

	var fwdOpts *forward.Options
	if flags.posthogHost != "" {
		if fwdOpts, err = forwardOptions(sys, flags, log); err != nil {
			return err
		}
	} else if flags.posthogKeyFile != "" {
		return collectMisuse(sys, &misuse{flag: "--posthog-api-key-file", problem: "--posthog-api-key-file is for --posthog-host."})
	}

	var w io.Writer = sys.stdout
	if flags.output != "" {
		f, openErr := os.OpenFile(flags.output, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if openErr != nil {
			return fmt.Errorf("opening the output file: %w", openErr)
		}
		defer func() {
			// Lines are not synced one by one (see collect's writeLine);
			// one sync on the way out makes a clean stop durable. Pipes
			// and terminals cannot sync, and need not.
			syncErr := f.Sync()
			if errors.Is(syncErr, syscall.EINVAL) {
				syncErr = nil
			}
			if closeErr := errors.Join(syncErr, f.Close()); closeErr != nil {
				err = errors.Join(err, fmt.Errorf("closing the output file: %w", closeErr))
			}
		}()
		w = f
	}
	var fwd *forward.Forwarder
	if fwdOpts != nil {
		if fwd, err = forward.New(flags.output, *fwdOpts); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", flags.listen)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	recorded := &countingWriter{w: w}
	path, h := collect.NewHandler(recorded, sys.now, log)
	mux := http.NewServeMux()
	mux.Handle(path, h)
	// The operator's own address, printed so that --listen 127.0.0.1:0
	// is usable.
	log.Info("Collecting tbot events.", "listen", ln.Addr().String())
	if fwd == nil {
		return collect.Serve(ctx, ln, mux, log)
	}
	mux.Handle("GET /healthz", healthHandler(recorded, fwd))

	// The forwarder outlives the receiver's drain, so that the lines
	// written meanwhile are sent before the end too.
	fwdCtx, stopForwarding := context.WithCancel(context.WithoutCancel(ctx))
	defer stopForwarding()
	forwarded := make(chan error, 1)
	go func() { forwarded <- fwd.Run(fwdCtx) }()
	serveErr := collect.Serve(ctx, ln, mux, log)
	stopForwarding()
	fwdErr := <-forwarded
	waiting, waitingErr := fwd.Waiting()
	if waitingErr != nil {
		waiting = -1
	}
	log.Info("Stopped.", "recorded", recorded.lines.Load(), "forwarded", fwd.Stats().Forwarded, "waiting", waiting)
	return errors.Join(serveErr, fwdErr)
}

// forwardOptions checks the flags that forwarding needs and reads the key.
func forwardOptions(sys *system, flags *collectFlags, log *slog.Logger) (*forward.Options, error) {
	if flags.output == "" {
		return nil, collectMisuse(sys, &misuse{flag: "--posthog-host", problem: "--posthog-host needs --output: the file is the record that is forwarded."})
	}
	host, err := url.Parse(flags.posthogHost)
	if err != nil || (host.Scheme != "https" && host.Scheme != "http") || host.Host == "" || host.RawQuery != "" || host.User != nil {
		return nil, collectMisuse(sys, &misuse{flag: "--posthog-host", problem: "--posthog-host must be an http or https URL.", hint: "such as https://us.i.posthog.com"})
	}
	key := sys.env["POSTHOG_API_KEY"]
	if flags.posthogKeyFile != "" {
		b, err := os.ReadFile(flags.posthogKeyFile)
		if err != nil {
			// The path, never the content.
			return nil, fmt.Errorf("reading the PostHog API key file: %w", err)
		}
		key = string(b)
	}
	key = strings.TrimSpace(key)
	if key == "" {
		return nil, collectMisuse(sys, &misuse{flag: "--posthog-host", problem: "--posthog-host needs the project API key.", hint: "put it in POSTHOG_API_KEY or a file named by --posthog-api-key-file"})
	}
	opts := sys.forwardTuning
	opts.Host = strings.TrimSuffix(flags.posthogHost, "/")
	opts.APIKey = key
	opts.Transport = sys.posthogTransport
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	opts.Log = log
	return &opts, nil
}

// countingWriter counts the lines the receiver wrote: it writes each whole
// line in one call.
type countingWriter struct {
	w     io.Writer
	lines atomic.Int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	if err == nil {
		c.lines.Add(1)
	}
	return n, err
}

// healthHandler answers GET /healthz, when forwarding, with how many events
// were recorded and forwarded since the start, the acknowledged offset, and
// how many bytes of the file wait for PostHog.
func healthHandler(recorded *countingWriter, fwd *forward.Forwarder) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		st := fwd.Stats()
		health := map[string]int64{
			"recorded":            recorded.lines.Load(),
			"forwarded":           st.Forwarded,
			"acknowledged_offset": st.Acknowledged,
		}
		if size, err := fwd.Size(); err == nil {
			health["waiting_bytes"] = size - st.Acknowledged
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(health)
	})
}

// stopOnSignals calls cancel on the first SIGTERM or SIGINT and, on the
// second, ends the process at once by that signal's default action (a shell
// sees 128+N), for an operator who will not wait out the drain. No line is
// lost by that: an event is answered only once its line is written. One
// goroutine receives both signals from one channel with room for both, so a
// second signal however close behind the first is never dropped. The
// returned func stops listening.
func stopOnSignals(cancel context.CancelFunc) (stop func()) {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	done := make(chan struct{})
	go func() {
		select {
		case <-signals:
			cancel()
		case <-done:
			return
		}
		select {
		case sig := <-signals:
			dieOf(sig.(syscall.Signal))
		case <-done:
		}
	}()
	return func() {
		signal.Stop(signals)
		close(done)
	}
}

// dieOf ends the process by sig's default action, as if this program had
// never caught it, so that its parent sees it die of sig.
func dieOf(sig syscall.Signal) {
	signal.Reset(sig)
	_ = syscall.Kill(os.Getpid(), sig)
	// The default action of SIGTERM and SIGINT ends the process; should it
	// not (the signal blocked by whoever started us), exit as a shell
	// would report it.
	time.Sleep(time.Second)
	os.Exit(128 + int(sig))
}

// collectMisuse reports a misuse of collect's flags in tbot's log layout and
// exits 2.
func collectMisuse(sys *system, m *misuse) error {
	m.log(sys, nil, "")
	return exitUsage
}
