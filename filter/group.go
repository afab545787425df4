package filter

import (
	"cmp"
	"slices"
	"strings"
)

// GroupLimit is the most values an insight's results hold: AWS's hard
// quota of 100 insight results per GetInsightResults call.
const GroupLimit = 100

// GroupCount is one value of an insight's group-by attribute and how many
// of the findings that match the insight's filters have it.
type GroupCount struct {
	Value string
	Count int64
}

// Groupable reports whether findings can be grouped by fl. The model gives
// GroupByAttribute no enum, so Muster accepts every attribute of
// AwsSecurityFindingFilters that holds strings (StringFilterList): the
// ones AWS documents and observes (ResourceId, ResourceType, AwsAccountId,
// SeverityLabel, ProductName, Type, ...) are among them. Numbers, dates,
// maps and the rest have no values that read as GroupByAttributeValue.
func (fl *Field) Groupable() bool {
	return fl != nil && fl.Type == String && fl.Path != ""
}

// GroupValue reports whether s can be a result value. GroupByAttributeValue
// is a NonEmptyString (pattern .*\S.*), so empty and blank values, which
// findings may carry, are left out of the results rather than returned in
// a shape the model forbids.
func GroupValue(s string) bool {
	return strings.Trim(s, " \t\n\v\f\r") != ""
}

// Group is the reference for insight results, as Match is for GetFindings:
// it counts, among docs that match f, the findings that have each value of
// the attribute by. The rules stores must follow:
//
//   - A finding's values are by.Strings(doc): every JSON string along the
//     attribute's path, flattening arrays; other JSON types are absent, as
//     for filters. A finding without a value is not counted.
//   - A finding counts once for each distinct value it has: a finding with
//     two resources counts once for each resource's ResourceId, even when
//     only one of them matches a ResourceType filter (AWS documents this
//     for its managed insights), and once for a value it has twice.
//   - Values for which GroupValue is false are left out.
//   - Results are ordered by Count, highest first, as AWS orders them. AWS
//     documents no order among equal counts; Muster orders them by value,
//     ascending byte-wise, so that results are stable and the cut at limit
//     is deterministic.
//   - At most limit results are returned (limit ≤ 0: all of them); AWS
//     returns at most GroupLimit.
//
// by must be Groupable. A nil f matches every finding.
func Group(docs []Doc, f *Filters, by *Field, limit int) []GroupCount {
	counts := map[string]int64{}
	var seen []string
	for _, d := range docs {
		if !f.Match(d) {
			continue
		}
		seen = seen[:0]
		for _, v := range by.Strings(d) {
			if !GroupValue(v) || slices.Contains(seen, v) {
				continue
			}
			seen = append(seen, v)
			counts[v]++
		}
	}
	out := make([]GroupCount, 0, len(counts))
	for v, n := range counts {
		out = append(out, GroupCount{Value: v, Count: n})
	}
	return SortGroups(out, limit)
}

// SortGroups orders results as Group does, Count descending and then Value
// ascending, and keeps the first limit of them (limit ≤ 0: all). It sorts
// gs in place.
func SortGroups(gs []GroupCount, limit int) []GroupCount {
	slices.SortFunc(gs, func(a, b GroupCount) int {
		if c := cmp.Compare(b.Count, a.Count); c != 0 {
			return c
		}
		return strings.Compare(a.Value, b.Value)
	})
	if limit > 0 && len(gs) > limit {
		gs = gs[:limit]
	}
	return gs
}

// TestString tells how one value v of a String field fares against the
// condition: pos when v satisfies one of its positive comparisons, neg
// when v satisfies the predicate of one of its negative comparisons (so
// that a finding having v fails the condition). A finding matches the
// condition when, over its values, (the condition has no positive
// comparison, or some value is pos) and no value is neg: that is Match's
// rule restated per value, for stores that keep a field's values apart
// from the document and evaluate each distinct value once.
func (c *Condition) TestString(v string) (pos, neg bool) {
	for _, s := range c.Strings {
		if s.Op.test(v, s.Value) {
			if s.Op.Negative() {
				neg = true
			} else {
				pos = true
			}
		}
	}
	return pos, neg
}

// HasPositive reports whether the condition has a positive comparison
// (EQUALS, PREFIX, CONTAINS), without which a finding that has no value
// matches.
func (c *Condition) HasPositive() bool {
	for _, s := range c.Strings {
		if !s.Op.Negative() {
			return true
		}
	}
	return false
}
