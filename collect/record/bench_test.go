package record_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tbot-telemetry/tbot-telemetry/collect/record"
)

// BenchmarkWrite is the cost of appending one collect line (about 400
// bytes) through record.File, which looks at the file before each line to
// follow a rotation, against a bare append to an *os.File.
//
//	go test -run '^$' -bench BenchmarkWrite -benchmem ./collect/record/
func BenchmarkWrite(b *testing.B) {
	line := []byte(`{"event":"tbot.start","distinct_id":"0b6f3c1e-8a4d-4e2b-9c7a-1d2e3f405162","timestamp":"2026-11-26T06:00:00.123Z","properties":{"tbot.run_mode":"one-shot","tbot.version":"17.4.2","tbot.join_type":"github","tbot.helper":"gha:teleport-actions/auth","tbot.helper_version":"2.1.2","tbot.destinations_other":1,"tbot.destinations_database":2,"tbot.destinations_kubernetes":3,"tbot.destinations_application":4}}` + "\n")
	b.Run("os.File", func(b *testing.B) {
		f, err := os.OpenFile(filepath.Join(b.TempDir(), "events.jsonl"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		for b.Loop() {
			if _, err := f.Write(line); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, follow := range []bool{false, true} {
		name := "record"
		if follow {
			name = "record+follow"
		}
		b.Run(name, func(b *testing.B) {
			f, err := record.Open(filepath.Join(b.TempDir(), "events.jsonl"), record.Options{Follow: follow})
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			for b.Loop() {
				if _, err := f.Write(line); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
