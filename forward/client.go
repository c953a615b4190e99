package forward

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/posthog/posthog-go"

	"github.com/tbot-telemetry/tbot-telemetry/internal/logsummary"
)

// ack is posthog-go's answer for one message: acknowledged, or given up on.
type ack struct {
	uuid string
	ok   bool
}

// callback hands posthog-go's answers to Run's goroutine. The channel has
// room for every message handed over, so posthog-go is never held up.
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

// Permanent tells whether PostHog's answer status refuses a batch for
// good: a 4xx other than 408 (timeout) and 429 (slow down), which say
// "later", and other than 401 and 403, which refuse the project API key
// rather than the events (sending them again once the key is fixed is what
// is wanted, not a dead-letter file holding every event).
func Permanent(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusUnauthorized, http.StatusForbidden:
		return false
	}
	return status >= 400 && status < 500
}

// maxReasonBytes bounds PostHog's answer kept as a refusal's reason.
const maxReasonBytes = 512

// refusal is PostHog's refusal of a batch for good.
type refusal struct {
	status int
	reason string // PostHog's answer, cut to maxReasonBytes
	batch  int    // how many events the refused batch held
}

// watchTransport carries posthog-go's requests. It times and counts them;
// it logs when PostHog stops accepting (the status only: an answer's body
// may echo what was sent), bounded by the limiter, and when it accepts
// again, ignoring answers to requests older than the last change so that
// old requests timing out after PostHog came back do not make it flap; it
// notes the events of a batch refused for good, and answers posthog-go's
// retries of such a batch itself; and it ties every request to ctx, so
// that Run can cut the ones still in flight when its grace runs out.
type watchTransport struct {
	next    http.RoundTripper
	ctx     context.Context
	log     *slog.Logger
	limiter *logsummary.Limiter
	metrics *Metrics
	key     string

	seq atomic.Int64 // requests started

	mu      sync.Mutex
	failing bool  // the last answer counted was a failure
	warned  bool  // and a warning about failures was logged since, not only counted
	latest  int64 // the seq of the request whose answer was last counted
	// refused are the events of batches refused for good, by uuid, until
	// Run takes them; replayed the same by the uuids of each such batch,
	// for posthog-go's retries.
	refused  map[string]refusal
	replayed map[string]refusal
}

func (w *watchTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	seq := w.seq.Add(1)
	if resp := w.replay(req); resp != nil {
		return resp, nil
	}
	// The request keeps its own context (posthog-go's client timeout
	// lives there) and ends with w.ctx too.
	ctx, cancel := context.WithCancel(req.Context())
	stop := context.AfterFunc(w.ctx, cancel)
	release := func() {
		stop()
		cancel()
	}
	started := time.Now()
	resp, err := w.next.RoundTrip(req.WithContext(ctx))
	elapsed := time.Since(started)
	if err != nil {
		release()
		w.metrics.request("unreachable", elapsed)
		w.note(seq, true, "unreachable")
		return nil, err
	}
	resp.Body = &releasingBody{ReadCloser: resp.Body, release: release}
	switch status := resp.StatusCode; {
	case status < 300:
		w.metrics.request("accepted", elapsed)
		w.note(seq, false, "")
	case Permanent(status):
		w.metrics.request("refused", elapsed)
		w.refuse(req, resp)
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		w.metrics.request("key_refused", elapsed)
		w.limiter.Error("key", "PostHog refuses the project API key; the events wait in the output file until it is fixed.", "status", status)
	default:
		w.metrics.request("retried", elapsed)
		w.note(seq, true, strconv.Itoa(status))
	}
	return resp, nil
}

// note records whether a request started as seq failed.
func (w *watchTransport) note(seq int64, failed bool, status string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if seq < w.latest {
		// It started before a request already answered: old news, such
		// as a request sent into a hang that times out after PostHog
		// came back.
		return
	}
	w.latest = seq
	if failed {
		if !w.failing {
			w.failing, w.warned = true, false
		}
		// Every failure counts towards the summary; at most one line
		// per interval is written.
		if w.limiter.Warn("retry", "PostHog did not accept a batch; retrying.", "status", statusClass(status)) {
			w.warned = true
		}
		return
	}
	if w.failing {
		w.failing = false
		if w.warned {
			w.log.Info("PostHog accepts events again.")
		}
	}
}

// statusClass is how a failure is logged: unreachable, or the status class.
func statusClass(status string) string {
	if status == "unreachable" || len(status) != 3 {
		return status
	}
	return status[:1] + "xx"
}

// batchUUIDs is the part of a /batch/ body that says which events it holds.
type batchUUIDs struct {
	Batch []struct {
		UUID string `json:"uuid"`
	} `json:"batch"`
}

// uuidsOf reads the uuids of a batch request's events from a copy of its
// body.
func uuidsOf(req *http.Request) []string {
	if req.GetBody == nil {
		return nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil
	}
	defer body.Close()
	var b batchUUIDs
	if json.NewDecoder(body).Decode(&b) != nil {
		return nil
	}
	ids := make([]string, 0, len(b.Batch))
	for _, e := range b.Batch {
		ids = append(ids, e.UUID)
	}
	return ids
}

// refuse notes the events of a batch PostHog refused for good, with
// PostHog's answer as the reason; resp's body stays readable.
func (w *watchTransport) refuse(req *http.Request, resp *http.Response) {
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(answer))
	reason := string(answer)
	if w.key != "" {
		reason = strings.ReplaceAll(reason, w.key, "[key]")
	}
	if len(reason) > maxReasonBytes {
		reason = reason[:maxReasonBytes]
	}
	ids := uuidsOf(req)
	r := refusal{status: resp.StatusCode, reason: strings.ToValidUTF8(reason, ""), batch: len(ids)}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.replayed == nil {
		w.replayed = map[string]refusal{}
	}
	w.replayed[strings.Join(ids, ",")] = r
	for _, id := range ids {
		w.refused[id] = r
	}
	w.limiter.Warn("refused", "PostHog refused a batch for good; its events are tried one by one, and the ones it refuses alone go to the dead-letter file.",
		"status", resp.StatusCode, "events", len(ids))
}

// replay answers posthog-go's retry of a batch that PostHog refused for
// good, as PostHog did, without asking it again: a refusal for good does
// not change, and the retries stay as bounded as posthog-go's count.
func (w *watchTransport) replay(req *http.Request) *http.Response {
	w.mu.Lock()
	empty := len(w.replayed) == 0
	w.mu.Unlock()
	if empty {
		return nil
	}
	key := strings.Join(uuidsOf(req), ",")
	w.mu.Lock()
	r, ok := w.replayed[key]
	w.mu.Unlock()
	if !ok {
		return nil
	}
	return &http.Response{StatusCode: r.status, Status: strconv.Itoa(r.status) + " " + http.StatusText(r.status),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{},
		Body: io.NopCloser(strings.NewReader(r.reason)), Request: req}
}

// takeRefusal returns, and forgets, the refusal for good of the event
// uuid, if there was one.
func (w *watchTransport) takeRefusal(uuid string) (refusal, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, ok := w.refused[uuid]
	if ok {
		delete(w.refused, uuid)
		for key, rr := range w.replayed {
			if strings.Contains(key, uuid) && rr == r {
				delete(w.replayed, key)
			}
		}
	}
	return r, ok
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
