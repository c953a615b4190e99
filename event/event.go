// Package event derives tbot's anonymous start event (RFD 0106) from the
// configuration view, as the view's release of tbot derives it (its join
// type when none is set, what it counts: docs/release-lines.md), and renders
// it in the PostHog shape that prehog turns it into. Everything here is pure:
// the clock and the ID source are passed in, so the same inputs always give
// the same event.
package event

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/timestamppb"

	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"

	"github.com/tbot-telemetry/tbot-telemetry/config"
	"github.com/tbot-telemetry/tbot-telemetry/release"
)

// Environment variables that helpers (teleport-actions and others) set to
// say that they launched tbot.
const (
	EnvHelper        = "_TBOT_TELEMETRY_HELPER"
	EnvHelperVersion = "_TBOT_TELEMETRY_HELPER_VERSION"
)

// MaxHelperLen bounds the helper strings, which come from the environment and
// could be anything.
const MaxHelperLen = 128

// Sources are the two impure inputs of an event.
type Sources struct {
	Now   func() time.Time
	NewID func() (uuid.UUID, error)
}

// Derive builds the start event that the view's release of tbot would send
// for it, with the helper read from env and tbot's version as given (see
// NormalizeVersion).
func Derive(v *config.View, env config.Env, tbotVersion string, src Sources) (*prehogv1alpha.SubmitTbotEventRequest, error) {
	id, err := src.NewID()
	if err != nil {
		return nil, fmt.Errorf("make event id: %w", err)
	}
	start := &prehogv1alpha.TbotStartEvent{
		RunMode:  prehogv1alpha.TbotStartEvent_RUN_MODE_DAEMON,
		Version:  NormalizeVersion(tbotVersion),
		JoinType: v.JoinMethod,
		Helper:   cleanHelper(env[EnvHelper]),
	}
	if v.Oneshot {
		start.RunMode = prehogv1alpha.TbotStartEvent_RUN_MODE_ONE_SHOT
	}
	if start.JoinType == "" && v.Release.Has(release.ReportsTokenWhenNoJoinMethod) {
		start.JoinType = "token"
	}
	if start.Helper != "" {
		start.HelperVersion = cleanHelper(env[EnvHelperVersion])
	}
	for _, s := range v.Counted {
		switch release.BucketOf(s) {
		case release.Application:
			start.DestinationsApplication++
		case release.Database:
			start.DestinationsDatabase++
		case release.Kubernetes:
			start.DestinationsKubernetes++
		default:
			start.DestinationsOther++
		}
	}
	return &prehogv1alpha.SubmitTbotEventRequest{
		DistinctId: id.String(),
		Timestamp:  timestamppb.New(src.Now()),
		Event:      &prehogv1alpha.SubmitTbotEventRequest_Start{Start: start},
	}, nil
}

// cleanHelper keeps the printable ASCII of a helper string, at most
// MaxHelperLen bytes of it.
func cleanHelper(s string) string {
	var b strings.Builder
	for i := 0; i < len(s) && b.Len() < MaxHelperLen; i++ {
		if c := s[i]; c >= 0x20 && c <= 0x7e {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// NormalizeVersion returns tbot's version as the event carries it (no
// leading v), or "" when it is not a version at all: a `tbot version` that
// printed something else sends no text of it.
func NormalizeVersion(v string) string {
	parsed, ok := release.ParseVersion(v)
	if !ok {
		return ""
	}
	return parsed.String()
}
