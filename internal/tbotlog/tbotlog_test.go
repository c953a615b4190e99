package tbotlog

import (
	"bytes"
	"errors"
	"flag"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// at is the fixed clock of the golden files: not UTC, so that the files
// show that lines keep the clock's own zone.
var at = time.Date(2026, 11, 26, 7, 0, 0, 123_987_000, time.FixedZone("CET", 3600))

// logEverything logs one line of each kind the program writes, and the odd
// values a layout must survive.
func logEverything(log *slog.Logger) {
	log.Info("Anonymous telemetry is enabled.")
	log.Info("Anonymous telemetry is not enabled.", "reason", "DO_NOT_TRACK is set")
	log.Debug("Passed over a tbot argument this program does not know.", "argument", "--new-flag")
	log.Warn("Failed to send anonymous telemetry.", "error", errors.New("deadline exceeded"))
	log.Error("Invalid value for --timeout.", "flag", "--timeout", "value", "0s", "hint", "give a duration above zero, such as 3s")
	log.Info("A message with a tab\tand a newline\n.", "count", 3, "ok", true, "took", 1500*time.Millisecond,
		"at", at, "raw", []byte("a b"), "empty", "")
	log.With("build", "abc").WithGroup("go").Debug("Grouped.", "version", "go1.26", slog.Group("platform", "os", "linux", "arch", "amd64"))
	log.Info("Another component's line.", ComponentKey, "tbot")
}

func TestGolden(t *testing.T) {
	for _, format := range []string{FormatText, FormatJSON} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			logEverything(New(&out, Options{Format: format, Level: slog.LevelDebug, Now: func() time.Time { return at }}))
			golden := filepath.Join("testdata", "golden."+format)
			if *update {
				if err := os.WriteFile(golden, out.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if got := out.String(); got != string(want) {
				t.Errorf("got:\n%s\nwant (%s; go test -update rewrites it):\n%s", got, golden, want)
			}
		})
	}
}

func TestLevelFiltersLines(t *testing.T) {
	for _, format := range []string{FormatText, FormatJSON} {
		var out bytes.Buffer
		log := New(&out, Options{Format: format})
		log.Debug("not written")
		if out.Len() != 0 {
			t.Errorf("%s at info wrote a debug line: %s", format, out.String())
		}
	}
}
