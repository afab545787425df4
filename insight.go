package muster

import "github.com/muster-hub/muster/filter"

// Insight is a custom insight: a saved set of finding filters and the
// attribute that groups the findings they select. Managed insights are
// not stored; the service layer holds their library.
type Insight struct {
	// Scope is the account and region the insight belongs to; custom
	// insights are visible in their scope only.
	Scope
	ARN  string
	Name string
	// Filters is the AwsSecurityFindingFilters JSON as the caller gave
	// it, so that GetInsights returns it unchanged. It is parsed each time
	// the insight runs, so a DateRange means "until now" at every run.
	Filters []byte
	// GroupByAttribute is the name of a filter attribute whose values
	// group the results (filter.Field.Groupable).
	GroupByAttribute string
}

// GroupQuery selects findings as a FindingQuery does and counts them by
// the values of one attribute: the results of an insight.
type GroupQuery struct {
	Region   string
	Accounts []string
	Filter   *filter.Filters
	// GroupBy is the name of a Groupable filter attribute, e.g.
	// "ResourceId".
	GroupBy string
	// Limit is the most values to return; ≤ 0 returns them all.
	Limit int
}

// GroupCount is one value of a GroupQuery's attribute and the number of
// selected findings that have it. The counting and ordering rules are
// those of filter.Group, the reference every store is tested against.
type GroupCount = filter.GroupCount
