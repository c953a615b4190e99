package forward

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/posthog/posthog-go"
)

// uuidNamespace makes the uuids of forwarded events their own: a name-based
// (version 5) uuid in it is a function of the event alone.
var uuidNamespace = uuid.MustParse("5f0c1ad4-9a0e-4f55-8a47-7c1b3e2d9f60")

// EventUUID is the uuid an event is sent to PostHog with: derived from its
// name, distinct_id and timestamp, which together are the event, so that
// every re-send of it (after an outage, a restart, or a sender's own retry
// written twice) carries the same uuid and PostHog counts it once.
func EventUUID(name, distinctID, timestamp string) string {
	return uuid.NewSHA1(uuidNamespace, []byte(name+"\x00"+distinctID+"\x00"+timestamp)).String()
}

// eventLine is a line of the output file (README.md, "The event").
type eventLine struct {
	Event      string                     `json:"event"`
	DistinctID string                     `json:"distinct_id"`
	Timestamp  string                     `json:"timestamp"`
	Properties map[string]json.RawMessage `json:"properties"`
}

// toCapture turns a line into the capture sent to PostHog: its event name,
// distinct_id and timestamp, its tbot.* properties exactly as written, and
// what tells PostHog to record nothing about where the batch came from.
func toCapture(b []byte) (posthog.Capture, error) {
	var l eventLine
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&l); err != nil {
		return posthog.Capture{}, errors.New("not a JSON object")
	}
	if dec.More() {
		return posthog.Capture{}, errors.New("more than one JSON value")
	}
	if l.Event == "" || l.DistinctID == "" {
		return posthog.Capture{}, errors.New("no event name or distinct_id")
	}
	ts, err := time.Parse(time.RFC3339Nano, l.Timestamp)
	if err != nil {
		return posthog.Capture{}, errors.New("timestamp is not RFC 3339")
	}
	props := posthog.NewProperties()
	for k, v := range l.Properties {
		// Only the event's own properties: a $-property (a person
		// update, an IP) has no business in a line.
		if strings.HasPrefix(k, "tbot.") {
			props[k] = v
		}
	}
	// PostHog otherwise takes the sending address (this collector's) as
	// the event's $ip and looks up its place.
	props["$geoip_disable"] = true
	props["$ip"] = nil
	return posthog.Capture{
		Uuid:       EventUUID(l.Event, l.DistinctID, l.Timestamp),
		DistinctId: l.DistinctID,
		Event:      l.Event,
		Timestamp:  ts.UTC(),
		Properties: props,
	}, nil
}
