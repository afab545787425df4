package main

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/muster-hub/muster/config"
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
	if err := fs.Parse(args); err != nil {
		return err
	}
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
	s, err := server.Open(server.Options{Addr: *addr, DataDir: *data, Config: cfg, Logger: logger})
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
