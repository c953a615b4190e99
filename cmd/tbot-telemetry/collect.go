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
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tbot-telemetry/tbot-telemetry/collect"
	"github.com/tbot-telemetry/tbot-telemetry/collect/record"
	"github.com/tbot-telemetry/tbot-telemetry/forward"
	"github.com/tbot-telemetry/tbot-telemetry/internal/logsummary"
)

// collectFlags are the flags of collect (docs/collect.md).
type collectFlags struct {
	listen, output              string
	posthogHost, posthogKeyFile string
	tlsCertFile, tlsKeyFile     string
}

// posthogKeyEnv is where collect takes the project API key from, unless
// --posthog-api-key-file names a file.
const posthogKeyEnv = "POSTHOG_API_KEY"

// runCollect is `collect`: a receiver that writes each accepted event as
// one JSON line to stdout or appends it to output, and with --posthog-host
// also forwards the lines to PostHog. SIGTERM and SIGINT (or the end of
// ctx) stop it after the requests in flight are answered; a second signal
// stops it at once. SIGHUP reads the TLS certificate again and looks at
// the output file. It is collect's start order, top to bottom (flags,
// files, log summary, output, metrics, listener, serve); the steps are
// helpers, the order stays here where it can be read at once.
func runCollect(ctx context.Context, sys *system, flags *collectFlags) (err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopSignals := stopOnSignals(cancel)
	defer stopSignals()
	log := newLogger(sys.stderr, "text", false)

	if m := flags.check(); m != nil {
		return collectMisuse(sys, m)
	}
	fwdOpts, cert, err := readCollectFiles(sys, flags, log)
	if err != nil {
		return err
	}

	limiter, flushLogs := startLogSummary(ctx, log, sys.now)
	defer flushLogs()

	var w io.Writer = sys.stdout
	var rec *record.File
	if flags.output != "" {
		rec, err = record.Open(flags.output, record.Options{Follow: fwdOpts != nil, Log: log, Limiter: limiter, PID: os.Getpid()})
		if err != nil {
			return err
		}
		defer closeOutput(rec, &err)
		w = rec
	}

	registry := prometheus.NewRegistry()
	registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	receiver := collect.NewReceiver(w, collect.Options{Now: sys.now, Log: log, Limiter: limiter, Metrics: collect.NewMetrics(registry)})
	var fwd *forward.Forwarder
	if fwdOpts != nil {
		fwdOpts.Limiter = limiter
		fwdOpts.Metrics = forward.NewMetrics(registry, rec.Backlog)
		if fwd, err = forward.New(rec, *fwdOpts); err != nil {
			return err
		}
	}

	// SIGHUP is caught before the line that says collect listens: an
	// operator's (or logrotate's) SIGHUP after it must never stop collect.
	stopReloads := reloadOnSIGHUP(log, cert, rec)
	defer stopReloads()
	ln, err := listen(log, flags.listen, cert != nil)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(receiver.Path(), receiver)
	mux.Handle("GET /metrics", promhttp.HandlerFor(registry, promhttp.HandlerOpts{}))
	serveOpts := collect.ServeOptions{Log: log, Limiter: limiter}
	if cert != nil {
		serveOpts.TLS = cert.TLSConfig()
	}
	if fwd == nil {
		return collect.Serve(ctx, ln, mux, serveOpts)
	}
	mux.Handle("GET /healthz", healthHandler(receiver, rec, fwd))
	serveErr, fwdErr := serveAndForward(ctx, fwd, func() error { return collect.Serve(ctx, ln, mux, serveOpts) })
	_, waiting := rec.Backlog()
	st := fwd.Stats()
	flushLogs()
	// docs/collect.md quotes this line; a test holds the two together.
	log.Info("Stopped.", "recorded", receiver.Written(), "forwarded", st.Forwarded, "waiting", waiting, "dead_lettered", st.DeadLettered)
	return errors.Join(serveErr, fwdErr)
}

// closeOutput closes the output file and adds its error, if any, to *err:
// a failed close can be a lost write.
func closeOutput(rec *record.File, err *error) {
	if closeErr := rec.Close(); closeErr != nil {
		*err = errors.Join(*err, fmt.Errorf("closing the output file: %w", closeErr))
	}
}

// readCollectFiles reads what collect's flags name before anything is
// accepted: the PostHog key (with --posthog-host) and the TLS pair.
func readCollectFiles(sys *system, flags *collectFlags, log *slog.Logger) (fwdOpts *forward.Options, cert *collect.Certificate, err error) {
	if flags.posthogHost != "" {
		if fwdOpts, err = forwardOptions(sys, flags, log); err != nil {
			return nil, nil, err
		}
	}
	if flags.tlsCertFile != "" {
		if cert, err = collect.LoadCertificate(flags.tlsCertFile, flags.tlsKeyFile); err != nil {
			return nil, nil, err
		}
	}
	return fwdOpts, cert, nil
}

// listen opens addr and logs the address it got, so that --listen
// 127.0.0.1:0 is usable.
func listen(log *slog.Logger, addr string, tls bool) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listening: %w", err)
	}
	if tls {
		log.Info("Collecting tbot events.", "listen", ln.Addr().String(), "tls", true)
	} else {
		log.Info("Collecting tbot events.", "listen", ln.Addr().String())
	}
	return ln, nil
}

// startLogSummary runs the summary of repeated warnings until flush is
// called, which also writes what is still counted: so that whatever is
// counted is summarised before collect's last line.
func startLogSummary(ctx context.Context, log *slog.Logger, now func() time.Time) (limiter *logsummary.Limiter, flush func()) {
	limiter = logsummary.New(log, logsummary.DefaultInterval, now)
	limiterCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		limiter.Run(limiterCtx)
	}()
	// Called twice (at the end and deferred), it waits once: done stays closed.
	return limiter, func() { stop(); <-done }
}

// serveAndForward runs serve with the forwarder beside it. The forwarder
// outlives the receiver's drain, so that the lines written meanwhile are
// sent before the end too.
func serveAndForward(ctx context.Context, fwd *forward.Forwarder, serve func() error) (serveErr, fwdErr error) {
	fwdCtx, stopForwarding := context.WithCancel(context.WithoutCancel(ctx))
	defer stopForwarding()
	forwarded := make(chan error, 1)
	go func() { forwarded <- fwd.Run(fwdCtx) }()
	serveErr = serve()
	stopForwarding()
	return serveErr, <-forwarded
}

// check finds a misuse of collect's flags that needs nothing read.
func (flags *collectFlags) check() *misuse {
	if listen := flags.listen; listen != "" && strings.Trim(listen, "0123456789") == "" {
		return &misuse{flag: "--listen", value: listen, problem: "--listen needs an address with a port, not a port alone.",
			hint: "write :" + listen + " to listen on every interface, or 127.0.0.1:" + listen + " for this machine only"}
	}
	switch {
	case flags.tlsCertFile != "" && flags.tlsKeyFile == "":
		return &misuse{flag: "--tls-cert-file", problem: "--tls-cert-file needs --tls-key-file, the certificate's private key."}
	case flags.tlsKeyFile != "" && flags.tlsCertFile == "":
		return &misuse{flag: "--tls-key-file", problem: "--tls-key-file needs --tls-cert-file, the certificate it is the key of."}
	case flags.posthogHost == "" && flags.posthogKeyFile != "":
		return &misuse{flag: "--posthog-api-key-file", problem: "--posthog-api-key-file is for --posthog-host."}
	case flags.posthogHost != "" && flags.output == "":
		return &misuse{flag: "--posthog-host", problem: "--posthog-host needs --output: the file is the record that is forwarded."}
	}
	if flags.posthogHost != "" {
		host, err := url.Parse(flags.posthogHost)
		if err != nil || (host.Scheme != "https" && host.Scheme != "http") || host.Host == "" || host.RawQuery != "" || host.User != nil {
			return &misuse{flag: "--posthog-host", problem: "--posthog-host must be an http or https URL.", hint: "such as https://us.i.posthog.com"}
		}
	}
	return nil
}

// forwardOptions reads the project API key, from the file that
// --posthog-api-key-file names (which wins) or from POSTHOG_API_KEY, and
// makes the forwarder's options.
func forwardOptions(sys *system, flags *collectFlags, log *slog.Logger) (*forward.Options, error) {
	envKey, inEnv := sys.env[posthogKeyEnv]
	var key string
	switch {
	case flags.posthogKeyFile != "":
		b, err := os.ReadFile(flags.posthogKeyFile)
		if err != nil {
			// The path, never the content.
			return nil, fmt.Errorf("reading the PostHog API key file: %w", err)
		}
		key = strings.TrimSpace(string(b))
		if key == "" {
			m := &misuse{flag: "--posthog-api-key-file", problem: "--posthog-api-key-file names an empty file."}
			if strings.TrimSpace(envKey) != "" {
				m.hint = "the file is read instead of " + posthogKeyEnv + ": put the key in it, or leave the flag out"
			}
			return nil, collectMisuse(sys, m)
		}
	case !inEnv:
		return nil, collectMisuse(sys, &misuse{flag: "--posthog-host", problem: "--posthog-host needs the project API key.",
			hint: "put it in " + posthogKeyEnv + " or in a file named by --posthog-api-key-file"})
	default:
		key = strings.TrimSpace(envKey)
		if key == "" {
			return nil, collectMisuse(sys, &misuse{flag: "--posthog-host", problem: posthogKeyEnv + " is empty; --posthog-host needs the project API key."})
		}
	}
	opts := sys.forwardTuning
	opts.Host = strings.TrimSuffix(flags.posthogHost, "/")
	opts.APIKey = key
	opts.Transport = sys.posthogTransport
	if opts.Transport == nil {
		opts.Transport = http.DefaultTransport.(*http.Transport).Clone()
	}
	opts.Log = log
	opts.Now = sys.now
	return &opts, nil
}

// healthHandler answers GET /healthz, when forwarding, with how many events
// were recorded, forwarded and dead-lettered since the start, the
// acknowledged offset in the output file, and how many bytes and lines
// (across the output file and the files moved away from it) wait for
// PostHog.
func healthHandler(receiver *collect.Receiver, rec *record.File, fwd *forward.Forwarder) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		st := fwd.Stats()
		waitingBytes, waitingLines := rec.Backlog()
		health := map[string]int64{
			"recorded":            receiver.Written(),
			"forwarded":           st.Forwarded,
			"dead_lettered":       st.DeadLettered,
			"acknowledged_offset": rec.Acknowledged(),
			"waiting_bytes":       waitingBytes,
			"waiting_lines":       waitingLines,
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(health)
	})
}

// reloadOnSIGHUP reads the TLS certificate again (when serving TLS) and
// looks at the output file (when there is one) on each SIGHUP, so that a
// renewed certificate or a rotated file need no restart. SIGHUP would
// otherwise end the process. The returned func stops listening.
func reloadOnSIGHUP(log *slog.Logger, cert *collect.Certificate, rec *record.File) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-hup:
			case <-done:
				return
			}
			if rec != nil {
				rec.Check()
			}
			if cert == nil {
				log.Info("SIGHUP: nothing to read again (no TLS certificate); going on.")
				continue
			}
			if err := cert.Reload(); err != nil {
				log.Warn("SIGHUP: could not read the TLS certificate again; serving the one read before.", "error", err)
				continue
			}
			log.Info("SIGHUP: read the TLS certificate again.")
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
	}
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
