// Package muster is the domain of a self-hosted hub for security findings
// that speaks the AWS Security Hub API: accounts' hubs, findings in the AWS
// Security Finding Format (ASFF) and the store that keeps them. It knows
// nothing of HTTP or SQL; the adapters in the sub-packages depend on it.
package muster

import (
	"context"
	"time"

	"github.com/muster-hub/muster/asff"
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
	// ProcessedAt is when the hub last accepted a change to the finding.
	ProcessedAt time.Time
	// Customized records which attributes the customer has taken over
	// with BatchUpdateFindings (or, for Note, set with the legacy
	// UpdateFindings): it decides what a provider's re-import may change,
	// and nothing in Doc records it.
	Customized asff.Customized
}

// UpsertResult says what a write did with one finding.
type UpsertResult int

// The outcomes of a write.
const (
	Created UpsertResult = iota + 1
	Updated
	// Unchanged: the merge or update kept the stored finding as it was,
	// as for a stale import.
	Unchanged
	// NotFound: UpdateFindings found no finding under the key.
	NotFound
)

// Change is what a MergeFunc or UpdateFunc decides to write for one
// finding. The store writes all of it in one transaction, so a finding is
// never stored without its history record or its metering.
type Change struct {
	// Finding is the finding to store under its key.
	Finding *Finding
	// History is appended to the finding's history; nil records nothing,
	// as for the legacy UpdateFindings, which AWS leaves out of history.
	History *HistoryRecord
	// Meter counts the change as one finding ingested, in the usage of
	// the finding's account and product on the UTC day of its ProcessedAt:
	// what AWS bills as a finding ingestion event.
	Meter bool
	// Events go to the event outbox in the same transaction, so that
	// the event of every acknowledged change survives a crash.
	Events []*Event
	// Edit, when not nil, is Finding.Doc split into its members, with
	// the top-level members that may differ from the stored finding's:
	// what a change that sets a few members of the stored document knows
	// already (BatchUpdateFindings). A store fills its columns from it
	// instead of parsing the document again.
	Edit *asff.Edit
}

// MergeFunc decides what to store when a finding arrives. stored is the
// finding already held under the same key, or nil. It returns the change
// to write, or nil to keep the stored finding. It must not block, and must
// not modify stored or incoming.
//
// A store may call it more than once for the same incoming finding: for
// instance first against a finding it read ahead of its transaction, then
// again inside the transaction against the finding stored by then, when a
// concurrent write changed it. Only the last call's result counts: its
// Change is written, or its error returned. So a MergeFunc must decide
// from its arguments alone and have no side effects that a repeated call
// would get wrong (counting calls, appending to a list); a side effect
// keyed by the finding, overwritten by each call, is safe. Calls for one
// store call are never concurrent with each other, but they may run on
// different goroutines, one after the other.
type MergeFunc func(stored, incoming *Finding) (*Change, error)

// UpdateFunc decides how a stored finding changes. It returns the change
// to write, or nil to leave the finding as it is. The store writes a
// change only if the finding it was decided from is still the stored
// one, which is what makes a read-modify-write of one finding atomic
// against concurrent writers. Like a MergeFunc it may therefore be called
// more than once for a key, only the last call's result counts, and it
// must not block or have side effects that a repeated call would get
// wrong.
type UpdateFunc func(stored *Finding) (*Change, error)

// History update sources, as FindingHistoryUpdateSource.Type names them.
const (
	SourceImport = "BATCH_IMPORT_FINDINGS"
	SourceUpdate = "BATCH_UPDATE_FINDINGS"
)

// HistoryRecord is one change in a finding's history.
type HistoryRecord struct {
	// Seq orders a finding's records, later changes higher; the store
	// assigns it.
	Seq        int64
	UpdateTime time.Time
	// Created marks the record of the finding's creation.
	Created bool
	// SourceType is SourceImport or SourceUpdate; SourceIdentity is the
	// ProductArn of an import or the caller's ARN of an update.
	SourceType     string
	SourceIdentity string
	Updates        []asff.FieldUpdate
}

// HistoryQuery selects records of one finding's history, newest first.
type HistoryQuery struct {
	Region string
	Key    FindingKey
	// Start and End bound UpdateTime, both inclusive; zero is unbounded.
	Start, End time.Time
	// Before continues a listing with the records whose Seq is lower;
	// zero starts at the newest.
	Before int64
	Limit  int
}

// RetentionQuery selects findings that have aged out. A finding's
// retention clock is the later of its UpdatedAt and ProcessedAt; an
// ARCHIVED finding ages out when the clock is before ArchivedBefore, any
// other when it is before ActiveBefore.
type RetentionQuery struct {
	ActiveBefore, ArchivedBefore time.Time
	// Limit is the most findings one call deletes, so that a large
	// backlog goes in small transactions between other writes.
	Limit int
}

// Usage is the count of findings ingested for one account and product on
// one UTC day.
type Usage struct {
	Account, Region, ProductARN string
	Day                         time.Time
	Findings                    int64
}

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
	ProductStore
	EventStore
	RuleStore
	ActionStore

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
	// is called with the finding stored under the same key when the
	// transaction writes, and what it returns is written. A key given
	// twice is merged twice, the second call seeing the first's result.
	// Either all are written or none; a merge error fails the call. The
	// call returns once the transaction is durable. merge may be called
	// more than once per finding (see MergeFunc).
	UpsertFindings(ctx context.Context, findings []*Finding, merge MergeFunc) ([]UpsertResult, error)
	// UpdateFindings calls update with the stored finding of each key in
	// region and writes what it returns, all in one transaction, as if
	// nothing else wrote between reading the findings and writing them; a
	// key with no finding is NotFound and update is not called for it.
	// update may be called more than once per key (see UpdateFunc).
	UpdateFindings(ctx context.Context, region string, keys []FindingKey, update UpdateFunc) ([]UpsertResult, error)
	// FindingHistory returns records of one finding's history, newest
	// first. A finding that does not exist has none. A store may assume
	// that a finding's records do not go back in UpdateTime as their Seq
	// grows, and stop at the first record before q.Start.
	FindingHistory(ctx context.Context, q HistoryQuery) ([]*HistoryRecord, error)
	// DeleteExpired deletes up to q.Limit findings that have aged out,
	// with their history, and returns how many it deleted.
	DeleteExpired(ctx context.Context, q RetentionQuery) (int, error)
	// Usage returns the metered usage of the days from through to (UTC
	// days, both inclusive), ordered by day, account, region and product.
	Usage(ctx context.Context, from, to time.Time) ([]Usage, error)
	// QueryFindings returns the findings that q selects, in q's order.
	QueryFindings(ctx context.Context, q FindingQuery) ([]*Finding, error)
	// CountFindings returns how many findings are stored, for metrics.
	CountFindings(ctx context.Context) (int64, error)

	// CreateInsight stores a new custom insight in in.Scope, unless the
	// scope already holds max insights: then it fails with
	// LimitExceededException. Counting and storing are one transaction,
	// so concurrent calls cannot go past max. An ARN the scope already
	// holds fails with ResourceConflictException.
	CreateInsight(ctx context.Context, in *Insight, max int) error
	// GetInsight returns the custom insight arn of scope, or an error
	// with code ResourceNotFoundException.
	GetInsight(ctx context.Context, scope Scope, arn string) (*Insight, error)
	// ListInsights returns up to limit custom insights of scope in ARN
	// order, those after the ARN after ("" starts at the first).
	ListInsights(ctx context.Context, scope Scope, after string, limit int) ([]*Insight, error)
	// UpdateInsight replaces the stored insight of in.Scope and in.ARN,
	// or fails with ResourceNotFoundException.
	UpdateInsight(ctx context.Context, in *Insight) error
	// DeleteInsight removes the custom insight arn of scope, or fails
	// with ResourceNotFoundException.
	DeleteInsight(ctx context.Context, scope Scope, arn string) error
	// GroupFindings counts the findings q selects by the values of
	// q.GroupBy, under the rules of filter.Group: once per distinct value
	// of a finding, highest count first and then by value, at most
	// q.Limit values. An attribute that is not Groupable is an
	// InvalidInputException.
	GroupFindings(ctx context.Context, q GroupQuery) ([]GroupCount, error)

	Close() error
}
