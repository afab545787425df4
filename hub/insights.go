package hub

import (
	"context"
	"slices"
	"strings"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/filter"
)

// MaxCustomInsights is AWS's hard quota of custom insights per account
// and Region.
const MaxCustomInsights = 100

// CreateInsightInput is the input of CreateInsight.
type CreateInsightInput struct {
	Name             string
	Filters          jsontext.Value
	GroupByAttribute string
}

// InsightOutput is one Insight of GetInsights.
type InsightOutput struct {
	InsightArn       string
	Name             string
	Filters          jsontext.Value
	GroupByAttribute string
}

// GetInsightsInput is the input of GetInsights.
type GetInsightsInput struct {
	InsightArns []string
	NextToken   string
	MaxResults  int
}

// GetInsightsOutput is the output of GetInsights.
type GetInsightsOutput struct {
	Insights  []InsightOutput
	NextToken string `json:",omitempty"`
}

// UpdateInsightInput is the input of UpdateInsight; absent members (empty
// strings, no Filters) leave the insight's value as it is.
type UpdateInsightInput struct {
	InsightArn       string
	Name             string
	Filters          jsontext.Value
	GroupByAttribute string
}

// InsightResultValue is one value of GetInsightResults.
type InsightResultValue struct {
	GroupByAttributeValue string
	Count                 int64
}

// InsightResults is the InsightResults of GetInsightResults.
type InsightResults struct {
	InsightArn       string
	GroupByAttribute string
	ResultValues     []InsightResultValue
}

// GetInsightResultsOutput is the output of GetInsightResults.
type GetInsightResultsOutput struct {
	InsightResults InsightResults
}

// insightsBinding binds GetInsights' tokens to the listing of custom
// insights.
const insightsBinding = "insights"

// CreateInsight stores a custom insight of the caller and returns its
// ARN, arn:aws:securityhub:REGION:ACCOUNT:insight/ACCOUNT/custom/UUID as
// AWS forms it. Filters are checked as GetFindings checks them and stored
// as given; past MaxCustomInsights the call fails with
// LimitExceededException. Names need not be unique: AWS documents no such
// rule.
func (s *Service) CreateInsight(ctx context.Context, c Caller, in CreateInsightInput) (string, error) {
	if _, err := s.hub(ctx, c); err != nil {
		return "", err
	}
	if err := checkInsightName(in.Name); err != nil {
		return "", err
	}
	if err := checkGroupBy(in.GroupByAttribute); err != nil {
		return "", err
	}
	filters, err := s.checkInsightFilters(in.Filters)
	if err != nil {
		return "", err
	}
	arn := "arn:aws:securityhub:" + c.Region + ":" + c.Account + ":insight/" + c.Account + "/custom/" + muster.NewUUID()
	err = s.store.CreateInsight(ctx, &muster.Insight{
		Scope: c.Scope(), ARN: arn, Name: in.Name, Filters: filters, GroupByAttribute: in.GroupByAttribute,
	}, MaxCustomInsights)
	if err != nil {
		return "", err
	}
	return arn, nil
}

// GetInsights returns the insights whose ARNs the caller names, managed
// ones included, or else one page of the caller's custom insights in ARN
// order: as the API reference says, a listing holds no managed insights.
// An ARN that names no insight the caller can read fails the call with
// ResourceNotFoundException; named insights come back in the order named,
// each once, without paging.
func (s *Service) GetInsights(ctx context.Context, c Caller, in GetInsightsInput) (*GetInsightsOutput, error) {
	if _, err := s.hub(ctx, c); err != nil {
		return nil, err
	}
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	out := &GetInsightsOutput{Insights: []InsightOutput{}}
	if len(in.InsightArns) > 0 {
		var seen []string
		for _, arn := range in.InsightArns {
			if slices.Contains(seen, arn) {
				continue
			}
			seen = append(seen, arn)
			ins, err := s.insight(ctx, c, arn)
			if err != nil {
				return nil, err
			}
			out.Insights = append(out.Insights, insightOutput(ins))
		}
		return out, nil
	}
	after, err := s.pageAfter(c, in.NextToken, insightsBinding)
	if err != nil {
		return nil, err
	}
	found, err := s.store.ListInsights(ctx, c.Scope(), after, limit+1)
	if err != nil {
		return nil, err
	}
	// The store has already started after the token's ARN.
	page, next, err := pageOf(s, c, insightsBinding, found, func(i *muster.Insight) string { return i.ARN }, "", limit)
	if err != nil {
		return nil, err
	}
	out.NextToken = next
	for _, ins := range page {
		out.Insights = append(out.Insights, insightOutput(ins))
	}
	return out, nil
}

func insightOutput(ins *muster.Insight) InsightOutput {
	return InsightOutput{InsightArn: ins.ARN, Name: ins.Name, Filters: jsontext.Value(ins.Filters), GroupByAttribute: ins.GroupByAttribute}
}

// UpdateInsight changes the members the input gives of one of the
// caller's custom insights. Managed insights cannot be changed.
func (s *Service) UpdateInsight(ctx context.Context, c Caller, in UpdateInsightInput) error {
	if _, err := s.hub(ctx, c); err != nil {
		return err
	}
	if isManagedARN(in.InsightArn) {
		return muster.Errorf(muster.InvalidInput, "Insight %s is a managed insight: managed insights cannot be updated; create a custom insight from its filters instead", in.InsightArn)
	}
	ins, err := s.customInsight(ctx, c, in.InsightArn)
	if err != nil {
		return err
	}
	if in.Name != "" {
		if err := checkInsightName(in.Name); err != nil {
			return err
		}
		ins.Name = in.Name
	}
	if in.GroupByAttribute != "" {
		if err := checkGroupBy(in.GroupByAttribute); err != nil {
			return err
		}
		ins.GroupByAttribute = in.GroupByAttribute
	}
	if len(in.Filters) > 0 && in.Filters.Kind() != 'n' {
		if ins.Filters, err = s.checkInsightFilters(in.Filters); err != nil {
			return err
		}
	}
	return s.store.UpdateInsight(ctx, ins)
}

// DeleteInsight deletes one of the caller's custom insights and returns
// its ARN. Managed insights cannot be deleted.
func (s *Service) DeleteInsight(ctx context.Context, c Caller, arn string) (string, error) {
	if _, err := s.hub(ctx, c); err != nil {
		return "", err
	}
	if isManagedARN(arn) {
		return "", muster.Errorf(muster.InvalidInput, "Insight %s is a managed insight: managed insights cannot be deleted", arn)
	}
	if err := checkInsightARN(arn); err != nil {
		return "", err
	}
	if err := s.store.DeleteInsight(ctx, c.Scope(), arn); err != nil {
		return "", err
	}
	return arn, nil
}

// GetInsightResults runs an insight over the caller's findings: its
// filters, parsed as GetFindings parses them with DateRange counted back
// from now, select findings, and each value of its group-by attribute is
// counted once per finding that has it, highest count first, at most
// filter.GroupLimit values (filter.Group states the rules).
func (s *Service) GetInsightResults(ctx context.Context, c Caller, arn string) (*GetInsightResultsOutput, error) {
	if _, err := s.hub(ctx, c); err != nil {
		return nil, err
	}
	ins, err := s.insight(ctx, c, arn)
	if err != nil {
		return nil, err
	}
	filters, err := filter.Parse(ins.Filters, s.Now().UTC())
	if err != nil {
		return nil, err
	}
	groups, err := s.store.GroupFindings(ctx, muster.GroupQuery{
		Region:   c.Region,
		Accounts: []string{c.Account},
		Filter:   filters,
		GroupBy:  ins.GroupByAttribute,
		Limit:    filter.GroupLimit,
	})
	if err != nil {
		return nil, err
	}
	out := &GetInsightResultsOutput{InsightResults: InsightResults{
		InsightArn:       ins.ARN,
		GroupByAttribute: ins.GroupByAttribute,
		ResultValues:     make([]InsightResultValue, len(groups)),
	}}
	for i, g := range groups {
		out.InsightResults.ResultValues[i] = InsightResultValue{GroupByAttributeValue: g.Value, Count: g.Count}
	}
	return out, nil
}

// insight returns the managed insight of arn, or the caller's custom one.
func (s *Service) insight(ctx context.Context, c Caller, arn string) (*muster.Insight, error) {
	if isManagedARN(arn) && !strings.HasPrefix(arn, managedInsightPrefix) {
		return s.productInsight(ctx, c, arn)
	}
	if isManagedARN(arn) {
		m := lookupManaged(arn)
		if m == nil {
			return nil, muster.Errorf(muster.ResourceNotFound, "Insight %s not found: there is no such managed insight", arn)
		}
		return &muster.Insight{ARN: m.arn(), Name: m.name, Filters: []byte(m.filters), GroupByAttribute: m.groupBy}, nil
	}
	return s.customInsight(ctx, c, arn)
}

// customInsight returns the caller's custom insight arn. An insight of
// another account or Region is not found, as if it did not exist.
func (s *Service) customInsight(ctx context.Context, c Caller, arn string) (*muster.Insight, error) {
	if err := checkInsightARN(arn); err != nil {
		return nil, err
	}
	return s.store.GetInsight(ctx, c.Scope(), arn)
}

// checkInsightARN refuses what is no insight ARN at all; a well-formed ARN
// of no insight is the store's ResourceNotFoundException.
func checkInsightARN(arn string) error {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "securityhub" || !strings.HasPrefix(parts[5], "insight/") {
		return muster.Errorf(muster.InvalidInput, "InsightArn %q is not the ARN of an insight", arn)
	}
	return nil
}

// checkInsightName refuses a blank name: Name is a NonEmptyString, whose
// pattern the model validator leaves to the operations that need it.
func checkInsightName(name string) error {
	if strings.Trim(name, " \t\n\v\f\r") == "" {
		return muster.Errorf(muster.InvalidInput, "Name must contain a character that is not white space")
	}
	return nil
}

// checkGroupBy accepts the attributes findings can be grouped by.
func checkGroupBy(name string) error {
	if filter.LookupField(name).Groupable() {
		return nil
	}
	return muster.Errorf(muster.InvalidInput, "GroupByAttribute %q is not supported: it must name a string attribute of AwsSecurityFindingFilters, such as ResourceId, ResourceType, Type, SeverityLabel, ProductName or AwsAccountId", name)
}

// checkInsightFilters parses filters as GetFindings would, to refuse them
// now rather than at every GetInsightResults, and returns them compacted,
// as they will be stored and returned.
func (s *Service) checkInsightFilters(raw jsontext.Value) ([]byte, error) {
	if len(raw) == 0 || raw.Kind() == 'n' {
		return []byte(`{}`), nil
	}
	if _, err := filter.Parse(raw, s.Now().UTC()); err != nil {
		return nil, err
	}
	out := raw.Clone()
	if err := out.Compact(); err != nil {
		return nil, muster.Errorf(muster.InvalidInput, "Filters: %v", err)
	}
	return out, nil
}
