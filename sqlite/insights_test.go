package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/asff"
	"github.com/muster-hub/muster/filter"
	"github.com/muster-hub/muster/filter/filtertest"
	"github.com/muster-hub/muster/storetest"
)

// groupCorpus imports n random findings of three accounts into db and
// returns their documents by account.
func groupCorpus(t *testing.T, db *DB, seed uint64, n int) map[string][]filter.Doc {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed+1))
	byKey := map[muster.FindingKey]*muster.Finding{}
	var batch []*muster.Finding
	for i := range n {
		d := filtertest.RandomMessyDoc(r)
		d["Id"] = fmt.Sprintf("g-%d", i)
		d["AwsAccountId"] = []string{"111111111111", "222222222222", "333333333333"}[i%3]
		d["ProductArn"] = "arn:aws:securityhub:us-east-1::product/aws/guardduty"
		f := storetest.NewFinding("us-east-1", d)
		byKey[f.FindingKey] = f
		batch = append(batch, f)
	}
	if _, err := db.UpsertFindings(context.Background(), batch, keepIncoming); err != nil {
		t.Fatal(err)
	}
	out := map[string][]filter.Doc{}
	for _, f := range byKey {
		out[f.Account] = append(out[f.Account], storetest.Fields(f))
	}
	return out
}

// checkGroups compares GroupFindings with filter.Group for the attributes
// the index holds and one it does not, under a few filters.
func checkGroups(t *testing.T, db *DB, docs map[string][]filter.Doc, stage string) {
	t.Helper()
	for _, raw := range []string{
		`{}`,
		`{"RecordState":[{"Value":"ACTIVE","Comparison":"EQUALS"}],"WorkflowStatus":[{"Value":"NEW","Comparison":"EQUALS"},{"Value":"NOTIFIED","Comparison":"EQUALS"}]}`,
		`{"Type":[{"Value":"TTPs","Comparison":"PREFIX"}],"CreatedAt":[{"DateRange":{"Value":30,"Unit":"DAYS"}}]}`,
		`{"Title":[{"Value":"S3","Comparison":"PREFIX"}],"ResourceType":[{"Value":"Other","Comparison":"NOT_EQUALS"}]}`,
	} {
		flt, err := filter.Parse([]byte(raw), filtertest.Now)
		if err != nil {
			t.Fatal(err)
		}
		for _, by := range []string{"ResourceId", "ResourceType", "Type", "SeverityLabel", "ProductName", "CompanyName", "GeneratorId", "ComplianceStatus", "AwsAccountId", "Title"} {
			for _, accts := range [][]string{{"111111111111"}, {"111111111111", "333333333333"}} {
				var all []filter.Doc
				for _, a := range accts {
					all = append(all, docs[a]...)
				}
				want := filter.Group(all, flt, filter.LookupField(by), 0)
				got, err := db.GroupFindings(context.Background(), muster.GroupQuery{Region: "us-east-1", Accounts: accts, Filter: flt, GroupBy: by})
				if err != nil {
					t.Fatalf("%s: GroupFindings: %v", stage, err)
				}
				if !(len(got) == 0 && len(want) == 0) && !slices.Equal(got, want) {
					t.Fatalf("%s: group by %s of %v with %s:\nwant %v\n got %v", stage, by, accts, raw, want, got)
				}
			}
		}
	}
}

// TestGroupIndexRebuild checks the index built from a store it did not
// see being written: after a reopen of re-imported findings, with groupvals values missing (read
// from the documents instead), and after migrations 0005 and 0009 filled
// them for findings stored before the first.
func TestGroupIndexRebuild(t *testing.T) {
	path := filepath.Join(t.TempDir(), "muster.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	docs := groupCorpus(t, db, 3, 400)
	checkGroups(t, db, docs, "live")
	// The same Ids again with other values: the stages below build the
	// index from what the re-imports stored.
	docs = groupCorpus(t, db, 4, 400)
	checkGroups(t, db, docs, "re-imported")
	reopen := func(stage string, sqls ...string) {
		t.Helper()
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if len(sqls) > 0 {
			raw, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, q := range sqls {
				if _, err := raw.w.conn.ExecContext(context.Background(), q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if err := raw.Close(); err != nil {
				t.Fatal(err)
			}
		}
		if db, err = Open(path); err != nil {
			t.Fatal(err)
		}
		checkGroups(t, db, docs, stage)
	}
	reopen("reopened")
	reopen("values missing", `UPDATE findings SET groupvals = NULL WHERE rid % 3 = 0`)
	var n int
	if err := db.rdb.QueryRow(`SELECT count(*) FROM findings WHERE groupvals IS NOT NULL`).Scan(&n); err != nil || n >= 400 {
		t.Fatalf("%d findings have groupvals, %v; the previous stage cleared some", n, err)
	}
	// As the store was before 0005: no groupvals and no insights.
	reopen("migrated", `ALTER TABLE findings DROP COLUMN groupvals`, `DROP TABLE insights`,
		`DELETE FROM schema_migrations WHERE name LIKE '%0005_insights.sql' OR name LIKE '%0009_groupvals_column.sql'`)
	// The migrations wrote what the writer would have.
	rows, err := db.rdb.Query(`SELECT f.groupvals, d.doc FROM findings f JOIN docs d ON d.rid = f.rid`)
	if err != nil {
		t.Fatal(err)
	}
	n = 0
	for rows.Next() {
		var v, doc []byte
		if err := rows.Scan(&v, &doc); err != nil {
			t.Fatal(err)
		}
		h, _, err := columnValues(doc)
		if err != nil {
			t.Fatal(err)
		}
		if string(h.groups) != string(v) {
			t.Fatalf("migrated groupvals value differs from the writer's for %s", doc)
		}
		n++
	}
	rows.Close()
	if n != 400 {
		t.Errorf("migration filled %d groupvals values, want 400", n)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestGroupIndexBroken checks that an event the index cannot apply makes
// the next query rebuild it from the store instead of counting wrong.
func TestGroupIndexBroken(t *testing.T) {
	db := openTemp(t)
	defer db.Close()
	docs := groupCorpus(t, db, 5, 200)
	checkGroups(t, db, docs, "live")
	db.groups.publish([]groupEvent{{rid: 1, version: 1 << 60, sid: 1, hot: hot{groups: []byte{0xff}}}})
	q := muster.GroupQuery{Region: "us-east-1", Accounts: []string{"111111111111"}, GroupBy: "ResourceId"}
	if _, err := db.GroupFindings(context.Background(), q); err == nil {
		t.Fatal("GroupFindings counted with an event it could not apply")
	}
	checkGroups(t, db, docs, "rebuilt")
}

// TestGroupValsRoundTrip checks that decodeGroupVals reads back what
// encodeGroupVals wrote, and that it reads each attribute as
// filter.Field.Strings does.
func TestGroupValsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 9))
	for range 2000 {
		b, _ := json.Marshal(filtertest.RandomMessyDoc(r))
		var d filter.Doc
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		h, _, err := columnValues(b)
		if err != nil {
			t.Fatal(err)
		}
		gv, err := decodeGroupVals(h.groups)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		single := func(path string, i int) {
			vals := filter.LookupField(pathName[path]).Strings(d)
			got := []string{}
			if gv.has[i] {
				got = []string{gv.single[i]}
			}
			if len(got) != len(vals) || len(got) == 1 && got[0] != vals[0] {
				t.Fatalf("%s: got %q, want %q in %s", path, got, vals, b)
			}
		}
		single("ProductName", 0)
		single("CompanyName", 1)
		single("GeneratorId", 2)
		single("Compliance.Status", 3)
		for i, path := range []string{"Types[]", "Resources[].Id", "Resources[].Type"} {
			var want []string
			for _, v := range filter.LookupField(pathName[path]).Strings(d) {
				if !slices.Contains(want, v) {
					want = append(want, v)
				}
			}
			if !slices.Equal(gv.multi[i], want) {
				t.Fatalf("%s: got %q, want %q in %s", path, gv.multi[i], want, b)
			}
		}
		want := int64(noDate)
		if s, ok := d["CreatedAt"].(string); ok {
			if tm, err := asff.ParseTime(s); err == nil {
				want = tm.UnixMilli()
			}
		}
		if gv.created != want {
			t.Fatalf("CreatedAt: got %d, want %d in %s", gv.created, want, b)
		}
		if again := gv.encode(); string(again) != string(h.groups) {
			t.Fatal("encode(decode(x)) != x")
		}
	}
	if _, err := decodeGroupVals([]byte{groupValsFormat, 5, 'a'}); err == nil {
		t.Error("a truncated row decoded")
	}
}

// pathName names the filter field of each indexed path.
var pathName = map[string]string{
	"ProductName": "ProductName", "CompanyName": "CompanyName", "GeneratorId": "GeneratorId",
	"Compliance.Status": "ComplianceStatus", "Types[]": "Type", "Resources[].Id": "ResourceId", "Resources[].Type": "ResourceType",
}

// TestGroupFieldsMatchFilter keeps groupFields in step with filter.Fields.
func TestGroupFieldsMatchFilter(t *testing.T) {
	for path, spec := range groupFields {
		var fl *filter.Field
		for i := range filter.Fields {
			if filter.Fields[i].Path == path {
				fl = &filter.Fields[i]
			}
		}
		if fl == nil {
			t.Errorf("%s is no filter field's path", path)
			continue
		}
		if want := fl.Type == filter.Date; want != (spec.kind == gDate) {
			t.Errorf("%s: kind %d for a %v field", path, spec.kind, fl.Type)
		}
		if fl.Multi != (spec.kind == gMulti) {
			t.Errorf("%s: kind %d, Multi %v", path, spec.kind, fl.Multi)
		}
	}
}

// BenchmarkGroupFindings measures GetInsightResults' store call on
// 100,000 findings (override with MUSTER_BENCH_ROWS) for the attributes
// of the speed goal, with no filter and with the managed insights'
// RecordState and WorkflowStatus filter, and reports the 95th percentile.
// The index is built before the timing, and its build time logged.
func BenchmarkGroupFindings(b *testing.B) {
	rows := 100_000
	if s := os.Getenv("MUSTER_BENCH_ROWS"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	db := benchDB(b, rows)
	ctx := context.Background()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	if err := db.groups.ensure(ctx); err != nil {
		b.Fatal(err)
	}
	built := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	b.Logf("group index of %d findings built in %v, %d MiB of heap", rows, built, (int64(after.HeapAlloc)-int64(before.HeapAlloc))>>20)
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	filters := []struct{ name, filter string }{
		{"None", `{}`},
		{"Active+New", `{"RecordState":[{"Value":"ACTIVE","Comparison":"EQUALS"}],"WorkflowStatus":[{"Value":"NEW","Comparison":"EQUALS"},{"Value":"NOTIFIED","Comparison":"EQUALS"}]}`},
		{"S3+Type^", `{"ResourceType":[{"Value":"AwsS3Bucket","Comparison":"EQUALS"}],"Type":[{"Value":"Software and Configuration Checks/Industry","Comparison":"PREFIX"}],"RecordState":[{"Value":"ACTIVE","Comparison":"EQUALS"}]}`},
	}
	for _, by := range []string{"ResourceId", "ProductName", "SeverityLabel", "Type"} {
		for _, f := range filters {
			flt, err := filter.Parse([]byte(f.filter), now)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(by+"/"+f.name, func(b *testing.B) {
				q := muster.GroupQuery{Region: "us-east-1", Accounts: []string{benchAccount}, Filter: flt, GroupBy: by, Limit: filter.GroupLimit}
				lat := make([]time.Duration, 0, b.N)
				var got []muster.GroupCount
				for b.Loop() {
					t0 := time.Now()
					var err error
					if got, err = db.GroupFindings(ctx, q); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
				}
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
				b.ReportMetric(float64(len(got)), "values")
				var top int64
				if len(got) > 0 {
					top = got[0].Count
				}
				b.ReportMetric(float64(top), "top-count")
			})
		}
	}
}
