package server_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestAWSCLIRoleProfiles runs the partner flows with the AWS CLI as a
// vendor configures it: named profiles, the customer's role assumed with
// role_arn + external_id + source_profile, and endpoint URLs for both
// securityhub and sts in the config file.
func TestAWSCLIRoleProfiles(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the aws CLI is required (scripts/test-deps.sh installs it)")
	}
	s, _ := startPartners(t)
	dir := t.TempDir()
	cfg := `[profile alice]
region = us-west-2
services = muster

[profile partner]
region = us-west-2
services = muster

[profile customer-import]
role_arn = ` + importRole + `
source_profile = partner
external_id = ext-1
role_session_name = cli-import
region = us-west-2
services = muster

[profile wrong-external-id]
role_arn = ` + importRole + `
source_profile = partner
external_id = not-the-one
region = us-west-2
services = muster

[services muster]
securityhub =
  endpoint_url = ` + s.URL() + `
sts =
  endpoint_url = ` + s.URL() + `
`
	creds := `[alice]
aws_access_key_id = AKIAALICE0000000001
aws_secret_access_key = alice-secret

[partner]
aws_access_key_id = AKIAPARTNER00000001
aws_secret_access_key = partner-secret
`
	os.WriteFile(filepath.Join(dir, "config"), []byte(cfg), 0o600)
	os.WriteFile(filepath.Join(dir, "credentials"), []byte(creds), 0o600)
	cli := func(profile string, args ...string) (string, error) {
		t.Helper()
		cmd := exec.Command("aws", append([]string{"--profile", profile, "--output", "json"}, args...)...)
		env := []string{}
		for _, e := range os.Environ() {
			if !strings.HasPrefix(e, "AWS_") && !strings.HasPrefix(e, "HOME=") {
				env = append(env, e)
			}
		}
		// HOME too: the CLI caches assumed-role credentials under
		// ~/.aws/cli/cache, and another test server's would not do here.
		cmd.Env = append(env, "HOME="+dir, "AWS_CONFIG_FILE="+filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"), "AWS_PAGER=", "AWS_MAX_ATTEMPTS=1")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	run := func(profile string, args ...string) string {
		t.Helper()
		out, err := cli(profile, args...)
		if err != nil {
			t.Fatalf("aws --profile %s %s: %v\n%s", profile, strings.Join(args, " "), err, out)
		}
		return out
	}

	run("alice", "securityhub", "enable-security-hub")
	if out := run("alice", "securityhub", "enable-import-findings-for-product", "--product-arn", threatSlayer); !strings.Contains(out, threatSlayerSub) {
		t.Fatalf("enable-import-findings-for-product: %s", out)
	}
	if out := run("customer-import", "sts", "get-caller-identity"); !strings.Contains(out, "arn:aws:sts::111111111111:assumed-role/ThreatSlayerImport/cli-import") {
		t.Fatalf("get-caller-identity through the role: %s", out)
	}

	write := func(name string, findings ...string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte("["+strings.Join(findings, ",")+"]"), 0o600)
		return "file://" + p
	}
	importOK := func(profile, file string, want int) {
		t.Helper()
		var out struct{ SuccessCount, FailedCount int }
		if err := json.Unmarshal([]byte(run(profile, "securityhub", "batch-import-findings", "--findings", file)), &out); err != nil {
			t.Fatal(err)
		}
		if out.SuccessCount != want || out.FailedCount != 0 {
			t.Fatalf("%s import: %+v", profile, out)
		}
	}
	// From the partner's account, and from the customer's through the role.
	importOK("partner", write("p.json", productFinding(customer, threatSlayer, "cli-p")), 1)
	importOK("customer-import", write("r.json", productFinding(customer, threatSlayer, "cli-r")), 1)

	var got struct{ Findings []struct{ Id string } }
	json.Unmarshal([]byte(run("alice", "securityhub", "get-findings")), &got)
	if len(got.Findings) != 2 {
		t.Fatalf("customer sees %+v", got.Findings)
	}

	fails := []struct {
		name, profile, file, want string
	}{
		{"wrong external id", "wrong-external-id", write("w.json", productFinding(customer, threatSlayer, "cli-w")), "AccessDenied"},
		{"foreign account", "customer-import", write("f.json", productFinding(customer2, threatSlayer, "cli-f")), "is not authorized to perform: securityhub:BatchImportFindings on resource: " + threatSlayer},
		{"changed account number", "partner", write("a.json", productFinding(customer, strings.Replace(threatSlayer, partner, "999999999999", 1), "cli-a")), "AccessDeniedException"},
		{"other region", "partner", write("g.json", strings.Replace(productFinding(customer, threatSlayer, "cli-g"), "us-west-2:222222222222", "eu-west-1:222222222222", 1)), "InvalidInputException"},
		{"product not subscribed", "alice", write("n.json", productFinding(customer, prowler, "cli-n")), "AccessDeniedException"},
	}
	for _, f := range fails {
		out, err := cli(f.profile, "securityhub", "batch-import-findings", "--findings", f.file)
		if err == nil || !strings.Contains(out, f.want) {
			t.Errorf("%s: %v\n%s", f.name, err, out)
		}
	}

	// A disabled subscription: the partner's batch fails per finding.
	run("alice", "securityhub", "disable-import-findings-for-product", "--product-subscription-arn", threatSlayerSub)
	var out struct {
		FailedCount    int
		FailedFindings []struct{ ErrorCode string }
	}
	json.Unmarshal([]byte(run("partner", "securityhub", "batch-import-findings", "--findings", write("d.json", productFinding(customer, threatSlayer, "cli-d")))), &out)
	if out.FailedCount != 1 || out.FailedFindings[0].ErrorCode != "InvalidAccess" {
		t.Fatalf("after disable: %+v", out)
	}
}
