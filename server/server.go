// Package server assembles a running Muster — the store, the hub service,
// SigV4 verification and the HTTP API — from its options. `muster serve`
// runs one, and tests start one on a random port to drive it with real
// clients.
package server

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/config"
	"github.com/muster-hub/muster/delivery"
	"github.com/muster-hub/muster/httpapi"
	"github.com/muster-hub/muster/hub"
	"github.com/muster-hub/muster/sigv4"
	"github.com/muster-hub/muster/sqlite"
	"github.com/muster-hub/muster/sts"
	"github.com/muster-hub/muster/stsapi"
)

// Options configure a Server.
type Options struct {
	// Addr is the listen address; "127.0.0.1:0" picks a free port.
	Addr string
	// DataDir holds the SQLite database and the pagination token key.
	DataDir string
	// Config is the parsed configuration file; nil runs in open mode.
	Config *config.Config
	Logger *slog.Logger
	// Now replaces the hub's clock — ProcessedAt, history, retention —
	// so that tests and operators can move time forward. Signatures are
	// still checked against the real clock, since clients sign with it.
	Now func() time.Time
	// Retention is how long findings live; zero members take AWS's
	// durations (hub.DefaultRetention).
	Retention hub.Retention
	// RetentionInterval is how often the retention job runs; zero is
	// DefaultRetentionInterval, negative disables the job.
	RetentionInterval time.Duration
	// SessionClock is the clock temporary credentials from AssumeRole
	// expire by; nil is time.Now. Tests move it to expire a session.
	SessionClock func() time.Time
}

// DefaultRetentionInterval is how often the retention job looks for
// findings that have aged out. Findings live for weeks, so a minute late
// is nothing, and a run that finds nothing costs two index seeks.
const DefaultRetentionInterval = time.Minute

// Server is a running Muster.
type Server struct {
	Service *hub.Service
	Store   muster.Store

	opts     Options
	listener net.Listener
	http     *http.Server
	done     chan error
	metrics  *lifecycleMetrics
	stopJobs context.CancelFunc
	jobsDone chan struct{}

	dispatcher *delivery.Dispatcher
	rulesMu    sync.Mutex
}

// Open opens the store and prepares the server; Start begins serving.
func Open(o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if err := os.MkdirAll(o.DataDir, 0o755); err != nil {
		return nil, err
	}
	key, err := tokenKey(filepath.Join(o.DataDir, "token.key"))
	if err != nil {
		return nil, err
	}
	writes := newWriteMetrics()
	store, err := sqlite.Open(filepath.Join(o.DataDir, "muster.db"),
		sqlite.WithWriteObserver(writes.observe), sqlite.WithCheckpointObserver(writes.observeCheckpoint),
		sqlite.WithMigrationObserver(func(name string, took time.Duration) {
			// A new store takes every migration in milliseconds; a large
			// one may take seconds before the server listens, which the
			// operator should see.
			level := slog.LevelDebug
			if took >= time.Second {
				level = slog.LevelInfo
			}
			o.Logger.Log(context.Background(), level, "store migrated", "migration", name, "took", took.Round(time.Millisecond))
		}))
	if err != nil {
		return nil, err
	}
	svc := hub.New(store, key)
	svc.Now = o.Now
	if o.Retention.Active > 0 {
		svc.Retention.Active = o.Retention.Active
	}
	if o.Retention.Archived > 0 {
		svc.Retention.Archived = o.Retention.Archived
	}
	if o.RetentionInterval == 0 {
		o.RetentionInterval = DefaultRetentionInterval
	}
	if o.SessionClock == nil {
		o.SessionClock = time.Now
	}
	if c := o.Config; c != nil {
		for id, acct := range c.Accounts {
			if acct == nil {
				continue
			}
			for name, u := range acct.Users {
				if u != nil && len(u.Policies) == 0 {
					// Config mode denies what no policy allows; a
					// config written before policies existed would
					// otherwise fail every request without a word.
					o.Logger.Warn("user has no policies: config mode denies every request it makes", "account", id, "user", name)
				}
			}
		}
		for _, p := range c.Catalog() {
			if err := svc.RegisterProduct(context.Background(), p); err != nil {
				store.Close()
				return nil, fmt.Errorf("registering product %s/%s from the config: %w", p.CompanyID, p.ProductID, err)
			}
		}
	}

	ids := &identities{config: o.Config, sealer: sts.NewSealer(key), now: o.SessionClock}
	verifier := &sigv4.Verifier{Service: "securityhub", Now: time.Now}
	stsVerifier := &sigv4.Verifier{Service: "sts", Now: time.Now}
	if o.Config != nil {
		verifier.Secret = ids.secret
		stsVerifier.Secret = ids.secret
	}
	stsSvc := &sts.Service{Roles: ids.role, Sealer: ids.sealer, Now: o.SessionClock}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(findingsGauge(store), writes.seconds, writes.checkpoints)
	lm := newLifecycleMetrics(reg)
	svc.Observer = lm
	dopts := delivery.Options{Store: store, Observer: newDeliveryMetrics(reg), Logger: o.Logger}
	if c := o.Config; c != nil {
		dopts.Attempts, dopts.Backoff, dopts.MaxBackoff = c.Delivery.Attempts, time.Duration(c.Delivery.Backoff), time.Duration(c.Delivery.MaxBackoff)
	}
	dispatcher := delivery.New(dopts)
	svc.Events = dispatcher
	api := httpapi.New(svc, verifier, ids.hubCaller, o.Logger, httpapi.NewMetrics(reg))
	api.STS = stsapi.New(stsSvc, stsVerifier, ids.stsCaller, o.Logger)

	s := &Server{Service: svc, Store: store, opts: o, metrics: lm, dispatcher: dispatcher}
	api.Operator = s
	if err := s.reloadRules(context.Background()); err != nil {
		dispatcher.Close()
		store.Close()
		return nil, fmt.Errorf("starting event delivery: %w", err)
	}
	s.http = &http.Server{
		Handler:           api,
		ReadHeaderTimeout: 10 * time.Second,
		// Without IdleTimeout, net/http closes idle keep-alive connections
		// after ReadHeaderTimeout, and a client that pauses 10 s between
		// calls races the close and pays a retry with backoff.
		IdleTimeout: 2 * time.Minute,
		// Bounds how long a client may take to send a request (at most
		// 6 MB), so slow senders cannot hold connections open forever.
		ReadTimeout: time.Minute,
		ErrorLog:    slog.NewLogLogger(o.Logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Start listens on the configured address and serves in the background.
func (s *Server) Start() error {
	l, err := net.Listen("tcp", s.opts.Addr)
	if err != nil {
		return err
	}
	s.listener = l
	s.done = make(chan error, 1)
	go func() { s.done <- s.http.Serve(l) }()
	s.startJobs()
	s.opts.Logger.Info("muster listening", "addr", l.Addr().String(), "data", s.opts.DataDir, "open_mode", s.opts.Config == nil,
		"retention_active", s.Service.Retention.Active.String(), "retention_archived", s.Service.Retention.Archived.String())
	return nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.listener.Addr().String() }

// URL is the endpoint URL clients use.
func (s *Server) URL() string { return "http://" + s.Addr() }

// Close stops accepting requests, waits for those in flight up to ctx's
// deadline, then closes the store so that its files are left clean.
func (s *Server) Close(ctx context.Context) error {
	var errs []error
	s.stopBackground()
	if s.listener != nil {
		if err := s.http.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := <-s.done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, err)
		}
	}
	if err := s.dispatcher.Close(); err != nil {
		errs = append(errs, err)
	}
	if err := s.Store.Close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// tokenKey returns the key that signs pagination tokens, created on first
// use and kept in the data directory so tokens survive a restart.
func tokenKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil && len(b) == 32 {
		return b, nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	b = make([]byte, 32)
	rand.Read(b)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("writing token key: %w", err)
	}
	return b, nil
}

// findingsGauge reports how many findings are stored, counted at most
// every few seconds because a count walks an index.
func findingsGauge(store muster.Store) prometheus.Collector {
	var (
		mu    sync.Mutex
		last  time.Time
		count float64
	)
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "muster_findings_stored",
		Help: "Findings held in the store.",
	}, func() float64 {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) > 5*time.Second {
			if n, err := store.CountFindings(context.Background()); err == nil {
				count, last = float64(n), time.Now()
			}
		}
		return count
	})
}

// writeMetrics shows where the store's write latency goes, by the kind of
// request: "update" for customer triage (BatchUpdateFindings, which goes
// ahead of imports) and "write" for the rest, imports first of all.
// Its checkpoints are the writes' longest waits (see
// sqlite.CheckpointStats).
type writeMetrics struct {
	seconds     *prometheus.HistogramVec
	checkpoints prometheus.Histogram
}

func newWriteMetrics() *writeMetrics {
	buckets := []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
	return &writeMetrics{
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "muster_store_write_seconds",
			Help:    "Time of the store's write requests by phase: wait (queued behind other groups), run (the request's statements) and commit (its group's COMMIT).",
			Buckets: buckets,
		}, []string{"kind", "phase"}),
		checkpoints: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "muster_store_checkpoint_seconds",
			Help:    "Time of the checkpoints the store's writer runs itself so that the WAL can start over; every write waits meanwhile.",
			Buckets: buckets,
		}),
	}
}

func (m *writeMetrics) observeCheckpoint(s sqlite.CheckpointStats) {
	m.checkpoints.Observe(s.Took.Seconds())
}

func (m *writeMetrics) observe(s sqlite.WriteStats) {
	kind := s.Kind()
	m.seconds.WithLabelValues(kind, "wait").Observe(s.Wait.Seconds())
	m.seconds.WithLabelValues(kind, "run").Observe(s.Run.Seconds())
	m.seconds.WithLabelValues(kind, "commit").Observe(s.Commit.Seconds())
}
