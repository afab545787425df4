package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// TestRulesAndActionCommands manages rules with `muster rules` and sends a
// custom action with `muster action send`, against a running server.
func TestRulesAndActionCommands(t *testing.T) {
	addr, data := freeAddr(t), t.TempDir()
	serveProcess(t, addr, data)
	dir := t.TempDir()
	events := filepath.Join(dir, "actions.jsonl")
	rule := filepath.Join(dir, "rule.yaml")
	os.WriteFile(rule, []byte(`pattern:
  detail-type: [Security Hub Findings - Custom Action]
targets:
  - {type: file, path: `+events+`}
  - {type: webhook, url: "http://127.0.0.1:1/hook", secret: very-secret, timeout: 1s}
`), 0o644)
	if out, err := operate(t, addr, "rules", "put", "to-file", rule); err != nil || !strings.Contains(out, "rule to-file: 2 targets") {
		t.Fatalf("rules put: %v\n%s", err, out)
	}
	out, err := operate(t, addr, "rules", "list")
	if err != nil || !strings.Contains(out, "to-file") || !strings.Contains(out, events) || strings.Contains(out, "very-secret") {
		t.Fatalf("rules list (secrets must not show): %v\n%s", err, out)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("pattern: {detail: {x: [{numeric: [\"<\"]}]}}\ntargets: [{type: file, path: /tmp/x}]\n"), 0o644)
	if out, err := operate(t, addr, "rules", "put", "bad", bad); err == nil || !strings.Contains(out, "bad.yaml") || !strings.Contains(out, "numeric") {
		t.Fatalf("bad rule: %v\n%s", err, out)
	}

	c := sdk(addr)
	ctx := context.Background()
	if _, err := c.EnableSecurityHub(ctx, &securityhub.EnableSecurityHubInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{testFinding("act-1")}}); err != nil {
		t.Fatal(err)
	}
	a, err := c.CreateActionTarget(ctx, &securityhub.CreateActionTargetInput{Id: aws.String("triage"), Name: aws.String("Triage"), Description: aws.String("Send to triage")})
	if err != nil {
		t.Fatal(err)
	}
	if out, err := operate(t, addr, "action", "send", aws.ToString(a.ActionTargetArn), "--finding", "act-1"); err != nil || !strings.Contains(out, "sent event") {
		t.Fatalf("action send: %v\n%s", err, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !eventFindings(t, events)["act-1"] {
		if time.Now().After(deadline) {
			t.Fatal("the custom action's event did not reach the file target")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if out, err := operate(t, addr, "rules", "dead-letters"); err != nil || !strings.Contains(out, "ID") {
		t.Fatalf("rules dead-letters: %v\n%s", err, out)
	}
	if out, err := operate(t, addr, "rules", "delete", "to-file"); err != nil {
		t.Fatalf("rules delete: %v\n%s", err, out)
	}
	if out, err := operate(t, addr, "rules", "delete", "to-file"); err == nil || !strings.Contains(out, "ResourceNotFoundException") {
		t.Fatalf("second delete: %v\n%s", err, out)
	}
}
