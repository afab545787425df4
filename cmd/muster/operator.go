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
)

// operatorClient calls a running server's operator endpoints, signing
// with the usual AWS credential chain as the server's IAM policies expect.
type operatorClient struct {
	endpoint string
	region   string
	signer   func(ctx context.Context, req *http.Request, body []byte) error
}

// operatorFlags are the flags every operator command takes.
type operatorFlags struct{ endpoint, region, profile *string }

// addOperatorFlags defines the operator flags on fs.
func addOperatorFlags(fs *flag.FlagSet) operatorFlags {
	return operatorFlags{
		endpoint: fs.String("endpoint", envOr("MUSTER_ENDPOINT", "http://127.0.0.1:7070"), "the server's URL (env MUSTER_ENDPOINT)"),
		region:   fs.String("region", "", "region to sign for (default: AWS_REGION or the profile's, else us-east-1)"),
		profile:  fs.String("profile", "", "shared config profile"),
	}
}

// client returns the operator client the flags describe.
func (f operatorFlags) client(ctx context.Context) (*operatorClient, error) {
	return newOperatorClient(ctx, *f.endpoint, *f.region, *f.profile)
}

func newOperatorClient(ctx context.Context, endpoint, region, profile string) (*operatorClient, error) {
	cfg, err := loadAWSConfig(ctx, region, profile)
	if err != nil {
		return nil, err
	}
	c := &operatorClient{endpoint: strings.TrimSuffix(endpoint, "/"), region: cfg.Region}
	c.signer = func(ctx context.Context, req *http.Request, body []byte) error {
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			return fmt.Errorf("no AWS credentials to sign with: %w", err)
		}
		sum := sha256.Sum256(body)
		return v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "securityhub", cfg.Region, time.Now())
	}
	return c, nil
}

// call sends one request and decodes the JSON answer into out (if not
// nil); an AWS-shaped error becomes "Code: Message".
func (c *operatorClient) call(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, c.endpoint+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := c.signer(ctx, req, body); err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		var e struct{ Code, Message string }
		if json.Unmarshal(b, &e) == nil && e.Code != "" {
			return fmt.Errorf("%s: %s", e.Code, e.Message)
		}
		return fmt.Errorf("%s: %s", resp.Status, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}
