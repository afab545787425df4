package filter_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/muster-hub/muster/filter"
	"github.com/muster-hub/muster/filter/filtertest"
)

type item struct {
	doc filter.Doc
	key filter.Key
}

func doc(s string) filter.Doc {
	var d filter.Doc
	if err := json.Unmarshal([]byte(s), &d); err != nil {
		panic(err)
	}
	return d
}

// TestCompare checks the order of values of each type and of absent ones.
func TestCompare(t *testing.T) {
	sorts := func(field string, desc bool) []filter.Sort {
		return []filter.Sort{{Field: filter.LookupField(field), Desc: desc}}
	}
	k1, k2 := filter.Key{ID: "1"}, filter.Key{ID: "2"}
	tests := []struct {
		field string
		a, b  string // a < b in ascending order
	}{
		{"Title", `{"Title":"B"}`, `{"Title":"a"}`},
		{"Title", `{}`, `{"Title":""}`},
		{"Title", `{"Title":1}`, `{"Title":"a"}`},
		{"Confidence", `{"Confidence":9}`, `{"Confidence":10}`},
		{"Confidence", `{}`, `{"Confidence":0}`},
		{"UpdatedAt", `{"UpdatedAt":"2025-01-01T01:00:00+02:00"}`, `{"UpdatedAt":"2025-01-01T00:00:00Z"}`},
		{"UpdatedAt", `{"UpdatedAt":"not a date"}`, `{"UpdatedAt":"1970-01-01T00:00:00Z"}`},
		{"Sample", `{"Sample":false}`, `{"Sample":true}`},
		{"SeverityLabel", `{}`, `{"Severity":{"Label":"CRITICAL"}}`},
	}
	for _, tc := range tests {
		a, b := doc(tc.a), doc(tc.b)
		if c := filter.Compare(sorts(tc.field, false), a, b, k2, k1); c != -1 {
			t.Errorf("%s asc: Compare(%s, %s) = %d, want -1", tc.field, tc.a, tc.b, c)
		}
		if c := filter.Compare(sorts(tc.field, true), a, b, k1, k2); c != 1 {
			t.Errorf("%s desc: Compare(%s, %s) = %d, want 1", tc.field, tc.a, tc.b, c)
		}
	}
	// ties: the key decides, ascending in both directions
	a := doc(`{"Title":"x"}`)
	for _, desc := range []bool{false, true} {
		if c := filter.Compare(sorts("Title", desc), a, a, k1, k2); c != -1 {
			t.Errorf("tie desc=%v: Compare = %d, want -1", desc, c)
		}
	}
}

// TestPaging sorts random findings by random criteria and walks them page
// by page with After, from a cursor that went through JSON as it does in
// a page token: every finding must come exactly once, in order.
func TestPaging(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := range 200 {
		sorts, err := filter.ParseSort(filtertest.RandomSort(r))
		if err != nil {
			t.Fatal(err)
		}
		var items []item
		for i := range r.IntN(60) {
			d := filtertest.RandomMessyDoc(r)
			key := filtertest.KeyOf(d)
			key.ID += fmt.Sprint("#", i) // keys are unique in a store
			if r.IntN(4) == 0 && len(items) > 0 {
				// same sort values as another finding, different key
				d = items[r.IntN(len(items))].doc
				key.ID += "-twin"
			}
			items = append(items, item{d, key})
		}
		cmp := func(a, b item) int { return filter.Compare(sorts, a.doc, b.doc, a.key, b.key) }
		sorted := slices.Clone(items)
		slices.SortFunc(sorted, cmp)
		for i := 1; i < len(sorted); i++ {
			if cmp(sorted[i-1], sorted[i]) > 0 || cmp(sorted[i], sorted[i-1]) < 0 {
				t.Fatalf("iteration %d: order not consistent at %d", iter, i)
			}
		}
		var walked []item
		var cursor *filter.Cursor
		size := 1 + r.IntN(7)
		for {
			var rest []item
			for _, it := range items {
				if filter.After(sorts, cursor, it.doc, it.key) {
					rest = append(rest, it)
				}
			}
			if len(rest) == 0 {
				break
			}
			slices.SortFunc(rest, cmp)
			page := rest[:min(size, len(rest))]
			walked = append(walked, page...)
			last := page[len(page)-1]
			c := filter.Cursor{Values: filter.SortValues(sorts, last.doc), Account: last.key.Account, ProductARN: last.key.ProductARN, ID: last.key.ID}
			b, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			cursor = new(filter.Cursor)
			if err := json.Unmarshal(b, cursor); err != nil {
				t.Fatal(err)
			}
			if len(walked) > len(items) {
				t.Fatalf("iteration %d: paging does not end", iter)
			}
		}
		if len(walked) != len(sorted) {
			t.Fatalf("iteration %d: walked %d findings, have %d", iter, len(walked), len(sorted))
		}
		for i := range walked {
			if walked[i].key != sorted[i].key {
				t.Fatalf("iteration %d: page order differs at %d", iter, i)
			}
		}
	}
}

// TestRandomFiltersParse checks that the generator only writes filters
// that Parse accepts, and that they select some findings and not others,
// so that the differential tests built on them test something.
func TestRandomFiltersParse(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var docs []filter.Doc
	for range 200 {
		docs = append(docs, filtertest.RandomMessyDoc(r))
	}
	var matched, total int
	hit := map[string]int{}
	for range 5000 {
		raw := filtertest.RandomFilters(r, filtertest.Now)
		f, err := filter.Parse(raw, filtertest.Now)
		if err != nil {
			t.Fatalf("Parse(%s): %v", raw, err)
		}
		for _, d := range docs[:20] {
			total++
			if f.Match(d) {
				matched++
			}
		}
		for _, c := range f.Conds {
			one := &filter.Filters{Conds: []filter.Condition{c}}
			for _, d := range docs {
				if one.Match(d) {
					hit[c.Field.Name]++
					break
				}
			}
		}
	}
	if matched < total/20 || matched > total*19/20 {
		t.Errorf("random filters match %d of %d pairs", matched, total)
	}
	for _, fl := range filter.Fields {
		if hit[fl.Name] == 0 {
			t.Errorf("no random filter on %s ever matched", fl.Name)
		}
	}
}

// A number where a finding should hold a timestamp is no date: it sorts as
// absent, just as Match treats it, so stores (which see no date there
// either) agree with the reference.
func TestSortValuesNumericDateIsAbsent(t *testing.T) {
	sorts, err := filter.ParseSort([]filter.SortCriterion{{Field: "UpdatedAt", SortOrder: "asc"}})
	if err != nil {
		t.Fatal(err)
	}
	got := filter.SortValues(sorts, filter.Doc{"UpdatedAt": float64(1700000000000)})
	if got[0] != nil {
		t.Fatalf("numeric UpdatedAt sorts as %v, want absent", got[0])
	}
	got = filter.SortValues(sorts, filter.Doc{"UpdatedAt": "2024-01-01T00:00:00Z"})
	if got[0] != int64(1704067200000) {
		t.Fatalf("UpdatedAt sorts as %v", got[0])
	}
}
