package sqlite

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/asff"
	"github.com/muster-hub/muster/filter"
	"github.com/muster-hub/muster/hub"
)

// benchGen makes realistic ASFF findings of about 3 KB cheaply: documents
// are stamped from a few hundred templates by replacing markers, so that
// the benchmark measures the store rather than JSON encoding.
type benchGen struct {
	templates []benchTemplate
	base      time.Time     // the last UpdatedAt
	step      time.Duration // between the UpdatedAt of consecutive findings
	n         int           // findings in 90 days
}

type benchTemplate struct {
	doc    []byte
	fields filter.Doc
}

var (
	benchProducts = []string{
		"arn:aws:securityhub:us-east-1::product/aws/securityhub",
		"arn:aws:securityhub:us-east-1::product/aws/inspector",
		"arn:aws:securityhub:us-east-1::product/aws/guardduty",
		"arn:aws:securityhub:us-east-1::product/aws/macie",
		"arn:aws:securityhub:us-east-1:111111111111:product/111111111111/default",
	}
	benchProductWeights  = []int{60, 20, 10, 5, 5}
	benchSeverities      = []string{"INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"}
	benchSeverityWeights = []int{30, 30, 25, 12, 3}
	benchWorkflows       = []string{"NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED"}
	benchWorkflowWeights = []int{60, 20, 15, 5}
	benchStates          = []string{"ACTIVE", "ARCHIVED"}
	benchStateWeights    = []int{90, 10}
)

const benchAccount = "111111111111"

func weighted(r *rand.Rand, xs []string, w []int) string {
	n := r.IntN(100)
	for i, x := range w {
		if n < x {
			return xs[i]
		}
		n -= x
	}
	return xs[len(xs)-1]
}

// benchResource returns the i-th of 30,000 resources: S3 buckets, EC2
// instances and IAM roles.
func benchResource(i int) (typ, id string) {
	switch i % 3 {
	case 0:
		return "AwsS3Bucket", "arn:aws:s3:::bucket-" + strconv.Itoa(i)
	case 1:
		return "AwsEc2Instance", fmt.Sprintf("arn:aws:ec2:us-east-1:%s:instance/i-%08x", benchAccount, i)
	}
	return "AwsIamRole", "arn:aws:iam::" + benchAccount + ":role/role-" + strconv.Itoa(i)
}

// newBenchGen generates findings whose UpdatedAt spreads n of them over the
// 90 days up to 2025-06-01.
func newBenchGen(n int) *benchGen {
	r := rand.New(rand.NewPCG(1, 2))
	g := &benchGen{base: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC), step: 90 * 24 * time.Hour / time.Duration(n), n: n}
	for range 256 {
		doc := map[string]any{
			"SchemaVersion":   "2018-10-08",
			"Id":              "@@ID@@",
			"ProductArn":      weighted(r, benchProducts, benchProductWeights),
			"ProductName":     "Security Hub",
			"CompanyName":     "AWS",
			"Region":          "us-east-1",
			"GeneratorId":     "aws-foundational-security-best-practices/v/1.0.0/S3.1",
			"AwsAccountId":    benchAccount,
			"Types":           []any{"Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices"},
			"FirstObservedAt": "2025-05-01T00:00:00.000Z",
			"LastObservedAt":  "@@UPDATED@@",
			"CreatedAt":       "2025-05-01T00:00:00.000Z",
			"UpdatedAt":       "@@UPDATED@@",
			"Severity":        map[string]any{"Label": weighted(r, benchSeverities, benchSeverityWeights), "Normalized": float64(r.IntN(100)), "Original": "MEDIUM"},
			"Title":           "S3 general purpose buckets should have block public access settings enabled",
			"Description":     strings.Repeat("This control checks whether an Amazon S3 general purpose bucket has block public access settings enabled. ", 4),
			"Remediation": map[string]any{"Recommendation": map[string]any{
				"Text": "For information on how to correct this issue, consult the AWS Security Hub controls documentation.",
				"Url":  "https://docs.aws.amazon.com/console/securityhub/S3.8/remediation",
			}},
			"ProductFields": map[string]any{
				"StandardsArn":                "arn:aws:securityhub:::standards/aws-foundational-security-best-practices/v/1.0.0",
				"StandardsSubscriptionArn":    "arn:aws:securityhub:us-east-1:111111111111:subscription/aws-foundational-security-best-practices/v/1.0.0",
				"ControlId":                   "S3.8",
				"RecommendationUrl":           "https://docs.aws.amazon.com/console/securityhub/S3.8/remediation",
				"RelatedAWSResources:0/name":  "securityhub-s3-bucket-level-public-access-prohibited-1f1b3d2e",
				"RelatedAWSResources:0/type":  "AWS::Config::ConfigRule",
				"aws/securityhub/ProductName": "Security Hub",
				"aws/securityhub/CompanyName": "AWS",
				"aws/securityhub/annotation":  "The S3 bucket does not enable all of the block public access settings.",
				"aws/securityhub/FindingId":   "arn:aws:securityhub:us-east-1::product/aws/securityhub/arn:aws:securityhub:us-east-1:111111111111:subscription/x",
			},
			"Resources": "@@RES@@",
			"Compliance": map[string]any{
				"Status":            "FAILED",
				"SecurityControlId": "S3.8",
				"AssociatedStandards": []any{
					map[string]any{"StandardsId": "standards/aws-foundational-security-best-practices/v/1.0.0"},
					map[string]any{"StandardsId": "standards/cis-aws-foundations-benchmark/v/1.4.0"},
				},
			},
			"WorkflowState": "NEW",
			"Workflow":      map[string]any{"Status": weighted(r, benchWorkflows, benchWorkflowWeights)},
			"RecordState":   weighted(r, benchStates, benchStateWeights),
			"FindingProviderFields": map[string]any{
				"Severity": map[string]any{"Label": "MEDIUM", "Original": "MEDIUM"},
				"Types":    []any{"Software and Configuration Checks/Industry and Regulatory Standards/AWS-Foundational-Security-Best-Practices"},
			},
		}
		b, _ := json.Marshal(doc)
		g.templates = append(g.templates, benchTemplate{doc: b, fields: doc})
	}
	return g
}

// finding returns the n-th finding: a random-looking key, one or two of the
// 30,000 resources, and an UpdatedAt that grows with n, as in a hub that
// has been importing for three months: new imports carry the current time.
func (g *benchGen) finding(n int) *muster.Finding {
	return g.findingAt(n, asff.FormatTime(g.base.Add(time.Duration(n-g.n)*g.step)))
}

// findingAt returns the n-th finding updated at updated.
func (g *benchGen) findingAt(n int, updated string) *muster.Finding {
	t := g.templates[n%len(g.templates)]
	h := benchHash(n)
	id := g.key(n).ID
	var res []any
	var resJSON bytes.Buffer
	resJSON.WriteByte('[')
	for i := range 1 + int(h>>40)%2 {
		typ, rid := benchResource(int((h >> (8 * i)) % 30000))
		r := map[string]any{"Type": typ, "Id": rid, "Partition": "aws", "Region": "us-east-1",
			"Tags": map[string]any{"env": "prod", "team": "platform"}}
		res = append(res, r)
		if i > 0 {
			resJSON.WriteByte(',')
		}
		b, _ := json.Marshal(r)
		resJSON.Write(b)
	}
	resJSON.WriteByte(']')
	doc := bytes.Replace(t.doc, []byte(`"@@ID@@"`), []byte(strconv.Quote(id)), 1)
	doc = bytes.ReplaceAll(doc, []byte(`@@UPDATED@@`), []byte(updated))
	doc = bytes.Replace(doc, []byte(`"@@RES@@"`), resJSON.Bytes(), 1)
	fields := make(filter.Doc, len(t.fields))
	for k, v := range t.fields {
		fields[k] = v
	}
	fields["Id"] = id
	fields["UpdatedAt"] = updated
	fields["LastObservedAt"] = updated
	fields["Resources"] = res
	return &muster.Finding{
		Region:      "us-east-1",
		FindingKey:  muster.FindingKey{Account: benchAccount, ProductARN: fields["ProductArn"].(string), ID: id},
		Doc:         doc,
		ProcessedAt: time.Now(),
	}
}

// benchHash spreads n over 64 bits.
func benchHash(n int) uint64 {
	h := uint64(n+1) * 0x9e3779b97f4a7c15
	return h ^ h>>31
}

// key returns the key of the n-th finding without making it.
func (g *benchGen) key(n int) muster.FindingKey {
	t := g.templates[n%len(g.templates)]
	id := fmt.Sprintf("arn:aws:securityhub:us-east-1:111111111111:subscription/aws-foundational-security-best-practices/v/1.0.0/S3.8/finding/%016x-%d", benchHash(n), n)
	return muster.FindingKey{Account: benchAccount, ProductARN: t.fields["ProductArn"].(string), ID: id}
}

// BenchmarkUpsert imports new 3 KB findings in batches of 100 from 4
// goroutines, as concurrent BatchImportFindings calls do, into an empty
// store, with the service's merge. The figure that counts is findings/s.
func BenchmarkUpsert(b *testing.B) {
	db, err := Open(filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	g := newBenchGen(1_000_000)
	if len(g.finding(0).Doc) < 2500 {
		b.Fatalf("documents of %d bytes, want about 3 KB", len(g.finding(0).Doc))
	}
	const batch, workers = 100, 4
	var next atomic.Int64
	b.ResetTimer()
	w0 := procIO("wchar")
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				first := int(next.Add(batch)) - batch
				if first >= b.N {
					return
				}
				fs := make([]*muster.Finding, 0, batch)
				for n := first; n < min(first+batch, b.N); n++ {
					fs = append(fs, g.finding(n))
				}
				if _, err := db.UpsertFindings(context.Background(), fs, hub.MergeImport); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "findings/s")
	if w0 >= 0 {
		b.ReportMetric(float64(procIO("wchar")-w0)/float64(b.N), "written-B/finding")
	}
}

// procIO reads a counter of /proc/self/io, or -1.
func procIO(name string) int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+": "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// benchDB returns a database of n benchmark findings, built once per
// process (or reused from MUSTER_BENCH_DIR across runs).
func benchDB(b *testing.B, n int) *DB {
	benchMu.Lock()
	defer benchMu.Unlock()
	if db := benchDBs[n]; db != nil {
		return db
	}
	dir := os.Getenv("MUSTER_BENCH_DIR")
	if dir == "" {
		dir = b.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("bench-%d.db", n))
	_, statErr := os.Stat(path)
	db, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	if statErr != nil {
		g := newBenchGen(n)
		start := time.Now()
		benchLoad(b, db, g, 0, n, time.Time{})
		b.Logf("loaded %d findings in %v (%.0f findings/s)", n, time.Since(start), float64(n)/time.Since(start).Seconds())
		// Statistics as the writer keeps them, so plans are those of a
		// long-running server.
		db.Close()
		if db, err = Open(path); err != nil {
			b.Fatal(err)
		}
	}
	benchDBs[n] = db
	return db
}

// benchLoad imports findings from through to-1 of g in batches of 100
// from 4 goroutines, processed at processed (zero: now).
func benchLoad(b *testing.B, db *DB, g *benchGen, from, to int, processed time.Time) {
	var wg sync.WaitGroup
	var next atomic.Int64
	next.Store(int64(from))
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				first := int(next.Add(100)) - 100
				if first >= to {
					return
				}
				var fs []*muster.Finding
				for i := first; i < min(first+100, to); i++ {
					f := g.finding(i)
					if !processed.IsZero() {
						f.ProcessedAt = processed
					}
					fs = append(fs, f)
				}
				if _, err := db.UpsertFindings(context.Background(), fs, hub.MergeImport); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

var (
	benchMu  sync.Mutex
	benchDBs = map[int]*DB{}
)

// BenchmarkQuery runs the first page (100, UpdatedAt DESC) of the filters
// the GetFindings latency goal names, on 100,000 findings (override with
// MUSTER_BENCH_ROWS), and reports the 95th percentile.
func BenchmarkQuery(b *testing.B) {
	rows := 100_000
	if s := os.Getenv("MUSTER_BENCH_ROWS"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	db := benchDB(b, rows)
	_, rid7 := benchResource(7)
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct{ name, filter string }{
		{"None", `{}`},
		{"SeverityLabel=CRITICAL", `{"SeverityLabel":[{"Value":"CRITICAL","Comparison":"EQUALS"}]}`},
		{"SeverityLabel=HIGH|CRITICAL", `{"SeverityLabel":[{"Value":"HIGH","Comparison":"EQUALS"},{"Value":"CRITICAL","Comparison":"EQUALS"}]}`},
		{"ResourceId=one", fmt.Sprintf(`{"ResourceId":[{"Value":%q,"Comparison":"EQUALS"}]}`, rid7)},
		{"ResourceId^narrow", `{"ResourceId":[{"Value":"arn:aws:s3:::bucket-123","Comparison":"PREFIX"}]}`},
		{"ResourceId^broad", `{"ResourceId":[{"Value":"arn:aws:ec2:","Comparison":"PREFIX"}]}`},
		{"ProductArn=5%", fmt.Sprintf(`{"ProductArn":[{"Value":%q,"Comparison":"EQUALS"}]}`, benchProducts[3])},
		{"ProductArn=60%", fmt.Sprintf(`{"ProductArn":[{"Value":%q,"Comparison":"EQUALS"}]}`, benchProducts[0])},
		{"WorkflowStatus=SUPPRESSED", `{"WorkflowStatus":[{"Value":"SUPPRESSED","Comparison":"EQUALS"}]}`},
		{"WorkflowStatus=NEW", `{"WorkflowStatus":[{"Value":"NEW","Comparison":"EQUALS"}]}`},
		{"RecordState=ARCHIVED", `{"RecordState":[{"Value":"ARCHIVED","Comparison":"EQUALS"}]}`},
		{"UpdatedAt-7d", `{"UpdatedAt":[{"DateRange":{"Value":7,"Unit":"DAYS"}}]}`},
		{"UpdatedAt-1day-month-ago", `{"UpdatedAt":[{"Start":"2025-05-01T00:00:00Z","End":"2025-05-02T00:00:00Z"}]}`},
		{"Critical+NEW+ACTIVE", `{"SeverityLabel":[{"Value":"CRITICAL","Comparison":"EQUALS"}],"WorkflowStatus":[{"Value":"NEW","Comparison":"EQUALS"}],"RecordState":[{"Value":"ACTIVE","Comparison":"EQUALS"}]}`},
	}
	for _, c := range cases {
		flt, err := filter.Parse([]byte(c.filter), now)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.name, func(b *testing.B) {
			q := muster.FindingQuery{Region: "us-east-1", Accounts: []string{benchAccount}, Filter: flt, Sort: filter.DefaultSort(), Limit: 100}
			lat := make([]time.Duration, 0, b.N)
			var got int
			for b.Loop() {
				t0 := time.Now()
				fs, err := db.QueryFindings(context.Background(), q)
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
				got = len(fs)
			}
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
			b.ReportMetric(float64(got), "rows")
		})
	}
}

// BenchmarkUpdateFindings runs BatchUpdateFindings-sized calls, 100 random
// keys each, one after the other, against 100,000 findings (override with
// MUSTER_BENCH_ROWS): each finding's Workflow.Status changes, with a
// history record, as a triage does. The figure is findings updated per
// second by one caller.
func BenchmarkUpdateFindings(b *testing.B) {
	rows := 100_000
	if s := os.Getenv("MUSTER_BENCH_ROWS"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	db := benchDB(b, rows)
	g := newBenchGen(rows)
	r := rand.New(rand.NewPCG(3, 4))
	prefix := []byte(`"Workflow":{"Status":"`)
	statuses := []string{"NOTIFIED", "RESOLVED", "SUPPRESSED", "NEW"}
	round := 0
	update := func(stored *muster.Finding) (*muster.Change, error) {
		doc := stored.Doc
		i := bytes.Index(doc, prefix)
		if i < 0 {
			return nil, fmt.Errorf("no Workflow in %s", stored.ID)
		}
		j := i + len(prefix)
		k := j + bytes.IndexByte(doc[j:], '"')
		old, status := string(doc[j:k]), statuses[round%len(statuses)]
		if old == status {
			return nil, nil
		}
		f := *stored
		f.Doc = slices.Concat(doc[:j], []byte(status), doc[k:])
		f.ProcessedAt = time.Now()
		return &muster.Change{Finding: &f, History: &muster.HistoryRecord{
			UpdateTime: f.ProcessedAt, SourceType: muster.SourceUpdate, SourceIdentity: "arn:aws:iam::111111111111:user/bench",
			Updates: []asff.FieldUpdate{{Field: "Workflow.Status", Old: old, New: status}},
		}}, nil
	}
	keys := make([]muster.FindingKey, 100)
	updated := 0
	start := time.Now()
	for b.Loop() {
		round++
		for i := range keys {
			keys[i] = g.key(r.IntN(rows))
		}
		res, err := db.UpdateFindings(context.Background(), "us-east-1", keys, update)
		if err != nil {
			b.Fatal(err)
		}
		for _, x := range res {
			if x == muster.NotFound {
				b.Fatal("key not found")
			}
			if x == muster.Updated {
				updated++
			}
		}
	}
	b.ReportMetric(float64(b.N*len(keys))/time.Since(start).Seconds(), "findings/s")
	b.ReportMetric(float64(updated)/float64(b.N*len(keys)), "updated/key")
}

// BenchmarkDeleteExpired deletes aged-out findings in calls of Limit 500,
// as the retention job does, from a store that also holds 100,000 current
// findings (override with MUSTER_BENCH_ROWS). The pool of aged-out
// findings is refilled outside the timer. Nothing reports the cost of a
// call that finds nothing to delete, the job's steady state.
func BenchmarkDeleteExpired(b *testing.B) {
	rows := 100_000
	if s := os.Getenv("MUSTER_BENCH_ROWS"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	db, err := Open(filepath.Join(b.TempDir(), "expire.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const (
		limit = 500
		pool  = 40 * limit
	)
	g := newBenchGen(rows + 1_000_000)
	benchLoad(b, db, g, 0, rows, time.Time{})
	// Aged-out findings: processed long ago, updated before the cutoff.
	old := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	q := muster.RetentionQuery{ActiveBefore: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), ArchivedBefore: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), Limit: limit}
	next := rows
	left := 0
	fill := func() {
		benchLoad(b, db, g, next, next+pool, old)
		next += pool
		left = pool
	}
	b.Run("Limit500", func(b *testing.B) {
		deleted := 0
		var spent time.Duration
		for b.Loop() {
			if left < limit {
				b.StopTimer()
				fill()
				b.StartTimer()
			}
			t0 := time.Now()
			n, err := db.DeleteExpired(context.Background(), q)
			spent += time.Since(t0)
			if err != nil {
				b.Fatal(err)
			}
			if n != limit {
				b.Fatalf("deleted %d, want %d", n, limit)
			}
			left -= n
			deleted += n
		}
		b.ReportMetric(float64(deleted)/spent.Seconds(), "findings/s")
	})
	b.Run("Nothing", func(b *testing.B) {
		for left > 0 {
			n, err := db.DeleteExpired(context.Background(), q)
			if err != nil {
				b.Fatal(err)
			}
			left -= n
		}
		for b.Loop() {
			n, err := db.DeleteExpired(context.Background(), q)
			if err != nil || n != 0 {
				b.Fatalf("deleted %d, %v; want none", n, err)
			}
		}
	})
}

// BenchmarkReimport imports 3 KB findings in batches of 100 from 4
// goroutines, with the service's merge (hub.MergeImport), into a store of
// 100,000 findings (override with MUSTER_BENCH_ROWS): Reimport sends
// stored keys, in random order, with a newer UpdatedAt, so each is merged,
// diffed, recorded and metered; Fresh sends new keys into the same store.
// Re-imports should run at 80% of the rate of fresh imports or better.
func BenchmarkReimport(b *testing.B) {
	rows := 100_000
	if s := os.Getenv("MUSTER_BENCH_ROWS"); s != "" {
		rows, _ = strconv.Atoi(s)
	}
	db, err := Open(filepath.Join(b.TempDir(), "reimport.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	g := newBenchGen(rows)
	start := time.Now()
	benchLoad(b, db, g, 0, rows, time.Time{})
	b.Logf("loaded %d findings in %v", rows, time.Since(start))
	// Keys in a random-looking order: n times a multiplier prime to rows
	// visits every stored finding once per rows re-imports.
	mul := 48271
	for gcd(mul, rows) != 1 {
		mul += 2
	}
	var reimported, fresh atomic.Int64
	run := func(b *testing.B, finding func() *muster.Finding, want muster.UpsertResult) {
		const batch, workers = 100, 4
		var next atomic.Int64
		w0 := procIO("wchar")
		start := time.Now()
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for {
					first := int(next.Add(batch)) - batch
					if first >= b.N {
						return
					}
					fs := make([]*muster.Finding, 0, batch)
					for range min(batch, b.N-first) {
						fs = append(fs, finding())
					}
					res, err := db.UpsertFindings(context.Background(), fs, hub.MergeImport)
					if err != nil {
						b.Error(err)
						return
					}
					for _, r := range res {
						if r != want {
							b.Errorf("result %v, want %v", r, want)
							return
						}
					}
				}
			})
		}
		wg.Wait()
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "findings/s")
		if w0 >= 0 {
			b.ReportMetric(float64(procIO("wchar")-w0)/float64(b.N), "written-B/finding")
		}
	}
	b.Run("Reimport", func(b *testing.B) {
		run(b, func() *muster.Finding {
			n := int(reimported.Add(1)-1) % rows
			f := g.findingAt(int(int64(n)*int64(mul)%int64(rows)), asff.FormatTime(time.Now()))
			return f
		}, muster.Updated)
	})
	b.Run("Fresh", func(b *testing.B) {
		run(b, func() *muster.Finding { return g.finding(rows + int(fresh.Add(1)-1)) }, muster.Created)
	})
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
