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
