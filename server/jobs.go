package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// startJobs starts the background jobs: for now the retention job, which
// deletes findings that have aged out.
func (s *Server) startJobs() {
	if s.opts.RetentionInterval < 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopJobs, s.jobsDone = cancel, make(chan struct{})
	go func() {
		defer close(s.jobsDone)
		t := time.NewTicker(s.opts.RetentionInterval)
		defer t.Stop()
		for {
			s.RunRetention(ctx)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// stopBackground stops the background jobs and waits for a run in
// progress to finish its batch, so that the store closes idle.
func (s *Server) stopBackground() {
	if s.stopJobs != nil {
		s.stopJobs()
		<-s.jobsDone
		s.stopJobs = nil
	}
}

// RunRetention runs the retention job once and returns how many findings
// it deleted. The background job calls it every RetentionInterval.
func (s *Server) RunRetention(ctx context.Context) int {
	start := time.Now()
	n, err := s.Service.ExpireFindings(ctx)
	s.metrics.retentionRuns.Inc()
	s.metrics.retentionSeconds.Observe(time.Since(start).Seconds())
	if err != nil && ctx.Err() == nil {
		s.metrics.retentionErrors.Inc()
		s.opts.Logger.Error("retention job failed", "err", err, "deleted", n)
		return n
	}
	if n > 0 {
		s.opts.Logger.Info("retention job deleted findings", "deleted", n, "took", time.Since(start).String())
	}
	return n
}

// lifecycleMetrics are the metrics of findings entering and leaving the
// hub; it is the hub.Observer of the server's service.
type lifecycleMetrics struct {
	ingested         *prometheus.CounterVec
	expired          prometheus.Counter
	retentionRuns    prometheus.Counter
	retentionErrors  prometheus.Counter
	retentionSeconds prometheus.Histogram
}

func newLifecycleMetrics(reg prometheus.Registerer) *lifecycleMetrics {
	m := &lifecycleMetrics{
		ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "muster_findings_ingested_total",
			Help: "Findings written by BatchImportFindings (created or updated): the metered finding ingestion events, by account and product.",
		}, []string{"account", "product_arn"}),
		expired: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "muster_retention_deleted_total",
			Help: "Findings deleted by the retention job because they aged out.",
		}),
		retentionRuns: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "muster_retention_runs_total",
			Help: "Runs of the retention job.",
		}),
		retentionErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "muster_retention_errors_total",
			Help: "Runs of the retention job that failed.",
		}),
		retentionSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "muster_retention_run_seconds",
			Help:    "Duration of retention job runs.",
			Buckets: prometheus.ExponentialBuckets(0.001, 4, 10),
		}),
	}
	reg.MustRegister(m.ingested, m.expired, m.retentionRuns, m.retentionErrors, m.retentionSeconds)
	return m
}

// FindingsIngested implements hub.Observer.
func (m *lifecycleMetrics) FindingsIngested(account, productARN string, n int) {
	m.ingested.WithLabelValues(account, productARN).Add(float64(n))
}

// FindingsExpired implements hub.Observer.
func (m *lifecycleMetrics) FindingsExpired(n int) { m.expired.Add(float64(n)) }
