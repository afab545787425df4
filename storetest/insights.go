package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/filter"
	"github.com/muster-hub/muster/filter/filtertest"
)

// The contract of insights: custom insight storage with its quota, and
// GroupFindings held to filter.Group.

func insightARN(sc muster.Scope, n int) string {
	return fmt.Sprintf("arn:aws:securityhub:%s:%s:insight/%s/custom/%08d-0000-4000-8000-000000000000", sc.Region, sc.Account, sc.Account, n)
}

func newInsight(sc muster.Scope, n int) *muster.Insight {
	return &muster.Insight{
		Scope:            sc,
		ARN:              insightARN(sc, n),
		Name:             fmt.Sprintf("insight %d", n),
		Filters:          []byte(fmt.Sprintf(`{"SeverityLabel":[{"Value":"HIGH","Comparison":"EQUALS"}],"Title":[{"Value":"n%d","Comparison":"PREFIX"}]}`, n)),
		GroupByAttribute: "ResourceId",
	}
}

func sameInsight(a, b *muster.Insight) bool {
	return a.Scope == b.Scope && a.ARN == b.ARN && a.Name == b.Name && string(a.Filters) == string(b.Filters) && a.GroupByAttribute == b.GroupByAttribute
}

func testInsights(t *testing.T, s muster.Store) {
	ctx := context.Background()
	sc := muster.Scope{Account: "111111111111", Region: region}
	others := []muster.Scope{{Account: "222222222222", Region: region}, {Account: sc.Account, Region: "eu-west-1"}}
	const max = 5
	var made []*muster.Insight
	for _, n := range []int{3, 1, 2} {
		in := newInsight(sc, n)
		if err := s.CreateInsight(ctx, in, max); err != nil {
			t.Fatalf("CreateInsight: %v", err)
		}
		made = append(made, in)
	}
	if err := s.CreateInsight(ctx, newInsight(sc, 1), max); code(err) != muster.ResourceConflict {
		t.Errorf("CreateInsight of a stored ARN: got %v, want %s", err, muster.ResourceConflict)
	}
	for _, in := range made {
		got, err := s.GetInsight(ctx, sc, in.ARN)
		if err != nil {
			t.Fatalf("GetInsight: %v", err)
		}
		if !sameInsight(got, in) {
			t.Errorf("GetInsight: got %+v, want %+v", got, in)
		}
		for _, o := range others {
			if _, err := s.GetInsight(ctx, o, in.ARN); code(err) != muster.ResourceNotFound {
				t.Errorf("GetInsight from %v: got %v, want %s", o, err, muster.ResourceNotFound)
			}
		}
	}
	if _, err := s.GetInsight(ctx, sc, insightARN(sc, 9)); code(err) != muster.ResourceNotFound {
		t.Errorf("GetInsight of a missing insight: got %v, want %s", err, muster.ResourceNotFound)
	}

	// Listing in ARN order, in pages.
	var listed []string
	after := ""
	for {
		page, err := s.ListInsights(ctx, sc, after, 2)
		if err != nil {
			t.Fatalf("ListInsights: %v", err)
		}
		for _, in := range page {
			listed = append(listed, in.ARN)
		}
		if len(page) < 2 {
			break
		}
		after = page[len(page)-1].ARN
	}
	if want := []string{insightARN(sc, 1), insightARN(sc, 2), insightARN(sc, 3)}; !slices.Equal(listed, want) {
		t.Errorf("ListInsights: got %v, want %v", listed, want)
	}
	for _, o := range others {
		if page, err := s.ListInsights(ctx, o, "", 10); err != nil || len(page) != 0 {
			t.Errorf("ListInsights of %v: got %d, %v; want none", o, len(page), err)
		}
	}

	// Update replaces name, filters and group-by.
	up := *made[0]
	up.Name, up.Filters, up.GroupByAttribute = "renamed", []byte(`{}`), "Type"
	if err := s.UpdateInsight(ctx, &up); err != nil {
		t.Fatalf("UpdateInsight: %v", err)
	}
	if got, err := s.GetInsight(ctx, sc, up.ARN); err != nil || !sameInsight(got, &up) {
		t.Errorf("GetInsight after update: got %+v, %v; want %+v", got, err, up)
	}
	missing := newInsight(sc, 9)
	if err := s.UpdateInsight(ctx, missing); code(err) != muster.ResourceNotFound {
		t.Errorf("UpdateInsight of a missing insight: got %v, want %s", err, muster.ResourceNotFound)
	}
	elsewhere := up
	elsewhere.Scope = others[0]
	if err := s.UpdateInsight(ctx, &elsewhere); code(err) != muster.ResourceNotFound {
		t.Errorf("UpdateInsight from another scope: got %v, want %s", err, muster.ResourceNotFound)
	}

	// Delete, and the quota: max per scope, other scopes apart.
	if err := s.DeleteInsight(ctx, others[0], made[1].ARN); code(err) != muster.ResourceNotFound {
		t.Errorf("DeleteInsight from another scope: got %v, want %s", err, muster.ResourceNotFound)
	}
	if err := s.DeleteInsight(ctx, sc, made[1].ARN); err != nil {
		t.Fatalf("DeleteInsight: %v", err)
	}
	if _, err := s.GetInsight(ctx, sc, made[1].ARN); code(err) != muster.ResourceNotFound {
		t.Errorf("GetInsight after delete: got %v, want %s", err, muster.ResourceNotFound)
	}
	if err := s.DeleteInsight(ctx, sc, made[1].ARN); code(err) != muster.ResourceNotFound {
		t.Errorf("DeleteInsight twice: got %v, want %s", err, muster.ResourceNotFound)
	}
	for n := 10; n < 13; n++ {
		if err := s.CreateInsight(ctx, newInsight(sc, n), max); err != nil {
			t.Fatalf("CreateInsight %d of %d: %v", n, max, err)
		}
	}
	if err := s.CreateInsight(ctx, newInsight(sc, 13), max); code(err) != muster.LimitExceeded {
		t.Errorf("CreateInsight past the quota: got %v, want %s", err, muster.LimitExceeded)
	}
	if _, err := s.GetInsight(ctx, sc, insightARN(sc, 13)); code(err) != muster.ResourceNotFound {
		t.Errorf("an insight refused for the quota was stored: %v", err)
	}
	if err := s.CreateInsight(ctx, newInsight(others[0], 13), max); err != nil {
		t.Errorf("CreateInsight in another scope: %v", err)
	}
	if err := s.DeleteInsight(ctx, sc, insightARN(sc, 10)); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateInsight(ctx, newInsight(sc, 13), max); err != nil {
		t.Errorf("CreateInsight after a delete freed a place: %v", err)
	}

	// Concurrent creations never pass the quota.
	busy := muster.Scope{Account: "333333333333", Region: region}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		ok, over int
	)
	for n := range 20 {
		wg.Go(func() {
			err := s.CreateInsight(ctx, newInsight(busy, n), 10)
			mu.Lock()
			defer mu.Unlock()
			switch code(err) {
			case "<nil>":
				ok++
			case muster.LimitExceeded:
				over++
			default:
				t.Errorf("concurrent CreateInsight: %v", err)
			}
		})
	}
	wg.Wait()
	if ok != 10 || over != 10 {
		t.Errorf("20 concurrent creations with a quota of 10: %d stored, %d refused", ok, over)
	}
}

// groupable lists the attributes findings can be grouped by.
func groupable() []*filter.Field {
	var out []*filter.Field
	for i := range filter.Fields {
		if f := &filter.Fields[i]; f.Groupable() {
			out = append(out, f)
		}
	}
	return out
}

// expectGroups is the reference answer of a GroupQuery over fs.
func expectGroups(fs []*muster.Finding, accts []string, flt *filter.Filters, by *filter.Field, limit int) []muster.GroupCount {
	var docs []filter.Doc
	for _, f := range fs {
		if slices.Contains(accts, f.Account) {
			docs = append(docs, decoded(f))
		}
	}
	return filter.Group(docs, flt, by, limit)
}

func groups(t *testing.T, s muster.Store, q muster.GroupQuery) []muster.GroupCount {
	t.Helper()
	got, err := s.GroupFindings(context.Background(), q)
	if err != nil {
		t.Fatalf("GroupFindings(%s): %v", q.GroupBy, err)
	}
	return got
}

func diffGroups(want, got []muster.GroupCount) string {
	if len(want) == 0 && len(got) == 0 || slices.Equal(want, got) {
		return ""
	}
	return fmt.Sprintf("want %v\n got %v", want, got)
}

// testGroupDifferential holds GroupFindings to filter.Group on random
// findings × random filters × every groupable attribute, across all
// accounts and one, with and without a limit.
func testGroupDifferential(t *testing.T, s muster.Store) {
	fs := corpus(t, s, 99, 500, true)
	r := rand.New(rand.NewPCG(13, 17))
	perField := 3
	if testing.Short() {
		perField = 1
	}
	if _, err := s.GroupFindings(context.Background(), muster.GroupQuery{Region: region, Accounts: accounts, GroupBy: "UpdatedAt"}); code(err) != muster.InvalidInput {
		t.Errorf("GroupFindings by a date: got %v, want %s", err, muster.InvalidInput)
	}
	if _, err := s.GroupFindings(context.Background(), muster.GroupQuery{Region: region, Accounts: accounts, GroupBy: "Nonsense"}); code(err) != muster.InvalidInput {
		t.Errorf("GroupFindings by an unknown attribute: got %v, want %s", err, muster.InvalidInput)
	}
	queries, nonEmpty, failures := 0, 0, 0
	for _, by := range groupable() {
		n := perField
		if slices.Contains(insightAttrs, by.Name) {
			n *= 5
		}
		for i := range n {
			raw := []byte(`{}`)
			switch {
			case i == 0:
			case i%2 == 1:
				raw = insightFilters(r)
			default:
				raw = filtertest.RandomFilters(r, filtertest.Now)
			}
			flt, err := filter.Parse(raw, filtertest.Now)
			if err != nil {
				t.Fatalf("filter.Parse(%s): %v", raw, err)
			}
			accts := accounts
			if r.IntN(2) == 0 {
				accts = accounts[r.IntN(len(accounts)):][:1]
			}
			limit := pick(r, []int{0, filter.GroupLimit, 1, 2, 3})
			want := expectGroups(fs, accts, flt, by, limit)
			got := groups(t, s, muster.GroupQuery{Region: region, Accounts: accts, Filter: flt, GroupBy: by.Name, Limit: limit})
			queries++
			if len(want) > 0 {
				nonEmpty++
			}
			if d := diffGroups(want, got); d != "" {
				t.Errorf("group by %s, accounts %v, limit %d, filter %s: store and filter.Group disagree\n%s", by.Name, accts, limit, raw, d)
				if failures++; failures == 5 {
					t.Fatal("stopping after 5 mismatches")
				}
			}
		}
	}
	t.Logf("%d of %d random group queries found values", nonEmpty, queries)
	if nonEmpty < queries/4 {
		t.Errorf("only %d of %d group queries found values; the generators no longer exercise grouping", nonEmpty, queries)
	}
}

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.IntN(len(xs))] }

// insightAttrs are the attributes insights group and filter by most: those
// of AWS's managed insights and their neighbours. A store may treat them
// apart, so the differential test draws more queries from them.
var insightAttrs = []string{
	"ProductArn", "AwsAccountId", "SeverityLabel", "WorkflowStatus", "RecordState", "ProductName", "CompanyName",
	"GeneratorId", "ComplianceStatus", "UpdatedAt", "CreatedAt", "Type", "ResourceId", "ResourceType",
}

// insightFilters returns random filters of up to three of insightAttrs,
// sometimes with one other attribute, drawn from filtertest's generator.
func insightFilters(r *rand.Rand) []byte {
	out := map[string]json.RawMessage{}
	want := 1 + r.IntN(3)
	for tries := 0; len(out) < want && tries < 200; tries++ {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(filtertest.RandomFilters(r, filtertest.Now), &m); err != nil {
			panic(err)
		}
		for name, v := range m {
			if slices.Contains(insightAttrs, name) && len(out) < want {
				out[name] = v
			}
		}
	}
	if r.IntN(3) == 0 {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(filtertest.RandomFilters(r, filtertest.Now), &m); err != nil {
			panic(err)
		}
		for name, v := range m {
			out[name] = v
			break
		}
	}
	b, err := json.Marshal(out)
	if err != nil {
		panic(err)
	}
	return b
}

// liveDoc is a finding whose grouped attributes are drawn from small
// pools, so that every write changes counts.
func liveDoc(r *rand.Rand, acct string, n int, updated time.Time) filter.Doc {
	var res []any
	for range 1 + r.IntN(3) {
		id := fmt.Sprintf("r-%d", r.IntN(8))
		if r.IntN(10) == 0 {
			id = pick(r, []string{"", " ", "\t"}) // blank: no result value
		}
		res = append(res, map[string]any{"Type": pick(r, []string{"AwsS3Bucket", "AwsEc2Instance", "AwsIamRole"}), "Id": id})
	}
	var types []any
	for range r.IntN(3) {
		types = append(types, pick(r, []string{"TTPs/Discovery", "Effects/Data Exposure", "Software and Configuration Checks/Vulnerabilities/CVE"}))
	}
	d := simpleDoc(acct, fmt.Sprintf("live-%d", n), stamp(updated), map[string]any{
		"Resources":   res,
		"Types":       types,
		"Severity":    map[string]any{"Label": pick(r, []string{"LOW", "MEDIUM", "HIGH", "CRITICAL"})},
		"Workflow":    map[string]any{"Status": pick(r, []string{"NEW", "NOTIFIED", "RESOLVED"})},
		"RecordState": pick(r, []string{"ACTIVE", "ACTIVE", "ARCHIVED"}),
		"ProductName": pick(r, []string{"GuardDuty", "Inspector", "Security Hub", ""}),
		"GeneratorId": pick(r, []string{"g-1", "g-2"}),
		"Compliance":  map[string]any{"Status": pick(r, []string{"PASSED", "FAILED"})},
		"CreatedAt":   stamp(updated.Add(-time.Duration(r.IntN(10)) * 24 * time.Hour)),
		"Title":       pick(r, []string{"alpha", "beta", " "}),
	})
	if r.IntN(5) == 0 {
		delete(d, "Types")
	}
	return d
}

// testGroupLive checks that GroupFindings follows every kind of write:
// imports, re-imports that change the grouped attributes, UpdateFindings
// and DeleteExpired, with grouping running before, between and during
// them.
func testGroupLive(t *testing.T, s muster.Store) {
	ctx := context.Background()
	const acct, acct2 = "111111111111", "222222222222"
	r := rand.New(rand.NewPCG(21, 23))
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	filters := []string{
		`{}`,
		`{"RecordState":[{"Value":"ACTIVE","Comparison":"EQUALS"}],"WorkflowStatus":[{"Value":"NEW","Comparison":"EQUALS"},{"Value":"NOTIFIED","Comparison":"EQUALS"}]}`,
		`{"ResourceType":[{"Value":"AwsS3Bucket","Comparison":"EQUALS"}],"Type":[{"Value":"TTPs","Comparison":"PREFIX"}]}`,
		`{"UpdatedAt":[{"DateRange":{"Value":5,"Unit":"DAYS"}}],"ComplianceStatus":[{"Value":"FAILED","Comparison":"EQUALS"}]}`,
		`{"CreatedAt":[{"DateRange":{"Value":3,"Unit":"DAYS"}}],"Title":[{"Value":"al","Comparison":"PREFIX"}]}`,
		`{"ResourceId":[{"Value":"r-1","Comparison":"NOT_EQUALS"}],"SeverityLabel":[{"Value":"LOW","Comparison":"NOT_EQUALS"}]}`,
	}
	attrs := []string{"ResourceId", "ResourceType", "Type", "SeverityLabel", "ProductName", "WorkflowStatus", "GeneratorId", "Title", "AwsAccountId"}
	check := func(stage string) {
		t.Helper()
		var fs []*muster.Finding
		for _, f := range all(t, s, acct, acct2) {
			fs = append(fs, f)
		}
		for _, raw := range filters {
			flt, err := filter.Parse([]byte(raw), now)
			if err != nil {
				t.Fatal(err)
			}
			for _, name := range attrs {
				by := filter.LookupField(name)
				for _, accts := range [][]string{{acct}, {acct, acct2}} {
					want := expectGroups(fs, accts, flt, by, 0)
					got := groups(t, s, muster.GroupQuery{Region: region, Accounts: accts, Filter: flt, GroupBy: name})
					if d := diffGroups(want, got); d != "" {
						t.Fatalf("%s: group by %s of %v, filter %s:\n%s", stage, name, accts, raw, d)
					}
				}
			}
		}
	}
	check("empty store")
	upd := func(n int) time.Time { return now.Add(-time.Duration(n%10) * 24 * time.Hour) }
	var batch []*muster.Finding
	for n := range 120 {
		a := acct
		if n%4 == 0 {
			a = acct2
		}
		batch = append(batch, at(NewFinding(region, liveDoc(r, a, n, upd(n))), now))
	}
	upsert(t, s, replace, batch...)
	check("after import")

	// Re-imports with other resources, types and states.
	batch = nil
	for n := 0; n < 120; n += 3 {
		a := acct
		if n%4 == 0 {
			a = acct2
		}
		batch = append(batch, at(NewFinding(region, liveDoc(r, a, n, upd(n).Add(time.Hour))), now))
	}
	upsert(t, s, replace, batch...)
	check("after re-import")

	// Triage changes severity, types and workflow.
	var keys []muster.FindingKey
	pa := "arn:aws:securityhub:us-east-1:" + acct + ":product/" + acct + "/default"
	for n := 1; n < 120; n += 5 {
		if n%4 != 0 {
			keys = append(keys, muster.FindingKey{Account: acct, ProductARN: pa, ID: fmt.Sprintf("live-%d", n)})
		}
	}
	res, err := s.UpdateFindings(ctx, region, keys, edit(now, 0, func(d filter.Doc) {
		d["Severity"] = map[string]any{"Label": "INFORMATIONAL"}
		d["Types"] = []any{"Unusual Behaviors/User"}
		d["Workflow"] = map[string]any{"Status": "SUPPRESSED"}
	}))
	if err != nil {
		t.Fatalf("UpdateFindings: %v", err)
	}
	for i, x := range res {
		if x != muster.Updated {
			t.Fatalf("UpdateFindings of %v: %v", keys[i], x)
		}
	}
	check("after UpdateFindings")

	// Old findings age out.
	var old []*muster.Finding
	for n := 200; n < 230; n++ {
		old = append(old, at(NewFinding(region, liveDoc(r, acct, n, now.AddDate(0, 0, -200))), now.AddDate(0, 0, -200)))
	}
	upsert(t, s, replace, old...)
	check("with old findings")
	deleted := 0
	for {
		n, err := s.DeleteExpired(ctx, muster.RetentionQuery{ActiveBefore: now.AddDate(0, 0, -90), ArchivedBefore: now.AddDate(0, 0, -90), Limit: 7})
		if err != nil {
			t.Fatalf("DeleteExpired: %v", err)
		}
		if n == 0 {
			break
		}
		deleted += n
	}
	if deleted != len(old) {
		t.Fatalf("DeleteExpired deleted %d, want %d", deleted, len(old))
	}
	check("after DeleteExpired")

	// Grouping while imports run, then the end state.
	var wg sync.WaitGroup
	wg.Go(func() {
		rr := rand.New(rand.NewPCG(31, 37))
		for n := 300; n < 500; n += 20 {
			var b []*muster.Finding
			for i := n; i < n+20; i++ {
				b = append(b, at(NewFinding(region, liveDoc(rr, acct, i, upd(i))), now))
			}
			if _, err := s.UpsertFindings(ctx, b, replace); err != nil {
				t.Errorf("UpsertFindings: %v", err)
				return
			}
		}
	})
	for range 20 {
		if _, err := s.GroupFindings(ctx, muster.GroupQuery{Region: region, Accounts: []string{acct}, GroupBy: "ResourceId"}); err != nil {
			t.Fatalf("GroupFindings during imports: %v", err)
		}
	}
	wg.Wait()
	check("after concurrent imports")
	js, _ := json.Marshal(groups(t, s, muster.GroupQuery{Region: region, Accounts: []string{acct}, GroupBy: "SeverityLabel", Limit: 2}))
	t.Logf("top severities: %s", js)
}
