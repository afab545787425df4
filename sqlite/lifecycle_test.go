package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/asff"
	"github.com/muster-hub/muster/filter"
	"github.com/muster-hub/muster/storetest"
)

// plan returns the EXPLAIN QUERY PLAN of q as one line per step.
func plan(t *testing.T, db *DB, q string, args ...any) string {
	t.Helper()
	rows, err := db.rdb.Query("EXPLAIN QUERY PLAN "+q, args...)
	if err != nil {
		t.Fatalf("EXPLAIN QUERY PLAN %s: %v", q, err)
	}
	defer rows.Close()
	var steps []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		steps = append(steps, detail)
	}
	return strings.Join(steps, "\n")
}

func withHistory(_, in *muster.Finding) (*muster.Change, error) {
	return &muster.Change{Finding: in, Meter: true, History: &muster.HistoryRecord{
		UpdateTime: in.ProcessedAt, SourceType: muster.SourceImport, SourceIdentity: in.ProductARN,
	}}, nil
}

// TestLifecyclePlans holds the lifecycle statements to index lookups: the
// retention job must never scan the findings table, however many
// findings there are, a finding's history is a walk of lookups by seq,
// and a request reads and checks its findings with one seek per key.
func TestLifecyclePlans(t *testing.T) {
	db := openTemp(t)
	defer db.Close()
	g := newBenchGen(2000)
	var fs []*muster.Finding
	for i := range 2000 {
		fs = append(fs, g.finding(i))
	}
	if _, err := db.UpsertFindings(context.Background(), fs, withHistory); err != nil {
		t.Fatal(err)
	}
	if err := db.w.do(context.Background(), 0, func(ctx context.Context, c *sql.Conn) error {
		_, err := c.ExecContext(ctx, "ANALYZE")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	r := newRequest(2)
	for _, id := range []string{"a", "b"} {
		r.add(scopeKey{"us-east-1", "1"}, muster.FindingKey{Account: "1", ProductARN: "p", ID: id})
	}
	readQ, readArgs := r.keysQuery([]int{0, 1}, 1, readCols, baseJoin)
	curQ, curArgs := r.keysQuery([]int{0, 1}, 1, curCols, "")
	for _, c := range []struct {
		name, q string
		args    []any
		want    string
	}{
		{"expired", expiredQuery, []any{1, 5, 500}, "SEARCH findings USING INDEX findings_retain (<expr>=? AND retain_at<?)"},
		{"delete history", fmt.Sprintf(deleteChains, "(?,?)"), []any{1, 2}, strings.Join([]string{
			"SEARCH history USING INTEGER PRIMARY KEY (rowid=?)",
			"LIST SUBQUERY 3",
			"MATERIALIZE chain",
			"SETUP",
			"SEARCH findings USING INTEGER PRIMARY KEY (rowid=?)",
			"RECURSIVE STEP",
			"SCAN c",
			"SEARCH h USING INTEGER PRIMARY KEY (rowid=?)",
			"SCAN chain",
		}, "\n")},
		{"delete attrs", "DELETE FROM attrs WHERE rid IN (?,?)", []any{1, 2}, "SEARCH attrs USING PRIMARY KEY (rid=?)"},
		{"delete docs", "DELETE FROM docs WHERE rid IN (?,?)", []any{1, 2}, "SEARCH docs USING INTEGER PRIMARY KEY (rowid=?)"},
		{"delete findings", "DELETE FROM findings WHERE rid IN (?,?)", []any{1, 2}, "SEARCH findings USING INTEGER PRIMARY KEY (rowid=?)"},
		{"history head", historyHead, []any{1, keyHash("p", "i"), "p", "i"}, "SEARCH findings USING INDEX findings_kh (sid=? AND kh=?)"},
		{"history from", historyFrom, []any{1}, "SEARCH history USING INTEGER PRIMARY KEY (rowid=?)"},
		{"history step", historyStep, []any{1}, "SEARCH history USING INTEGER PRIMARY KEY (rowid=?)"},
		{"read findings", readQ, readArgs, "SCAN 2-ROW VALUES CLAUSE\nSEARCH f USING INDEX findings_kh (sid=? AND kh=?)\nSEARCH d USING INTEGER PRIMARY KEY (rowid=?) LEFT-JOIN"},
		{"current versions", curQ, curArgs, "SCAN 2-ROW VALUES CLAUSE\nSEARCH f USING INDEX findings_kh (sid=? AND kh=?)"},
	} {
		got := plan(t, db, c.q, c.args...)
		if got != c.want {
			t.Errorf("%s: plan\n%s\nwant\n%s", c.name, got, c.want)
		}
		if scansTable(got) || strings.Contains(got, "TEMP B-TREE") {
			t.Errorf("%s: plan scans or sorts:\n%s", c.name, got)
		}
	}
}

// scansTable reports whether a plan scans a table or an index rather than
// a VALUES list or a CTE's rows.
func scansTable(plan string) bool {
	for _, l := range strings.Split(plan, "\n") {
		if t, ok := strings.CutPrefix(l, "SCAN "); ok && !strings.Contains(t, "VALUES CLAUSE") && t != "c" && t != "chain" {
			return true
		}
	}
	return false
}

// TestMigrateLifecycle opens a database that 0001 made and filled: 0002
// must backfill the retention clock so that old findings age out.
func TestMigrateLifecycle(t *testing.T) {
	path := filepath.Join(t.TempDir(), "muster.db")
	raw := sql.OpenDB(&connector{path: path, cfg: &config{busyTimeout: time.Second, cacheKiB: 1024}, write: true})
	body, err := fs.ReadFile(migrations, "migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	updated := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	processed := time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC)
	for _, q := range []string{
		`CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`,
		string(body),
		`INSERT INTO schema_migrations VALUES ('migrations/0001_init.sql', 0)`,
		`INSERT INTO scopes (sid, region, account) VALUES (1, 'us-east-1', '1')`,
		fmt.Sprintf(`INSERT INTO findings (rid, sid, account, product_arn, id, updated_at, record_state, processed_at)
			VALUES (1, 1, '1', 'p', 'old', %d, 'ACTIVE', %d), (2, 1, '1', 'p', 'no-updated', NULL, NULL, %d),
			(3, 1, '1', 'p', 'future', %d, 'ARCHIVED', %d)`,
			updated.UnixMilli(), processed.UnixNano(), processed.UnixNano(), processed.AddDate(1, 0, 0).UnixMilli(), processed.UnixNano()),
		`INSERT INTO docs (rid, doc) VALUES (1, '{"Id":"old"}'), (2, '{"Id":"no-updated"}'), (3, '{"Id":"future"}')`,
		`INSERT INTO attrs (rid, field, value) VALUES (1, 1, 'r-old')`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	raw.Close()

	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := map[string]int64{"old": processed.UnixMilli(), "no-updated": processed.UnixMilli(), "future": processed.AddDate(1, 0, 0).UnixMilli()}
	rows, err := db.rdb.Query(`SELECT id, retain_at, customized FROM findings`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var (
			id             string
			retain, custom int64
		)
		if err := rows.Scan(&id, &retain, &custom); err != nil {
			t.Fatal(err)
		}
		if retain != want[id] || custom != 0 {
			t.Errorf("%s: retain_at %d, customized %d; want %d, 0", id, retain, custom, want[id])
		}
	}
	rows.Close()
	fs, err := db.QueryFindings(context.Background(), muster.FindingQuery{Region: "us-east-1", Accounts: []string{"1"}})
	if err != nil || len(fs) != 3 {
		t.Fatalf("QueryFindings: %d, %v", len(fs), err)
	}
	n, err := db.DeleteExpired(context.Background(), muster.RetentionQuery{ActiveBefore: processed.AddDate(0, 0, 1), ArchivedBefore: processed.AddDate(0, 0, 1), Limit: 10})
	if err != nil || n != 2 {
		t.Fatalf("DeleteExpired: %d, %v; want 2", n, err)
	}
	var attrs int
	if err := db.rdb.QueryRow(`SELECT count(*) FROM attrs`).Scan(&attrs); err != nil || attrs != 0 {
		t.Errorf("attrs left: %d, %v", attrs, err)
	}
}

// TestHistorySeq checks that seq increases across findings and across a
// reopen, where the counter resumes from its saved high-water mark.
func TestHistorySeq(t *testing.T) {
	path := filepath.Join(t.TempDir(), "muster.db")
	ctx := context.Background()
	last := int64(0)
	for round := range 3 {
		db, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 3 {
			// The same finding every round, and a new one.
			for _, id := range []string{"same", fmt.Sprintf("new-%d-%d", round, i)} {
				f := storetest.NewFinding("us-east-1", filter.Doc{"Id": id, "ProductArn": "p", "AwsAccountId": "1", "UpdatedAt": "2025-01-01T00:00:00Z"})
				if _, err := db.UpsertFindings(ctx, []*muster.Finding{f}, withHistory); err != nil {
					t.Fatal(err)
				}
				rs, err := db.FindingHistory(ctx, muster.HistoryQuery{Region: "us-east-1", Key: f.FindingKey, Limit: 1})
				if err != nil || len(rs) != 1 {
					t.Fatalf("FindingHistory: %v, %v", rs, err)
				}
				if rs[0].Seq <= last {
					t.Fatalf("round %d, %s: seq %d after %d", round, id, rs[0].Seq, last)
				}
				last = rs[0].Seq
			}
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDeleteExpiredDefaults: a zero cutoff expires nothing of its kind,
// and a Limit ≤ 0 deletes a default batch rather than everything.
func TestDeleteExpiredDefaults(t *testing.T) {
	db := openTemp(t)
	defer db.Close()
	ctx := context.Background()
	old := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var fs []*muster.Finding
	for i := range defaultExpireLimit + 10 {
		state := "ACTIVE"
		if i%2 == 0 {
			state = "ARCHIVED"
		}
		f := storetest.NewFinding("us-east-1", filter.Doc{"Id": fmt.Sprint(i), "ProductArn": "p", "AwsAccountId": "1", "UpdatedAt": "2024-01-01T00:00:00Z", "RecordState": state})
		f.ProcessedAt = old
		fs = append(fs, f)
	}
	if _, err := db.UpsertFindings(ctx, fs, keepIncoming); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if n, err := db.DeleteExpired(ctx, muster.RetentionQuery{Limit: 1000}); err != nil || n != 0 {
		t.Errorf("no cutoffs: deleted %d, %v", n, err)
	}
	if n, err := db.DeleteExpired(ctx, muster.RetentionQuery{ArchivedBefore: now, Limit: 1000}); err != nil || n != len(fs)/2 {
		t.Errorf("archived only: deleted %d, %v; want %d", n, err, len(fs)/2)
	}
	if n, err := db.DeleteExpired(ctx, muster.RetentionQuery{ActiveBefore: now}); err != nil || n != defaultExpireLimit/2+5 {
		t.Errorf("no Limit: deleted %d, %v; want %d", n, err, defaultExpireLimit/2+5)
	}
}

// TestHistoryEncoding holds the hand-written encoder to encoding/json:
// whatever the strings, a record decodes as encoding/json would have
// encoded it.
func TestHistoryEncoding(t *testing.T) {
	strs := []string{"", "plain", `q"uote`, `back\slash`, "ctl\x00\x01\x1f\n\r\t", "<html>&", "ünï©ødé ✓ 😀", "bad\xff\xfeutf8", "\u2028\u2029", "/"}
	for i, s := range strs {
		for _, typ := range []string{muster.SourceImport, muster.SourceUpdate, "", s} {
			r := &muster.HistoryRecord{Created: i%2 == 0, SourceType: typ, SourceIdentity: s,
				Updates: []asff.FieldUpdate{{Field: s, Old: strs[(i+1)%len(strs)], New: strs[(i+2)%len(strs)]}, {Field: "F", Old: "", New: s}}}
			if i%3 == 0 {
				r.Updates = nil
			}
			b := encodeHistory(r)
			if !json.Valid(b) {
				t.Fatalf("invalid JSON for %+v: %s", r, b)
			}
			var got muster.HistoryRecord
			if err := decodeHistory(b, &got); err != nil {
				t.Fatal(err)
			}
			// The reference: the same record through encoding/json.
			h := histRec{Created: r.Created, Identity: r.SourceIdentity, Type: r.SourceType}
			for _, u := range r.Updates {
				h.Updates = append(h.Updates, [3]string{u.Field, u.Old, u.New})
			}
			ref, _ := json.Marshal(h)
			var want histRec
			json.Unmarshal(ref, &want)
			if got.Created != want.Created || got.SourceIdentity != want.Identity || got.SourceType != want.Type || len(got.Updates) != len(want.Updates) {
				t.Fatalf("round trip of %+v: got %+v from %s", r, got, b)
			}
			for j, u := range got.Updates {
				if [3]string{u.Field, u.Old, u.New} != want.Updates[j] {
					t.Fatalf("round trip of update %d of %+v: got %+v", j, r, u)
				}
			}
		}
	}
}

// TestReplan holds the writer to deciding again the keys that changed
// after a request read them: written by an earlier transaction, by a
// request earlier in the same group, or created since they were read as
// absent (or planned as new without reading). The calls run again for
// those keys only.
func TestReplan(t *testing.T) {
	db := openTemp(t)
	defer db.Close()
	ctx := context.Background()
	const rgn, acct = "us-east-1", "1"
	doc := func(id, updated string, n float64) *muster.Finding {
		return storetest.NewFinding(rgn, filter.Doc{"Id": id, "ProductArn": "p", "AwsAccountId": acct, "UpdatedAt": updated, "Count": n})
	}
	count := func(id string) float64 {
		var b []byte
		if err := db.rdb.QueryRow(`SELECT d.doc FROM findings f JOIN docs d ON d.rid = f.rid WHERE f.id = ?`, id).Scan(&b); err != nil {
			t.Fatal(err)
		}
		return storetest.Fields(&muster.Finding{Doc: b})["Count"].(float64)
	}
	if _, err := db.UpsertFindings(ctx, []*muster.Finding{doc("a", "2025-01-01T00:00:00Z", 0), doc("b", "2025-01-01T00:00:00Z", 0)}, keepIncoming); err != nil {
		t.Fatal(err)
	}
	calls := map[string]int{}
	inc := func(stored *muster.Finding) (*muster.Change, error) {
		calls[stored.ID]++
		f := doc(stored.ID, "2025-01-01T00:00:00Z", storetest.Fields(stored)["Count"].(float64)+1)
		return &muster.Change{Finding: f, History: &muster.HistoryRecord{SourceType: muster.SourceUpdate}}, nil
	}
	planned := func(ids ...string) *request {
		r := newRequest(len(ids))
		for _, id := range ids {
			r.add(scopeKey{rgn, acct}, muster.FindingKey{Account: acct, ProductARN: "p", ID: id})
		}
		r.update = true
		r.call = func(_ int, stored *muster.Finding) (*muster.Change, error) { return inc(stored) }
		db.planAhead(ctx, r)
		if r.bases == nil {
			t.Fatal("request not planned")
		}
		return r
	}
	// run executes requests in one group, as doPlanned does one, so that
	// the writer checks them against its version log.
	run := func(rs ...*request) {
		t.Helper()
		if err := db.w.send(&writeReq{ctx: ctx, n: len(rs), planned: true, err: make(chan error, 1), fn: func(ctx context.Context, _ *sql.Conn) error {
			for _, r := range rs {
				if err := db.w.execute(ctx, r, make([]muster.UpsertResult, len(r.items))); err != nil {
					return err
				}
			}
			return nil
		}}); err != nil {
			t.Fatal(err)
		}
	}
	// fromLog reports whether the writer would check r against its log
	// alone, without reading its keys again.
	fromLog := func(r *request) bool {
		t.Helper()
		var ok bool
		if err := db.w.send(&writeReq{ctx: ctx, planned: true, err: make(chan error, 1), fn: func(ctx context.Context, _ *sql.Conn) (err error) {
			_, ok, err = db.w.logged(ctx, r)
			return err
		}}); err != nil {
			t.Fatal(err)
		}
		return ok
	}

	// Written by an earlier transaction: a is decided again, b is not.
	r := planned("a", "b")
	if !fromLog(r) {
		t.Error("nothing written since the read: not checked against the log")
	}
	run(planned("a"))
	if fromLog(r) {
		t.Error("a written since the read: checked against the log")
	}
	clear(calls)
	run(r)
	if count("a") != 2 || count("b") != 1 || calls["a"] != 1 || calls["b"] != 0 {
		t.Errorf("after an earlier write: a = %v, b = %v, calls %v; want 2, 1, a called again", count("a"), count("b"), calls)
	}
	// Written earlier in the same group, a key given twice.
	r1, r2 := planned("a"), planned("b", "a", "a")
	clear(calls)
	run(r1, r2)
	if count("a") != 5 || count("b") != 2 || calls["a"] != 2 || calls["b"] != 0 {
		t.Errorf("after a write in the same group: a = %v, b = %v, calls %v; want 5, 2, a called twice", count("a"), count("b"), calls)
	}
	if rs, err := db.FindingHistory(ctx, muster.HistoryQuery{Region: rgn, Key: muster.FindingKey{Account: acct, ProductARN: "p", ID: "a"}}); err != nil || len(rs) != 5 {
		t.Errorf("history of a: %d records, %v; want 5", len(rs), err)
	}

	// Written since the read, then forgotten when the log started over
	// (here at two entries): a is decided again.
	r = planned("a")
	run(planned("a"))
	db.w.log.max = 2 // the writer is idle, and send orders this before its next request
	run(planned("b"), planned("b"), planned("a", "b"))
	db.w.log.max = maxLogged
	if fromLog(r) {
		t.Error("planned before the log started over: checked against the log")
	}
	clear(calls)
	run(r)
	if count("a") != 8 || calls["a"] != 1 {
		t.Errorf("after the log started over: a = %v, calls %v; want 8, a called again", count("a"), calls)
	}
	// Deleted by a request the log does not see (any but a planned one,
	// such as the retention job's): a is not found.
	r = planned("a", "b")
	if err := db.w.do(ctx, 1, func(ctx context.Context, c *sql.Conn) error {
		_, err := c.ExecContext(ctx, `DELETE FROM findings WHERE id = 'a'`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	clear(calls)
	got := make([]muster.UpsertResult, 2)
	if err := db.w.doPlanned(ctx, r, got, true); err != nil {
		t.Fatal(err)
	}
	if want := []muster.UpsertResult{muster.NotFound, muster.Updated}; !slices.Equal(got, want) || calls["a"] != 0 {
		t.Errorf("after a deletion outside the log: %v, calls %v; want %v, a not called", got, calls, want)
	}

	// Read as absent, created since: merged again with the stored one.
	merges := 0
	add := func(stored, in *muster.Finding) (*muster.Change, error) {
		merges++
		if stored == nil {
			return &muster.Change{Finding: in}, nil
		}
		f := doc(in.ID, "2025-01-02T00:00:00Z", storetest.Fields(stored)["Count"].(float64)+storetest.Fields(in)["Count"].(float64))
		return &muster.Change{Finding: f}, nil
	}
	c := doc("c", "2025-01-01T00:00:00Z", 1)
	ru := newRequest(1)
	ru.add(scopeKey{rgn, acct}, c.FindingKey)
	ru.call = func(_ int, stored *muster.Finding) (*muster.Change, error) { return add(stored, c) }
	db.planAhead(ctx, ru)
	if _, err := db.UpsertFindings(ctx, []*muster.Finding{doc("c", "2025-01-01T00:00:00Z", 10)}, add); err != nil {
		t.Fatal(err)
	}
	results := make([]muster.UpsertResult, 1)
	merges = 0
	if err := db.w.doPlanned(ctx, ru, results, false); err != nil {
		t.Fatal(err)
	}
	if count("c") != 11 || results[0] != muster.Updated || merges != 1 {
		t.Errorf("created since the read: c = %v, %v, %d merges; want 11, Updated, 1", count("c"), results[0], merges)
	}

	// After imports of new findings only, an import is planned as new
	// without reading; a key that is stored is merged in the writer.
	db.w.found.Store(0)
	c5 := doc("c", "2025-01-03T00:00:00Z", 5)
	rn := newRequest(1)
	rn.add(scopeKey{rgn, acct}, c5.FindingKey)
	rn.call = func(_ int, stored *muster.Finding) (*muster.Change, error) { return add(stored, c5) }
	db.planAhead(ctx, rn)
	if rn.bases == nil || rn.bases[0].rid != 0 {
		t.Fatal("not planned as new")
	}
	merges = 0
	if err := db.w.doPlanned(ctx, rn, results, false); err != nil {
		t.Fatal(err)
	}
	if count("c") != 16 || results[0] != muster.Updated || merges != 1 || db.w.found.Load() == 0 {
		t.Errorf("planned as new: c = %v, %v, %d merges, found %d; want 16, Updated, 1, > 0", count("c"), results[0], merges, db.w.found.Load())
	}
}

// TestMigrateHistoryChain opens a database that 0002 made and filled: 0003
// must chain each finding's records, newest first, point the finding at
// its newest, and leave a layout that new records append to and that
// DeleteExpired empties.
func TestMigrateHistoryChain(t *testing.T) {
	path := filepath.Join(t.TempDir(), "muster.db")
	raw := sql.OpenDB(&connector{path: path, cfg: &config{busyTimeout: time.Second, cacheKiB: 1024}, write: true})
	qs := []string{`CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`}
	for _, name := range []string{"migrations/0001_init.sql", "migrations/0002_lifecycle.sql"} {
		body, err := fs.ReadFile(migrations, name)
		if err != nil {
			t.Fatal(err)
		}
		qs = append(qs, string(body), fmt.Sprintf(`INSERT INTO schema_migrations VALUES ('%s', 0)`, name))
	}
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	rec := func(i int) string { return fmt.Sprintf(`'{"k":1,"i":"p","u":[["Title","%d","%d"]]}'`, i, i+1) }
	qs = append(qs,
		`INSERT INTO scopes (sid, region, account) VALUES (1, 'us-east-1', '1')`,
		fmt.Sprintf(`INSERT INTO findings (rid, sid, account, product_arn, id, updated_at, record_state, processed_at, retain_at)
			VALUES (1, 1, '1', 'p', 'a', %[1]d, 'ACTIVE', %[2]d, %[1]d), (2, 1, '1', 'p', 'b', %[1]d, 'ACTIVE', %[2]d, %[1]d),
			(3, 1, '1', 'p', 'none', %[1]d, 'ACTIVE', %[2]d, %[1]d)`, t0.UnixMilli(), t0.UnixNano()),
		`INSERT INTO docs (rid, doc) VALUES (1, '{"Id":"a"}'), (2, '{"Id":"b"}'), (3, '{"Id":"none"}')`,
		// a: seqs 1, 3, 4; b: 2, 5; seq 6 of a finding since deleted.
		fmt.Sprintf(`INSERT INTO history (rid, seq, update_time, rec) VALUES
			(1, 1, %d, '{"c":true,"k":1,"i":"p"}'), (2, 2, %d, '{"c":true,"k":1,"i":"p"}'), (1, 3, %d, %s), (1, 4, %d, %s), (2, 5, %d, %s), (9, 6, %d, %s)`,
			t0.UnixNano(), t0.UnixNano(), t0.Add(time.Hour).UnixNano(), rec(1), t0.Add(2*time.Hour).UnixNano(), rec(2),
			t0.Add(time.Hour).UnixNano(), rec(1), t0.UnixNano(), rec(9)),
		`UPDATE sequences SET value = 6 WHERE name = 'history'`,
	)
	for _, q := range qs {
		if _, err := raw.Exec(q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	raw.Close()

	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	key := func(id string) muster.FindingKey { return muster.FindingKey{Account: "1", ProductARN: "p", ID: id} }
	seqs := func(id string, q muster.HistoryQuery) []int64 {
		t.Helper()
		q.Region, q.Key = "us-east-1", key(id)
		rs, err := db.FindingHistory(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, r := range rs {
			out = append(out, r.Seq)
		}
		return out
	}
	for _, c := range []struct {
		id   string
		q    muster.HistoryQuery
		want []int64
	}{
		{"a", muster.HistoryQuery{}, []int64{4, 3, 1}},
		{"b", muster.HistoryQuery{}, []int64{5, 2}},
		{"none", muster.HistoryQuery{}, nil},
		{"a", muster.HistoryQuery{Before: 4}, []int64{3, 1}},
		{"a", muster.HistoryQuery{Before: 5}, []int64{4, 3, 1}}, // b's record: skips from 5 up
		{"a", muster.HistoryQuery{Before: 2}, []int64{1}},
		{"a", muster.HistoryQuery{Start: t0.Add(time.Hour)}, []int64{4, 3}},
		{"a", muster.HistoryQuery{End: t0.Add(time.Hour)}, []int64{3, 1}},
		{"a", muster.HistoryQuery{Limit: 1, Before: 4}, []int64{3}},
	} {
		if got := seqs(c.id, c.q); !slices.Equal(got, c.want) {
			t.Errorf("%s %+v: seqs %v, want %v", c.id, c.q, got, c.want)
		}
	}
	var orphans, version int64
	if err := db.rdb.QueryRow(`SELECT count(*) FROM history WHERE seq = 6`).Scan(&orphans); err != nil || orphans != 0 {
		t.Errorf("records of no finding: %d, %v", orphans, err)
	}
	if err := db.rdb.QueryRow(`SELECT max(version) FROM findings`).Scan(&version); err != nil || version != 0 {
		t.Errorf("versions: %d, %v", version, err)
	}
	// New records chain on; the seq counter goes on from its mark.
	f := storetest.NewFinding("us-east-1", filter.Doc{"Id": "a", "ProductArn": "p", "AwsAccountId": "1", "UpdatedAt": "2025-03-02T00:00:00Z"})
	if _, err := db.UpsertFindings(ctx, []*muster.Finding{f}, withHistory); err != nil {
		t.Fatal(err)
	}
	if got := seqs("a", muster.HistoryQuery{}); !slices.Equal(got, []int64{7, 4, 3, 1}) {
		t.Errorf("after a re-import: seqs %v", got)
	}
	// Retention deletes the chains with their findings.
	n, err := db.DeleteExpired(ctx, muster.RetentionQuery{ActiveBefore: time.Now().Add(time.Hour), Limit: 10})
	if err != nil || n != 3 {
		t.Fatalf("DeleteExpired: %d, %v; want 3", n, err)
	}
	var left int64
	if err := db.rdb.QueryRow(`SELECT count(*) FROM history`).Scan(&left); err != nil || left != 0 {
		t.Errorf("history left after DeleteExpired: %d, %v", left, err)
	}
}

// TestUrgentWrites holds the writer to running an urgent request (an
// UpdateFindings) before the requests that came before it, cutting short
// the group it is running, without starving the others.
func TestUrgentWrites(t *testing.T) {
	db := openTemp(t)
	defer db.Close()
	ctx := context.Background()
	var (
		mu    sync.Mutex
		order []string
	)
	hold := map[string]chan struct{}{"x": make(chan struct{}), "a": make(chan struct{})}
	running := make(chan string, 10)
	fn := func(name string) func(context.Context, *sql.Conn) error {
		return func(context.Context, *sql.Conn) error {
			mu.Lock()
			order = append(order, name)
			mu.Unlock()
			if h := hold[name]; h != nil {
				running <- name
				<-h
			}
			return nil
		}
	}
	var wg sync.WaitGroup
	// send sends a request while the writer is held, and returns once it
	// is queued.
	send := func(name string, urgent bool) {
		t.Helper()
		queued := len(db.w.reqs)
		wg.Go(func() {
			var err error
			if urgent {
				err = db.w.send(&writeReq{ctx: ctx, n: 100, fn: fn(name), urgent: true, err: make(chan error, 1)})
			} else {
				err = db.w.do(ctx, 100, fn(name))
			}
			if err != nil {
				t.Error(err)
			}
		})
		for len(db.w.reqs) == queued {
			time.Sleep(time.Millisecond)
		}
	}
	wg.Go(func() {
		if err := db.w.do(ctx, 100, fn("x")); err != nil {
			t.Error(err)
		}
	})
	<-running
	// x holds the writer; a, b and c queue behind it and form one group.
	send("a", false)
	send("b", false)
	send("c", false)
	close(hold["x"])
	<-running
	// a runs; u comes, and d behind it.
	send("u", true)
	send("d", false)
	close(hold["a"])
	wg.Wait()
	if want := []string{"x", "a", "u", "b", "c", "d"}; !slices.Equal(order, want) {
		t.Errorf("order %v, want %v", order, want)
	}

	// take: urgent requests alone, then the others before more urgent ones.
	w := &writer{db: &DB{cfg: config{maxBatch: 250}}}
	req := func(name string, urgent bool) *writeReq {
		return &writeReq{n: 100, urgent: urgent, scopes: []scopeKey{{name, name}}}
	}
	names := func(g []*writeReq) []string {
		var out []string
		for _, r := range g {
			out = append(out, r.scopes[0].region)
		}
		return out
	}
	w.queue = []*writeReq{req("i1", false), req("i2", false), req("u1", true), req("i3", false), req("u2", true)}
	for _, step := range []struct {
		add  string // an urgent request that comes before the take
		want []string
	}{
		{"", []string{"u1", "u2"}},
		{"", []string{"i1", "i2"}}, // up to maxBatch
		{"u3", []string{"u3"}},
		{"u4", []string{"i3"}}, // the others first after an urgent group
		{"", []string{"u4"}},
	} {
		if step.add != "" {
			w.queue = append(w.queue, req(step.add, true))
		}
		if got := names(w.take()); !slices.Equal(got, step.want) {
			t.Errorf("take: %v, want %v", got, step.want)
		}
	}
	if len(w.queue) != 0 {
		t.Errorf("left in the queue: %v", names(w.queue))
	}
}

// TestRetainLowerBound holds DeleteExpired to each finding's real clock
// while writes leave findings_retain behind it: a finding re-imported
// since its entry was made is kept and its entry moved up, one that moves
// to ARCHIVED is on the archived clock from that import, and a run of
// moves longer than Limit does not end a pass early.
func TestRetainLowerBound(t *testing.T) {
	db := openTemp(t)
	defer db.Close()
	ctx := context.Background()
	day := func(n int) time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n) }
	mk := func(id, state string, at time.Time) *muster.Finding {
		f := storetest.NewFinding("us-east-1", filter.Doc{"Id": id, "ProductArn": "p", "AwsAccountId": "1",
			"UpdatedAt": asff.FormatTime(at), "RecordState": state})
		f.ProcessedAt = at
		return f
	}
	retain := func(id string) int64 {
		t.Helper()
		var r int64
		if err := db.rdb.QueryRow(`SELECT retain_at FROM findings WHERE id = ?`, id).Scan(&r); err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		return r
	}
	var fs []*muster.Finding
	for i := range 7 {
		fs = append(fs, mk(fmt.Sprint("kept-", i), "ACTIVE", day(0)))
	}
	fs = append(fs, mk("old", "ACTIVE", day(0)), mk("archived", "ACTIVE", day(0)))
	if _, err := db.UpsertFindings(ctx, fs, keepIncoming); err != nil {
		t.Fatal(err)
	}
	// Re-imported on day 60 (day 70 for "archived"): the same class, so
	// the entries stay at day 0. kept-6 is processed on day 1 with an
	// UpdatedAt of day 60, so its clock comes from UpdatedAt alone.
	fs = fs[:0]
	for i := range 7 {
		fs = append(fs, mk(fmt.Sprint("kept-", i), "ACTIVE", day(60)))
	}
	fs[6].ProcessedAt = day(1)
	fs = append(fs, mk("archived", "ARCHIVED", day(70)))
	if _, err := db.UpsertFindings(ctx, fs, keepIncoming); err != nil {
		t.Fatal(err)
	}
	if got, want := retain("kept-0"), day(0).UnixMilli(); got != want {
		t.Errorf("kept-0 retain_at %d after a re-import of the same class, want %d (unmoved)", got, want)
	}
	if got, want := retain("archived"), day(70).UnixMilli(); got != want {
		t.Errorf("archived retain_at %d, want %d (moved with its class)", got, want)
	}
	// Day 95: only "old" is 90 days behind. The seven kept entries come
	// before it in the index; they are moved, more than Limit, in
	// transactions of at most Limit entries, before "old" is reached.
	n, err := db.DeleteExpired(ctx, muster.RetentionQuery{ActiveBefore: day(5), ArchivedBefore: day(65), Limit: 3})
	if err != nil || n != 1 {
		t.Fatalf("day 95: deleted %d, %v; want 1 (old)", n, err)
	}
	if got, want := retain("kept-6"), day(60).UnixMilli(); got != want {
		t.Errorf("kept-6 retain_at %d after the pass, want %d (moved up)", got, want)
	}
	n, err = db.DeleteExpired(ctx, muster.RetentionQuery{ActiveBefore: day(11), ArchivedBefore: day(71), Limit: 3})
	if err != nil || n != 1 {
		t.Fatalf("day 101: deleted %d, %v; want 1 (archived)", n, err)
	}
	n, err = db.DeleteExpired(ctx, muster.RetentionQuery{ActiveBefore: day(61), ArchivedBefore: day(61), Limit: 10})
	if err != nil || n != 7 {
		t.Fatalf("day 151: deleted %d, %v; want 7", n, err)
	}
	left, err := db.CountFindings(ctx)
	if err != nil || left != 0 {
		t.Fatalf("%d findings left, %v", left, err)
	}
}

// TestUpdateSet holds an UPDATE to the indexed columns that change: each
// one it sets rewrites that column's index entries.
func TestUpdateSet(t *testing.T) {
	cols := rowCols{updatedAt: int64(5), severity: "HIGH", workflow: "NEW", recordState: "ACTIVE"}
	for _, c := range []struct {
		name string
		hot  hot
		want colSet
		args []any
	}{
		{"nothing", hot{updatedAt: int64(5), severity: "HIGH", workflow: "NEW", recordState: "ACTIVE"}, 0, []any{}},
		{"workflow", hot{updatedAt: int64(5), severity: "HIGH", workflow: "NOTIFIED", recordState: "ACTIVE"}, setWorkflow, []any{"NOTIFIED"}},
		{"re-import", hot{updatedAt: int64(9), severity: "LOW", workflow: "NEW", recordState: "ACTIVE"}, setUpdatedAt | setSeverity, []any{int64(9), "LOW"}},
		{"archived", hot{updatedAt: int64(9), severity: "HIGH", workflow: "NEW", recordState: "ARCHIVED"}, setUpdatedAt | setRecordState | setRetainAt, []any{int64(9), "ARCHIVED", int64(77)}},
		{"to NULL", hot{updatedAt: nil, severity: "HIGH", workflow: "NEW", recordState: "ACTIVE"}, setUpdatedAt, []any{nil}},
	} {
		set, args := updateSet(cols, c.hot, 77)
		if set != c.want || !slices.Equal(args, c.args) {
			t.Errorf("%s: set %05b %v, want %05b %v", c.name, set, args, c.want, c.args)
		}
	}
	if !sameCol([]byte("ARCHIVED"), "ARCHIVED") || sameCol(int64(1), "1") {
		t.Error("sameCol")
	}
}

// TestAttrsFollowReimports holds the attrs rows to the stored document
// across re-imports that change, keep or drop resources: a change is
// decided from the stored document's resources.
func TestAttrsFollowReimports(t *testing.T) {
	db := openTemp(t)
	defer db.Close()
	ctx := context.Background()
	res := func(ids ...string) []any {
		var out []any
		for _, id := range ids {
			out = append(out, map[string]any{"Type": "T-" + id[:1], "Id": id})
		}
		return out
	}
	for i, resources := range [][]any{res("a1", "b1"), res("a1", "b1"), res("b1", "c1"), res("c1"), res("a1", "a2", "c1")} {
		f := storetest.NewFinding("us-east-1", filter.Doc{"Id": "f", "ProductArn": "p", "AwsAccountId": "1",
			"UpdatedAt": fmt.Sprintf("2024-01-0%dT00:00:00Z", i+1), "Resources": resources})
		if _, err := db.UpsertFindings(ctx, []*muster.Finding{f}, keepIncoming); err != nil {
			t.Fatal(err)
		}
		_, want, err := columnValues(f.Doc)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := db.rdb.Query(`SELECT field, value FROM attrs`)
		if err != nil {
			t.Fatal(err)
		}
		var got []attr
		for rows.Next() {
			var a attr
			if err := rows.Scan(&a.field, &a.value); err != nil {
				t.Fatal(err)
			}
			got = append(got, a)
		}
		rows.Close()
		if !sameAttrs(got, want) {
			t.Errorf("import %d: attrs %v, want %v", i, got, want)
		}
	}
}

// withWALLimit sets the WAL length beyond which the writer checkpoints
// itself, so that a test reaches it with a few writes.
func withWALLimit(frames int64) Option { return func(c *config) { c.walLimit = frames } }

// TestCheckpointCatchUp: once the WAL is over the limit, the checkpointer
// runs passes, each synced, until one finds fewer than walLimit/catchUpDone
// frames added during the one before (here none), so that the writer's
// checkpoint finds synced everything but what was written after them.
func TestCheckpointCatchUp(t *testing.T) {
	const limit = 256
	ckpts := make(chan CheckpointStats, 8)
	passes := 0
	var afterPass func(n int)
	db, err := Open(filepath.Join(t.TempDir(), "muster.db"), withWALLimit(limit),
		func(c *config) {
			// The test runs the checkpointer's rounds itself.
			c.ckptEvery = time.Hour
			c.afterPass = func() {
				passes++
				if afterPass != nil {
					afterPass(passes)
				}
			}
		},
		WithCheckpointObserver(func(s CheckpointStats) { ckpts <- s }))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	g := newBenchGen(1000)
	next := 0
	write := func(n int) {
		t.Helper()
		fs := make([]*muster.Finding, n)
		for j := range fs {
			fs[j] = g.finding(next)
			next++
		}
		if _, err := db.UpsertFindings(ctx, fs, withHistory); err != nil {
			t.Fatal(err)
		}
	}
	// read starts a read transaction, which sees the WAL as it is. As
	// under load, the transactions that were reading when a pass began
	// keep the next commit from starting the WAL over.
	read := func() *sql.Tx {
		t.Helper()
		tx, err := db.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM findings`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	for range 20 {
		write(20)
	}
	reading := read()
	defer func() { reading.Rollback() }()
	afterPass = func(n int) {
		if n == 1 {
			// Writes come during the first pass, as they would under
			// load: fewer frames than the checkpointer syncs for
			// otherwise (walLimit/syncsAhead).
			write(2)
			reading.Rollback()
			reading = read()
		}
	}
	db.w.checkpoint()
	afterPass = nil
	if passes != 3 {
		t.Errorf("%d passes, want 3: the first, one for the frames written during it, one that found none", passes)
	}
	db.w.walMu.Lock()
	frames, synced := db.w.walFrames, db.w.walSynced
	db.w.walMu.Unlock()
	if frames <= limit || synced != frames {
		t.Fatalf("after the round: WAL of %d frames, %d synced; want over %d, all synced", frames, synced, limit)
	}
	// The next group finds the WAL over the limit and checkpoints it
	// itself: what it has to sync is its own frames alone.
	write(1)
	select {
	case s := <-ckpts:
		if s.Synced != frames || s.Frames <= frames || s.Frames-s.Synced > 20 {
			t.Errorf("writer's checkpoint: %+v, want the %d frames of before synced, and the few of one finding not", s, frames)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the writer did not checkpoint the WAL over its limit")
	}
}

// TestWriterCheckpoint: once the WAL is longer than its limit, the writer
// checkpoints it itself between groups and reports that to the observer;
// and part of what it checkpoints the checkpointer has synced.
func TestWriterCheckpoint(t *testing.T) {
	const limit = 64
	ckpts := make(chan CheckpointStats, 64)
	db, err := Open(filepath.Join(t.TempDir(), "muster.db"), withWALLimit(limit),
		// The bound on the WAL below assumes passes this often.
		func(c *config) { c.ckptEvery = 200 * time.Millisecond },
		WithCheckpointObserver(func(s CheckpointStats) {
			select {
			case ckpts <- s:
			default:
			}
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	g := newBenchGen(100000)
	var synced int64
	deadline := time.Now().Add(30 * time.Second)
	for i, seen := 0, 0; seen < 3; i++ {
		if time.Now().After(deadline) {
			t.Fatalf("%d checkpoints by the writer in 30s of writes, want 3", seen)
		}
		fs := make([]*muster.Finding, 20)
		for j := range fs {
			fs[j] = g.finding(20*i + j)
		}
		if _, err := db.UpsertFindings(ctx, fs, withHistory); err != nil {
			t.Fatal(err)
		}
		select {
		case s := <-ckpts:
			seen++
			if s.Frames <= limit || s.Took <= 0 || s.Synced > s.Frames {
				t.Errorf("checkpoint %d: %+v, want more than %d frames, some time and at most all synced", seen, s, limit)
			}
			synced = max(synced, s.Synced)
		case <-time.After(10 * time.Millisecond):
		}
	}
	// No bound on the WAL's length at the end: with writes one at a time,
	// the checkpointer's own passes let the WAL start over too (without
	// the writer's checkpoints it ended at 696 and 1,426 frames), and a
	// pass that comes late under load let it reach 4,279 once. The
	// writer's checkpoints are what the loop above counts.
	//
	// The checkpointer syncs the database file as the WAL grows, so
	// that the writer's checkpoints find part of it synced.
	if synced == 0 {
		t.Error("no writer's checkpoint found frames that the checkpointer had synced")
	}
}
