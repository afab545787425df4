package server_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/muster-hub/muster/config"
)

// updateAccessConfig has users of account 111111111111 whose policies
// restrict BatchUpdateFindings by securityhub:ASFFSyntaxPath condition
// keys, as AWS's guide to configuring access to BatchUpdateFindings shows:
// Deny with Null for a field, with StringEquals for a value, with
// ForAnyValue:StringEquals for any of several values; and an Allow that
// only a value satisfies.
const updateAccessConfig = `
accounts:
  "111111111111":
    users:
      admin:
        access_keys: [{id: AKIAUPDADMIN0000001, secret: s}]
        policies: [{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "securityhub:*", Resource: "*"}]}]
      nosuppress:
        access_keys: [{id: AKIANOSUPPRESS00001, secret: s}]
        policies:
          - Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: "securityhub:*", Resource: "*"}
              - {Effect: Deny, Action: "securityhub:BatchUpdateFindings", Resource: "*", Condition: {StringEquals: {"securityhub:ASFFSyntaxPath/Workflow.Status": SUPPRESSED}}}
      noseverity:
        access_keys: [{id: AKIANOSEVERITY00001, secret: s}]
        policies:
          - Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: "securityhub:*", Resource: "*"}
              - {Effect: Deny, Action: "securityhub:BatchUpdateFindings", Resource: "*", Condition: {"Null": {"securityhub:ASFFSyntaxPath/Severity.Label": "false"}}}
              - {Effect: Deny, Action: "securityhub:BatchUpdateFindings", Resource: "*", Condition: {"Null": {"securityhub:ASFFSyntaxPath/UserDefinedFields": "false"}}}
              - {Effect: Deny, Action: "securityhub:BatchUpdateFindings", Resource: "*", Condition: {"ForAnyValue:StringEquals": {"securityhub:ASFFSyntaxPath/Types": ["Effects/Data Exfiltration", "Unusual Behaviors"]}}}
              - {Effect: Deny, Action: "securityhub:BatchUpdateFindings", Resource: "*", Condition: {"NumericLessThan": {"securityhub:ASFFSyntaxPath/Confidence": "10"}}}
      resolver:
        access_keys: [{id: AKIARESOLVER0000001, secret: s}]
        policies:
          - Version: "2012-10-17"
            Statement:
              - {Effect: Allow, Action: ["securityhub:Get*"], Resource: "*"}
              - {Effect: Allow, Action: "securityhub:BatchUpdateFindings", Resource: "*", Condition: {StringEquals: {"securityhub:ASFFSyntaxPath/Workflow.Status": RESOLVED}}}
`

// TestBatchUpdateFindingsFieldAccess checks that IAM policies restrict
// which fields and values BatchUpdateFindings may set: a denied request is
// AccessDeniedException and changes nothing; the same user's other
// updates go through.
func TestBatchUpdateFindingsFieldAccess(t *testing.T) {
	cfg, err := config.Parse("update-access.yaml", []byte(updateAccessConfig))
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, cfg)
	ctx := context.Background()
	admin := client(s, "AKIAUPDADMIN0000001", "s", "us-east-1")
	enable(t, admin)
	sdkImport(t, admin, finding(acct, "us-east-1", "f1"))
	ids := []types.AwsSecurityFindingIdentifier{ident(acct, "f1")}
	tests := []struct {
		user   string
		in     securityhub.BatchUpdateFindingsInput
		denied bool
	}{
		{"AKIANOSUPPRESS00001", securityhub.BatchUpdateFindingsInput{Workflow: &types.WorkflowUpdate{Status: types.WorkflowStatusSuppressed}}, true},
		{"AKIANOSUPPRESS00001", securityhub.BatchUpdateFindingsInput{Workflow: &types.WorkflowUpdate{Status: types.WorkflowStatusNotified}}, false},
		{"AKIANOSEVERITY00001", securityhub.BatchUpdateFindingsInput{Severity: &types.SeverityUpdate{Label: types.SeverityLabelLow}}, true},
		// Normalized alone is another key: a policy on Label does not see it.
		{"AKIANOSEVERITY00001", securityhub.BatchUpdateFindingsInput{Severity: &types.SeverityUpdate{Normalized: aws.Int32(5)}}, false},
		// A Null condition on the map denies a change of any of its keys.
		{"AKIANOSEVERITY00001", securityhub.BatchUpdateFindingsInput{UserDefinedFields: map[string]string{"ticket": "SEC-9"}}, true},
		{"AKIANOSEVERITY00001", securityhub.BatchUpdateFindingsInput{Types: []string{"Software and Configuration Checks", "Unusual Behaviors"}}, true},
		{"AKIANOSEVERITY00001", securityhub.BatchUpdateFindingsInput{Types: []string{"Software and Configuration Checks"}}, false},
		{"AKIANOSEVERITY00001", securityhub.BatchUpdateFindingsInput{Confidence: aws.Int32(5)}, true},
		{"AKIANOSEVERITY00001", securityhub.BatchUpdateFindingsInput{Confidence: aws.Int32(50), Note: &types.NoteUpdate{Text: aws.String("ok"), UpdatedBy: aws.String("bob")}}, false},
		{"AKIARESOLVER0000001", securityhub.BatchUpdateFindingsInput{Workflow: &types.WorkflowUpdate{Status: types.WorkflowStatusResolved}}, false},
		{"AKIARESOLVER0000001", securityhub.BatchUpdateFindingsInput{Workflow: &types.WorkflowUpdate{Status: types.WorkflowStatusSuppressed}}, true},
		// The Allow's condition needs the key: a request without it is
		// not allowed.
		{"AKIARESOLVER0000001", securityhub.BatchUpdateFindingsInput{Note: &types.NoteUpdate{Text: aws.String("x"), UpdatedBy: aws.String("bob")}}, true},
	}
	for i, tt := range tests {
		before := getOne(t, admin, "f1")
		in := tt.in
		in.FindingIdentifiers = ids
		out, err := client(s, tt.user, "s", "us-east-1").BatchUpdateFindings(ctx, &in)
		if tt.denied {
			if apiCode(err) != "AccessDeniedException" {
				t.Fatalf("%d (%s): want AccessDeniedException, got %v", i, tt.user, err)
			}
			if after := getOne(t, admin, "f1"); aws.ToString(after.ProcessedAt) != aws.ToString(before.ProcessedAt) {
				t.Errorf("%d (%s): a denied update changed the finding", i, tt.user)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%d (%s): %v", i, tt.user, err)
		}
		if len(out.ProcessedFindings) != 1 {
			t.Fatalf("%d (%s): processed %d, unprocessed %+v", i, tt.user, len(out.ProcessedFindings), out.UnprocessedFindings)
		}
	}
	// What went through is stored, and nothing denied is.
	f := getOne(t, admin, "f1")
	if f.Workflow.Status != types.WorkflowStatusResolved || aws.ToInt32(f.Confidence) != 50 || f.Severity.Label != types.SeverityLabelLow || len(f.UserDefinedFields) != 0 {
		t.Errorf("workflow %s, confidence %d, severity %s, user fields %v", f.Workflow.Status, aws.ToInt32(f.Confidence), f.Severity.Label, f.UserDefinedFields)
	}
}
