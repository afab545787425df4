package hub

import (
	"context"
	"errors"
	"time"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/asff"
	"github.com/muster-hub/muster/filter"
)

// Observer hears of the service's work, for metrics. Its methods are
// called after the work is durable and must not block.
type Observer interface {
	// FindingsIngested reports n findings of a product written into
	// account by BatchImportFindings: the metered ingestion events.
	FindingsIngested(account, productARN string, n int)
	// FindingsExpired reports n findings deleted by the retention job.
	FindingsExpired(n int)
}

type nopObserver struct{}

func (nopObserver) FindingsIngested(string, string, int) {}
func (nopObserver) FindingsExpired(int)                  {}

// Retention is how long findings live after their last update, as AWS
// documents it: 90 days for active findings, 30 for archived ones.
type Retention struct {
	Active, Archived time.Duration
}

// DefaultRetention is AWS's retention.
var DefaultRetention = Retention{Active: 90 * 24 * time.Hour, Archived: 30 * 24 * time.Hour}

// MergeImport is the MergeFunc of BatchImportFindings: a new key is stored
// as it came, an existing one through asff.Merge's ownership rules, and a
// stale update is dropped (AWS counts it as a success but keeps the newer
// finding, so it is neither metered nor recorded). Every write records its
// history, with the ProductArn as the source's identity, and is metered.
// It is exported so that the stores' benchmarks measure this merge rather
// than a copy of it.
func MergeImport(stored, incoming *muster.Finding) (*muster.Change, error) {
	rec := &muster.HistoryRecord{
		UpdateTime:     incoming.ProcessedAt,
		SourceType:     muster.SourceImport,
		SourceIdentity: incoming.ProductARN,
	}
	if stored == nil {
		rec.Created = true
		return &muster.Change{Finding: incoming, History: rec, Meter: true}, nil
	}
	m, err := asff.Merge(stored.Doc, incoming.Doc, stored.Customized)
	if errors.Is(err, asff.ErrStale) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	rec.Updates = m.Updates
	f := *incoming
	f.Doc, f.Customized = m.Doc, m.Customized
	return &muster.Change{Finding: &f, History: rec, Meter: true}, nil
}

// FindingIdentifier names a finding to a customer: its Id and ProductArn
// within the caller's account.
type FindingIdentifier struct {
	Id         string
	ProductArn string
}

// BatchUpdateInput is the input of BatchUpdateFindings.
type BatchUpdateInput struct {
	FindingIdentifiers []FindingIdentifier
	asff.BatchUpdate   `json:",inline"`
}

// UnprocessedFinding is one entry of BatchUpdateFindings'
// UnprocessedFindings.
type UnprocessedFinding struct {
	FindingIdentifier FindingIdentifier
	ErrorCode         string
	ErrorMessage      string
}

// BatchUpdateOutput is the output of BatchUpdateFindings.
type BatchUpdateOutput struct {
	ProcessedFindings   []FindingIdentifier
	UnprocessedFindings []UnprocessedFinding
}

// MaxUpdateFindings is the most findings one BatchUpdateFindings call
// names, as the API reference documents.
const MaxUpdateFindings = 100

// The ErrorCode and ErrorMessage pairs of UnprocessedFindings, as the API
// reference lists them.
const (
	failDuplicate    = "DuplicatedFindingIdentifier"
	msgDuplicate     = "Finding Identifier is duplicated"
	failNotFound     = "FindingNotFound"
	msgNotFound      = "Finding Not Found"
	failSizeExceeded = "FindingSizeExceeded"
	msgSizeExceeded  = "Finding size exceeded 240 KB"
)

// BatchUpdateFindings applies a customer's triage to each finding named,
// on its own: a finding that is missing, named twice or would become
// invalid is reported in UnprocessedFindings and the others are updated.
// Each update is atomic, leaves UpdatedAt to the provider, takes over the
// provider-mirrored attributes it sets, and is recorded in the finding's
// history with the caller as its source.
func (s *Service) BatchUpdateFindings(ctx context.Context, c Caller, in BatchUpdateInput) (*BatchUpdateOutput, error) {
	if len(in.FindingIdentifiers) == 0 {
		return nil, muster.Errorf(muster.InvalidInput, "FindingIdentifiers must name at least 1 finding")
	}
	if len(in.FindingIdentifiers) > MaxUpdateFindings {
		return nil, muster.Errorf(muster.InvalidInput, "FindingIdentifiers must name at most %d findings; the request names %d", MaxUpdateFindings, len(in.FindingIdentifiers))
	}
	if sev := in.Severity; sev != nil && sev.Label == nil && sev.Normalized == nil && sev.Product == nil {
		return nil, muster.Errorf(muster.InvalidInput, "Severity must give a Label, Normalized or Product")
	}
	if in.Workflow != nil && in.Workflow.Status == "" {
		return nil, muster.Errorf(muster.InvalidInput, "Workflow must give a Status")
	}
	if _, err := s.hub(ctx, c); err != nil {
		return nil, err
	}
	out := &BatchUpdateOutput{ProcessedFindings: []FindingIdentifier{}, UnprocessedFindings: []UnprocessedFinding{}}
	count := map[FindingIdentifier]int{}
	for _, id := range in.FindingIdentifiers {
		count[id]++
	}
	var keys []muster.FindingKey
	var ids []FindingIdentifier
	for _, id := range in.FindingIdentifiers {
		if count[id] > 1 {
			// Every copy is refused: a client that repeats an identifier
			// has a bug, and applying one copy would hide it.
			out.UnprocessedFindings = append(out.UnprocessedFindings, UnprocessedFinding{id, failDuplicate, msgDuplicate})
			continue
		}
		keys = append(keys, muster.FindingKey{Account: c.Account, ProductARN: id.ProductArn, ID: id.Id})
		ids = append(ids, id)
	}
	if len(keys) == 0 {
		return out, nil
	}
	now := s.Now().UTC()
	failed := map[muster.FindingKey]UnprocessedFinding{}
	update := func(stored *muster.Finding) (*muster.Change, error) {
		// The store may call update more than once for a finding; the
		// last call decides what is written, and so what is reported.
		delete(failed, stored.FindingKey)
		id := FindingIdentifier{Id: stored.ID, ProductArn: stored.ProductARN}
		a, err := in.BatchUpdate.Apply(stored.Doc, stored.Customized, now)
		if err != nil {
			failed[stored.FindingKey] = UnprocessedFinding{id, failInvalidInput, "Invalid Input: " + err.Error()}
			return nil, nil
		}
		if len(a.Doc) > asff.MaxFindingSize {
			failed[stored.FindingKey] = UnprocessedFinding{id, failSizeExceeded, msgSizeExceeded}
			return nil, nil
		}
		// The stored finding passed Check; Apply's Check looks at what
		// the update set, a fifth of the cost of checking it all.
		if err := a.Check(); err != nil {
			failed[stored.FindingKey] = UnprocessedFinding{id, failInvalidInput, "Invalid Input: " + err.Error()}
			return nil, nil
		}
		if len(a.Updates) == 0 && a.Customized == stored.Customized {
			return nil, nil
		}
		f := *stored
		f.Doc, f.Customized, f.ProcessedAt = a.Doc, a.Customized, now
		return &muster.Change{Finding: &f, Edit: a.Edit(), History: &muster.HistoryRecord{
			UpdateTime:     now,
			SourceType:     muster.SourceUpdate,
			SourceIdentity: c.ARN,
			Updates:        a.Updates,
		}}, nil
	}
	results, err := s.store.UpdateFindings(ctx, c.Region, keys, s.updateWithEvent(update))
	if err != nil {
		return nil, err
	}
	s.Events.Notify()
	for i, r := range results {
		switch {
		case r == muster.NotFound:
			out.UnprocessedFindings = append(out.UnprocessedFindings, UnprocessedFinding{ids[i], failNotFound, msgNotFound})
		case failed[keys[i]] != (UnprocessedFinding{}):
			out.UnprocessedFindings = append(out.UnprocessedFindings, failed[keys[i]])
		default:
			out.ProcessedFindings = append(out.ProcessedFindings, ids[i])
		}
	}
	return out, nil
}

// UpdateFindingsInput is the input of the deprecated UpdateFindings.
type UpdateFindingsInput struct {
	Filters     jsontext.Value
	Note        *asff.NoteUpdate
	RecordState string
}

// updatePage is how many findings UpdateFindings reads and updates at a
// time, so that a filter matching millions of findings holds neither them
// all in memory nor the writer for long.
const updatePage = 100

// UpdateFindings is the deprecated filter-based update of Note and
// RecordState. As AWS documents, it is not recorded in history and a Note
// it sets lasts only until the provider's next import.
func (s *Service) UpdateFindings(ctx context.Context, c Caller, in UpdateFindingsInput) error {
	if in.Note == nil && in.RecordState == "" {
		return muster.Errorf(muster.InvalidInput, "UpdateFindings needs a Note or a RecordState to set")
	}
	if _, err := s.hub(ctx, c); err != nil {
		return err
	}
	now := s.Now().UTC()
	filters := &filter.Filters{}
	if len(in.Filters) > 0 {
		f, err := filter.Parse(in.Filters, now)
		if err != nil {
			return err
		}
		filters = f
	}
	sorts := filter.DefaultSort()
	update := func(stored *muster.Finding) (*muster.Change, error) {
		// The finding may have changed since the query read it; it is
		// updated only if it still matches.
		fields, err := asff.Fields(stored.Doc)
		if err != nil {
			return nil, err
		}
		if !filters.Match(fields) {
			return nil, nil
		}
		doc, custom, err := asff.ApplyLegacy(stored.Doc, stored.Customized, in.Note, in.RecordState, now)
		if err != nil {
			return nil, err
		}
		f := *stored
		f.Doc, f.Customized = doc, custom
		return &muster.Change{Finding: &f}, nil
	}
	var after *filter.Cursor
	for {
		// The update changes neither UpdatedAt nor the key, so the
		// keyset cursor of the default sort stays valid across pages.
		page, err := s.store.QueryFindings(ctx, muster.FindingQuery{
			Region: c.Region, Accounts: []string{c.Account},
			Filter: filters, Sort: sorts, After: after, Limit: updatePage,
		})
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		keys := make([]muster.FindingKey, len(page))
		for i, f := range page {
			keys[i] = f.FindingKey
		}
		if _, err := s.store.UpdateFindings(ctx, c.Region, keys, s.updateWithEvent(update)); err != nil {
			return err
		}
		s.Events.Notify()
		if len(page) < updatePage {
			return nil
		}
		if after, err = cursorAfter(sorts, page[len(page)-1]); err != nil {
			return err
		}
	}
}

// expireBatch is how many findings one retention transaction deletes:
// small enough that imports queued behind it wait milliseconds.
const expireBatch = 500

// ExpireFindings deletes the findings that have aged out, in small
// batches, and returns how many it deleted. The retention job calls it
// periodically.
func (s *Service) ExpireFindings(ctx context.Context) (int, error) {
	now := s.Now().UTC()
	q := muster.RetentionQuery{
		ActiveBefore:   now.Add(-s.Retention.Active),
		ArchivedBefore: now.Add(-s.Retention.Archived),
		Limit:          expireBatch,
	}
	total := 0
	for {
		n, err := s.store.DeleteExpired(ctx, q)
		total += n
		if n > 0 {
			s.Observer.FindingsExpired(n)
		}
		if err != nil || n < q.Limit {
			return total, err
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}
