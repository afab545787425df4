package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/muster-hub/muster/config"
	"github.com/muster-hub/muster/server"
)

// TestProductDefaultInsights: a manifest's default insights are visible,
// by ARN, to accounts subscribed to the product and to no others, and run
// like any insight.
func TestProductDefaultInsights(t *testing.T) {
	cfg, err := config.Parse("p.yaml", []byte(`
accounts:
  "111111111111":
    users:
      alice:
        access_keys: [{id: AKIAALICE0000000001, secret: alice-secret}]
        policies: [{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "securityhub:*", Resource: "*"}]}]
  "333333333333":
    users:
      carol:
        access_keys: [{id: AKIACAROL0000000001, secret: carol-secret}]
        policies: [{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "securityhub:*", Resource: "*"}]}]
products:
  - company: {id: threatslayer, name: ThreatSlayer}
    product: {id: threatslayer-pro, name: ThreatSlayer Pro}
    home_account: "222222222222"
    import_policies: [BATCH_IMPORT_FINDINGS_FROM_CUSTOMER_ACCOUNT]
    default_insights:
      - Name: Resources with critical ThreatSlayer findings
        GroupByAttribute: ResourceId
        Filters: {SeverityLabel: [{Value: CRITICAL, Comparison: EQUALS}], ProductName: [{Value: ThreatSlayer Pro, Comparison: EQUALS}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	s := startWith(t, server.Options{Config: cfg})
	ctx := context.Background()
	alice := client(s, "AKIAALICE0000000001", "alice-secret", "us-east-1")
	carol := client(s, "AKIACAROL0000000001", "carol-secret", "us-east-1")
	enable(t, alice)
	enable(t, carol)
	const arn = "arn:aws:securityhub:::insight/threatslayer/threatslayer-pro/1"
	product := "arn:aws:securityhub:us-east-1:222222222222:product/threatslayer/threatslayer-pro"
	_, err = alice.GetInsights(ctx, &securityhub.GetInsightsInput{InsightArns: []string{arn}})
	wantCode(t, err, "ResourceNotFoundException")
	if _, err := alice.EnableImportFindingsForProduct(ctx, &securityhub.EnableImportFindingsForProductInput{ProductArn: aws.String(product)}); err != nil {
		t.Fatal(err)
	}
	got, err := alice.GetInsights(ctx, &securityhub.GetInsightsInput{InsightArns: []string{arn}})
	if err != nil || len(got.Insights) != 1 || aws.ToString(got.Insights[0].Name) != "Resources with critical ThreatSlayer findings" || aws.ToString(got.Insights[0].GroupByAttribute) != "ResourceId" {
		t.Fatalf("GetInsights: %+v %v", got, err)
	}
	sdkImport(t, alice,
		productFindingIn(acct, "us-east-1", product, "t-1", `"Label":"CRITICAL"`),
		productFindingIn(acct, "us-east-1", product, "t-2", `"Label":"HIGH"`))
	res, err := alice.GetInsightResults(ctx, &securityhub.GetInsightResultsInput{InsightArn: aws.String(arn)})
	if err != nil || len(res.InsightResults.ResultValues) != 1 || aws.ToInt32(res.InsightResults.ResultValues[0].Count) != 1 {
		t.Fatalf("GetInsightResults: %+v %v", res, err)
	}
	_, err = alice.DeleteInsight(ctx, &securityhub.DeleteInsightInput{InsightArn: aws.String(arn)})
	wantCode(t, err, "InvalidInputException")
	_, err = carol.GetInsightResults(ctx, &securityhub.GetInsightResultsInput{InsightArn: aws.String(arn)})
	wantCode(t, err, "ResourceNotFoundException")
}

// productFindingIn is finding() of product, with its severity label set.
func productFindingIn(account, rgn, product, id, label string) string {
	f := finding(account, rgn, id)
	f = replaceOnce(f, "arn:aws:securityhub:"+rgn+":"+account+":product/"+account+"/default", product)
	return replaceOnce(f, `"Label":"HIGH"`, label)
}

func replaceOnce(s, old, new string) string { return strings.Replace(s, old, new, 1) }
