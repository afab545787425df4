package filter

import (
	"encoding/json"
	"testing"
	"time"
)

var testNow = time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)

func mustParse(t *testing.T, s string) *Filters {
	t.Helper()
	f, err := Parse([]byte(s), testNow)
	if err != nil {
		t.Fatalf("Parse(%s): %v", s, err)
	}
	return f
}

func mustDoc(t *testing.T, s string) Doc {
	t.Helper()
	var d Doc
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		t.Fatalf("doc %s: %v", s, err)
	}
	return d
}

// TestMatch has, for each rule of the matching contract, a finding that
// the filter selects and one that it does not.
func TestMatch(t *testing.T) {
	const twoRes = `{"Resources":[{"Type":"AwsIamRole","Id":"r1","Tags":{"env":"prod"}},{"Type":"AwsEc2Instance","Id":"i-1","Tags":{"team":"sec"},"Details":{"AwsEc2Instance":{"IpV4Addresses":["10.0.0.5","192.168.1.1"],"IpV6Addresses":["2001:db8::1"]}}}]}`
	tests := []struct {
		name, filter, doc string
		want              bool
	}{
		// attributes AND
		{"and both", `{"Title":[{"Value":"t","Comparison":"EQUALS"}],"Id":[{"Value":"x","Comparison":"EQUALS"}]}`, `{"Title":"t","Id":"x"}`, true},
		{"and one", `{"Title":[{"Value":"t","Comparison":"EQUALS"}],"Id":[{"Value":"x","Comparison":"EQUALS"}]}`, `{"Title":"t","Id":"y"}`, false},
		{"no filters", `{}`, `{}`, true},
		// positives OR
		{"or second", `{"Title":[{"Value":"a","Comparison":"EQUALS"},{"Value":"b","Comparison":"EQUALS"}]}`, `{"Title":"b"}`, true},
		{"or none", `{"Title":[{"Value":"a","Comparison":"EQUALS"},{"Value":"b","Comparison":"EQUALS"}]}`, `{"Title":"c"}`, false},
		// negatives AND
		{"not both ok", `{"Title":[{"Value":"a","Comparison":"NOT_EQUALS"},{"Value":"b","Comparison":"NOT_EQUALS"}]}`, `{"Title":"c"}`, true},
		{"not second", `{"Title":[{"Value":"a","Comparison":"NOT_EQUALS"},{"Value":"b","Comparison":"NOT_EQUALS"}]}`, `{"Title":"b"}`, false},
		// positive then negatives
		{"prefix minus kept", `{"ResourceType":[{"Value":"AwsIam","Comparison":"PREFIX"},{"Value":"AwsEc2","Comparison":"PREFIX"},{"Value":"AwsIamPolicy","Comparison":"NOT_EQUALS"}]}`, `{"Resources":[{"Type":"AwsIamRole"}]}`, true},
		{"prefix minus removed", `{"ResourceType":[{"Value":"AwsIam","Comparison":"PREFIX"},{"Value":"AwsEc2","Comparison":"PREFIX"},{"Value":"AwsIamPolicy","Comparison":"NOT_EQUALS"}]}`, `{"Resources":[{"Type":"AwsIamPolicy"}]}`, false},
		{"prefix minus no positive", `{"ResourceType":[{"Value":"AwsIam","Comparison":"PREFIX"},{"Value":"AwsIamPolicy","Comparison":"NOT_EQUALS"}]}`, `{"Resources":[{"Type":"AwsS3Bucket"}]}`, false},
		// strings
		{"case sensitive", `{"Title":[{"Value":"abc","Comparison":"EQUALS"}]}`, `{"Title":"ABC"}`, false},
		{"equals", `{"Title":[{"Value":"abc","Comparison":"EQUALS"}]}`, `{"Title":"abc"}`, true},
		{"prefix", `{"Title":[{"Value":"ab","Comparison":"PREFIX"}]}`, `{"Title":"abc"}`, true},
		{"prefix miss", `{"Title":[{"Value":"bc","Comparison":"PREFIX"}]}`, `{"Title":"abc"}`, false},
		{"contains", `{"Title":[{"Value":"bc","Comparison":"CONTAINS"}]}`, `{"Title":"abcd"}`, true},
		{"contains miss", `{"Title":[{"Value":"bd","Comparison":"CONTAINS"}]}`, `{"Title":"abcd"}`, false},
		{"not contains", `{"Title":[{"Value":"bd","Comparison":"NOT_CONTAINS"}]}`, `{"Title":"abcd"}`, true},
		{"not contains miss", `{"Title":[{"Value":"bc","Comparison":"NOT_CONTAINS"}]}`, `{"Title":"abcd"}`, false},
		{"prefix not equals", `{"Region":[{"Value":"us","Comparison":"PREFIX_NOT_EQUALS"}]}`, `{"Region":"eu-west-1"}`, true},
		{"prefix not equals miss", `{"Region":[{"Value":"us","Comparison":"PREFIX_NOT_EQUALS"}]}`, `{"Region":"us-east-1"}`, false},
		{"nested path", `{"SeverityLabel":[{"Value":"HIGH","Comparison":"EQUALS"}]}`, `{"Severity":{"Label":"HIGH"}}`, true},
		{"nested path miss", `{"SeverityLabel":[{"Value":"HIGH","Comparison":"EQUALS"}]}`, `{"Severity":{"Label":"LOW"}}`, false},
		// absent and wrong-typed values
		{"absent positive", `{"Title":[{"Value":"a","Comparison":"EQUALS"}]}`, `{}`, false},
		{"absent negative", `{"Title":[{"Value":"a","Comparison":"NOT_EQUALS"}]}`, `{}`, true},
		{"absent not contains", `{"Title":[{"Value":"a","Comparison":"NOT_CONTAINS"}]}`, `{}`, true},
		{"null is absent", `{"Title":[{"Value":"a","Comparison":"NOT_EQUALS"}]}`, `{"Title":null}`, true},
		{"number for string is absent", `{"Title":[{"Value":"42","Comparison":"EQUALS"}]}`, `{"Title":42}`, false},
		{"number for string negative", `{"Title":[{"Value":"42","Comparison":"NOT_EQUALS"}]}`, `{"Title":42}`, true},
		{"object where array", `{"ResourceId":[{"Value":"r1","Comparison":"EQUALS"}]}`, `{"Resources":{"Id":"r1"}}`, false},
		// multi-valued
		{"multi any", `{"ResourceId":[{"Value":"i-1","Comparison":"EQUALS"}]}`, twoRes, true},
		{"multi any miss", `{"ResourceId":[{"Value":"i-2","Comparison":"EQUALS"}]}`, twoRes, false},
		{"multi negative none", `{"ResourceId":[{"Value":"i-2","Comparison":"NOT_EQUALS"}]}`, twoRes, true},
		{"multi negative one violates", `{"ResourceId":[{"Value":"i-1","Comparison":"NOT_EQUALS"}]}`, twoRes, false},
		{"multi positive and negative", `{"ResourceType":[{"Value":"Aws","Comparison":"PREFIX"},{"Value":"AwsEc2","Comparison":"PREFIX_NOT_EQUALS"}]}`, twoRes, false},
		{"types", `{"Type":[{"Value":"TTPs","Comparison":"PREFIX"}]}`, `{"Types":["Effects/X","TTPs/Discovery"]}`, true},
		{"types miss", `{"Type":[{"Value":"TTPs","Comparison":"PREFIX"}]}`, `{"Types":["Effects/X"]}`, false},
		{"array in array", `{"ComplianceSecurityControlParametersValue":[{"Value":"7","Comparison":"EQUALS"}]}`, `{"Compliance":{"SecurityControlParameters":[{"Name":"a","Value":["1"]},{"Name":"b","Value":["3","7"]}]}}`, true},
		{"array in array miss", `{"ComplianceSecurityControlParametersValue":[{"Value":"5","Comparison":"EQUALS"}]}`, `{"Compliance":{"SecurityControlParameters":[{"Name":"a","Value":["1"]},{"Name":"b","Value":["3","7"]}]}}`, false},
		// maps
		{"tags any resource", `{"ResourceTags":[{"Key":"team","Value":"sec","Comparison":"EQUALS"}]}`, twoRes, true},
		{"tags wrong value", `{"ResourceTags":[{"Key":"team","Value":"prod","Comparison":"EQUALS"}]}`, twoRes, false},
		{"tags absent key", `{"ResourceTags":[{"Key":"owner","Value":"x","Comparison":"EQUALS"}]}`, twoRes, false},
		{"tags absent key negative", `{"ResourceTags":[{"Key":"owner","Value":"x","Comparison":"NOT_EQUALS"}]}`, twoRes, true},
		{"tags negative violated", `{"ResourceTags":[{"Key":"env","Value":"prod","Comparison":"NOT_EQUALS"}]}`, twoRes, false},
		{"tags or across keys", `{"ResourceTags":[{"Key":"env","Value":"dev","Comparison":"EQUALS"},{"Key":"team","Value":"sec","Comparison":"EQUALS"}]}`, twoRes, true},
		{"tags contains", `{"ResourceTags":[{"Key":"env","Value":"ro","Comparison":"CONTAINS"}]}`, twoRes, true},
		{"product fields", `{"ProductFields":[{"Key":"aws/securityhub/ProductName","Value":"GuardDuty","Comparison":"EQUALS"}]}`, `{"ProductFields":{"aws/securityhub/ProductName":"GuardDuty"}}`, true},
		{"map non-string value", `{"UserDefinedFields":[{"Key":"k","Value":"1","Comparison":"EQUALS"}]}`, `{"UserDefinedFields":{"k":1}}`, false},
		{"details other", `{"ResourceDetailsOther":[{"Key":"k","Value":"v","Comparison":"EQUALS"}]}`, `{"Resources":[{"Details":{"Other":{"k":"v"}}}]}`, true},
		// numbers
		{"range", `{"Confidence":[{"Gte":40,"Lt":70}]}`, `{"Confidence":40}`, true},
		{"range upper strict", `{"Confidence":[{"Gte":40,"Lt":70}]}`, `{"Confidence":70}`, false},
		{"number or", `{"Confidence":[{"Eq":0},{"Gt":90}]}`, `{"Confidence":0}`, true},
		{"number or miss", `{"Confidence":[{"Eq":0},{"Gt":90}]}`, `{"Confidence":50}`, false},
		{"lte", `{"Criticality":[{"Lte":10}]}`, `{"Criticality":10}`, true},
		{"lte miss", `{"Criticality":[{"Lte":10}]}`, `{"Criticality":10.5}`, false},
		{"number absent", `{"Confidence":[{"Gte":0}]}`, `{}`, false},
		{"string is no number", `{"Confidence":[{"Eq":40}]}`, `{"Confidence":"40"}`, false},
		{"double", `{"SeverityProduct":[{"Gt":2.4,"Lt":2.6}]}`, `{"Severity":{"Product":2.5}}`, true},
		// dates
		{"date start inclusive", `{"UpdatedAt":[{"Start":"2025-01-01T00:00:00Z","End":"2025-01-31T00:00:00Z"}]}`, `{"UpdatedAt":"2025-01-01T00:00:00.000Z"}`, true},
		{"date before start", `{"UpdatedAt":[{"Start":"2025-01-01T00:00:00Z","End":"2025-01-31T00:00:00Z"}]}`, `{"UpdatedAt":"2024-12-31T23:59:59.999Z"}`, false},
		{"date end inclusive", `{"UpdatedAt":[{"Start":"2025-01-01T00:00:00Z","End":"2025-01-31T00:00:00Z"}]}`, `{"UpdatedAt":"2025-01-31T00:00:00Z"}`, true},
		{"date after end", `{"UpdatedAt":[{"Start":"2025-01-01T00:00:00Z","End":"2025-01-31T00:00:00Z"}]}`, `{"UpdatedAt":"2025-01-31T00:00:00.001Z"}`, false},
		{"date offset instant", `{"UpdatedAt":[{"Start":"2025-01-01T00:00:00Z","End":"2025-01-01T00:00:00Z"}]}`, `{"UpdatedAt":"2025-01-01T02:00:00+02:00"}`, true},
		{"date offset instant miss", `{"UpdatedAt":[{"Start":"2025-01-01T00:00:00Z","End":"2025-01-01T00:00:00Z"}]}`, `{"UpdatedAt":"2025-01-01T00:00:00+02:00"}`, false},
		{"date ns rounds up", `{"UpdatedAt":[{"Start":"2025-01-01T00:00:00.001Z","End":"2025-01-01T00:00:00.001Z"}]}`, `{"UpdatedAt":"2025-01-01T00:00:00.000500Z"}`, true},
		{"date ns rounds down", `{"UpdatedAt":[{"Start":"2025-01-01T00:00:00.001Z","End":"2025-01-01T00:00:00.001Z"}]}`, `{"UpdatedAt":"2025-01-01T00:00:00.000499999Z"}`, false},
		{"date unparseable", `{"UpdatedAt":[{"DateRange":{"Value":36500,"Unit":"DAYS"}}]}`, `{"UpdatedAt":"yesterday"}`, false},
		{"date or", `{"CreatedAt":[{"Start":"2020-01-01T00:00:00Z","End":"2020-01-02T00:00:00Z"},{"DateRange":{"Value":1,"Unit":"DAYS"}}]}`, `{"CreatedAt":"2025-06-15T00:00:00Z"}`, true},
		{"within edge", `{"UpdatedAt":[{"DateRange":{"Value":7,"Unit":"DAYS"}}]}`, `{"UpdatedAt":"2025-06-08T12:00:00Z"}`, true},
		{"within before edge", `{"UpdatedAt":[{"DateRange":{"Value":7,"Unit":"DAYS","Comparison":"WITHIN"}}]}`, `{"UpdatedAt":"2025-06-08T11:59:59.999Z"}`, false},
		{"within now", `{"UpdatedAt":[{"DateRange":{"Value":7,"Unit":"DAYS"}}]}`, `{"UpdatedAt":"2025-06-15T12:00:00Z"}`, true},
		{"within future", `{"UpdatedAt":[{"DateRange":{"Value":7,"Unit":"DAYS"}}]}`, `{"UpdatedAt":"2025-06-15T12:00:00.001Z"}`, false},
		{"older than strict", `{"UpdatedAt":[{"DateRange":{"Value":7,"Unit":"DAYS","Comparison":"OLDER_THAN"}}]}`, `{"UpdatedAt":"2025-06-08T12:00:00Z"}`, false},
		{"older than", `{"UpdatedAt":[{"DateRange":{"Value":7,"Unit":"DAYS","Comparison":"OLDER_THAN"}}]}`, `{"UpdatedAt":"2025-06-08T11:59:59.999Z"}`, true},
		{"date multi", `{"ThreatIntelIndicatorLastObservedAt":[{"DateRange":{"Value":1,"Unit":"DAYS"}}]}`, `{"ThreatIntelIndicators":[{"LastObservedAt":"2020-01-01T00:00:00Z"},{"LastObservedAt":"2025-06-15T00:00:00Z"}]}`, true},
		{"date multi miss", `{"ThreatIntelIndicatorLastObservedAt":[{"DateRange":{"Value":1,"Unit":"DAYS"}}]}`, `{"ThreatIntelIndicators":[{"LastObservedAt":"2020-01-01T00:00:00Z"}]}`, false},
		// IP
		{"ipv4 in", `{"NetworkSourceIpV4":[{"Cidr":"10.0.0.0/8"}]}`, `{"Network":{"SourceIpV4":"10.1.2.3"}}`, true},
		{"ipv4 out", `{"NetworkSourceIpV4":[{"Cidr":"10.0.0.0/8"}]}`, `{"Network":{"SourceIpV4":"11.1.2.3"}}`, false},
		{"ip bare address", `{"NetworkSourceIpV4":[{"Cidr":"10.1.2.3"}]}`, `{"Network":{"SourceIpV4":"10.1.2.3"}}`, true},
		{"ip bare address other", `{"NetworkSourceIpV4":[{"Cidr":"10.1.2.3"}]}`, `{"Network":{"SourceIpV4":"10.1.2.4"}}`, false},
		{"ip host bits", `{"NetworkSourceIpV4":[{"Cidr":"10.1.2.3/16"}]}`, `{"Network":{"SourceIpV4":"10.1.200.1"}}`, true},
		{"ipv6 in", `{"NetworkDestinationIpV6":[{"Cidr":"2001:db8::/32"}]}`, `{"Network":{"DestinationIpV6":"2001:db8:1::1"}}`, true},
		{"ipv6 out", `{"NetworkDestinationIpV6":[{"Cidr":"2001:db8::/32"}]}`, `{"Network":{"DestinationIpV6":"2001:db9::1"}}`, false},
		{"ip family", `{"NetworkSourceIpV4":[{"Cidr":"::/0"}]}`, `{"Network":{"SourceIpV4":"10.1.2.3"}}`, false},
		{"ip mapped", `{"NetworkSourceIpV6":[{"Cidr":"::ffff:0:0/96"}]}`, `{"Network":{"SourceIpV6":"::ffff:10.0.0.1"}}`, true},
		{"ip mapped not v4", `{"NetworkSourceIpV6":[{"Cidr":"10.0.0.0/8"}]}`, `{"Network":{"SourceIpV6":"::ffff:10.0.0.1"}}`, false},
		{"ip cidr value absent", `{"NetworkSourceIpV4":[{"Cidr":"0.0.0.0/0"}]}`, `{"Network":{"SourceIpV4":"10.0.0.0/24"}}`, false},
		{"ip or", `{"NetworkSourceIpV4":[{"Cidr":"192.168.0.0/16"},{"Cidr":"10.0.0.0/8"}]}`, `{"Network":{"SourceIpV4":"10.0.0.0"}}`, true},
		{"ip multi", `{"ResourceAwsEc2InstanceIpV4Addresses":[{"Cidr":"192.168.1.0/24"}]}`, twoRes, true},
		{"ip multi miss", `{"ResourceAwsEc2InstanceIpV4Addresses":[{"Cidr":"172.16.0.0/12"}]}`, twoRes, false},
		// boolean
		{"bool", `{"Sample":[{"Value":true}]}`, `{"Sample":true}`, true},
		{"bool miss", `{"Sample":[{"Value":true}]}`, `{"Sample":false}`, false},
		{"bool or", `{"Sample":[{"Value":true},{"Value":false}]}`, `{"Sample":false}`, true},
		{"bool absent", `{"Sample":[{"Value":false}]}`, `{}`, false},
		{"bool string", `{"Sample":[{"Value":true}]}`, `{"Sample":"true"}`, false},
		// keyword
		{"keyword description", `{"Keyword":[{"Value":"Tor exit"}]}`, `{"Title":"API call","Description":"Called from a Tor exit node"}`, true},
		{"keyword case", `{"Keyword":[{"Value":"tor exit"}]}`, `{"Title":"API call","Description":"Called from a Tor exit node"}`, false},
		{"keyword title or", `{"Keyword":[{"Value":"zzz"},{"Value":"API"}]}`, `{"Title":"API call"}`, true},
		{"keyword not id", `{"Keyword":[{"Value":"abc"}]}`, `{"Id":"abc","Title":"x","Description":"y"}`, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := mustParse(t, tc.filter)
			if got := f.Match(mustDoc(t, tc.doc)); got != tc.want {
				t.Errorf("Match = %v, want %v\nfilter %s\ndoc %s", got, tc.want, tc.filter, tc.doc)
			}
		})
	}
}

func TestValues(t *testing.T) {
	doc := mustDoc(t, `{"Resources":[{"Details":{"AwsEc2Instance":{"IpV4Addresses":["a","b"]}}},{"Details":null},{"Details":{"AwsEc2Instance":{"IpV4Addresses":["c",null,1]}}}],"Title":"t","Description":"d"}`)
	got := LookupField("ResourceAwsEc2InstanceIpV4Addresses").Values(doc)
	want := []any{"a", "b", "c", float64(1)}
	if len(got) != len(want) {
		t.Fatalf("Values = %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("Values = %v, want %v", got, want)
		}
	}
	if kw := LookupField("Keyword").Values(doc); len(kw) != 2 || kw[0] != "t" || kw[1] != "d" {
		t.Errorf("Keyword values = %v", kw)
	}
	var nilFilters *Filters
	if !nilFilters.Match(doc) {
		t.Error("nil Filters does not match")
	}
}
