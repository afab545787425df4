package filter

import (
	"cmp"
	"encoding/json"
	"math"
	"net/netip"
	"strings"

	"github.com/muster-hub/muster/asff"
)

// The matching rules below are the contract that every store's query
// compiler implements; the differential tests hold stores to them.
//
//   - A finding matches Filters when it matches every Condition (different
//     attributes are AND-ed). No conditions match every finding.
//   - Within one Condition of a String or Map field, positive comparisons
//     (EQUALS, PREFIX, CONTAINS) are OR-ed and negative ones (NOT_EQUALS,
//     PREFIX_NOT_EQUALS, NOT_CONTAINS) AND-ed: the finding matches when
//     (there is no positive comparison OR one of them matches) AND every
//     negative comparison matches.
//   - A field's values are all the values found along its Path, flattening
//     every array the path crosses (see Field.Values). A positive comparison
//     matches when ANY value satisfies it; a negative comparison matches
//     when NO value violates it, that is when no value equals, starts with
//     or contains the filter value. So a finding without the field fails
//     every positive comparison and passes every negative one.
//   - A value of the wrong JSON type (a number where the model has a
//     string, a string where it has a number, ...) counts as absent, as
//     does JSON null.
//   - Strings compare case-sensitively, byte by byte: EQUALS is ==, PREFIX
//     is strings.HasPrefix, CONTAINS is strings.Contains.
//   - Map fields: the values are the strings at the filter's Key in every
//     map along the path (ResourceTags: in the Tags of every resource); a
//     map without the key, or with a non-string value there, has no value.
//     The AND/OR rule runs over all map filters of the attribute together,
//     whatever their keys.
//   - Numbers: the bounds of one NumberCond are AND-ed, several NumberConds
//     OR-ed; the finding matches when any value satisfies any NumberCond.
//   - Dates: values are parsed with asff.ParseTime (unparseable = absent)
//     and compared as Unix milliseconds with DateCond's inclusive bounds;
//     several DateConds are OR-ed, any value suffices.
//   - IP: a value must parse with netip.ParseAddr (a string in CIDR
//     notation, or with a zone, is no address and so absent); it matches
//     when it lies in any of the prefixes, by netip.Prefix.Contains: IPv4
//     values only match IPv4 prefixes and IPv6 values (IPv4-mapped ones
//     included) only IPv6 prefixes.
//   - Boolean: equality with any of the values, OR-ed.
//   - Keyword: any of the keywords is a substring of Title or Description
//     (see KeywordPaths).

// Match reports whether doc satisfies every condition, under the rules in
// the comment at the top of match.go — the contract for stores' query
// compilers. A nil Filters matches everything, as an absent Filters member
// does on the wire.
func (f *Filters) Match(doc Doc) bool {
	if f == nil {
		return true
	}
	for i := range f.Conds {
		if !f.Conds[i].Match(doc) {
			return false
		}
	}
	return true
}

// Match reports whether doc satisfies the condition on one attribute,
// under the rules at the top of this file.
func (c *Condition) Match(doc Doc) bool {
	switch c.Field.Type {
	case String, Map:
		return c.matchStrings(doc)
	case Keyword:
		for _, v := range c.Field.Values(doc) {
			s, ok := v.(string)
			if !ok {
				continue
			}
			for _, k := range c.Keywords {
				if strings.Contains(s, k) {
					return true
				}
			}
		}
		return false
	case Number:
		for _, v := range c.Field.Values(doc) {
			x, ok := NumberValue(v)
			if !ok {
				continue
			}
			for _, n := range c.Numbers {
				if n.Match(x) {
					return true
				}
			}
		}
		return false
	case Date:
		for _, v := range c.Field.Values(doc) {
			ms, ok := dateMillis(v)
			if !ok {
				continue
			}
			for _, d := range c.Dates {
				if d.Match(ms) {
					return true
				}
			}
		}
		return false
	case IP:
		for _, v := range c.Field.Values(doc) {
			a, ok := ipValue(v)
			if !ok {
				continue
			}
			for _, p := range c.IPs {
				if p.Contains(a) {
					return true
				}
			}
		}
		return false
	case Boolean:
		for _, v := range c.Field.Values(doc) {
			b, ok := v.(bool)
			if !ok {
				continue
			}
			for _, want := range c.Bools {
				if b == want {
					return true
				}
			}
		}
		return false
	}
	return false
}

func (c *Condition) matchStrings(doc Doc) bool {
	var values []string
	if c.Field.Type == String {
		values = c.Field.Strings(doc)
	}
	positive, anyPositive := false, false
	for _, s := range c.Strings {
		if c.Field.Type == Map {
			values = c.Field.MapStrings(doc, s.Key)
		}
		hit := false
		for _, v := range values {
			if s.Op.test(v, s.Value) {
				hit = true
				break
			}
		}
		if s.Op.Negative() {
			if hit {
				return false
			}
			continue
		}
		anyPositive = true
		positive = positive || hit
	}
	return !anyPositive || positive
}

// test reports whether v satisfies op's predicate: for a negative op, the
// predicate it forbids (NOT_EQUALS tests equality).
func (op StringOp) test(v, want string) bool {
	switch op {
	case Equals, NotEquals:
		return v == want
	case Prefix, PrefixNotEquals:
		return strings.HasPrefix(v, want)
	case Contains, NotContains:
		return strings.Contains(v, want)
	}
	return false
}

// Match reports whether x lies within every bound of n.
func (n *NumberCond) Match(x float64) bool {
	return (n.Gte == nil || x >= *n.Gte) &&
		(n.Lte == nil || x <= *n.Lte) &&
		(n.Gt == nil || x > *n.Gt) &&
		(n.Lt == nil || x < *n.Lt) &&
		(n.Eq == nil || x == *n.Eq)
}

// Match reports whether the instant ms (Unix milliseconds) lies in the
// closed interval of d.
func (d *DateCond) Match(ms int64) bool {
	return (d.Start == nil || ms >= d.Start.UnixMilli()) &&
		(d.End == nil || ms <= d.End.UnixMilli())
}

// Values returns every value along the field's Path in doc, flattening each
// array the path crosses, in document order; JSON nulls and members of the
// wrong kind on the way (an object where the path expects an array, say)
// yield nothing. For a Map field the values are the maps themselves; for
// Keyword, the values of KeywordPaths. Stores that index a field's values
// in a side table use this to fill it.
func (fl *Field) Values(doc Doc) []any {
	if fl.Type == Keyword {
		var out []any
		for _, s := range keywordS {
			out = collect(doc, s, out)
		}
		return out
	}
	steps := fl.steps
	if steps == nil {
		steps = parsePath(fl.Path)
	}
	if len(steps) == 0 {
		return nil
	}
	return collect(doc, steps, nil)
}

func collect(v any, steps []step, out []any) []any {
	if len(steps) == 0 {
		if v != nil {
			out = append(out, v)
		}
		return out
	}
	m, ok := v.(map[string]any)
	if !ok {
		return out
	}
	x := m[steps[0].name]
	if x == nil {
		return out
	}
	if !steps[0].array {
		return collect(x, steps[1:], out)
	}
	arr, ok := x.([]any)
	if !ok {
		return out
	}
	for _, e := range arr {
		out = collect(e, steps[1:], out)
	}
	return out
}

// Strings returns the field's values that are JSON strings: the values a
// String, IP or Keyword comparison sees.
func (fl *Field) Strings(doc Doc) []string {
	var out []string
	for _, v := range fl.Values(doc) {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// MapStrings returns, for a Map field, the string at key in each map along
// the path: the values a MapFilter with that Key compares.
func (fl *Field) MapStrings(doc Doc, key string) []string {
	var out []string
	for _, v := range fl.Values(doc) {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		if s, ok := m[key].(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// NumberValue returns v as a float64 if it is a JSON number in any of the forms
// a decoder may produce. Stores use it so that they read numbers exactly as
// the matcher does.
func NumberValue(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

// dateMillis returns the instant of an ASFF timestamp string in Unix
// milliseconds.
func dateMillis(v any) (int64, bool) {
	s, ok := v.(string)
	if !ok {
		return 0, false
	}
	t, err := asff.ParseTime(s)
	if err != nil {
		return 0, false
	}
	return t.UnixMilli(), true
}

// ipValue returns v as an address if it is a string holding a plain IP
// address without zone.
func ipValue(v any) (netip.Addr, bool) {
	s, ok := v.(string)
	if !ok {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a, true
}

// SortValues returns doc's value for each sort field, normalised as a
// Cursor holds them: string for String and IP fields, float64 for Number,
// int64 Unix milliseconds for Date, bool for Boolean, and nil where the
// finding has no value of the right kind. A store keeps these in its sort
// columns.
func SortValues(sorts []Sort, doc Doc) []any {
	out := make([]any, len(sorts))
	for i, s := range sorts {
		vals := s.Field.Values(doc)
		if len(vals) == 0 {
			continue
		}
		if s.Field.Type == Date {
			// In a finding only a timestamp string is a date; a number
			// there is absent, as Match treats it. (normalize also takes
			// numbers because cursors carry dates as milliseconds.)
			if ms, ok := dateMillis(vals[0]); ok {
				out[i] = ms
			}
			continue
		}
		out[i] = normalize(s.Field.Type, vals[0])
	}
	return out
}

// normalize converts a sort value, from a document or from a cursor that
// went through JSON, to the Go type SortValues uses for t, or nil.
func normalize(t Type, v any) any {
	switch t {
	case String, IP:
		if s, ok := v.(string); ok {
			return s
		}
	case Number:
		if f, ok := NumberValue(v); ok {
			return f
		}
	case Date:
		if ms, ok := dateMillis(v); ok {
			return ms
		}
		if _, ok := v.(int64); ok {
			return v
		}
		if f, ok := NumberValue(v); ok && f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f)
		}
	case Boolean:
		if b, ok := v.(bool); ok {
			return b
		}
	}
	return nil
}

// compareValue orders two normalised values of one type, nil first.
func compareValue(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case string:
		return strings.Compare(x, b.(string))
	case float64:
		return cmp.Compare(x, b.(float64))
	case int64:
		return cmp.Compare(x, b.(int64))
	case bool:
		y := b.(bool)
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	}
	return 0
}

func compareSorted(sorts []Sort, av, bv []any) int {
	for i, s := range sorts {
		var a, b any
		if i < len(av) {
			a = normalize(s.Field.Type, av[i])
		}
		if i < len(bv) {
			b = normalize(s.Field.Type, bv[i])
		}
		c := compareValue(a, b)
		if s.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return 0
}

func compareKey(a, b Key) int {
	if c := strings.Compare(a.Account, b.Account); c != 0 {
		return c
	}
	if c := strings.Compare(a.ProductARN, b.ProductARN); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// Compare orders two findings for a listing, returning -1, 0 or +1 in the
// manner of cmp.Compare. Each sort field compares the findings' SortValues:
// strings byte-wise, numbers numerically, dates by instant, false before
// true. An absent value is smaller than every present one, so it comes
// first in ascending order and last in descending order — SQLite's NULL
// ordering, which stores must keep (ORDER BY x ASC / x DESC, no NULLS
// FIRST/LAST clause). Findings equal on every sort field are ordered by
// their keys, ascending whatever the directions, so the order is total.
func Compare(sorts []Sort, a, b Doc, akey, bkey Key) int {
	if c := compareSorted(sorts, SortValues(sorts, a), SortValues(sorts, b)); c != 0 {
		return c
	}
	return compareKey(akey, bkey)
}

// After reports whether the finding (doc, key) comes strictly after the
// cursor in the order of Compare: the keyset condition with which a store
// resumes a listing. A nil cursor is before everything. Cursor values may
// have been through JSON (a date's milliseconds as a float64); they are
// normalised as SortValues would produce them, and a value of the wrong
// type counts as absent.
func After(sorts []Sort, c *Cursor, doc Doc, key Key) bool {
	if c == nil {
		return true
	}
	if r := compareSorted(sorts, SortValues(sorts, doc), c.Values); r != 0 {
		return r > 0
	}
	return compareKey(key, c.Key()) > 0
}
