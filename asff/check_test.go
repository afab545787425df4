package asff

import (
	"errors"
	"strings"
	"testing"

	"github.com/muster-hub/muster/model"
)

// base is a valid finding from the default product of account 111122223333.
const base = `{
 "SchemaVersion": "2018-10-08",
 "Id": "us-east-1/i-0123/CVE-2024-0001",
 "ProductArn": "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default",
 "GeneratorId": "scanner",
 "AwsAccountId": "111122223333",
 "Types": ["Software and Configuration Checks/Vulnerabilities/CVE"],
 "CreatedAt": "2024-01-02T03:04:05.123456789Z",
 "UpdatedAt": "2024-01-02T03:04:05+01:00",
 "Severity": {"Label": "HIGH", "Normalized": 70},
 "Title": "CVE-2024-0001",
 "Description": "A vulnerability.",
 "ProductFields": {"Product Name": "Trivy", "aws/securityhub/FindingId": "x"},
 "Resources": [{"Type": "Container", "Id": "img", "Details": {"Other": {"a": ""}}}]
}`

func with(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(base, old) {
		t.Fatalf("base has no %q", old)
	}
	return strings.Replace(base, old, new, 1)
}

func TestCheck(t *testing.T) {
	const pre = "Finding does not adhere to Amazon Finding Format. "
	fields := func(n int, prefix string) string {
		s := make([]string, n)
		for i := range s {
			s[i] = `"` + prefix + strings.Repeat("k", i+1) + `": "v"`
		}
		return `"ProductFields": {` + strings.Join(s, ", ") + `}`
	}
	tests := []struct {
		name, doc, want string // want "" for a valid finding
	}{
		{"valid", base, ""},
		{"schema", with(t, `"Title": "CVE-2024-0001"`, `"Title": "`+strings.Repeat("t", 257)+`"`), pre + "data.Title should NOT be longer than 256 characters."},
		{"too large", with(t, `"Description": "A vulnerability."`, `"Description": "x", "Big": "`+strings.Repeat("x", MaxFindingSize)+`"`), "Finding size exceeded 240 KB"},
		{"field at limit", with(t, `"Description": "A vulnerability."`, `"Description": "x", "Big": "`+strings.Repeat("x", MaxFieldLength-1)+`"`), ""},
		{"field too long", with(t, `"Description": "A vulnerability."`, `"Description": "x", "Big": "`+strings.Repeat("x", MaxFieldLength)+`"`), "The maximum size of an individual field should be less than 32768"},
		{"field too long escaped", with(t, `"Description": "A vulnerability."`, `"Description": "x", "Big": "`+strings.Repeat(`\n`, MaxFieldLength)+`"`), "The maximum size of an individual field should be less than 32768"},
		{"schema version", with(t, `"2018-10-08"`, `"2018-10-09"`), pre + "data.SchemaVersion should be equal to one of the allowed values."},
		{"account digits", with(t, `"AwsAccountId": "111122223333"`, `"AwsAccountId": "ACCOUNT_ID00"`), pre + `data.AwsAccountId should match pattern "^\d{12}$".`},
		{"account length", with(t, `"AwsAccountId": "111122223333"`, `"AwsAccountId": "12345678910"`), pre + "data.AwsAccountId should NOT be shorter than 12 characters."},
		{"product arn", with(t, `"arn:aws:securityhub:us-east-1:111122223333:product`, `"arn:aws::securityhub:us-east-1:111122223333:product`), pre + `data.ProductArn should match pattern "` + productARNPattern + `".`},
		{"product arn without region", with(t, `"arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"`, `"arn:aws:securityhub:::product/aquasecurity/aquasecurity"`), pre + `data.ProductArn should match pattern`},
		{"timestamp", with(t, `"CreatedAt": "2024-01-02T03:04:05.123456789Z"`, `"CreatedAt": "2024-01-02 03:04:05"`), pre + `data.CreatedAt should match format "date-time".`},
		{"nested timestamp", with(t, `"Title"`, `"Note": {"Text": "n", "UpdatedBy": "me", "UpdatedAt": "1977-06-02T122:29:47Z"}, "Title"`), pre + `data.Note.UpdatedAt should match format "date-time".`},
		{"details timestamp", with(t, `"Details": {`, `"Details": {"AwsIamRole": {"CreateDate": "yesterday"}, `), pre + `data.Resources[0].Details.AwsIamRole.CreateDate should match format "date-time".`},
		{"details timestamp ok", with(t, `"Details": {`, `"Details": {"AwsIamRole": {"CreateDate": "2018-12-02T23:43:03.954804+00:00"}, `), ""},
		{"type namespace only", with(t, `"Software and Configuration Checks/Vulnerabilities/CVE"`, `"IAM"`), ""},
		{"type four segments", with(t, `"Software and Configuration Checks/Vulnerabilities/CVE"`, `"a/b/c/d"`), pre + `data.Types[0] should match pattern "^([^/]+)(/[^/]+){0,2}$".`},
		{"type empty segment", with(t, `"Software and Configuration Checks/Vulnerabilities/CVE"`, `"Tags/cveid/"`), pre + `data.Types[0] should match pattern "^([^/]+)(/[^/]+){0,2}$".`},
		{"type empty", with(t, `"Software and Configuration Checks/Vulnerabilities/CVE"`, `""`), pre + `data.Types[0] should match pattern`},
		{"provider type", with(t, `"Title"`, `"FindingProviderFields": {"Types": ["/x"]}, "Title"`), pre + `data.FindingProviderFields.Types[0] should match pattern`},
		{"normalized range", with(t, `"Normalized": 70`, `"Normalized": 101`), pre + "data.Severity.Normalized should be <= 100."},
		{"confidence range", with(t, `"Title"`, `"Confidence": -1, "Title"`), pre + "data.Confidence should be >= 0."},
		{"product field value", with(t, `"Product Name": "Trivy"`, `"Product Name": "`+strings.Repeat("v", 2049)+`"`), pre + "data.ProductFields['Product Name'] should NOT be longer than 2048 characters."},
		{"product field key", with(t, `"Product Name": "Trivy"`, `"`+strings.Repeat("k", 129)+`": "Trivy"`), pre + "data.ProductFields property name '" + strings.Repeat("k", 129) + "' is invalid."},
		{"user field value", with(t, `"Title"`, `"UserDefinedFields": {"a": "`+strings.Repeat("v", 1025)+`"}, "Title"`), pre + "data.UserDefinedFields.a should NOT be longer than 1024 characters."},
		{"nested product field", with(t, `"Product Name": "Trivy"`, `"AssetDetails": {"a": 1}`), pre + "data.ProductFields.AssetDetails should be string."},
		{"50 product fields and aws keys", with(t, `"ProductFields": {"Product Name": "Trivy", "aws/securityhub/FindingId": "x"}`, strings.TrimSuffix(fields(50, "p"), "}")+`, "aws/securityhub/FindingId": "x", "aws/securityhub/ProductName": "x", "aws/securityhub/CompanyName": "x"}`), ""},
		{"51 product fields", with(t, `"ProductFields": {"Product Name": "Trivy", "aws/securityhub/FindingId": "x"}`, fields(51, "p")), pre + "data.ProductFields should NOT have more than 50 properties."},
		{"51 product fields under aws/", with(t, `"ProductFields": {"Product Name": "Trivy", "aws/securityhub/FindingId": "x"}`, fields(51, "aws/guardduty/")), pre + "data.ProductFields should NOT have more than 50 properties."},
		{"empty product field value", with(t, `"Product Name": "Trivy"`, `"Product Name": ""`), ""},

		// Severity and types, at the top level or from the provider.
		{"no severity nor provider fields", with(t, `"Severity": {"Label": "HIGH", "Normalized": 70},`, ``), pre + "data should have required property 'FindingProviderFields', data should match some schema in anyOf."},
		{"no types nor provider fields", with(t, `"Types": ["Software and Configuration Checks/Vulnerabilities/CVE"],`, ``), pre + "data should have required property 'FindingProviderFields', data should match some schema in anyOf."},
		{"severity without label or normalized", with(t, `"Severity": {"Label": "HIGH", "Normalized": 70}`, `"Severity": {"Original": "7"}`), pre + "data should have required property 'FindingProviderFields'"},
		{"normalized only", with(t, `"Severity": {"Label": "HIGH", "Normalized": 70}`, `"Severity": {"Product": 7, "Normalized": 40}`), ""},
		{"empty types", with(t, `["Software and Configuration Checks/Vulnerabilities/CVE"]`, `[]`), ""},
		{"provider severity and types", with(t, `"Types": ["Software and Configuration Checks/Vulnerabilities/CVE"],
 "CreatedAt": "2024-01-02T03:04:05.123456789Z",
 "UpdatedAt": "2024-01-02T03:04:05+01:00",
 "Severity": {"Label": "HIGH", "Normalized": 70},`, `"FindingProviderFields": {"Severity": {"Label": "LOW"}, "Types": ["Effects"]}, "CreatedAt": "2024-01-02T03:04:05Z", "UpdatedAt": "2024-01-02T03:04:05Z",`), ""},
		{"provider severity without label", with(t, `"Severity": {"Label": "HIGH", "Normalized": 70},`, `"FindingProviderFields": {"Severity": {"Original": "x"}},`), pre + "data.FindingProviderFields.Severity should have required property 'Label', data should match some schema in anyOf."},
		{"provider fields without severity", with(t, `"Severity": {"Label": "HIGH", "Normalized": 70},`, `"FindingProviderFields": {"Types": ["x"]},`), pre + "data.FindingProviderFields should have required property 'Severity', data should match some schema in anyOf."},
		{"provider fields without types", with(t, `"Types": ["Software and Configuration Checks/Vulnerabilities/CVE"],`, `"FindingProviderFields": {"Severity": {"Label": "LOW"}},`), pre + "data.FindingProviderFields should have required property 'Types', data should match some schema in anyOf."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check([]byte(tt.doc))
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Check = %v", err)
				}
				return
			}
			var inv *Invalid
			if !errors.As(err, &inv) {
				t.Fatalf("Check = %v (%T), want an *Invalid", err, err)
			}
			if !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("Check =\n%s\nwant\n%s", err, tt.want)
			}
		})
	}
}

func TestCheckNotJSON(t *testing.T) {
	for _, doc := range []string{`{"Id": "a",`, `{"Id": "a", "Id": "b"}`, `[1e999]`, "{\"Id\": \"\xff\"}"} {
		err := Check([]byte(doc))
		var inv *Invalid
		if !errors.As(err, &inv) || !errors.Is(err, model.ErrNotIJSON) {
			t.Errorf("Check(%q) = %v, want an *Invalid wrapping ErrNotIJSON", doc, err)
		}
	}
	if err := Check([]byte(with(t, `"Title": "CVE-2024-0001"`, `"Title": ""`))); errors.Is(err, model.ErrNotIJSON) {
		t.Errorf("a schema error wraps ErrNotIJSON: %v", err)
	}
}

func TestTimestampMembers(t *testing.T) {
	// The top-level timestamps the brief and the guide name must be in the
	// table extracted from the model's documentation.
	for _, name := range []string{"AwsSecurityFinding.CreatedAt", "AwsSecurityFinding.UpdatedAt", "AwsSecurityFinding.FirstObservedAt", "AwsSecurityFinding.LastObservedAt", "AwsSecurityFinding.ProcessedAt", "Note.UpdatedAt", "ThreatIntelIndicator.LastObservedAt", "ProcessDetails.LaunchedAt", "PatchSummary.OperationStartTime"} {
		sname, mname, _ := strings.Cut(name, ".")
		if !isTimestamp[model.Lookup(sname).Member(mname)] {
			t.Errorf("%s is not checked as a timestamp", name)
		}
	}
}

func TestParseProductARN(t *testing.T) {
	good := map[string]ProductARN{
		"arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default":               {"aws", "us-east-1", "111122223333", "111122223333", "default"},
		"arn:aws:securityhub:eu-west-1::product/prowler/prowler":                                {"aws", "eu-west-1", "", "prowler", "prowler"},
		"arn:aws-us-gov:securityhub:us-gov-west-1::product/aws/guardduty":                       {"aws-us-gov", "us-gov-west-1", "", "aws", "guardduty"},
		"arn:aws-cn:securityhub:cn-north-1:123456789012:product/crowdstrike/crowdstrike-falcon": {"aws-cn", "cn-north-1", "123456789012", "crowdstrike", "crowdstrike-falcon"},
	}
	for s, want := range good {
		got, err := ParseProductARN(s)
		if err != nil || got != want {
			t.Errorf("ParseProductARN(%s) = %+v, %v; want %+v", s, got, err, want)
		}
		if got.String() != s {
			t.Errorf("String() = %s, want %s", got.String(), s)
		}
	}
	for _, s := range []string{
		"arn:aws:securityhub:::product/aquasecurity/aquasecurity", // trivy#6010
		"arn:aws::securityhub:us-east-1::product/aws/guardduty",   // GuardDuty guide
		"arn:aws:securityhub:us-east-1:1234:product/a/b",
		"arn:aws:securityhub:us-east-1::product/a",
		"arn:aws:securityhub:us-east-1::product/a/b/c",
		"arn:aws:securityhub:us-east-1::product//b",
		"arn:aws:securityhub:us-east-1::hub/default",
		"arn:aws:guardduty:us-east-1::product/a/b",
		"arn:azure:securityhub:us-east-1::product/a/b",
		"arn:aws:securityhub:US-EAST-1::product/a/b",
		"",
	} {
		if _, err := ParseProductARN(s); err == nil {
			t.Errorf("ParseProductARN(%q) succeeded", s)
		}
	}
}

func TestFindingID(t *testing.T) {
	for doc, want := range map[string]string{
		base:                               "us-east-1/i-0123/CVE-2024-0001",
		`{"A": {"Id": "no"}, "Id": "yes"}`: "yes",
		`{"Id": "a\/b\u0041"}`:             "a/bA",
		`{"Id": 5}`:                        "",
		`{"Title": "x"}`:                   "",
		`{"Id": "a", "Title": `:            "a",
		`[{"Id": "a"}]`:                    "",
		`not json`:                         "",
	} {
		if got := FindingID([]byte(doc)); got != want {
			t.Errorf("FindingID(%s) = %q, want %q", doc, got, want)
		}
	}
}

func BenchmarkCheck(b *testing.B) {
	raw := []byte(base)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Check(raw); err != nil {
			b.Fatal(err)
		}
	}
}
