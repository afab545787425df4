package model

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// benchFinding is a Security Hub control finding of about 3 KB, as
// GetFindings returns it (from shared/corpus/asff/heimdall2-securityhub-controls.json).
const benchFinding = `
{
 "SchemaVersion": "2018-10-08",
 "Id": "arn:aws:securityhub:us-east-1:123456789123:subscription/cis-aws-foundations-benchmark/v/1.2.0/1.1/finding/564b8d35-d697-475e-8a02-dfb23552dc24",
 "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
 "ProductName": "Security Hub",
 "CompanyName": "AWS",
 "Region": "us-east-1",
 "GeneratorId": "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0/rule/1.1",
 "AwsAccountId": "123456789123",
 "Types": [
  "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"
 ],
 "FirstObservedAt": "2021-07-23T23:39:05.607Z",
 "LastObservedAt": "2021-08-09T11:28:16.331Z",
 "CreatedAt": "2021-07-23T23:39:05.607Z",
 "UpdatedAt": "2021-08-09T11:28:13.288Z",
 "Severity": {
  "Product": 30,
  "Label": "LOW",
  "Normalized": 30,
  "Original": "LOW"
 },
 "Title": "1.1 Avoid the use of the \"root\" account",
 "Description": "The \"root\" account has unrestricted access to all resources in the AWS account. It is highly recommended that the use of this account be avoided.",
 "Remediation": {
  "Recommendation": {
   "Text": "For directions on how to fix this issue, please consult the AWS Security Hub CIS documentation.",
   "Url": "https://docs.aws.amazon.com/console/securityhub/standards-cis-1.1/remediation"
  }
 },
 "ProductFields": {
  "StandardsGuideArn": "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0",
  "StandardsGuideSubscriptionArn": "arn:aws:securityhub:us-east-1:123456789123:subscription/cis-aws-foundations-benchmark/v/1.2.0",
  "RuleId": "1.1",
  "RecommendationUrl": "https://docs.aws.amazon.com/console/securityhub/standards-cis-1.1/remediation",
  "StandardsControlArn": "arn:aws:securityhub:us-east-1:123456789123:control/cis-aws-foundations-benchmark/v/1.2.0/1.1",
  "aws/securityhub/ProductName": "Security Hub",
  "aws/securityhub/CompanyName": "AWS",
  "aws/securityhub/annotation": "Multi region CloudTrail with the required configuration does not exist in the account",
  "Resources:0/Id": "arn:aws:iam::123456789123:root",
  "aws/securityhub/FindingId": "arn:aws:securityhub:us-east-1::product/aws/securityhub/arn:aws:securityhub:us-east-1:123456789123:subscription/cis-aws-foundations-benchmark/v/1.2.0/1.1/finding/564b8d35-d697-475e-8a02-dfb23552dc24"
 },
 "Resources": [
  {
   "Type": "AwsAccount",
   "Id": "AWS::::Account:123456789123",
   "Partition": "aws",
   "Region": "us-east-1"
  }
 ],
 "Compliance": {
  "Status": "FAILED",
  "StatusReasons": [
   {
    "ReasonCode": "CLOUDTRAIL_MULTI_REGION_NOT_PRESENT",
    "Description": "Multi region CloudTrail with the required configuration does not exist in the account"
   }
  ]
 },
 "WorkflowState": "NEW",
 "Workflow": {
  "Status": "NEW"
 },
 "RecordState": "ACTIVE",
 "FindingProviderFields": {
  "Severity": {
   "Label": "LOW",
   "Original": "LOW"
  },
  "Types": [
   "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"
  ]
 }
}`

// finding returns benchFinding with the JSON text old replaced by new.
func finding(t testing.TB, old, new string) string {
	t.Helper()
	if !strings.Contains(benchFinding, old) {
		t.Fatalf("benchFinding has no %q", old)
	}
	return strings.Replace(benchFinding, old, new, 1)
}

func TestValidate(t *testing.T) {
	long := func(c string, n int) string { return strings.Repeat(c, n) }
	resources := func(n int) string {
		r := make([]string, n)
		for i := range r {
			r[i] = `{"Type": "Other", "Id": "r` + strings.Repeat("x", i) + `"}`
		}
		return `"Resources": [` + strings.Join(r, ",") + `]`
	}
	fields := func(n int) string {
		r := make([]string, n)
		for i := range r {
			r[i] = `"k` + strings.Repeat("x", i) + `": "v"`
		}
		return `"ProductFields": {` + strings.Join(r, ",") + `}`
	}
	const res0 = `"Resources": [
  {
   "Type": "AwsAccount",`
	tests := []struct {
		name  string
		shape string
		doc   string
		path  string // "" when the document is valid
		why   string
		ijson bool
	}{
		{"valid finding", "AwsSecurityFinding", benchFinding, "", "", false},

		// Lengths, from member limits (guide) and counted in UTF-16 units.
		{"title at max", "AwsSecurityFinding", finding(t, `"1.1 Avoid the use of the \"root\" account"`, `"`+long("x", 256)+`"`), "", "", false},
		{"title too long", "AwsSecurityFinding", finding(t, `"1.1 Avoid the use of the \"root\" account"`, `"`+long("x", 257)+`"`), "data.Title", "should NOT be longer than 256 characters", false},
		{"title of 256 two-byte runes", "AwsSecurityFinding", finding(t, `"1.1 Avoid the use of the \"root\" account"`, `"`+long("é", 256)+`"`), "", "", false},
		{"title of 128 emoji", "AwsSecurityFinding", finding(t, `"1.1 Avoid the use of the \"root\" account"`, `"`+long("😀", 128)+`"`), "", "", false},
		{"title of 129 emoji", "AwsSecurityFinding", finding(t, `"1.1 Avoid the use of the \"root\" account"`, `"`+long("😀", 129)+`"`), "data.Title", "should NOT be longer than 256 characters", false},
		{"escapes count once", "AwsSecurityFinding", finding(t, `"1.1 Avoid the use of the \"root\" account"`, `"`+long(`\u0041`, 256)+`"`), "", "", false},
		{"empty resource type", "AwsSecurityFinding", finding(t, `"Type": "AwsAccount"`, `"Type": ""`), "data.Resources[0].Type", "should NOT be shorter than 1 characters", false},
		{"empty optional string", "AwsSecurityFinding", finding(t, `"Region": "us-east-1",`, `"Region": "us-east-1", "SourceUrl": "",`), "", "", false},
		{"blank optional string", "AwsSecurityFinding", finding(t, `"Region": "us-east-1",`, `"Region": "us-east-1", "SourceUrl": "  ",`), "", "", false},
		{"empty Details.Other value", "AwsSecurityFinding", finding(t, `"Partition": "aws",`, `"Partition": "aws", "Details": {"Other": {"a": ""}},`), "", "", false},

		// Required members, reported at the parent.
		{"missing Id", "AwsSecurityFinding", finding(t, `"Id": "arn:aws:securityhub:us-east-1:123456789123:subscription`, `"Xd": "arn:aws:securityhub:us-east-1:123456789123:subscription`), "data", "should have required property 'Id'", false},
		{"null Id is absent", "AwsSecurityFinding", finding(t, `"Id": "arn:aws:securityhub:us-east-1:123456789123:subscription`, `"Id": null, "Xd": "arn:aws:securityhub:us-east-1:123456789123:subscription`), "data", "should have required property 'Id'", false},
		{"missing resource type", "AwsSecurityFinding", finding(t, `"Type": "AwsAccount",`, ``), "data.Resources[0]", "should have required property 'Type'", false},
		{"null optional member", "AwsSecurityFinding", finding(t, `"Region": "us-east-1",`, `"Region": "us-east-1", "Note": null,`), "", "", false},

		// JSON types.
		{"string expected", "AwsSecurityFinding", finding(t, `"Region": "us-east-1"`, `"Region": 1`), "data.Region", "should be string", false},
		{"integer expected", "AwsSecurityFinding", finding(t, `"Normalized": 30`, `"Normalized": "30"`), "data.Severity.Normalized", "should be integer", false},
		{"fraction in integer", "AwsSecurityFinding", finding(t, `"Normalized": 30`, `"Normalized": 30.5`), "data.Severity.Normalized", "should be integer", false},
		{"integral fraction", "AwsSecurityFinding", finding(t, `"Normalized": 30`, `"Normalized": 30.0`), "", "", false},
		{"number expected", "AwsSecurityFinding", finding(t, `"Product": 30`, `"Product": "30"`), "data.Severity.Product", "should be number", false},
		{"number with fraction", "AwsSecurityFinding", finding(t, `"Product": 30`, `"Product": 3.5e1`), "", "", false},
		{"boolean expected", "AwsSecurityFinding", finding(t, `"Region": "us-east-1",`, `"Region": "us-east-1", "Sample": "true",`), "data.Sample", "should be boolean", false},
		{"boolean", "AwsSecurityFinding", finding(t, `"Region": "us-east-1",`, `"Region": "us-east-1", "Sample": false,`), "", "", false},
		{"object expected", "AwsSecurityFinding", finding(t, `"Workflow": {
  "Status": "NEW"
 }`, `"Workflow": ["NEW"]`), "data.Workflow", "should be object", false},
		{"mismatched brackets", "AwsSecurityFinding", finding(t, `"Resources": [`, `"Resources": {"a": [`), "", "", true},
		{"array expected, valid JSON", "AwsSecurityFinding", finding(t, `"Types": [
  "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"
 ]`, `"Types": "Software and Configuration Checks"`), "data.Types", "should be array", false},
		{"null list element", "AwsSecurityFinding", finding(t, `"Types": [`, `"Types": [null,`), "data.Types[0]", "should be string", false},
		{"map value type", "AwsSecurityFinding", finding(t, `"RuleId": "1.1"`, `"RuleId": {"a": 1}`), "data.ProductFields.RuleId", "should be string", false},
		{"map key path", "AwsSecurityFinding", finding(t, `"aws/securityhub/ProductName": "Security Hub"`, `"aws/securityhub/ProductName": 1`), "data.ProductFields['aws/securityhub/ProductName']", "should be string", false},

		// Enums.
		{"enum", "AwsSecurityFinding", finding(t, `"Label": "LOW",`, `"Label": "low",`), "data.Severity.Label", "should be equal to one of the allowed values", false},
		{"enum in list of structures", "AwsSecurityFinding", finding(t, `"Partition": "aws"`, `"Partition": "aws-iso"`), "data.Resources[0].Partition", "should be equal to one of the allowed values", false},

		// Item counts.
		{"no resources", "AwsSecurityFinding", strings.Replace(finding(t, res0, `"Resources": [], "X": [{`), "", "", 1), "data.Resources", "should NOT have fewer than 1 items", false},
		{"32 resources", "AwsSecurityFinding", finding(t, res0, resources(32)+`, "X": [{`), "", "", false},
		{"33 resources", "AwsSecurityFinding", finding(t, res0, resources(33)+`, "X": [{`), "data.Resources", "should NOT have more than 32 items", false},
		{"duplicate map member", "AwsSecurityFinding", finding(t, `"Region": "us-east-1",`, `"Region": "us-east-1", `+fields(50)+`,`), "data", `has a duplicate member name "ProductFields"`, true},
		{"51 product fields", "AwsSecurityFinding", finding(t, `"ProductFields": {`, fields(51)+`, "X": {`), "data.ProductFields", "should NOT have more than 50 properties", false},
		{"50 product fields replaced", "AwsSecurityFinding", finding(t, `"ProductFields": {`, fields(50)+`, "X": {`), "", "", false},

		// Number ranges from the shape.
		{"ratio at max", "AwsSecurityFinding", finding(t, `"FindingProviderFields": {`, `"FindingProviderFields": {"Confidence": 100,`), "", "", false},
		{"ratio above max", "AwsSecurityFinding", finding(t, `"FindingProviderFields": {`, `"FindingProviderFields": {"Confidence": 101,`), "data.FindingProviderFields.Confidence", "should be <= 100", false},
		{"ratio below min", "AwsSecurityFinding", finding(t, `"FindingProviderFields": {`, `"FindingProviderFields": {"Criticality": -1,`), "data.FindingProviderFields.Criticality", "should be >= 0", false},

		// Unknown members are ignored, whatever they hold.
		{"unknown members", "AwsSecurityFinding", finding(t, `"Region": "us-east-1",`, `"Region": "us-east-1", "EpssScore": {"a": [1, 2.5, null, true, "x"]}, "Severity2": 1,`), "", "", false},

		// I-JSON.
		{"duplicate member", "AwsSecurityFinding", finding(t, `"Region": "us-east-1",`, `"Region": "us-east-1", "Region": "us-east-1",`), "data", `has a duplicate member name "Region"`, true},
		{"duplicate in unknown member", "AwsSecurityFinding", finding(t, `"Region": "us-east-1",`, `"Region": "us-east-1", "X": {"a": 1, "a": 2},`), "data.X", `has a duplicate member name "a"`, true},
		{"duplicate map key", "AwsSecurityFinding", finding(t, `"RuleId": "1.1",`, `"RuleId": "1.1", "RuleId": "1.2",`), "data.ProductFields", `has a duplicate member name "RuleId"`, true},
		{"schema error then duplicate", "AwsSecurityFinding", strings.Replace(finding(t, `"Region": "us-east-1",`, `"Region": 5,`), `"RuleId": "1.1",`, `"RuleId": "1.1", "RuleId": "1.1",`, 1), "data.ProductFields", `has a duplicate member name "RuleId"`, true},
		{"infinite number", "AwsSecurityFinding", finding(t, `"Region": "us-east-1",`, `"Region": "us-east-1", "X": [1e400],`), "data.X[0]", "is a number that is not finite", true},
		{"schema error then infinite", "AwsSecurityFinding", finding(t, `"Region": "us-east-1",`, `"Region": 5, "X": [1e400],`), "data.X[0]", "is a number that is not finite", true},
		{"infinite known number", "AwsSecurityFinding", finding(t, `"Product": 30`, `"Product": -1e999`), "data.Severity.Product", "is a number that is not finite", true},
		{"invalid UTF-8", "AwsSecurityFinding", finding(t, `"Region": "us-east-1"`, "\"Region\": \"us-\xffeast-1\""), "data.Region", "is not valid UTF-8", true},
		{"trailing data", "AwsSecurityFinding", benchFinding + " {}", "data", "is not valid JSON: data after the top-level value", true},
		{"truncated", "AwsSecurityFinding", benchFinding[:500], "", "", true},
		{"not JSON", "AwsSecurityFinding", `{"Id": 'x'}`, "", "", true},
		{"empty input", "AwsSecurityFinding", ``, "", "", true},

		// Requests.
		{"import request", "BatchImportFindingsRequest", `{"Findings": [` + benchFinding + `]}`, "", "", false},
		{"import request finding path", "BatchImportFindingsRequest", `{"Findings": [{}, ` + finding(t, `"Label": "LOW",`, `"Label": "low",`) + `]}`, "data.Findings[0]", "should have required property 'SchemaVersion'", false},
		{"import request without findings", "BatchImportFindingsRequest", `{"Findings": []}`, "data.Findings", "should NOT have fewer than 1 items", false},
		{"import request missing findings", "BatchImportFindingsRequest", `{}`, "data", "should have required property 'Findings'", false},
		{"get findings", "GetFindingsRequest", `{"Filters": {"SeverityLabel": [{"Value": "HIGH", "Comparison": "EQUALS"}]}, "SortCriteria": [{"Field": "UpdatedAt", "SortOrder": "desc"}], "MaxResults": 100}`, "", "", false},
		{"get findings max results", "GetFindingsRequest", `{"MaxResults": 101}`, "data.MaxResults", "should be <= 100", false},
		{"get findings min results", "GetFindingsRequest", `{"MaxResults": 0}`, "data.MaxResults", "should be >= 1", false},
		{"get findings comparison", "GetFindingsRequest", `{"Filters": {"SeverityLabel": [{"Value": "HIGH", "Comparison": "IS"}]}}`, "data.Filters.SeverityLabel[0].Comparison", "should be equal to one of the allowed values", false},
		{"get findings sort order", "GetFindingsRequest", `{"SortCriteria": [{"Field": "UpdatedAt", "SortOrder": "down"}]}`, "data.SortCriteria[0].SortOrder", "should be equal to one of the allowed values", false},
		{"timestamp", "GetFindingHistoryRequest", `{"FindingIdentifier": {"Id": "a", "ProductArn": "b"}, "StartTime": "2024-01-02T03:04:05.678Z", "EndTime": "2024-01-02T03:04:05+01:00"}`, "", "", false},
		{"timestamp format", "GetFindingHistoryRequest", `{"FindingIdentifier": {"Id": "a", "ProductArn": "b"}, "StartTime": "yesterday"}`, "data.StartTime", `should match format "date-time"`, false},
		{"timestamp type", "GetFindingHistoryRequest", `{"FindingIdentifier": {"Id": "a", "ProductArn": "b"}, "StartTime": 1704164645}`, "data.StartTime", "should be string", false},
		{"nested required", "GetFindingHistoryRequest", `{"FindingIdentifier": {"Id": "a"}}`, "data.FindingIdentifier", "should have required property 'ProductArn'", false},
		{"uri member not required in body", "TagResourceRequest", `{"Tags": {"Env": "prod"}}`, "", "", false},
		{"tag key lookahead", "TagResourceRequest", `{"Tags": {"aws:Env": "prod"}}`, "data.Tags", "property name 'aws:Env' is invalid", false},
		{"tag key pattern", "TagResourceRequest", `{"Tags": {"Env!": "prod"}}`, "data.Tags", "property name 'Env!' is invalid", false},
		{"tag map min", "TagResourceRequest", `{"Tags": {}}`, "data.Tags", "should NOT have fewer than 1 properties", false},
		{"tag value length", "TagResourceRequest", `{"Tags": {"Env": "` + long("v", 257) + `"}}`, "data.Tags.Env", "should NOT be longer than 256 characters", false},

		// Patterns and unions on bare shapes.
		{"pattern", "AlphaNumericNonEmptyString", `"abc-_ 1é"`, "", "", false},
		{"pattern mismatch", "AlphaNumericNonEmptyString", `"abc!"`, "data", `should match pattern "^([^\u0000-\u007F]|[-_ a-zA-Z0-9])+$"`, false},
		{"union", "Criteria", `{"OcsfFindingCriteria": {}}`, "", "", false},
		{"empty union", "Criteria", `{}`, "data", "should match exactly one schema in oneOf", false},
		{"union of unknown members", "Criteria", `{"Other": {}}`, "data", "should match exactly one schema in oneOf", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Lookup(tt.shape)
			if s == nil {
				t.Fatalf("no shape %s", tt.shape)
			}
			err := Validate(s, []byte(tt.doc))
			var verr *ValidationError
			if err != nil && !errors.As(err, &verr) {
				t.Fatalf("error %T %v is not a *ValidationError", err, err)
			}
			if got := errors.Is(err, ErrNotIJSON); got != tt.ijson {
				t.Fatalf("Validate = %v; I-JSON error %v, want %v", err, got, tt.ijson)
			}
			switch {
			case tt.ijson && tt.path == "":
				// any I-JSON error will do
			case tt.path == "":
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
			default:
				if err == nil {
					t.Fatalf("Validate = nil, want %s %s", tt.path, tt.why)
				}
				if verr.Path != tt.path || verr.Reason != tt.why {
					t.Fatalf("Validate = %q %q, want %q %q", verr.Path, verr.Reason, tt.path, tt.why)
				}
			}
		})
	}
}

// recorder is a Visitor that records members and rejects one string.
type recorder struct {
	members []string
	keys    int
	reject  string
}

func (r *recorder) Member(parent *Shape, m *Member) {
	r.members = append(r.members, parent.Name+"."+m.Name)
}

func (r *recorder) Scalar(f Field, v []byte) string {
	if f.Key {
		r.keys++
	}
	if string(v) == r.reject {
		return "is rejected"
	}
	return ""
}

func TestValidateWith(t *testing.T) {
	r := &recorder{reject: "FAILED"}
	err := ValidateWith(Lookup("AwsSecurityFinding"), []byte(benchFinding), r)
	var verr *ValidationError
	if !errors.As(err, &verr) || verr.Path != "data.Compliance.Status" || verr.Reason != "is rejected" {
		t.Fatalf("ValidateWith = %v", err)
	}
	r = &recorder{reject: "aws/securityhub/FindingId"}
	err = ValidateWith(Lookup("AwsSecurityFinding"), []byte(benchFinding), r)
	if !errors.As(err, &verr) || verr.Path != "data.ProductFields" || verr.Reason != "is rejected" {
		t.Fatalf("ValidateWith = %v, want a rejected key", err)
	}
	r = &recorder{}
	if err := ValidateWith(Lookup("AwsSecurityFinding"), []byte(benchFinding), r); err != nil {
		t.Fatal(err)
	}
	if r.keys != 10 {
		t.Errorf("visited %d map keys, want 10", r.keys)
	}
	if len(r.members) < 2 || r.members[0] != "AwsSecurityFinding.SchemaVersion" || r.members[1] != "AwsSecurityFinding.Id" {
		t.Errorf("members = %v", r.members)
	}
	if !slices.Contains(r.members, "FindingProviderSeverity.Label") {
		t.Errorf("members = %v, want FindingProviderSeverity.Label", r.members)
	}
}

func TestPatternsCompile(t *testing.T) {
	for i := range shapes {
		s := &shapes[i]
		if s.Pattern != "" && s.Pattern != nonEmptyPattern && patternOf(s) == nil {
			t.Errorf("pattern of %s does not compile: %q", s.Name, s.Pattern)
		}
	}
}

func TestUTF16Len(t *testing.T) {
	for s, n := range map[string]int{"": 0, "abc": 3, "é": 1, "€": 1, "😀": 2, "a😀b": 4} {
		if got := UTF16Len([]byte(s)); got != n {
			t.Errorf("UTF16Len(%q) = %d, want %d", s, got, n)
		}
	}
}

func BenchmarkValidateFinding(b *testing.B) {
	s := Lookup("AwsSecurityFinding")
	raw := []byte(benchFinding)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Validate(s, raw); err != nil {
			b.Fatal(err)
		}
	}
}
