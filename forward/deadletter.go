package forward

import (
	"encoding/json"
	"fmt"
	"os"
	"time"
)

// DeadLetterPath is where the events that PostHog refused for good go,
// beside the output file at path: one JSON object a line, with when,
// PostHog's status and answer, and the output file's line itself, so that
// an operator can read why and send them again once the cause is fixed
// (docs/collect.md, "Refused for good").
func DeadLetterPath(path string) string { return path + ".dead-letter" }

// DeadLetter is one line of the dead-letter file.
type DeadLetter struct {
	// Time is when PostHog refused the event alone, in RFC 3339.
	Time string `json:"time"`
	// Status is PostHog's answer status.
	Status int `json:"status"`
	// Reason is PostHog's answer, cut to 512 bytes, the key never in it.
	Reason string `json:"reason"`
	// EventLine is the output file's line, as it was.
	EventLine json.RawMessage `json:"line"`
}

// deadLetter is the dead-letter file, opened on its first line.
type deadLetter struct {
	path string
	file *os.File
}

// write appends one refused event and syncs, so that the line is on disk
// before the offset moves past it.
func (d *deadLetter) write(now time.Time, r refusal, line []byte) error {
	if d.file == nil {
		f, err := os.OpenFile(d.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return fmt.Errorf("opening the dead-letter file: %w", err)
		}
		d.file = f
	}
	b, err := json.Marshal(DeadLetter{Time: now.UTC().Format(time.RFC3339Nano), Status: r.status, Reason: r.reason, EventLine: line})
	if err != nil {
		return fmt.Errorf("rendering a dead letter: %w", err)
	}
	if _, err := d.file.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("writing the dead-letter file: %w", err)
	}
	if err := d.file.Sync(); err != nil {
		return fmt.Errorf("syncing the dead-letter file: %w", err)
	}
	return nil
}

func (d *deadLetter) close() {
	if d.file != nil {
		d.file.Close()
	}
}
