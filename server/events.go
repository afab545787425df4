package server

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/config"
	"github.com/muster-hub/muster/delivery"
	"github.com/muster-hub/muster/delivery/jsonl"
	"github.com/muster-hub/muster/delivery/natsjs"
	"github.com/muster-hub/muster/delivery/webhook"
)

// openTarget makes the adapter of a target spec.
func openTarget(t *muster.TargetSpec) (delivery.Target, error) {
	switch t.Type {
	case muster.TargetWebhook:
		return webhook.New(webhook.Config{URL: t.URL, Secret: t.Secret, Timeout: t.Timeout})
	case muster.TargetNATS:
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return natsjs.New(ctx, natsjs.Config{URL: t.URL, Subject: t.Subject, Stream: t.Stream, Timeout: t.Timeout})
	case muster.TargetFile:
		return jsonl.New(jsonl.Config{Path: t.Path})
	}
	return nil, fmt.Errorf("unknown target type %q", t.Type)
}

// Rules returns every rule: the config file's, then the stored ones.
func (s *Server) Rules(ctx context.Context) ([]*muster.Rule, error) {
	var out []*muster.Rule
	if s.opts.Config != nil {
		out = s.opts.Config.EventRules()
	}
	stored, err := s.Store.Rules(ctx)
	if err != nil {
		return nil, err
	}
	return append(out, stored...), nil
}

// reloadRules rebuilds the dispatcher's routes from the rules.
func (s *Server) reloadRules(ctx context.Context) error {
	s.rulesMu.Lock()
	defer s.rulesMu.Unlock()
	rules, err := s.Rules(ctx)
	if err != nil {
		return err
	}
	routes, err := delivery.BuildRoutes(rules, openTarget)
	if err != nil {
		return err
	}
	return s.dispatcher.SetRoutes(ctx, routes)
}

// PutRule creates or replaces a rule managed through the operator
// endpoint. Its targets are opened before it is stored, so that a rule
// that cannot deliver is refused rather than stored broken.
func (s *Server) PutRule(ctx context.Context, r *muster.Rule) error {
	r.Config = false
	if _, err := delivery.CheckRule(r); err != nil {
		return err
	}
	if s.configRule(r.Name) {
		return muster.Errorf(muster.ResourceConflict, "Rule %s is defined in the configuration file; change it there", r.Name)
	}
	for _, t := range r.Targets {
		tg, err := openTarget(t)
		if err != nil {
			return muster.Errorf(muster.InvalidInput, "rule %s, target %s: %v", r.Name, t.Name, err)
		}
		tg.Close()
	}
	if err := s.Store.PutRule(ctx, r); err != nil {
		return err
	}
	return s.reloadRules(ctx)
}

// DeleteRule deletes a rule managed through the operator endpoint.
func (s *Server) DeleteRule(ctx context.Context, name string) error {
	if s.configRule(name) {
		return muster.Errorf(muster.ResourceConflict, "Rule %s is defined in the configuration file; remove it there", name)
	}
	if err := s.Store.DeleteRule(ctx, name); err != nil {
		return err
	}
	return s.reloadRules(ctx)
}

// configRule reports whether the configuration file defines rule name,
// which only the file may change.
func (s *Server) configRule(name string) bool {
	return s.opts.Config != nil && slices.ContainsFunc(s.opts.Config.Rules, func(r *config.RuleConfig) bool { return r.Name == name })
}

// DeadLetters lists the events targets gave up on.
func (s *Server) DeadLetters(ctx context.Context, target string) ([]*muster.DeadLetter, error) {
	return s.Store.DeadLetters(ctx, target)
}

// Replay delivers a dead letter again.
func (s *Server) Replay(ctx context.Context, id int64) error { return s.dispatcher.Replay(ctx, id) }

// deliveryMetrics reports event delivery to Prometheus.
type deliveryMetrics struct {
	delivered *prometheus.CounterVec
	failed    *prometheus.CounterVec
	dead      *prometheus.CounterVec
	lag       *prometheus.HistogramVec
	backlog   *prometheus.GaugeVec
}

func newDeliveryMetrics(reg prometheus.Registerer) *deliveryMetrics {
	m := &deliveryMetrics{
		delivered: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "muster_event_deliveries_total",
			Help: "Events delivered, by target.",
		}, []string{"target"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "muster_event_delivery_failures_total",
			Help: "Failed delivery attempts, by target; each is retried until the event is dead-lettered.",
		}, []string{"target"}),
		dead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "muster_event_dead_letters_total",
			Help: "Events dead-lettered after every attempt failed, by target.",
		}, []string{"target"}),
		lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "muster_event_delivery_lag_seconds",
			Help:    "Time from an event's change to its delivery, by target.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}, []string{"target"}),
		backlog: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "muster_event_backlog",
			Help: "Outbox events a target has still to look at.",
		}, []string{"target"}),
	}
	reg.MustRegister(m.delivered, m.failed, m.dead, m.lag, m.backlog)
	return m
}

func (m *deliveryMetrics) Delivered(target string, lag time.Duration) {
	m.delivered.WithLabelValues(target).Inc()
	m.lag.WithLabelValues(target).Observe(lag.Seconds())
}
func (m *deliveryMetrics) Failed(target string)       { m.failed.WithLabelValues(target).Inc() }
func (m *deliveryMetrics) DeadLettered(target string) { m.dead.WithLabelValues(target).Inc() }
func (m *deliveryMetrics) Backlog(target string, n int64) {
	m.backlog.WithLabelValues(target).Set(float64(n))
}
