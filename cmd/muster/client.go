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
	var opts []func(*config.LoadOptions) error
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	return securityhub.NewFromConfig(cfg, func(o *securityhub.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	}), nil
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
	endpoint := fs.String("endpoint", "", "endpoint to measure (default: start a server in a temporary directory)")
	findings := fs.Int("findings", 100000, "findings to import")
	concurrency := fs.Int("concurrency", 8, "concurrent SDK clients")
	queries := fs.Int("queries", 50, "GetFindings calls per query kind")
	region := fs.String("region", "us-east-1", "region")
	settle := fs.Duration("settle", 10*time.Second, "wait between the import and the queries, so queries see a store at rest")
	if err := fs.Parse(args); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	_, err = bench.Run(ctx, bench.Options{
		Endpoint: *endpoint,
		ServerCmd: func(addr, dataDir string) *exec.Cmd {
			cmd := exec.Command(self, "serve", "--addr", addr, "--data", dataDir)
			cmd.Stderr = io.Discard
			return cmd
		},
		Findings:    *findings,
		Concurrency: *concurrency,
		Queries:     *queries,
		Region:      *region,
		Settle:      *settle,
		Out:         stdout,
	})
	return err
}
