package hub

import (
	"context"
	"crypto/sha256"
	"encoding/hex"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/asff"
)

// GetHistoryInput is the input of GetFindingHistory. The times are the
// RFC 3339 strings the request carries.
type GetHistoryInput struct {
	FindingIdentifier FindingIdentifier
	StartTime         string
	EndTime           string
	NextToken         string
	MaxResults        int
}

// HistoryUpdateSource is a history record's UpdateSource.
type HistoryUpdateSource struct {
	Type     string
	Identity string
}

// HistoryUpdate is one entry of a history record's Updates; an absent
// value is left out, as the model's NonEmptyString requires.
type HistoryUpdate struct {
	UpdatedField string
	OldValue     string `json:",omitempty"`
	NewValue     string `json:",omitempty"`
}

// HistoryRecord is one FindingHistoryRecord.
type HistoryRecord struct {
	FindingIdentifier FindingIdentifier
	UpdateTime        string
	FindingCreated    bool
	UpdateSource      HistoryUpdateSource
	Updates           []HistoryUpdate
}

// GetHistoryOutput is the output of GetFindingHistory.
type GetHistoryOutput struct {
	Records   []HistoryRecord
	NextToken string `json:",omitempty"`
}

// GetFindingHistory returns the changes to one of the caller's findings,
// newest first, within the time window the request gives: StartTime
// alone runs to now and EndTime alone from the finding's creation, as the
// API reference documents. A finding that does not exist, or has aged
// out, has no history.
func (s *Service) GetFindingHistory(ctx context.Context, c Caller, in GetHistoryInput) (*GetHistoryOutput, error) {
	if _, err := s.hub(ctx, c); err != nil {
		return nil, err
	}
	limit, err := pageSize(in.MaxResults)
	if err != nil {
		return nil, err
	}
	id := in.FindingIdentifier
	if id.Id == "" || id.ProductArn == "" {
		return nil, muster.Errorf(muster.InvalidInput, "FindingIdentifier needs an Id and a ProductArn")
	}
	q := muster.HistoryQuery{
		Region: c.Region,
		Key:    muster.FindingKey{Account: c.Account, ProductARN: id.ProductArn, ID: id.Id},
		Limit:  limit + 1,
	}
	if in.StartTime != "" {
		if q.Start, err = asff.ParseTime(in.StartTime); err != nil {
			return nil, muster.Errorf(muster.InvalidInput, "StartTime %q is not a valid timestamp", in.StartTime)
		}
	}
	if in.EndTime != "" {
		if q.End, err = asff.ParseTime(in.EndTime); err != nil {
			return nil, muster.Errorf(muster.InvalidInput, "EndTime %q is not a valid timestamp", in.EndTime)
		}
	}
	if !q.Start.IsZero() && !q.End.IsZero() && q.End.Before(q.Start) {
		return nil, muster.Errorf(muster.InvalidInput, "EndTime %s is before StartTime %s", in.EndTime, in.StartTime)
	}
	binding := historyBinding(in)
	if in.NextToken != "" {
		t, err := s.tokens.decode(in.NextToken)
		if err != nil {
			return nil, err
		}
		if t.Account != c.Account || t.Region != c.Region || t.Binding != binding || t.Seq == 0 {
			return nil, muster.Errorf(muster.InvalidInput, "The NextToken is not valid for this request: it was issued for another finding, time window, account or region")
		}
		q.Before = t.Seq
		if !q.Start.IsZero() && q.End.IsZero() {
			q.End = t.now()
		}
	} else if !q.Start.IsZero() && q.End.IsZero() {
		// "From StartTime to the time at which the API is called": the
		// first page's time holds for the pages after it.
		q.End = s.Now().UTC()
	}
	recs, err := s.store.FindingHistory(ctx, q)
	if err != nil {
		return nil, err
	}
	out := &GetHistoryOutput{Records: make([]HistoryRecord, 0, min(len(recs), limit))}
	for i, r := range recs {
		if i == limit {
			end := q.End
			if end.IsZero() {
				end = s.Now().UTC()
			}
			out.NextToken, err = s.tokens.encode(token{
				Account: c.Account, Region: c.Region, Binding: binding,
				NowMS: end.UnixMilli(), Seq: recs[limit-1].Seq,
			})
			if err != nil {
				return nil, err
			}
			break
		}
		rec := HistoryRecord{
			FindingIdentifier: id,
			UpdateTime:        asff.FormatTime(r.UpdateTime),
			FindingCreated:    r.Created,
			UpdateSource:      HistoryUpdateSource{Type: r.SourceType, Identity: r.SourceIdentity},
			Updates:           make([]HistoryUpdate, len(r.Updates)),
		}
		for j, u := range r.Updates {
			rec.Updates[j] = HistoryUpdate{UpdatedField: u.Field, OldValue: u.Old, NewValue: u.New}
		}
		out.Records = append(out.Records, rec)
	}
	return out, nil
}

// historyBinding is a digest of what a GetFindingHistory NextToken must be
// used with.
func historyBinding(in GetHistoryInput) string {
	h := sha256.New()
	for _, s := range []string{"history", in.FindingIdentifier.ProductArn, in.FindingIdentifier.Id, in.StartTime, in.EndTime} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}
