// Command muster is a self-hosted security findings hub that speaks the AWS
// Security Hub API.
//
//	muster serve   [--addr 127.0.0.1:7070] [--data ./muster-data] [--config muster.yaml]
//	               [--retention 90d] [--archived-retention 30d] [--clock-offset 0]
//	muster import  [--endpoint URL] [--region R] FILE...
//	muster bench   [--endpoint URL] [--findings N] [--concurrency C]
//	               [--workload import|mixed|retention]
//	muster products register [--endpoint URL] [--region R] [--profile P] MANIFEST
//	muster action  send ACTION-ARN (--finding ID... | --insight ARN)
//	muster rules   list | put NAME FILE | delete NAME | dead-letters | replay ID
//	muster usage   [--data ./muster-data] [--from YYYY-MM-DD] [--to YYYY-MM-DD]
//	muster version
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "muster:", err)
		os.Exit(1)
	}
}

const usage = `usage: muster <command> [flags]

Commands:
  serve     run the server (open mode without --config)
  import    send ASFF findings from files to an endpoint
  bench     measure import and query speed
  products  register a product integration manifest on a running server
  action    send a custom action's events (findings or insight results)
  rules     manage event rules and dead letters on a running server
  usage     findings ingested per account, product and day
  version   print the version

Run 'muster <command> -h' for a command's flags.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command")
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "import":
		return importFiles(ctx, args[1:], stdout, stderr)
	case "bench":
		return runBench(ctx, args[1:], stdout, stderr)
	case "products":
		return productsCmd(ctx, args[1:], stdout, stderr)
	case "action":
		return actionCmd(ctx, args[1:], stdout, stderr)
	case "rules":
		return rulesCmd(ctx, args[1:], stdout, stderr)
	case "usage":
		return usageCmd(ctx, args[1:], stdout, stderr)
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, "muster", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// envOr returns the environment variable name, or def when it is unset, so
// that every flag can also come from MUSTER_* variables.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}
