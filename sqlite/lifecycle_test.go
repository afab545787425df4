package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
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
// findings there are, and a finding's history is one range.
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
	for _, c := range []struct {
		name, q string
		args    []any
		want    string
	}{
		{"expired", expiredQuery, []any{1, 5, 500}, "SEARCH findings USING COVERING INDEX findings_retain (<expr>=? AND retain_at<?)"},
		{"delete history", "DELETE FROM history WHERE rid IN (?,?)", []any{1, 2}, "SEARCH history USING PRIMARY KEY (rid=?)"},
		{"delete attrs", "DELETE FROM attrs WHERE rid IN (?,?)", []any{1, 2}, "SEARCH attrs USING PRIMARY KEY (rid=?)"},
		{"delete docs", "DELETE FROM docs WHERE rid IN (?,?)", []any{1, 2}, "SEARCH docs USING INTEGER PRIMARY KEY (rowid=?)"},
		{"delete findings", "DELETE FROM findings WHERE rid IN (?,?)", []any{1, 2}, "SEARCH findings USING INTEGER PRIMARY KEY (rowid=?)"},
		{"history", `SELECT h.seq, h.update_time, h.rec FROM findings f CROSS JOIN history h ON h.rid = f.rid
			WHERE f.sid = ? AND f.product_arn = ? AND f.id = ? AND h.update_time >= ? AND h.seq < ? ORDER BY h.seq DESC LIMIT ?`,
			[]any{1, "p", "i", 0, 10, 10}, "SEARCH f USING COVERING INDEX findings_key (sid=? AND product_arn=? AND id=?)\nSEARCH h USING PRIMARY KEY (rid=? AND seq<?)"},
	} {
		got := plan(t, db, c.q, c.args...)
		if got != c.want {
			t.Errorf("%s: plan\n%s\nwant\n%s", c.name, got, c.want)
		}
		if strings.Contains(got, "SCAN") || strings.Contains(got, "TEMP B-TREE") {
			t.Errorf("%s: plan scans or sorts:\n%s", c.name, got)
		}
	}
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
