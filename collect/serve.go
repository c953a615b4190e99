package collect

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// ShutdownGrace is how long Serve lets requests in flight finish once its
// context ends; a unary event takes milliseconds, so only a stuck client
// reaches it.
const ShutdownGrace = 10 * time.Second

// Serve serves h on ln over HTTP/1.1 and cleartext HTTP/2 (which gRPC
// needs) until ctx ends. It then stops accepting, waits up to ShutdownGrace
// for the requests in flight to be answered, and returns nil once they all
// were. It returns an error when serving fails or the grace runs out (the
// remaining connections are then closed). Serve closes ln.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger) error {
	return serve(ctx, ln, h, log, ShutdownGrace)
}

func serve(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, grace time.Duration) error {
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	srv := &http.Server{
		Handler:   h,
		Protocols: &protocols,
		// Bounds for a client that opens a connection and stalls; an
		// event is at most MaxRequestBytes.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	select {
	case err := <-served:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	log.Info("Shutting down; answering the requests in flight first.")
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
