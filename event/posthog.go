package event

import (
	"encoding/json"
	"time"

	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
)

// Name is the PostHog event name of a tbot start.
const Name = "tbot.start"

// PostHog is the event as prehog forwards it to PostHog: what --dry-run
// prints and what collect writes, one per line.
type PostHog struct {
	Event      string     `json:"event"`
	DistinctID string     `json:"distinct_id"`
	Timestamp  string     `json:"timestamp"`
	Properties Properties `json:"properties"`
}

// Properties are the nine properties of a start event, always all present.
type Properties struct {
	RunMode                 string `json:"tbot.run_mode"`
	Version                 string `json:"tbot.version"`
	JoinType                string `json:"tbot.join_type"`
	Helper                  string `json:"tbot.helper"`
	HelperVersion           string `json:"tbot.helper_version"`
	DestinationsOther       int32  `json:"tbot.destinations_other"`
	DestinationsDatabase    int32  `json:"tbot.destinations_database"`
	DestinationsKubernetes  int32  `json:"tbot.destinations_kubernetes"`
	DestinationsApplication int32  `json:"tbot.destinations_application"`
}

// TimestampFormat is PostHog's: UTC with milliseconds.
const TimestampFormat = "2006-01-02T15:04:05.000Z07:00"

// PostHogView renders a request in the PostHog shape. A request without a
// timestamp takes received, as prehog uses its ingest time.
func PostHogView(req *prehogv1alpha.SubmitTbotEventRequest, received time.Time) PostHog {
	ts := received
	if req.GetTimestamp() != nil {
		ts = req.GetTimestamp().AsTime()
	}
	s := req.GetStart()
	return PostHog{
		Event:      Name,
		DistinctID: req.GetDistinctId(),
		Timestamp:  ts.UTC().Format(TimestampFormat),
		Properties: Properties{
			RunMode:                 runModeName(s.GetRunMode()),
			Version:                 s.GetVersion(),
			JoinType:                s.GetJoinType(),
			Helper:                  s.GetHelper(),
			HelperVersion:           s.GetHelperVersion(),
			DestinationsOther:       s.GetDestinationsOther(),
			DestinationsDatabase:    s.GetDestinationsDatabase(),
			DestinationsKubernetes:  s.GetDestinationsKubernetes(),
			DestinationsApplication: s.GetDestinationsApplication(),
		},
	}
}

func runModeName(m prehogv1alpha.TbotStartEvent_RunMode) string {
	switch m {
	case prehogv1alpha.TbotStartEvent_RUN_MODE_ONE_SHOT:
		return "one-shot"
	case prehogv1alpha.TbotStartEvent_RUN_MODE_DAEMON:
		return "daemon"
	}
	return ""
}

// MarshalLine renders a request as one JSON line, newline included.
func MarshalLine(req *prehogv1alpha.SubmitTbotEventRequest, received time.Time) ([]byte, error) {
	b, err := json.Marshal(PostHogView(req, received))
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
