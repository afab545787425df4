package hub

import (
	"context"

	"github.com/muster-hub/muster"
)

// Authorizer decides whether a caller may act on a resource. It is the one
// place authorization is decided, so that the partners work can replace the
// foundation's simple rule with products, subscriptions and IAM policies.
type Authorizer interface {
	// AuthorizeImport decides whether c may import findings of productARN
	// into account. A denial is an AccessDeniedException that fails the
	// whole BatchImportFindings request, as on AWS.
	AuthorizeImport(ctx context.Context, c Caller, productARN, account string) error
}

// OpenAuthorizer allows every import: open mode, for local testing with
// any credentials.
type OpenAuthorizer struct{}

// AuthorizeImport allows everything.
func (OpenAuthorizer) AuthorizeImport(context.Context, Caller, string, string) error { return nil }

// AccountAuthorizer allows a caller to import findings into its own account
// only.
type AccountAuthorizer struct{}

// AuthorizeImport allows imports where the finding's account is the
// caller's.
func (AccountAuthorizer) AuthorizeImport(_ context.Context, c Caller, productARN, account string) error {
	if account == c.Account {
		return nil
	}
	return muster.Errorf(muster.AccessDenied, "User: %s is not authorized to perform: securityhub:BatchImportFindings on resource: %s", c.ARN, productARN)
}
