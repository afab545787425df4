package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/smithy-go"

	"github.com/muster-hub/muster/config"
	"github.com/muster-hub/muster/server"
)

// start runs a server on a random port in a temporary directory, open mode
// unless cfg is given, and stops it when the test ends.
func start(t *testing.T, cfg *config.Config) *server.Server {
	t.Helper()
	return startWith(t, server.Options{Config: cfg})
}

// startWith runs a server with o, on a random port in a temporary
// directory unless o says otherwise, and stops it when the test ends.
func startWith(t *testing.T, o server.Options) *server.Server {
	t.Helper()
	if o.Addr == "" {
		o.Addr = "127.0.0.1:0"
	}
	if o.DataDir == "" {
		o.DataDir = t.TempDir()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(testLogWriter(), nil))
	}
	s, err := server.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Close(ctx); err != nil {
			t.Error(err)
		}
	})
	return s
}

// client returns a real aws-sdk-go-v2 Security Hub client for the server,
// signing as key/secret in region.
func client(s *server.Server, key, secret, region string) *securityhub.Client {
	return securityhub.New(securityhub.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.URL()),
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
		// The SDK's default retries stay on: aws-sdk-go-v2 now and then
		// finds its own connection closed under a response and retries it
		// (aws/aws-sdk-go-v2#2737); without retries about 1% of calls in a
		// loop fail, while net/http's client sees no error.
	})
}

// apiCode returns the AWS error code of err, or "" if it has none.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s, got success", code)
	}
	if got := apiCode(err); got != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

// rawResponse is an HTTP answer read in full.
type rawResponse struct {
	Status int
	Header http.Header
	Body   string
}

// signedRequest sends a hand-made request signed with the real SDK signer,
// for inputs the SDK would not produce (malformed JSON, duplicate keys,
// huge bodies).
func signedRequest(t *testing.T, s *server.Server, method, path, body, key, secret string, at time.Time) rawResponse {
	t.Helper()
	return signedAs(t, s.URL(), method, path, body, aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, "us-east-1", at)
}

// signedAs is signedRequest with any credentials (a session's too) and
// region.
func signedAs(t *testing.T, base, method, path, body string, creds aws.Credentials, region string, at time.Time) rawResponse {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "securityhub", region, at); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// finding returns a minimal valid ASFF finding of account's default
// product as JSON.
func finding(account, region, id string, extra ...string) string {
	ex := ""
	for _, e := range extra {
		ex += "," + e
	}
	return fmt.Sprintf(`{"SchemaVersion":"2018-10-08","Id":%q,"ProductArn":"arn:aws:securityhub:%s:%s:product/%s/default","GeneratorId":"gen-1","AwsAccountId":%q,"Types":["Software and Configuration Checks/Vulnerabilities/CVE"],"CreatedAt":"2024-01-01T00:00:00Z","UpdatedAt":"2024-01-01T00:00:00Z","Severity":{"Label":"HIGH"},"Title":"title","Description":"description","Resources":[{"Type":"AwsS3Bucket","Id":"arn:aws:s3:::bucket-1"}]%s}`,
		id, region, account, account, account, ex)
}

func now() time.Time { return time.Now() }

func httpGet(url string) (rawResponse, error) {
	resp, err := http.Get(url)
	if err != nil {
		return rawResponse{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}, nil
}

func httpPost(url, body string) (rawResponse, error) {
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		return rawResponse{}, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return rawResponse{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}, nil
}

// testLogWriter is where test servers log: nowhere, unless MUSTER_TEST_LOG
// is set.
func testLogWriter() io.Writer {
	if os.Getenv("MUSTER_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}
