package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/asff"
	"github.com/muster-hub/muster/filter"
)

// The contract of the finding lifecycle: UpdateFindings, history,
// retention and metering.

// at returns f processed at t.
func at(f *muster.Finding, t time.Time) *muster.Finding {
	f.ProcessedAt = t
	return f
}

func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// importing is the import rule of the service in miniature: newer wins,
// every write is recorded (with the Title's change) and metered, unless
// the document says NoMeter; a document with Bad fails the merge.
func importing(stored, in *muster.Finding) (*muster.Change, error) {
	fields := Fields(in)
	if bad, _ := fields["Bad"].(bool); bad {
		return nil, errMerge
	}
	rec := &muster.HistoryRecord{UpdateTime: in.ProcessedAt, SourceType: muster.SourceImport, SourceIdentity: in.ProductARN}
	out := in
	if stored == nil {
		rec.Created = true
	} else {
		old := Fields(stored)
		s, _ := old["UpdatedAt"].(string)
		n, _ := fields["UpdatedAt"].(string)
		if n <= s {
			return nil, nil
		}
		if ot, nt := fmt.Sprint(old["Title"]), fmt.Sprint(fields["Title"]); ot != nt {
			rec.Updates = []asff.FieldUpdate{{Field: "Title", Old: ot, New: nt}}
		}
		// Customer-owned state survives a re-import.
		c := *in
		c.Customized = stored.Customized
		out = &c
	}
	noMeter, _ := fields["NoMeter"].(bool)
	return &muster.Change{Finding: out, History: rec, Meter: !noMeter}, nil
}

func upsert(t *testing.T, s muster.Store, merge muster.MergeFunc, fs ...*muster.Finding) []muster.UpsertResult {
	t.Helper()
	res, err := s.UpsertFindings(context.Background(), fs, merge)
	if err != nil {
		t.Fatalf("UpsertFindings: %v", err)
	}
	return res
}

// edit returns an UpdateFunc that applies change to the document, stamps
// the finding processed at when and records the update as by caller.
func edit(when time.Time, custom asff.Customized, change func(d filter.Doc)) muster.UpdateFunc {
	return func(stored *muster.Finding) (*muster.Change, error) {
		d := Fields(stored)
		old := fmt.Sprint(d["Title"])
		change(d)
		f := NewFinding(stored.Region, d)
		f.ProcessedAt = when
		f.Customized = stored.Customized | custom
		var ups []asff.FieldUpdate
		if nt := fmt.Sprint(d["Title"]); nt != old {
			ups = []asff.FieldUpdate{{Field: "Title", Old: old, New: nt}}
		}
		return &muster.Change{Finding: f, History: &muster.HistoryRecord{
			UpdateTime: when, SourceType: muster.SourceUpdate, SourceIdentity: "arn:aws:iam::111111111111:user/alice", Updates: ups,
		}}, nil
	}
}

func one(t *testing.T, s muster.Store, rgn string, k muster.FindingKey) *muster.Finding {
	t.Helper()
	flt := &filter.Filters{Conds: []filter.Condition{{Field: filter.LookupField("Id"), Strings: []filter.StringCond{{Op: filter.Equals, Value: k.ID}}}}}
	for _, f := range query(t, s, muster.FindingQuery{Region: rgn, Accounts: []string{k.Account}, Filter: flt}) {
		if f.FindingKey == k {
			return f
		}
	}
	return nil
}

func testUpdate(t *testing.T, s muster.Store) {
	ctx := context.Background()
	const acct = "111111111111"
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	a := at(NewFinding(region, simpleDoc(acct, "a", stamp(t0), map[string]any{"Count": 0.0})), t0)
	b := at(NewFinding(region, simpleDoc(acct, "b", stamp(t0), map[string]any{"Count": 0.0})), t0)
	upsert(t, s, importing, a, b)

	// NotFound: an unknown Id, an account without findings, another region.
	calls := 0
	unchanged := func(stored *muster.Finding) (*muster.Change, error) {
		calls++
		if stored.Region != region || stored.FindingKey != a.FindingKey || string(stored.Doc) != string(a.Doc) || !stored.ProcessedAt.Equal(t0) {
			return nil, fmt.Errorf("stored finding incomplete: %+v", stored)
		}
		return nil, nil
	}
	keys := []muster.FindingKey{
		{Account: acct, ProductARN: a.ProductARN, ID: "missing"},
		{Account: "999999999999", ProductARN: a.ProductARN, ID: "a"},
		{Account: acct, ProductARN: "arn:aws:securityhub:us-east-1::product/aws/other", ID: "a"},
		a.FindingKey,
	}
	res, err := s.UpdateFindings(ctx, region, keys, unchanged)
	if err != nil {
		t.Fatalf("UpdateFindings: %v", err)
	}
	if want := []muster.UpsertResult{muster.NotFound, muster.NotFound, muster.NotFound, muster.Unchanged}; !slices.Equal(res, want) {
		t.Fatalf("results: got %v, want %v", res, want)
	}
	// unchanged fails for any key but a's; a store may call it more than
	// once for a (see muster.UpdateFunc).
	if calls == 0 {
		t.Errorf("update not called for the stored finding")
	}
	if res, err := s.UpdateFindings(ctx, "eu-west-1", []muster.FindingKey{a.FindingKey}, unchanged); err != nil || !slices.Equal(res, []muster.UpsertResult{muster.NotFound}) {
		t.Fatalf("UpdateFindings in another region: %v, %v; want NotFound", res, err)
	}

	// Updated: the document, its columns and attributes, ProcessedAt and
	// Customized all follow.
	t1 := t0.Add(time.Hour)
	custom := asff.CustomSeverity | asff.CustomTypes
	res, err = s.UpdateFindings(ctx, region, []muster.FindingKey{a.FindingKey}, edit(t1, custom, func(d filter.Doc) {
		d["Title"] = "triaged"
		d["Workflow"] = map[string]any{"Status": "SUPPRESSED"}
		d["Resources"] = []any{map[string]any{"Type": "Other", "Id": "r-a-updated"}}
	}))
	if err != nil || !slices.Equal(res, []muster.UpsertResult{muster.Updated}) {
		t.Fatalf("UpdateFindings: %v, %v; want Updated", res, err)
	}
	got := one(t, s, region, a.FindingKey)
	if got == nil || Fields(got)["Title"] != "triaged" {
		t.Fatalf("after update: %v", got)
	}
	if got.Customized != custom || !got.ProcessedAt.Equal(t1) {
		t.Errorf("after update: Customized %b, ProcessedAt %v; want %b, %v", got.Customized, got.ProcessedAt, custom, t1)
	}
	for _, c := range []struct {
		filter string
		want   int
	}{
		{`{"WorkflowStatus":[{"Value":"SUPPRESSED","Comparison":"EQUALS"}]}`, 1},
		{`{"ResourceId":[{"Value":"r-a","Comparison":"EQUALS"}]}`, 0},
		{`{"ResourceId":[{"Value":"r-a-updated","Comparison":"EQUALS"}]}`, 1},
	} {
		if n := len(query(t, s, muster.FindingQuery{Region: region, Accounts: []string{acct}, Filter: mustParse(t, c.filter), Sort: filter.DefaultSort()})); n != c.want {
			t.Errorf("%s after update: %d findings, want %d", c.filter, n, c.want)
		}
	}

	// Customized round trip: a merge and an update see it, a re-import
	// keeps it, an update can clear it.
	var seen asff.Customized
	a2 := at(NewFinding(region, simpleDoc(acct, "a", stamp(t0.Add(time.Minute)), map[string]any{"Title": "reimported"})), t1.Add(time.Minute))
	upsert(t, s, func(stored, in *muster.Finding) (*muster.Change, error) {
		seen = stored.Customized
		return importing(stored, in)
	}, a2)
	if seen != custom {
		t.Errorf("merge saw Customized %b, want %b", seen, custom)
	}
	if got := one(t, s, region, a.FindingKey); got.Customized != custom || Fields(got)["Title"] != "reimported" {
		t.Errorf("after re-import: Customized %b, Title %v", got.Customized, Fields(got)["Title"])
	}
	res, err = s.UpdateFindings(ctx, region, []muster.FindingKey{a.FindingKey}, func(stored *muster.Finding) (*muster.Change, error) {
		seen = stored.Customized
		f := *stored
		f.Customized = 0
		return &muster.Change{Finding: &f}, nil
	})
	if err != nil || !slices.Equal(res, []muster.UpsertResult{muster.Updated}) || seen != custom {
		t.Fatalf("clearing Customized: %v, %v, saw %b", res, err, seen)
	}
	if got := one(t, s, region, a.FindingKey); got.Customized != 0 {
		t.Errorf("after clearing: Customized %b", got.Customized)
	}

	// The same key twice in one call: the second update sees the first.
	inc := func(stored *muster.Finding) (*muster.Change, error) {
		d := Fields(stored)
		d["Count"] = d["Count"].(float64) + 1
		f := NewFinding(stored.Region, d)
		f.ProcessedAt = stored.ProcessedAt
		return &muster.Change{Finding: f}, nil
	}
	res, err = s.UpdateFindings(ctx, region, []muster.FindingKey{b.FindingKey, b.FindingKey}, inc)
	if err != nil || !slices.Equal(res, []muster.UpsertResult{muster.Updated, muster.Updated}) {
		t.Fatalf("duplicate key: %v, %v", res, err)
	}
	if n := Fields(one(t, s, region, b.FindingKey))["Count"]; n != 2.0 {
		t.Errorf("duplicate key: Count = %v, want 2", n)
	}

	// A failing update aborts its whole call, while calls beside it
	// succeed.
	errUpdate := errors.New("update refuses")
	before := map[muster.FindingKey]string{}
	for k, f := range all(t, s, acct) {
		before[k] = string(f.Doc)
	}
	histBefore := len(history(t, s, muster.HistoryQuery{Region: region, Key: a.FindingKey}))
	c := at(NewFinding(region, simpleDoc(acct, "c", stamp(t0), map[string]any{"Count": 0.0})), t0)
	upsert(t, s, importing, c)
	const calls2 = 20
	var wg sync.WaitGroup
	errs := make([]error, calls2)
	for i := range calls2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				_, errs[i] = s.UpdateFindings(ctx, region, []muster.FindingKey{a.FindingKey, b.FindingKey}, func(stored *muster.Finding) (*muster.Change, error) {
					if stored.ID == "b" {
						return nil, errUpdate
					}
					return edit(t1, 0, func(d filter.Doc) { d["Title"] = "half-written" })(stored)
				})
				return
			}
			_, errs[i] = s.UpdateFindings(ctx, region, []muster.FindingKey{c.FindingKey}, inc)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if i%2 == 0 && !errors.Is(err, errUpdate) {
			t.Errorf("failing call %d: err = %v, want the update's error", i, err)
		}
		if i%2 == 1 && err != nil {
			t.Errorf("call %d beside failing ones: %v", i, err)
		}
	}
	for k, f := range all(t, s, acct) {
		if k == c.FindingKey {
			if n := Fields(f)["Count"]; n != float64(calls2/2) {
				t.Errorf("c: Count = %v, want %d", n, calls2/2)
			}
		} else if string(f.Doc) != before[k] {
			t.Errorf("%s was written by a failed UpdateFindings: %s", k.ID, f.Doc)
		}
	}
	if n := len(history(t, s, muster.HistoryQuery{Region: region, Key: a.FindingKey})); n != histBefore {
		t.Errorf("a failed UpdateFindings left history: %d records, want %d", n, histBefore)
	}
}

// testUpdateConcurrent runs read-modify-write increments of one counter
// from many goroutines: every one must count.
func testUpdateConcurrent(t *testing.T, s muster.Store) {
	ctx := context.Background()
	const (
		workers = 8
		rounds  = 25
		acct    = "222222222222"
	)
	counter := NewFinding(region, simpleDoc(acct, "counter", "2025-01-01T00:00:00.000Z", map[string]any{"Count": 0.0}))
	upsert(t, s, newerWins, counter)
	inc := func(stored *muster.Finding) (*muster.Change, error) {
		d := Fields(stored)
		n, _ := d["Count"].(float64)
		d["Count"] = n + 1
		return &muster.Change{Finding: NewFinding(stored.Region, d)}, nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				// Imports of other findings go on beside the updates.
				if r%5 == 0 {
					f := NewFinding(region, simpleDoc(acct, fmt.Sprintf("w%d-%d", w, r), "2025-01-01T00:00:00.000Z", nil))
					if _, err := s.UpsertFindings(ctx, []*muster.Finding{f}, newerWins); err != nil {
						errs <- err
						return
					}
				}
				res, err := s.UpdateFindings(ctx, region, []muster.FindingKey{counter.FindingKey}, inc)
				if err == nil && res[0] != muster.Updated {
					err = fmt.Errorf("result %v, want Updated", res[0])
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("UpdateFindings: %v", err)
	}
	if n := Fields(one(t, s, region, counter.FindingKey))["Count"]; n != float64(workers*rounds) {
		t.Errorf("counter = %v, want %d: lost updates", n, workers*rounds)
	}
}

// testContended has two goroutines increment the same counters as fast
// as they can, with UpdateFindings and with UpsertFindings, so that a
// store that decides a change before it writes (and decides again when
// the finding changed in between) decides again often: one names the
// shared counter once per call, the other twice, each beside a finding of
// its own. Every increment must count once, with one history record, and
// only the last call of the UpdateFunc or MergeFunc for a finding may be
// what is written.
func testContended(t *testing.T, s muster.Store) {
	ctx := context.Background()
	const (
		rounds = 150
		acct   = "333333333333"
	)
	t0 := time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	shared := at(NewFinding(region, simpleDoc(acct, "shared", stamp(t0), map[string]any{"Count": 0.0})), t0)
	own := []*muster.Finding{
		at(NewFinding(region, simpleDoc(acct, "own-0", stamp(t0), map[string]any{"Count": 0.0})), t0),
		at(NewFinding(region, simpleDoc(acct, "own-1", stamp(t0), map[string]any{"Count": 0.0})), t0),
	}
	upsert(t, s, importing, shared, own[0], own[1])
	count := func(f *muster.Finding) float64 { n, _ := Fields(f)["Count"].(float64); return n }
	inc := func(stored *muster.Finding) (*muster.Change, error) {
		d := Fields(stored)
		d["Count"] = count(stored) + 1
		f := NewFinding(stored.Region, d)
		f.ProcessedAt = t0
		return &muster.Change{Finding: f, History: &muster.HistoryRecord{
			UpdateTime: t0, SourceType: muster.SourceUpdate, SourceIdentity: "arn:aws:iam::333333333333:user/counter",
		}}, nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for w := range 2 {
		keys := []muster.FindingKey{shared.FindingKey, own[w].FindingKey}
		if w == 1 {
			keys = []muster.FindingKey{own[w].FindingKey, shared.FindingKey, shared.FindingKey}
		}
		wg.Go(func() {
			for range rounds {
				res, err := s.UpdateFindings(ctx, region, keys, inc)
				if err == nil && slices.ContainsFunc(res, func(r muster.UpsertResult) bool { return r != muster.Updated }) {
					err = fmt.Errorf("results %v, want all Updated", res)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("UpdateFindings: %v", err)
	}
	if n := count(one(t, s, region, shared.FindingKey)); n != 3*rounds {
		t.Errorf("shared counter = %v, want %d: lost or repeated updates", n, 3*rounds)
	}
	for _, f := range own {
		if n := count(one(t, s, region, f.FindingKey)); n != rounds {
			t.Errorf("%s = %v, want %d", f.ID, n, rounds)
		}
		if n := len(history(t, s, muster.HistoryQuery{Region: region, Key: f.FindingKey})); n != rounds+1 {
			t.Errorf("%s: %d history records, want %d", f.ID, n, rounds+1)
		}
	}
	if n := len(history(t, s, muster.HistoryQuery{Region: region, Key: shared.FindingKey})); n != 3*rounds+1 {
		t.Errorf("shared: %d history records, want %d: a repeated call's change was written", n, 3*rounds+1)
	}

	// The same with re-imports: each merge counts on from the stored
	// finding, with a newer UpdatedAt every time.
	var clock sync.Mutex
	tick := t0
	next := func() time.Time {
		clock.Lock()
		defer clock.Unlock()
		tick = tick.Add(time.Millisecond)
		return tick
	}
	merges := func(stored, in *muster.Finding) (*muster.Change, error) {
		if stored == nil {
			return nil, errors.New("the counter is stored")
		}
		d := Fields(in)
		d["Count"] = count(stored) + 1
		f := NewFinding(in.Region, d)
		f.ProcessedAt = in.ProcessedAt
		return &muster.Change{Finding: f, Meter: true, History: &muster.HistoryRecord{UpdateTime: in.ProcessedAt, SourceType: muster.SourceImport, SourceIdentity: in.ProductARN}}, nil
	}
	errs = make(chan error, 2)
	for w := range 2 {
		wg.Go(func() {
			for range rounds {
				var fs []*muster.Finding
				for range w + 1 {
					ts := next()
					fs = append(fs, at(NewFinding(region, simpleDoc(acct, "shared", stamp(ts), nil)), ts))
				}
				if _, err := s.UpsertFindings(ctx, fs, merges); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("UpsertFindings: %v", err)
	}
	if n := count(one(t, s, region, shared.FindingKey)); n != 6*rounds {
		t.Errorf("shared counter after re-imports = %v, want %d", n, 6*rounds)
	}
	if n := len(history(t, s, muster.HistoryQuery{Region: region, Key: shared.FindingKey})); n != 6*rounds+1 {
		t.Errorf("shared: %d history records after re-imports, want %d", n, 6*rounds+1)
	}
}

func history(t *testing.T, s muster.Store, q muster.HistoryQuery) []*muster.HistoryRecord {
	t.Helper()
	rs, err := s.FindingHistory(context.Background(), q)
	if err != nil {
		t.Fatalf("FindingHistory(%+v): %v", q, err)
	}
	return rs
}

// times checks that records are newest first and returns their UpdateTimes.
func times(t *testing.T, rs []*muster.HistoryRecord) []time.Time {
	t.Helper()
	var out []time.Time
	for i, r := range rs {
		if i > 0 && r.Seq >= rs[i-1].Seq {
			t.Fatalf("records not newest first: seq %d after %d", r.Seq, rs[i-1].Seq)
		}
		out = append(out, r.UpdateTime)
	}
	return out
}

func equalTimes(a, b []time.Time) bool {
	return slices.EqualFunc(a, b, time.Time.Equal)
}

func testHistory(t *testing.T, s muster.Store) {
	ctx := context.Background()
	const acct = "111111111111"
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	t1, t2, t3, t4 := t0.Add(time.Hour), t0.Add(2*time.Hour), t0.Add(3*time.Hour), t0.Add(4*time.Hour)
	f := at(NewFinding(region, simpleDoc(acct, "f", stamp(t0), map[string]any{"Title": "one"})), t0)
	k := f.FindingKey
	hq := muster.HistoryQuery{Region: region, Key: k}
	if rs := history(t, s, hq); len(rs) != 0 {
		t.Fatalf("history of a finding that does not exist: %d records", len(rs))
	}
	upsert(t, s, importing, f)
	// A re-import that changes the Title, a stale one, an update, and
	// an update without history (as the legacy UpdateFindings).
	upsert(t, s, importing, at(NewFinding(region, simpleDoc(acct, "f", stamp(t1), map[string]any{"Title": "two"})), t1))
	upsert(t, s, importing, at(NewFinding(region, simpleDoc(acct, "f", stamp(t0), map[string]any{"Title": "stale"})), t2))
	if _, err := s.UpdateFindings(ctx, region, []muster.FindingKey{k}, edit(t2, 0, func(d filter.Doc) { d["Title"] = "three" })); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateFindings(ctx, region, []muster.FindingKey{k}, func(stored *muster.Finding) (*muster.Change, error) {
		c := *stored
		c.ProcessedAt = t3
		return &muster.Change{Finding: &c}, nil
	}); err != nil {
		t.Fatal(err)
	}
	rs := history(t, s, hq)
	if got, want := times(t, rs), []time.Time{t2, t1, t0}; !equalTimes(got, want) {
		t.Fatalf("history: UpdateTimes %v, want %v", got, want)
	}
	want := []muster.HistoryRecord{
		{UpdateTime: t2, SourceType: muster.SourceUpdate, SourceIdentity: "arn:aws:iam::111111111111:user/alice", Updates: []asff.FieldUpdate{{Field: "Title", Old: "two", New: "three"}}},
		{UpdateTime: t1, SourceType: muster.SourceImport, SourceIdentity: k.ProductARN, Updates: []asff.FieldUpdate{{Field: "Title", Old: "one", New: "two"}}},
		{UpdateTime: t0, Created: true, SourceType: muster.SourceImport, SourceIdentity: k.ProductARN},
	}
	for i, r := range rs {
		w := want[i]
		if r.Seq == 0 || r.Created != w.Created || r.SourceType != w.SourceType || r.SourceIdentity != w.SourceIdentity || !slices.Equal(r.Updates, w.Updates) {
			t.Errorf("record %d: got %+v, want %+v", i, *r, w)
		}
	}
	newest, middle, oldest := rs[0].Seq, rs[1].Seq, rs[2].Seq

	// Selections.
	for _, c := range []struct {
		name string
		q    muster.HistoryQuery
		want []time.Time
	}{
		{"Start", muster.HistoryQuery{Start: t1}, []time.Time{t2, t1}},
		{"End", muster.HistoryQuery{End: t1}, []time.Time{t1, t0}},
		{"Start=End", muster.HistoryQuery{Start: t1, End: t1}, []time.Time{t1}},
		{"Start>End", muster.HistoryQuery{Start: t2, End: t1}, nil},
		{"after the last", muster.HistoryQuery{Start: t4}, nil},
		{"Before", muster.HistoryQuery{Before: newest}, []time.Time{t1, t0}},
		{"Before the oldest", muster.HistoryQuery{Before: oldest}, nil},
		{"Limit", muster.HistoryQuery{Limit: 2}, []time.Time{t2, t1}},
		{"Before+Limit", muster.HistoryQuery{Before: middle + 0, Limit: 5}, []time.Time{t0}},
		{"Start+Before+Limit", muster.HistoryQuery{Start: t0, Before: newest, Limit: 1}, []time.Time{t1}},
	} {
		q := c.q
		q.Region, q.Key = region, k
		if got := times(t, history(t, s, q)); !equalTimes(got, c.want) {
			t.Errorf("%s: UpdateTimes %v, want %v", c.name, got, c.want)
		}
	}
	// Paging one record at a time visits every record once.
	var paged []time.Time
	for before := int64(0); ; {
		rs := history(t, s, muster.HistoryQuery{Region: region, Key: k, Before: before, Limit: 1})
		if len(rs) == 0 {
			break
		}
		paged = append(paged, rs[0].UpdateTime)
		before = rs[0].Seq
		if len(paged) > 3 {
			t.Fatal("paging does not end")
		}
	}
	if !equalTimes(paged, []time.Time{t2, t1, t0}) {
		t.Errorf("paged: %v", paged)
	}
	// Other keys and scopes have no records.
	for _, q := range []muster.HistoryQuery{
		{Region: region, Key: muster.FindingKey{Account: acct, ProductARN: k.ProductARN, ID: "other"}},
		{Region: region, Key: muster.FindingKey{Account: "999999999999", ProductARN: k.ProductARN, ID: k.ID}},
		{Region: "eu-west-1", Key: k},
	} {
		if rs := history(t, s, q); len(rs) != 0 {
			t.Errorf("history of %+v: %d records", q, len(rs))
		}
	}

	// A key twice in one request records both changes.
	upsert(t, s, importing,
		at(NewFinding(region, simpleDoc(acct, "f", stamp(t3), map[string]any{"Title": "four"})), t3),
		at(NewFinding(region, simpleDoc(acct, "f", stamp(t4), map[string]any{"Title": "five"})), t4))
	rs = history(t, s, muster.HistoryQuery{Region: region, Key: k, Limit: 2})
	if got := times(t, rs); !equalTimes(got, []time.Time{t4, t3}) || len(rs[0].Updates) != 1 || rs[0].Updates[0].Old != "four" {
		t.Errorf("key twice in a request: %v", rs)
	}

	// History is written in the finding's transaction: a request that
	// fails leaves neither.
	g := at(NewFinding(region, simpleDoc(acct, "g", stamp(t0), nil)), t0)
	bad := at(NewFinding(region, simpleDoc(acct, "bad", stamp(t0), map[string]any{"Bad": true})), t0)
	f6 := at(NewFinding(region, simpleDoc(acct, "f", stamp(t4.Add(time.Hour)), map[string]any{"Title": "six"})), t4)
	if _, err := s.UpsertFindings(ctx, []*muster.Finding{g, f6, bad}, importing); !errors.Is(err, errMerge) {
		t.Fatalf("failing request: %v, want the merge error", err)
	}
	if one(t, s, region, g.FindingKey) != nil || len(history(t, s, muster.HistoryQuery{Region: region, Key: g.FindingKey})) != 0 {
		t.Error("a failed request left a finding or its history")
	}
	if n := len(history(t, s, hq)); n != 5 {
		t.Errorf("a failed request changed the history of f: %d records, want 5", n)
	}

	// Retention deletes the history with the finding, and a finding
	// imported again under the key starts afresh.
	old := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	h := at(NewFinding(region, simpleDoc(acct, "h", stamp(old), nil)), old)
	upsert(t, s, importing, h)
	n, err := s.DeleteExpired(ctx, muster.RetentionQuery{ActiveBefore: t0, ArchivedBefore: t0, Limit: 100})
	if err != nil || n != 1 {
		t.Fatalf("DeleteExpired: %d, %v; want 1", n, err)
	}
	if rs := history(t, s, muster.HistoryQuery{Region: region, Key: h.FindingKey}); len(rs) != 0 {
		t.Fatalf("history of a deleted finding: %d records", len(rs))
	}
	upsert(t, s, importing, at(NewFinding(region, simpleDoc(acct, "h", stamp(t0), nil)), t0))
	rs = history(t, s, muster.HistoryQuery{Region: region, Key: h.FindingKey})
	if len(rs) != 1 || !rs[0].Created {
		t.Errorf("history of a finding imported again after deletion: %d records (%v), want its creation only", len(rs), rs)
	}
	if n := len(history(t, s, hq)); n != 5 {
		t.Errorf("DeleteExpired changed the history of another finding: %d records, want 5", n)
	}
}

func testDeleteExpired(t *testing.T, s muster.Store) {
	ctx := context.Background()
	const acct, acct2 = "111111111111", "222222222222"
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	activeBefore, archivedBefore := now.Add(-90*day), now.Add(-30*day)
	type spec struct {
		id, rgn, acct      string
		state              any // RecordState; nil: absent
		updated, processed time.Duration
		expired            bool
	}
	specs := []spec{
		{id: "active-old", state: "ACTIVE", updated: -100 * day, processed: -100 * day, expired: true},
		{id: "active-new", state: "ACTIVE", updated: -10 * day, processed: -10 * day},
		{id: "active-at-cutoff", state: "ACTIVE", updated: -90 * day, processed: -90 * day},
		{id: "active-past-cutoff", state: "ACTIVE", updated: -90*day - time.Millisecond, processed: -90*day - time.Millisecond, expired: true},
		{id: "active-processed-recently", state: "ACTIVE", updated: -100 * day, processed: -day},
		{id: "active-updated-recently", state: "ACTIVE", updated: -day, processed: -100 * day},
		{id: "active-archive-age", state: "ACTIVE", updated: -40 * day, processed: -40 * day},
		{id: "archived-old", state: "ARCHIVED", updated: -40 * day, processed: -40 * day, expired: true},
		{id: "archived-new", state: "ARCHIVED", updated: -20 * day, processed: -20 * day},
		{id: "archived-processed-recently", state: "ARCHIVED", updated: -40 * day, processed: -20 * day},
		{id: "archived-updated-recently", state: "ARCHIVED", updated: -20 * day, processed: -40 * day},
		{id: "stateless-old", updated: -100 * day, processed: -100 * day, expired: true},
		{id: "stateless-archive-age", updated: -40 * day, processed: -40 * day},
		{id: "odd-state-old", state: "SOMETHING", updated: -100 * day, processed: -100 * day, expired: true},
		{id: "typeless-state-old", state: 7.0, updated: -100 * day, processed: -100 * day, expired: true},
		{id: "no-updatedat-old", state: "ACTIVE", processed: -100 * day, expired: true},
		{id: "no-updatedat-new", state: "ACTIVE", processed: -day},
		{id: "other-account-old", acct: acct2, state: "ARCHIVED", updated: -40 * day, processed: -40 * day, expired: true},
		{id: "other-account-new", acct: acct2, state: "ACTIVE", updated: -10 * day, processed: -10 * day},
		{id: "other-region-old", rgn: "eu-west-1", state: "ACTIVE", updated: -100 * day, processed: -100 * day, expired: true},
		{id: "other-region-new", rgn: "eu-west-1", state: "ACTIVE", updated: -10 * day, processed: -10 * day},
		// Archived by an update that keeps its clock: ages out as
		// archived.
		{id: "archived-later", state: "ACTIVE", updated: -40 * day, processed: -40 * day, expired: true},
	}
	var fs []*muster.Finding
	expired, kept := map[muster.FindingKey]bool{}, map[muster.FindingKey]bool{}
	for _, sp := range specs {
		if sp.rgn == "" {
			sp.rgn = region
		}
		if sp.acct == "" {
			sp.acct = acct
		}
		d := simpleDoc(sp.acct, sp.id, stamp(now.Add(sp.updated)), nil)
		if sp.updated == 0 {
			delete(d, "UpdatedAt")
		}
		if sp.state != nil {
			d["RecordState"] = sp.state
		}
		f := at(NewFinding(sp.rgn, d), now.Add(sp.processed))
		fs = append(fs, f)
		if sp.expired {
			expired[f.FindingKey] = true
		} else {
			kept[f.FindingKey] = true
		}
	}
	for _, f := range fs {
		upsert(t, s, importing, f)
	}
	archived := muster.FindingKey{Account: acct, ProductARN: fs[0].ProductARN, ID: "archived-later"}
	if res, err := s.UpdateFindings(ctx, region, []muster.FindingKey{archived}, func(stored *muster.Finding) (*muster.Change, error) {
		d := Fields(stored)
		d["RecordState"] = "ARCHIVED"
		f := NewFinding(stored.Region, d)
		f.ProcessedAt = stored.ProcessedAt
		return &muster.Change{Finding: f}, nil
	}); err != nil || res[0] != muster.Updated {
		t.Fatalf("archiving: %v, %v", res, err)
	}
	usageBefore, err := s.Usage(ctx, now.Add(-200*day), now)
	if err != nil {
		t.Fatal(err)
	}

	q := muster.RetentionQuery{ActiveBefore: activeBefore, ArchivedBefore: archivedBefore, Limit: 3}
	total, calls := 0, 0
	for {
		n, err := s.DeleteExpired(ctx, q)
		if err != nil {
			t.Fatalf("DeleteExpired: %v", err)
		}
		if n > q.Limit {
			t.Fatalf("DeleteExpired deleted %d findings, more than Limit %d", n, q.Limit)
		}
		if calls == 0 && n != q.Limit {
			t.Errorf("first call deleted %d findings, want Limit %d", n, q.Limit)
		}
		total += n
		calls++
		if n == 0 {
			break
		}
		if calls > len(specs) {
			t.Fatal("DeleteExpired does not drain")
		}
	}
	if total != len(expired) {
		t.Errorf("deleted %d findings, want %d", total, len(expired))
	}
	if calls < (len(expired)+q.Limit-1)/q.Limit+1 {
		t.Errorf("drained in %d calls of Limit %d, too few for %d findings", calls, q.Limit, len(expired))
	}
	remaining := map[muster.FindingKey]bool{}
	for _, sc := range []muster.Scope{{Account: acct, Region: region}, {Account: acct2, Region: region}, {Account: acct, Region: "eu-west-1"}} {
		for _, f := range query(t, s, muster.FindingQuery{Region: sc.Region, Accounts: []string{sc.Account}, Sort: filter.DefaultSort()}) {
			remaining[f.FindingKey] = true
		}
	}
	for k := range expired {
		if remaining[k] {
			t.Errorf("%s: expired but still stored", k.ID)
		}
	}
	for k := range kept {
		if !remaining[k] {
			t.Errorf("%s: not expired but deleted", k.ID)
		}
	}
	if n, err := s.CountFindings(ctx); err != nil || n != int64(len(kept)) {
		t.Errorf("CountFindings = %d, %v; want %d", n, err, len(kept))
	}
	// Attribute-driven filters no longer see deleted findings.
	for _, f := range fs {
		flt := mustParse(t, fmt.Sprintf(`{"ResourceId":[{"Value":%q,"Comparison":"EQUALS"}]}`, "r-"+f.ID))
		want := 0
		if kept[f.FindingKey] {
			want = 1
		}
		if n := len(query(t, s, muster.FindingQuery{Region: f.Region, Accounts: []string{f.Account}, Filter: flt, Sort: filter.DefaultSort()})); n != want {
			t.Errorf("ResourceId = r-%s: %d findings, want %d", f.ID, n, want)
		}
		if n := len(query(t, s, muster.FindingQuery{Region: f.Region, Accounts: []string{f.Account}, Filter: mustParse(t, `{"ResourceType":[{"Value":"Other","Comparison":"EQUALS"}]}`)})); n != countIn(kept, f.Region, f.Account, fs) {
			t.Errorf("ResourceType = Other in %s/%s: %d findings, want %d", f.Region, f.Account, n, countIn(kept, f.Region, f.Account, fs))
		}
	}
	// Metering counts what was ingested; deleting does not undo it.
	if u, err := s.Usage(ctx, now.Add(-200*day), now); err != nil || !slices.EqualFunc(u, usageBefore, sameUsage) || len(u) == 0 {
		t.Errorf("usage changed by DeleteExpired: %v, %v; was %v", u, err, usageBefore)
	}
	// A deleted finding can be imported again, and nothing of a deleted
	// finding attaches to it (a store may reuse a deleted row's id).
	again := fs[0]
	if res := upsert(t, s, importing, at(NewFinding(region, Fields(again)), now)); res[0] != muster.Created {
		t.Errorf("import after deletion: %v, want Created", res[0])
	}
	for k := range expired {
		want := 0
		if k == again.FindingKey {
			want = 1
		}
		flt := mustParse(t, fmt.Sprintf(`{"ResourceId":[{"Value":%q,"Comparison":"EQUALS"}]}`, "r-"+k.ID))
		if n := len(query(t, s, muster.FindingQuery{Region: region, Accounts: []string{acct}, Filter: flt, Sort: filter.DefaultSort()})); n != want {
			t.Errorf("after import again: ResourceId = r-%s: %d findings, want %d", k.ID, n, want)
		}
	}
	if rs := history(t, s, muster.HistoryQuery{Region: region, Key: again.FindingKey}); len(rs) != 1 || !rs[0].Created {
		t.Errorf("after import again: %d history records, want its creation only", len(rs))
	}
	if n, err := s.DeleteExpired(ctx, q); err != nil || n != 0 {
		t.Errorf("DeleteExpired with nothing aged out: %d, %v", n, err)
	}
}

func countIn(keys map[muster.FindingKey]bool, rgn, acct string, fs []*muster.Finding) int {
	n := 0
	for _, f := range fs {
		if keys[f.FindingKey] && f.Region == rgn && f.Account == acct {
			n++
		}
	}
	return n
}

func sameUsage(a, b muster.Usage) bool {
	return a.Account == b.Account && a.Region == b.Region && a.ProductARN == b.ProductARN && a.Day.Equal(b.Day) && a.Findings == b.Findings
}

func testUsage(t *testing.T, s muster.Store) {
	ctx := context.Background()
	const acct, acct2 = "111111111111", "222222222222"
	day1 := time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC)
	day2 := day1.AddDate(0, 0, 1)
	prodA := "arn:aws:securityhub:us-east-1::product/aws/guardduty"
	prodB := "arn:aws:securityhub:us-east-1::product/aws/inspector"
	doc := func(account, id, product string, extra map[string]any) filter.Doc {
		d := simpleDoc(account, id, stamp(day1), extra)
		d["ProductArn"] = product
		return d
	}
	east10 := time.FixedZone("UTC+10", 10*3600)
	fs := []*muster.Finding{
		at(NewFinding(region, doc(acct, "late", prodA, nil)), day2.Add(-time.Millisecond)),
		at(NewFinding(region, doc(acct, "midnight", prodA, nil)), day2),
		at(NewFinding(region, doc(acct, "b", prodB, nil)), day1.Add(12*time.Hour)),
		// 05:00 on the 11th in UTC+10 is the 10th in UTC.
		at(NewFinding(region, doc(acct2, "zone", prodA, nil)), time.Date(2025, 3, 11, 5, 0, 0, 0, east10)),
		at(NewFinding(region, doc(acct, "unmetered", prodA, map[string]any{"NoMeter": true})), day1),
		at(NewFinding("eu-west-1", doc(acct, "eu", prodA, nil)), day1),
	}
	upsert(t, s, importing, fs...)
	// A re-import counts again; a stale one and a failed request do not.
	upsert(t, s, importing, at(NewFinding(region, doc(acct, "late", prodA, map[string]any{"UpdatedAt": stamp(day2)})), day1.Add(time.Hour)))
	upsert(t, s, importing, at(NewFinding(region, doc(acct, "late", prodA, nil)), day1.Add(time.Hour)))
	if _, err := s.UpsertFindings(ctx, []*muster.Finding{
		at(NewFinding(region, doc(acct, "new", prodA, nil)), day1),
		at(NewFinding(region, doc(acct, "bad", prodA, map[string]any{"Bad": true})), day1),
	}, importing); !errors.Is(err, errMerge) {
		t.Fatalf("failing request: %v", err)
	}
	// An update counts when its change says so.
	bKey := fs[2].FindingKey
	if _, err := s.UpdateFindings(ctx, region, []muster.FindingKey{bKey, bKey}, func(stored *muster.Finding) (*muster.Change, error) {
		f := *stored
		f.ProcessedAt = day2.Add(time.Hour)
		return &muster.Change{Finding: &f, Meter: true}, nil
	}); err != nil {
		t.Fatal(err)
	}
	row := func(d time.Time, account, rgn, product string, n int64) muster.Usage {
		return muster.Usage{Account: account, Region: rgn, ProductARN: product, Day: d, Findings: n}
	}
	want1 := []muster.Usage{
		row(day1, acct, "eu-west-1", prodA, 1),
		row(day1, acct, region, prodA, 2),
		row(day1, acct, region, prodB, 1),
		row(day1, acct2, region, prodA, 1),
	}
	want2 := []muster.Usage{
		row(day2, acct, region, prodA, 1),
		row(day2, acct, region, prodB, 2),
	}
	for _, c := range []struct {
		name     string
		from, to time.Time
		want     []muster.Usage
	}{
		{"both days", day1, day2, append(slices.Clone(want1), want2...)},
		{"within the days", day1.Add(23 * time.Hour), day2.Add(time.Minute), append(slices.Clone(want1), want2...)},
		{"first day", day1, day1, want1},
		{"first day by its last instant", day2.Add(-time.Nanosecond), day2.Add(-time.Nanosecond), want1},
		{"second day", day2, day2.Add(20 * time.Hour), want2},
		{"second day in another zone", day2.In(east10), day2.In(east10).Add(time.Hour), want2},
		{"day before", day1.Add(-time.Hour), day1.Add(-time.Hour), nil},
		{"days after", day2.AddDate(0, 0, 1), day2.AddDate(0, 0, 30), nil},
	} {
		got, err := s.Usage(ctx, c.from, c.to)
		if err != nil {
			t.Fatalf("%s: Usage: %v", c.name, err)
		}
		if !slices.EqualFunc(got, c.want, sameUsage) {
			t.Errorf("%s: Usage\n got %v\nwant %v", c.name, got, c.want)
		}
		for _, u := range got {
			if u.Day.Location() != time.UTC {
				t.Errorf("%s: Day %v not in UTC", c.name, u.Day)
			}
		}
	}
}
