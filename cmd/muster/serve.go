package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime/debug"
	"time"

	"github.com/muster-hub/muster/config"
	"github.com/muster-hub/muster/hub"
	"github.com/muster-hub/muster/server"
)

func serve(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("MUSTER_ADDR", "127.0.0.1:7070"), "listen address (env MUSTER_ADDR)")
	data := fs.String("data", envOr("MUSTER_DATA", "./muster-data"), "data directory (env MUSTER_DATA)")
	cfgPath := fs.String("config", envOr("MUSTER_CONFIG", ""), "configuration file; none runs in open mode (env MUSTER_CONFIG)")
	logFormat := fs.String("log-format", envOr("MUSTER_LOG_FORMAT", "text"), "log format: text or json (env MUSTER_LOG_FORMAT)")
	pprofAddr := fs.String("pprof", envOr("MUSTER_PPROF", ""), "serve Go's pprof profiles on this address, for performance work (env MUSTER_PPROF)")
	var retention, archived, offset, interval config.Duration
	if err := envDuration(&retention, "MUSTER_RETENTION"); err != nil {
		return err
	}
	if err := envDuration(&archived, "MUSTER_ARCHIVED_RETENTION"); err != nil {
		return err
	}
	if err := envDuration(&offset, "MUSTER_CLOCK_OFFSET"); err != nil {
		return err
	}
	if err := envDuration(&interval, "MUSTER_RETENTION_INTERVAL"); err != nil {
		return err
	}
	fs.Var(&retention, "retention", "how long an active finding lives after its last update, e.g. 90d; overrides the config file (env MUSTER_RETENTION; default 90d, as AWS)")
	fs.Var(&archived, "archived-retention", "the same for an archived finding (env MUSTER_ARCHIVED_RETENTION; default 30d, as AWS)")
	fs.Var(&interval, "retention-interval", "how often the retention job runs (env MUSTER_RETENTION_INTERVAL; default 1m)")
	fs.Var(&offset, "clock-offset", "move the hub's clock this far forward, e.g. 91d, to see retention and date filters act without waiting; signatures still use the real clock (env MUSTER_CLOCK_OFFSET)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	tuneGC()
	var h slog.Handler = slog.NewTextHandler(stderr, nil)
	if *logFormat == "json" {
		h = slog.NewJSONHandler(stderr, nil)
	}
	logger := slog.New(h)

	if *pprofAddr != "" {
		go func() {
			// The profiles stay off the API listener: they expose internals.
			err := http.ListenAndServe(*pprofAddr, pprofMux())
			logger.Error("pprof server stopped", "error", err)
		}()
	}

	var cfg *config.Config
	if *cfgPath != "" {
		c, err := config.Load(*cfgPath)
		if err != nil {
			return err
		}
		cfg = c
	}
	opts := server.Options{Addr: *addr, DataDir: *data, Config: cfg, Logger: logger, RetentionInterval: time.Duration(interval)}
	if cfg != nil {
		opts.Retention = hub.Retention{Active: time.Duration(cfg.Retention), Archived: time.Duration(cfg.ArchivedRetention)}
	}
	if retention > 0 {
		opts.Retention.Active = time.Duration(retention)
	}
	if archived > 0 {
		opts.Retention.Archived = time.Duration(archived)
	}
	if offset > 0 {
		d := time.Duration(offset)
		opts.Now = func() time.Time { return time.Now().Add(d) }
		logger.Warn("the hub's clock runs ahead of real time", "offset", offset.String())
	}
	s, err := server.Open(opts)
	if err != nil {
		return err
	}
	if err := s.Start(); err != nil {
		s.Close(context.Background())
		return err
	}
	<-ctx.Done()
	logger.Info("shutting down: draining requests")
	shutdown, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return s.Close(shutdown)
}

func pprofMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// envDuration sets d from the environment variable name when it is set.
func envDuration(d *config.Duration, name string) error {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		if err := d.Set(v); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
	}
	return nil
}

// The garbage collector's settings for the server, unless GOGC or
// GOMEMLIMIT give them. The server's live Go heap is small, a few MB with
// a million findings stored, since the page caches are SQLite's and not
// the Go heap's; at Go's default GOGC of 100 the collector ran about 15
// times a second under the mixed bench, and took CPU and write-barrier
// time from the writer. At 400 it runs a fifth as often; a
// BatchUpdateFindings of 100 findings spent a quarter less time in the
// writer (docs/performance.md). The soft limit bounds what the heap may
// grow to when its live part is large, where 400 would let it reach five
// times that.
const (
	gcPercent  = 400
	gcMemLimit = 512 << 20
)

func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(gcMemLimit)
	}
}
