package hub

import (
	"context"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/asff"
	"github.com/muster-hub/muster/iam"
)

// Authorize decides whether c may call operation. It is the one place that
// knows which resource each Security Hub operation is authorized on: the
// resource its input names (a product, a subscription, an insight, an
// action target, a tagged resource), or else the caller's hub. member
// returns a top-level member of the operation's input as encoding/json
// decodes it into an any, nil when absent. BatchImportFindings is
// authorized per finding by BatchImportFindings itself, since its resource
// is each finding's product.
func (s *Service) Authorize(c Caller, operation string, member func(name string) any) error {
	if c.Unrestricted || operation == "BatchImportFindings" {
		return nil
	}
	resource := c.Scope().HubARN()
	for _, name := range resourceMembers {
		if v, _ := member(name).(string); strings.HasPrefix(v, "arn:") {
			resource = v
			break
		}
	}
	action := "securityhub:" + operation
	// Security Hub has no resource-based policies, so another account's
	// resource is out of reach whatever the caller's own policies say;
	// only the product catalog is shared.
	if parts := strings.SplitN(resource, ":", 6); len(parts) == 6 && parts[4] != "" && parts[4] != c.Account && !strings.HasPrefix(parts[5], "product/") {
		return denied(c, action, resource)
	}
	var keys map[string][]string
	if operation == "BatchUpdateFindings" {
		keys = syntaxPathKeys(member)
	}
	return s.authorize(c, action, resource, keys)
}

// updateMembers are the members of a BatchUpdateFindings request that
// change findings, each of which IAM policies can restrict by its
// securityhub:ASFFSyntaxPath condition keys.
var updateMembers = []string{
	"Confidence", "Criticality", "Note", "RelatedFindings", "Severity",
	"Types", "UserDefinedFields", "VerificationState", "Workflow",
}

// syntaxPathKeys returns the securityhub:ASFFSyntaxPath/<path> condition
// keys of a BatchUpdateFindings request, with which a policy denies (or
// allows only) updates of a field or to a value, as AWS's guide to
// configuring access to BatchUpdateFindings describes: a Null condition on
// a field's key denies any update of it, a StringEquals one setting it to
// a value. A scalar's key holds its value as text; an array's values, or
// the members of its objects, are the values of one key (so ForAnyValue
// conditions see each of Types); an object's key holds its member names,
// so that a Null condition on Note, Severity or UserDefinedFields
// matches whichever members the request sets, and each member has its
// own key (UserDefinedFields.<name> holds that field's value).
func syntaxPathKeys(member func(name string) any) map[string][]string {
	keys := map[string][]string{}
	var add func(path string, v any)
	add = func(path string, v any) {
		k := "securityhub:ASFFSyntaxPath/" + path
		switch v := v.(type) {
		case string:
			keys[k] = append(keys[k], v)
		case float64:
			keys[k] = append(keys[k], strconv.FormatFloat(v, 'f', -1, 64))
		case bool:
			keys[k] = append(keys[k], strconv.FormatBool(v))
		case []any:
			for _, e := range v {
				add(path, e)
			}
		case map[string]any:
			names := slices.Sorted(maps.Keys(v))
			keys[k] = append(keys[k], names...)
			for _, name := range names {
				add(path+"."+name, v[name])
			}
		}
	}
	for _, name := range updateMembers {
		if v := member(name); v != nil {
			add(name, v)
		}
	}
	return keys
}

// resourceMembers are the input members that name the resource an
// operation acts on, in the order they are looked for. Operations with
// none of them act on the hub.
var resourceMembers = []string{
	"ProductSubscriptionArn", "InsightArn", "ActionTargetArn", "ResourceArn", "HubArn",
	"ProductArn", "FindingAggregatorArn", "AggregatorV2Arn", "StandardsSubscriptionArn",
	"StandardsControlArn", "Identifier",
}

// authorize evaluates c's identity policies for action on resource, with
// the standard condition keys and extra ones. Anything but an explicit or
// implicit allow is AccessDeniedException in the words AWS uses.
func (s *Service) authorize(c Caller, action, resource string, extra map[string][]string) error {
	if c.Unrestricted || c.allowed(s.Now(), action, resource, extra) == iam.Allow {
		return nil
	}
	return denied(c, action, resource)
}

func denied(c Caller, action, resource string) error {
	return muster.Errorf(muster.AccessDenied, "User: %s is not authorized to perform: %s on resource: %s", c.ARN, action, resource)
}

// allowed returns the decision of c's identity policies.
func (c Caller) allowed(now time.Time, action, resource string, extra map[string][]string) iam.Decision {
	req := c.request(now, action, resource, extra)
	d := iam.Evaluate(req, c.Policies...)
	if d != iam.Allow || len(c.SessionPolicies) == 0 {
		return d
	}
	// A session policy only narrows: an action needs both allows.
	return iam.Evaluate(req, c.SessionPolicies...)
}

// request builds the IAM request of c, with the global condition keys
// (iam.NewContext) and those of the transport.
func (c Caller) request(now time.Time, action, resource string, extra map[string][]string) *iam.Request {
	keys := iam.NewContext(c.Principal, now)
	keys["aws:SecureTransport"] = []string{strconv.FormatBool(c.Secure)}
	keys["aws:RequestedRegion"] = []string{c.Region}
	if c.SourceIP != "" {
		keys["aws:SourceIp"] = []string{c.SourceIP}
	}
	for k, v := range extra {
		keys[k] = v
	}
	return &iam.Request{Principal: c.Principal, Action: action, Resource: resource, Context: keys}
}

// importGrant is the decision for one (product, target account) pair of a
// BatchImportFindings request: the product's catalog entry, or a failure
// of the findings for that account alone (failMessage).
type importGrant struct {
	product     *muster.Product
	failMessage string
}

// authorizeImport decides whether c may import findings of productARN into
// account, following the decision table of the partner guide (see
// docs/partners.md): an error fails the whole request; a grant with a
// failMessage fails only that account's findings (InvalidAccess), as a
// partner's batch for many customers does on AWS when some of them have
// not enabled Security Hub or the integration.
func (s *Service) authorizeImport(ctx context.Context, c Caller, arn asff.ProductARN, productARN, account string) (*importGrant, error) {
	const action = "securityhub:BatchImportFindings"
	hubOK, err := s.hubEnabled(ctx, muster.Scope{Account: account, Region: c.Region})
	if err != nil {
		return nil, err
	}
	noHub := "Account " + account + " is not subscribed to AWS Security Hub"
	private := arn.Company == arn.Account && arn.Account != ""
	if private {
		// An account's own products: its default product and those it
		// registered privately. Only that account imports them, into
		// itself, by its IAM policies alone.
		if !c.Unrestricted && (c.Account != arn.Account || account != c.Account) {
			return nil, denied(c, action, productARN)
		}
		if err := s.authorize(c, action, productARN, target(account)); err != nil {
			return nil, err
		}
		if !hubOK {
			return nil, muster.Errorf(muster.InvalidAccess, "%s", noHub)
		}
		p := &muster.Product{CompanyID: arn.Company, ProductID: arn.Product, HomeAccount: arn.Account, ProductName: "Default", CompanyName: "Personal"}
		if arn.Product != muster.DefaultProductID {
			if q, err := s.catalog.get(ctx, s.store, arn.Company, arn.Product); err == nil && q != nil {
				p = q
			} else {
				p.ProductName, p.CompanyName = arn.Product, arn.Company
			}
		}
		return &importGrant{product: p}, nil
	}
	p, err := s.catalog.get(ctx, s.store, arn.Company, arn.Product)
	if err != nil {
		return nil, err
	}
	if c.Unrestricted {
		if p == nil {
			// Open mode takes products it does not know, named by their ARN.
			p = &muster.Product{CompanyID: arn.Company, ProductID: arn.Product, HomeAccount: arn.Account, ProductName: arn.Product, CompanyName: arn.Company}
		}
		switch {
		case !hubOK && account == c.Account:
			return nil, muster.Errorf(muster.InvalidAccess, "%s", noHub)
		case !hubOK:
			return &importGrant{failMessage: noHub}, nil
		}
		return &importGrant{product: p}, nil
	}
	// A product Muster does not know, or an ARN whose account is not the
	// product's home account, entitles nobody.
	if p == nil || p.HomeAccount != arn.Account {
		return nil, denied(c, action, productARN)
	}
	subARN := muster.SubscriptionARN(muster.Scope{Account: account, Region: c.Region}, p.CompanyID, p.ProductID)
	fromProduct := c.Account == p.HomeAccount && p.HomeAccount != ""
	if c.Account != account && !fromProduct {
		return nil, denied(c, action, productARN)
	}
	// The caller's own IAM policies must allow the import, on the product
	// or on the customer's subscription (partner guides grant either).
	keys := target(account)
	d1 := c.allowed(s.Now(), action, productARN, keys)
	d2 := c.allowed(s.Now(), action, subARN, keys)
	if d1 == iam.Deny || d2 == iam.Deny || (d1 != iam.Allow && d2 != iam.Allow) {
		if c.Account == account {
			return nil, denied(c, action, productARN)
		}
		return nil, denied(c, action, subARN)
	}
	sub, err := s.subscription(ctx, hubOK, muster.Scope{Account: account, Region: c.Region}, p)
	if err != nil {
		return nil, err
	}
	ok := sub != nil && s.subscriptionAllows(c, sub, productARN, subARN, account)
	switch {
	case c.Account == account && !hubOK:
		return nil, muster.Errorf(muster.InvalidAccess, "%s", noHub)
	case c.Account == account && !ok:
		// Sending from inside the customer's account without its consent:
		// AWS fails the whole request (prowler#1331, cloud-custodian#6091).
		return nil, denied(c, action, productARN)
	case !hubOK:
		return &importGrant{failMessage: noHub}, nil
	case !ok:
		return &importGrant{failMessage: "Account " + account + " has not enabled the integration with " + p.ARN(c.Region) + " (no product subscription allows this import)"}, nil
	}
	return &importGrant{product: p}, nil
}

// subscription returns scope's subscription to p, nil when the account has
// no hub (a subscription outlives a disabled hub but grants nothing).
func (s *Service) subscription(ctx context.Context, hubOK bool, scope muster.Scope, p *muster.Product) (*muster.Subscription, error) {
	if !hubOK {
		return nil, nil
	}
	return s.store.Subscription(ctx, scope, p.CompanyID, p.ProductID)
}

// subscriptionAllows evaluates the subscription's managed resource policy
// for c: the policy the customer consented to is what decides, as on AWS.
func (s *Service) subscriptionAllows(c Caller, sub *muster.Subscription, productARN, subARN, account string) bool {
	pol, err := iam.Parse([]byte(sub.Policy))
	if err != nil {
		return false
	}
	for _, res := range []string{productARN, subARN} {
		if pol.Evaluate(c.request(s.Now(), "securityhub:BatchImportFindings", res, target(account))) == iam.Allow {
			return true
		}
	}
	return false
}

func target(account string) map[string][]string {
	return map[string][]string{"securityhub:TargetAccount": {account}}
}

// hubEnabled reports whether scope has a hub.
func (s *Service) hubEnabled(ctx context.Context, scope muster.Scope) (bool, error) {
	_, err := s.store.GetHub(ctx, scope)
	if err != nil && muster.ErrorCode(err) != muster.InvalidAccess {
		return false, err
	}
	return err == nil, nil
}

// AuthorizeOperator decides whether c may use one of Muster's operator
// endpoints: action is muster:ACTION, and resource the ARN it acts on.
func (s *Service) AuthorizeOperator(c Caller, action, resource string) error {
	return s.authorize(c, action, resource, nil)
}
