package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/muster-hub/muster/model"
)

// ownerResources are the values the matrix puts in path labels and input
// members that name a resource: each one a resource of the owner's account
// (111111111111) in the test region.
var ownerResources = map[string]string{
	"ActionTargetArn":          "arn:aws:securityhub:us-west-2:111111111111:action/custom/triage",
	"InsightArn":               "arn:aws:securityhub:us-west-2:111111111111:insight/111111111111/custom/0b0b0b0b-0000-4000-8000-000000000000",
	"ResourceArn":              "arn:aws:securityhub:us-west-2:111111111111:hub/default",
	"HubArn":                   "arn:aws:securityhub:us-west-2:111111111111:hub/default",
	"ProductSubscriptionArn":   threatSlayerSub,
	"ProductArn":               threatSlayer,
	"FindingAggregatorArn":     "arn:aws:securityhub:us-west-2:111111111111:finding-aggregator/0b0b0b0b-0000-4000-8000-000000000000",
	"AggregatorV2Arn":          "arn:aws:securityhub:us-west-2:111111111111:aggregatorv2/0b0b0b0b-0000-4000-8000-000000000000",
	"StandardsSubscriptionArn": "arn:aws:securityhub:us-west-2:111111111111:subscription/cis-aws-foundations-benchmark/v/1.2.0",
	"StandardsControlArn":      "arn:aws:securityhub:us-west-2:111111111111:control/cis-aws-foundations-benchmark/v/1.2.0/1.1",
}

// crossAccount are the operations whose input names one of the owner's
// resources above (other than the shared product catalog): a caller of
// another account is denied them whatever its own policies allow, since
// Security Hub has no resource-based policies.
var crossAccount = map[string]bool{
	"DeleteActionTarget": true, "DeleteAggregatorV2": true, "DeleteFindingAggregator": true, "DeleteInsight": true,
	"DescribeHub": true, "DescribeStandardsControls": true, "DisableImportFindingsForProduct": true,
	"GetAggregatorV2": true, "GetFindingAggregator": true, "GetInsightResults": true, "ListTagsForResource": true,
	"TagResource": true, "UntagResource": true, "UpdateActionTarget": true, "UpdateAggregatorV2": true,
	"UpdateFindingAggregator": true, "UpdateInsight": true, "UpdateStandardsControl": true,
	// Its finding names the owner's default product.
	"BatchImportFindings": true,
}

// TestAuthorizationMatrix sends every operation of the API model as each
// kind of caller and checks who is refused with AccessDeniedException: no
// operation, built or not, escapes authorization.
func TestAuthorizationMatrix(t *testing.T) {
	s, _ := startPartners(t)
	ctx := context.Background()
	ar, err := sts.New(sts.Options{Region: region, BaseEndpoint: aws.String(s.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("AKIAPARTNER00000001", "partner-secret", "")}).
		AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String(importRole), RoleSessionName: aws.String("matrix"), ExternalId: aws.String("ext-1")})
	if err != nil {
		t.Fatal(err)
	}
	readOnly := func(op string) bool {
		return strings.HasPrefix(op, "Get") || strings.HasPrefix(op, "Describe") || strings.HasPrefix(op, "List")
	}
	callers := []struct {
		name   string
		creds  aws.Credentials
		denied func(op string) bool
	}{
		{"owner", aws.Credentials{AccessKeyID: "AKIAALICE0000000001", SecretAccessKey: "alice-secret"}, func(string) bool { return false }},
		{"other account", aws.Credentials{AccessKeyID: "AKIACAROL0000000001", SecretAccessKey: "carol-secret"}, func(op string) bool { return crossAccount[op] }},
		{"read-only user", aws.Credentials{AccessKeyID: "AKIAREADER000000001", SecretAccessKey: "reader-secret"}, func(op string) bool { return !readOnly(op) }},
		{"denied user", aws.Credentials{AccessKeyID: "AKIABLOCKED00000001", SecretAccessKey: "blocked-secret"}, func(string) bool { return true }},
		{"assumed role", aws.Credentials{AccessKeyID: aws.ToString(ar.Credentials.AccessKeyId), SecretAccessKey: aws.ToString(ar.Credentials.SecretAccessKey), SessionToken: aws.ToString(ar.Credentials.SessionToken)}, func(string) bool { return true }},
	}
	ops := model.Operations()
	if len(ops) < 100 {
		t.Fatalf("the model has %d operations", len(ops))
	}
	for _, op := range ops {
		path, body := matrixRequest(t, op)
		for _, c := range callers {
			r := signedAs(t, s.URL(), op.Method, path, body, c.creds, region, time.Now())
			status, code, msg := r.Status, r.Header.Get("x-amzn-ErrorType"), r.Body
			denied := code == "AccessDeniedException"
			if denied != c.denied(op.Name) {
				t.Errorf("%s as %s: %d %s %s; want denied=%v", op.Name, c.name, status, code, msg, c.denied(op.Name))
			}
			if denied && !strings.Contains(msg, "is not authorized to perform: securityhub:"+op.Name) {
				t.Errorf("%s as %s: denial does not name the action: %s", op.Name, c.name, msg)
			}
		}
	}
}

// matrixRequest builds the path and body of op with every resource-naming
// label, query parameter and body member set to the owner's resource.
func matrixRequest(t *testing.T, op model.Operation) (string, string) {
	t.Helper()
	path := op.Path
	query := url.Values{}
	body := map[string]any{}
	if op.Input >= 0 {
		for _, m := range model.ShapeAt(op.Input).Members {
			v, ok := ownerResources[m.Name]
			if !ok {
				v = "x"
			}
			switch m.Location {
			case "uri":
				if strings.Contains(path, "{"+m.LocationName+"+}") {
					path = strings.Replace(path, "{"+m.LocationName+"+}", v, 1)
				} else {
					path = strings.Replace(path, "{"+m.LocationName+"}", url.PathEscape(v), 1)
				}
			case "querystring":
				if ok {
					query.Set(m.LocationName, v)
				}
			case "":
				if ok {
					body[m.Name] = v
				}
			}
		}
	}
	if strings.Contains(path, "{") {
		t.Fatalf("%s: unfilled label in %s", op.Name, path)
	}
	if q := query.Encode(); q != "" {
		if strings.Contains(path, "?") {
			path += "&" + q
		} else {
			path += "?" + q
		}
	}
	if op.Name == "BatchImportFindings" {
		return path, `{"Findings":[` + finding(customer, region, "matrix") + `]}`
	}
	b := "{"
	for k, v := range body {
		if len(b) > 1 {
			b += ","
		}
		b += `"` + k + `":"` + v.(string) + `"`
	}
	return path, b + "}"
}
