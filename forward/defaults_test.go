package forward

import (
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/collect/record"
)

// The zero Options take the defaults docs/collect.md gives: at most 1000
// lines ahead, retries from 100 ms doubling up to 2 s, 5 s of grace on the
// way out. The retry policy is deterministic (no jitter), so its waits are
// checked one by one.
func TestDefaults(t *testing.T) {
	rec, err := record.Open(filepath.Join(t.TempDir(), "events.jsonl"), record.Options{Follow: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	f, err := New(rec, Options{Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if f.opts.Window != 1000 || f.opts.Grace != 5*time.Second || f.opts.Poll != 250*time.Millisecond || f.opts.Interval != time.Second {
		t.Errorf("window %d, grace %v, poll %v, interval %v; want 1000, 5s, 250ms, 1s", f.opts.Window, f.opts.Grace, f.opts.Poll, f.opts.Interval)
	}
	want := []time.Duration{100, 200, 400, 800, 1600, 2000, 2000, 2000}
	for attempt, w := range want {
		if got := f.opts.RetryAfter(attempt); got != w*time.Millisecond {
			t.Errorf("the wait before retry %d: %v, want %v", attempt+1, got, w*time.Millisecond)
		}
	}
	if got := f.opts.RetryAfter(30); got != 2*time.Second {
		t.Errorf("the wait before retry 31: %v, want the cap of 2s", got)
	}
}
