package hub

import (
	"context"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/asff"
	"github.com/muster-hub/muster/filter"
)

// MaxImportFindings is the most findings one BatchImportFindings call takes.
const MaxImportFindings = 100

// ImportFailure is one entry of BatchImportFindings' FailedFindings.
type ImportFailure struct {
	Id           string
	ErrorCode    string
	ErrorMessage string
}

// ImportOutput is the output of BatchImportFindings.
type ImportOutput struct {
	FailedCount    int
	SuccessCount   int
	FailedFindings []ImportFailure
}

// Error codes of FailedFindings entries.
const (
	failInvalidInput  = "InvalidInput"
	failInvalidAccess = "InvalidAccess"
)

// BatchImportFindings validates each finding on its own and stores the
// valid ones; invalid findings come back in FailedFindings. Only problems
// of the whole request — too many findings, the caller without a hub, a
// ProductArn for another region, an unauthorized product — fail the call.
func (s *Service) BatchImportFindings(ctx context.Context, c Caller, findings []jsontext.Value) (*ImportOutput, error) {
	if len(findings) == 0 {
		return nil, muster.Errorf(muster.InvalidInput, "Findings must contain at least 1 finding")
	}
	if len(findings) > MaxImportFindings {
		return nil, muster.Errorf(muster.InvalidInput, "Findings must contain at most %d findings; the request has %d", MaxImportFindings, len(findings))
	}
	now := s.Now().UTC()
	out := &ImportOutput{FailedFindings: []ImportFailure{}}
	fail := func(raw []byte, code, msg string) {
		out.FailedFindings = append(out.FailedFindings, ImportFailure{Id: asff.FindingID(raw), ErrorCode: code, ErrorMessage: msg})
	}
	type pair struct{ product, account string }
	grants := map[pair]*importGrant{}
	batch := make([]*muster.Finding, 0, len(findings))
	for _, raw := range findings {
		if err := asff.Check(raw); err != nil {
			// A finding that passes Check has a valid account and
			// ProductArn; one that fails may fail the whole request
			// for them, as AWS's request authorizer does.
			if aerr := asff.CheckAuthorization(raw); aerr != nil {
				return nil, muster.Errorf(muster.InvalidInput, "%v", aerr)
			}
			fail(raw, failInvalidInput, err.Error())
			continue
		}
		im, err := asff.ParseImport(raw)
		if err != nil {
			fail(raw, failInvalidInput, err.Error())
			continue
		}
		id, productARN, account := im.ID(), im.ProductARN(), im.Account()
		arn, err := asff.ParseProductARN(productARN)
		if err != nil {
			fail(raw, failInvalidInput, err.Error())
			continue
		}
		if arn.Region != c.Region {
			return nil, muster.Errorf(muster.InvalidInput, "ProductArn %s is for region %q but the request is for %s: a product's findings are imported in the region of its ARN", productARN, arn.Region, c.Region)
		}
		g, ok := grants[pair{productARN, account}]
		if !ok {
			if g, err = s.authorizeImport(ctx, c, arn, productARN, account); err != nil {
				return nil, err
			}
			grants[pair{productARN, account}] = g
		}
		if g.failMessage != "" {
			fail(raw, failInvalidAccess, g.failMessage)
			continue
		}
		doc, err := im.Complete(c.Region, asffProduct(g.product), now)
		if err != nil {
			fail(raw, failInvalidInput, err.Error())
			continue
		}
		batch = append(batch, &muster.Finding{
			Region:      c.Region,
			FindingKey:  muster.FindingKey{Account: account, ProductARN: productARN, ID: id},
			Doc:         doc,
			ProcessedAt: now,
		})
	}
	if len(batch) > 0 {
		results, err := s.store.UpsertFindings(ctx, batch, s.withEvent(MergeImport))
		if err != nil {
			return nil, err
		}
		s.Events.Notify()
		s.observeIngested(batch, results)
	}
	out.FailedCount = len(out.FailedFindings)
	out.SuccessCount = len(findings) - out.FailedCount
	return out, nil
}

// observeIngested reports the findings a BatchImportFindings call wrote,
// by account and product.
func (s *Service) observeIngested(batch []*muster.Finding, results []muster.UpsertResult) {
	type key struct{ account, product string }
	n := map[key]int{}
	for i, r := range results {
		if r == muster.Created || r == muster.Updated {
			n[key{batch[i].Account, batch[i].ProductARN}]++
		}
	}
	for k, v := range n {
		s.Observer.FindingsIngested(k.account, k.product, v)
	}
}

// asffProduct is what Import.Complete needs of a catalog entry: the names
// it writes into ProductName and CompanyName.
func asffProduct(p *muster.Product) asff.Product {
	if p.ProductID == muster.DefaultProductID && p.CompanyID == p.HomeAccount {
		return asff.DefaultProduct
	}
	return asff.Product{Name: p.ProductName, Company: p.CompanyName}
}

// SortCriterion is one element of GetFindings' SortCriteria.
type SortCriterion struct {
	Field     string
	SortOrder string
}

// GetFindingsInput is the input of GetFindings.
type GetFindingsInput struct {
	Filters      jsontext.Value
	SortCriteria []SortCriterion
	MaxResults   int
	NextToken    string
}

// GetFindingsOutput is the output of GetFindings.
type GetFindingsOutput struct {
	Findings  []jsontext.Value
	NextToken string `json:",omitempty"`
}

// defaultMaxResults is the page size when MaxResults is absent: the
// largest page AWS allows.
const defaultMaxResults = 100

// GetFindings returns one page of the caller's findings that match the
// filters, in the order of the sort criteria.
func (s *Service) GetFindings(ctx context.Context, c Caller, in GetFindingsInput) (*GetFindingsOutput, error) {
	if _, err := s.hub(ctx, c); err != nil {
		return nil, err
	}
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	binding := queryBinding(in.Filters, in.SortCriteria)
	now := s.Now().UTC()
	var after *filter.Cursor
	if in.NextToken != "" {
		t, err := s.tokens.decode(in.NextToken)
		if err != nil {
			return nil, err
		}
		if t.Account != c.Account || t.Region != c.Region || t.Binding != binding {
			return nil, muster.Errorf(muster.InvalidInput, "The NextToken is not valid for this request: it was issued for other filters, sort criteria, account or region")
		}
		now, after = t.now(), &t.Cursor
	}
	filters := &filter.Filters{}
	if len(in.Filters) > 0 {
		f, err := filter.Parse(in.Filters, now)
		if err != nil {
			return nil, err
		}
		filters = f
	}
	sorts, err := sortCriteria(in.SortCriteria)
	if err != nil {
		return nil, err
	}
	found, err := s.store.QueryFindings(ctx, muster.FindingQuery{
		Region:   c.Region,
		Accounts: []string{c.Account},
		Filter:   filters,
		Sort:     sorts,
		After:    after,
		Limit:    limit + 1,
	})
	if err != nil {
		return nil, err
	}
	out := &GetFindingsOutput{Findings: make([]jsontext.Value, 0, min(len(found), limit))}
	for i, f := range found {
		if i == limit {
			cur, err := cursorAfter(sorts, found[limit-1])
			if err != nil {
				return nil, err
			}
			out.NextToken, err = s.tokens.encode(token{
				Account: c.Account,
				Region:  c.Region,
				Binding: binding,
				NowMS:   now.UnixMilli(),
				Cursor:  *cur,
			})
			if err != nil {
				return nil, err
			}
			break
		}
		out.Findings = append(out.Findings, f.Doc)
	}
	return out, nil
}

// pageSize is the page size a MaxResults asks for: absent is the largest
// page AWS allows, and anything outside 1–100 is refused.
func pageSize(maxResults int) (int, error) {
	if maxResults == 0 {
		return defaultMaxResults, nil
	}
	if maxResults < 1 || maxResults > 100 {
		return 0, muster.Errorf(muster.InvalidInput, "MaxResults must be between 1 and 100")
	}
	return maxResults, nil
}

// cursorAfter is the keyset cursor that continues a listing in sorts'
// order after f.
func cursorAfter(sorts []filter.Sort, f *muster.Finding) (*filter.Cursor, error) {
	fields, err := asff.Fields(f.Doc)
	if err != nil {
		return nil, err
	}
	return &filter.Cursor{Values: filter.SortValues(sorts, fields), Account: f.Account, ProductARN: f.ProductARN, ID: f.ID}, nil
}

// sortCriteria parses SortCriteria; no criteria sorts by UpdatedAt,
// newest first.
func sortCriteria(in []SortCriterion) ([]filter.Sort, error) {
	crit := make([]filter.SortCriterion, len(in))
	for i, c := range in {
		crit[i] = filter.SortCriterion{Field: c.Field, SortOrder: c.SortOrder}
	}
	return filter.ParseSort(crit)
}
