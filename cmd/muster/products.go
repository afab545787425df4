package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"

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
	endpoint := fs.String("endpoint", envOr("MUSTER_ENDPOINT", "http://127.0.0.1:7070"), "the server's URL (env MUSTER_ENDPOINT)")
	region := fs.String("region", "", "region to sign for (default: AWS_REGION or the profile's, else us-east-1)")
	profile := fs.String("profile", "", "shared config profile")
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
	body, err := json.Marshal(p)
	if err != nil {
		return err
	}
	var opts []func(*awsconfig.LoadOptions) error
	if *region != "" {
		opts = append(opts, awsconfig.WithRegion(*region))
	}
	if *profile != "" {
		opts = append(opts, awsconfig.WithSharedConfigProfile(*profile))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return err
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		return fmt.Errorf("no AWS credentials to sign with: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(*endpoint, "/")+"/muster/v1/products", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "securityhub", cfg.Region, time.Now()); err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var e struct{ Code, Message string }
		if json.Unmarshal(out, &e) == nil && e.Code != "" {
			return fmt.Errorf("%s: %s", e.Code, e.Message)
		}
		return fmt.Errorf("%s: %s", resp.Status, out)
	}
	var r struct{ ProductArn string }
	if err := json.Unmarshal(out, &r); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "registered %s/%s (%s)\n", p.CompanyID, p.ProductID, p.ProductName)
	fmt.Fprintf(stdout, "ProductArn in %s: %s\n", cfg.Region, r.ProductArn)
	fmt.Fprintf(stdout, "in every region: arn:aws:securityhub:REGION:%s:product/%s/%s\n", p.HomeAccount, p.CompanyID, p.ProductID)
	return nil
}
