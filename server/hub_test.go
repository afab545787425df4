package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

func TestHubLifecycle(t *testing.T) {
	s := start(t, nil)
	ctx := context.Background()
	c := client(s, "111111111111", "any-secret", "us-west-2")

	_, err := c.DescribeHub(ctx, &securityhub.DescribeHubInput{})
	wantCode(t, err, "InvalidAccessException")
	if !strings.Contains(err.Error(), "Account 111111111111 is not subscribed to AWS Security Hub") {
		t.Errorf("message: %v", err)
	}
	_, err = c.GetFindings(ctx, &securityhub.GetFindingsInput{})
	wantCode(t, err, "InvalidAccessException")

	if _, err := c.EnableSecurityHub(ctx, &securityhub.EnableSecurityHubInput{Tags: map[string]string{"team": "sec"}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.EnableSecurityHub(ctx, &securityhub.EnableSecurityHubInput{})
	wantCode(t, err, "ResourceConflictException")

	hub, err := c.DescribeHub(ctx, &securityhub.DescribeHubInput{})
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:securityhub:us-west-2:111111111111:hub/default"
	if aws.ToString(hub.HubArn) != arn || !aws.ToBool(hub.AutoEnableControls) || hub.ControlFindingGenerator != types.ControlFindingGeneratorSecurityControl || aws.ToString(hub.SubscribedAt) == "" {
		t.Fatalf("DescribeHub = %+v", hub)
	}
	if _, err := c.DescribeHub(ctx, &securityhub.DescribeHubInput{HubArn: aws.String(arn)}); err != nil {
		t.Fatalf("DescribeHub by ARN: %v", err)
	}

	// Another region and another account see no hub.
	_, err = client(s, "111111111111", "x", "eu-west-1").DescribeHub(ctx, &securityhub.DescribeHubInput{})
	wantCode(t, err, "InvalidAccessException")
	_, err = client(s, "222222222222", "x", "us-west-2").DescribeHub(ctx, &securityhub.DescribeHubInput{})
	wantCode(t, err, "InvalidAccessException")

	if _, err := c.UpdateSecurityHubConfiguration(ctx, &securityhub.UpdateSecurityHubConfigurationInput{
		AutoEnableControls:      aws.Bool(false),
		ControlFindingGenerator: types.ControlFindingGeneratorStandardControl,
	}); err != nil {
		t.Fatal(err)
	}
	hub, _ = c.DescribeHub(ctx, &securityhub.DescribeHubInput{})
	if aws.ToBool(hub.AutoEnableControls) || hub.ControlFindingGenerator != types.ControlFindingGeneratorStandardControl {
		t.Fatalf("after update: %+v", hub)
	}

	// Tags on the hub.
	if _, err := c.TagResource(ctx, &securityhub.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"env": "prod"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := c.ListTagsForResource(ctx, &securityhub.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(tags.Tags) != 2 || tags.Tags["team"] != "sec" || tags.Tags["env"] != "prod" {
		t.Fatalf("tags = %v", tags.Tags)
	}
	if _, err := c.UntagResource(ctx, &securityhub.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: []string{"team", "env"}}); err != nil {
		t.Fatal(err)
	}
	tags, _ = c.ListTagsForResource(ctx, &securityhub.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if len(tags.Tags) != 0 {
		t.Fatalf("tags after untag = %v", tags.Tags)
	}
	_, err = c.ListTagsForResource(ctx, &securityhub.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:securityhub:us-west-2:111111111111:automation-rule/x")})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = c.TagResource(ctx, &securityhub.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"aws:reserved": "x"}})
	wantCode(t, err, "InvalidInputException")

	// Imports look the hub up on every request (the store caches it): once
	// the hub is disabled they must fail like everything else.
	sdkImport(t, c, finding("111111111111", "us-west-2", "before-disable"))
	if _, err := c.DisableSecurityHub(ctx, &securityhub.DisableSecurityHubInput{}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DescribeHub(ctx, &securityhub.DescribeHubInput{})
	wantCode(t, err, "InvalidAccessException")
	_, err = c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{{
		Id: aws.String("after-disable"), AwsAccountId: aws.String("111111111111"), ProductArn: aws.String("arn:aws:securityhub:us-west-2:111111111111:product/111111111111/default"),
		GeneratorId: aws.String("g"), SchemaVersion: aws.String("2018-10-08"), Title: aws.String("t"), Description: aws.String("d"),
		CreatedAt: aws.String("2024-01-01T00:00:00Z"), UpdatedAt: aws.String("2024-01-01T00:00:00Z"),
		Severity: &types.Severity{Label: types.SeverityLabelLow}, Types: []string{"Software and Configuration Checks"},
		Resources: []types.Resource{{Type: aws.String("Other"), Id: aws.String("r")}},
	}}})
	wantCode(t, err, "InvalidAccessException")
	_, err = c.DisableSecurityHub(ctx, &securityhub.DisableSecurityHubInput{})
	wantCode(t, err, "InvalidAccessException")
}

func TestUnimplementedOperation(t *testing.T) {
	s := start(t, nil)
	c := client(s, "111111111111", "x", "us-east-1")
	_, err := c.ListMembers(context.Background(), &securityhub.ListMembersInput{})
	wantCode(t, err, "NotImplementedException")
	if !strings.Contains(err.Error(), "ListMembers") {
		t.Errorf("message does not name the operation: %v", err)
	}
}

func TestWireShapes(t *testing.T) {
	s := start(t, nil)
	r := signedRequest(t, s, "GET", "/accounts", "", "111111111111", "x", now())
	if r.Status != 400 && r.Status != 401 {
		t.Fatalf("status %d", r.Status)
	}
	if r.Header.Get("x-amzn-ErrorType") != "InvalidAccessException" || r.Header.Get("x-amzn-RequestId") == "" {
		t.Fatalf("headers %v", r.Header)
	}
	if !strings.Contains(r.Body, `"Code":"InvalidAccessException"`) || !strings.Contains(r.Body, `"Message":`) {
		t.Fatalf("body %s", r.Body)
	}
	// An unknown path is an AWS-shaped error, not an HTML 404.
	r = signedRequest(t, s, "POST", "/no/such/operation", "{}", "111111111111", "x", now())
	if r.Status != 404 || r.Header.Get("x-amzn-ErrorType") != "UnknownOperationException" || !strings.HasPrefix(r.Body, "{") {
		t.Fatalf("unknown path: %d %v %s", r.Status, r.Header, r.Body)
	}
	// A body that is JSON but not an object is the caller's mistake.
	r = signedRequest(t, s, "POST", "/tags/arn%3Aaws%3Asecurityhub%3Aus-east-1%3A111111111111%3Ahub%2Fdefault", "null", "111111111111", "x", now())
	if r.Status != 400 || r.Header.Get("x-amzn-ErrorType") != "InvalidInputException" {
		t.Fatalf("null body: %d %v %s", r.Status, r.Header.Get("x-amzn-ErrorType"), r.Body)
	}
	// Unsigned requests are refused.
	resp, err := httpPost(s.URL()+"/findings", "{}")
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != 403 || resp.Header.Get("x-amzn-ErrorType") != "MissingAuthenticationTokenException" {
		t.Fatalf("unsigned: %d %v %s", resp.Status, resp.Header, resp.Body)
	}
	// Health and metrics.
	resp, err = httpGet(s.URL() + "/healthz")
	if err != nil || resp.Status != 200 {
		t.Fatalf("healthz: %v %+v", err, resp)
	}
	resp, err = httpGet(s.URL() + "/metrics")
	if err != nil || resp.Status != 200 || !strings.Contains(resp.Body, `muster_requests_total{code="InvalidAccessException",operation="DescribeHub"} 1`) || !strings.Contains(resp.Body, "muster_findings_stored") || !strings.Contains(resp.Body, "muster_request_duration_seconds_bucket") {
		t.Fatalf("metrics: %v\n%s", err, resp.Body)
	}
}

// TestImportWithoutHub: importing into one's own account without a hub
// fails the request, whatever the product; a finding for another account
// without a hub fails alone.
func TestImportWithoutHub(t *testing.T) {
	s := start(t, nil)
	c := client(s, acct, "x", "us-east-1")
	prowlerFinding := strings.Replace(finding(acct, "us-east-1", "p-1"), "arn:aws:securityhub:us-east-1:"+acct+":product/"+acct+"/default", "arn:aws:securityhub:us-east-1::product/prowler/prowler", 1)
	for _, f := range []string{finding(acct, "us-east-1", "d-1"), prowlerFinding} {
		r := signedRequest(t, s, "POST", "/findings/import", `{"Findings":[`+f+`]}`, acct, "x", now())
		if r.Status != 401 || r.Header.Get("x-amzn-ErrorType") != "InvalidAccessException" {
			t.Fatalf("own account without a hub: %d %s", r.Status, r.Body)
		}
	}
	enable(t, c)
	other := strings.Replace(prowlerFinding, `"AwsAccountId":"`+acct+`"`, `"AwsAccountId":"999999999999"`, 1)
	r := signedRequest(t, s, "POST", "/findings/import", `{"Findings":[`+prowlerFinding+`,`+other+`]}`, acct, "x", now())
	if r.Status != 200 || !strings.Contains(r.Body, `"SuccessCount":1`) || !strings.Contains(r.Body, `"ErrorCode":"InvalidAccess"`) {
		t.Fatalf("another account without a hub: %d %s", r.Status, r.Body)
	}
}
