package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/collect"
)

// runCollect is `collect`: a local receiver that writes each accepted event
// as one JSON line to stdout or appends it to output. SIGTERM and SIGINT (or
// the end of ctx) stop it after the requests in flight are answered; a
// second signal stops it at once.
func runCollect(ctx context.Context, sys *system, listen, output string) (err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stopSignals := stopOnSignals(cancel)
	defer stopSignals()
	log := newLogger(sys.stderr, "text", false)

	var w io.Writer = sys.stdout
	if output != "" {
		f, openErr := os.OpenFile(output, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
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

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("listening: %w", err)
	}
	path, h := collect.NewHandler(w, sys.now, log)
	mux := http.NewServeMux()
	mux.Handle(path, h)
	// The operator's own address, printed so that --listen 127.0.0.1:0
	// is usable.
	log.Info("Collecting tbot events.", "listen", ln.Addr().String())
	return collect.Serve(ctx, ln, mux, log)
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
