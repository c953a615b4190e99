package report

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"connectrpc.com/connect"

	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
	"github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha/prehogv1alphaconnect"
	"github.com/tbot-telemetry/tbot-telemetry/report/deadline"
)

const (
	initialBackoff = 100 * time.Millisecond
	maxBackoff     = time.Second
	// minAttemptBudget is the least time a retry must have left; one that
	// starts with less can only end in deadline_exceeded and hide the error
	// that caused it.
	minAttemptBudget = 100 * time.Millisecond
)

// SendOptions say where and how an event goes.
type SendOptions struct {
	// Endpoint is the base URL of the reporting service (see Endpoint).
	Endpoint string
	// Client sends the request; nil means NewHTTPClient(Getenv).
	Client *http.Client
	// Getenv reads the environment the client takes its proxy and
	// certificate settings from, when Client is nil; nil is an empty
	// environment.
	Getenv func(string) string
	// Logger gets the debug lines and the plain-http warning; nil discards
	// them.
	Logger *slog.Logger
}

// SendError is why an event was not sent: a Connect code and a short phrase
// that is safe to log. It deliberately does not wrap the error it stands
// for: transport errors embed the URL, which may carry credentials, and a
// server's own words are kept only after sanitizing.
type SendError struct {
	Code   connect.Code
	Reason string
	retry  bool
}

func (e *SendError) Error() string { return e.Code.String() + ": " + e.Reason }

// Send posts the event to the endpoint over Connect (binary proto, as tbot
// sends it). ctx carries the one deadline (deadline.Default when it has
// none), which covers DNS, connecting, TLS, the call and its retries: an
// unavailable service is asked again, with jittered exponential backoff and
// the very same event, while the deadline leaves room for another attempt.
// Any error it returns is a *SendError.
func Send(ctx context.Context, opts SendOptions, req *prehogv1alpha.SubmitTbotEventRequest) error {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if req == nil {
		return &SendError{Code: connect.CodeInvalidArgument, Reason: "no event to send"}
	}
	endpoint, err := parseEndpoint(opts.Endpoint)
	if err != nil {
		return err
	}
	// The endpoint is named by its scheme and whether it is loopback only:
	// its host, path and userinfo stay out of the logs.
	loopback := isLoopbackHost(endpoint.Hostname())
	if endpoint.Scheme == "http" && !loopback {
		log.Warn("Sending anonymous telemetry over plain http to a host that is not loopback; anyone on the way can read it.",
			"scheme", endpoint.Scheme, "loopback", loopback)
	}
	log.Debug("Sending anonymous telemetry.", "scheme", endpoint.Scheme, "loopback", loopback)

	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		// So that retries always end.
		ctx, cancel = context.WithTimeout(ctx, deadline.Default)
		defer cancel()
	}
	client := opts.Client
	if client == nil {
		if client, err = NewHTTPClient(opts.Getenv); err != nil {
			return &SendError{Code: connect.CodeUnknown, Reason: "http client could not be set up"}
		}
	}
	svc := prehogv1alphaconnect.NewTbotReportingServiceClient(boundedDoer{client}, opts.Endpoint,
		connect.WithReadMaxBytes(MaxResponseBytes))
	secrets := endpointSecrets(endpoint)

	started := time.Now()
	end, hasEnd := ctx.Deadline()
	for tries := 1; ; tries++ {
		sendErr := submit(ctx, svc, req, secrets)
		if sendErr == nil {
			log.Debug("Successfully transmitted anonymous telemetry", "distinct_id", req.GetDistinctId(), "duration", time.Since(started))
			return nil
		}
		wait := jitter(backoffBefore(tries))
		if !sendErr.retry || !roomFor(time.Now(), end, hasEnd, wait) {
			return sendErr
		}
		log.Debug("Anonymous telemetry not accepted yet; trying again.", "attempt", tries, "error", sendErr.Error(), "wait", wait)
		if !sleep(ctx, wait) {
			return sendErr
		}
	}
}

func submit(ctx context.Context, svc prehogv1alphaconnect.TbotReportingServiceClient,
	req *prehogv1alpha.SubmitTbotEventRequest, secrets []string) *SendError {
	a := &attempt{}
	_, err := svc.SubmitTbotEvent(context.WithValue(ctx, attemptKey{}, a), connect.NewRequest(req))
	if err == nil {
		return nil
	}
	return classify(err, a, secrets)
}

// jitter spreads retries of many bots restarting at once: half the backoff,
// plus up to as much again.
func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

// backoffBefore is the wait before the retry that follows attempt n (1 for
// the first), before jitter: initialBackoff, doubling up to maxBackoff. So
// a 3 s deadline holds about six attempts against a service that refuses at
// once, not the dozens that retrying without it would make, from every bot
// of a fleet.
func backoffBefore(n int) time.Duration {
	d := initialBackoff
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

// roomFor says whether, at now, the deadline (end, if hasEnd) leaves time to
// wait and then make an attempt of at least minAttemptBudget.
func roomFor(now, end time.Time, hasEnd bool, wait time.Duration) bool {
	return !hasEnd || end.Sub(now) > wait+minAttemptBudget
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
