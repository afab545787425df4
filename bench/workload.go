package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"
)

// The workloads of Options.Workload.
const (
	WorkloadImport    = "import"
	WorkloadMixed     = "mixed"
	WorkloadRetention = "retention"
)

// Throughput is the findings acknowledged over a span of wall clock.
type Throughput struct {
	Findings int
	Time     time.Duration
}

// Rate is findings per second; 0 when nothing was timed.
func (t Throughput) Rate() float64 {
	if t.Time <= 0 {
		return 0
	}
	return float64(t.Findings) / t.Time.Seconds()
}

// Latency is the latency of the successful calls of one operation.
type Latency struct {
	Calls         int
	P50, P95, P99 time.Duration
}

func latencyOf(d []time.Duration) Latency {
	s := slices.Clone(d)
	slices.Sort(s)
	return Latency{Calls: len(s), P50: percentile(s, 50), P95: percentile(s, 95), P99: percentile(s, 99)}
}

// Errors counts failures by operation and error code: failed calls, and
// findings a call reported as failed (FailedFindings,
// UnprocessedFindings). Samples keeps the first message of each.
type Errors struct {
	mu      sync.Mutex
	Counts  map[string]int
	Samples map[string]string
}

func (e *Errors) add(key, msg string, n int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.Counts == nil {
		e.Counts, e.Samples = map[string]int{}, map[string]string{}
	}
	if _, ok := e.Samples[key]; !ok {
		e.Samples[key] = msg
	}
	e.Counts[key] += n
}

// call books a failed call of op.
func (e *Errors) call(op string, err error) {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		e.add(op+" "+ae.ErrorCode(), ae.ErrorMessage(), 1)
		return
	}
	e.add(op+" RequestError", err.Error(), 1)
}

// Total is the number of failures of every kind.
func (e *Errors) Total() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, c := range e.Counts {
		n += c
	}
	return n
}

func (e *Errors) print(w io.Writer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.Counts) == 0 {
		fmt.Fprintln(w, "errors: none")
		return
	}
	fmt.Fprintln(w, "errors (failed calls, and findings a call reported as failed or unprocessed):")
	keys := make([]string, 0, len(e.Counts))
	for k := range e.Counts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %8d  %s: %s\n", e.Counts[k], k, truncate(e.Samples[k], 200))
	}
}

// record is one call: when it ended (since its phase started), how long
// it took, and how many findings it got through, by kind.
type record struct {
	end, lat  time.Duration
	fresh, re int
	ok        bool
	query     int // index of the query, for GetFindings
}

// phase gathers the calls of one operation in one stage of a workload.
type phase struct {
	start time.Time
	mu    sync.Mutex
	recs  []record
}

func newPhase(start time.Time) *phase { return &phase{start: start} }

func (p *phase) add(r record) {
	p.mu.Lock()
	p.recs = append(p.recs, r)
	p.mu.Unlock()
}

// within returns the records of calls that ended by t after the start.
func (p *phase) within(t time.Duration) []record {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []record
	for _, r := range p.recs {
		if r.end <= t {
			out = append(out, r)
		}
	}
	return out
}

func (p *phase) all() []record { return p.within(1<<63 - 1) }

// lastEnd is when the last call ended, since the start.
func (p *phase) lastEnd() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	var t time.Duration
	for _, r := range p.recs {
		t = max(t, r.end)
	}
	return t
}

func sums(recs []record) (fresh, re int) {
	for _, r := range recs {
		fresh += r.fresh
		re += r.re
	}
	return fresh, re
}

func latencies(recs []record) Latency {
	var d []time.Duration
	for _, r := range recs {
		if r.ok {
			d = append(d, r.lat)
		}
	}
	return latencyOf(d)
}

// rateWindow is the span over which the retention workload looks for the
// slowest import rate.
const rateWindow = 5 * time.Second

// slowestWindow is the lowest import rate (findings acknowledged per
// second) over the whole windows of rateWindow in [0, t); -1 when t holds
// no whole window.
func slowestWindow(recs []record, t time.Duration) float64 {
	n := int(t / rateWindow)
	if n == 0 {
		return -1
	}
	counts := make([]int, n)
	for _, r := range recs {
		if k := int(r.end / rateWindow); k < n {
			counts[k] += r.fresh + r.re
		}
	}
	return float64(slices.Min(counts)) / rateWindow.Seconds()
}

// tsClock hands out UpdatedAt times for re-imports: the wall clock to the
// millisecond, each later than the one before, so that a finding's
// re-import is always newer than its previous one and is applied rather
// than dropped as stale.
type tsClock struct {
	mu   sync.Mutex
	last time.Time
}

func (c *tsClock) next() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := time.Now().UTC().Truncate(time.Millisecond)
	if !t.After(c.last) {
		t = c.last.Add(time.Millisecond)
	}
	c.last = t
	return t
}

// batcher makes the import batches of one client. Fresh findings are the
// generator's next unused ones (shared counter); re-imports are loaded
// findings of this client's own share (index ≡ client mod clients), so no
// finding is re-imported by two clients at once, which could deliver the
// newer version first and have the older dropped as stale.
type batcher struct {
	gen       *Generator
	rng       *rand.Rand
	client    int
	clients   int
	loaded    int
	nextFresh *atomic.Int64
	clock     *tsClock
	buf       []types.AwsSecurityFinding
	picked    map[int]bool
}

func newBatcher(gen *Generator, seed uint64, client, clients, loaded int, nextFresh *atomic.Int64, clock *tsClock) *batcher {
	return &batcher{
		gen: gen.Clone(), rng: rand.New(rand.NewPCG(seed, uint64(client)+1)),
		client: client, clients: clients, loaded: loaded,
		nextFresh: nextFresh, clock: clock,
		buf: make([]types.AwsSecurityFinding, 0, batchSize), picked: map[int]bool{},
	}
}

// batch returns re re-imports followed by fresh new findings. The slice
// is reused by the next call.
func (b *batcher) batch(re, fresh int) []types.AwsSecurityFinding {
	out := b.buf[:0]
	if re > 0 {
		share := (b.loaded - b.client + b.clients - 1) / b.clients
		re = min(re, share)
		ts := b.clock.next()
		clear(b.picked)
		for len(out) < re {
			i := b.client + b.clients*b.rng.IntN(share)
			if b.picked[i] {
				continue
			}
			b.picked[i] = true
			out = append(out, b.gen.Reimport(i, ts))
		}
	}
	for range fresh {
		out = append(out, b.gen.At(int(b.nextFresh.Add(1)-1)))
	}
	b.buf = out
	return out
}

// importLoop sends batches from next until it says no more, stop is set
// or ctx ends, and books each call in p. next returns the batch and how
// many of its first findings are re-imports.
func importLoop(ctx context.Context, c *securityhub.Client, next func() ([]types.AwsSecurityFinding, int, bool), stop *atomic.Bool, p *phase, errs *Errors) {
	for !stop.Load() && ctx.Err() == nil {
		b, re, ok := next()
		if !ok {
			return
		}
		t0 := time.Now()
		out, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: b})
		t1 := time.Now()
		r := record{end: t1.Sub(p.start), lat: t1.Sub(t0)}
		if err != nil {
			if ctx.Err() == nil {
				errs.call("BatchImportFindings", err)
			}
			p.add(r)
			continue
		}
		failedRe := 0
		for _, f := range out.FailedFindings {
			errs.add("BatchImportFindings finding "+aws.ToString(f.ErrorCode), aws.ToString(f.ErrorMessage), 1)
			for j := range re {
				if aws.ToString(b[j].Id) == aws.ToString(f.Id) {
					failedRe++
					break
				}
			}
		}
		r.ok = true
		r.re = re - failedRe
		r.fresh = len(b) - re - (len(out.FailedFindings) - failedRe)
		if got := int(aws.ToInt32(out.SuccessCount)); got != r.re+r.fresh {
			errs.add("BatchImportFindings SuccessCount", fmt.Sprintf("SuccessCount %d for %d findings with %d failed", got, len(b), len(out.FailedFindings)), 1)
		}
		p.add(r)
	}
}

// runImporters runs one importLoop per client and returns when all have.
func runImporters(ctx context.Context, clients []*securityhub.Client, next func(client int) func() ([]types.AwsSecurityFinding, int, bool), stop *atomic.Bool, p *phase, errs *Errors) {
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() { importLoop(ctx, c, next(i), stop, p, errs) })
	}
	wg.Wait()
}

// MixedResult is what the mixed workload measured.
type MixedResult struct {
	Importers, Updaters int
	ReimportShare       float64 // of each mixed batch
	ImportRate          float64 // findings/s the importers were paced at; 0 unpaced
	UpdateRate          float64 // BatchUpdateFindings calls/s the updaters were paced at; 0 unpaced
	QueryRate           float64 // GetFindings calls/s the query client was paced at; 0 unpaced

	// Fresh imports and re-imports each alone, CompareFindings of each,
	// in four halves: fresh, re-import, re-import, fresh.
	CompareFindings           int
	AloneFresh, AloneReimport Throughput

	// The mixed run, counting the calls that ended within Duration.
	Duration        time.Duration
	Fresh, Reimport Throughput // findings acknowledged, by kind
	Imports         Latency    // BatchImportFindings calls
	Updates         Latency    // BatchUpdateFindings calls of 100 findings
	UpdatedFindings int        // ProcessedFindings of those calls
	Queries         []QueryResult
	AllQueries      Latency

	Errors Errors
	// Acknowledged is every finding imported after the load;
	// ServerWrote the rise of muster_findings_ingested_total over the
	// same calls (-1 when the endpoint has no such metric). A difference
	// is re-imports the server dropped as stale.
	Acknowledged int
	ServerWrote  int64
	// Checkpoints and CheckpointTime are the WAL checkpoints the server's
	// store ran itself during the mixed load, which every write waits
	// for (muster_store_checkpoint_seconds; Checkpoints is -1 when the
	// endpoint has no such metric). When the disk is slow they set the
	// tail of every write's latency, so a run's figures need them beside.
	Checkpoints    int64
	CheckpointTime time.Duration
}

// runMixed measures fresh imports against re-imports, each alone, then
// runs importers (new findings and re-imports in each batch),
// BatchUpdateFindings clients and a GetFindings client together.
func runMixed(ctx context.Context, o Options, gen *Generator, qs []query, clients []*securityhub.Client, res *Result) error {
	if res.Failed > 0 {
		return fmt.Errorf("bench: %d findings failed to import; the mixed workload re-imports and updates the imported findings, so it needs all of them", res.Failed)
	}
	m := &MixedResult{Importers: len(clients), Updaters: o.Updaters, ReimportShare: o.Reimport, ImportRate: o.ImportRate, UpdateRate: o.UpdateRate, QueryRate: o.QueryRate, ServerWrote: -1, Checkpoints: -1}
	res.Mixed = m
	loaded := res.Imported
	if res.Preloaded {
		loaded = o.Findings
	}
	nextFresh := new(atomic.Int64)
	nextFresh.Store(int64(o.Findings))
	clock := &tsClock{}
	before, metricsErr := scrape(ctx, o.Endpoint)

	// Each alone, the same number of findings of each kind, in halves
	// ordered fresh, re-import, re-import, fresh so that a drift of the
	// store's speed over the phases weighs on both alike.
	halfBatches := max(1, (o.CompareFindings/2+batchSize-1)/batchSize)
	m.CompareFindings = 2 * halfBatches * batchSize
	batchers := make([]*batcher, len(clients))
	for i := range batchers {
		batchers[i] = newBatcher(gen, o.Seed^0xa11ce, i, len(clients), loaded, nextFresh, clock)
	}
	for _, reimport := range []bool{false, true, true, false} {
		left := new(atomic.Int64)
		left.Store(int64(halfBatches))
		p := newPhase(time.Now())
		var stop atomic.Bool
		runImporters(ctx, clients, func(i int) func() ([]types.AwsSecurityFinding, int, bool) {
			return func() ([]types.AwsSecurityFinding, int, bool) {
				if left.Add(-1) < 0 {
					return nil, 0, false
				}
				if reimport {
					return batchers[i].batch(batchSize, 0), batchSize, true
				}
				return batchers[i].batch(0, batchSize), 0, true
			}
		}, &stop, p, &m.Errors)
		if err := ctx.Err(); err != nil {
			return err
		}
		fresh, re := sums(p.all())
		m.Acknowledged += fresh + re
		t := &m.AloneFresh
		if reimport {
			t = &m.AloneReimport
		}
		t.Findings += fresh + re
		t.Time += p.lastEnd()
	}

	// Together.
	re := int(o.Reimport*batchSize + 0.5)
	atStart, startErr := scrape(ctx, o.Endpoint)
	start := time.Now()
	imports, updates, gets := newPhase(start), newPhase(start), newPhase(start)
	var stop atomic.Bool
	var wg sync.WaitGroup
	halt := make(chan struct{})
	importPace := pacer(start, o.ImportRate/batchSize, halt)
	wg.Go(func() {
		runImporters(ctx, clients, func(i int) func() ([]types.AwsSecurityFinding, int, bool) {
			return func() ([]types.AwsSecurityFinding, int, bool) {
				if !importPace() {
					return nil, 0, false
				}
				return batchers[i].batch(re, batchSize-re), re, true
			}
		}, &stop, imports, &m.Errors)
	})
	updatePace := pacer(start, o.UpdateRate, halt)
	for u := range o.Updaters {
		c := newClient(o)
		wg.Go(func() {
			updateLoop(ctx, c, gen.Clone(), rand.New(rand.NewPCG(o.Seed^0xbeef, uint64(u))), u, loaded, updatePace, &stop, updates, &m.Errors)
		})
	}
	qc := newClient(o)
	queryPace := pacer(start, o.QueryRate, halt)
	wg.Go(func() { queryLoop(ctx, qc, qs, queryPace, &stop, gets, &m.Errors) })
	select {
	case <-time.After(o.Duration):
	case <-ctx.Done():
	}
	m.Duration = time.Since(start)
	stop.Store(true)
	close(halt)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}

	in := imports.within(m.Duration)
	fresh, reimported := sums(in)
	m.Fresh = Throughput{fresh, m.Duration}
	m.Reimport = Throughput{reimported, m.Duration}
	m.Imports = latencies(in)
	f, r := sums(imports.all())
	m.Acknowledged += f + r
	up := updates.within(m.Duration)
	m.Updates = latencies(up)
	m.UpdatedFindings, _ = sums(up)
	q := gets.within(m.Duration)
	m.AllQueries = latencies(q)
	for i, qq := range qs {
		var lat []time.Duration
		qr := QueryResult{Name: qq.name, Results: -1}
		for _, rec := range q {
			if rec.query != i {
				continue
			}
			qr.Calls++
			if !rec.ok {
				qr.Errors++
				continue
			}
			if qr.Results < 0 {
				qr.Results = rec.fresh
			}
			lat = append(lat, rec.lat)
		}
		l := latencyOf(lat)
		qr.P50, qr.P95, qr.P99 = l.P50, l.P95, l.P99
		qr.Results = max(qr.Results, 0)
		m.Queries = append(m.Queries, qr)
	}
	if metricsErr == nil || startErr == nil {
		if after, err := scrape(ctx, o.Endpoint); err == nil {
			if _, ok := after["muster_findings_ingested_total"]; ok && metricsErr == nil {
				m.ServerWrote = int64(after["muster_findings_ingested_total"] - before["muster_findings_ingested_total"])
			}
			const n, sum = "muster_store_checkpoint_seconds_count", "muster_store_checkpoint_seconds_sum"
			if _, ok := after[n]; ok && startErr == nil {
				m.Checkpoints = int64(after[n] - atStart[n])
				m.CheckpointTime = time.Duration((after[sum] - atStart[sum]) * float64(time.Second))
			}
		}
	}
	return nil
}

// pacer returns what a paced client calls before each of its calls: call
// k, counted across every caller of the returned function, waits until
// start plus k calls' worth of rate (calls a second); it returns false
// instead once halt is closed. With rate 0 it never waits.
func pacer(start time.Time, rate float64, halt <-chan struct{}) func() bool {
	if rate <= 0 {
		return func() bool { return true }
	}
	every := float64(time.Second) / rate
	var calls atomic.Int64
	return func() bool {
		at := start.Add(time.Duration(float64(calls.Add(1)-1) * every))
		select {
		case <-time.After(time.Until(at)):
			return true
		case <-halt:
			return false
		}
	}
}

// updateLoop sends BatchUpdateFindings calls of 100 distinct loaded
// findings each, varying what they change as analysts do, until stop.
func updateLoop(ctx context.Context, c *securityhub.Client, gen *Generator, rng *rand.Rand, client, loaded int, pace func() bool, stop *atomic.Bool, p *phase, errs *Errors) {
	picked := map[int]bool{}
	n := min(batchSize, loaded)
	for k := 0; !stop.Load() && ctx.Err() == nil; k++ {
		if !pace() {
			return
		}
		clear(picked)
		ids := make([]types.AwsSecurityFindingIdentifier, 0, n)
		for len(ids) < n {
			i := rng.IntN(loaded)
			if picked[i] {
				continue
			}
			picked[i] = true
			f := gen.At(i)
			ids = append(ids, types.AwsSecurityFindingIdentifier{Id: f.Id, ProductArn: f.ProductArn})
		}
		in := triage(ids, client, k, rng)
		t0 := time.Now()
		out, err := c.BatchUpdateFindings(ctx, in)
		t1 := time.Now()
		r := record{end: t1.Sub(p.start), lat: t1.Sub(t0)}
		if err != nil {
			if ctx.Err() == nil {
				errs.call("BatchUpdateFindings", err)
			}
			p.add(r)
			continue
		}
		for _, u := range out.UnprocessedFindings {
			errs.add("BatchUpdateFindings unprocessed "+aws.ToString(u.ErrorCode), aws.ToString(u.ErrorMessage), 1)
		}
		r.ok, r.fresh = true, len(out.ProcessedFindings)
		p.add(r)
	}
}

var (
	workflowUpdates = []types.WorkflowStatus{types.WorkflowStatusNotified, types.WorkflowStatusResolved, types.WorkflowStatusSuppressed, types.WorkflowStatusNew}
	verifications   = []types.VerificationState{types.VerificationStateTruePositive, types.VerificationStateFalsePositive, types.VerificationStateBenignPositive}
)

// triage is the k-th update of an updater: in turn a workflow change with
// a note, a severity with a note, ticket fields with a workflow change,
// and all of them with a verification state.
func triage(ids []types.AwsSecurityFindingIdentifier, client, k int, rng *rand.Rand) *securityhub.BatchUpdateFindingsInput {
	in := &securityhub.BatchUpdateFindingsInput{FindingIdentifiers: ids}
	team := teams[rng.IntN(len(teams))]
	note := &types.NoteUpdate{
		Text:      aws.String("Triaged by the " + team + " team (bench updater " + strconv.Itoa(client) + ", round " + strconv.Itoa(k) + "): tracked in SEC-" + strconv.Itoa(1000+rng.IntN(9000)) + "."),
		UpdatedBy: aws.String("bench-analyst-" + strconv.Itoa(client)),
	}
	workflow := &types.WorkflowUpdate{Status: workflowUpdates[rng.IntN(len(workflowUpdates))]}
	severity := &types.SeverityUpdate{Label: severityLabels[rng.IntN(len(severityLabels))]}
	fields := map[string]string{"ticket": "SEC-" + strconv.Itoa(1000+rng.IntN(9000)), "owner": team, "sla-days": strconv.Itoa(7 * (1 + rng.IntN(4)))}
	switch k % 4 {
	case 0:
		in.Workflow, in.Note = workflow, note
	case 1:
		in.Severity, in.Note = severity, note
	case 2:
		in.UserDefinedFields, in.Workflow = fields, workflow
	default:
		in.Workflow, in.Note, in.Severity, in.UserDefinedFields = workflow, note, severity, fields
		in.VerificationState = verifications[rng.IntN(len(verifications))]
	}
	return in
}

// queryLoop runs the queries in turn until stop; a record's fresh field
// holds the number of findings returned.
func queryLoop(ctx context.Context, c *securityhub.Client, qs []query, pace func() bool, stop *atomic.Bool, p *phase, errs *Errors) {
	for k := 0; !stop.Load() && ctx.Err() == nil; k++ {
		if !pace() {
			return
		}
		i := k % len(qs)
		in := &securityhub.GetFindingsInput{
			Filters:      qs[i].filters,
			MaxResults:   aws.Int32(100),
			SortCriteria: []types.SortCriterion{{Field: aws.String("UpdatedAt"), SortOrder: types.SortOrderDescending}},
		}
		t0 := time.Now()
		out, err := c.GetFindings(ctx, in)
		t1 := time.Now()
		r := record{end: t1.Sub(p.start), lat: t1.Sub(t0), query: i}
		if err != nil {
			if ctx.Err() == nil {
				errs.call("GetFindings", err)
			}
			p.add(r)
			continue
		}
		r.ok, r.fresh = true, len(out.Findings)
		p.add(r)
	}
}

// Targets of the findings-lifecycle issue, defined at 1,000,000 stored
// findings.
const (
	TargetFindings        = 1_000_000
	TargetUpdateP95       = 50 * time.Millisecond
	TargetReimportRatio   = 0.8
	TargetRetentionRatio  = 0.5
	retentionOffsetFlag   = "91d"
	retentionOffset       = 91 * 24 * time.Hour
	retentionIntervalFlag = "1s"
	metricsPoll           = 250 * time.Millisecond
	retentionHold         = 3 * time.Second
)

func passFail(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func ratio(a, b float64) float64 {
	if b <= 0 {
		return 0
	}
	return a / b
}

func (m *MixedResult) print(w io.Writer, r *Result) {
	tw := newTable(w)
	fmt.Fprintf(tw, "Fresh import and re-import, each alone: %d findings of each, in halves fresh, re-import, re-import, fresh; %d clients\n", m.CompareFindings, m.Importers)
	fmt.Fprintf(tw, "kind\tfindings\ttime\tfindings/s\n")
	if !r.Preloaded {
		fmt.Fprintf(tw, "(the load above: fresh import, %d clients)\t%d\t%s\t%.0f\n", r.Concurrency, r.Imported, r.Import.Round(time.Millisecond), r.ImportRate())
	}
	fmt.Fprintf(tw, "fresh import\t%d\t%s\t%.0f\n", m.AloneFresh.Findings, m.AloneFresh.Time.Round(time.Millisecond), m.AloneFresh.Rate())
	fmt.Fprintf(tw, "re-import (newer UpdatedAt)\t%d\t%s\t%.0f\n", m.AloneReimport.Findings, m.AloneReimport.Time.Round(time.Millisecond), m.AloneReimport.Rate())
	tw.Flush()
	fmt.Fprintln(w)

	re := int(m.ReimportShare*batchSize + 0.5)
	pace := "as fast as the server takes them"
	if m.ImportRate > 0 {
		pace = fmt.Sprintf("paced at %.0f findings/s", m.ImportRate)
	}
	calls := func(rate float64) string {
		if rate > 0 {
			return fmt.Sprintf("paced at %g calls/s", rate)
		}
		return "back to back"
	}
	fmt.Fprintf(w, "Mixed workload for %s: %d importers (batches of %d: %d re-imports, %d new; %s), %d BatchUpdateFindings clients (%d findings a call; %s), 1 GetFindings client (%s)\n",
		m.Duration.Round(100*time.Millisecond), m.Importers, batchSize, re, batchSize-re, pace, m.Updaters, batchSize, calls(m.UpdateRate), calls(m.QueryRate))
	tw = newTable(w)
	fmt.Fprintf(tw, "operation\tcalls\tfindings\tfindings/s\tp50\tp95\tp99\n")
	fmt.Fprintf(tw, "BatchImportFindings\t%d\t%d\t%.0f\t%s\t%s\t%s\n", m.Imports.Calls, m.Fresh.Findings+m.Reimport.Findings, m.Fresh.Rate()+m.Reimport.Rate(), ms(m.Imports.P50), ms(m.Imports.P95), ms(m.Imports.P99))
	fmt.Fprintf(tw, "  new findings\t\t%d\t%.0f\t\t\t\n", m.Fresh.Findings, m.Fresh.Rate())
	fmt.Fprintf(tw, "  re-imported findings\t\t%d\t%.0f\t\t\t\n", m.Reimport.Findings, m.Reimport.Rate())
	fmt.Fprintf(tw, "BatchUpdateFindings\t%d\t%d\t%.0f\t%s\t%s\t%s\n", m.Updates.Calls, m.UpdatedFindings, ratio(float64(m.UpdatedFindings), m.Duration.Seconds()), ms(m.Updates.P50), ms(m.Updates.P95), ms(m.Updates.P99))
	fmt.Fprintf(tw, "GetFindings (%d queries in turn)\t%d\t\t\t%s\t%s\t%s\n", len(m.Queries), m.AllQueries.Calls, ms(m.AllQueries.P50), ms(m.AllQueries.P95), ms(m.AllQueries.P99))
	tw.Flush()
	fmt.Fprintln(w)

	tw = newTable(w)
	fmt.Fprintf(tw, "GetFindings under the mixed load (MaxResults 100, UpdatedAt desc)\tcalls\tp50\tp95\tp99\tresults\terrors\n")
	for _, q := range m.Queries {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%d\t%d\n", q.Name, q.Calls, ms(q.P50), ms(q.P95), ms(q.P99), q.Results, q.Errors)
	}
	tw.Flush()
	fmt.Fprintln(w)

	m.Errors.print(w)
	if m.ServerWrote >= 0 {
		fmt.Fprintf(w, "server wrote %d of the %d findings acknowledged after the load (muster_findings_ingested_total); a shortfall is re-imports dropped as stale\n", m.ServerWrote, m.Acknowledged)
	} else {
		fmt.Fprintf(w, "server writes: n/a (no muster_findings_ingested_total at %s/metrics)\n", r.Endpoint)
	}
	if m.Checkpoints >= 0 {
		fmt.Fprintf(w, "server's WAL checkpoints during the mixed load, every write waiting: %d, %s in all (muster_store_checkpoint_seconds); on a slow disk they set the tail\n", m.Checkpoints, m.CheckpointTime.Round(time.Millisecond))
	} else {
		fmt.Fprintf(w, "server's WAL checkpoints: n/a (no muster_store_checkpoint_seconds at %s/metrics)\n", r.Endpoint)
	}
	fmt.Fprintln(w)

	updateErrs := 0
	for k, n := range m.Errors.Counts {
		if strings.HasPrefix(k, "BatchUpdateFindings") {
			updateErrs += n
		}
	}
	updOK := m.Updates.Calls > 0 && m.Updates.P95 <= TargetUpdateP95 && updateErrs == 0
	upd := ms(m.Updates.P95)
	if updateErrs > 0 {
		upd += fmt.Sprintf(" (%d errors)", updateErrs)
	}
	rr := ratio(m.AloneReimport.Rate(), m.AloneFresh.Rate())
	reOK := m.AloneReimport.Findings > 0 && rr >= TargetReimportRatio
	tw = newTable(w)
	loaded := fmt.Sprintf("this run loaded %d", r.Imported)
	if r.Preloaded {
		loaded = fmt.Sprintf("%d preloaded", r.Findings)
	}
	fmt.Fprintf(tw, "target (at %d stored findings; %s)\tmeasured\tresult\n", TargetFindings, loaded)
	fmt.Fprintf(tw, "BatchUpdateFindings of %d findings under the mixed load: p95 ≤ %s\t%s\t%s\n", batchSize, ms(TargetUpdateP95), upd, passFail(updOK))
	fmt.Fprintf(tw, "re-import rate ≥ %.0f%% of fresh-import rate (each alone, same size)\t%.0f%% (%.0f vs %.0f findings/s)\t%s\n", TargetReimportRatio*100, rr*100, m.AloneReimport.Rate(), m.AloneFresh.Rate(), passFail(reOK))
	tw.Flush()
}

// RetentionResult is what the retention workload measured.
type RetentionResult struct {
	Offset   time.Duration // the restarted server's --clock-offset
	Baseline Throughput    // fresh imports before the restart, no deletions
	// BaselineSlowest and DuringSlowest are the lowest rates over whole
	// windows of 5 s; -1 when the span holds none.
	BaselineSlowest float64

	// Expected is every finding stored before the restart, all expired
	// after it; Deleted is muster_retention_deleted_total when it reached
	// Expected, or at the timeout.
	Expected, Deleted int
	TimedOut          bool
	Restart           time.Duration // from the restart to /healthz answering
	DeleteTime        time.Duration // from the restart to Deleted reaching Expected
	// During is the fresh imports from /healthz answering to the end of
	// the deletions.
	During        Throughput
	DuringSlowest float64
	// DeletedLater is the deleted count retentionHold later, with imports
	// going on: the new findings must not expire.
	DeletedLater int

	// The checks after the run: findings with an UpdatedAt before the
	// restart that GetFindings still returns (first page), findings after
	// it, and muster_findings_stored against the findings imported since
	// the restart.
	OldLeft, NewFound  int
	Stored             int64 // -1 unknown
	ImportedSinceStart int

	Errors Errors
}

// runRetention imports fresh findings for a baseline, restarts the server
// with its clock 91 days ahead so that everything stored has expired, and
// imports while the retention job deletes it all.
func runRetention(ctx context.Context, o Options, srvp **server, res *Result) error {
	r := &RetentionResult{Offset: retentionOffset, Stored: -1}
	res.Retention = r

	// Baseline: fresh findings on the running server, no deletions.
	bgen := NewGenerator(o.Seed+1, o.Region, o.Account, time.Now())
	clients := make([]*securityhub.Client, o.Concurrency)
	for i := range clients {
		clients[i] = newClient(o)
	}
	var next atomic.Int64
	clock := &tsClock{}
	p := newPhase(time.Now())
	var stop atomic.Bool
	var wg sync.WaitGroup
	wg.Go(func() {
		runImporters(ctx, clients, func(i int) func() ([]types.AwsSecurityFinding, int, bool) {
			b := newBatcher(bgen, o.Seed, i, len(clients), 0, &next, clock)
			return func() ([]types.AwsSecurityFinding, int, bool) { return b.batch(0, batchSize), 0, true }
		}, &stop, p, &r.Errors)
	})
	select {
	case <-time.After(o.Baseline):
	case <-ctx.Done():
	}
	t := time.Since(p.start)
	stop.Store(true)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	in := p.within(t)
	f, _ := sums(in)
	r.Baseline = Throughput{f, t}
	r.BaselineSlowest = slowestWindow(in, t)
	f, _ = sums(p.all())
	r.Expected = res.Imported + f

	// Restart with the clock past every stored finding's retention.
	old := *srvp
	res.PeakRSS = max(res.PeakRSS, peakRSS(old.cmd.Process.Pid))
	if err := old.stop(); err != nil {
		return err
	}
	srv, err := startServer(ctx, o.ServerCmd, old.dataDir, append(o.serverArgs, "--clock-offset", retentionOffsetFlag, "--retention-interval", retentionIntervalFlag)...)
	if err != nil {
		return err
	}
	*srvp = srv
	restart := srv.started
	r.Restart = srv.healthy.Sub(restart)
	o.Endpoint = srv.endpoint
	for i := range clients {
		clients[i] = newClient(o)
	}

	// Import new findings, dated by the hub's moved clock, while the
	// retention job deletes.
	ngen := NewGenerator(o.Seed+2, o.Region, o.Account, time.Now().Add(retentionOffset))
	next.Store(0)
	p = newPhase(srv.healthy)
	stop.Store(false)
	wg.Go(func() {
		runImporters(ctx, clients, func(i int) func() ([]types.AwsSecurityFinding, int, bool) {
			b := newBatcher(ngen, o.Seed, i, len(clients), 0, &next, clock)
			return func() ([]types.AwsSecurityFinding, int, bool) { return b.batch(0, batchSize), 0, true }
		}, &stop, p, &r.Errors)
	})
	deleted, done, err := pollDeleted(ctx, o.Endpoint, r.Expected, restart.Add(o.RetentionTimeout))
	end := time.Now()
	if err != nil {
		stop.Store(true)
		wg.Wait()
		return err
	}
	r.Deleted, r.TimedOut = deleted, !done
	r.DeleteTime = end.Sub(restart)
	t = end.Sub(p.start)
	select {
	case <-time.After(retentionHold):
	case <-ctx.Done():
	}
	later, err := scrape(ctx, o.Endpoint)
	stop.Store(true)
	wg.Wait()
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	r.DeletedLater = int(later["muster_retention_deleted_total"])
	in = p.within(t)
	f, _ = sums(in)
	r.During = Throughput{f, t}
	r.DuringSlowest = slowestWindow(in, t)
	r.ImportedSinceStart, _ = sums(p.all())

	// Check: nothing dated before the restart is left, the new findings
	// are there, and the store holds just them.
	split := restart.Add(24 * time.Hour).UTC()
	rangeQuery := func(from, to time.Time) (int, error) {
		out, err := clients[0].GetFindings(ctx, &securityhub.GetFindingsInput{
			Filters: &types.AwsSecurityFindingFilters{UpdatedAt: []types.DateFilter{{
				Start: aws.String(from.Format(time.RFC3339)), End: aws.String(to.Format(time.RFC3339)),
			}}},
			MaxResults: aws.Int32(100),
		})
		if err != nil {
			return 0, fmt.Errorf("bench: checking the store: GetFindings: %w", err)
		}
		return len(out.Findings), nil
	}
	if r.OldLeft, err = rangeQuery(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), split); err != nil {
		return err
	}
	if r.NewFound, err = rangeQuery(split, split.Add(retentionOffset+24*time.Hour)); err != nil {
		return err
	}
	// muster_findings_stored is counted at most every 5 s: wait until
	// the next scrape counts afresh.
	select {
	case <-time.After(5*time.Second + 500*time.Millisecond):
	case <-ctx.Done():
		return ctx.Err()
	}
	if m, err := scrape(ctx, o.Endpoint); err == nil {
		if v, ok := m["muster_findings_stored"]; ok {
			r.Stored = int64(v)
		}
	}
	return nil
}

// pollDeleted polls muster_retention_deleted_total until it reaches want
// (done) or the deadline passes, and returns the last value.
func pollDeleted(ctx context.Context, endpoint string, want int, deadline time.Time) (deleted int, done bool, err error) {
	var lastErr error
	lastOK := time.Now()
	for {
		m, err := scrape(ctx, endpoint)
		if err == nil {
			v, ok := m["muster_retention_deleted_total"]
			if !ok {
				return 0, false, fmt.Errorf("bench: %s/metrics has no muster_retention_deleted_total", endpoint)
			}
			deleted, lastOK = int(v), time.Now()
			if deleted >= want {
				return deleted, true, nil
			}
		} else {
			lastErr = err
			if time.Since(lastOK) > 30*time.Second {
				return deleted, false, fmt.Errorf("bench: reading %s/metrics: %w", endpoint, lastErr)
			}
		}
		if time.Now().After(deadline) {
			return deleted, false, nil
		}
		select {
		case <-time.After(metricsPoll):
		case <-ctx.Done():
			return deleted, false, ctx.Err()
		}
	}
}

func (r *RetentionResult) print(w io.Writer, res *Result) {
	tw := newTable(w)
	fmt.Fprintf(tw, "baseline import\t%s\t%.0f findings/s\t%d clients, %d fresh findings, no deletions; slowest 5 s window %s\n",
		r.Baseline.Time.Round(time.Millisecond), r.Baseline.Rate(), res.Concurrency, r.Baseline.Findings, rateOrNA(r.BaselineSlowest))
	fmt.Fprintf(tw, "restart\t%s\t\t--clock-offset %s --retention-interval %s: all %d stored findings expired; time to /healthz\n",
		r.Restart.Round(time.Millisecond), retentionOffsetFlag, retentionIntervalFlag, r.Expected)
	fmt.Fprintf(tw, "retention\t%s\t%.0f findings/s\tdeleted %d of %d from the restart (muster_retention_deleted_total, read every %s)%s\n",
		r.DeleteTime.Round(time.Millisecond), ratio(float64(r.Deleted), r.DeleteTime.Seconds()), r.Deleted, r.Expected, metricsPoll, map[bool]string{true: "; TIMED OUT", false: ""}[r.TimedOut])
	fmt.Fprintf(tw, "import during deletion\t%s\t%.0f findings/s\t%d clients, %d fresh findings from /healthz to the last deletion; slowest 5 s window %s\n",
		r.During.Time.Round(time.Millisecond), r.During.Rate(), res.Concurrency, r.During.Findings, rateOrNA(r.DuringSlowest))
	fmt.Fprintf(tw, "%s later\t\t\tmuster_retention_deleted_total %d, imports going on (new findings must not expire)\n", retentionHold, r.DeletedLater)
	fmt.Fprintf(tw, "check\t\t\tGetFindings UpdatedAt before restart+1d: %d findings; after: %d (first page of 100)\n", r.OldLeft, r.NewFound)
	stored := "n/a"
	if r.Stored >= 0 {
		stored = strconv.FormatInt(r.Stored, 10)
	}
	fmt.Fprintf(tw, "\t\t\tmuster_findings_stored %s; findings imported since the restart %d\n", stored, r.ImportedSinceStart)
	tw.Flush()
	fmt.Fprintln(w)
	r.Errors.print(w)
	fmt.Fprintln(w)

	avg := ratio(r.During.Rate(), r.Baseline.Rate())
	tw = newTable(w)
	fmt.Fprintf(tw, "target (at %d stored findings; this run deleted %d)\tmeasured\tresult\n", TargetFindings, r.Deleted)
	fmt.Fprintf(tw, "the retention job deletes every expired finding, and only those\t%d of %d, %d after %s more\t%s\n",
		r.Deleted, r.Expected, r.DeletedLater, retentionHold, passFail(!r.TimedOut && r.Deleted == r.Expected && r.DeletedLater == r.Expected))
	if r.During.Findings > 0 {
		fmt.Fprintf(tw, "import rate during deletion ≥ %.1f × baseline, over the deletion\t%.2f (%.0f vs %.0f findings/s)\t%s\n", TargetRetentionRatio, avg, r.During.Rate(), r.Baseline.Rate(), passFail(avg >= TargetRetentionRatio))
	} else {
		fmt.Fprintf(tw, "import rate during deletion ≥ %.1f × baseline, over the deletion\tn/a: no import batch ended during the deletion\t-\n", TargetRetentionRatio)
	}
	if r.DuringSlowest >= 0 {
		s := ratio(r.DuringSlowest, r.Baseline.Rate())
		fmt.Fprintf(tw, "import rate during deletion ≥ %.1f × baseline, slowest 5 s window\t%.2f (%.0f vs %.0f findings/s)\t%s\n", TargetRetentionRatio, s, r.DuringSlowest, r.Baseline.Rate(), passFail(s >= TargetRetentionRatio))
	} else {
		fmt.Fprintf(tw, "import rate during deletion ≥ %.1f × baseline, slowest 5 s window\tn/a: deletion took under 5 s after /healthz\t-\n", TargetRetentionRatio)
	}
	okCheck := r.OldLeft == 0 && r.NewFound > 0 && r.Stored == int64(r.ImportedSinceStart)
	fmt.Fprintf(tw, "afterwards GetFindings finds no old finding; the store holds the new ones\t%d old, %s stored of %d new\t%s\n", r.OldLeft, stored, r.ImportedSinceStart, passFail(okCheck))
	tw.Flush()
}

func rateOrNA(v float64) string {
	if v < 0 {
		return "n/a (under 5 s)"
	}
	return fmt.Sprintf("%.0f/s", v)
}

func newTable(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

// scrape reads the endpoint's Prometheus metrics, each name summed over
// its labels.
func scrape(ctx context.Context, endpoint string) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/metrics: %s", endpoint, resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	return parseMetrics(string(body)), nil
}

// parseMetrics sums the samples of the Prometheus text format by name.
func parseMetrics(text string) map[string]float64 {
	out := map[string]float64{}
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		var name, rest string
		if i := strings.IndexByte(line, '{'); i >= 0 {
			j := strings.LastIndexByte(line, '}')
			if j < i {
				continue
			}
			name, rest = line[:i], line[j+1:]
		} else {
			name, rest, _ = strings.Cut(line, " ")
		}
		fields := strings.Fields(rest)
		if len(fields) == 0 {
			continue
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			continue
		}
		out[name] += v
	}
	return out
}
