package forward_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/tbot-telemetry/tbot-telemetry/internal/testsupport"
)

// BenchmarkForward is the forwarder's rate from a file to a PostHog
// stand-in on loopback that accepts everything: b.N lines, read, batched,
// sent, acknowledged and the offset saved.
//
//	go test -run '^$' -bench BenchmarkForward -benchtime 20000x ./forward/
func BenchmarkForward(b *testing.B) {
	ph := testsupport.StartPostHog(b, testKey)
	path := filepath.Join(b.TempDir(), "events.jsonl")
	appendEvents(b, path, b.N)
	var logs testsupport.LockedBuffer
	opts := fastOptions(ph.URL, &logs)
	opts.Interval = 50 * time.Millisecond
	b.ResetTimer()
	r := start(b, path, opts)
	ph.WaitFor(b, b.N, 10*time.Minute)
	b.StopTimer()
	r.end(b)
}
