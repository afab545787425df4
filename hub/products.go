package hub

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/asff"
)

// ProductOutput is one entry of DescribeProducts.
type ProductOutput struct {
	ProductArn                        string
	ProductName                       string   `json:",omitempty"`
	CompanyName                       string   `json:",omitempty"`
	Description                       string   `json:",omitempty"`
	Categories                        []string `json:",omitempty"`
	IntegrationTypes                  []string `json:",omitempty"`
	MarketplaceUrl                    string   `json:",omitempty"`
	ActivationUrl                     string   `json:",omitempty"`
	ProductSubscriptionResourcePolicy string   `json:",omitempty"`
}

// DescribeProductsInput is the input of DescribeProducts.
type DescribeProductsInput struct {
	NextToken  string
	MaxResults int
	ProductArn string
}

// DescribeProductsOutput is the output of DescribeProducts.
type DescribeProductsOutput struct {
	Products  []ProductOutput
	NextToken string `json:",omitempty"`
}

// DescribeProducts lists the catalog in the request's region. A product
// the caller subscribes to carries the managed resource policy the caller
// consented to.
func (s *Service) DescribeProducts(ctx context.Context, c Caller, in DescribeProductsInput) (*DescribeProductsOutput, error) {
	if _, err := s.hub(ctx, c); err != nil {
		return nil, err
	}
	binding := "products:" + in.ProductArn
	after, limit, err := s.pageStart(c, in.NextToken, in.MaxResults, binding)
	if err != nil {
		return nil, err
	}
	all, err := s.catalog.all(ctx, s.store)
	if err != nil {
		return nil, err
	}
	subs, err := s.store.Subscriptions(ctx, c.Scope())
	if err != nil {
		return nil, err
	}
	policy := map[string]string{}
	for _, sub := range subs {
		policy[sub.CompanyID+"/"+sub.ProductID] = sub.Policy
	}
	var listed []*muster.Product
	for _, p := range all {
		if in.ProductArn == "" || in.ProductArn == p.ARN(c.Region) {
			listed = append(listed, p)
		}
	}
	page, next, err := pageOf(s, c, binding, listed, func(p *muster.Product) string { return p.CompanyID + "\x00" + p.ProductID }, after, limit)
	if err != nil {
		return nil, err
	}
	out := &DescribeProductsOutput{Products: make([]ProductOutput, len(page)), NextToken: next}
	for i, p := range page {
		out.Products[i] = ProductOutput{
			ProductArn: p.ARN(c.Region), ProductName: p.ProductName, CompanyName: p.CompanyName, Description: p.Description,
			Categories: p.Categories, IntegrationTypes: p.IntegrationTypes, MarketplaceUrl: p.MarketplaceURL,
			ActivationUrl: p.ActivationURL, ProductSubscriptionResourcePolicy: policy[p.CompanyID+"/"+p.ProductID],
		}
	}
	return out, nil
}

// EnableImportFindingsForProduct subscribes the caller to a product of
// the catalog, with the managed resource policy of the import policy
// types the product's manifest allows.
func (s *Service) EnableImportFindingsForProduct(ctx context.Context, c Caller, productARN string) (string, error) {
	if _, err := s.hub(ctx, c); err != nil {
		return "", err
	}
	arn, err := asff.ParseProductARN(productARN)
	if err != nil {
		return "", muster.Errorf(muster.InvalidInput, "Invalid ProductArn %s: it %v", productARN, err)
	}
	if arn.Region != c.Region {
		return "", muster.Errorf(muster.InvalidInput, "Invalid ProductArn %s: the product's region must be the request's region, %s", productARN, c.Region)
	}
	p, err := s.catalog.get(ctx, s.store, arn.Company, arn.Product)
	if err != nil {
		return "", err
	}
	if p == nil || p.ARN(c.Region) != productARN {
		return "", muster.Errorf(muster.InvalidInput, "Invalid ProductArn %s: no such product in the catalog (DescribeProducts lists them)", productARN)
	}
	sub, err := s.subscribe(ctx, c.Scope(), p)
	if err != nil {
		return "", err
	}
	return sub.ARN(), nil
}

// subscribe stores scope's subscription to p, with the managed resource
// policy of the import policy types p allows.
func (s *Service) subscribe(ctx context.Context, scope muster.Scope, p *muster.Product) (*muster.Subscription, error) {
	sub := &muster.Subscription{
		Scope: scope, CompanyID: p.CompanyID, ProductID: p.ProductID, ProductARN: p.ARN(scope.Region),
		ImportPolicies: p.ImportPolicies, CreatedAt: s.Now().UTC(),
	}
	sub.Policy = managedPolicy(p, sub)
	return sub, s.store.CreateSubscription(ctx, sub)
}

// managedPolicy is the resource policy of a subscription, in the form
// DescribeProducts shows on AWS: one statement per import policy type,
// each limited to the customer as target account.
func managedPolicy(p *muster.Product, sub *muster.Subscription) string {
	type statement struct {
		Effect    string
		Principal map[string]string
		Action    []string
		Resource  string
		Condition map[string]map[string]string
	}
	cond := map[string]map[string]string{"StringEquals": {"securityhub:TargetAccount": sub.Account}}
	var st []statement
	if p.Allows(muster.FromProductAccount) && p.HomeAccount != "" {
		st = append(st, statement{"Allow", map[string]string{"AWS": p.HomeAccount}, []string{"securityhub:BatchImportFindings"}, sub.ARN(), cond})
	}
	if p.Allows(muster.FromCustomerAccount) {
		st = append(st, statement{"Allow", map[string]string{"AWS": sub.Account}, []string{"securityhub:BatchImportFindings"}, sub.ProductARN, cond})
	}
	if st == nil {
		st = []statement{}
	}
	b, _ := json.Marshal(struct {
		Version   string
		Statement []statement
	}{"2012-10-17", st})
	return string(b)
}

// DisableImportFindingsForProduct removes one of the caller's
// subscriptions; findings the product sent stay.
func (s *Service) DisableImportFindingsForProduct(ctx context.Context, c Caller, subARN string) error {
	if _, err := s.hub(ctx, c); err != nil {
		return err
	}
	prefix := "arn:aws:securityhub:" + c.Region + ":" + c.Account + ":product-subscription/"
	rest, ok := strings.CutPrefix(subARN, prefix)
	company, product, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 || company == "" || product == "" {
		return muster.Errorf(muster.ResourceNotFound, "The product subscription %s does not exist in account %s, region %s", subARN, c.Account, c.Region)
	}
	return s.store.DeleteSubscription(ctx, c.Scope(), company, product)
}

// ListEnabledInput is the input of ListEnabledProductsForImport.
type ListEnabledInput struct {
	NextToken  string
	MaxResults int
}

// ListEnabledOutput is the output of ListEnabledProductsForImport.
type ListEnabledOutput struct {
	ProductSubscriptions []string
	NextToken            string `json:",omitempty"`
}

// ListEnabledProductsForImport lists the caller's subscription ARNs.
func (s *Service) ListEnabledProductsForImport(ctx context.Context, c Caller, in ListEnabledInput) (*ListEnabledOutput, error) {
	if _, err := s.hub(ctx, c); err != nil {
		return nil, err
	}
	after, limit, err := s.pageStart(c, in.NextToken, in.MaxResults, "subscriptions")
	if err != nil {
		return nil, err
	}
	subs, err := s.store.Subscriptions(ctx, c.Scope())
	if err != nil {
		return nil, err
	}
	page, next, err := pageOf(s, c, "subscriptions", subs, (*muster.Subscription).ARN, after, limit)
	if err != nil {
		return nil, err
	}
	out := &ListEnabledOutput{ProductSubscriptions: make([]string, len(page)), NextToken: next}
	for i, sub := range page {
		out.ProductSubscriptions[i] = sub.ARN()
	}
	return out, nil
}

// RegisterProduct adds a product to the catalog from its manifest, or
// replaces its earlier registration. The home account of a product never
// changes, and Muster's built-in products cannot be registered over.
func (s *Service) RegisterProduct(ctx context.Context, p *muster.Product) error {
	if err := p.Validate(); err != nil {
		return err
	}
	if err := s.checkDefaultInsights(p); err != nil {
		return err
	}
	old, err := s.catalog.get(ctx, s.store, p.CompanyID, p.ProductID)
	if err != nil {
		return err
	}
	switch {
	case old != nil && old.Builtin:
		return muster.Errorf(muster.ResourceConflict, "Product %s/%s is built into Muster's catalog and cannot be registered over", p.CompanyID, p.ProductID)
	case old != nil && old.HomeAccount != p.HomeAccount:
		return muster.Errorf(muster.ResourceConflict, "Product %s/%s is registered with home account %s; a product's home account never changes", p.CompanyID, p.ProductID, old.HomeAccount)
	}
	p.Builtin = false
	defer s.catalog.invalidate()
	return s.store.PutProduct(ctx, p)
}
