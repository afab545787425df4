package filter_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/filter"
)

var now = time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)

func TestParseErrors(t *testing.T) {
	var many []string
	for _, name := range []string{"Id", "Title", "Description", "Region", "GeneratorId", "AwsAccountId", "ProductArn", "SourceUrl", "ProductName", "CompanyName", "NoteText"} {
		many = append(many, fmt.Sprintf(`%q:[{"Value":"a","Comparison":"EQUALS"}]`, name))
	}
	var values []string
	for range 21 {
		values = append(values, `{"Value":"a","Comparison":"EQUALS"}`)
	}
	tests := []struct{ name, filter, want string }{
		{"not object", `[1]`, "Filters"},
		{"unknown attribute", `{"Titel":[{"Value":"a","Comparison":"EQUALS"}]}`, "Titel"},
		{"duplicate attribute", `{"Title":[{"Value":"a","Comparison":"EQUALS"}],"Title":[]}`, "Title"},
		{"too many attributes", "{" + strings.Join(many, ",") + "}", "more than 10"},
		{"too many values", `{"Title":[` + strings.Join(values, ",") + `]}`, "Title"},
		{"not a list", `{"Title":{"Value":"a","Comparison":"EQUALS"}}`, "Title"},
		{"not an object", `{"Title":["a"]}`, "Title[0]"},
		{"unknown member", `{"Title":[{"Value":"a","Comparison":"EQUALS","Comparision":"x"}]}`, "Comparision"},
		{"missing value", `{"Title":[{"Comparison":"EQUALS"}]}`, "Title[0]: Value"},
		{"blank value", `{"Title":[{"Value":"  ","Comparison":"EQUALS"}]}`, "Title[0]: Value"},
		{"value not string", `{"Title":[{"Value":1,"Comparison":"EQUALS"}]}`, "Title[0]: Value"},
		{"missing comparison", `{"Title":[{"Value":"a"}]}`, "Title[0]: Comparison"},
		{"unknown comparison", `{"Title":[{"Value":"a","Comparison":"LIKE"}]}`, "LIKE"},
		{"contains word", `{"Title":[{"Value":"a","Comparison":"CONTAINS_WORD"}]}`, "CONTAINS_WORD"},
		{"equals not equals", `{"Title":[{"Value":"a","Comparison":"EQUALS"},{"Value":"b","Comparison":"NOT_EQUALS"}]}`, "Title"},
		{"equals prefix not equals", `{"Title":[{"Value":"a","Comparison":"EQUALS"},{"Value":"b","Comparison":"PREFIX_NOT_EQUALS"}]}`, "Title"},
		{"contains not contains", `{"Title":[{"Value":"a","Comparison":"CONTAINS"},{"Value":"b","Comparison":"NOT_CONTAINS"}]}`, "Title"},
		{"contains mixed", `{"Title":[{"Value":"a","Comparison":"CONTAINS"},{"Value":"b","Comparison":"PREFIX"}]}`, "Title"},
		{"not contains mixed", `{"Title":[{"Value":"a","Comparison":"NOT_CONTAINS"},{"Value":"b","Comparison":"NOT_EQUALS"}]}`, "Title"},
		{"map without key", `{"ResourceTags":[{"Value":"a","Comparison":"EQUALS"}]}`, "ResourceTags[0]: Key"},
		{"map prefix", `{"ResourceTags":[{"Key":"k","Value":"a","Comparison":"PREFIX"}]}`, "ResourceTags[0]"},
		{"map equals not equals across keys", `{"ResourceTags":[{"Key":"k","Value":"a","Comparison":"EQUALS"},{"Key":"j","Value":"a","Comparison":"NOT_EQUALS"}]}`, "ResourceTags"},
		{"number no bound", `{"Confidence":[{}]}`, "Confidence[0]"},
		{"number null bounds", `{"Confidence":[{"Gte":null}]}`, "Confidence[0]"},
		{"number as string", `{"Confidence":[{"Gte":"1"}]}`, "Confidence[0]: Gte"},
		{"date start only", `{"UpdatedAt":[{"Start":"2025-01-01T00:00:00Z"}]}`, "UpdatedAt[0]"},
		{"date end only", `{"UpdatedAt":[{"End":"2025-01-01T00:00:00Z"}]}`, "UpdatedAt[0]"},
		{"date empty", `{"UpdatedAt":[{}]}`, "UpdatedAt[0]"},
		{"date both forms", `{"UpdatedAt":[{"Start":"2025-01-01T00:00:00Z","End":"2025-01-01T00:00:00Z","DateRange":{"Value":1,"Unit":"DAYS"}}]}`, "UpdatedAt[0]"},
		{"date bad", `{"UpdatedAt":[{"Start":"2025-01-01","End":"2025-01-01T00:00:00Z"}]}`, "UpdatedAt[0]: Start"},
		{"date range no unit", `{"UpdatedAt":[{"DateRange":{"Value":1}}]}`, "UpdatedAt[0].DateRange: Unit"},
		{"date range bad unit", `{"UpdatedAt":[{"DateRange":{"Value":1,"Unit":"HOURS"}}]}`, "HOURS"},
		{"date range no value", `{"UpdatedAt":[{"DateRange":{"Unit":"DAYS"}}]}`, "UpdatedAt[0].DateRange: Value"},
		{"date range fraction", `{"UpdatedAt":[{"DateRange":{"Value":1.5,"Unit":"DAYS"}}]}`, "UpdatedAt[0].DateRange: Value"},
		{"date range negative", `{"UpdatedAt":[{"DateRange":{"Value":-1,"Unit":"DAYS"}}]}`, "UpdatedAt[0].DateRange: Value"},
		{"date range comparison", `{"UpdatedAt":[{"DateRange":{"Value":1,"Unit":"DAYS","Comparison":"NEWER_THAN"}}]}`, "NEWER_THAN"},
		{"cidr bad", `{"NetworkSourceIpV4":[{"Cidr":"10.0.0.0/33"}]}`, "NetworkSourceIpV4[0]"},
		{"cidr garbage", `{"NetworkSourceIpV4":[{"Cidr":"example.com"}]}`, "NetworkSourceIpV4[0]"},
		{"cidr zone", `{"NetworkSourceIpV6":[{"Cidr":"fe80::1%eth0"}]}`, "NetworkSourceIpV6[0]"},
		{"cidr missing", `{"NetworkSourceIpV4":[{}]}`, "NetworkSourceIpV4[0]: Cidr"},
		{"bool missing", `{"Sample":[{}]}`, "Sample[0]"},
		{"bool string", `{"Sample":[{"Value":"true"}]}`, "Sample[0]"},
		{"keyword blank", `{"Keyword":[{"Value":""}]}`, "Keyword[0]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := filter.Parse([]byte(tc.filter), now)
			if err == nil {
				t.Fatalf("Parse(%s) succeeded", tc.filter)
			}
			var fe *filter.Error
			if !errors.As(err, &fe) || fe.Code != filter.InvalidInput {
				t.Errorf("error %v is not a filter.Error with InvalidInputException", err)
			}
			if muster.ErrorCode(err) != muster.InvalidInput {
				t.Errorf("muster.ErrorCode(%v) = %s", err, muster.ErrorCode(err))
			}
			if me, ok := muster.AsError(err); !ok || me.Message != fe.Message {
				t.Errorf("muster.AsError: %v", me)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	var ten, twenty []string
	for _, name := range []string{"Id", "Title", "Description", "Region", "GeneratorId", "AwsAccountId", "ProductArn", "SourceUrl", "ProductName", "CompanyName"} {
		ten = append(ten, fmt.Sprintf(`%q:[{"Value":"a","Comparison":"EQUALS"}]`, name))
	}
	for range 20 {
		twenty = append(twenty, `{"Value":"a","Comparison":"PREFIX"}`)
	}
	tests := []struct {
		name, filter string
		conds        int
	}{
		{"empty", ``, 0},
		{"null", `null`, 0},
		{"empty object", `{}`, 0},
		{"null attribute", `{"Title":null}`, 0},
		{"empty list", `{"Title":[]}`, 0},
		{"ten attributes", "{" + strings.Join(ten, ",") + "}", 10},
		{"ten attributes and empty ones", "{" + strings.Join(ten, ",") + `,"NoteText":[],"Sample":null}`, 10},
		{"twenty values", `{"Title":[` + strings.Join(twenty, ",") + `]}`, 1},
		{"prefix with negatives", `{"Title":[{"Value":"a","Comparison":"PREFIX"},{"Value":"ab","Comparison":"NOT_EQUALS"},{"Value":"ac","Comparison":"PREFIX_NOT_EQUALS"}]}`, 1},
		{"equals and prefix", `{"Title":[{"Value":"a","Comparison":"EQUALS"},{"Value":"b","Comparison":"PREFIX"}]}`, 1},
		{"contains", `{"Title":[{"Value":"a","Comparison":"CONTAINS"},{"Value":"b","Comparison":"CONTAINS"}]}`, 1},
		{"number zero", `{"Confidence":[{"Eq":0}]}`, 1},
		{"date null range", `{"UpdatedAt":[{"Start":"2025-01-01T00:00:00Z","End":"2025-01-02T00:00:00Z","DateRange":null}]}`, 1},
		{"date range huge", `{"UpdatedAt":[{"DateRange":{"Value":2147483647,"Unit":"DAYS"}}]}`, 1},
		{"ipv6 cidr", `{"NetworkSourceIpV6":[{"Cidr":"2001:db8::/32"}]}`, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := filter.Parse([]byte(tc.filter), now)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Conds) != tc.conds {
				t.Errorf("%d conditions, want %d", len(f.Conds), tc.conds)
			}
		})
	}
}

// TestParseDates checks how DateFilters become millisecond bounds.
func TestParseDates(t *testing.T) {
	at := func(s string) time.Time { t, _ := time.Parse(time.RFC3339Nano, s); return t }
	tests := []struct {
		filter     string
		now        time.Time
		start, end string // "" for an open bound
	}{
		{`{"Start":"2025-01-01T01:00:00+01:00","End":"2025-01-02T00:00:00.0004Z"}`, now, "2025-01-01T00:00:00Z", "2025-01-02T00:00:00Z"},
		{`{"DateRange":{"Value":2,"Unit":"DAYS"}}`, now, "2025-06-13T12:00:00Z", "2025-06-15T12:00:00Z"},
		{`{"DateRange":{"Value":2,"Unit":"DAYS","Comparison":"WITHIN"}}`, now.Add(400 * time.Microsecond), "2025-06-13T12:00:00Z", "2025-06-15T12:00:00Z"},
		{`{"DateRange":{"Value":2,"Unit":"DAYS","Comparison":"OLDER_THAN"}}`, now, "", "2025-06-13T11:59:59.999Z"},
		{`{"DateRange":{"Value":0,"Unit":"DAYS","Comparison":"OLDER_THAN"}}`, now, "", "2025-06-15T11:59:59.999Z"},
	}
	for _, tc := range tests {
		f, err := filter.Parse([]byte(`{"UpdatedAt":[`+tc.filter+`]}`), tc.now)
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		d := f.Conds[0].Dates[0]
		check := func(what string, got *time.Time, want string) {
			switch {
			case want == "" && got != nil:
				t.Errorf("%s: %s = %v, want open", tc.filter, what, got)
			case want != "" && (got == nil || !got.Equal(at(want))):
				t.Errorf("%s: %s = %v, want %s", tc.filter, what, got, want)
			}
		}
		check("Start", d.Start, tc.start)
		check("End", d.End, tc.end)
	}
}

func TestParseSort(t *testing.T) {
	sorts, err := filter.ParseSort(nil)
	if err != nil || len(sorts) != 1 || sorts[0].Field.Name != "UpdatedAt" || !sorts[0].Desc {
		t.Errorf("default sort = %v, %v", sorts, err)
	}
	sorts, err = filter.ParseSortJSON([]byte(`[{"Field":"Severity.Label","SortOrder":"desc"},{"Field":"Confidence"},{"Field":"CreatedAt","SortOrder":"asc"}]`))
	if err != nil {
		t.Fatal(err)
	}
	want := []filter.Sort{{Field: filter.LookupField("SeverityLabel"), Desc: true}, {Field: filter.LookupField("Confidence")}, {Field: filter.LookupField("CreatedAt")}}
	if len(sorts) != len(want) {
		t.Fatalf("sorts = %v", sorts)
	}
	for i := range want {
		if sorts[i] != want[i] {
			t.Errorf("sorts[%d] = %v, want %v", i, sorts[i], want[i])
		}
	}
	for _, bad := range []string{
		`[{"Field":"Nope"}]`,
		`[{"Field":""}]`,
		`[{"SortOrder":"asc"}]`,
		`[{"Field":"ResourceId"}]`,
		`[{"Field":"Resources[].Id"}]`,
		`[{"Field":"ResourceTags"}]`,
		`[{"Field":"Keyword"}]`,
		`[{"Field":"UpdatedAt","SortOrder":"DESC"}]`,
		`[{"Field":"UpdatedAt","Order":"desc"}]`,
		`{"Field":"UpdatedAt"}`,
	} {
		if _, err := filter.ParseSortJSON([]byte(bad)); muster.ErrorCode(err) != muster.InvalidInput {
			t.Errorf("ParseSortJSON(%s) = %v, want InvalidInputException", bad, err)
		}
	}
}
