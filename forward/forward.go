// Package forward feeds collect's output file to PostHog's capture API: the
// last step of RFD 0106's pipeline, "submitted to PostHog".
//
// The file is the durable record and the only input: a Forwarder tails it
// from the offset PostHog last acknowledged, hands each line to posthog-go
// (which batches and retries), and keeps that offset in a small file beside
// the output (CursorPath), advanced only over a contiguous prefix of
// acknowledged lines. After an outage, a stop or a crash it resumes from
// there; what was sent but not yet recorded as acknowledged is sent again
// with the same uuid, so PostHog counts it once. At most Options.Window lines
// are held ahead of the acknowledged offset, however far PostHog falls
// behind. The receiver never waits for any of this.
package forward

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/posthog/posthog-go"
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

// MaxLineBytes bounds a line that is read; collect's lines are a few
// hundred bytes, and a longer one is not an event and is skipped.
const MaxLineBytes = 64 << 10

// Options configure a Forwarder. Host, APIKey, Transport and Log are
// required.
type Options struct {
	// Host is PostHog's base URL (https://us.i.posthog.com, or a
	// self-hosted instance); batches go to Host + "/batch/".
	Host string
	// APIKey is the project API key. It goes into each request's body and
	// nowhere else: never into a log line or an error.
	APIKey string
	// Transport carries the requests to PostHog.
	Transport http.RoundTripper
	// Log receives the progress lines: never the key, an event, or what
	// PostHog answered beyond its status class.
	Log *slog.Logger

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

// CursorPath is where the offset that PostHog acknowledged in the output
// file path is kept: beside it, so that the two move together.
func CursorPath(path string) string { return path + ".posthog-offset" }

// Stats are a Forwarder's counts so far.
type Stats struct {
	// Forwarded is how many lines PostHog acknowledged in this run.
	Forwarded int64
	// Skipped is how many lines were not events and were passed over.
	Skipped int64
	// Acknowledged is the offset in the file up to which every line was
	// acknowledged (or skipped), as saved in CursorPath.
	Acknowledged int64
}

// Forwarder forwards one output file. Make one with New, then call Run once.
type Forwarder struct {
	path string
	opts Options
	file *os.File

	forwarded, skipped, acknowledged atomic.Int64
}

// New opens path (which must exist: the receiver creates it) and reads the
// acknowledged offset kept beside it. A missing offset file means nothing
// was acknowledged yet. An offset that cannot belong to this file (past its
// end, or not at the end of a line) is reported and forwarding starts over
// from the top: a re-send carries the same uuid, a skip would lose events.
func New(path string, opts Options) (*Forwarder, error) {
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
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("opening the output file to forward it: %w", err)
	}
	offset, err := readCursor(CursorPath(path))
	if err == nil {
		err = checkOffset(file, offset)
	}
	if err != nil {
		opts.Log.Warn("Forwarding the whole output file again; the acknowledged offset does not fit it.", "reason", err.Error())
		offset = 0
	}
	f := &Forwarder{path: path, opts: opts, file: file}
	f.acknowledged.Store(offset)
	return f, nil
}

// Stats returns the counts so far; safe to call while Run runs.
func (f *Forwarder) Stats() Stats {
	return Stats{Forwarded: f.forwarded.Load(), Skipped: f.skipped.Load(), Acknowledged: f.acknowledged.Load()}
}

// Size is the output file's size now.
func (f *Forwarder) Size() (int64, error) {
	info, err := os.Stat(f.path)
	if err != nil {
		return 0, fmt.Errorf("reading the output file's size: %w", err)
	}
	return info.Size(), nil
}

// Waiting counts the lines past the acknowledged offset: the backlog.
func (f *Forwarder) Waiting() (int64, error) {
	file, err := os.Open(f.path)
	if err != nil {
		return 0, fmt.Errorf("opening the output file: %w", err)
	}
	defer file.Close()
	r := bufio.NewReader(io.NewSectionReader(file, f.acknowledged.Load(), 1<<62))
	var n int64
	for {
		chunk, err := r.ReadSlice('\n')
		if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
			n++
		}
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return n, fmt.Errorf("reading the output file: %w", err)
		}
	}
}

// Run forwards until ctx ends, then lets what is in flight finish for up to
// Options.Grace, saves the acknowledged offset and returns. It returns an
// error only when posthog-go cannot be set up; failures of PostHog and of
// saving the offset are logged and retried, as they never stop the
// receiver.
func (f *Forwarder) Run(ctx context.Context) error {
	defer f.file.Close()
	hardStop, cutRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cutRequests()
	acks := make(chan ack, f.opts.Window)
	client, err := posthog.NewWithConfig(f.opts.APIKey, posthog.Config{
		Endpoint:   strings.TrimSuffix(f.opts.Host, "/"),
		Interval:   f.opts.Interval,
		Transport:  &watchTransport{next: f.opts.Transport, ctx: hardStop, log: f.opts.Log},
		Logger:     quietLogger{},
		Callback:   callback(acks),
		RetryAfter: f.opts.RetryAfter,
	})
	if err != nil {
		return fmt.Errorf("setting up the PostHog client: %w", err)
	}
	f.opts.Log.Info("Forwarding events to PostHog.", "host", f.opts.Host)

	l := &loop{f: f, client: client, tail: newTail(f.file, f.acknowledged.Load()),
		byUUID: map[string][]*entry{}, saved: f.acknowledged.Load()}
	tick := time.NewTicker(f.opts.Poll)
	defer tick.Stop()
	for ctx.Err() == nil {
		l.fill()
		l.save()
		select {
		case a := <-acks:
			l.handle(a, true)
			// A batch answers for all its lines at once: take them
			// all before saving, for one save per batch.
			for more := true; more; {
				select {
				case a := <-acks:
					l.handle(a, true)
				default:
					more = false
				}
			}
		case <-tick.C:
		case <-ctx.Done():
		}
	}

	// One last look for lines the receiver wrote while it drained, then
	// posthog-go flushes what it holds and gives up on its retries.
	l.fill()
	closed := make(chan struct{})
	go func() {
		_ = client.Close()
		close(closed)
	}()
	grace := time.NewTimer(f.opts.Grace)
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
	for drained := false; !drained; {
		select {
		case a := <-acks:
			l.handle(a, false)
		default:
			drained = true
		}
	}
	l.save()
	return nil
}

// entry is one line between the acknowledged offset and the read position.
type entry struct {
	end   int64 // the offset just past its newline
	done  bool  // acknowledged, or skipped
	event posthog.Capture
}

// loop is Run's state; only Run's goroutine touches it.
type loop struct {
	f      *Forwarder
	client posthog.Client
	tail   *tail
	// pending are the lines read and not yet under the acknowledged
	// offset, in file order; never more than Options.Window.
	pending []*entry
	// byUUID are the entries handed to posthog-go and not yet answered,
	// by uuid, oldest first (one event written twice has two).
	byUUID map[string][]*entry
	saved  int64 // the offset last written to the cursor file
	shrunk bool  // the file was found shorter than what was read
}

// fill reads lines while the window has room and hands each to posthog-go.
func (l *loop) fill() {
	for len(l.pending) < l.f.opts.Window {
		line, end, ok, err := l.tail.next()
		if err != nil {
			l.f.opts.Log.Warn("Could not read the output file; trying again.", "error", err)
			return
		}
		if !ok {
			l.checkShrunk()
			return
		}
		e := &entry{end: end}
		l.pending = append(l.pending, e)
		capture, err := toCapture(line)
		if err != nil {
			// Never the line itself: only where it ends.
			l.f.opts.Log.Warn("Skipped a line that is not an event.", "offset", end, "reason", err.Error())
			l.f.skipped.Add(1)
			e.done = true
			continue
		}
		e.event = capture
		l.enqueue(e)
	}
	l.advance()
}

// checkShrunk warns, once, when the file is shorter than what was read of
// it: someone truncated or replaced it under collect (a copytruncate), and
// its new lines sit where this forwarder will not look until a restart,
// which starts over from the top (see New).
func (l *loop) checkShrunk() {
	if l.shrunk {
		return
	}
	info, err := l.f.file.Stat()
	if err != nil || info.Size() >= l.tail.pos {
		return
	}
	l.shrunk = true
	l.f.opts.Log.Warn("The output file shrank under collect; restart collect to forward what it holds now.")
}

func (l *loop) enqueue(e *entry) {
	if err := l.client.Enqueue(e.event); err != nil {
		// Only after Close, which Run calls last; the line stays
		// unacknowledged and is sent on the next start.
		return
	}
	l.byUUID[e.event.Uuid] = append(l.byUUID[e.event.Uuid], e)
}

// handle records one answer. A failed line (posthog-go gave up after its
// retries) is handed over again while running, so nothing is ever dropped;
// on the way out it stays for the next start.
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
	if !a.ok {
		if running {
			l.enqueue(e)
		}
		return
	}
	e.done = true
	l.f.forwarded.Add(1)
	l.advance()
}

// advance moves the acknowledged offset over the done prefix.
func (l *loop) advance() {
	n := 0
	for n < len(l.pending) && l.pending[n].done {
		l.f.acknowledged.Store(l.pending[n].end)
		n++
	}
	if n > 0 {
		l.pending = append(l.pending[:0], l.pending[n:]...)
	}
}

// save writes the acknowledged offset when it moved.
func (l *loop) save() {
	offset := l.f.acknowledged.Load()
	if offset == l.saved {
		return
	}
	if err := writeCursor(CursorPath(l.f.path), offset); err != nil {
		// A full disk: forwarding goes on, and the offset is saved
		// once there is room; a crash meanwhile only re-sends.
		l.f.opts.Log.Warn("Could not save how far PostHog acknowledged; trying again.", "error", err)
		return
	}
	l.saved = offset
}

// readCursor reads the acknowledged offset; a missing file is offset 0.
func readCursor(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reading the acknowledged offset: %w", err)
	}
	offset, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil || offset < 0 {
		return 0, errors.New("the acknowledged offset is not a number")
	}
	return offset, nil
}

// checkOffset makes sure offset can be one this program saved for file: at
// most its size, and just past a newline.
func checkOffset(file *os.File, offset int64) error {
	if offset == 0 {
		return nil
	}
	info, err := file.Stat()
	if err != nil {
		return fmt.Errorf("reading the output file's size: %w", err)
	}
	if offset > info.Size() {
		return errors.New("the output file is shorter than the acknowledged offset")
	}
	var b [1]byte
	if _, err := file.ReadAt(b[:], offset-1); err != nil {
		return fmt.Errorf("reading the output file: %w", err)
	}
	if b[0] != '\n' {
		return errors.New("the acknowledged offset is not at the end of a line")
	}
	return nil
}

// writeCursor replaces the offset file whole (a temporary file renamed over
// it), so that a crash leaves the old offset or the new, never a torn one.
func writeCursor(path string, offset int64) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatInt(offset, 10)+"\n"), 0o600); err != nil {
		return fmt.Errorf("writing the acknowledged offset: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("saving the acknowledged offset: %w", err)
	}
	return nil
}
