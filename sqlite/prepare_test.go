package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/asff"
	"github.com/muster-hub/muster/filter"
	"github.com/muster-hub/muster/internal/corpus"
	"github.com/muster-hub/muster/storetest"
)

// TestPrepareChange holds prepareChange, which keeps the stored columns
// of the members a BatchUpdateFindings did not set, to what parsing the
// updated document gives: for every corpus finding and each kind of
// update, alone and after another change of the same finding in the
// request.
func TestPrepareChange(t *testing.T) {
	all, err := corpus.Findings()
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	updates := map[string]asff.BatchUpdate{
		"note":         {Note: &asff.NoteUpdate{Text: "seen", UpdatedBy: "analyst"}},
		"severity":     {Severity: &asff.SeverityUpdate{Label: str("CRITICAL")}},
		"normalized":   {Severity: &asff.SeverityUpdate{Normalized: num(10)}},
		"workflow":     {Workflow: &asff.WorkflowUpdate{Status: "SUPPRESSED"}},
		"fields":       {UserDefinedFields: map[string]string{"ticket": "SEC-1"}, VerificationState: str("TRUE_POSITIVE"), Confidence: num(80), Criticality: num(90)},
		"types":        {Types: []string{"Software and Configuration Checks/Vulnerabilities/CVE"}},
		"related":      {RelatedFindings: []asff.RelatedFinding{{ProductArn: "arn:aws:securityhub:us-east-1::product/aws/guardduty", Id: "x"}}},
		"triage":       {Note: &asff.NoteUpdate{Text: "all", UpdatedBy: "a"}, Severity: &asff.SeverityUpdate{Label: str("LOW")}, Workflow: &asff.WorkflowUpdate{Status: "RESOLVED"}, Types: []string{}},
		"no severity?": {Workflow: &asff.WorkflowUpdate{Status: "NEW"}},
	}
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	kept := 0
	for _, cf := range all {
		doc, err := corpus.Prepare(cf.Raw, "123456789012", "us-east-1")
		if err != nil {
			continue // a corpus finding the importer refuses
		}
		stored := prepare1(&muster.Finding{Doc: doc})
		if stored.err != nil {
			t.Fatalf("%s: %v", cf.Key(), stored.err)
		}
		b := &base{rid: 1, stored: &muster.Finding{Doc: doc}, groups: stored.hot.groups,
			cols: rowCols{updatedAt: stored.hot.updatedAt, severity: bytesOf(stored.hot.severity), workflow: stored.hot.workflow, recordState: stored.hot.recordState}}
		oldAttrs, err := storedAttrs(b)
		if err != nil {
			t.Fatal(err)
		}
		// Kept attrs rows are the stored ones.
		resolve := func(p prepared) prepared {
			if p.keepAttrs {
				p.attrs = oldAttrs
			}
			return p
		}
		for name, u := range updates {
			a, err := u.Apply(doc, 0, now)
			if err != nil {
				continue // the update does not apply to this finding
			}
			ch := &muster.Change{Finding: &muster.Finding{Doc: a.Doc}, Edit: a.Edit()}
			got, want := prepareChange(ch, b, nil), prepare1(ch.Finding)
			same(t, cf.Key()+" "+name, resolve(got), want)
			if got.keepAttrs && len(oldAttrs) > 0 {
				kept++
			}
			// A stored row without its groupvals value is parsed again.
			nb := *b
			nb.groups = nil
			if p := prepareChange(ch, &nb, nil); p.keepAttrs {
				t.Fatalf("%s %s: attrs kept for a row without groupvals", cf.Key(), name)
			} else {
				same(t, cf.Key()+" "+name+" without groupvals", p, want)
			}
			// A second change of the same finding starts from the first.
			triage := updates["triage"]
			a2, err := triage.Apply(a.Doc, 0, now)
			if err != nil {
				continue
			}
			ch2 := &muster.Change{Finding: &muster.Finding{Doc: a2.Doc}, Edit: a2.Edit()}
			same(t, cf.Key()+" "+name+" then triage", resolve(prepareChange(ch2, b, &got)), prepare1(ch2.Finding))
		}
	}
	if kept == 0 {
		t.Fatal("no update was prepared from the stored columns")
	}
}

func same(t *testing.T, what string, got, want prepared) {
	t.Helper()
	if got.err != nil || want.err != nil {
		t.Fatalf("%s: %v, %v", what, got.err, want.err)
	}
	g, w := got.hot, want.hot
	if !sameCol(g.updatedAt, w.updatedAt) || !reflect.DeepEqual(g.severity, w.severity) || !reflect.DeepEqual(g.workflow, w.workflow) ||
		!reflect.DeepEqual(g.recordState, w.recordState) || string(g.groups) != string(w.groups) || !sameAttrs(got.attrs, want.attrs) {
		t.Fatalf("%s: columns %+v, attrs %v; parsing the document gives %+v, %v", what, g, got.attrs, w, want.attrs)
	}
}

// sameAttrs compares attrs rows as the writer keeps them, whatever their
// order: the groupvals value lists them by field, a document in its order.
func sameAttrs(a, b []attr) bool {
	byFieldValue := func(x, y attr) int {
		if x.field != y.field {
			return x.field - y.field
		}
		return strings.Compare(x.value, y.value)
	}
	a, b = slices.Clone(a), slices.Clone(b)
	slices.SortFunc(a, byFieldValue)
	slices.SortFunc(b, byFieldValue)
	return slices.Equal(a, b)
}

// bytesOf is a TEXT column as a driver may scan it.
func bytesOf(v any) any {
	if s, ok := v.(string); ok {
		return []byte(s)
	}
	return v
}

// TestNoDocument: a findings row whose document is missing, which the
// writer never leaves, fails a write of its key rather than letting the
// writer insert a second row under the key.
func TestNoDocument(t *testing.T) {
	db := openTemp(t)
	defer db.Close()
	ctx := context.Background()
	f := storetest.NewFinding("us-east-1", filter.Doc{"Id": "a", "ProductArn": "p", "AwsAccountId": "1", "UpdatedAt": "2025-01-01T00:00:00Z"})
	if _, err := db.UpsertFindings(ctx, []*muster.Finding{f}, keepIncoming); err != nil {
		t.Fatal(err)
	}
	if err := db.w.do(ctx, 0, func(ctx context.Context, c *sql.Conn) error {
		_, err := c.ExecContext(ctx, "DELETE FROM docs")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for _, planned := range []bool{false, true} {
		r := newRequest(1)
		r.add(scopeKey{"us-east-1", "1"}, f.FindingKey)
		r.call = func(int, *muster.Finding) (*muster.Change, error) { return &muster.Change{Finding: f}, nil }
		if planned {
			db.planAhead(ctx, r)
		}
		err := db.w.do(ctx, 1, func(ctx context.Context, _ *sql.Conn) error {
			return db.w.execute(ctx, r, make([]muster.UpsertResult, 1))
		})
		if !errors.Is(err, errNoDoc) {
			t.Errorf("planned %v: %v; want errNoDoc", planned, err)
		}
	}
	var n int
	if err := db.rdb.QueryRow(`SELECT count(*) FROM findings`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d findings rows, %v; want 1", n, err)
	}
}
