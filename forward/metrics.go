package forward

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the forwarder's Prometheus metrics (docs/collect.md,
// "Metrics"). A nil *Metrics counts nothing.
type Metrics struct {
	forwardedTotal    prometheus.Counter
	skippedTotal      prometheus.Counter
	deadLetteredTotal *prometheus.CounterVec
	requestSeconds    *prometheus.HistogramVec
}

// NewMetrics registers the forwarder's metrics with reg, and the backlog
// that backlog reports (bytes and lines not yet acknowledged) as two
// gauges read at each scrape.
func NewMetrics(reg prometheus.Registerer, backlog func() (bytes, lines int64)) *Metrics {
	m := &Metrics{
		forwardedTotal: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tbot_collect_events_forwarded_total",
			Help: "Events that PostHog acknowledged.",
		}),
		skippedTotal: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tbot_collect_lines_skipped_total",
			Help: "Lines of the output file that are not events, passed over.",
		}),
		deadLetteredTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tbot_collect_events_dead_lettered_total",
			Help: "Events that PostHog refused for good, written to the dead-letter file, by PostHog's status.",
		}, []string{"status"}),
		requestSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tbot_collect_posthog_request_duration_seconds",
			Help: "Requests to PostHog's /batch/, by outcome: accepted, retried (5xx, 408, 429), refused (for good), key_refused (401, 403), unreachable.",
			// From a fast answer on the same network to posthog-go's
			// 10 s client timeout.
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"outcome"}),
	}
	reg.MustRegister(m.forwardedTotal, m.skippedTotal, m.deadLetteredTotal, m.requestSeconds,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tbot_collect_backlog_bytes",
			Help: "Bytes of the output file (and of files moved away from it) not yet acknowledged by PostHog.",
		}, func() float64 { b, _ := backlog(); return float64(b) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "tbot_collect_backlog_lines",
			Help: "Lines of the output file (and of files moved away from it) not yet acknowledged by PostHog.",
		}, func() float64 { _, l := backlog(); return float64(l) }))
	// Every outcome shows from the start, at 0.
	for _, o := range []string{"accepted", "retried", "refused", "key_refused", "unreachable"} {
		m.requestSeconds.WithLabelValues(o)
	}
	return m
}

func (m *Metrics) forwarded() {
	if m != nil {
		m.forwardedTotal.Inc()
	}
}

func (m *Metrics) skipped() {
	if m != nil {
		m.skippedTotal.Inc()
	}
}

func (m *Metrics) deadLettered(status int) {
	if m != nil {
		m.deadLetteredTotal.WithLabelValues(strconv.Itoa(status)).Inc()
	}
}

func (m *Metrics) request(outcome string, d time.Duration) {
	if m != nil {
		m.requestSeconds.WithLabelValues(outcome).Observe(d.Seconds())
	}
}
