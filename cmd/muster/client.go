package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/muster-hub/muster/bench"
	"github.com/muster-hub/muster/importer"
)

// newClient builds a Security Hub client the way the AWS CLI would: the
// usual credential chain and region, with endpoint (when given) replacing
// AWS's, so `muster import` works against Muster and AWS alike.
func newClient(ctx context.Context, endpoint, region, profile string) (*securityhub.Client, error) {
	cfg, err := loadAWSConfig(ctx, region, profile)
	if err != nil {
		return nil, err
	}
	return securityhub.NewFromConfig(cfg, func(o *securityhub.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
}

// loadAWSConfig loads the usual AWS configuration — credential chain,
// region, profile — as the AWS CLI would, with region and profile (when
// given) replacing the environment's, and us-east-1 when none says.
func loadAWSConfig(ctx context.Context, region, profile string) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err == nil && cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return cfg, err
}

func importFiles(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", envOr("MUSTER_ENDPOINT", ""), "endpoint URL, e.g. http://127.0.0.1:7070 (default: AWS) (env MUSTER_ENDPOINT)")
	region := fs.String("region", "", "region (default: AWS_REGION or the profile's, else us-east-1)")
	profile := fs.String("profile", "", "shared config profile")
	concurrency := fs.Int("concurrency", 4, "concurrent BatchImportFindings calls")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: muster import [flags] FILE... ('-' reads standard input)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("no files to import")
	}
	client, err := newClient(ctx, *endpoint, *region, *profile)
	if err != nil {
		return err
	}
	sum, err := importer.Run(ctx, importer.Options{
		Files:       fs.Args(),
		Stdin:       os.Stdin,
		Client:      client,
		Concurrency: *concurrency,
		Progress:    stderr,
	})
	if sum != nil {
		sum.Print(stdout)
	}
	if err != nil {
		return err
	}
	if !sum.OK() {
		return fmt.Errorf("%d of %d findings were not imported", sum.Failed, sum.Read)
	}
	return nil
}

func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	workload := fs.String("workload", bench.WorkloadImport, "what to measure after importing the findings: import, mixed or retention (see above)")
	endpoint := fs.String("endpoint", "", "endpoint to measure (default: start a server in a temporary directory); not with --workload retention")
	findings := fs.Int("findings", 100000, "findings to import first")
	concurrency := fs.Int("concurrency", 8, "concurrent SDK clients importing")
	queries := fs.Int("queries", 50, "import: GetFindings calls per query kind")
	region := fs.String("region", "us-east-1", "region")
	settle := fs.Duration("settle", 10*time.Second, "wait after the first import, so that what follows sees a store at rest")
	preloaded := fs.Bool("preloaded", false, "the --endpoint already holds the --findings findings (a copy of a store an earlier run loaded, with the same --region): skip importing them")
	duration := fs.Duration("duration", time.Minute, "mixed: how long the mixed workload runs")
	updaters := fs.Int("updaters", 2, "mixed: concurrent BatchUpdateFindings clients")
	reimport := fs.Float64("reimport", 0.3, "mixed: share of each import batch that re-imports stored findings (0 for none)")
	importRate := fs.Float64("import-rate", 0, "mixed, and the import of --events: pace the importers at this many findings/s in all (default 0: as fast as the server takes them)")
	updateRate := fs.Float64("update-rate", 0, "mixed: pace the BatchUpdateFindings clients at this many calls/s in all (default 0: back to back)")
	queryRate := fs.Float64("query-rate", 0, "mixed: pace the GetFindings client at this many calls/s (default 0: back to back)")
	compare := fs.Int("compare-findings", 0, "mixed: findings of each kind in the fresh-import and re-import phases, each alone (default a quarter of --findings, at most 50000)")
	baseline := fs.Duration("baseline", 20*time.Second, "retention: how long to import before the restart, for the import rate without deletions")
	events := fs.Bool("events", false, "create 3 rules with a webhook target each (a receiver in the bench) before the import, and report delivery lag; compare the import rate with a run without --events")
	auth := fs.Bool("auth", false, "run the started server in config mode, signing as a user whose identity policy has 20 statements (compare with a run without --auth for the cost of authorization)")
	timeout := fs.Duration("retention-timeout", 30*time.Minute, "retention: how long to wait for the retention job to delete every expired finding")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: muster bench [flags]

Imports --findings generated findings with --concurrency aws-sdk-go-v2
clients (SigV4, batches of 100), then runs the workload:

  import     (default) times each kind of GetFindings query --queries times.
  mixed      imports, re-imports, BatchUpdateFindings and GetFindings together.
             First fresh imports and re-imports (newer UpdatedAt, changed
             Compliance, RecordState, Severity) of --compare-findings each,
             alone; then for --duration: the importers send batches of which
             --reimport are re-imports of stored findings, --updaters clients
             send BatchUpdateFindings of 100 stored findings, one client runs
             the GetFindings queries in turn, all back to back (--import-rate
             paces the importers, --update-rate the updaters and --query-rate
             the GetFindings client; AWS's per-account quotas are 1000
             findings/s, 10 and 3 calls/s). Targets: BatchUpdateFindings p95
             <= 50 ms; re-import rate >= 80% of fresh-import rate.
  retention  needs the server the bench starts (no --endpoint). Imports fresh
             findings for --baseline, restarts the server with
             --clock-offset 91d --retention-interval 1s so that every stored
             finding has expired, and imports while the retention job deletes
             them, reading muster_retention_deleted_total from /metrics.
             Target: import rate during the deletion >= half the baseline.
             Then checks that GetFindings finds no old finding.

Every figure is measured by this run; targets are defined at 1,000,000
stored findings on the project's 2-core machine.

Flags:
`)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return fmt.Errorf("bench takes no arguments, got %q", fs.Args())
	}
	switch *workload {
	case bench.WorkloadImport, bench.WorkloadMixed, bench.WorkloadRetention:
	default:
		return fmt.Errorf("--workload %q: want import, mixed or retention", *workload)
	}
	if *workload == bench.WorkloadRetention && *endpoint != "" {
		return fmt.Errorf("--workload retention restarts the server with its clock moved forward, so it cannot use --endpoint")
	}
	if *reimport < 0 || *reimport > 1 {
		return fmt.Errorf("--reimport %v: want a share between 0 and 1", *reimport)
	}
	if *reimport == 0 {
		*reimport = -1 // none; the zero value of the option means the default
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	_, err = bench.Run(ctx, bench.Options{
		Workload: *workload,
		Endpoint: *endpoint,
		ServerCmd: func(addr, dataDir string, extra ...string) *exec.Cmd {
			return exec.Command(self, append([]string{"serve", "--addr", addr, "--data", dataDir}, extra...)...)
		},
		Auth:             *auth,
		Events:           *events,
		Findings:         *findings,
		Concurrency:      *concurrency,
		Queries:          *queries,
		Region:           *region,
		Settle:           *settle,
		Preloaded:        *preloaded,
		Out:              stdout,
		Duration:         *duration,
		Updaters:         *updaters,
		Reimport:         *reimport,
		ImportRate:       *importRate,
		UpdateRate:       *updateRate,
		QueryRate:        *queryRate,
		CompareFindings:  *compare,
		Baseline:         *baseline,
		RetentionTimeout: *timeout,
	})
	return err
}
