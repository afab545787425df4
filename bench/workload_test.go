package bench

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// TestAtMatchesNext: finding i made on its own is the one the sequence
// makes, in any order and in a clone, and making it does not count as use.
func TestAtMatchesNext(t *testing.T) {
	g := NewGenerator(5, "us-east-1", "123456789012", testNow)
	var seq [][]byte
	for range 300 {
		f := g.Next()
		seq = append(seq, WireJSON(&f))
	}
	rare, common := g.ResourceUse()
	c := g.Clone()
	for _, i := range []int{299, 0, 150, 1, 298} {
		for _, gen := range []*Generator{g, c} {
			f := gen.At(i)
			if !bytes.Equal(WireJSON(&f), seq[i]) {
				t.Fatalf("At(%d) differs from the %dth Next", i, i+1)
			}
		}
	}
	if r, cm := g.ResourceUse(); r != rare || cm != common {
		t.Errorf("At changed resource use: %s %s, was %s %s", r, cm, rare, common)
	}
	f := g.Next()
	if !strings.HasSuffix(*f.Id, "-301") {
		t.Errorf("Next after At: Id %s", *f.Id)
	}
}

// TestReimport: a re-import is the same finding, newer, with changes a
// provider makes, and stays valid.
func TestReimport(t *testing.T) {
	g := NewGenerator(5, "us-east-1", "123456789012", testNow)
	states := map[types.RecordState]int{}
	compliance := map[types.ComplianceStatus]int{}
	changedSeverity := 0
	for i := range 2000 {
		orig := g.At(i)
		ts := testNow.Add(time.Duration(i) * time.Millisecond)
		f := g.Reimport(i, ts)
		if *f.Id != *orig.Id || *f.ProductArn != *orig.ProductArn || *f.CreatedAt != *orig.CreatedAt {
			t.Fatalf("re-import of %d is another finding", i)
		}
		want := ts.UTC().Format("2006-01-02T15:04:05.000Z")
		if *f.UpdatedAt != want || *f.LastObservedAt != want || *f.UpdatedAt <= *orig.UpdatedAt {
			t.Fatalf("UpdatedAt %s LastObservedAt %s, want %s after %s", *f.UpdatedAt, *f.LastObservedAt, want, *orig.UpdatedAt)
		}
		if f.Severity.Label != f.FindingProviderFields.Severity.Label || severityOf(int(*f.Severity.Normalized)) != f.Severity.Label {
			t.Fatalf("severity %+v provider %+v", f.Severity, f.FindingProviderFields.Severity)
		}
		if !strings.Contains(*f.Description, want) || len(*f.Description) > 1024 {
			t.Fatalf("description %q", *f.Description)
		}
		if size := len(WireJSON(&f)); size < 2048 || size > 4096 {
			t.Fatalf("re-import of %d bytes", size)
		}
		again := g.Reimport(i, ts)
		if !bytes.Equal(WireJSON(&f), WireJSON(&again)) {
			t.Fatalf("Reimport(%d) not deterministic", i)
		}
		states[f.RecordState]++
		compliance[f.Compliance.Status]++
		if f.Severity.Label != orig.Severity.Label {
			changedSeverity++
		}
	}
	t.Logf("record states %v, compliance %v, severity changed %d", states, compliance, changedSeverity)
	if states[types.RecordStateArchived] < 200 || states[types.RecordStateActive] < 1200 || compliance[types.ComplianceStatusPassed] < 200 || changedSeverity < 50 {
		t.Errorf("re-imports change too little: states %v compliance %v severity %d", states, compliance, changedSeverity)
	}
}

func TestBatcher(t *testing.T) {
	g := NewGenerator(5, "us-east-1", "123456789012", testNow)
	var next atomic.Int64
	clock := &tsClock{}
	b := newBatcher(g, 1, 2, 4, 1000, &next, clock)
	next.Store(1000)
	first := b.batch(30, 70)
	if len(first) != 100 {
		t.Fatalf("%d findings", len(first))
	}
	seen := map[string]bool{}
	ids := map[int]string{}
	for i := range 1000 {
		f := g.At(i)
		ids[i] = *f.Id
	}
	for k, f := range first {
		if seen[*f.Id] {
			t.Fatalf("Id %s twice in a batch", *f.Id)
		}
		seen[*f.Id] = true
		stored := -1
		for i, id := range ids {
			if id == *f.Id {
				stored = i
			}
		}
		if k < 30 && (stored < 0 || stored%4 != 2) {
			t.Fatalf("re-import %d is finding %d, not one of client 2's share", k, stored)
		}
		if k >= 30 && stored >= 0 {
			t.Fatalf("new finding %d is stored finding %d", k, stored)
		}
	}
	ts1 := *first[0].UpdatedAt
	second := b.batch(100, 0)
	if len(second) != 100 || *second[0].UpdatedAt <= ts1 {
		t.Errorf("second batch: %d findings, UpdatedAt %s after %s", len(second), *second[0].UpdatedAt, ts1)
	}
	if next.Load() != 1070 {
		t.Errorf("next fresh %d", next.Load())
	}
}

func TestTSClock(t *testing.T) {
	c := &tsClock{}
	last := c.next()
	for range 5000 {
		n := c.next()
		if !n.After(last) || n.Sub(last)%time.Millisecond != 0 {
			t.Fatalf("%s after %s", n, last)
		}
		last = n
	}
}

func TestParseMetrics(t *testing.T) {
	m := parseMetrics(`# HELP muster_findings_ingested_total Findings written.
# TYPE muster_findings_ingested_total counter
muster_findings_ingested_total{account="123456789012",product_arn="arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"} 1500
muster_findings_ingested_total{account="123456789012",product_arn="a b}"} 2.5e+03
muster_retention_deleted_total 42
muster_findings_stored 7 1712345678000
`)
	if m["muster_findings_ingested_total"] != 4000 || m["muster_retention_deleted_total"] != 42 || m["muster_findings_stored"] != 7 {
		t.Errorf("%v", m)
	}
}

func TestSlowestWindow(t *testing.T) {
	recs := []record{
		{end: 1 * time.Second, fresh: 100}, {end: 4 * time.Second, fresh: 100},
		{end: 6 * time.Second, fresh: 50}, {end: 9 * time.Second, re: 50},
		{end: 12 * time.Second, fresh: 1000}, // in the partial window: ignored
	}
	if got := slowestWindow(recs, 12*time.Second); got != 20 {
		t.Errorf("slowest %v, want 20/s", got)
	}
	if got := slowestWindow(recs, 4*time.Second); got != -1 {
		t.Errorf("no whole window: %v", got)
	}
}

var (
	musterOnce sync.Once
	musterDir  string
	musterBin  string
	musterErr  error
)

// muster builds the real binary once for the tests that need the real
// server: BatchUpdateFindings, metrics and the moved clock.
func muster(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the real server")
	}
	musterOnce.Do(func() {
		if musterDir, musterErr = os.MkdirTemp("", "muster-bench-bin-"); musterErr != nil {
			return
		}
		musterBin = filepath.Join(musterDir, "muster")
		out, err := exec.Command("go", "build", "-o", musterBin, "../cmd/muster").CombinedOutput()
		if err != nil {
			musterErr = err
			musterBin = string(out)
		}
	})
	if musterErr != nil {
		t.Fatalf("go build ../cmd/muster: %v\n%s", musterErr, musterBin)
	}
	return musterBin
}

func serverCmd(bin string) func(addr, dir string, args ...string) *exec.Cmd {
	return func(addr, dir string, args ...string) *exec.Cmd {
		return exec.Command(bin, append([]string{"serve", "--addr", addr, "--data", dir}, args...)...)
	}
}

// runMixedServer runs the mixed workload of o against the real server
// and returns its result and table.
func runMixedServer(t *testing.T, o Options) (*Result, *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	o.Workload, o.ServerCmd, o.Out = WorkloadMixed, serverCmd(muster(t)), &out
	res, err := Run(context.Background(), o)
	t.Logf("\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	return res, &out
}

// TestMixedRealServer runs a small mixed workload against the real server
// and checks that every figure comes from calls that were made.
func TestMixedRealServer(t *testing.T) {
	res, out := runMixedServer(t, Options{Findings: 2000, Concurrency: 4, Updaters: 2, Duration: 3 * time.Second, CompareFindings: 800})
	m := res.Mixed
	if res.Imported != 2000 || res.Failed != 0 || m == nil {
		t.Fatalf("load: %+v", res)
	}
	if m.AloneFresh.Findings != 800 || m.AloneReimport.Findings != 800 || m.AloneFresh.Time <= 0 || m.AloneReimport.Time <= 0 {
		t.Errorf("alone: fresh %+v re-import %+v", m.AloneFresh, m.AloneReimport)
	}
	if m.Fresh.Findings == 0 || m.Reimport.Findings == 0 || m.Imports.Calls == 0 || m.Duration < 3*time.Second {
		t.Errorf("mixed imports: fresh %+v re-import %+v calls %d in %s", m.Fresh, m.Reimport, m.Imports.Calls, m.Duration)
	}
	if m.Fresh.Findings+m.Reimport.Findings != 100*m.Imports.Calls || m.Reimport.Findings != 30*m.Imports.Calls {
		t.Errorf("%d calls: %d new, %d re-imported", m.Imports.Calls, m.Fresh.Findings, m.Reimport.Findings)
	}
	if m.Updates.Calls == 0 || m.UpdatedFindings != 100*m.Updates.Calls || m.Updates.P95 <= 0 {
		t.Errorf("updates: %+v, %d processed", m.Updates, m.UpdatedFindings)
	}
	if m.AllQueries.Calls == 0 || len(m.Queries) != 8 {
		t.Errorf("queries: %+v", m.AllQueries)
	}
	if !strings.Contains(out.String(), "BatchUpdateFindings clients (100 findings a call; back to back), 1 GetFindings client (back to back)") {
		t.Error("the table does not say the clients ran back to back")
	}
	if n := m.Errors.Total(); n != 0 {
		t.Errorf("%d errors: %v", n, m.Errors.Counts)
	}
	if m.ServerWrote != int64(m.Acknowledged) || m.Acknowledged < 1600+m.Fresh.Findings+m.Reimport.Findings {
		t.Errorf("server wrote %d of %d acknowledged", m.ServerWrote, m.Acknowledged)
	}
	if m.Checkpoints < 0 || m.CheckpointTime < 0 {
		t.Errorf("server's checkpoints: %d, %s", m.Checkpoints, m.CheckpointTime)
	}
	for _, want := range []string{"re-import rate", "BatchUpdateFindings of 100 findings under the mixed load: p95", "errors: none", "server's WAL checkpoints during the mixed load, every write waiting: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q", want)
		}
	}
}

// TestMixedPaced checks that --update-rate and --query-rate pace the
// mixed workload's updaters and GetFindings client.
func TestMixedPaced(t *testing.T) {
	res, out := runMixedServer(t, Options{Findings: 500, Concurrency: 2, Updaters: 2, Duration: 3 * time.Second, CompareFindings: 200,
		ImportRate: 200, UpdateRate: 4, QueryRate: 3})
	m := res.Mixed
	// A call starts no sooner than its turn: in 3 s, at most 13 updates
	// (at 0, 0.25, …, 3 s) and 10 queries, and the clients keep up.
	if m.Updates.Calls < 8 || m.Updates.Calls > 13 {
		t.Errorf("%d updates at 4 calls/s over %s", m.Updates.Calls, m.Duration)
	}
	if m.AllQueries.Calls < 6 || m.AllQueries.Calls > 10 {
		t.Errorf("%d queries at 3 calls/s over %s", m.AllQueries.Calls, m.Duration)
	}
	if !strings.Contains(out.String(), "2 BatchUpdateFindings clients (100 findings a call; paced at 4 calls/s), 1 GetFindings client (paced at 3 calls/s)") {
		t.Error("the table does not give the pacing")
	}
	if n := m.Errors.Total(); n != 0 {
		t.Errorf("%d errors: %v", n, m.Errors.Counts)
	}
}

// TestRetentionRealServer runs a small retention workload against the
// real server: every finding stored before the restart is deleted, and
// only those.
func TestRetentionRealServer(t *testing.T) {
	bin := muster(t)
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{
		Workload: WorkloadRetention, ServerCmd: serverCmd(bin),
		Findings: 3000, Concurrency: 4, Baseline: 2 * time.Second,
		Out: &out,
	})
	t.Logf("\n%s", out.String())
	if err != nil {
		t.Fatal(err)
	}
	r := res.Retention
	if res.Imported != 3000 || r == nil {
		t.Fatalf("load: %+v", res)
	}
	if r.Baseline.Findings == 0 || r.Baseline.Time < 2*time.Second || r.Expected < 3000+r.Baseline.Findings {
		t.Errorf("baseline %+v, expected %d", r.Baseline, r.Expected)
	}
	if r.TimedOut || r.Deleted != r.Expected || r.DeletedLater != r.Expected || r.DeleteTime <= 0 || r.Restart <= 0 {
		t.Errorf("deleted %d (later %d) of %d in %s, timed out %v", r.Deleted, r.DeletedLater, r.Expected, r.DeleteTime, r.TimedOut)
	}
	if r.ImportedSinceStart == 0 || r.OldLeft != 0 || r.NewFound == 0 || r.Stored != int64(r.ImportedSinceStart) {
		t.Errorf("after: %d old left, %d new found, %d stored of %d imported", r.OldLeft, r.NewFound, r.Stored, r.ImportedSinceStart)
	}
	if n := r.Errors.Total(); n != 0 {
		t.Errorf("%d errors: %v", n, r.Errors.Counts)
	}
	if !strings.Contains(out.String(), "the retention job deletes every expired finding, and only those") || !strings.Contains(out.String(), "PASS") {
		t.Errorf("table:\n%s", out.String())
	}
	if res.StoreSize <= 0 || res.PeakRSS <= 0 {
		t.Errorf("store %d RSS %d", res.StoreSize, res.PeakRSS)
	}
}

// TestRetentionNeedsOwnServer: the restart needs a server the bench
// started.
func TestRetentionNeedsOwnServer(t *testing.T) {
	_, err := Run(context.Background(), Options{Workload: WorkloadRetention, Endpoint: "http://127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "restarts the server") {
		t.Errorf("err = %v", err)
	}
	_, err = Run(context.Background(), Options{Workload: "soak", Endpoint: "http://127.0.0.1:1"})
	if err == nil || !strings.Contains(err.Error(), "unknown workload") {
		t.Errorf("err = %v", err)
	}
}
