package collect

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/internal/logsummary"
)

// ShutdownGrace is how long Serve lets requests in flight finish once its
// context ends; a unary event takes milliseconds, so only a stuck client
// reaches it.
const ShutdownGrace = 10 * time.Second

// ServeOptions configure Serve. Log is required.
type ServeOptions struct {
	// Log receives the lines about serving.
	Log *slog.Logger
	// Limiter summarises the HTTP server's own complaints (a TLS
	// handshake that failed, a connection cut), one kind at a time (nil:
	// one of Log's own).
	Limiter *logsummary.Limiter
	// TLS, when set, serves HTTPS (HTTP/1.1 and HTTP/2) with it instead
	// of cleartext.
	TLS *tls.Config
}

// Serve serves h on ln until ctx ends, over HTTP/1.1 and cleartext HTTP/2
// (which gRPC needs), or over TLS when opts.TLS is set. It then stops
// accepting, waits up to ShutdownGrace for the requests in flight to be
// answered, and returns nil once they all were. It returns an error when
// serving fails or the grace runs out (the remaining connections are then
// closed). Serve closes ln.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, opts ServeOptions) error {
	return serve(ctx, ln, h, opts, ShutdownGrace)
}

func serve(ctx context.Context, ln net.Listener, h http.Handler, opts ServeOptions, grace time.Duration) error {
	srv := newServer(h, opts)
	served := make(chan error, 1)
	go func() {
		if opts.TLS != nil {
			served <- srv.ServeTLS(ln, "", "")
		} else {
			served <- srv.Serve(ln)
		}
	}()

	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	opts.Log.Info("Shutting down; answering the requests in flight first.")
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	if err := srv.Shutdown(drainCtx); err != nil {
		// Handlers still running may yet write their line, but their
		// clients will not see a success: a line without an answer is a
		// duplicate at worst, never a loss.
		_ = srv.Close()
		<-served
		return fmt.Errorf("finishing requests in flight: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	return nil
}

// newServer is the HTTP server that Serve runs: the protocols, the bounds
// on slow clients (docs/collect.md, "TLS, and why the endpoint is
// unauthenticated") and the bounded log.
func newServer(h http.Handler, opts ServeOptions) *http.Server {
	limiter := opts.Limiter
	if limiter == nil {
		limiter = logsummary.New(opts.Log, logsummary.DefaultInterval, time.Now)
	}
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	if opts.TLS != nil {
		protocols.SetHTTP2(true)
	} else {
		protocols.SetUnencryptedHTTP2(true)
	}
	return &http.Server{
		Handler:   h,
		Protocols: &protocols,
		TLSConfig: opts.TLS,
		// Bounds for a client that opens a connection and stalls; an
		// event is at most MaxRequestBytes.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(serverLog{limiter}, "", 0),
	}
}

// serverLog takes the HTTP server's own log lines (one per failed TLS
// handshake, per broken connection: as many as an internet scanner likes)
// to the limiter, without the client's address, which has no business in
// collect's logs.
type serverLog struct{ limiter *logsummary.Limiter }

func (s serverLog) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	reason := line
	if i := strings.LastIndex(line, ": "); i >= 0 {
		reason = line[i+2:]
	}
	if strings.Contains(line, "TLS handshake error") {
		s.limiter.Warn("tls-handshake", "A TLS handshake with a client failed.", "reason", reason)
	} else {
		s.limiter.Warn("http-server", "The HTTP server could not serve a connection.", "reason", reason)
	}
	return len(p), nil
}

// Certificate is the TLS certificate and key that Serve presents, read
// from two PEM files, and read again by Reload (on SIGHUP) so that a
// renewal (cert-manager, certbot) needs no restart.
type Certificate struct {
	certFile, keyFile string
	cur               atomic.Pointer[tls.Certificate]
}

// LoadCertificate reads the certificate chain and its key.
func LoadCertificate(certFile, keyFile string) (*Certificate, error) {
	c := &Certificate{certFile: certFile, keyFile: keyFile}
	if err := c.Reload(); err != nil {
		return nil, err
	}
	return c, nil
}

// Reload reads the two files again; when that fails, the certificate
// served so far stays.
func (c *Certificate) Reload() error {
	pair, err := tls.LoadX509KeyPair(c.certFile, c.keyFile)
	if err != nil {
		return fmt.Errorf("reading the TLS certificate and key: %w", err)
	}
	c.cur.Store(&pair)
	return nil
}

// TLSConfig is what Serve needs to present the certificate: TLS 1.2 at
// least, the certificate as last read.
func (c *Certificate) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return c.cur.Load(), nil
		},
	}
}
