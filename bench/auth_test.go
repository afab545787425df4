package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/muster-hub/muster/config"
	"github.com/muster-hub/muster/iam"
)

// TestAuthConfig checks that the --auth config loads, has a 20-statement
// policy, and allows the bench's calls while denying others.
func TestAuthConfig(t *testing.T) {
	c, err := config.Parse("bench.yaml", []byte(authConfig("123456789012")))
	if err != nil {
		t.Fatal(err)
	}
	k, err := c.Key(authKeyID)
	if err != nil || len(k.Policies) != 1 {
		t.Fatalf("key %+v %v", k, err)
	}
	var doc struct{ Statement []any }
	if err := json.Unmarshal(k.Policies[0].JSON(), &doc); err != nil || len(doc.Statement) != 20 {
		t.Fatalf("%d statements (%v)", len(doc.Statement), err)
	}
	p := iam.Principal{Account: "123456789012", ARN: k.ARN()}
	for _, tc := range []struct {
		action, resource string
		want             iam.Decision
	}{
		{"securityhub:BatchImportFindings", "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default", iam.Allow},
		{"securityhub:GetFindings", "arn:aws:securityhub:us-east-1:123456789012:hub/default", iam.Allow},
		{"securityhub:DeleteInsight", "arn:aws:securityhub:us-east-1:123456789012:hub/default", iam.Deny},
		{"securityhub:CreateActionTarget", "arn:aws:securityhub:us-east-1:123456789012:hub/default", iam.NotApplicable},
	} {
		ctx := iam.NewContext(p, testNow)
		ctx["securityhub:TargetAccount"] = []string{"123456789012"}
		if d := iam.Evaluate(&iam.Request{Principal: p, Action: tc.action, Resource: tc.resource, Context: ctx}, k.Policies...); d != tc.want {
			t.Errorf("%s: %v, want %v", tc.action, d, tc.want)
		}
	}
}

// TestAuthRealServer imports through a config-mode server with --auth.
func TestAuthRealServer(t *testing.T) {
	bin := muster(t)
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{ServerCmd: serverCmd(bin), Auth: true, Findings: 2000, Concurrency: 4, Queries: 2, Out: &out})
	t.Logf("\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 2000 || res.Failed != 0 || !strings.Contains(out.String(), "20 statements") {
		t.Fatalf("result %+v", res)
	}
}
