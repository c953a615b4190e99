package forward

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"

	"github.com/posthog/posthog-go"
)

// ack is posthog-go's answer for one message: acknowledged, or given up on.
type ack struct {
	uuid string
	ok   bool
}

// callback hands posthog-go's answers to Run's goroutine. The channel has
// room for every message handed over (at most Options.Window), so posthog-go
// is never held up.
type callback chan ack

func (c callback) Success(m posthog.APIMessage) { c.send(m, true) }

func (c callback) Failure(m posthog.APIMessage, _ error) { c.send(m, false) }

func (c callback) send(m posthog.APIMessage, ok bool) {
	if capture, isCapture := m.(posthog.CaptureInApi); isCapture {
		c <- ack{uuid: capture.Uuid, ok: ok}
	}
}

// quietLogger drops posthog-go's own log lines: they carry PostHog's answer
// bodies and the events themselves. watchTransport says what an operator
// needs instead.
type quietLogger struct{}

func (quietLogger) Logf(string, ...any)   {}
func (quietLogger) Errorf(string, ...any) {}

// watchTransport carries posthog-go's requests. It logs when PostHog starts
// refusing or failing (the status class only: an answer's body may echo
// what was sent) and when it accepts again, once per change rather than per
// retry; and it ties every request to ctx, so that Run can cut the ones
// still in flight when its grace runs out.
type watchTransport struct {
	next http.RoundTripper
	ctx  context.Context
	log  *slog.Logger

	mu    sync.Mutex
	state string // "" while PostHog accepts; else what went wrong
}

func (w *watchTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	// The request keeps its own context (posthog-go's client timeout
	// lives there) and ends with w.ctx too.
	ctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(w.ctx, cancel)
	release := func() {
		stop()
		cancel()
	}
	resp, err := w.next.RoundTrip(req.WithContext(ctx))
	if err != nil {
		release()
	} else {
		resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	}
	switch {
	case err != nil:
		w.note("unreachable")
	case resp.StatusCode >= 300:
		w.note(strconv.Itoa(resp.StatusCode/100) + "xx")
	default:
		w.note("")
	}
	return resp, err
}

func (w *watchTransport) note(state string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if state == w.state {
		return
	}
	w.state = state
	if state == "" {
		w.log.Info("PostHog accepts events again.")
		return
	}
	w.log.Warn("PostHog did not accept a batch; retrying.", "status", state)
}

// releasingBody lets go of a request's context once its answer is read.
type releasingBody struct {
	io.ReadCloser
	release func()
}

func (b *releasingBody) Close() error {
	err := b.ReadCloser.Close()
	b.release()
	return err
}
