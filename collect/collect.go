// Package collect is a local receiver of prehog.v1alpha.TbotReportingService
// that writes each accepted event as one PostHog-style JSON line (the shape
// --dry-run prints), for audits and tests.
//
// The API is two calls: NewHandler builds the Connect handler (Connect, gRPC
// and gRPC-Web, binary and JSON) that validates each event and writes its
// line, and Serve serves a handler on a listener over HTTP/1.1 and cleartext
// HTTP/2 until its context ends, then drains the requests in flight.
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
	"time"
	"unicode/utf8"

	"connectrpc.com/connect"
	"github.com/google/uuid"

	"github.com/tbot-telemetry/tbot-telemetry/event"
	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
	"github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha/prehogv1alphaconnect"
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

// NewHandler returns the path to mount the service on and its handler. Each
// accepted event becomes one line written to w with a single Write call
// under a lock, so w sees whole lines in turn; nothing else may write to w
// meanwhile. now stamps events that carry no timestamp (prehog uses its
// ingest time). Refused events and failed writes are logged to log, without
// the values that were sent.
func NewHandler(w io.Writer, now func() time.Time, log *slog.Logger) (path string, h http.Handler) {
	r := &receiver{w: w, now: now, log: log}
	return prehogv1alphaconnect.NewTbotReportingServiceHandler(r,
		connect.WithReadMaxBytes(MaxRequestBytes),
		// The answer is an empty message: compressing it only costs.
		connect.WithCompressMinBytes(1<<10))
}

type receiver struct {
	now func() time.Time
	log *slog.Logger

	mu sync.Mutex
	w  io.Writer
	// midLine is set when a failed write left part of a line behind (a
	// full disk), so that the next line starts on a line of its own and
	// stays parseable.
	midLine bool
}

func (r *receiver) SubmitTbotEvent(_ context.Context, req *connect.Request[prehogv1alpha.SubmitTbotEventRequest]) (*connect.Response[prehogv1alpha.SubmitTbotEventResponse], error) {
	received := r.now()
	if err := validate(req.Msg); err != nil {
		r.log.Warn("Refused an event.", "reason", err.Error())
		return nil, connect.NewError(connect.CodeInvalidArgument, err)
	}
	line, err := event.MarshalLine(req.Msg, received)
	if err != nil {
		r.log.Error("Could not render an event.", "error", err)
		return nil, connect.NewError(connect.CodeInternal, errors.New("could not render the event"))
	}
	if err := r.writeLine(line); err != nil {
		r.log.Error("Could not record an event.", "error", err)
		return nil, connect.NewError(connect.CodeUnavailable, errors.New("could not record the event"))
	}
	return connect.NewResponse(&prehogv1alpha.SubmitTbotEventResponse{}), nil
}

// writeLine hands the whole line to the writer in one call, so that with an
// *os.File it is one write(2): once that returns, the line is in the
// kernel and survives this process being killed. There is no fsync per
// event: it would only guard against the machine itself going down, which
// an audit receiver on loopback need not survive, and it would bound the
// rate at the disk's flush latency. The caller syncs once on close.
func (r *receiver) writeLine(line []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.midLine {
		line = append([]byte{'\n'}, line...)
	}
	n, err := r.w.Write(line)
	if n > 0 {
		// A line holds no newline but its last byte (and the one
		// prefixed above), as JSON escapes them inside strings.
		r.midLine = line[n-1] != '\n'
	}
	if err == nil && n < len(line) {
		err = io.ErrShortWrite
	}
	return err
}

// validate refuses what no tbot sends. Its messages name the field, never
// the value, so that nothing a client sent is echoed into logs.
func validate(req *prehogv1alpha.SubmitTbotEventRequest) error {
	id := req.GetDistinctId()
	if _, err := uuid.Parse(id); err != nil || len(id) != len("00000000-0000-0000-0000-000000000000") {
		return errors.New("distinct_id is not a UUID in canonical form")
	}
	if ts := req.GetTimestamp(); ts != nil {
		if err := ts.CheckValid(); err != nil {
			return errors.New("timestamp is out of range")
		}
	}
	start := req.GetStart()
	if start == nil {
		return errors.New("start event is missing")
	}
	switch start.GetRunMode() {
	case prehogv1alpha.TbotStartEvent_RUN_MODE_ONE_SHOT, prehogv1alpha.TbotStartEvent_RUN_MODE_DAEMON:
	default:
		// tbot always says which; UNSPECIFIED would make a line with
		// no run mode.
		return errors.New("run_mode is not one-shot or daemon")
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
			return fmt.Errorf("%s is longer than %d bytes", s.name, MaxStringBytes)
		}
		if !utf8.ValidString(s.value) {
			return fmt.Errorf("%s is not valid UTF-8", s.name)
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
			return fmt.Errorf("%s is not between 0 and %d", c.name, MaxCount)
		}
	}
	return nil
}
