// Package filter is Muster's one filter engine for findings: it parses the
// AwsSecurityFindingFilters of GetFindings (and later insights and
// UpdateFindings) into Filters, and matches them against findings in memory.
// The in-memory matcher is the reference: stores compile the same Filters to
// their query language and must return exactly what Match selects, which
// the differential tests check.
package filter

import (
	"net/netip"
	"time"
)

// Doc is a finding decoded from JSON: objects are map[string]any, arrays
// []any, numbers float64, plus string, bool and nil.
type Doc = map[string]any

// Type is the filter type of a field, as the model names the list shapes
// of AwsSecurityFindingFilters.
type Type uint8

// The filter types.
const (
	String  Type = iota + 1 // StringFilterList
	Number                  // NumberFilterList
	Date                    // DateFilterList
	Map                     // MapFilterList
	Boolean                 // BooleanFilterList
	IP                      // IpFilterList
	Keyword                 // KeywordFilterList
)

// Field is one member of AwsSecurityFindingFilters and the place in a
// finding that it reads.
type Field struct {
	// Name is the member name, e.g. "ResourceId".
	Name string
	Type Type
	// Path is the ASFF path of the value: members separated by ".", and
	// "[]" after a member that is an array, e.g. "Resources[].Id",
	// "Severity.Label", "Resources[].Details.AwsEc2Instance.IpV4Addresses[]".
	// For a Map field it names the map, e.g. "Resources[].Tags".
	Path string
	// Multi is true when the path crosses an array, so that one finding
	// can have several values.
	Multi bool
	// Deprecated is true for members the model marks deprecated; they are
	// still matched.
	Deprecated bool

	steps []step // Path split once, filled for the members of Fields
}

// StringOp is a comparison of a StringFilter or MapFilter.
type StringOp string

// The comparisons of StringFilter and MapFilter.
const (
	Equals          StringOp = "EQUALS"
	Prefix          StringOp = "PREFIX"
	NotEquals       StringOp = "NOT_EQUALS"
	PrefixNotEquals StringOp = "PREFIX_NOT_EQUALS"
	Contains        StringOp = "CONTAINS"
	NotContains     StringOp = "NOT_CONTAINS"
)

// Negative reports whether op excludes findings rather than selects them:
// negative comparisons on one attribute are AND-ed, positive ones OR-ed.
func (op StringOp) Negative() bool {
	return op == NotEquals || op == PrefixNotEquals || op == NotContains
}

// StringCond is one StringFilter or MapFilter.
type StringCond struct {
	Key   string // MapFilter only
	Value string
	Op    StringOp
}

// NumberCond is one NumberFilter: its bounds are AND-ed.
type NumberCond struct {
	Gte, Lte, Gt, Lt, Eq *float64
}

// DateCond is one DateFilter with DateRange already resolved against the
// query's time, so that it is a closed interval [Start, End] where a nil
// bound is open. Bounds are whole milliseconds, as are the finding's
// timestamps, and are compared by UnixMilli: a strict bound such as
// OLDER_THAN's "before now - N days" is stored as the inclusive bound one
// millisecond earlier, so a store needs only >= and <= on millisecond
// integers.
type DateCond struct {
	Start, End *time.Time
}

// Condition is every filter given for one attribute. Exactly one of the
// slices (or Bool) is set, matching Field.Type.
type Condition struct {
	Field    *Field
	Strings  []StringCond // String and Map fields
	Numbers  []NumberCond
	Dates    []DateCond
	Bools    []bool
	IPs      []netip.Prefix
	Keywords []string
}

// Filters is a parsed AwsSecurityFindingFilters: a finding matches when it
// matches every condition.
type Filters struct {
	Conds []Condition
}

// Sort is one SortCriterion.
type Sort struct {
	Field *Field
	Desc  bool
}

// Cursor is where a listing stopped: the sort values of the last finding
// returned (in the order of the query's Sort, nil for an absent value),
// then that finding's key, which breaks ties.
type Cursor struct {
	Values     []any
	Account    string
	ProductARN string
	ID         string
}

// Key returns the finding key that the cursor stopped at.
func (c *Cursor) Key() Key {
	return Key{Account: c.Account, ProductARN: c.ProductARN, ID: c.ID}
}

// Key identifies a finding for ordering: it is the last, always ascending,
// sort key, so that an order is total and keyset pagination never skips or
// repeats a finding whose sort values tie with another's. It mirrors
// muster.FindingKey, which this package cannot import.
type Key struct {
	Account    string
	ProductARN string
	ID         string
}
