package muster

import (
	"context"
	"encoding/json"
	"strings"
	"time"
)

// Import policy types: how a subscribed product may send findings. They
// name the managed resource policy a subscription carries.
const (
	// FromProductAccount lets the product send findings for its
	// customers from its own home account.
	FromProductAccount = "BATCH_IMPORT_FINDINGS_FROM_PRODUCT_ACCOUNT"
	// FromCustomerAccount lets the product send findings from inside
	// the customer's account (a customer-hosted tool, or a partner
	// through a cross-account role).
	FromCustomerAccount = "BATCH_IMPORT_FINDINGS_FROM_CUSTOMER_ACCOUNT"
)

// Integration types a product declares.
const (
	SendFindings    = "SEND_FINDINGS_TO_SECURITY_HUB"
	ReceiveFindings = "RECEIVE_FINDINGS_FROM_SECURITY_HUB"
	UpdateFindings  = "UPDATE_FINDINGS_IN_SECURITY_HUB"
)

// Product is an entry of the product catalog: what a product integration
// manifest registers. A product exists in every region the server
// serves; its ARN differs only in the region.
type Product struct {
	CompanyID   string
	CompanyName string
	ProductID   string
	ProductName string
	Description string
	Categories  []string
	// HomeAccount is the account the product sends from and whose id
	// its ARN carries. It is empty for AWS's own integrations and for
	// the open-source tools whose code sends an ARN without one.
	HomeAccount      string
	IntegrationTypes []string
	// ImportPolicies are the import policy types a subscription to the
	// product carries (FromProductAccount, FromCustomerAccount).
	ImportPolicies []string
	MarketplaceURL string
	ActivationURL  string
	// DefaultInsights are the insights the manifest proposes to
	// subscribed accounts, as CreateInsight inputs in JSON.
	DefaultInsights []json.RawMessage
	// Builtin marks the catalog entries Muster ships with, which cannot
	// be registered over.
	Builtin bool
}

// ARN returns the product's ARN in region.
func (p *Product) ARN(region string) string {
	return "arn:aws:securityhub:" + region + ":" + p.HomeAccount + ":product/" + p.CompanyID + "/" + p.ProductID
}

// Allows reports whether the product may import under policy type t.
func (p *Product) Allows(t string) bool {
	for _, x := range p.ImportPolicies {
		if x == t {
			return true
		}
	}
	return false
}

// DefaultProductID is the product id of every account's private product,
// arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default.
const DefaultProductID = "default"

// Subscription is an account's consent, in one region, to take findings
// from a product: what EnableImportFindingsForProduct creates.
type Subscription struct {
	Scope
	CompanyID string
	ProductID string
	// ProductARN is the product's ARN in the subscription's region.
	ProductARN string
	// Policy is the managed resource policy the customer consented to,
	// as DescribeProducts shows it.
	Policy string
	// ImportPolicies are the import policy types the policy grants.
	ImportPolicies []string
	CreatedAt      time.Time
}

// ARN returns the subscription's ARN, a resource of the customer.
func (s *Subscription) ARN() string {
	return SubscriptionARN(s.Scope, s.CompanyID, s.ProductID)
}

// Allows reports whether the subscription grants import policy type t.
func (s *Subscription) Allows(t string) bool {
	for _, x := range s.ImportPolicies {
		if x == t {
			return true
		}
	}
	return false
}

// SubscriptionARN returns the ARN of scope's subscription to a product.
func SubscriptionARN(scope Scope, company, product string) string {
	return "arn:aws:securityhub:" + scope.Region + ":" + scope.Account + ":product-subscription/" + company + "/" + product
}

// ProductStore keeps the registered part of the product catalog and the
// accounts' subscriptions. Every Store is one.
type ProductStore interface {
	// PutProduct registers p, replacing a registration of the same
	// company and product id.
	PutProduct(ctx context.Context, p *Product) error
	// Products returns the registered products ordered by company and
	// product id.
	Products(ctx context.Context) ([]*Product, error)
	// CreateSubscription stores s, or fails with ResourceConflictException
	// when s.Scope already subscribes to the product.
	CreateSubscription(ctx context.Context, s *Subscription) error
	// DeleteSubscription removes scope's subscription to a product, or
	// fails with ResourceNotFoundException.
	DeleteSubscription(ctx context.Context, scope Scope, company, product string) error
	// Subscriptions returns scope's subscriptions ordered by company and
	// product id.
	Subscriptions(ctx context.Context, scope Scope) ([]*Subscription, error)
	// Subscription returns scope's subscription to a product, or nil
	// when there is none.
	Subscription(ctx context.Context, scope Scope, company, product string) (*Subscription, error)
}

// Validate checks a manifest's product as the partner guide's manifest
// rules do, so that a bad registration is refused with the field and the
// rule rather than accepted and misbehaving later.
func (p *Product) Validate() error {
	bad := func(format string, args ...any) error { return Errorf(InvalidInput, format, args...) }
	for _, f := range []struct{ name, v string }{{"company id", p.CompanyID}, {"product id", p.ProductID}} {
		if !manifestID(f.v) {
			return bad("%s %q must be 5 to 24 lowercase letters, digits and dashes, starting with a letter and ending with a letter or digit", f.name, f.v)
		}
	}
	if p.CompanyName == "" || p.ProductName == "" {
		return bad("company name and product name are required")
	}
	if len(p.HomeAccount) != 12 || strings.Trim(p.HomeAccount, "0123456789") != "" {
		return bad("home account %q must be exactly 12 digits", p.HomeAccount)
	}
	if len(p.IntegrationTypes) == 0 {
		return bad("integration types: at least one of %s, %s, %s is required", SendFindings, ReceiveFindings, UpdateFindings)
	}
	for _, t := range p.IntegrationTypes {
		if t != SendFindings && t != ReceiveFindings && t != UpdateFindings {
			return bad("integration type %q is not one of %s, %s, %s", t, SendFindings, ReceiveFindings, UpdateFindings)
		}
	}
	for _, t := range p.ImportPolicies {
		if t != FromProductAccount && t != FromCustomerAccount {
			return bad("import policy %q is not one of %s, %s", t, FromProductAccount, FromCustomerAccount)
		}
	}
	return nil
}

func manifestID(s string) bool {
	if len(s) < 5 || len(s) > 24 || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
