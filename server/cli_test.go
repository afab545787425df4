package server_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// awsCLI runs the real AWS CLI against the server as account key.
func awsCLI(t *testing.T, url, key string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("aws", append([]string{"--endpoint-url", url, "--region", "us-east-1", "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(),
		"AWS_ACCESS_KEY_ID="+key, "AWS_SECRET_ACCESS_KEY=x", "AWS_SESSION_TOKEN=",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=",
		"AWS_MAX_ATTEMPTS=1",
	)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestAWSCLI is the end-to-end run with the AWS CLI, as a user would type
// it: enable a hub, import a file, query with filters, see errors.
func TestAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the aws CLI is required (scripts/test-deps.sh installs it)")
	}
	s := start(t, nil)
	url := s.URL()
	run := func(args ...string) string {
		t.Helper()
		out, err := awsCLI(t, url, acct, args...)
		if err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}

	out, err := awsCLI(t, url, acct, "securityhub", "describe-hub")
	if err == nil || !strings.Contains(out, "InvalidAccessException") || !strings.Contains(out, "not subscribed to AWS Security Hub") {
		t.Fatalf("describe-hub before enable: %v\n%s", err, out)
	}
	run("securityhub", "enable-security-hub")
	if out := run("securityhub", "describe-hub"); !strings.Contains(out, `"HubArn": "arn:aws:securityhub:us-east-1:111111111111:hub/default"`) {
		t.Fatalf("describe-hub: %s", out)
	}

	file := filepath.Join(t.TempDir(), "findings.json")
	findings := "[" + finding(acct, "us-east-1", "cli-1") + "," +
		strings.Replace(finding(acct, "us-east-1", "cli-2"), `"Label":"HIGH"`, `"Label":"CRITICAL"`, 1) + "," +
		strings.Replace(finding(acct, "us-east-1", "cli-bad"), `"Label":"HIGH"`, `"Label":"EXTREME"`, 1) + "]"
	if err := os.WriteFile(file, []byte(findings), 0o644); err != nil {
		t.Fatal(err)
	}
	var imp struct {
		FailedCount, SuccessCount int
		FailedFindings            []struct{ Id, ErrorCode, ErrorMessage string }
	}
	if err := json.Unmarshal([]byte(run("securityhub", "batch-import-findings", "--findings", "file://"+file)), &imp); err != nil {
		t.Fatal(err)
	}
	if imp.SuccessCount != 2 || imp.FailedCount != 1 || imp.FailedFindings[0].Id != "cli-bad" || !strings.Contains(imp.FailedFindings[0].ErrorMessage, "Severity.Label") {
		t.Fatalf("batch-import-findings: %+v", imp)
	}

	var got struct {
		Findings []struct{ Id, Region string }
	}
	out = run("securityhub", "get-findings", "--filters", `{"SeverityLabel":[{"Value":"CRITICAL","Comparison":"EQUALS"}],"RecordState":[{"Value":"ACTIVE","Comparison":"EQUALS"}]}`)
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Findings) != 1 || got.Findings[0].Id != "cli-2" || got.Findings[0].Region != "us-east-1" {
		t.Fatalf("get-findings CRITICAL: %s", out)
	}
	// The CLI follows NextToken itself; a page size of 1 makes it do so.
	out = run("securityhub", "get-findings", "--page-size", "1")
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Findings) != 2 {
		t.Fatalf("get-findings paged: %d findings\n%s", len(got.Findings), out)
	}
	out, err = awsCLI(t, url, acct, "securityhub", "get-findings", "--filters", `{"NoSuchAttribute":[{"Value":"x","Comparison":"EQUALS"}]}`)
	if err == nil || !strings.Contains(out, "InvalidInputException") {
		// botocore may refuse an unknown member client-side; both are a refusal.
		if !strings.Contains(out, "Unknown parameter") {
			t.Fatalf("unknown filter: %v\n%s", err, out)
		}
	}
	out, err = awsCLI(t, url, acct, "securityhub", "list-members")
	if err == nil || !strings.Contains(out, "NotImplementedException") {
		t.Fatalf("list-members: %v\n%s", err, out)
	}
}
