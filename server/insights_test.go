package server_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/muster-hub/muster/filter"
	"github.com/muster-hub/muster/filter/filtertest"
	"github.com/muster-hub/muster/server"
)

var customInsightARN = regexp.MustCompile(`^arn:aws:securityhub:us-east-1:111111111111:insight/111111111111/custom/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func highFilters() *types.AwsSecurityFindingFilters {
	return &types.AwsSecurityFindingFilters{SeverityLabel: []types.StringFilter{{Value: aws.String("HIGH"), Comparison: types.StringFilterComparisonEquals}}}
}

func createInsight(t *testing.T, c *securityhub.Client, name, groupBy string, f *types.AwsSecurityFindingFilters) string {
	t.Helper()
	out, err := c.CreateInsight(context.Background(), &securityhub.CreateInsightInput{Name: aws.String(name), GroupByAttribute: aws.String(groupBy), Filters: f})
	if err != nil {
		t.Fatalf("CreateInsight: %v", err)
	}
	return aws.ToString(out.InsightArn)
}

func getInsight(t *testing.T, c *securityhub.Client, arn string) types.Insight {
	t.Helper()
	out, err := c.GetInsights(context.Background(), &securityhub.GetInsightsInput{InsightArns: []string{arn}})
	if err != nil {
		t.Fatalf("GetInsights(%s): %v", arn, err)
	}
	if len(out.Insights) != 1 {
		t.Fatalf("GetInsights(%s): %d insights", arn, len(out.Insights))
	}
	return out.Insights[0]
}

// TestInsights runs the life of custom insights with aws-sdk-go-v2, and
// reads managed ones.
func TestInsights(t *testing.T) {
	s := start(t, nil)
	ctx := context.Background()
	c := client(s, acct, "x", "us-east-1")
	_, err := c.CreateInsight(ctx, &securityhub.CreateInsightInput{Name: aws.String("x"), GroupByAttribute: aws.String("ResourceId"), Filters: highFilters()})
	wantCode(t, err, "InvalidAccessException")
	enable(t, c)

	arn := createInsight(t, c, "High by resource", "ResourceId", highFilters())
	if !customInsightARN.MatchString(arn) {
		t.Fatalf("insight ARN %q is not formed as AWS forms it", arn)
	}
	got := getInsight(t, c, arn)
	if aws.ToString(got.InsightArn) != arn || aws.ToString(got.Name) != "High by resource" || aws.ToString(got.GroupByAttribute) != "ResourceId" ||
		len(got.Filters.SeverityLabel) != 1 || aws.ToString(got.Filters.SeverityLabel[0].Value) != "HIGH" || got.Filters.SeverityLabel[0].Comparison != types.StringFilterComparisonEquals {
		t.Fatalf("GetInsights: %+v", got)
	}

	// Bad input.
	_, err = c.CreateInsight(ctx, &securityhub.CreateInsightInput{Name: aws.String("x"), GroupByAttribute: aws.String("UpdatedAt"), Filters: highFilters()})
	wantCode(t, err, "InvalidInputException")
	_, err = c.CreateInsight(ctx, &securityhub.CreateInsightInput{Name: aws.String("  "), GroupByAttribute: aws.String("ResourceId"), Filters: highFilters()})
	wantCode(t, err, "InvalidInputException")
	_, err = c.CreateInsight(ctx, &securityhub.CreateInsightInput{Name: aws.String("x"), GroupByAttribute: aws.String("ResourceId"),
		Filters: &types.AwsSecurityFindingFilters{SeverityLabel: []types.StringFilter{{Value: aws.String("HIGH"), Comparison: "SOMETIMES"}}}})
	wantCode(t, err, "InvalidInputException")

	// Update: each member on its own.
	if _, err := c.UpdateInsight(ctx, &securityhub.UpdateInsightInput{InsightArn: aws.String(arn), Name: aws.String("Renamed")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.UpdateInsight(ctx, &securityhub.UpdateInsightInput{InsightArn: aws.String(arn), GroupByAttribute: aws.String("Type"),
		Filters: &types.AwsSecurityFindingFilters{RecordState: []types.StringFilter{{Value: aws.String("ACTIVE"), Comparison: types.StringFilterComparisonEquals}}}}); err != nil {
		t.Fatal(err)
	}
	got = getInsight(t, c, arn)
	if aws.ToString(got.Name) != "Renamed" || aws.ToString(got.GroupByAttribute) != "Type" || len(got.Filters.SeverityLabel) != 0 || len(got.Filters.RecordState) != 1 {
		t.Fatalf("after UpdateInsight: %+v", got)
	}
	_, err = c.UpdateInsight(ctx, &securityhub.UpdateInsightInput{InsightArn: aws.String(arn), GroupByAttribute: aws.String("Confidence")})
	wantCode(t, err, "InvalidInputException")

	// Another account sees none of it.
	other := client(s, "222222222222", "x", "us-east-1")
	enable(t, other)
	_, err = other.GetInsights(ctx, &securityhub.GetInsightsInput{InsightArns: []string{arn}})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = other.GetInsightResults(ctx, &securityhub.GetInsightResultsInput{InsightArn: aws.String(arn)})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = other.DeleteInsight(ctx, &securityhub.DeleteInsightInput{InsightArn: aws.String(arn)})
	wantCode(t, err, "ResourceNotFoundException")
	if out, err := other.GetInsights(ctx, &securityhub.GetInsightsInput{}); err != nil || len(out.Insights) != 0 {
		t.Fatalf("another account's listing: %v, %v", out, err)
	}

	// Managed insights: readable by ARN, listed never, not changeable.
	m := getInsight(t, c, "arn:aws:securityhub:::insight/securityhub/default/1")
	if aws.ToString(m.Name) != "AWS resources with the most findings" || aws.ToString(m.GroupByAttribute) != "ResourceId" ||
		len(m.Filters.RecordState) != 1 || len(m.Filters.WorkflowStatus) != 2 {
		t.Fatalf("managed insight 1: %+v", m)
	}
	if m := getInsight(t, other, "arn:aws:securityhub:::insight/securityhub/default/29"); aws.ToString(m.GroupByAttribute) != "SeverityLabel" {
		t.Fatalf("managed insight 29: %+v", m)
	}
	_, err = c.GetInsights(ctx, &securityhub.GetInsightsInput{InsightArns: []string{"arn:aws:securityhub:::insight/securityhub/default/2"}})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = c.UpdateInsight(ctx, &securityhub.UpdateInsightInput{InsightArn: aws.String("arn:aws:securityhub:::insight/securityhub/default/1"), Name: aws.String("mine")})
	wantCode(t, err, "InvalidInputException")
	_, err = c.DeleteInsight(ctx, &securityhub.DeleteInsightInput{InsightArn: aws.String("arn:aws:securityhub:::insight/securityhub/default/1")})
	wantCode(t, err, "InvalidInputException")
	if _, err := c.GetInsightResults(ctx, &securityhub.GetInsightResultsInput{InsightArn: aws.String("arn:aws:securityhub:::insight/securityhub/default/37")}); err != nil {
		t.Fatalf("GetInsightResults of a managed insight: %v", err)
	}

	// Listing pages through custom insights only, up to the quota of 100.
	arns := []string{arn}
	for i := 1; i < 100; i++ {
		arns = append(arns, createInsight(t, c, fmt.Sprintf("insight %d", i), "ResourceType", highFilters()))
	}
	_, err = c.CreateInsight(ctx, &securityhub.CreateInsightInput{Name: aws.String("one too many"), GroupByAttribute: aws.String("ResourceId"), Filters: highFilters()})
	wantCode(t, err, "LimitExceededException")
	var listed []string
	p := securityhub.NewGetInsightsPaginator(c, &securityhub.GetInsightsInput{MaxResults: aws.Int32(7)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, in := range page.Insights {
			listed = append(listed, aws.ToString(in.InsightArn))
		}
	}
	slices.Sort(arns)
	if !slices.Equal(listed, arns) {
		t.Fatalf("GetInsights listed %d insights, want the %d custom ones in ARN order", len(listed), len(arns))
	}
	_, err = other.GetInsights(ctx, &securityhub.GetInsightsInput{NextToken: aws.String("bogus")})
	wantCode(t, err, "InvalidInputException")

	// Delete frees a place in the quota.
	out, err := c.DeleteInsight(ctx, &securityhub.DeleteInsightInput{InsightArn: aws.String(arn)})
	if err != nil || aws.ToString(out.InsightArn) != arn {
		t.Fatalf("DeleteInsight: %v, %v", out, err)
	}
	_, err = c.GetInsights(ctx, &securityhub.GetInsightsInput{InsightArns: []string{arn}})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = c.DeleteInsight(ctx, &securityhub.DeleteInsightInput{InsightArn: aws.String(arn)})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = c.GetInsightResults(ctx, &securityhub.GetInsightResultsInput{InsightArn: aws.String(arn)})
	wantCode(t, err, "ResourceNotFoundException")
	createInsight(t, c, "fits again", "ResourceId", highFilters())
}

// rawGetFindings pages through GetFindings with filters, in signed HTTP
// requests, and returns the findings as JSON objects: the SDK's structs
// would take a test-local walker to read and are slow to convert.
func rawGetFindings(t *testing.T, s *server.Server, filters []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	next := ""
	for {
		body := map[string]any{"Filters": json.RawMessage(filters), "MaxResults": 100}
		if next != "" {
			body["NextToken"] = next
		}
		b, _ := json.Marshal(body)
		res := signedRequest(t, s, "POST", "/findings", string(b), acct, "x", now())
		if res.Status != 200 {
			t.Fatalf("GetFindings %s: %d %s", filters, res.Status, res.Body)
		}
		var page struct {
			Findings  []map[string]any
			NextToken string
		}
		if err := json.Unmarshal([]byte(res.Body), &page); err != nil {
			t.Fatal(err)
		}
		out = append(out, page.Findings...)
		if next = page.NextToken; next == "" {
			return out
		}
	}
}

// pathStrings returns the strings at an ASFF path ("Resources[].Id") in a
// document, written here apart from package filter's walker.
func pathStrings(v any, path string) []string {
	if path == "" {
		if s, ok := v.(string); ok {
			return []string{s}
		}
		return nil
	}
	head, rest, _ := strings.Cut(path, ".")
	name, arr := strings.CutSuffix(head, "[]")
	m, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	x := m[name]
	if !arr {
		return pathStrings(x, rest)
	}
	var out []string
	xs, _ := x.([]any)
	for _, e := range xs {
		out = append(out, pathStrings(e, rest)...)
	}
	return out
}

type resultValue struct {
	Value string
	Count int32
}

// countValues is GetInsightResults computed in the test: each finding
// counts once per distinct non-blank value, highest count first, then by
// value, at most 100.
func countValues(docs []map[string]any, path string) []resultValue {
	counts := map[string]int32{}
	for _, d := range docs {
		seen := map[string]bool{}
		for _, v := range pathStrings(d, path) {
			if strings.TrimSpace(v) == "" || seen[v] {
				continue
			}
			seen[v] = true
			counts[v]++
		}
	}
	var out []resultValue
	for v, n := range counts {
		out = append(out, resultValue{v, n})
	}
	slices.SortFunc(out, func(a, b resultValue) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	if len(out) > 100 {
		out = out[:100]
	}
	return out
}

// smallFilters returns random filters of at most six values in all: the
// store's differential test covers larger ones, and GetFindings pages
// through these quickly.
func smallFilters(r *rand.Rand) []byte {
	for {
		raw := filtertest.RandomFilters(r, filtertest.Now)
		var m map[string][]any
		if err := json.Unmarshal(raw, &m); err != nil {
			panic(err)
		}
		n := 0
		for _, v := range m {
			n += len(v)
		}
		if n <= 6 {
			return raw
		}
	}
}

// TestInsightResultsAgainstGetFindings imports random findings and, for
// every attribute an insight can group by, with no filter and with random
// ones, compares GetInsightResults with counts the test makes from the
// findings GetFindings returns for the same filters.
func TestInsightResultsAgainstGetFindings(t *testing.T) {
	s := start(t, nil)
	ctx := context.Background()
	c := client(s, acct, "x", "us-east-1")
	enable(t, c)
	r := rand.New(rand.NewPCG(4, 2))
	for b := range 4 {
		var batch []string
		for i := range 100 {
			d := filtertest.RandomDoc(r)
			d["Id"] = fmt.Sprintf("ir-%d-%d", b, i)
			d["ProductArn"] = productARN(acct)
			d["AwsAccountId"] = acct
			// ASFF wants Severity and Types at the top level unless
			// FindingProviderFields has them.
			if _, ok := d["Types"]; !ok {
				d["Types"] = []any{"Software and Configuration Checks/Vulnerabilities/CVE"}
			}
			if sev, _ := d["Severity"].(map[string]any); sev["Label"] == nil {
				d["Severity"] = map[string]any{"Label": []string{"LOW", "MEDIUM", "HIGH"}[i%3]}
			}
			if i%9 == 0 {
				// A blank value is no result value.
				d["Resources"] = append(d["Resources"].([]any), map[string]any{"Type": "Other", "Id": " "})
			}
			js, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			batch = append(batch, string(js))
		}
		res := signedRequest(t, s, "POST", "/findings/import", `{"Findings":[`+strings.Join(batch, ",")+`]}`, acct, "x", now())
		if res.Status != 200 {
			t.Fatalf("import: %d %s", res.Status, res.Body)
		}
	}
	allDocs := rawGetFindings(t, s, []byte(`{}`))
	if len(allDocs) < 350 {
		t.Fatalf("only %d of 400 random findings imported", len(allDocs))
	}
	arn := createInsight(t, c, "differential", "ResourceId", &types.AwsSecurityFindingFilters{})
	compared, nonEmpty := 0, 0
	for i := range filter.Fields {
		by := &filter.Fields[i]
		if !by.Groupable() {
			continue
		}
		for round := range 3 {
			raw := []byte(`{}`)
			if round > 0 {
				raw = smallFilters(r)
			}
			var flt types.AwsSecurityFindingFilters
			if err := json.Unmarshal(raw, &flt); err != nil {
				t.Fatalf("filters %s: %v", raw, err)
			}
			if _, err := c.UpdateInsight(ctx, &securityhub.UpdateInsightInput{InsightArn: aws.String(arn), GroupByAttribute: aws.String(by.Name), Filters: &flt}); err != nil {
				t.Fatalf("UpdateInsight(%s, %s): %v", by.Name, raw, err)
			}
			res, err := c.GetInsightResults(ctx, &securityhub.GetInsightResultsInput{InsightArn: aws.String(arn)})
			if err != nil {
				t.Fatalf("GetInsightResults(%s, %s): %v", by.Name, raw, err)
			}
			docs := allDocs
			if round > 0 {
				docs = rawGetFindings(t, s, raw)
			}
			want := countValues(docs, by.Path)
			var got []resultValue
			for _, v := range res.InsightResults.ResultValues {
				got = append(got, resultValue{aws.ToString(v.GroupByAttributeValue), aws.ToInt32(v.Count)})
			}
			if aws.ToString(res.InsightResults.GroupByAttribute) != by.Name || aws.ToString(res.InsightResults.InsightArn) != arn {
				t.Fatalf("InsightResults names %s, %s", aws.ToString(res.InsightResults.InsightArn), aws.ToString(res.InsightResults.GroupByAttribute))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("group by %s with %s:\nGetInsightResults %v\nfrom GetFindings  %v", by.Name, raw, got, want)
			}
			compared++
			if len(want) > 0 {
				nonEmpty++
			}
		}
	}
	t.Logf("%d insight results compared, %d with values", compared, nonEmpty)
	if nonEmpty < compared/3 {
		t.Errorf("only %d of %d comparisons had values", nonEmpty, compared)
	}
}

// TestInsightsAWSCLI runs one insight's round trip with the AWS CLI.
func TestInsightsAWSCLI(t *testing.T) {
	if _, err := exec.LookPath("aws"); err != nil {
		t.Fatal("the aws CLI is required (scripts/test-deps.sh installs it)")
	}
	s := start(t, nil)
	run := func(args ...string) string {
		t.Helper()
		out, err := awsCLI(t, s.URL(), acct, append([]string{"securityhub"}, args...)...)
		if err != nil {
			t.Fatalf("aws securityhub %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	run("enable-security-hub")
	c := client(s, acct, "x", "us-east-1")
	var raws []string
	for i, res := range []string{"a", "b", "a"} {
		raws = append(raws, strings.Replace(finding(acct, "us-east-1", fmt.Sprintf("cli-%d", i)), "bucket-1", "bucket-"+res, 1))
	}
	sdkImport(t, c, raws...)
	var created struct{ InsightArn string }
	if err := json.Unmarshal([]byte(run("create-insight", "--name", "By bucket", "--group-by-attribute", "ResourceId",
		"--filters", `{"ResourceType":[{"Value":"AwsS3Bucket","Comparison":"EQUALS"}]}`)), &created); err != nil {
		t.Fatal(err)
	}
	var results struct {
		InsightResults struct {
			InsightArn, GroupByAttribute string
			ResultValues                 []struct {
				GroupByAttributeValue string
				Count                 int
			}
		}
	}
	if err := json.Unmarshal([]byte(run("get-insight-results", "--insight-arn", created.InsightArn)), &results); err != nil {
		t.Fatal(err)
	}
	rv := results.InsightResults.ResultValues
	if results.InsightResults.InsightArn != created.InsightArn || len(rv) != 2 ||
		rv[0].GroupByAttributeValue != "arn:aws:s3:::bucket-a" || rv[0].Count != 2 || rv[1].GroupByAttributeValue != "arn:aws:s3:::bucket-b" || rv[1].Count != 1 {
		t.Fatalf("get-insight-results: %+v", results)
	}
	if out := run("get-insights"); !strings.Contains(out, `"Name": "By bucket"`) || strings.Contains(out, "securityhub/default") {
		t.Fatalf("get-insights: %s", out)
	}
	run("delete-insight", "--insight-arn", created.InsightArn)
	if out, err := awsCLI(t, s.URL(), acct, "securityhub", "get-insights", "--insight-arns", created.InsightArn); err == nil || !strings.Contains(out, "ResourceNotFoundException") {
		t.Fatalf("get-insights after delete: %v\n%s", err, out)
	}
}
