package notify

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts the dispatcher's outcomes for Prometheus. A nil *Metrics
// counts nothing.
type Metrics struct {
	outcomes *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics returns the collectors; register Collectors() with a registry.
func NewMetrics() *Metrics {
	return &Metrics{
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "yishi_notifications_total",
			Help: "Notification delivery outcomes recorded, by channel and outcome (sent, failed, gave_up).",
		}, []string{"channel", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "yishi_notification_send_seconds",
			Help:    "Time one send took on a channel (the gateway's or push service's answer).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"channel"}),
	}
}

// Collectors returns what to register.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.outcomes, m.latency}
}

func (m *Metrics) count(channel, outcome string) {
	if m != nil {
		m.outcomes.WithLabelValues(channel, outcome).Inc()
	}
}

func (m *Metrics) observe(channel string, d time.Duration) {
	if m != nil {
		m.latency.WithLabelValues(channel).Observe(d.Seconds())
	}
}
