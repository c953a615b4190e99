package collect

import "github.com/prometheus/client_golang/prometheus"

// Metrics are the receiver's Prometheus metrics (docs/collect.md,
// "Metrics"). A nil *Metrics counts nothing.
type Metrics struct {
	receivedTotal prometheus.Counter
	refusedTotal  *prometheus.CounterVec
	writtenTotal  prometheus.Counter
}

// NewMetrics registers the receiver's metrics with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		receivedTotal: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tbot_collect_events_received_total",
			Help: "Requests to submit an event, whatever became of them.",
		}),
		refusedTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tbot_collect_events_refused_total",
			Help: "Events refused, by reason: malformed (not decodable, too large), a field that no tbot sends (distinct_id, timestamp, no_start, run_mode, too_long, not_utf8, count), or unrenderable and unwritable (the line could not be made or written).",
		}, []string{"reason"}),
		writtenTotal: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "tbot_collect_events_written_total",
			Help: "Events accepted: their line written to the output.",
		}),
	}
	reg.MustRegister(m.receivedTotal, m.refusedTotal, m.writtenTotal)
	// Every reason shows from the start, at 0.
	for _, r := range []string{ReasonMalformed, ReasonDistinctID, ReasonTimestamp, ReasonNoStart, ReasonRunMode,
		ReasonTooLong, ReasonNotUTF8, ReasonCount, ReasonUnrenderable, ReasonUnwritable} {
		m.refusedTotal.WithLabelValues(r)
	}
	return m
}

func (m *Metrics) received() {
	if m != nil {
		m.receivedTotal.Inc()
	}
}

func (m *Metrics) refused(reason string) {
	if m != nil {
		m.refusedTotal.WithLabelValues(reason).Inc()
	}
}

func (m *Metrics) wrote() {
	if m != nil {
		m.writtenTotal.Inc()
	}
}
