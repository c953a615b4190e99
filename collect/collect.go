// Package collect is a local receiver of prehog.v1alpha.TbotReportingService
// that writes each accepted event as one PostHog-style JSON line (the shape
// --dry-run prints), for audits and tests.
//
// NewReceiver builds the Connect handler (Connect, gRPC and gRPC-Web, binary
// and JSON) that validates each event and writes its line, and Serve serves
// a handler on a listener, over HTTP/1.1 and cleartext HTTP/2 or over TLS
// (LoadCertificate), until its context ends, then drains the requests in
// flight. NewMetrics counts what happens, for Prometheus.
//
// The promise to the sender: an event is answered with success only once its
// whole line has been written, and lines of concurrent events never
// interleave.
package collect

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/tbot-telemetry/tbot-telemetry/event"
	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
	"github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha/prehogv1alphaconnect"
	"github.com/tbot-telemetry/tbot-telemetry/internal/logsummary"
)

// MaxRequestBytes bounds one request message; a real start event is a few
// hundred bytes. Larger ones are refused with resource_exhausted.
const MaxRequestBytes = 64 << 10

// MaxStringBytes bounds each string property of an event. tbot cuts the
// helper strings to this length, and versions and join methods are far
// shorter.
const MaxStringBytes = 128

// MaxCount bounds each destination count. No tbot configuration comes near
// it; larger numbers are not a tbot's.
const MaxCount = 1_000_000

// Options configure a Receiver. Now and Log are required.
type Options struct {
	// Now stamps events that carry no timestamp (prehog uses its ingest
	// time).
	Now func() time.Time
	// Log receives refusals and failed writes, without the values that
	// were sent.
	Log *slog.Logger
	// Limiter summarises repeated warnings, so that a flood of bad
	// requests is not a flood of log lines (nil: one of Log's own, with
	// logsummary.DefaultInterval; its summaries come with the next
	// warning of their kind).
	Limiter *logsummary.Limiter
	// Metrics counts what is received, refused and written (nil: nothing
	// is counted beyond Written).
	Metrics *Metrics
}

// Receiver is the service: an http.Handler, to be mounted on Path, that
// validates each event and writes its line.
type Receiver struct {
	path    string
	handler http.Handler
	r       *receiver
}

// NewReceiver returns the receiver that writes each accepted event as one
// line to w with a single Write call under a lock, so w sees whole lines
// in turn; nothing else may write to w meanwhile.
func NewReceiver(w io.Writer, opts Options) *Receiver {
	if opts.Limiter == nil {
		opts.Limiter = logsummary.New(opts.Log, logsummary.DefaultInterval, opts.Now)
	}
	r := &receiver{w: w, now: opts.Now, log: opts.Limiter, metrics: opts.Metrics}
	path, h := prehogv1alphaconnect.NewTbotReportingServiceHandler(r,
		connect.WithReadMaxBytes(MaxRequestBytes),
		// The answer is an empty message: compressing it only costs.
		connect.WithCompressMinBytes(1<<10))
	return &Receiver{path: path, handler: h, r: r}
}

// Path is where the Receiver is to be mounted.
func (rc *Receiver) Path() string { return rc.path }

// Written is how many lines the Receiver has written.
func (rc *Receiver) Written() int64 { return rc.r.written.Load() }

// reachedKey marks a request's context with whether it reached the
// service, so that a request Connect refused before it (not decodable,
// too large) counts as refused too.
type reachedKey struct{}

// ServeHTTP serves one request.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rc.r.metrics.received()
	var reached bool
	rc.handler.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), reachedKey{}, &reached)))
	if !reached {
		rc.r.metrics.refused(ReasonMalformed)
	}
}

type receiver struct {
	now     func() time.Time
	log     *logsummary.Limiter
	metrics *Metrics
	written atomic.Int64

	mu sync.Mutex
	w  io.Writer
	// midEventLine is set when a failed write left part of a line behind (a
	// full disk), so that the next line starts on a line of its own and
	// stays parseable.
	midEventLine bool
}

func (r *receiver) SubmitTbotEvent(ctx context.Context, req *connect.Request[prehogv1alpha.SubmitTbotEventRequest]) (*connect.Response[prehogv1alpha.SubmitTbotEventResponse], error) {
	if reached, ok := ctx.Value(reachedKey{}).(*bool); ok {
		*reached = true
	}
	received := r.now()
	if err := validate(req.Msg); err != nil {
		r.metrics.refused(err.reason)
		r.log.Warn("refused", "Refused an event.", "reason", err.Error())
		return nil, connect.NewError(connect.CodeInvalidArgument, err)
	}
	line, err := event.MarshalLine(req.Msg, received)
	if err != nil {
		r.metrics.refused(ReasonUnrenderable)
		r.log.Error("render", "Could not render an event.", "error", err)
		return nil, connect.NewError(connect.CodeInternal, errors.New("could not render the event"))
	}
	if err := r.writeEventLine(line); err != nil {
		r.metrics.refused(ReasonUnwritable)
		r.log.Error("write", "Could not record an event.", "error", err)
		return nil, connect.NewError(connect.CodeUnavailable, errors.New("could not record the event"))
	}
	r.written.Add(1)
	r.metrics.wrote()
	return connect.NewResponse(&prehogv1alpha.SubmitTbotEventResponse{}), nil
}

// writeEventLine hands the whole line to the writer in one call, so that with an
// *os.File it is one write(2): once that returns, the line is in the
// kernel and survives this process being killed. There is no fsync per
// event: it would only guard against the machine itself going down, and it
// would bound the rate at the disk's flush latency. The output file is
// synced once on close (package record).
func (r *receiver) writeEventLine(line []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.midEventLine {
		line = append([]byte{'\n'}, line...)
	}
	n, err := r.w.Write(line)
	if n > 0 {
		// A line holds no newline but its last byte (and the one
		// prefixed above), as JSON escapes them inside strings.
		r.midEventLine = line[n-1] != '\n'
	}
	if err == nil && n < len(line) {
		err = io.ErrShortWrite
	}
	return err
}

// Reasons for a refusal, as the refused-events metric names them.
const (
	ReasonMalformed    = "malformed"    // Connect could not take the request (not decodable, too large, wrong type)
	ReasonDistinctID   = "distinct_id"  // not a UUID in canonical form
	ReasonTimestamp    = "timestamp"    // out of range
	ReasonNoStart      = "no_start"     // not a start event
	ReasonRunMode      = "run_mode"     // neither one-shot nor daemon
	ReasonTooLong      = "too_long"     // a string longer than MaxStringBytes
	ReasonNotUTF8      = "not_utf8"     // a string that is not UTF-8
	ReasonCount        = "count"        // a count out of range
	ReasonUnrenderable = "unrenderable" // the line could not be made
	ReasonUnwritable   = "unwritable"   // the line could not be written
)

// invalidEvent is why validate refused an event: a reason for the metric,
// and a message that names the field, never the value.
type invalidEvent struct {
	reason, msg string
}

func (e *invalidEvent) Error() string { return e.msg }

func invalid(reason, format string, args ...any) *invalidEvent {
	return &invalidEvent{reason: reason, msg: fmt.Sprintf(format, args...)}
}

// validate refuses what no tbot sends. Its messages name the field, never
// the value, so that nothing a client sent is echoed into logs.
func validate(req *prehogv1alpha.SubmitTbotEventRequest) *invalidEvent {
	id := req.GetDistinctId()
	if _, err := uuid.Parse(id); err != nil || len(id) != len("00000000-0000-0000-0000-000000000000") {
		return invalid(ReasonDistinctID, "distinct_id is not a UUID in canonical form")
	}
	if ts := req.GetTimestamp(); ts != nil {
		if err := ts.CheckValid(); err != nil {
			return invalid(ReasonTimestamp, "timestamp is out of range")
		}
	}
	start := req.GetStart()
	if start == nil {
		return invalid(ReasonNoStart, "start event is missing")
	}
	switch start.GetRunMode() {
	case prehogv1alpha.TbotStartEvent_RUN_MODE_ONE_SHOT, prehogv1alpha.TbotStartEvent_RUN_MODE_DAEMON:
	default:
		// tbot always says which; UNSPECIFIED would make a line with
		// no run mode.
		return invalid(ReasonRunMode, "run_mode is not one-shot or daemon")
	}
	for _, s := range []struct {
		name, value string
	}{
		{"version", start.GetVersion()},
		{"join_type", start.GetJoinType()},
		{"helper", start.GetHelper()},
		{"helper_version", start.GetHelperVersion()},
	} {
		if len(s.value) > MaxStringBytes {
			return invalid(ReasonTooLong, "%s is longer than %d bytes", s.name, MaxStringBytes)
		}
		if !utf8.ValidString(s.value) {
			return invalid(ReasonNotUTF8, "%s is not valid UTF-8", s.name)
		}
	}
	for _, c := range []struct {
		name  string
		value int32
	}{
		{"destinations_other", start.GetDestinationsOther()},
		{"destinations_database", start.GetDestinationsDatabase()},
		{"destinations_kubernetes", start.GetDestinationsKubernetes()},
		{"destinations_application", start.GetDestinationsApplication()},
	} {
		if c.value < 0 || c.value > MaxCount {
			return invalid(ReasonCount, "%s is not between 0 and %d", c.name, MaxCount)
		}
	}
	return nil
}
