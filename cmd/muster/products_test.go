package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
)

// TestProductsRegister registers a manifest on a running server with
// `muster products register`, as an operator allowed muster:RegisterProduct,
// and checks the refusals: a user without that permission, a bad manifest,
// a bad config at start-up.
func TestProductsRegister(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "muster.yaml")
	os.WriteFile(cfg, []byte(`regions: [us-east-1]
accounts:
  "111111111111":
    users:
      ops:
        access_keys: [{id: AKIAOPS000000000001, secret: ops-secret}]
        policies: [{Version: "2012-10-17", Statement: [{Effect: Allow, Action: ["muster:RegisterProduct", "securityhub:*"], Resource: "*"}]}]
      dev:
        access_keys: [{id: AKIADEV000000000001, secret: dev-secret}]
        policies: [{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "securityhub:*", Resource: "*"}]}]
`), 0o644)
	addr := freeAddr(t)
	serveProcess(t, addr, filepath.Join(dir, "data"), "--config", cfg)

	manifest := filepath.Join(dir, "acme.yaml")
	os.WriteFile(manifest, []byte(`company: {id: acmecorp, name: ACME Corp}
product: {id: acme-scanner, name: ACME Scanner, description: Scans things, categories: [Vulnerability]}
home_account: "222222222222"
import_policies: [BATCH_IMPORT_FINDINGS_FROM_PRODUCT_ACCOUNT]
marketplace_url: https://example.com/acme
default_insights:
  - {Name: Critical ACME findings, GroupByAttribute: ResourceId, Filters: {SeverityLabel: [{Value: CRITICAL, Comparison: EQUALS}]}}
`), 0o644)
	register := func(key, secret, file string) (string, error) {
		cmd := exec.Command(binary, "products", "register", "--endpoint", "http://"+addr, "--region", "us-east-1", file)
		cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+key, "AWS_SECRET_ACCESS_KEY="+secret, "AWS_SESSION_TOKEN=",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PROFILE=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := register("AKIAOPS000000000001", "ops-secret", manifest)
	if err != nil || !strings.Contains(out, "arn:aws:securityhub:us-east-1:222222222222:product/acmecorp/acme-scanner") {
		t.Fatalf("register: %v\n%s", err, out)
	}
	out, err = register("AKIADEV000000000001", "dev-secret", manifest)
	if err == nil || !strings.Contains(out, "AccessDeniedException") || !strings.Contains(out, "muster:RegisterProduct") {
		t.Fatalf("register without permission: %v\n%s", err, out)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("company: {id: ac, name: A}\nproduct: {id: acme-scanner, name: S}\nhome_account: \"222222222222\"\n"), 0o644)
	out, err = register("AKIAOPS000000000001", "ops-secret", bad)
	if err == nil || !strings.Contains(out, "bad.yaml") || !strings.Contains(out, "company id \"ac\"") {
		t.Fatalf("bad manifest: %v\n%s", err, out)
	}

	c := securityhub.New(securityhub.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + addr),
		Credentials: credentials.NewStaticCredentialsProvider("AKIADEV000000000001", "dev-secret", "")})
	ctx := context.Background()
	if _, err := c.EnableSecurityHub(ctx, &securityhub.EnableSecurityHubInput{}); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:securityhub:us-east-1:222222222222:product/acmecorp/acme-scanner"
	p, err := c.DescribeProducts(ctx, &securityhub.DescribeProductsInput{ProductArn: aws.String(arn)})
	if err != nil || len(p.Products) != 1 || aws.ToString(p.Products[0].ProductName) != "ACME Scanner" || aws.ToString(p.Products[0].MarketplaceUrl) != "https://example.com/acme" {
		t.Fatalf("DescribeProducts: %+v %v", p, err)
	}
	// The manifest's default insight came through the operator endpoint.
	if _, err := c.EnableImportFindingsForProduct(ctx, &securityhub.EnableImportFindingsForProductInput{ProductArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	ins, err := c.GetInsights(ctx, &securityhub.GetInsightsInput{InsightArns: []string{"arn:aws:securityhub:::insight/acmecorp/acme-scanner/1"}})
	if err != nil || len(ins.Insights) != 1 || aws.ToString(ins.Insights[0].Name) != "Critical ACME findings" {
		t.Fatalf("default insight: %+v %v", ins, err)
	}

	// A config whose manifest is bad is refused at start-up with the file,
	// the line and the reason.
	badCfg := filepath.Join(dir, "bad-config.yaml")
	os.WriteFile(badCfg, []byte(`accounts:
  "111111111111": {}
products:
  - company: {id: acmecorp, name: ACME}
    product: {id: acme-scanner, name: S}
    home_account: "1234"
`), 0o644)
	out2, err := exec.Command(binary, "serve", "--addr", freeAddr(t), "--data", t.TempDir(), "--config", badCfg).CombinedOutput()
	if err == nil || !strings.Contains(string(out2), "bad-config.yaml:4") || !strings.Contains(string(out2), "home account") {
		t.Fatalf("bad config: %v %s", err, out2)
	}
}
