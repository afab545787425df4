package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"

	"github.com/muster-hub/muster/hub"
	"github.com/muster-hub/muster/server"
)

// clock is a hub clock that tests move forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// startClocked starts an open-mode server whose hub runs on clk and whose
// retention job runs only when the test calls RunRetention.
func startClocked(t *testing.T, clk *clock) *server.Server {
	t.Helper()
	return startWith(t, server.Options{Now: clk.Now, RetentionInterval: -1})
}

// findingHistory pages through a finding's whole history, maxResults
// records a page.
func findingHistory(t *testing.T, c *securityhub.Client, id types.AwsSecurityFindingIdentifier, maxResults int32) []types.FindingHistoryRecord {
	t.Helper()
	var recs []types.FindingHistoryRecord
	p := securityhub.NewGetFindingHistoryPaginator(c, &securityhub.GetFindingHistoryInput{FindingIdentifier: &id, MaxResults: aws.Int32(maxResults)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, page.Records...)
	}
	return recs
}

// lifecycleHub starts a server on a clock at t0 and returns an SDK client
// of account acct with its hub enabled.
func lifecycleHub(t *testing.T) (*clock, *server.Server, *securityhub.Client) {
	t.Helper()
	clk := newClock(t0)
	s := startClocked(t, clk)
	c := client(s, acct, "x", "us-east-1")
	enable(t, c)
	return clk, s, c
}

// sdkImport imports ASFF findings given as JSON through the SDK client:
// the SDK's finding type has the ASFF member names, so encoding/json fills
// it from the JSON.
func sdkImport(t *testing.T, c *securityhub.Client, raws ...string) {
	t.Helper()
	fs := make([]types.AwsSecurityFinding, len(raws))
	for i, r := range raws {
		if err := json.Unmarshal([]byte(r), &fs[i]); err != nil {
			t.Fatalf("finding %d: %v", i, err)
		}
	}
	out, err := c.BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: fs})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(out.FailedCount) != 0 {
		b, _ := json.Marshal(out.FailedFindings)
		t.Fatalf("import failed: %s", b)
	}
}

// at returns finding(...) with its UpdatedAt set to ts.
func at(ts, raw string) string {
	return strings.Replace(raw, `"UpdatedAt":"2024-01-01T00:00:00Z"`, `"UpdatedAt":"`+ts+`"`, 1)
}

func productARN(account string) string {
	return "arn:aws:securityhub:us-east-1:" + account + ":product/" + account + "/default"
}

func ident(account, id string) types.AwsSecurityFindingIdentifier {
	return types.AwsSecurityFindingIdentifier{Id: aws.String(id), ProductArn: aws.String(productARN(account))}
}

// getOne returns the caller's finding with id.
func getOne(t *testing.T, c *securityhub.Client, id string) types.AwsSecurityFinding {
	t.Helper()
	all := getAll(t, c, &securityhub.GetFindingsInput{Filters: &types.AwsSecurityFindingFilters{
		Id: []types.StringFilter{{Comparison: types.StringFilterComparisonEquals, Value: aws.String(id)}},
	}})
	if len(all) != 1 {
		t.Fatalf("finding %s: %d found", id, len(all))
	}
	return all[0]
}

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestBatchUpdateFindings(t *testing.T) {
	clk, _, c := lifecycleHub(t)
	ctx := context.Background()
	sdkImport(t, c, finding(acct, "us-east-1", "a"), finding(acct, "us-east-1", "b"), finding(acct, "us-east-1", "c"))
	clk.Advance(time.Hour)

	out, err := c.BatchUpdateFindings(ctx, &securityhub.BatchUpdateFindingsInput{
		FindingIdentifiers: []types.AwsSecurityFindingIdentifier{
			ident(acct, "a"), ident(acct, "b"), ident(acct, "missing"), ident(acct, "c"), ident(acct, "c"),
		},
		Note:              &types.NoteUpdate{Text: aws.String("looking into it"), UpdatedBy: aws.String("alice")},
		Severity:          &types.SeverityUpdate{Label: types.SeverityLabelCritical},
		VerificationState: types.VerificationStateTruePositive,
		Confidence:        aws.Int32(80),
		Criticality:       aws.Int32(60),
		Types:             []string{"TTPs/Initial Access"},
		UserDefinedFields: map[string]string{"ticket": "SEC-1"},
		Workflow:          &types.WorkflowUpdate{Status: types.WorkflowStatusNotified},
		RelatedFindings:   []types.RelatedFinding{{Id: aws.String("b"), ProductArn: aws.String(productARN(acct))}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var processed []string
	for _, p := range out.ProcessedFindings {
		processed = append(processed, aws.ToString(p.Id))
	}
	if strings.Join(processed, ",") != "a,b" {
		t.Errorf("processed %v, want a,b", processed)
	}
	unprocessed := map[string]string{}
	for _, u := range out.UnprocessedFindings {
		unprocessed[aws.ToString(u.FindingIdentifier.Id)+":"+aws.ToString(u.ErrorCode)] = aws.ToString(u.ErrorMessage)
	}
	want := map[string]string{
		"missing:FindingNotFound":       "Finding Not Found",
		"c:DuplicatedFindingIdentifier": "Finding Identifier is duplicated",
	}
	if len(out.UnprocessedFindings) != 3 || unprocessed["missing:FindingNotFound"] != want["missing:FindingNotFound"] || unprocessed["c:DuplicatedFindingIdentifier"] != want["c:DuplicatedFindingIdentifier"] {
		t.Errorf("unprocessed %v", unprocessed)
	}

	f := getOne(t, c, "a")
	switch {
	case f.Note == nil || aws.ToString(f.Note.Text) != "looking into it" || aws.ToString(f.Note.UpdatedBy) != "alice" || aws.ToString(f.Note.UpdatedAt) != "2025-06-01T13:00:00.000Z":
		t.Errorf("note %+v", f.Note)
	case f.Severity.Label != types.SeverityLabelCritical || aws.ToInt32(f.Severity.Normalized) != 90:
		t.Errorf("severity %s/%d, want CRITICAL/90", f.Severity.Label, aws.ToInt32(f.Severity.Normalized))
	case f.VerificationState != types.VerificationStateTruePositive || aws.ToInt32(f.Confidence) != 80 || aws.ToInt32(f.Criticality) != 60:
		t.Errorf("verification %s confidence %d criticality %d", f.VerificationState, aws.ToInt32(f.Confidence), aws.ToInt32(f.Criticality))
	case len(f.Types) != 1 || f.Types[0] != "TTPs/Initial Access" || f.UserDefinedFields["ticket"] != "SEC-1":
		t.Errorf("types %v user fields %v", f.Types, f.UserDefinedFields)
	case f.Workflow == nil || f.Workflow.Status != types.WorkflowStatusNotified || len(f.RelatedFindings) != 1:
		t.Errorf("workflow %+v related %+v", f.Workflow, f.RelatedFindings)
	case aws.ToString(f.UpdatedAt) != "2024-01-01T00:00:00Z":
		t.Errorf("UpdatedAt moved to %s: BatchUpdateFindings leaves it to the provider", aws.ToString(f.UpdatedAt))
	case aws.ToString(f.ProcessedAt) != "2025-06-01T13:00:00.000Z":
		t.Errorf("ProcessedAt %s", aws.ToString(f.ProcessedAt))
	case f.FindingProviderFields == nil || f.FindingProviderFields.Severity.Label != types.SeverityLabelHigh:
		t.Errorf("FindingProviderFields changed: %+v", f.FindingProviderFields)
	}
	// c, named twice, was not touched.
	if f := getOne(t, c, "c"); f.Workflow.Status != types.WorkflowStatusNew || f.Note != nil {
		t.Errorf("duplicated finding was updated: %+v", f.Workflow)
	}

	// UserDefinedFields merge; Normalized alone sets the label.
	_, err = c.BatchUpdateFindings(ctx, &securityhub.BatchUpdateFindingsInput{
		FindingIdentifiers: []types.AwsSecurityFindingIdentifier{ident(acct, "a")},
		UserDefinedFields:  map[string]string{"owner": "team-x"},
		Severity:           &types.SeverityUpdate{Normalized: aws.Int32(45)},
	})
	if err != nil {
		t.Fatal(err)
	}
	f = getOne(t, c, "a")
	if f.UserDefinedFields["ticket"] != "SEC-1" || f.UserDefinedFields["owner"] != "team-x" {
		t.Errorf("user fields %v, want both keys", f.UserDefinedFields)
	}
	if f.Severity.Label != types.SeverityLabelMedium || aws.ToInt32(f.Severity.Normalized) != 45 {
		t.Errorf("severity %s/%d, want MEDIUM/45", f.Severity.Label, aws.ToInt32(f.Severity.Normalized))
	}
}

func TestBatchUpdateFindingsBadInput(t *testing.T) {
	s := startClocked(t, newClock(t0))
	ctx := context.Background()
	c := client(s, acct, "x", "us-east-1")
	one := []types.AwsSecurityFindingIdentifier{ident(acct, "a")}
	_, err := c.BatchUpdateFindings(ctx, &securityhub.BatchUpdateFindingsInput{FindingIdentifiers: one, Workflow: &types.WorkflowUpdate{Status: "RESOLVED"}})
	wantCode(t, err, "InvalidAccessException") // no hub yet
	enable(t, c)
	sdkImport(t, c, finding(acct, "us-east-1", "a"))

	many := make([]types.AwsSecurityFindingIdentifier, 101)
	for i := range many {
		many[i] = ident(acct, "f"+string(rune('a'+i%26))+strings.Repeat("x", i))
	}
	for name, in := range map[string]*securityhub.BatchUpdateFindingsInput{
		"101 identifiers":  {FindingIdentifiers: many, Workflow: &types.WorkflowUpdate{Status: "RESOLVED"}},
		"long note":        {FindingIdentifiers: one, Note: &types.NoteUpdate{Text: aws.String(strings.Repeat("n", 513)), UpdatedBy: aws.String("me")}},
		"confidence > 100": {FindingIdentifiers: one, Confidence: aws.Int32(101)},
		"bad workflow":     {FindingIdentifiers: one, Workflow: &types.WorkflowUpdate{Status: "DONE"}},
		"bad label":        {FindingIdentifiers: one, Severity: &types.SeverityUpdate{Label: "SEVERE"}},
		"no identifiers":   {FindingIdentifiers: []types.AwsSecurityFindingIdentifier{}, Confidence: aws.Int32(1)},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.BatchUpdateFindings(ctx, in)
			wantCode(t, err, "InvalidInputException")
		})
	}
	// Nothing was half-applied by the refused requests.
	if f := getOne(t, c, "a"); f.Workflow.Status != types.WorkflowStatusNew || f.Note != nil || f.Confidence != nil {
		t.Errorf("refused update changed the finding: %+v", f)
	}
}

// TestBatchUpdateFindingsPerFinding: an update that would make one
// finding invalid leaves that finding alone and reports InvalidInput for
// it, while the others are updated; identifiers that name no finding of
// the caller (another product, another account's product) are
// FindingNotFound.
func TestBatchUpdateFindingsPerFinding(t *testing.T) {
	_, _, c := lifecycleHub(t)
	ctx := context.Background()
	var udf []string
	for i := range 45 {
		udf = append(udf, fmt.Sprintf(`"k%02d":"v"`, i))
	}
	sdkImport(t, c, finding(acct, "us-east-1", "full", `"UserDefinedFields":{`+strings.Join(udf, ",")+`}`), finding(acct, "us-east-1", "few"))
	add := map[string]string{}
	for i := range 10 {
		add[fmt.Sprintf("new%d", i)] = "x"
	}
	out, err := c.BatchUpdateFindings(ctx, &securityhub.BatchUpdateFindingsInput{
		FindingIdentifiers: []types.AwsSecurityFindingIdentifier{
			ident(acct, "full"), ident(acct, "few"),
			{Id: aws.String("few"), ProductArn: aws.String("arn:aws:securityhub:us-east-1::product/aws/guardduty")},
			ident("222222222222", "few"),
		},
		UserDefinedFields: add,
		Workflow:          &types.WorkflowUpdate{Status: types.WorkflowStatusNotified},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.ProcessedFindings) != 1 || aws.ToString(out.ProcessedFindings[0].Id) != "few" || aws.ToString(out.ProcessedFindings[0].ProductArn) != productARN(acct) {
		t.Errorf("processed %+v, want only few", out.ProcessedFindings)
	}
	got := map[string]string{}
	for _, u := range out.UnprocessedFindings {
		got[aws.ToString(u.FindingIdentifier.ProductArn)+" "+aws.ToString(u.FindingIdentifier.Id)] = aws.ToString(u.ErrorCode) + ": " + aws.ToString(u.ErrorMessage)
	}
	if len(got) != 3 ||
		!strings.HasPrefix(got[productARN(acct)+" full"], "InvalidInput: Invalid Input") ||
		got["arn:aws:securityhub:us-east-1::product/aws/guardduty few"] != "FindingNotFound: Finding Not Found" ||
		got[productARN("222222222222")+" few"] != "FindingNotFound: Finding Not Found" {
		t.Errorf("unprocessed %q", got)
	}
	if f := getOne(t, c, "full"); len(f.UserDefinedFields) != 45 || f.Workflow.Status != types.WorkflowStatusNew {
		t.Errorf("refused finding changed: %d user fields, workflow %s", len(f.UserDefinedFields), f.Workflow.Status)
	}
	if f := getOne(t, c, "few"); len(f.UserDefinedFields) != 10 || f.Workflow.Status != types.WorkflowStatusNotified {
		t.Errorf("few: %d user fields, workflow %s", len(f.UserDefinedFields), f.Workflow.Status)
	}
}

// TestBatchUpdateFindingSizeExceeded: an update that would take a finding
// past 240 KB leaves it as it was and reports FindingSizeExceeded, while
// the same update of a smaller finding goes through.
func TestBatchUpdateFindingSizeExceeded(t *testing.T) {
	_, _, c := lifecycleHub(t)
	ctx := context.Background()
	// Findings from 4,000 bytes under the limit to 100 under, by steps of
	// 100, so that a note of some 600 bytes pushes the largest of those
	// the import accepts over it and not the smallest. The bulk is in
	// resources' Details.Other, 40 values of at most 1,000 characters
	// each, as ASFF allows.
	var ids []types.AwsSecurityFindingIdentifier
	for i := range 40 {
		id := fmt.Sprintf("big-%02d", i)
		want := 240*1024 - 4000 + 100*i
		var res, other []string
		raw := ""
		for {
			all := append(res[:len(res):len(res)], fmt.Sprintf(`{"Type":"Other","Id":"r%d","Details":{"Other":{%s}}}`, len(res), strings.Join(other, ",")))
			raw = finding(acct, "us-east-1", id, `"Resources":[`+strings.Join(all, ",")+`]`)
			left := want - len(raw) - len(`,"p00":""`)
			switch {
			case left <= 0:
			case len(other) == 40:
				res, other = all, nil
				continue
			default:
				other = append(other, fmt.Sprintf(`"p%02d":%q`, len(other), strings.Repeat("x", min(left, 1000))))
				continue
			}
			break
		}
		var f types.AwsSecurityFinding
		if err := json.Unmarshal([]byte(raw), &f); err != nil {
			t.Fatal(err)
		}
		out, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: []types.AwsSecurityFinding{f}})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToInt32(out.SuccessCount) == 1 {
			ids = append(ids, ident(acct, id))
		}
	}
	out, err := c.BatchUpdateFindings(ctx, &securityhub.BatchUpdateFindingsInput{
		FindingIdentifiers: ids,
		Note:               &types.NoteUpdate{Text: aws.String(strings.Repeat("n", 512)), UpdatedBy: aws.String("size-test")},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d findings near the limit imported; %d updated, %d refused", len(ids), len(out.ProcessedFindings), len(out.UnprocessedFindings))
	if len(out.ProcessedFindings) == 0 || len(out.UnprocessedFindings) == 0 {
		t.Fatalf("of %d findings near the limit, %d updated and %d refused; want some of each", len(ids), len(out.ProcessedFindings), len(out.UnprocessedFindings))
	}
	for _, u := range out.UnprocessedFindings {
		if aws.ToString(u.ErrorCode) != "FindingSizeExceeded" || aws.ToString(u.ErrorMessage) != "Finding size exceeded 240 KB" {
			t.Errorf("%s: %s %q", aws.ToString(u.FindingIdentifier.Id), aws.ToString(u.ErrorCode), aws.ToString(u.ErrorMessage))
		}
		if f := getOne(t, c, aws.ToString(u.FindingIdentifier.Id)); f.Note != nil {
			t.Errorf("%s: refused update left a note", aws.ToString(u.FindingIdentifier.Id))
		}
	}
	for _, p := range out.ProcessedFindings {
		if f := getOne(t, c, aws.ToString(p.Id)); f.Note == nil {
			t.Errorf("%s: updated without its note", aws.ToString(p.Id))
		}
	}
}

func TestReimportOwnership(t *testing.T) {
	_, _, c := lifecycleHub(t)
	ctx := context.Background()
	sdkImport(t, c, finding(acct, "us-east-1", "o", `"Confidence":10`, `"Criticality":10`, `"VerificationState":"UNKNOWN"`, `"UserDefinedFields":{"provider":"set"}`))

	// The customer takes over Severity, Types, Criticality and
	// RelatedFindings, and triages.
	related := []types.RelatedFinding{{Id: aws.String("other"), ProductArn: aws.String(productARN(acct))}}
	_, err := c.BatchUpdateFindings(ctx, &securityhub.BatchUpdateFindingsInput{
		FindingIdentifiers: []types.AwsSecurityFindingIdentifier{ident(acct, "o")},
		Severity:           &types.SeverityUpdate{Label: types.SeverityLabelLow},
		Types:              []string{"Unusual Behaviors"},
		Criticality:        aws.Int32(90),
		RelatedFindings:    related,
		VerificationState:  types.VerificationStateBenignPositive,
		Workflow:           &types.WorkflowUpdate{Status: types.WorkflowStatusSuppressed},
		Note:               &types.NoteUpdate{Text: aws.String("accepted risk"), UpdatedBy: aws.String("bob")},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The provider re-imports with new top-level values; Confidence comes
	// through FindingProviderFields only.
	raw := at("2024-02-01T00:00:00Z", finding(acct, "us-east-1", "o",
		`"FindingProviderFields":{"Confidence":70,"Criticality":30,"RelatedFindings":[{"Id":"provider-related","ProductArn":"`+productARN(acct)+`"}],"Severity":{"Label":"CRITICAL","Original":"9.8"},"Types":["Effects/Data Exposure"]}`,
		`"Criticality":40`, `"VerificationState":"TRUE_POSITIVE"`,
		`"Workflow":{"Status":"NEW"}`, `"Note":{"Text":"provider note","UpdatedBy":"scanner","UpdatedAt":"2024-02-01T00:00:00Z"}`,
		`"UserDefinedFields":{"provider":"changed"}`))
	raw = strings.Replace(raw, `"Title":"title"`, `"Title":"provider title"`, 1)
	sdkImport(t, c, raw)

	f := getOne(t, c, "o")
	fpf := f.FindingProviderFields
	switch {
	case aws.ToString(f.Title) != "provider title":
		t.Errorf("title %q: the provider owns it", aws.ToString(f.Title))
	case f.Severity.Label != types.SeverityLabelLow:
		t.Errorf("top-level severity %s: the customer set LOW", f.Severity.Label)
	case fpf == nil || fpf.Severity == nil || fpf.Severity.Label != types.SeverityLabelCritical || aws.ToString(fpf.Severity.Original) != "9.8":
		t.Errorf("FindingProviderFields.Severity %+v, want the provider's CRITICAL", fpf)
	case len(f.Types) != 1 || f.Types[0] != "Unusual Behaviors":
		t.Errorf("top-level types %v: the customer set them", f.Types)
	case len(fpf.Types) != 1 || fpf.Types[0] != "Effects/Data Exposure":
		t.Errorf("FindingProviderFields.Types %v", fpf.Types)
	case aws.ToInt32(f.Confidence) != 70 || aws.ToInt32(fpf.Confidence) != 70:
		t.Errorf("confidence %d / provider %d: not customized, so the top level follows FindingProviderFields", aws.ToInt32(f.Confidence), aws.ToInt32(fpf.Confidence))
	case aws.ToInt32(f.Criticality) != 90 || aws.ToInt32(fpf.Criticality) != 30:
		t.Errorf("criticality %d / provider %d, want the customer's 90 and the provider's 30", aws.ToInt32(f.Criticality), aws.ToInt32(fpf.Criticality))
	case len(f.RelatedFindings) != 1 || aws.ToString(f.RelatedFindings[0].Id) != "other":
		t.Errorf("top-level related findings %+v: the customer set them", f.RelatedFindings)
	case len(fpf.RelatedFindings) != 1 || aws.ToString(fpf.RelatedFindings[0].Id) != "provider-related":
		t.Errorf("FindingProviderFields.RelatedFindings %+v", fpf.RelatedFindings)
	case f.VerificationState != types.VerificationStateBenignPositive:
		t.Errorf("verification state %s: the customer owns it", f.VerificationState)
	case f.Workflow.Status != types.WorkflowStatusSuppressed || aws.ToString(f.Note.Text) != "accepted risk" || f.UserDefinedFields["provider"] != "set":
		t.Errorf("customer fields changed by re-import: workflow %s note %q fields %v", f.Workflow.Status, aws.ToString(f.Note.Text), f.UserDefinedFields)
	}
}

func TestWorkflowResetOnReimport(t *testing.T) {
	_, _, c := lifecycleHub(t)
	ctx := context.Background()
	set := func(id string, st types.WorkflowStatus) {
		t.Helper()
		if _, err := c.BatchUpdateFindings(ctx, &securityhub.BatchUpdateFindingsInput{
			FindingIdentifiers: []types.AwsSecurityFindingIdentifier{ident(acct, id)},
			Workflow:           &types.WorkflowUpdate{Status: st},
		}); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		id            string
		before, after string
		status        types.WorkflowStatus
		want          types.WorkflowStatus
	}{
		{"archived-notified", `"RecordState":"ARCHIVED"`, `"RecordState":"ACTIVE"`, types.WorkflowStatusNotified, types.WorkflowStatusNew},
		{"archived-resolved", `"RecordState":"ARCHIVED"`, `"RecordState":"ACTIVE"`, types.WorkflowStatusResolved, types.WorkflowStatusNew},
		{"archived-suppressed", `"RecordState":"ARCHIVED"`, `"RecordState":"ACTIVE"`, types.WorkflowStatusSuppressed, types.WorkflowStatusSuppressed},
		{"passed-failed", `"Compliance":{"Status":"PASSED"}`, `"Compliance":{"Status":"FAILED"}`, types.WorkflowStatusResolved, types.WorkflowStatusNew},
		{"passed-warning", `"Compliance":{"Status":"PASSED"}`, `"Compliance":{"Status":"WARNING"}`, types.WorkflowStatusNotified, types.WorkflowStatusNew},
		{"passed-na", `"Compliance":{"Status":"PASSED"}`, `"Compliance":{"Status":"NOT_AVAILABLE"}`, types.WorkflowStatusResolved, types.WorkflowStatusNew},
		{"passed-passed", `"Compliance":{"Status":"PASSED"}`, `"Compliance":{"Status":"PASSED"}`, types.WorkflowStatusResolved, types.WorkflowStatusResolved},
		{"failed-failed", `"Compliance":{"Status":"FAILED"}`, `"Compliance":{"Status":"FAILED"}`, types.WorkflowStatusResolved, types.WorkflowStatusResolved},
		{"active-active", `"RecordState":"ACTIVE"`, `"RecordState":"ACTIVE"`, types.WorkflowStatusNotified, types.WorkflowStatusNotified},
	}
	for _, tc := range cases {
		sdkImport(t, c, finding(acct, "us-east-1", tc.id, tc.before))
		set(tc.id, tc.status)
		sdkImport(t, c, at("2024-03-01T00:00:00Z", finding(acct, "us-east-1", tc.id, tc.after)))
		if got := getOne(t, c, tc.id).Workflow.Status; got != tc.want {
			t.Errorf("%s: %s → %s, want %s", tc.id, tc.status, got, tc.want)
		}
	}
}

func TestFindingHistory(t *testing.T) {
	clk, s, c := lifecycleHub(t)
	ctx := context.Background()
	sdkImport(t, c, finding(acct, "us-east-1", "h"))
	clk.Advance(time.Hour)
	sdkImport(t, c, strings.Replace(at("2024-02-01T00:00:00Z", finding(acct, "us-east-1", "h")), `"Title":"title"`, `"Title":"changed"`, 1))
	clk.Advance(time.Hour)
	// A stale import is not a change, so it is not in history.
	sdkImport(t, c, strings.Replace(finding(acct, "us-east-1", "h"), `"Title":"title"`, `"Title":"stale"`, 1))
	clk.Advance(time.Hour)
	if _, err := c.BatchUpdateFindings(ctx, &securityhub.BatchUpdateFindingsInput{
		FindingIdentifiers: []types.AwsSecurityFindingIdentifier{ident(acct, "h")},
		Workflow:           &types.WorkflowUpdate{Status: types.WorkflowStatusResolved},
	}); err != nil {
		t.Fatal(err)
	}
	id := ident(acct, "h")
	out, err := c.GetFindingHistory(ctx, &securityhub.GetFindingHistoryInput{FindingIdentifier: &id})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Records) != 3 || out.NextToken != nil {
		t.Fatalf("%d records (token %v), want 3", len(out.Records), out.NextToken)
	}
	upd, imp, created := out.Records[0], out.Records[1], out.Records[2]
	if !aws.ToBool(created.FindingCreated) || len(created.Updates) != 0 || created.UpdateSource.Type != types.FindingHistoryUpdateSourceTypeBatchImportFindings ||
		aws.ToString(created.UpdateSource.Identity) != productARN(acct) || !aws.ToTime(created.UpdateTime).Equal(t0) {
		t.Errorf("creation record %s", show(created))
	}
	if aws.ToBool(imp.FindingCreated) || !hasUpdate(imp, "Title", "title", "changed") || hasField(imp, "UpdatedAt") || !aws.ToTime(imp.UpdateTime).Equal(t0.Add(time.Hour)) {
		t.Errorf("import record %s", show(imp))
	}
	if upd.UpdateSource.Type != types.FindingHistoryUpdateSourceTypeBatchUpdateFindings || aws.ToString(upd.UpdateSource.Identity) != "arn:aws:iam::"+acct+":root" ||
		!hasUpdate(upd, "Workflow.Status", "NEW", "RESOLVED") || !aws.ToTime(upd.UpdateTime).Equal(t0.Add(3*time.Hour)) {
		t.Errorf("update record %s", show(upd))
	}

	// Pages of one record each, newest first.
	pages := findingHistory(t, c, id, 1)
	if len(pages) != 3 || !aws.ToTime(pages[0].UpdateTime).Equal(aws.ToTime(upd.UpdateTime)) || !aws.ToBool(pages[2].FindingCreated) {
		t.Errorf("paged history: %d records", len(pages))
	}
	// A window: StartTime alone runs to now, EndTime alone from creation.
	window := func(start, end *time.Time) int {
		t.Helper()
		out, err := c.GetFindingHistory(ctx, &securityhub.GetFindingHistoryInput{FindingIdentifier: &id, StartTime: start, EndTime: end})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Records)
	}
	if n := window(aws.Time(t0.Add(30*time.Minute)), nil); n != 2 {
		t.Errorf("StartTime only: %d records, want 2", n)
	}
	if n := window(nil, aws.Time(t0.Add(90*time.Minute))); n != 2 {
		t.Errorf("EndTime only: %d records, want 2", n)
	}
	if n := window(aws.Time(t0.Add(30*time.Minute)), aws.Time(t0.Add(90*time.Minute))); n != 1 {
		t.Errorf("window: %d records, want 1", n)
	}
	_, err = c.GetFindingHistory(ctx, &securityhub.GetFindingHistoryInput{FindingIdentifier: &id, StartTime: aws.Time(t0), EndTime: aws.Time(t0.Add(-time.Hour))})
	wantCode(t, err, "InvalidInputException")
	missing := ident(acct, "nope")
	if out, err := c.GetFindingHistory(ctx, &securityhub.GetFindingHistoryInput{FindingIdentifier: &missing}); err != nil || len(out.Records) != 0 {
		t.Errorf("history of a missing finding: %v, %v", out, err)
	}
	// Another account sees none of it.
	other := client(s, "222222222222", "x", "us-east-1")
	enable(t, other)
	if out, err := other.GetFindingHistory(ctx, &securityhub.GetFindingHistoryInput{FindingIdentifier: &id}); err != nil || len(out.Records) != 0 {
		t.Errorf("another account read the history: %v, %v", out, err)
	}
}

func show(r types.FindingHistoryRecord) string {
	b, _ := json.Marshal(r)
	return string(b)
}

func hasField(r types.FindingHistoryRecord, field string) bool {
	for _, u := range r.Updates {
		if aws.ToString(u.UpdatedField) == field {
			return true
		}
	}
	return false
}

func hasUpdate(r types.FindingHistoryRecord, field, old, new string) bool {
	for _, u := range r.Updates {
		if aws.ToString(u.UpdatedField) == field && aws.ToString(u.OldValue) == old && aws.ToString(u.NewValue) == new {
			return true
		}
	}
	return false
}

func TestUpdateFindingsLegacy(t *testing.T) {
	_, _, c := lifecycleHub(t)
	ctx := context.Background()
	var raws []string
	for i := range 250 {
		label := "HIGH"
		if i%2 == 1 {
			label = "LOW"
		}
		raws = append(raws, strings.Replace(finding(acct, "us-east-1", "l"+strings.Repeat("0", 3-len(itoa(i)))+itoa(i)), `"Label":"HIGH"`, `"Label":"`+label+`"`, 1))
	}
	for i := 0; i < len(raws); i += 100 {
		sdkImport(t, c, raws[i:min(i+100, len(raws))]...)
	}
	_, err := c.UpdateFindings(ctx, &securityhub.UpdateFindingsInput{
		Filters:     &types.AwsSecurityFindingFilters{SeverityLabel: []types.StringFilter{{Comparison: types.StringFilterComparisonEquals, Value: aws.String("LOW")}}},
		Note:        &types.NoteUpdate{Text: aws.String("legacy"), UpdatedBy: aws.String("old-tool")},
		RecordState: types.RecordStateArchived,
	})
	if err != nil {
		t.Fatal(err)
	}
	archived := getAll(t, c, &securityhub.GetFindingsInput{Filters: &types.AwsSecurityFindingFilters{
		RecordState: []types.StringFilter{{Comparison: types.StringFilterComparisonEquals, Value: aws.String("ARCHIVED")}},
	}})
	if len(archived) != 125 {
		t.Fatalf("%d archived, want the 125 LOW findings", len(archived))
	}
	for _, f := range archived {
		if f.Severity.Label != types.SeverityLabelLow || f.Note == nil || aws.ToString(f.Note.Text) != "legacy" {
			t.Fatalf("archived %s: %s note %+v", aws.ToString(f.Id), f.Severity.Label, f.Note)
		}
	}
	// Not in history.
	id := ident(acct, "l001")
	if out, err := c.GetFindingHistory(ctx, &securityhub.GetFindingHistoryInput{FindingIdentifier: &id}); err != nil || len(out.Records) != 1 {
		t.Errorf("history after UpdateFindings: %d records (%v), want only the creation", len(out.Records), err)
	}
	// Setting an archived finding ACTIVE again reopens its workflow, as
	// AWS documents for any change of RecordState from ARCHIVED to ACTIVE;
	// a finding that was not archived keeps its status.
	resolved := []types.AwsSecurityFindingIdentifier{ident(acct, "l003"), ident(acct, "l002")}
	if _, err := c.BatchUpdateFindings(ctx, &securityhub.BatchUpdateFindingsInput{FindingIdentifiers: resolved, Workflow: &types.WorkflowUpdate{Status: types.WorkflowStatusResolved}}); err != nil {
		t.Fatal(err)
	}
	_, err = c.UpdateFindings(ctx, &securityhub.UpdateFindingsInput{
		Filters: &types.AwsSecurityFindingFilters{Id: []types.StringFilter{
			{Comparison: types.StringFilterComparisonEquals, Value: aws.String("l003")},
			{Comparison: types.StringFilterComparisonEquals, Value: aws.String("l002")},
		}},
		RecordState: types.RecordStateActive,
	})
	if err != nil {
		t.Fatal(err)
	}
	if f := getOne(t, c, "l003"); f.RecordState != types.RecordStateActive || f.Workflow.Status != types.WorkflowStatusNew {
		t.Errorf("l003 set ACTIVE again: %s, workflow %s, want NEW", f.RecordState, f.Workflow.Status)
	}
	if f := getOne(t, c, "l002"); f.Workflow.Status != types.WorkflowStatusResolved {
		t.Errorf("l002, never archived, workflow %s, want RESOLVED", f.Workflow.Status)
	}
	// The provider's next import replaces the legacy note and its RecordState.
	sdkImport(t, c, at("2024-02-01T00:00:00Z", strings.Replace(finding(acct, "us-east-1", "l001"), `"Label":"HIGH"`, `"Label":"LOW"`, 1)))
	if f := getOne(t, c, "l001"); f.Note != nil || f.RecordState != types.RecordStateActive {
		t.Errorf("after re-import: note %+v record state %s", f.Note, f.RecordState)
	}
	_, err = c.UpdateFindings(ctx, &securityhub.UpdateFindingsInput{Filters: &types.AwsSecurityFindingFilters{}})
	wantCode(t, err, "InvalidInputException")
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestRetention(t *testing.T) {
	clk, s, c := lifecycleHub(t)
	ctx := context.Background()
	day := 24 * time.Hour
	ts := t0.Format(time.RFC3339)
	sdkImport(t, c,
		at(ts, finding(acct, "us-east-1", "active")),
		at(ts, finding(acct, "us-east-1", "archived", `"RecordState":"ARCHIVED"`)),
		at(ts, finding(acct, "us-east-1", "triaged")),
	)
	ids := func() string {
		var out []string
		for _, f := range getAll(t, c, &securityhub.GetFindingsInput{SortCriteria: []types.SortCriterion{{Field: aws.String("Id"), SortOrder: types.SortOrderAscending}}}) {
			out = append(out, aws.ToString(f.Id))
		}
		return strings.Join(out, ",")
	}
	clk.Advance(29 * day)
	if n := s.RunRetention(ctx); n != 0 || ids() != "active,archived,triaged" {
		t.Fatalf("day 29: deleted %d, left %s", n, ids())
	}
	clk.Advance(2 * day)
	if n := s.RunRetention(ctx); n != 1 || ids() != "active,triaged" {
		t.Fatalf("day 31: deleted %d, left %s; the archived finding ages out after 30 days", n, ids())
	}
	// Triage moves ProcessedAt, so it restarts the clock of that finding.
	if _, err := c.BatchUpdateFindings(ctx, &securityhub.BatchUpdateFindingsInput{
		FindingIdentifiers: []types.AwsSecurityFindingIdentifier{ident(acct, "triaged")},
		Workflow:           &types.WorkflowUpdate{Status: types.WorkflowStatusNotified},
	}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(60 * day)
	if n := s.RunRetention(ctx); n != 1 || ids() != "triaged" {
		t.Fatalf("day 91: deleted %d, left %s", n, ids())
	}
	// Re-importing an aged-off Id creates a new finding, with a new history.
	sdkImport(t, c, at(clk.Now().Format(time.RFC3339), finding(acct, "us-east-1", "active")))
	id := ident(acct, "active")
	out, err := c.GetFindingHistory(ctx, &securityhub.GetFindingHistoryInput{FindingIdentifier: &id})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Records) != 1 || !aws.ToBool(out.Records[0].FindingCreated) {
		t.Errorf("history of the re-created finding: %d records", len(out.Records))
	}
	m, err := httpGet(s.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"muster_retention_deleted_total 2", "muster_retention_runs_total 3",
		`muster_findings_ingested_total{account="` + acct + `",product_arn="` + productARN(acct) + `"} 4`} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// Metering: every written import, per account, product and day.
	usage, err := s.Store.Usage(ctx, t0, clk.Now())
	if err != nil {
		t.Fatal(err)
	}
	if len(usage) != 2 || usage[0].Findings != 3 || usage[1].Findings != 1 || usage[0].ProductARN != productARN(acct) || !usage[1].Day.Equal(clk.Now().Truncate(day)) {
		t.Errorf("usage %+v", usage)
	}
}

// TestConcurrentUpdatesLoseNothing sends BatchUpdateFindings calls that
// each set another field of the same findings at once, interleaved with
// re-imports: every field must survive.
func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	_, s, c := lifecycleHub(t)
	ctx := context.Background()
	sdkImport(t, c, finding(acct, "us-east-1", "x1"), finding(acct, "us-east-1", "x2"))
	ids := []types.AwsSecurityFindingIdentifier{ident(acct, "x1"), ident(acct, "x2")}
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, err := c.BatchUpdateFindings(ctx, &securityhub.BatchUpdateFindingsInput{
				FindingIdentifiers: ids,
				UserDefinedFields:  map[string]string{"k" + itoa(i): itoa(i)},
			})
			errs <- err
		}()
		go func() {
			defer wg.Done()
			ts := t0.AddDate(0, 0, i+1).Format(time.RFC3339)
			raws := []string{at(ts, finding(acct, "us-east-1", "x1")), at(ts, finding(acct, "us-east-1", "x2"))}
			fs := make([]types.AwsSecurityFinding, len(raws))
			for j, r := range raws {
				if err := json.Unmarshal([]byte(r), &fs[j]); err != nil {
					errs <- err
					return
				}
			}
			_, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: fs})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, id := range []string{"x1", "x2"} {
		f := getOne(t, c, id)
		if len(f.UserDefinedFields) != n {
			t.Errorf("%s: %d user-defined fields survived of %d: %v", id, len(f.UserDefinedFields), n, f.UserDefinedFields)
		}
		if aws.ToString(f.UpdatedAt) != t0.AddDate(0, 0, n).Format(time.RFC3339) {
			t.Errorf("%s: UpdatedAt %s, want the newest import's", id, aws.ToString(f.UpdatedAt))
		}
		key := ident(acct, id)
		out, err := c.GetFindingHistory(ctx, &securityhub.GetFindingHistoryInput{FindingIdentifier: &key})
		if err != nil {
			t.Fatal(err)
		}
		// Creation, the 16 updates and each import newer than the stored
		// finding when it arrived (at least one, at most 16).
		if got := len(out.Records); got < 1+n+1 || got > 1+2*n {
			t.Errorf("%s: %d history records", id, got)
		}
	}
	// Where the writes' time went shows in /metrics, updates apart.
	m, err := httpGet(s.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"update", "write"} {
		for _, phase := range []string{"wait", "run", "commit"} {
			re := regexp.MustCompile(`muster_store_write_seconds_count\{kind="` + kind + `",phase="` + phase + `"\} ([0-9]+)`)
			if mm := re.FindStringSubmatch(m.Body); mm == nil || mm[1] == "0" {
				t.Errorf("/metrics has no %s %s time: %v", kind, phase, mm)
			}
		}
	}
	// The writer's own checkpoints come only with a long WAL, which this
	// test does not write; the metric is there before the first.
	if !strings.Contains(m.Body, "muster_store_checkpoint_seconds_count 0") {
		t.Error("/metrics has no muster_store_checkpoint_seconds")
	}
}

// TestConfiguredRetention runs with retention shortened to 10 days for
// active findings and 2 for archived ones.
func TestConfiguredRetention(t *testing.T) {
	clk := newClock(t0)
	s := startWith(t, server.Options{
		Now: clk.Now, RetentionInterval: -1,
		Retention: hub.Retention{Active: 10 * 24 * time.Hour, Archived: 2 * 24 * time.Hour},
	})
	c := client(s, acct, "x", "us-east-1")
	enable(t, c)
	ts := t0.Format(time.RFC3339)
	sdkImport(t, c, at(ts, finding(acct, "us-east-1", "a")), at(ts, finding(acct, "us-east-1", "b", `"RecordState":"ARCHIVED"`)))
	ctx := context.Background()
	for _, step := range []struct {
		days int
		want int
	}{{1, 0}, {2, 1}, {7, 0}, {1, 1}} {
		clk.Advance(time.Duration(step.days) * 24 * time.Hour)
		if n := s.RunRetention(ctx); n != step.want {
			t.Fatalf("after %d more days: deleted %d, want %d", step.days, n, step.want)
		}
	}
}
