package hub

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/muster-hub/muster"
)

// libraryPrefix starts the ARNs of the insights no account owns: AWS's
// managed insights (insight/securityhub/default/N) and the default insights
// of products (insight/COMPANY/PRODUCT/N), both without Region or account.
const libraryPrefix = "arn:aws:securityhub:::insight/"

// defaultInsight is a default insight as a manifest proposes it: the
// members of CreateInsight.
type defaultInsight struct {
	Name             string
	Filters          json.RawMessage
	GroupByAttribute string
}

// checkDefaultInsights checks a manifest's default insights as
// CreateInsight would check them, so that a bad one is refused when the
// product is registered.
func (s *Service) checkDefaultInsights(p *muster.Product) error {
	for i, raw := range p.DefaultInsights {
		var d defaultInsight
		if err := json.Unmarshal(raw, &d); err != nil {
			return muster.Errorf(muster.InvalidInput, "default insight %d: %v (it takes Name, Filters and GroupByAttribute, as CreateInsight does)", i+1, err)
		}
		if err := checkInsightName(d.Name); err != nil {
			return muster.Errorf(muster.InvalidInput, "default insight %d: %s", i+1, err.(*muster.Error).Message)
		}
		if err := checkGroupBy(d.GroupByAttribute); err != nil {
			return muster.Errorf(muster.InvalidInput, "default insight %d: %s", i+1, err.(*muster.Error).Message)
		}
		if _, err := s.checkInsightFilters([]byte(d.Filters)); err != nil {
			return muster.Errorf(muster.InvalidInput, "default insight %d: filters: %v", i+1, err)
		}
	}
	return nil
}

// productInsight returns the default insight of a product ARN, which only
// accounts subscribed to the product see: to the others it does not
// exist.
func (s *Service) productInsight(ctx context.Context, c Caller, arn string) (*muster.Insight, error) {
	notFound := muster.Errorf(muster.ResourceNotFound, "Insight %s not found", arn)
	parts := strings.Split(strings.TrimPrefix(arn, libraryPrefix), "/")
	if len(parts) != 3 {
		return nil, notFound
	}
	n, err := strconv.Atoi(parts[2])
	if err != nil || n < 1 {
		return nil, notFound
	}
	p, err := s.catalog.get(ctx, s.store, parts[0], parts[1])
	if err != nil {
		return nil, err
	}
	if p == nil || n > len(p.DefaultInsights) {
		return nil, notFound
	}
	sub, err := s.store.Subscription(ctx, c.Scope(), p.CompanyID, p.ProductID)
	if err != nil {
		return nil, err
	}
	if sub == nil {
		return nil, notFound
	}
	var d defaultInsight
	if err := json.Unmarshal(p.DefaultInsights[n-1], &d); err != nil {
		return nil, err
	}
	filters := []byte(d.Filters)
	if len(filters) == 0 {
		filters = []byte(`{}`)
	}
	return &muster.Insight{ARN: arn, Name: d.Name, Filters: filters, GroupByAttribute: d.GroupByAttribute}, nil
}
