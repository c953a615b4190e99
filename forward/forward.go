// Package forward feeds collect's output file to PostHog's capture API: the
// last step of RFD 0106's pipeline, "submitted to PostHog".
//
// The file is the durable record and the only input: a Forwarder reads it
// as a queue (package record: the files moved or copied away by a rotation
// included) from where PostHog last acknowledged, hands each line to
// posthog-go (which batches and retries), and has the record keep that
// position, advanced only over a contiguous prefix of finished lines. After
// an outage, a stop or a crash it resumes from there; what was sent but
// not yet recorded as acknowledged is sent again with the same uuid, so
// PostHog counts it once. At most Options.Window lines are held ahead of
// the acknowledged position, however far PostHog falls behind. An event
// that PostHog refuses for good goes to a dead-letter file, with the
// reason, and forwarding moves on. The receiver never waits for any of
// this. docs/collect.md tells operators what it does.
package forward

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/posthog/posthog-go"

	"github.com/tbot-telemetry/tbot-telemetry/collect/record"
	"github.com/tbot-telemetry/tbot-telemetry/internal/logsummary"
)

// Defaults for the zero values of Options.
const (
	// DefaultWindow bounds the lines held ahead of the acknowledged
	// offset: a few hundred KiB of events at most.
	DefaultWindow = 1000
	// DefaultPoll is how often the end of the file is looked at for new
	// lines, and the acknowledged offset saved.
	DefaultPoll = 250 * time.Millisecond
	// DefaultInterval is how long posthog-go gathers a batch that is not
	// full before sending it.
	DefaultInterval = time.Second
	// DefaultMaxBackoff caps the wait between posthog-go's retries of a
	// batch (its own cap is 10 s): a PostHog that comes back is fed
	// again within seconds, while a few batches retrying make at most a
	// couple of requests a second.
	DefaultMaxBackoff = 2 * time.Second
	// DefaultGrace is how long Run lets batches in flight finish once its
	// context ends; whatever is not acknowledged by then is sent on the
	// next start.
	DefaultGrace = 5 * time.Second
)

// BatchPath is where posthog-go posts batches, below Options.Host.
const BatchPath = "/batch/"

// Options configure a Forwarder. Host, APIKey, Transport and Log are
// required.
type Options struct {
	// Host is PostHog's base URL (https://us.i.posthog.com, or a
	// self-hosted instance); batches go to Host + BatchPath.
	Host string
	// APIKey is the project API key. It goes into each request's body and
	// nowhere else: never into a log line, an error or a file.
	APIKey string
	// Transport carries the requests to PostHog.
	Transport http.RoundTripper
	// Log receives the progress lines: never the key, an event, or what
	// PostHog answered beyond its status.
	Log *slog.Logger
	// Limiter summarises repeated warnings (nil: one of Log's own, with
	// logsummary.DefaultInterval, flushed when Run ends).
	Limiter *logsummary.Limiter
	// Metrics counts what happens (nil: nothing is counted).
	Metrics *Metrics
	// Now stamps the lines of the dead-letter file (nil: time.Now).
	Now func() time.Time

	// Window is how many lines may be held ahead of the acknowledged
	// offset (DefaultWindow when 0).
	Window int
	// Poll is how often the file is looked at for new lines (DefaultPoll
	// when 0).
	Poll time.Duration
	// Interval is posthog-go's flush interval (DefaultInterval when 0).
	Interval time.Duration
	// RetryAfter is posthog-go's retry policy (when nil, its exponential
	// backoff from 100 ms, capped at DefaultMaxBackoff).
	RetryAfter func(attempt int) time.Duration
	// Grace bounds the wait for batches in flight on the way out
	// (DefaultGrace when 0).
	Grace time.Duration
}

// Stats are a Forwarder's counts so far.
type Stats struct {
	// Forwarded is how many lines PostHog acknowledged in this run.
	Forwarded int64
	// Skipped is how many lines were not events and were passed over.
	Skipped int64
	// DeadLettered is how many events PostHog refused for good in this
	// run, and went to the dead-letter file.
	DeadLettered int64
}

// Forwarder forwards one output file. Make one with New, then call Run once.
type Forwarder struct {
	rec  *record.File
	opts Options
	dead *deadLetter

	forwarded, skipped, deadLettered atomic.Int64
}

// New makes a Forwarder for the queue rec, which must have been opened
// with record.Options.Follow.
func New(rec *record.File, opts Options) (*Forwarder, error) {
	if opts.Window <= 0 {
		opts.Window = DefaultWindow
	}
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.RetryAfter == nil {
		opts.RetryAfter = posthog.NewBacko(100*time.Millisecond, 2, 0, DefaultMaxBackoff).Duration
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Forwarder{rec: rec, opts: opts, dead: &deadLetter{path: DeadLetterPath(rec.Path())}}, nil
}

// Stats returns the counts so far; safe to call while Run runs.
func (f *Forwarder) Stats() Stats {
	return Stats{Forwarded: f.forwarded.Load(), Skipped: f.skipped.Load(), DeadLettered: f.deadLettered.Load()}
}

// Run forwards until ctx ends, then lets what is in flight finish for up to
// Options.Grace, saves the acknowledged offsets and returns. It returns an
// error only when posthog-go cannot be set up; failures of PostHog and of
// saving the offsets are logged and retried, as they never stop the
// receiver.
func (f *Forwarder) Run(ctx context.Context) error {
	defer f.dead.close()
	limiter := f.opts.Limiter
	if limiter == nil {
		limiter = logsummary.New(f.opts.Log, logsummary.DefaultInterval, time.Now)
		defer limiter.Flush(true)
	}
	hardStop, cutRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cutRequests()
	// Room for an answer to every line held, from either client.
	acks := make(chan ack, 2*f.opts.Window)
	transport := &watchTransport{next: f.opts.Transport, ctx: hardStop, log: f.opts.Log, limiter: limiter,
		metrics: f.opts.Metrics, key: f.opts.APIKey, refused: map[string]refusal{}}
	newClient := func(batchSize int) (posthog.Client, error) {
		return posthog.NewWithConfig(f.opts.APIKey, posthog.Config{
			Endpoint:   strings.TrimSuffix(f.opts.Host, "/"),
			Interval:   f.opts.Interval,
			BatchSize:  batchSize,
			Transport:  transport,
			Logger:     quietLogger{},
			Callback:   callback(acks),
			RetryAfter: f.opts.RetryAfter,
		})
	}
	client, err := newClient(0)
	if err != nil {
		return fmt.Errorf("setting up the PostHog client: %w", err)
	}
	// Events of a batch that PostHog refused for good are sent again one
	// by one, so that only the ones refused alone are dead-lettered.
	alone, err := newClient(1)
	if err != nil {
		_ = client.Close()
		return fmt.Errorf("setting up the PostHog client: %w", err)
	}
	f.opts.Log.Info("Forwarding events to PostHog.", "host", f.opts.Host)

	l := &loop{f: f, client: client, alone: alone, transport: transport, limiter: limiter, byUUID: map[string][]*entry{}}
	l.forward(ctx, acks)
	l.finish(acks, cutRequests)
	return nil
}

// forward reads, sends and records acknowledgements until ctx ends.
func (l *loop) forward(ctx context.Context, acks <-chan ack) {
	tick := time.NewTicker(l.f.opts.Poll)
	defer tick.Stop()
	for ctx.Err() == nil {
		l.fill()
		l.retryDeadLetters()
		l.save()
		select {
		case a := <-acks:
			l.handle(a, true)
			// A batch answers for all its lines at once: take them
			// all before saving, for one save per batch.
			l.drain(acks, true)
		case <-tick.C:
		case <-ctx.Done():
		}
	}
}

// finish takes one last look for lines the receiver wrote while it
// drained; then posthog-go flushes what it holds and gives up on its
// retries, within Options.Grace, and the acknowledged offsets are saved.
func (l *loop) finish(acks <-chan ack, cutRequests context.CancelFunc) {
	l.fill()
	closed := make(chan struct{})
	go func() {
		_ = l.client.Close()
		_ = l.alone.Close()
		close(closed)
	}()
	grace := time.NewTimer(l.f.opts.Grace)
	defer grace.Stop()
	for done := false; !done; {
		select {
		case a := <-acks:
			l.handle(a, false)
		case <-grace.C:
			// Requests still in flight are cut; posthog-go then
			// reports their messages as failed and Close returns.
			cutRequests()
		case <-closed:
			done = true
		}
	}
	l.drain(acks, false)
	l.save()
}

// drain handles the answers that are already there, without waiting.
func (l *loop) drain(acks <-chan ack, running bool) {
	for {
		select {
		case a := <-acks:
			l.handle(a, running)
		default:
			return
		}
	}
}

// entry is one line between the acknowledged position and the read
// position.
type entry struct {
	pos   record.Position
	line  []byte // as read, for the dead-letter file
	done  bool   // acknowledged, skipped or dead-lettered
	event posthog.Capture
	// refused is PostHog's refusal of the event alone, while it could not
	// be written to the dead-letter file yet.
	refused *refusal
}

// loop is Run's state; only Run's goroutine touches it.
type loop struct {
	f         *Forwarder
	client    posthog.Client // batches
	alone     posthog.Client // one event a batch
	transport *watchTransport
	limiter   *logsummary.Limiter
	// pending are the lines read and not yet under the acknowledged
	// position, in file order; never more than Options.Window.
	pending []*entry
	// byUUID are the entries handed to posthog-go and not yet answered,
	// by uuid, oldest first (one event written twice has two).
	byUUID map[string][]*entry
	// unwritten are entries refused for good that the dead-letter file
	// could not take yet.
	unwritten []*entry
}

// fill reads lines while the window has room and hands each to posthog-go.
func (l *loop) fill() {
	rec := l.f.rec
	rec.Check()
	for len(l.pending) < l.f.opts.Window {
		line, pos, ok, err := rec.Next()
		if err != nil {
			l.limiter.Warn("read", "Could not read the output file; trying again.", "error", err)
			return
		}
		if !ok {
			break
		}
		e := &entry{pos: pos}
		l.pending = append(l.pending, e)
		capture, err := toCapture(line)
		if err != nil {
			// Never the line itself: only where it ends.
			l.limiter.Warn("skip", "Skipped a line that is not an event.", "offset", pos.Offset(), "reason", err.Error())
			l.f.skipped.Add(1)
			l.f.opts.Metrics.skipped()
			e.done = true
			continue
		}
		e.line, e.event = line, capture
		l.enqueue(l.client, e)
	}
	l.advance()
}

func (l *loop) enqueue(client posthog.Client, e *entry) {
	if err := client.Enqueue(e.event); err != nil {
		// Only after Close, which Run calls last; the line stays
		// unacknowledged and is sent on the next start.
		return
	}
	l.byUUID[e.event.Uuid] = append(l.byUUID[e.event.Uuid], e)
}

// handle records one answer. A failed line (posthog-go gave up after its
// retries) is handed over again while running, so nothing is ever dropped;
// on the way out it stays for the next start. A line that PostHog refused
// for good is sent again alone when it came in a batch with others, and
// goes to the dead-letter file when it was refused alone.
func (l *loop) handle(a ack, running bool) {
	queue := l.byUUID[a.uuid]
	if len(queue) == 0 {
		return
	}
	e := queue[0]
	if len(queue) == 1 {
		delete(l.byUUID, a.uuid)
	} else {
		l.byUUID[a.uuid] = queue[1:]
	}
	if a.ok {
		e.done = true
		l.f.forwarded.Add(1)
		l.f.opts.Metrics.forwarded()
		l.advance()
		return
	}
	refused, isRefused := l.transport.takeRefusal(a.uuid)
	switch {
	case !running:
	case isRefused && refused.batch > 1:
		l.enqueue(l.alone, e)
	case isRefused:
		e.refused = &refused
		l.deadLetter(e)
	default:
		l.enqueue(l.client, e)
	}
}

// deadLetter writes e, refused for good, to the dead-letter file and moves
// on; when the file cannot take it, it is tried again on the next round.
func (l *loop) deadLetter(e *entry) {
	if err := l.f.dead.write(l.f.opts.Now(), *e.refused, e.line); err != nil {
		l.limiter.Error("dead-letter", "Could not write to the dead-letter file; trying again.", "error", err)
		l.unwritten = append(l.unwritten, e)
		return
	}
	l.limiter.Warn("dead-lettered", "PostHog refused an event for good; it is in the dead-letter file.",
		"status", e.refused.status, "file", filepath.Base(DeadLetterPath(l.f.rec.Path())))
	e.done = true
	l.f.deadLettered.Add(1)
	l.f.opts.Metrics.deadLettered(e.refused.status)
	l.advance()
}

// retryDeadLetters tries again the entries the dead-letter file could not
// take.
func (l *loop) retryDeadLetters() {
	waiting := l.unwritten
	l.unwritten = nil
	for _, e := range waiting {
		l.deadLetter(e)
	}
}

// advance moves the acknowledged position over the done prefix.
func (l *loop) advance() {
	n := 0
	for n < len(l.pending) && l.pending[n].done {
		l.f.rec.Acknowledge(l.pending[n].pos)
		n++
	}
	if n > 0 {
		clear(l.pending[:n])
		l.pending = append(l.pending[:0], l.pending[n:]...)
	}
}

// save writes the acknowledged offsets when they moved.
func (l *loop) save() {
	if err := l.f.rec.Save(); err != nil {
		// A full disk: forwarding goes on, and the offsets are saved
		// once there is room; a crash meanwhile only re-sends.
		l.limiter.Warn("save", "Could not save how far PostHog acknowledged; trying again.", "error", err)
	}
}
