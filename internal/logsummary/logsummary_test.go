package logsummary_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/internal/logsummary"
)

// clock is a time the test moves by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newLimiter(interval time.Duration) (*logsummary.Limiter, *bytes.Buffer, *clock) {
	var out bytes.Buffer
	c := &clock{t: time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)}
	return logsummary.New(slog.New(slog.NewTextHandler(&out, nil)), interval, c.now), &out, c
}

func lines(out *bytes.Buffer) []string {
	s := strings.TrimSuffix(out.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// A flood of one kind is one line at once and one summary per interval
// with the count of the rest; another kind is not held up by it.
func TestAFloodIsOneLinePerInterval(t *testing.T) {
	l, out, c := newLimiter(30 * time.Second)
	for i := range 10_000 {
		l.Warn("refused", "Refused an event.", "reason", "distinct_id")
		if i == 5000 {
			l.Warn("write", "Could not record an event.")
		}
		if i%1000 == 999 {
			c.t = c.t.Add(time.Second) // 10 s over the whole flood
		}
	}
	got := lines(out)
	if len(got) != 2 || !strings.Contains(got[0], "Refused an event.") || !strings.Contains(got[1], "Could not record") {
		t.Fatalf("during the flood:\n%s", out.String())
	}
	l.Flush(false)
	if len(lines(out)) != 2 {
		t.Fatalf("a summary before the interval is over:\n%s", out.String())
	}
	c.t = c.t.Add(20 * time.Second)
	l.Flush(false)
	got = lines(out)
	if len(got) != 3 || !strings.Contains(got[2], "Refused an event.") || !strings.Contains(got[2], "repeated=9999") ||
		!strings.Contains(got[2], "within=30s") || !strings.Contains(got[2], "reason=distinct_id") {
		t.Fatalf("after the interval:\n%s", out.String())
	}
	// Quiet for an interval: the next one is logged at once again.
	c.t = c.t.Add(31 * time.Second)
	l.Warn("refused", "Refused an event.", "reason", "run_mode")
	if got := lines(out); len(got) != 4 || strings.Contains(got[3], "repeated") {
		t.Fatalf("after a quiet interval:\n%s", out.String())
	}
}

// A summary is also written by the next warning of its kind once the
// interval is over, and by Run when it ends, with whatever is counted.
func TestSummariesWithoutATicker(t *testing.T) {
	l, out, c := newLimiter(time.Minute)
	l.Warn("k", "Trouble.")
	l.Warn("k", "Trouble.")
	c.t = c.t.Add(time.Minute)
	l.Warn("k", "Trouble.")
	if got := lines(out); len(got) != 2 || !strings.Contains(got[1], "repeated=2") {
		t.Fatalf("%s", out.String())
	}
	l.Warn("k", "Trouble.")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	l.Run(ctx)
	if got := lines(out); len(got) != 3 || !strings.Contains(got[2], "repeated=1") {
		t.Fatalf("%s", out.String())
	}
	l.Flush(true)
	if got := lines(out); len(got) != 3 {
		t.Fatalf("a summary of nothing:\n%s", out.String())
	}
}

// Exactly one interval after the last line of a kind, the next warning is
// logged at once again.
func TestAWarningAfterExactlyOneIntervalIsLogged(t *testing.T) {
	l, out, c := newLimiter(30 * time.Second)
	l.Warn("k", "Trouble.")
	c.t = c.t.Add(30 * time.Second)
	if !l.Warn("k", "Trouble.") {
		t.Error("Warn said it wrote nothing")
	}
	if got := lines(out); len(got) != 2 || strings.Contains(got[1], "repeated") {
		t.Fatalf("%s", out.String())
	}
}

// Warn says whether it wrote a line: the first, not the ones counted, and
// the one that brings the summary.
func TestWarnSaysWhetherItWrote(t *testing.T) {
	l, _, c := newLimiter(time.Minute)
	if !l.Warn("k", "Trouble.") {
		t.Error("the first warning: Warn = false")
	}
	if l.Warn("k", "Trouble.") {
		t.Error("a warning counted: Warn = true")
	}
	c.t = c.t.Add(time.Minute)
	if !l.Warn("k", "Trouble.") {
		t.Error("the warning that brings the summary: Warn = false")
	}
}

// A summary repeats the last warning counted, with its details, at its
// level; an error stays an error.
func TestASummaryRepeatsTheLastWarning(t *testing.T) {
	l, out, c := newLimiter(time.Minute)
	l.Error("k", "Trouble.", "reason", "first")
	l.Error("k", "Trouble.", "reason", "second")
	l.Error("k", "Trouble.", "reason", "third")
	c.t = c.t.Add(time.Minute)
	l.Flush(false)
	got := lines(out)
	if len(got) != 2 || !strings.Contains(got[0], "level=ERROR") || !strings.Contains(got[0], "reason=first") ||
		!strings.Contains(got[1], "level=ERROR") || !strings.Contains(got[1], "reason=third") || !strings.Contains(got[1], "repeated=2") {
		t.Fatalf("%s", out.String())
	}
}

// A line's source is where Warn or Error was called, as a direct slog call
// would say, and the logger's level holds: warnings below it are not
// written.
func TestSourceAndLevel(t *testing.T) {
	var out bytes.Buffer
	c := &clock{t: time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)}
	log := slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{AddSource: true, Level: slog.LevelError}))
	l := logsummary.New(log, time.Minute, c.now)
	l.Warn("w", "A warning.")
	l.Error("e", "An error.")
	got := lines(&out)
	if len(got) != 1 || !strings.Contains(got[0], "An error.") || !strings.Contains(got[0], "logsummary_test.go:") {
		t.Fatalf("%s", out.String())
	}
}

// lineWriter sends each line written to it.
type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) {
	w <- string(p)
	return len(p), nil
}

// Run writes a summary once the interval is over, without waiting for
// its end or for the next warning.
func TestRunSummarisesEachInterval(t *testing.T) {
	out := make(lineWriter, 10)
	c := &clock{t: time.Date(2026, 11, 26, 6, 0, 0, 0, time.UTC)}
	l := logsummary.New(slog.New(slog.NewTextHandler(out, nil)), time.Millisecond, c.now)
	l.Warn("k", "Trouble.")
	l.Warn("k", "Trouble.")
	<-out
	c.t = c.t.Add(time.Second) // read by Run's goroutine only after it starts
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		l.Run(ctx)
		close(done)
	}()
	defer func() { cancel(); <-done }()
	select {
	case line := <-out:
		if !strings.Contains(line, "repeated=1") {
			t.Errorf("summary %q", line)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no summary while Run runs")
	}
}
