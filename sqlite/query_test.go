package sqlite

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/filter"
	"github.com/muster-hub/muster/storetest"
)

// TestStoreWalks runs the differential query test again with the
// planner's limits at zero, so that every listing in UpdatedAt order walks
// findings_updated: the default limits start the suite's small corpus from
// the attrs and label indexes instead.
func TestStoreWalks(t *testing.T) {
	storetest.RunDifferential(t, func(t *testing.T) muster.Store {
		db := openTemp(t)
		db.cfg.probeLimit, db.cfg.sortLimit = 0, 0
		return db
	})
}

// TestPlanHint: an equality on a label starts from the label's index only
// when fewer findings than the limit hold it, and the query SQLite runs
// then uses that index; otherwise the query walks findings_updated.
func TestPlanHint(t *testing.T) {
	db := openTemp(t)
	defer db.Close()
	db.cfg.sortLimit = 10
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var fs []*muster.Finding
	for i := range 40 {
		sev, wf := "LOW", "NEW"
		if i%8 == 0 {
			sev, wf = "CRITICAL", "SUPPRESSED"
		}
		fs = append(fs, storetest.NewFinding("us-east-1", filter.Doc{
			"Id": fmt.Sprintf("f%d", i), "ProductArn": "p", "AwsAccountId": "111111111111",
			"UpdatedAt": base.Add(time.Duration(i) * time.Minute).Format(time.RFC3339),
			"Severity":  map[string]any{"Label": sev},
			"Workflow":  map[string]any{"Status": wf},
		}))
	}
	if _, err := db.UpsertFindings(ctx, fs, keepIncoming); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		filters string
		index   string
		n       int
	}{
		{`{"SeverityLabel":[{"Comparison":"EQUALS","Value":"CRITICAL"}]}`, "findings_severity", 5},
		{`{"SeverityLabel":[{"Comparison":"EQUALS","Value":"LOW"}]}`, "findings_updated", 35},
		{`{"WorkflowStatus":[{"Comparison":"EQUALS","Value":"SUPPRESSED"}]}`, "findings_workflow", 5},
		{`{"WorkflowStatus":[{"Comparison":"EQUALS","Value":"NEW"}]}`, "findings_updated", 35},
		// Two values are not an equality on one label.
		{`{"SeverityLabel":[{"Comparison":"EQUALS","Value":"CRITICAL"},{"Comparison":"EQUALS","Value":"HIGH"}]}`, "findings_updated", 5},
		// The first rare label decides.
		{`{"SeverityLabel":[{"Comparison":"EQUALS","Value":"LOW"}],"WorkflowStatus":[{"Comparison":"EQUALS","Value":"SUPPRESSED"}]}`, "findings_workflow", 0},
	} {
		flt, err := filter.Parse([]byte(c.filters), base)
		if err != nil {
			t.Fatal(err)
		}
		q := muster.FindingQuery{Region: "us-east-1", Accounts: []string{"111111111111"}, Filter: flt, Sort: filter.DefaultSort(), Limit: 3}
		sids, err := db.sids(ctx, q.Region, q.Accounts)
		if err != nil {
			t.Fatal(err)
		}
		var sid int64
		for sid = range sids {
		}
		hint, driver, err := db.planHint(ctx, sid, q)
		if err != nil {
			t.Fatal(err)
		}
		if hint != "INDEXED BY "+c.index || driver != -1 {
			t.Errorf("%s: planHint = %q, %d; want INDEXED BY %s", c.filters, hint, driver, c.index)
		}
		sql, args, err := compileQuery(sids, q, hint, driver)
		if err != nil {
			t.Fatal(err)
		}
		if p := plan(t, db, sql, args...); !strings.Contains(p, "INDEX "+c.index+" ") {
			t.Errorf("%s: the query does not use %s:\n%s", c.filters, c.index, p)
		}
		got, err := db.QueryFindings(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if want := min(c.n, q.Limit); len(got) != want {
			t.Errorf("%s: %d findings, want %d", c.filters, len(got), want)
		}
	}
}
