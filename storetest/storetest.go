// Package storetest is the contract every muster.Store must meet, as a test
// suite that each backend runs against itself. The reference for filters
// and ordering is package filter's in-memory matcher: the differential test
// holds a store's query compiler to filter.Match and filter.Compare on
// random findings, filters and sorts.
//
// Findings given to a store always have string Id, ProductArn and
// AwsAccountId members equal to their key, as the importer guarantees, so a
// store may answer filters on those members from its key columns.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/filter"
	"github.com/muster-hub/muster/filter/filtertest"
)

// Run runs the contract suite. open must return a new, empty store for
// each call; Run closes it.
func Run(t *testing.T, open func(t *testing.T) muster.Store) {
	o := closing(open)
	t.Run("Hubs", func(t *testing.T) { testHubs(t, o(t)) })
	t.Run("Upsert", func(t *testing.T) { testUpsert(t, o(t)) })
	t.Run("Atomicity", func(t *testing.T) { testAtomicity(t, o(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, o(t)) })
	t.Run("Scopes", func(t *testing.T) { testScopes(t, o(t)) })
	t.Run("UpdateFindings", func(t *testing.T) { testUpdate(t, o(t)) })
	t.Run("UpdateConcurrent", func(t *testing.T) { testUpdateConcurrent(t, o(t)) })
	t.Run("Contended", func(t *testing.T) { testContended(t, o(t)) })
	t.Run("History", func(t *testing.T) { testHistory(t, o(t)) })
	t.Run("DeleteExpired", func(t *testing.T) { testDeleteExpired(t, o(t)) })
	t.Run("Usage", func(t *testing.T) { testUsage(t, o(t)) })
	t.Run("Products", func(t *testing.T) { testProducts(t, o(t)) })
	t.Run("Pagination", func(t *testing.T) { testPagination(t, o(t)) })
	RunDifferential(t, open)
	t.Run("Insights", func(t *testing.T) { testInsights(t, o(t)) })
	t.Run("GroupDifferential", func(t *testing.T) { testGroupDifferential(t, o(t)) })
	t.Run("GroupLive", func(t *testing.T) { testGroupLive(t, o(t)) })
}

// RunDifferential runs the suite's differential query test alone, for a
// store that plans a filtered query in more than one way to run it again
// with another plan forced.
func RunDifferential(t *testing.T, open func(t *testing.T) muster.Store) {
	t.Run("Differential", func(t *testing.T) { testDifferential(t, closing(open)(t)) })
}

// closing wraps open to close each store when its test ends.
func closing(open func(t *testing.T) muster.Store) func(t *testing.T) muster.Store {
	return func(t *testing.T) muster.Store {
		s := open(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
}

const region = "us-east-1"

func code(err error) string {
	if err == nil {
		return "<nil>"
	}
	return muster.ErrorCode(err)
}

func testHubs(t *testing.T, s muster.Store) {
	ctx := context.Background()
	sc := muster.Scope{Account: "111111111111", Region: region}
	if _, err := s.GetHub(ctx, sc); code(err) != muster.InvalidAccess {
		t.Fatalf("GetHub of a missing hub: got %v, want %s", err, muster.InvalidAccess)
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	h := &muster.Hub{Scope: sc, SubscribedAt: at, AutoEnableControls: true, ControlFindingGenerator: "SECURITY_CONTROL", Tags: map[string]string{"env": "prod"}}
	if err := s.CreateHub(ctx, h); err != nil {
		t.Fatalf("CreateHub: %v", err)
	}
	if err := s.CreateHub(ctx, h); code(err) != muster.ResourceConflict {
		t.Fatalf("CreateHub twice: got %v, want %s", err, muster.ResourceConflict)
	}
	got, err := s.GetHub(ctx, sc)
	if err != nil {
		t.Fatalf("GetHub: %v", err)
	}
	checkHub(t, got, h)
	// Other scopes see no hub.
	for _, other := range []muster.Scope{{Account: "222222222222", Region: region}, {Account: sc.Account, Region: "eu-west-1"}} {
		if _, err := s.GetHub(ctx, other); code(err) != muster.InvalidAccess {
			t.Errorf("GetHub(%v): got %v, want %s", other, err, muster.InvalidAccess)
		}
	}
	h2 := *h
	h2.AutoEnableControls = false
	h2.ControlFindingGenerator = "STANDARD_CONTROL"
	h2.Tags = nil
	if err := s.UpdateHub(ctx, &h2); err != nil {
		t.Fatalf("UpdateHub: %v", err)
	}
	got, err = s.GetHub(ctx, sc)
	if err != nil {
		t.Fatalf("GetHub after update: %v", err)
	}
	checkHub(t, got, &h2)
	if err := s.DeleteHub(ctx, sc); err != nil {
		t.Fatalf("DeleteHub: %v", err)
	}
	if _, err := s.GetHub(ctx, sc); code(err) != muster.InvalidAccess {
		t.Fatalf("GetHub after delete: got %v, want %s", err, muster.InvalidAccess)
	}
	if err := s.DeleteHub(ctx, sc); code(err) != muster.InvalidAccess {
		t.Errorf("DeleteHub of a missing hub: got %v, want %s", err, muster.InvalidAccess)
	}
	if err := s.UpdateHub(ctx, &h2); code(err) != muster.InvalidAccess {
		t.Errorf("UpdateHub of a missing hub: got %v, want %s", err, muster.InvalidAccess)
	}
	if err := s.CreateHub(ctx, h); err != nil {
		t.Fatalf("CreateHub after delete: %v", err)
	}
}

func checkHub(t *testing.T, got, want *muster.Hub) {
	t.Helper()
	if got.Scope != want.Scope || !got.SubscribedAt.Equal(want.SubscribedAt) || got.AutoEnableControls != want.AutoEnableControls ||
		got.ControlFindingGenerator != want.ControlFindingGenerator || len(got.Tags) != len(want.Tags) {
		t.Fatalf("hub: got %+v, want %+v", got, want)
	}
	for k, v := range want.Tags {
		if got.Tags[k] != v {
			t.Fatalf("hub tags: got %v, want %v", got.Tags, want.Tags)
		}
	}
}

// NewFinding makes a Finding of doc in region, with its key read from doc,
// as the importer hands them to a store.
func NewFinding(region string, doc filter.Doc) *muster.Finding {
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	var fields filter.Doc
	if err := json.Unmarshal(b, &fields); err != nil {
		panic(err)
	}
	k := filtertest.KeyOf(fields)
	return &muster.Finding{
		Region:      region,
		FindingKey:  muster.FindingKey{Account: k.Account, ProductARN: k.ProductARN, ID: k.ID},
		Doc:         b,
		ProcessedAt: time.Now().UTC().Round(time.Millisecond),
	}
}

func simpleDoc(account, id, updated string, extra map[string]any) filter.Doc {
	d := filter.Doc{
		"SchemaVersion": "2018-10-08",
		"Id":            id,
		"ProductArn":    "arn:aws:securityhub:us-east-1:" + account + ":product/" + account + "/default",
		"AwsAccountId":  account,
		"UpdatedAt":     updated,
		"CreatedAt":     "2025-01-01T00:00:00.000Z",
		"Title":         "t",
		"Resources":     []any{map[string]any{"Type": "Other", "Id": "r-" + id}},
	}
	for k, v := range extra {
		d[k] = v
	}
	return d
}

// newerWins is the merge rule of BatchImportFindings in miniature: an
// import replaces the stored finding only when its UpdatedAt is later.
func newerWins(stored, in *muster.Finding) (*muster.Change, error) {
	if stored == nil {
		return &muster.Change{Finding: in}, nil
	}
	s, _ := Fields(stored)["UpdatedAt"].(string)
	n, _ := Fields(in)["UpdatedAt"].(string)
	if n <= s {
		return nil, nil
	}
	return &muster.Change{Finding: in}, nil
}

// replace is a MergeFunc that always stores the incoming finding.
func replace(_, in *muster.Finding) (*muster.Change, error) {
	return &muster.Change{Finding: in}, nil
}

func query(t *testing.T, s muster.Store, q muster.FindingQuery) []*muster.Finding {
	t.Helper()
	fs, err := s.QueryFindings(context.Background(), q)
	if err != nil {
		t.Fatalf("QueryFindings: %v", err)
	}
	return fs
}

func all(t *testing.T, s muster.Store, accounts ...string) map[muster.FindingKey]*muster.Finding {
	t.Helper()
	out := map[muster.FindingKey]*muster.Finding{}
	for _, f := range query(t, s, muster.FindingQuery{Region: region, Accounts: accounts, Sort: filter.DefaultSort()}) {
		if _, dup := out[f.FindingKey]; dup {
			t.Fatalf("finding %v returned twice", f.FindingKey)
		}
		out[f.FindingKey] = f
	}
	return out
}

func testUpsert(t *testing.T, s muster.Store) {
	ctx := context.Background()
	const acct = "111111111111"
	a := NewFinding(region, simpleDoc(acct, "a", "2025-01-01T00:00:00.000Z", nil))
	b := NewFinding(region, simpleDoc(acct, "b", "2025-01-01T00:00:00.000Z", nil))
	res, err := s.UpsertFindings(ctx, []*muster.Finding{a, b}, newerWins)
	if err != nil {
		t.Fatalf("UpsertFindings: %v", err)
	}
	if want := []muster.UpsertResult{muster.Created, muster.Created}; !slices.Equal(res, want) {
		t.Fatalf("results: got %v, want %v", res, want)
	}
	a2 := NewFinding(region, simpleDoc(acct, "a", "2025-02-01T00:00:00.000Z", map[string]any{"Title": "new", "Resources": []any{map[string]any{"Type": "AwsS3Bucket", "Id": "r-a2"}}}))
	bOld := NewFinding(region, simpleDoc(acct, "b", "2024-01-01T00:00:00.000Z", map[string]any{"Title": "stale"}))
	var sawStored bool
	merge := func(stored, in *muster.Finding) (*muster.Change, error) {
		if stored != nil {
			sawStored = true
			if stored.FindingKey != in.FindingKey || len(stored.Doc) == 0 || Fields(stored) == nil {
				return nil, fmt.Errorf("stored finding incomplete: %+v", stored)
			}
		}
		return newerWins(stored, in)
	}
	res, err = s.UpsertFindings(ctx, []*muster.Finding{a2, bOld}, merge)
	if err != nil {
		t.Fatalf("UpsertFindings: %v", err)
	}
	if want := []muster.UpsertResult{muster.Updated, muster.Unchanged}; !slices.Equal(res, want) {
		t.Fatalf("results: got %v, want %v", res, want)
	}
	if !sawStored {
		t.Fatal("merge never saw a stored finding")
	}
	got := all(t, s, acct)
	if len(got) != 2 {
		t.Fatalf("got %d findings, want 2", len(got))
	}
	if string(got[a.FindingKey].Doc) != string(a2.Doc) {
		t.Errorf("a: got %s, want %s", got[a.FindingKey].Doc, a2.Doc)
	}
	if string(got[b.FindingKey].Doc) != string(b.Doc) {
		t.Errorf("b: got %s, want %s", got[b.FindingKey].Doc, b.Doc)
	}
	if !got[a.FindingKey].ProcessedAt.Equal(a2.ProcessedAt) {
		t.Errorf("a: ProcessedAt %v, want %v", got[a.FindingKey].ProcessedAt, a2.ProcessedAt)
	}
	// Indexed values follow the update: the old resource is gone.
	for _, c := range []struct {
		value string
		want  int
	}{{"r-a", 0}, {"r-a2", 1}, {"r-b", 1}} {
		f := mustParse(t, fmt.Sprintf(`{"ResourceId":[{"Value":%q,"Comparison":"EQUALS"}]}`, c.value))
		if n := len(query(t, s, muster.FindingQuery{Region: region, Accounts: []string{acct}, Filter: f})); n != c.want {
			t.Errorf("ResourceId = %s: got %d findings, want %d", c.value, n, c.want)
		}
	}
	if n, err := s.CountFindings(ctx); err != nil || n != 2 {
		t.Errorf("CountFindings = %d, %v; want 2", n, err)
	}
}

func mustParse(t *testing.T, js string) *filter.Filters {
	t.Helper()
	f, err := filter.Parse([]byte(js), filtertest.Now)
	if err != nil {
		t.Fatalf("filter.Parse(%s): %v", js, err)
	}
	return f
}

var errMerge = errors.New("merge refuses")

func testAtomicity(t *testing.T, s muster.Store) {
	ctx := context.Background()
	const acct = "111111111111"
	// A stored finding that a failing request updates before it fails.
	base := NewFinding(region, simpleDoc(acct, "base", "2025-01-01T00:00:00.000Z", nil))
	if _, err := s.UpsertFindings(ctx, []*muster.Finding{base}, newerWins); err != nil {
		t.Fatal(err)
	}
	const requests = 40
	var wg sync.WaitGroup
	errs := make([]error, requests)
	start := make(chan struct{})
	for i := range requests {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fs := []*muster.Finding{
				NewFinding(region, simpleDoc(acct, fmt.Sprintf("r%d-1", i), "2025-01-01T00:00:00.000Z", nil)),
				NewFinding(region, simpleDoc(acct, "base", fmt.Sprintf("2025-03-01T00:00:%02d.000Z", i), nil)),
				NewFinding(region, simpleDoc(acct, fmt.Sprintf("r%d-3", i), "2025-01-01T00:00:00.000Z", map[string]any{"Bad": i%2 == 0})),
			}
			<-start
			_, errs[i] = s.UpsertFindings(ctx, fs, func(stored, in *muster.Finding) (*muster.Change, error) {
				if bad, _ := Fields(in)["Bad"].(bool); bad {
					return nil, errMerge
				}
				return &muster.Change{Finding: in}, nil // always overwrite base
			})
		}()
	}
	close(start)
	wg.Wait()
	got := all(t, s, acct)
	lastGood := -1
	for i := range requests {
		bad := i%2 == 0
		if bad != (errs[i] != nil) {
			t.Errorf("request %d: err = %v, want failure %v", i, errs[i], bad)
		}
		if bad && errs[i] != nil && !errors.Is(errs[i], errMerge) {
			t.Errorf("request %d: err = %v, want the merge error", i, errs[i])
		}
		for _, id := range []string{fmt.Sprintf("r%d-1", i), fmt.Sprintf("r%d-3", i)} {
			_, ok := got[muster.FindingKey{Account: acct, ProductARN: base.ProductARN, ID: id}]
			if ok == bad {
				t.Errorf("request %d (failing %v): finding %s stored = %v", i, bad, id, ok)
			}
		}
		if !bad {
			lastGood = i
		}
	}
	// base holds the doc of a succeeding request, never of a failed one.
	b := got[base.FindingKey]
	var fields filter.Doc
	if err := json.Unmarshal(b.Doc, &fields); err != nil {
		t.Fatal(err)
	}
	var n int
	if _, err := fmt.Sscanf(fields["UpdatedAt"].(string), "2025-03-01T00:00:%02d.000Z", &n); err != nil || n%2 == 0 {
		t.Errorf("base finding was written by a failed request: %s (last good %d)", fields["UpdatedAt"], lastGood)
	}
}

func testConcurrent(t *testing.T, s muster.Store) {
	ctx := context.Background()
	const (
		workers  = 8
		rounds   = 25
		perBatch = 20
		acct     = "222222222222"
	)
	counter := simpleDoc(acct, "counter", "2025-01-01T00:00:00.000Z", map[string]any{"Count": float64(0)})
	increment := func(stored, in *muster.Finding) (*muster.Change, error) {
		if in.ID != "counter" {
			return newerWins(stored, in)
		}
		n := 0.0
		if stored != nil {
			n, _ = Fields(stored)["Count"].(float64)
		}
		d := maps(Fields(in))
		d["Count"] = n + 1
		return &muster.Change{Finding: NewFinding(in.Region, d)}, nil
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []error
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				fs := []*muster.Finding{NewFinding(region, counter)}
				for i := range perBatch {
					up := fmt.Sprintf("2025-01-01T00:%02d:%02d.000Z", r/60, r%60)
					fs = append(fs, NewFinding(region, simpleDoc(acct, fmt.Sprintf("w%d-%d", w, i), up, map[string]any{"Round": float64(r)})))
				}
				if _, err := s.UpsertFindings(ctx, fs, increment); err != nil {
					mu.Lock()
					failures = append(failures, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("UpsertFindings failed: %v", failures[0])
	}
	got := all(t, s, acct)
	if len(got) != workers*perBatch+1 {
		t.Fatalf("got %d findings, want %d", len(got), workers*perBatch+1)
	}
	for k, f := range got {
		var d filter.Doc
		if err := json.Unmarshal(f.Doc, &d); err != nil {
			t.Fatal(err)
		}
		if k.ID == "counter" {
			if d["Count"] != float64(workers*rounds) {
				t.Errorf("counter = %v, want %d: lost writes", d["Count"], workers*rounds)
			}
		} else if d["Round"] != float64(rounds-1) {
			t.Errorf("%s: Round = %v, want %d", k.ID, d["Round"], rounds-1)
		}
	}
}

func maps(d filter.Doc) filter.Doc {
	out := make(filter.Doc, len(d))
	for k, v := range d {
		out[k] = v
	}
	return out
}

func testScopes(t *testing.T, s muster.Store) {
	ctx := context.Background()
	type scoped struct {
		region, account string
	}
	scopes := []scoped{{"us-east-1", "111111111111"}, {"us-east-1", "222222222222"}, {"eu-west-1", "111111111111"}}
	for i, sc := range scopes {
		// The same finding Id in every scope.
		d := simpleDoc(sc.account, "same", "2025-01-01T00:00:00.000Z", map[string]any{"Scope": float64(i)})
		d["ProductArn"] = "arn:aws:securityhub:us-east-1::product/aws/guardduty"
		if _, err := s.UpsertFindings(ctx, []*muster.Finding{NewFinding(sc.region, d)}, newerWins); err != nil {
			t.Fatal(err)
		}
	}
	for i, sc := range scopes {
		fs := query(t, s, muster.FindingQuery{Region: sc.region, Accounts: []string{sc.account}, Sort: filter.DefaultSort()})
		if len(fs) != 1 {
			t.Fatalf("scope %v: got %d findings, want 1", sc, len(fs))
		}
		var d filter.Doc
		json.Unmarshal(fs[0].Doc, &d)
		if d["Scope"] != float64(i) || fs[0].Region != sc.region || fs[0].Account != sc.account {
			t.Errorf("scope %v: got finding of scope %v (%s/%s)", sc, d["Scope"], fs[0].Region, fs[0].Account)
		}
	}
	if n := len(query(t, s, muster.FindingQuery{Region: "us-east-1", Accounts: []string{"111111111111", "222222222222"}, Sort: filter.DefaultSort()})); n != 2 {
		t.Errorf("two accounts in us-east-1: got %d findings, want 2", n)
	}
	if n := len(query(t, s, muster.FindingQuery{Region: "us-west-2", Accounts: []string{"111111111111"}})); n != 0 {
		t.Errorf("empty region: got %d findings", n)
	}
	if n := len(query(t, s, muster.FindingQuery{Region: "us-east-1", Accounts: []string{"999999999999"}})); n != 0 {
		t.Errorf("unknown account: got %d findings", n)
	}
}

// corpus stores n random findings from seed in region and returns them.
func corpus(t *testing.T, s muster.Store, seed uint64, n int, messy bool) []*muster.Finding {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	byKey := map[muster.FindingKey]*muster.Finding{}
	var order []muster.FindingKey
	var batch []*muster.Finding
	flush := func() {
		if len(batch) == 0 {
			return
		}
		if _, err := s.UpsertFindings(context.Background(), batch, replace); err != nil {
			t.Fatalf("UpsertFindings: %v", err)
		}
		batch = nil
	}
	for range n {
		var d filter.Doc
		if messy {
			d = filtertest.RandomMessyDoc(r)
		} else {
			d = filtertest.RandomDoc(r)
		}
		fixKey(r, d)
		f := NewFinding(region, d)
		if _, ok := byKey[f.FindingKey]; !ok {
			order = append(order, f.FindingKey)
		}
		byKey[f.FindingKey] = f
		batch = append(batch, f)
		if len(batch) == 50 {
			flush()
		}
	}
	flush()
	out := make([]*muster.Finding, len(order))
	for i, k := range order {
		out[i] = byKey[k]
	}
	return out
}

// fixKey gives a messy document the string key members every stored
// finding has.
func fixKey(r *rand.Rand, d filter.Doc) {
	if _, ok := d["Id"].(string); !ok {
		d["Id"] = fmt.Sprintf("fixed-%d", r.IntN(1_000_000))
	}
	if _, ok := d["ProductArn"].(string); !ok {
		d["ProductArn"] = "arn:aws:securityhub:us-east-1::product/aws/guardduty"
	}
	if _, ok := d["AwsAccountId"].(string); !ok {
		d["AwsAccountId"] = "111111111111"
	}
}

var accounts = []string{"111111111111", "222222222222", "333333333333"}

func keyOf(f *muster.Finding) filter.Key {
	return filter.Key{Account: f.Account, ProductARN: f.ProductARN, ID: f.ID}
}

// expect is the reference answer: the findings that match, in order.
func expect(fs []*muster.Finding, flt *filter.Filters, sorts []filter.Sort, after *filter.Cursor) []*muster.Finding {
	docs := make(map[*muster.Finding]filter.Doc, len(fs))
	var out []*muster.Finding
	for _, f := range fs {
		d := decoded(f)
		docs[f] = d
		if flt.Match(d) && filter.After(sorts, after, d, keyOf(f)) {
			out = append(out, f)
		}
	}
	slices.SortFunc(out, func(a, b *muster.Finding) int {
		return filter.Compare(sorts, docs[a], docs[b], keyOf(a), keyOf(b))
	})
	return out
}

func cursorOf(sorts []filter.Sort, f *muster.Finding) *filter.Cursor {
	var d filter.Doc
	if err := json.Unmarshal(f.Doc, &d); err != nil {
		panic(err)
	}
	return &filter.Cursor{Values: filter.SortValues(sorts, d), Account: f.Account, ProductARN: f.ProductARN, ID: f.ID}
}

func testPagination(t *testing.T, s muster.Store) {
	fs := corpus(t, s, 1, 400, true)
	r := rand.New(rand.NewPCG(2, 3))
	for iter := range 40 {
		crit := filtertest.RandomSort(r)
		sorts, err := filter.ParseSort(crit)
		if err != nil {
			t.Fatal(err)
		}
		want := expect(fs, nil, sorts, nil)
		limit := 1 + r.IntN(60)
		var got []*muster.Finding
		var after *filter.Cursor
		for page := 0; ; page++ {
			p := query(t, s, muster.FindingQuery{Region: region, Accounts: accounts, Sort: sorts, After: after, Limit: limit})
			got = append(got, p...)
			if len(p) < limit {
				break
			}
			after = cursorOf(sorts, p[len(p)-1])
			if page > len(fs) {
				t.Fatal("pagination does not end")
			}
		}
		if d := diffKeys(want, got); d != "" {
			js, _ := json.Marshal(crit)
			t.Fatalf("iteration %d, sort %s, limit %d: pages differ from the reference order:\n%s", iter, js, limit, d)
		}
	}
}

func testDifferential(t *testing.T, s muster.Store) {
	fs := corpus(t, s, 42, 600, true)
	r := rand.New(rand.NewPCG(7, 11))
	iterations := 600
	if testing.Short() {
		iterations = 150
	}
	nonEmpty, failures := 0, 0
	for iter := range iterations {
		raw := filtertest.RandomFilters(r, filtertest.Now)
		crit := filtertest.RandomSort(r)
		if iter%3 == 2 {
			// A third of the queries filter on one label, half of them
			// in the default order, which a store may walk an index in.
			raw = withLabel(r, raw)
			if r.IntN(2) == 0 {
				crit = nil
			}
		}
		flt, err := filter.Parse(raw, filtertest.Now)
		if err != nil {
			t.Fatalf("filter.Parse(%s): %v", raw, err)
		}
		sorts, err := filter.ParseSort(crit)
		if err != nil {
			t.Fatal(err)
		}
		// Every other query lists one account, where a store may plan
		// differently than across several.
		accts, corpus := accounts, fs
		if iter%2 == 1 {
			accts = accounts[:1]
			corpus = nil
			for _, f := range fs {
				if f.Account == accts[0] {
					corpus = append(corpus, f)
				}
			}
		}
		var after *filter.Cursor
		limit := 0
		all := expect(corpus, flt, sorts, nil)
		if len(all) > 0 && r.IntN(3) == 0 {
			// Resume from a random finding, matching or not.
			after = cursorOf(sorts, fs[r.IntN(len(fs))])
			limit = 1 + r.IntN(50)
		}
		want := expect(corpus, flt, sorts, after)
		if limit > 0 && len(want) > limit {
			want = want[:limit]
		}
		got := query(t, s, muster.FindingQuery{Region: region, Accounts: accts, Filter: flt, Sort: sorts, After: after, Limit: limit})
		if len(want) > 0 {
			nonEmpty++
		}
		if d := diffKeys(want, got); d != "" {
			sj, _ := json.Marshal(crit)
			aj, _ := json.Marshal(after)
			t.Errorf("iteration %d: store and filter.Match disagree\nfilter: %s\nsort:   %s\nafter:  %s limit %d\n%s", iter, raw, sj, aj, limit, d)
			if failures++; failures == 5 {
				t.Fatal("stopping after 5 mismatches")
			}
		}
	}
	t.Logf("%d of %d random queries selected findings", nonEmpty, iterations)
	if nonEmpty < iterations/4 {
		t.Errorf("only %d of %d queries selected anything; the generators no longer exercise the store", nonEmpty, iterations)
	}
}

// withLabel sets one label field of the filters raw, which a store may
// index apart, to an EQUALS of one value the corpus draws from: random
// filters rarely are.
func withLabel(r *rand.Rand, raw []byte) []byte {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		panic(err)
	}
	name := pick(r, []string{"SeverityLabel", "WorkflowStatus"})
	if _, ok := m[name]; !ok && len(m) == filter.MaxAttributes {
		// Stay within the limit on attributes by replacing one.
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		delete(m, keys[r.IntN(len(keys))])
	}
	m[name] = []any{map[string]any{"Comparison": "EQUALS", "Value": pick(r, filtertest.StringPool(name))}}
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// diffKeys describes how got differs from want, or returns "".
func diffKeys(want, got []*muster.Finding) string {
	wk := make([]string, len(want))
	for i, f := range want {
		wk[i] = f.Account + " " + f.ProductARN + " " + f.ID
	}
	gk := make([]string, len(got))
	for i, f := range got {
		gk[i] = f.Account + " " + f.ProductARN + " " + f.ID
	}
	if slices.Equal(wk, gk) {
		for i := range got {
			if string(got[i].Doc) != string(want[i].Doc) {
				return fmt.Sprintf("document of %s differs:\n got %s\nwant %s", gk[i], got[i].Doc, want[i].Doc)
			}
		}
		return ""
	}
	ws, gs := map[string]bool{}, map[string]bool{}
	for _, k := range wk {
		ws[k] = true
	}
	for _, k := range gk {
		gs[k] = true
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "want %d findings, got %d\n", len(wk), len(gk))
	byKey := map[string]*muster.Finding{}
	for _, f := range append(append([]*muster.Finding{}, want...), got...) {
		byKey[f.Account+" "+f.ProductARN+" "+f.ID] = f
	}
	n := 0
	for _, k := range wk {
		if !gs[k] && n < 5 {
			fmt.Fprintf(&sb, "missing: %s\n  %s\n", k, byKey[k].Doc)
			n++
		}
	}
	n = 0
	for _, k := range gk {
		if !ws[k] && n < 5 {
			fmt.Fprintf(&sb, "extra:   %s\n  %s\n", k, byKey[k].Doc)
			n++
		}
	}
	for i := range min(len(wk), len(gk)) {
		if wk[i] != gk[i] {
			fmt.Fprintf(&sb, "order differs first at %d: want %s, got %s\n", i, wk[i], gk[i])
			break
		}
	}
	return sb.String()
}

// Fields decodes a finding's document for the reference matcher, or returns
// nil when it is not a JSON object.
func Fields(f *muster.Finding) filter.Doc {
	var d filter.Doc
	if err := json.Unmarshal(f.Doc, &d); err != nil {
		return nil
	}
	return d
}

// decodedDocs caches Fields of the findings the differential test reuses
// across hundreds of filters.
var decodedDocs sync.Map

func decoded(f *muster.Finding) filter.Doc {
	if d, ok := decodedDocs.Load(f); ok {
		return d.(filter.Doc)
	}
	d := Fields(f)
	decodedDocs.Store(f, d)
	return d
}
