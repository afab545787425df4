package httpapi

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the server's Prometheus metrics. They live in a registry of
// their own, passed in, so that tests can make fresh ones.
type Metrics struct {
	gatherer prometheus.Gatherer
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// NewMetrics registers the HTTP metrics with reg, which /metrics serves.
func NewMetrics(reg *prometheus.Registry) *Metrics {
	m := &Metrics{
		gatherer: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "muster_requests_total",
			Help: "API requests by operation and outcome (HTTP 200 or the error code).",
		}, []string{"operation", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "muster_request_duration_seconds",
			Help:    "API request latency by operation.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"operation"}),
	}
	reg.MustRegister(m.requests, m.latency)
	return m
}

func (m *Metrics) observe(op, code string, d time.Duration) {
	if m == nil {
		return
	}
	m.requests.WithLabelValues(op, code).Inc()
	m.latency.WithLabelValues(op).Observe(d.Seconds())
}
