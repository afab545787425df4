// Package muster is the domain of a self-hosted hub for security findings
// that speaks the AWS Security Hub API: accounts' hubs, findings in the AWS
// Security Finding Format (ASFF) and the store that keeps them. It knows
// nothing of HTTP or SQL; the adapters in the sub-packages depend on it.
package muster

import (
	"context"
	"time"

	"github.com/muster-hub/muster/filter"
)

// Scope is where a hub and its findings live: one account in one region.
// Data never crosses scopes except through an administrator's view.
type Scope struct {
	Account string
	Region  string
}

// HubARN returns the ARN of the scope's hub.
func (s Scope) HubARN() string {
	return "arn:aws:securityhub:" + s.Region + ":" + s.Account + ":hub/default"
}

// Hub is an account's Security Hub in one region.
type Hub struct {
	Scope
	SubscribedAt            time.Time
	AutoEnableControls      bool
	ControlFindingGenerator string
	Tags                    map[string]string
}

// FindingKey identifies a finding within its region: AWS keys findings by
// ProductArn and Id, and Muster keeps accounts apart as well.
type FindingKey struct {
	Account    string
	ProductARN string
	ID         string
}

// Finding is one stored ASFF finding. Doc is the JSON document exactly as
// GetFindings returns it; the other fields are read from it when it is
// stored and exist so that stores need not parse Doc to index it.
type Finding struct {
	Region string
	FindingKey
	Doc []byte
	// ProcessedAt is when the hub last accepted an import of the finding.
	ProcessedAt time.Time
}

// UpsertResult says what an upsert did with one finding.
type UpsertResult int

// The outcomes of an upsert.
const (
	Created UpsertResult = iota + 1
	Updated
	Unchanged // a stale import: the stored finding is as new or newer
)

// MergeFunc decides what to store when a finding arrives. stored is the
// finding already held under the same key, or nil. It returns the finding
// to store, or nil to keep the stored one. It runs inside the store's
// transaction, so it must not block.
type MergeFunc func(stored, incoming *Finding) (*Finding, error)

// FindingQuery selects findings for GetFindings.
type FindingQuery struct {
	Region   string
	Accounts []string
	Filter   *filter.Filters
	Sort     []filter.Sort
	// After continues a listing after the finding whose sort values and key
	// it holds; nil starts at the beginning.
	After *filter.Cursor
	// Limit is the most findings to return.
	Limit int
}

// Store keeps hubs and findings. Every implementation must pass the
// contract tests in package storetest.
type Store interface {
	// GetHub returns the hub of scope, or an error with code
	// InvalidAccessException when there is none.
	GetHub(ctx context.Context, scope Scope) (*Hub, error)
	// CreateHub stores a new hub, or fails with ResourceConflictException
	// when the scope has one.
	CreateHub(ctx context.Context, hub *Hub) error
	// UpdateHub replaces the stored hub of hub.Scope.
	UpdateHub(ctx context.Context, hub *Hub) error
	// DeleteHub removes the hub of scope; its findings stay until they age
	// out, as on AWS.
	DeleteHub(ctx context.Context, scope Scope) error

	// UpsertFindings stores findings in one transaction: for each, merge
	// is called with the stored finding of the same key, and what it returns
	// is written. Either all are written or none. The call returns once the
	// transaction is durable.
	UpsertFindings(ctx context.Context, findings []*Finding, merge MergeFunc) ([]UpsertResult, error)
	// QueryFindings returns the findings that q selects, in q's order.
	QueryFindings(ctx context.Context, q FindingQuery) ([]*Finding, error)
	// CountFindings returns how many findings are stored, for metrics.
	CountFindings(ctx context.Context) (int64, error)

	Close() error
}
