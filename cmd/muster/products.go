package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/muster-hub/muster/config"
)

// productsCmd manages the product catalog of a running server:
//
//	muster products register [--endpoint URL] [--region R] [--profile P] MANIFEST
//
// The request is signed with the usual AWS credential chain, and the
// server authorizes it as muster:RegisterProduct on the product's ARN.
func productsCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "register" {
		fmt.Fprintln(stderr, "usage: muster products register [flags] MANIFEST")
		return fmt.Errorf("unknown or missing products subcommand")
	}
	fs := flag.NewFlagSet("products register", flag.ContinueOnError)
	fs.SetOutput(stderr)
	of := addOperatorFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: muster products register [flags] MANIFEST (YAML or JSON)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return fmt.Errorf("one manifest file is needed")
	}
	p, err := config.LoadManifest(fs.Arg(0))
	if err != nil {
		return err
	}
	c, err := of.client(ctx)
	if err != nil {
		return err
	}
	var r struct{ ProductArn string }
	if err := c.call(ctx, "POST", "/muster/v1/products", p, &r); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "registered %s/%s (%s)\n", p.CompanyID, p.ProductID, p.ProductName)
	fmt.Fprintf(stdout, "ProductArn in %s: %s\n", c.region, r.ProductArn)
	fmt.Fprintf(stdout, "in every region: arn:aws:securityhub:REGION:%s:product/%s/%s\n", p.HomeAccount, p.CompanyID, p.ProductID)
	return nil
}
