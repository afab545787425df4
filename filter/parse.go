package filter

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/muster-hub/muster/asff"
)

// Limits that the GetFindings documentation states for a filter set.
const (
	MaxAttributes = 10 // attributes (members) per AwsSecurityFindingFilters
	MaxValues     = 20 // filters per attribute
)

// maxRangeDays caps DateRange.Value before it is subtracted from now: any
// larger range reaches before year 0000, the earliest timestamp ASFF can
// carry, so the result is the same and the arithmetic cannot overflow.
const maxRangeDays = 1_000_000

// Parse parses the JSON of an AwsSecurityFindingFilters object — the
// Filters of GetFindings, an insight or UpdateFindings — into Filters.
// DateRange filters are resolved against now, so the result is a fixed
// query that a store can run and that a page token can be bound to. Empty
// input and JSON null mean no filter; a member that is null or an empty
// list sets no condition and does not count towards MaxAttributes.
//
// Parse is strict where a lenient reading would silently return other
// findings than the caller asked for: unknown attributes and unknown
// members of a filter object are refused, as are duplicate names, values of
// the wrong JSON type, and CONTAINS_WORD (GetFindingsV2 only). Every error
// is an *Error with code InvalidInputException whose message names the
// attribute and the index of the offending filter.
//
// The combinations that AWS documents as errors are refused per attribute:
// EQUALS with NOT_EQUALS or PREFIX_NOT_EQUALS, and CONTAINS or NOT_CONTAINS
// with any other comparison. For map attributes this holds across keys.
// CONTAINS and NOT_CONTAINS, documented for automation rules only, are
// accepted, because the same filters serve automation rules.
func Parse(raw []byte, now time.Time) (*Filters, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return &Filters{}, nil
	}
	var members map[string]jsontext.Value
	if err := json.Unmarshal(raw, &members); err != nil {
		return nil, errorf("Filters: not a valid AwsSecurityFindingFilters object: %v", err)
	}
	names := make([]string, 0, len(members))
	for name := range members {
		if LookupField(name) == nil {
			return nil, errorf("Filters: unknown filter attribute %q", name)
		}
		names = append(names, name)
	}
	// Conditions in model order, so that equal filters parse equally.
	slices.SortFunc(names, func(a, b string) int { return fieldIndex(a) - fieldIndex(b) })

	now = now.UTC().Round(time.Millisecond)
	f := &Filters{}
	for _, name := range names {
		v := members[name]
		if v.Kind() == 'n' {
			continue
		}
		if v.Kind() != '[' {
			return nil, errorf("Filters.%s: must be a list of filters", name)
		}
		var elems []jsontext.Value
		if err := json.Unmarshal(v, &elems); err != nil {
			return nil, errorf("Filters.%s: %v", name, err)
		}
		if len(elems) == 0 {
			continue
		}
		if len(elems) > MaxValues {
			return nil, errorf("Filters.%s: %d filters given, at most %d are allowed per attribute", name, len(elems), MaxValues)
		}
		if len(f.Conds) == MaxAttributes {
			return nil, errorf("Filters: more than %d filter attributes given (at %s)", MaxAttributes, name)
		}
		c, err := parseCondition(LookupField(name), elems, now)
		if err != nil {
			return nil, err
		}
		f.Conds = append(f.Conds, c)
	}
	return f, nil
}

func fieldIndex(name string) int { return fieldIdx[name] }

// object is one filter object of an attribute, with what is needed to say
// where an error is.
type object struct {
	where string // e.g. "Filters.Title[2]"
	m     map[string]jsontext.Value
}

func (o *object) errorf(format string, args ...any) *Error {
	return errorf("%s: %s", o.where, fmt.Sprintf(format, args...))
}

// has reports whether member k is present and not null.
func (o *object) has(k string) bool {
	v, ok := o.m[k]
	return ok && v.Kind() != 'n'
}

func (o *object) string(k string) (string, bool, error) {
	if !o.has(k) {
		return "", false, nil
	}
	v := o.m[k]
	var s string
	if v.Kind() != '"' || json.Unmarshal(v, &s) != nil {
		return "", false, o.errorf("%s must be a string", k)
	}
	return s, true, nil
}

// nonEmpty reads a required NonEmptyString member: the model's pattern
// .*\S.* asks for at least one character that is not white space.
func (o *object) nonEmpty(k string) (string, error) {
	s, ok, err := o.string(k)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", o.errorf("%s is required", k)
	}
	if strings.Trim(s, " \t\n\v\f\r") == "" {
		return "", o.errorf("%s must not be empty", k)
	}
	return s, nil
}

func (o *object) number(k string) (*float64, error) {
	if !o.has(k) {
		return nil, nil
	}
	var f float64
	if o.m[k].Kind() != '0' || json.Unmarshal(o.m[k], &f) != nil {
		return nil, o.errorf("%s must be a number", k)
	}
	return &f, nil
}

func parseCondition(fl *Field, elems []jsontext.Value, now time.Time) (Condition, error) {
	c := Condition{Field: fl}
	var allowed []string
	switch fl.Type {
	case String:
		allowed = []string{"Value", "Comparison"}
	case Map:
		allowed = []string{"Key", "Value", "Comparison"}
	case Number:
		allowed = []string{"Gte", "Lte", "Eq", "Gt", "Lt"}
	case Date:
		allowed = []string{"Start", "End", "DateRange"}
	case IP:
		allowed = []string{"Cidr"}
	case Boolean, Keyword:
		allowed = []string{"Value"}
	}
	for i, e := range elems {
		o := &object{where: fmt.Sprintf("Filters.%s[%d]", fl.Name, i)}
		if e.Kind() != '{' || json.Unmarshal(e, &o.m) != nil {
			return c, o.errorf("must be a filter object")
		}
		for k := range o.m {
			if !slices.Contains(allowed, k) {
				return c, o.errorf("unknown member %q", k)
			}
		}
		if err := c.add(o, now); err != nil {
			return c, err
		}
	}
	if fl.Type == String || fl.Type == Map {
		if err := checkCombination(fl, c.Strings); err != nil {
			return c, err
		}
	}
	return c, nil
}

func (c *Condition) add(o *object, now time.Time) error {
	switch c.Field.Type {
	case String, Map:
		var s StringCond
		var err error
		if c.Field.Type == Map {
			if s.Key, err = o.nonEmpty("Key"); err != nil {
				return err
			}
		}
		if s.Value, err = o.nonEmpty("Value"); err != nil {
			return err
		}
		op, err := o.nonEmpty("Comparison")
		if err != nil {
			return err
		}
		s.Op = StringOp(op)
		switch s.Op {
		case Equals, NotEquals, Contains, NotContains:
		case Prefix, PrefixNotEquals:
			if c.Field.Type == Map {
				return o.errorf("Comparison %s is not available for a map filter (EQUALS, NOT_EQUALS, CONTAINS or NOT_CONTAINS)", op)
			}
		case "CONTAINS_WORD":
			return o.errorf("Comparison CONTAINS_WORD is only supported by GetFindingsV2")
		default:
			return o.errorf("unknown Comparison %q", op)
		}
		c.Strings = append(c.Strings, s)
	case Keyword:
		v, err := o.nonEmpty("Value")
		if err != nil {
			return err
		}
		c.Keywords = append(c.Keywords, v)
	case Number:
		var n NumberCond
		var err error
		for _, b := range []struct {
			k string
			p **float64
		}{{"Gte", &n.Gte}, {"Lte", &n.Lte}, {"Eq", &n.Eq}, {"Gt", &n.Gt}, {"Lt", &n.Lt}} {
			if *b.p, err = o.number(b.k); err != nil {
				return err
			}
		}
		if n == (NumberCond{}) {
			return o.errorf("a number filter needs at least one of Gte, Lte, Eq, Gt and Lt")
		}
		c.Numbers = append(c.Numbers, n)
	case Date:
		d, err := parseDate(o, now)
		if err != nil {
			return err
		}
		c.Dates = append(c.Dates, d)
	case IP:
		s, err := o.nonEmpty("Cidr")
		if err != nil {
			return err
		}
		p, err := ParseCIDR(s)
		if err != nil {
			return o.errorf("Cidr %q is not an IPv4 or IPv6 CIDR block or address", s)
		}
		c.IPs = append(c.IPs, p)
	case Boolean:
		v, ok := o.m["Value"]
		var b bool
		if !ok || (v.Kind() != 't' && v.Kind() != 'f') {
			return o.errorf("Value must be true or false")
		}
		_ = json.Unmarshal(v, &b)
		c.Bools = append(c.Bools, b)
	}
	return nil
}

// ParseCIDR parses an IpFilter's Cidr: an IPv4 or IPv6 prefix, or a bare
// address meaning that address alone (/32 or /128). Host bits are cleared
// (10.1.2.3/8 is 10.0.0.0/8), so a store can compare against the
// prefix's first and last address. Zones are refused: a zoned address
// never lies in a prefix.
func ParseCIDR(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("address %q has a zone", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// parseDate reads a DateFilter. Start and End go together (AWS refuses one
// alone) and are inclusive; DateRange is the alternative, never both.
// WITHIN N DAYS is [now - N days, now]; OLDER_THAN N DAYS is every instant
// strictly before now - N days, stored as the inclusive End one
// millisecond earlier. now is already rounded to the millisecond.
func parseDate(o *object, now time.Time) (DateCond, error) {
	var d DateCond
	hasRange := o.has("DateRange")
	if o.has("Start") || o.has("End") {
		if hasRange {
			return d, o.errorf("give either Start and End or DateRange, not both")
		}
		if !o.has("Start") || !o.has("End") {
			return d, o.errorf("Start and End must be given together")
		}
		for _, b := range []struct {
			k string
			p **time.Time
		}{{"Start", &d.Start}, {"End", &d.End}} {
			s, err := o.nonEmpty(b.k)
			if err != nil {
				return d, err
			}
			t, err := asff.ParseTime(s)
			if err != nil {
				return d, o.errorf("%s %q %v", b.k, s, err)
			}
			*b.p = &t
		}
		return d, nil
	}
	if !hasRange {
		return d, o.errorf("a date filter needs Start and End, or DateRange")
	}
	r := &object{where: o.where + ".DateRange"}
	if o.m["DateRange"].Kind() != '{' || json.Unmarshal(o.m["DateRange"], &r.m) != nil {
		return d, r.errorf("must be an object")
	}
	for k := range r.m {
		if k != "Value" && k != "Unit" && k != "Comparison" {
			return d, r.errorf("unknown member %q", k)
		}
	}
	var days int64
	if !r.has("Value") || r.m["Value"].Kind() != '0' || json.Unmarshal(r.m["Value"], &days) != nil {
		return d, r.errorf("Value must be an integer number of days")
	}
	if days < 0 {
		return d, r.errorf("Value must not be negative")
	}
	days = min(days, maxRangeDays)
	unit, err := r.nonEmpty("Unit")
	if err != nil {
		return d, err
	}
	if unit != "DAYS" {
		return d, r.errorf("unknown Unit %q (DAYS)", unit)
	}
	comparison, ok, err := r.string("Comparison")
	if err != nil {
		return d, err
	}
	edge := now.AddDate(0, 0, -int(days))
	switch {
	case !ok || comparison == "WITHIN":
		end := now
		d.Start, d.End = &edge, &end
	case comparison == "OLDER_THAN":
		end := edge.Add(-time.Millisecond)
		d.End = &end
	default:
		return d, r.errorf("unknown Comparison %q (WITHIN or OLDER_THAN)", comparison)
	}
	return d, nil
}

// checkCombination refuses the comparisons that AWS documents as an error
// when given together for one attribute.
func checkCombination(fl *Field, conds []StringCond) error {
	has := map[StringOp]bool{}
	for _, s := range conds {
		has[s.Op] = true
	}
	bad := func(a, b StringOp) error {
		return errorf("Filters.%s: %s and %s filters cannot be combined on one attribute", fl.Name, a, b)
	}
	if has[Equals] && has[NotEquals] {
		return bad(Equals, NotEquals)
	}
	if has[Equals] && has[PrefixNotEquals] {
		return bad(Equals, PrefixNotEquals)
	}
	for _, only := range []StringOp{Contains, NotContains} {
		if !has[only] {
			continue
		}
		for op := range has {
			if op != only {
				return bad(only, op)
			}
		}
	}
	return nil
}

// SortCriterion is one member of GetFindings' SortCriteria as it comes off
// the wire.
type SortCriterion struct {
	Field     string `json:"Field,omitempty"`
	SortOrder string `json:"SortOrder,omitempty"`
}

// DefaultSort is the order of a listing without SortCriteria. AWS documents
// none (and is observed not to order by time); most recently updated first
// is what a caller paging through findings expects.
func DefaultSort() []Sort {
	return []Sort{{Field: LookupField("UpdatedAt"), Desc: true}}
}

// ParseSort turns SortCriteria into Sorts; no criteria give DefaultSort.
// Field names a filter attribute ("SeverityLabel", "UpdatedAt") or the
// ASFF path of one ("Severity.Label"), since AWS documents neither form
// precisely and clients use both. Only fields with one value per finding
// can order findings, so Map, Keyword and multi-valued fields are refused.
// SortOrder is "asc" or "desc"; omitted, it is "asc" like SQL's ORDER BY
// (AWS does not document a default). Errors are *Error with code
// InvalidInputException.
func ParseSort(criteria []SortCriterion) ([]Sort, error) {
	if len(criteria) == 0 {
		return DefaultSort(), nil
	}
	sorts := make([]Sort, 0, len(criteria))
	for i, c := range criteria {
		where := fmt.Sprintf("SortCriteria[%d]", i)
		if c.Field == "" {
			return nil, errorf("%s.Field is required", where)
		}
		fl := LookupField(c.Field)
		if fl == nil {
			fl = lookupPath(c.Field)
		}
		if fl == nil {
			return nil, errorf("%s.Field: unknown field %q", where, c.Field)
		}
		if fl.Multi || fl.Type == Map || fl.Type == Keyword {
			return nil, errorf("%s.Field: cannot sort by %q, which can hold several values per finding", where, c.Field)
		}
		var desc bool
		switch c.SortOrder {
		case "", "asc":
		case "desc":
			desc = true
		default:
			return nil, errorf("%s.SortOrder: unknown sort order %q (asc or desc)", where, c.SortOrder)
		}
		sorts = append(sorts, Sort{Field: fl, Desc: desc})
	}
	return sorts, nil
}

// ParseSortJSON is ParseSort for the raw JSON of SortCriteria, for callers
// that pass request members through undecoded. Empty input and null give
// DefaultSort.
func ParseSortJSON(raw []byte) ([]Sort, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return DefaultSort(), nil
	}
	var criteria []SortCriterion
	if err := json.Unmarshal(raw, &criteria, json.RejectUnknownMembers(true)); err != nil {
		return nil, errorf("SortCriteria: %v", err)
	}
	return ParseSort(criteria)
}
