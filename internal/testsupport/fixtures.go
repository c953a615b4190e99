// Package testsupport is for tests only: what the tests of several packages
// share, so that each piece exists once. It holds the fixed clock, ID and
// event that tests inject, the reporting service on a loopback server that
// records what reaches it, and helpers to build and run the command. No
// production code imports it.
package testsupport

import (
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
)

// ID is the distinct ID that tests inject in place of a random one.
const ID = "0b6f3c1e-8a4d-4e2b-9c7a-1d2e3f405162"

// Now is the clock that tests inject: always the same instant, with
// milliseconds, so that a truncation or a lost fraction shows.
func Now() time.Time { return time.Date(2026, 11, 26, 6, 0, 0, 123_000_000, time.UTC) }

// NewID stands in for uuid.NewRandom, with its signature, and always gives
// ID.
func NewID() (uuid.UUID, error) { return uuid.MustParse(ID), nil }

// Event returns a new start event with ID and Now, and every other field
// set, each to a value no other field has, so that a field that lands in
// the wrong place shows.
func Event() *prehogv1alpha.SubmitTbotEventRequest {
	return &prehogv1alpha.SubmitTbotEventRequest{
		DistinctId: ID,
		Timestamp:  timestamppb.New(Now()),
		Event: &prehogv1alpha.SubmitTbotEventRequest_Start{Start: &prehogv1alpha.TbotStartEvent{
			RunMode:                 prehogv1alpha.TbotStartEvent_RUN_MODE_ONE_SHOT,
			Version:                 "17.4.2",
			JoinType:                "github",
			Helper:                  "gha:teleport-actions/auth",
			HelperVersion:           "2.1.2",
			DestinationsOther:       1,
			DestinationsDatabase:    2,
			DestinationsKubernetes:  3,
			DestinationsApplication: 4,
		}},
	}
}
