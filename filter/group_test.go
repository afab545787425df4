package filter_test

import (
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/muster-hub/muster/filter"
	"github.com/muster-hub/muster/filter/filtertest"
)

func TestGroup(t *testing.T) {
	docs := []filter.Doc{
		doc(`{"Id":"1","Types":["a","b","a"],"Resources":[{"Id":"r1","Type":"AwsS3Bucket"},{"Id":"r2","Type":"AwsIamRole"}],"Severity":{"Label":"HIGH"}}`),
		doc(`{"Id":"2","Types":["b"],"Resources":[{"Id":"r1","Type":"AwsS3Bucket"},{"Id":"r1","Type":"AwsS3Bucket"}],"Severity":{"Label":"LOW"}}`),
		doc(`{"Id":"3","Types":["c",7,null," "],"Resources":[{"Id":"r3","Type":"AwsIamRole"}],"Severity":{"Label":"HIGH"}}`),
		doc(`{"Id":"4","Types":"b","Resources":[{"Id":""}],"Severity":"HIGH"}`),
	}
	parse := func(s string) *filter.Filters {
		f, err := filter.Parse([]byte(s), filtertest.Now)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	for _, c := range []struct {
		name, by, filters string
		limit             int
		want              []filter.GroupCount
	}{
		// A finding counts once per distinct value; values of the wrong
		// type, blank ones and a non-array Types are left out; ties by
		// value.
		{"Type", "Type", `{}`, 0, []filter.GroupCount{{"b", 2}, {"a", 1}, {"c", 1}}},
		// Every resource of a matching finding counts, whatever its type.
		{"ResourceIdByType", "ResourceId", `{"ResourceType":[{"Value":"AwsS3Bucket","Comparison":"EQUALS"}]}`, 0,
			[]filter.GroupCount{{"r1", 2}, {"r2", 1}}},
		{"Severity", "SeverityLabel", `{}`, 0, []filter.GroupCount{{"HIGH", 2}, {"LOW", 1}}},
		{"Limit", "ResourceId", `{}`, 2, []filter.GroupCount{{"r1", 2}, {"r2", 1}}},
		{"NoMatch", "ResourceId", `{"Id":[{"Value":"9","Comparison":"EQUALS"}]}`, 0, []filter.GroupCount{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := filter.Group(docs, parse(c.filters), filter.LookupField(c.by), c.limit)
			if !slices.Equal(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
		})
	}
}

func TestGroupable(t *testing.T) {
	for name, want := range map[string]bool{
		"ResourceId": true, "Type": true, "SeverityLabel": true, "ProductName": true, "AwsAccountId": true,
		"ResourceAwsIamAccessKeyUserName": true, "SeverityNormalized": false, "UpdatedAt": false,
		"ResourceTags": false, "Keyword": false, "Sample": false, "NetworkSourceIpV4": false,
	} {
		if got := filter.LookupField(name).Groupable(); got != want {
			t.Errorf("%s: Groupable() = %v, want %v", name, got, want)
		}
	}
	var none *filter.Field
	if none.Groupable() {
		t.Error("nil field is groupable")
	}
}

// TestTestString holds the per-value restatement of a String condition
// (TestString, HasPositive), which stores that keep values apart from the
// document use, to Match on random findings and filters.
func TestTestString(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	checked := 0
	for range 3000 {
		raw := filtertest.RandomFilters(r, filtertest.Now)
		f, err := filter.Parse(raw, filtertest.Now)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(filtertest.RandomMessyDoc(r))
		d := doc(string(b))
		for i := range f.Conds {
			c := &f.Conds[i]
			if c.Field.Type != filter.String {
				continue
			}
			pos, neg := false, false
			for _, v := range c.Field.Strings(d) {
				p, n := c.TestString(v)
				pos, neg = pos || p, neg || n
			}
			got := (!c.HasPositive() || pos) && !neg
			if want := c.Match(d); got != want {
				t.Fatalf("condition on %s of %s: per-value rule says %v, Match says %v\ndoc: %s", c.Field.Name, raw, got, want, b)
			}
			checked++
		}
	}
	if checked < 1000 {
		t.Fatalf("only %d String conditions checked", checked)
	}
}
