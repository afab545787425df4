package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/muster-hub/muster/config"
)

const acct = "111111111111"

func enable(t *testing.T, c *securityhub.Client) {
	t.Helper()
	if _, err := c.EnableSecurityHub(context.Background(), &securityhub.EnableSecurityHubInput{}); err != nil {
		t.Fatal(err)
	}
}

// getAll pages through GetFindings with filters and returns every finding.
func getAll(t *testing.T, c *securityhub.Client, in *securityhub.GetFindingsInput) []types.AwsSecurityFinding {
	t.Helper()
	var all []types.AwsSecurityFinding
	p := securityhub.NewGetFindingsPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Findings...)
	}
	return all
}

func TestImportWithSDK(t *testing.T) {
	s := start(t, nil)
	ctx := context.Background()
	c := client(s, acct, "x", "us-east-1")
	enable(t, c)

	mk := func(id, label string) types.AwsSecurityFinding {
		return types.AwsSecurityFinding{
			SchemaVersion: aws.String("2018-10-08"),
			Id:            aws.String(id),
			ProductArn:    aws.String("arn:aws:securityhub:us-east-1:" + acct + ":product/" + acct + "/default"),
			GeneratorId:   aws.String("gen"),
			AwsAccountId:  aws.String(acct),
			Types:         []string{"Software and Configuration Checks"},
			CreatedAt:     aws.String("2024-05-01T10:00:00.123456789Z"),
			UpdatedAt:     aws.String("2024-05-01T10:00:00+02:00"),
			Severity:      &types.Severity{Label: types.SeverityLabel(label)},
			Title:         aws.String("Title " + id),
			Description:   aws.String("Description"),
			Resources: []types.Resource{{
				Type: aws.String("AwsEc2Instance"), Id: aws.String("i-1"),
				Details: &types.ResourceDetails{AwsEc2Instance: &types.AwsEc2InstanceDetails{IpV4Addresses: []string{"10.0.0.1"}}},
			}},
			ProductFields: map[string]string{"scanner": "x"},
		}
	}
	out, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{
		mk("f-1", "HIGH"), mk("f-2", "LOW"), mk("f-bad", "SUPER"),
	}})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.SuccessCount) != 2 || aws.ToInt32(out.FailedCount) != 1 || len(out.FailedFindings) != 1 {
		t.Fatalf("import = %+v", out)
	}
	ff := out.FailedFindings[0]
	if aws.ToString(ff.Id) != "f-bad" || aws.ToString(ff.ErrorCode) != "InvalidInput" || !strings.Contains(aws.ToString(ff.ErrorMessage), "data.Severity.Label") {
		t.Fatalf("failed finding = %+v %s", ff, aws.ToString(ff.ErrorMessage))
	}

	got := getAll(t, c, &securityhub.GetFindingsInput{
		Filters: &types.AwsSecurityFindingFilters{Id: []types.StringFilter{{Value: aws.String("f-1"), Comparison: types.StringFilterComparisonEquals}}},
	})
	if len(got) != 1 {
		t.Fatalf("got %d findings", len(got))
	}
	f := got[0]
	checks := []struct {
		name, got, want string
	}{
		{"Region", aws.ToString(f.Region), "us-east-1"},
		{"ProductName", aws.ToString(f.ProductName), "Default"},
		{"CompanyName", aws.ToString(f.CompanyName), "Personal"},
		{"Workflow.Status", string(f.Workflow.Status), "NEW"},
		{"RecordState", string(f.RecordState), "ACTIVE"},
		{"Severity.Normalized", fmt.Sprint(aws.ToInt32(f.Severity.Normalized)), "70"},
		{"FindingProviderFields.Severity.Label", string(f.FindingProviderFields.Severity.Label), "HIGH"},
		{"ProductFields FindingId", f.ProductFields["aws/securityhub/FindingId"], "arn:aws:securityhub:us-east-1:" + acct + ":product/" + acct + "/default/f-1"},
		{"ProductFields scanner", f.ProductFields["scanner"], "x"},
		{"CreatedAt", aws.ToString(f.CreatedAt), "2024-05-01T10:00:00.123456789Z"},
		{"IpV4", f.Resources[0].Details.AwsEc2Instance.IpV4Addresses[0], "10.0.0.1"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if aws.ToString(f.ProcessedAt) == "" {
		t.Error("ProcessedAt not set")
	}
}

func TestImportBadInput(t *testing.T) {
	s := start(t, nil)
	c := client(s, acct, "x", "us-east-1")
	enable(t, c)
	post := func(body string) rawResponse {
		return signedRequest(t, s, "POST", "/findings/import", body, acct, "x", now())
	}
	var many []string
	for i := range 101 {
		many = append(many, finding(acct, "us-east-1", fmt.Sprint("many-", i)))
	}
	huge := finding(acct, "us-east-1", "huge", `"ProductFields":{"blob":"`+strings.Repeat("a", 2000)+`"}`, `"Note":{"Text":"x","UpdatedBy":"y","UpdatedAt":"2024-01-01T00:00:00Z"}`)
	var bigParts []string
	for i := range 130 {
		bigParts = append(bigParts, fmt.Sprintf(`"k%d":"%s"`, i, strings.Repeat("b", 2000)))
	}
	oversize := finding(acct, "us-east-1", "oversize", `"UserDefinedFields":{`+strings.Join(bigParts, ",")+`}`)
	requestLevel := []struct {
		name, body string
		status     int
		code       string
	}{
		{"101 findings", `{"Findings":[` + strings.Join(many, ",") + `]}`, 400, "InvalidInputException"},
		{"malformed JSON", `{"Findings":[{"Id":"x",]}`, 400, "InvalidInputException"},
		{"duplicate keys", `{"Findings":[` + strings.Replace(finding(acct, "us-east-1", "dup"), `"Title":"title"`, `"Title":"a","Title":"b"`, 1) + `]}`, 400, "InvalidInputException"},
		{"invalid UTF-8", "{\"Findings\":[" + strings.Replace(finding(acct, "us-east-1", "utf"), "title", "ti\xfftle", 1) + "]}", 400, "InvalidInputException"},
		{"no findings", `{"Findings":[]}`, 400, "InvalidInputException"},
		{"over 6 MB", `{"Findings":[` + strings.Repeat(" ", 6<<20) + `]}`, 413, "RequestEntityTooLargeException"},
		{"product of another region", `{"Findings":[` + strings.Replace(finding(acct, "us-east-1", "region"), "securityhub:us-east-1:", "securityhub:eu-west-1:", 1) + `]}`, 400, "InvalidInputException"},
		// The request authorizer reads AwsAccountId and ProductArn first,
		// and a malformed one fails the request (trivy#6010).
		{"malformed account", `{"Findings":[` + finding(acct, "us-east-1", "good-0") + "," + strings.Replace(finding(acct, "us-east-1", "bad-account"), `"AwsAccountId":"111111111111"`, `"AwsAccountId":"11111"`, 1) + `]}`, 400, "InvalidInputException"},
		{"malformed product", `{"Findings":[` + strings.Replace(finding(acct, "us-east-1", "bad-product"), "arn:aws:securityhub:us-east-1:", "arn:aws:securityhub::", 1) + `]}`, 400, "InvalidInputException"},
	}
	for _, tc := range requestLevel {
		r := post(tc.body)
		if r.Status != tc.status || r.Header.Get("x-amzn-ErrorType") != tc.code {
			t.Errorf("%s: %d %s %s", tc.name, r.Status, r.Header.Get("x-amzn-ErrorType"), r.Body)
		}
		if strings.HasPrefix(tc.name, "malformed ") && tc.name != "malformed JSON" && (!strings.Contains(r.Body, "AuthorizerConfigurationException") || !strings.Contains(r.Body, "should match pattern")) {
			t.Errorf("%s: the message must name the field, the rule and AuthorizerConfigurationException: %s", tc.name, r.Body)
		}
	}
	if n := len(getAll(t, c, &securityhub.GetFindingsInput{})); n != 0 {
		t.Fatalf("%d findings stored after refused requests", n)
	}

	perFinding := []struct {
		id, finding, message string
	}{
		{"bad-enum", finding(acct, "us-east-1", "bad-enum", `"RecordState":"DELETED"`), "data.RecordState should be equal to one of the allowed values"},
		{"no-resource-id", strings.Replace(finding(acct, "us-east-1", "no-resource-id"), `,"Id":"arn:aws:s3:::bucket-1"`, "", 1), "data.Resources[0] should have required property 'Id'"},
		{"long-title", strings.Replace(finding(acct, "us-east-1", "long-title"), `"Title":"title"`, `"Title":"`+strings.Repeat("t", 257)+`"`, 1), "data.Title should NOT be longer than 256 characters"},
		{"bad-time", strings.Replace(finding(acct, "us-east-1", "bad-time"), `"CreatedAt":"2024-01-01T00:00:00Z"`, `"CreatedAt":"yesterday"`, 1), "CreatedAt"},
		{"oversize", oversize, "240 KB"},
	}
	bodies := []string{finding(acct, "us-east-1", "good-1"), huge}
	for _, pf := range perFinding {
		bodies = append(bodies, pf.finding)
	}
	r := post(`{"Findings":[` + strings.Join(bodies, ",") + `]}`)
	if r.Status != 200 {
		t.Fatalf("mixed batch: %d %s", r.Status, r.Body)
	}
	var out struct {
		SuccessCount, FailedCount int
		FailedFindings            []struct{ Id, ErrorCode, ErrorMessage string }
	}
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil {
		t.Fatal(err)
	}
	if out.SuccessCount != 2 || out.FailedCount != len(perFinding) {
		t.Fatalf("mixed batch: %s", r.Body)
	}
	for i, pf := range perFinding {
		got := out.FailedFindings[i]
		if got.Id != pf.id || got.ErrorCode != "InvalidInput" || !strings.Contains(got.ErrorMessage, pf.message) {
			t.Errorf("FailedFindings[%d] = %+v, want %s with %q", i, got, pf.id, pf.message)
		}
	}
	ids := map[string]bool{}
	for _, f := range getAll(t, c, &securityhub.GetFindingsInput{}) {
		ids[aws.ToString(f.Id)] = true
	}
	if len(ids) != 2 || !ids["good-1"] || !ids["huge"] {
		t.Fatalf("stored %v, want good-1 and huge", ids)
	}
}

func TestReimportKeepsCustomerFields(t *testing.T) {
	s := start(t, nil)
	c := client(s, acct, "x", "us-east-1")
	enable(t, c)
	post := func(f string) {
		t.Helper()
		if r := signedRequest(t, s, "POST", "/findings/import", `{"Findings":[`+f+`]}`, acct, "x", now()); r.Status != 200 || !strings.Contains(r.Body, `"FailedCount":0`) {
			t.Fatalf("import: %d %s", r.Status, r.Body)
		}
	}
	first := finding(acct, "us-east-1", "r-1", `"Workflow":{"Status":"NOTIFIED"}`, `"Note":{"Text":"mine","UpdatedBy":"me","UpdatedAt":"2024-01-01T00:00:00Z"}`, `"Compliance":{"Status":"PASSED"}`)
	post(first)
	second := strings.NewReplacer(`"UpdatedAt":"2024-01-01T00:00:00Z"`, `"UpdatedAt":"2024-02-01T00:00:00Z"`, `"Title":"title"`, `"Title":"new title"`).Replace(
		finding(acct, "us-east-1", "r-1", `"Workflow":{"Status":"SUPPRESSED"}`, `"Compliance":{"Status":"PASSED"}`))
	post(second)
	get := func() types.AwsSecurityFinding {
		t.Helper()
		all := getAll(t, c, &securityhub.GetFindingsInput{})
		if len(all) != 1 {
			t.Fatalf("%d findings", len(all))
		}
		return all[0]
	}
	f := get()
	if aws.ToString(f.Title) != "new title" || f.Workflow.Status != "NOTIFIED" || f.Note == nil || aws.ToString(f.Note.Text) != "mine" {
		t.Fatalf("after re-import: title %q workflow %q note %+v", aws.ToString(f.Title), f.Workflow.Status, f.Note)
	}
	// A stale import (older UpdatedAt) changes nothing.
	post(strings.Replace(finding(acct, "us-east-1", "r-1"), `"Title":"title"`, `"Title":"stale"`, 1))
	if f := get(); aws.ToString(f.Title) != "new title" {
		t.Fatalf("stale import overwrote: %q", aws.ToString(f.Title))
	}
	// Compliance PASSED → FAILED reopens a NOTIFIED finding.
	post(strings.NewReplacer(`"UpdatedAt":"2024-01-01T00:00:00Z"`, `"UpdatedAt":"2024-03-01T00:00:00Z"`).Replace(finding(acct, "us-east-1", "r-1", `"Compliance":{"Status":"FAILED"}`)))
	if f := get(); f.Workflow.Status != "NEW" {
		t.Fatalf("workflow after PASSED→FAILED = %q", f.Workflow.Status)
	}
}

func TestGetFindingsPaging(t *testing.T) {
	s := start(t, nil)
	ctx := context.Background()
	c := client(s, acct, "x", "us-east-1")
	enable(t, c)
	labels := []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}
	for b := range 5 {
		var batch []string
		for i := range 50 {
			n := b*50 + i
			f := finding(acct, "us-east-1", fmt.Sprintf("p-%03d", n), fmt.Sprintf(`"Confidence":%d`, n%7))
			f = strings.Replace(f, `"Label":"HIGH"`, `"Label":"`+labels[n%5]+`"`, 1)
			f = strings.Replace(f, `"UpdatedAt":"2024-01-01T00:00:00Z"`, fmt.Sprintf(`"UpdatedAt":"2024-01-01T00:%02d:%02dZ"`, n/60, n%60), 1)
			batch = append(batch, f)
		}
		if r := signedRequest(t, s, "POST", "/findings/import", `{"Findings":[`+strings.Join(batch, ",")+`]}`, acct, "x", now()); r.Status != 200 {
			t.Fatalf("import: %s", r.Body)
		}
	}
	crit := &types.AwsSecurityFindingFilters{SeverityLabel: []types.StringFilter{{Value: aws.String("CRITICAL"), Comparison: types.StringFilterComparisonEquals}}}
	all := getAll(t, c, &securityhub.GetFindingsInput{Filters: crit, MaxResults: aws.Int32(7)})
	if len(all) != 50 {
		t.Fatalf("CRITICAL: %d findings, want 50", len(all))
	}
	seen := map[string]bool{}
	var prev string
	for _, f := range all {
		id := aws.ToString(f.Id)
		if seen[id] || f.Severity.Label != "CRITICAL" {
			t.Fatalf("duplicate or wrong finding %s", id)
		}
		seen[id] = true
		if prev != "" && aws.ToString(f.UpdatedAt) > prev {
			t.Fatalf("not sorted by UpdatedAt desc")
		}
		prev = aws.ToString(f.UpdatedAt)
	}
	// Sort by Confidence ascending over every page.
	all = getAll(t, c, &securityhub.GetFindingsInput{SortCriteria: []types.SortCriterion{{Field: aws.String("Confidence"), SortOrder: types.SortOrderAscending}}, MaxResults: aws.Int32(33)})
	if len(all) != 250 {
		t.Fatalf("all: %d", len(all))
	}
	for i := 1; i < len(all); i++ {
		if aws.ToInt32(all[i].Confidence) < aws.ToInt32(all[i-1].Confidence) {
			t.Fatal("not sorted by Confidence")
		}
	}

	page, err := c.GetFindings(ctx, &securityhub.GetFindingsInput{Filters: crit, MaxResults: aws.Int32(10)})
	if err != nil || page.NextToken == nil {
		t.Fatalf("first page: %v", err)
	}
	// The token is bound to the caller, the filters, and cannot be forged.
	_, err = client(s, "222222222222", "x", "us-east-1").GetFindings(ctx, &securityhub.GetFindingsInput{Filters: crit, NextToken: page.NextToken})
	if err == nil {
		t.Fatal("another account used the token")
	}
	_, err = c.GetFindings(ctx, &securityhub.GetFindingsInput{NextToken: page.NextToken})
	wantCode(t, err, "InvalidInputException")
	tok := []byte(*page.NextToken)
	tok[len(tok)-3] ^= 1
	_, err = c.GetFindings(ctx, &securityhub.GetFindingsInput{Filters: crit, NextToken: aws.String(string(tok))})
	wantCode(t, err, "InvalidInputException")
	_, err = c.GetFindings(ctx, &securityhub.GetFindingsInput{MaxResults: aws.Int32(101)})
	wantCode(t, err, "InvalidInputException")

	// The rest of the listing stays correct while imports go on.
	var batch []string
	for i := range 20 {
		f := strings.Replace(finding(acct, "us-east-1", fmt.Sprintf("late-%d", i)), `"Label":"HIGH"`, `"Label":"CRITICAL"`, 1)
		batch = append(batch, strings.Replace(f, `"UpdatedAt":"2024-01-01T00:00:00Z"`, `"UpdatedAt":"2023-01-01T00:00:00Z"`, 1))
	}
	signedRequest(t, s, "POST", "/findings/import", `{"Findings":[`+strings.Join(batch, ",")+`]}`, acct, "x", now())
	rest := getAll(t, c, &securityhub.GetFindingsInput{Filters: crit, NextToken: page.NextToken})
	ids := map[string]bool{}
	for _, f := range page.Findings {
		ids[aws.ToString(f.Id)] = true
	}
	for _, f := range rest {
		if ids[aws.ToString(f.Id)] {
			t.Fatalf("%s twice", aws.ToString(f.Id))
		}
		ids[aws.ToString(f.Id)] = true
	}
	if len(ids) != 70 {
		t.Fatalf("%d findings across pages, want 70 (50 + 20 imported meanwhile, older than the cursor)", len(ids))
	}
}

func TestSignaturesInConfigMode(t *testing.T) {
	cfg, err := config.Parse("test.yaml", []byte(`
accounts:
  "111111111111":
    users:
      alice:
        access_keys: [{id: AKIAALICE0000000001, secret: alice-secret}]
        policies: [{Version: "2012-10-17", Statement: [{Effect: Allow, Action: "securityhub:*", Resource: "*"}]}]
`))
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, cfg)
	ctx := context.Background()
	good := client(s, "AKIAALICE0000000001", "alice-secret", "us-east-1")
	enable(t, good)

	_, err = client(s, "AKIAALICE0000000001", "wrong", "us-east-1").DescribeHub(ctx, &securityhub.DescribeHubInput{})
	wantCode(t, err, "InvalidSignatureException")
	_, err = client(s, "AKIAUNKNOWN00000001", "x", "us-east-1").DescribeHub(ctx, &securityhub.DescribeHubInput{})
	wantCode(t, err, "UnrecognizedClientException")

	r := signedRequest(t, s, "GET", "/accounts", "", "AKIAALICE0000000001", "alice-secret", time.Now().Add(-20*time.Minute))
	if r.Status != 403 || r.Header.Get("x-amzn-ErrorType") != "InvalidSignatureException" || !strings.Contains(r.Body, "Signature expired") {
		t.Fatalf("expired: %d %v %s", r.Status, r.Header.Get("x-amzn-ErrorType"), r.Body)
	}
	r = signedRequest(t, s, "GET", "/accounts", "", "AKIAALICE0000000001", "alice-secret", time.Now())
	if r.Status != 200 {
		t.Fatalf("good: %d %s", r.Status, r.Body)
	}
	// Alice may import only into her own account.
	r = signedRequest(t, s, "POST", "/findings/import", `{"Findings":[`+finding("222222222222", "us-east-1", "x")+`]}`, "AKIAALICE0000000001", "alice-secret", time.Now())
	if r.Status != 403 || r.Header.Get("x-amzn-ErrorType") != "AccessDeniedException" || !strings.Contains(r.Body, "User: arn:aws:iam::111111111111:user/alice is not authorized to perform: securityhub:BatchImportFindings on resource: arn:aws:securityhub:us-east-1:222222222222:product/222222222222/default") {
		t.Fatalf("foreign account: %d %s", r.Status, r.Body)
	}
}
