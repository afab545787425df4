// Package hub is Muster's service layer: the Security Hub operations,
// expressed over the domain (findings, filters, the Store) and free of HTTP.
// The HTTP adapter decodes a request, calls one method here with the
// authenticated Caller, and encodes what it returns.
package hub

import (
	"context"
	"maps"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/iam"
)

// Caller is the authenticated principal of a request.
type Caller struct {
	// Account is the caller's 12-digit account id.
	Account string
	// ARN is the principal's ARN, as AWS names it in AccessDenied messages.
	ARN string
	// Region is the region of the request: the one its signature is
	// scoped to.
	Region string
	// Principal is the caller as IAM policies name it.
	Principal iam.Principal
	// Policies are the caller's identity policies: a user's, or the
	// assumed role's.
	Policies []*iam.Policy
	// SessionPolicies narrow an assumed-role session to what both they
	// and the role's policies allow (AssumeRole's Policy).
	SessionPolicies []*iam.Policy
	// Unrestricted callers pass every authorization check. Open mode's
	// callers are: it exists to try clients out without writing
	// policies.
	Unrestricted bool
	// SourceIP and Secure feed the aws:SourceIp and aws:SecureTransport
	// condition keys.
	SourceIP string
	Secure   bool
}

// Scope is the hub scope the caller acts in.
func (c Caller) Scope() muster.Scope { return muster.Scope{Account: c.Account, Region: c.Region} }

// Service implements the Security Hub operations on a Store.
type Service struct {
	store   muster.Store
	catalog catalog
	tokens  tokenCodec
	// Now is the service's clock: ProcessedAt, history and retention read
	// it. Tests and operators (muster serve --clock-offset) move it.
	Now func() time.Time
	// Retention is how long findings live; DefaultRetention unless set.
	Retention Retention
	// Observer hears of ingested and expired findings.
	Observer Observer
	// Events receives word of the events the hub writes; by default
	// nobody wants any and none are written.
	Events EventSink
}

// New returns a Service over store. tokenKey signs pagination tokens, so
// it must stay the same across restarts for tokens to survive them.
func New(store muster.Store, tokenKey []byte) *Service {
	return &Service{store: store, tokens: tokenCodec{key: tokenKey}, Now: time.Now, Retention: DefaultRetention, Observer: nopObserver{}, Events: noEvents{}}
}

// EnableInput is the input of EnableSecurityHub.
type EnableInput struct {
	Tags                    map[string]string
	EnableDefaultStandards  *bool
	ControlFindingGenerator string
}

// EnableSecurityHub creates the caller's hub in the request's region.
func (s *Service) EnableSecurityHub(ctx context.Context, c Caller, in EnableInput) error {
	gen := in.ControlFindingGenerator
	if gen == "" {
		// Hubs enabled since 2023-02-23 get consolidated control findings.
		gen = "SECURITY_CONTROL"
	}
	h := &muster.Hub{
		Scope:                   c.Scope(),
		SubscribedAt:            s.Now().UTC(),
		AutoEnableControls:      true,
		ControlFindingGenerator: gen,
		Tags:                    maps.Clone(in.Tags),
	}
	if err := s.store.CreateHub(ctx, h); err != nil {
		return err
	}
	return s.subscribeAWSIntegrations(ctx, c.Scope())
}

// subscribeAWSIntegrations subscribes a new hub to AWS's own integrations,
// which AWS enables with Security Hub: ListEnabledProductsForImport lists
// them (product-subscription/aws/guardduty, ...) from the start.
func (s *Service) subscribeAWSIntegrations(ctx context.Context, scope muster.Scope) error {
	for _, p := range builtinProducts {
		if p.CompanyID != "aws" {
			continue
		}
		if _, err := s.subscribe(ctx, scope, p); err != nil && muster.ErrorCode(err) != muster.ResourceConflict {
			return err
		}
	}
	return nil
}

// DisableSecurityHub removes the caller's hub; its findings stay until they
// age out, as on AWS.
func (s *Service) DisableSecurityHub(ctx context.Context, c Caller) error {
	if _, err := s.store.GetHub(ctx, c.Scope()); err != nil {
		return err
	}
	return s.store.DeleteHub(ctx, c.Scope())
}

// DescribeHubOutput is the output of DescribeHub.
type DescribeHubOutput struct {
	HubArn                  string
	SubscribedAt            string
	AutoEnableControls      bool
	ControlFindingGenerator string
}

// DescribeHub returns the caller's hub. hubARN, when given, must name it.
func (s *Service) DescribeHub(ctx context.Context, c Caller, hubARN string) (*DescribeHubOutput, error) {
	h, err := s.hub(ctx, c)
	if err != nil {
		return nil, err
	}
	if hubARN != "" && hubARN != h.HubARN() {
		return nil, muster.Errorf(muster.InvalidInput, "Invalid HubArn %s: it is not the hub of account %s in %s", hubARN, c.Account, c.Region)
	}
	return &DescribeHubOutput{
		HubArn:                  h.HubARN(),
		SubscribedAt:            h.SubscribedAt.UTC().Format("2006-01-02T15:04:05.000Z"),
		AutoEnableControls:      h.AutoEnableControls,
		ControlFindingGenerator: h.ControlFindingGenerator,
	}, nil
}

// UpdateHubInput is the input of UpdateSecurityHubConfiguration.
type UpdateHubInput struct {
	AutoEnableControls      *bool
	ControlFindingGenerator string
}

// UpdateSecurityHubConfiguration changes the caller's hub settings.
func (s *Service) UpdateSecurityHubConfiguration(ctx context.Context, c Caller, in UpdateHubInput) error {
	h, err := s.hub(ctx, c)
	if err != nil {
		return err
	}
	if in.AutoEnableControls != nil {
		h.AutoEnableControls = *in.AutoEnableControls
	}
	if in.ControlFindingGenerator != "" {
		h.ControlFindingGenerator = in.ControlFindingGenerator
	}
	return s.store.UpdateHub(ctx, h)
}

// maxTags is the most tags a resource may carry (TagMap's limit).
const maxTags = 50

// TagResource adds tags to a resource of the caller.
func (s *Service) TagResource(ctx context.Context, c Caller, arn string, tags map[string]string) error {
	h, err := s.taggable(ctx, c, arn)
	if err != nil {
		return err
	}
	merged := maps.Clone(h.Tags)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, tags)
	if len(merged) > maxTags {
		return muster.Errorf(muster.InvalidInput, "Resource %s would have %d tags; the limit is %d", arn, len(merged), maxTags)
	}
	h.Tags = merged
	return s.store.UpdateHub(ctx, h)
}

// UntagResource removes tags from a resource of the caller.
func (s *Service) UntagResource(ctx context.Context, c Caller, arn string, keys []string) error {
	h, err := s.taggable(ctx, c, arn)
	if err != nil {
		return err
	}
	for _, k := range keys {
		delete(h.Tags, k)
	}
	return s.store.UpdateHub(ctx, h)
}

// ListTagsForResource returns the tags of a resource of the caller.
func (s *Service) ListTagsForResource(ctx context.Context, c Caller, arn string) (map[string]string, error) {
	h, err := s.taggable(ctx, c, arn)
	if err != nil {
		return nil, err
	}
	if h.Tags == nil {
		return map[string]string{}, nil
	}
	return h.Tags, nil
}

// taggable returns the hub that arn names. The hub is the only taggable
// resource built so far; automation rules and configuration policies join
// it when they are.
func (s *Service) taggable(ctx context.Context, c Caller, arn string) (*muster.Hub, error) {
	h, err := s.hub(ctx, c)
	if err != nil {
		return nil, err
	}
	if arn != h.HubARN() {
		return nil, muster.Errorf(muster.ResourceNotFound, "Resource %s not found", arn)
	}
	return h, nil
}

// hub returns the caller's hub, or InvalidAccessException when the caller
// has not enabled Security Hub in the region.
func (s *Service) hub(ctx context.Context, c Caller) (*muster.Hub, error) {
	return s.store.GetHub(ctx, c.Scope())
}
