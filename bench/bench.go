// Package bench measures a Security Hub endpoint the way its users load
// it: many SDK clients importing realistic findings, then the GetFindings
// queries that consoles and scripts run. Everything goes through the real
// aws-sdk-go-v2 client with SigV4, so the numbers include the wire, and the
// same run works against Muster or against any other endpoint. It is the
// logic of `muster bench`.
package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/aws/smithy-go"

	"github.com/muster-hub/muster/importer"
)

// Options says what to measure. The zero value of every field but
// ServerCmd (needed when Endpoint is empty) has a default.
type Options struct {
	// Workload is what runs after the findings are imported:
	// WorkloadImport (the default) times GetFindings queries,
	// WorkloadMixed runs imports, re-imports, BatchUpdateFindings and
	// GetFindings together, WorkloadRetention restarts the server with its
	// clock moved past the retention period and imports while the
	// retention job deletes every finding.
	Workload string
	// Endpoint is the base URL of the hub; empty starts one with ServerCmd.
	Endpoint string
	// ServerCmd returns the command that serves on addr with its data in
	// dataDir, with args appended, e.g. `muster serve --addr ADDR --data
	// DIR ARGS...`. The retention workload passes --clock-offset and
	// --retention-interval.
	ServerCmd func(addr, dataDir string, args ...string) *exec.Cmd
	// DataDir of an Endpoint's server, to report the store size; the
	// started server's is known.
	DataDir string
	// Findings to import; default 100000.
	Findings int
	// Concurrency is the number of SDK clients importing at once; default 8.
	Concurrency int
	// Region, default us-east-1, and Account, default 123456789012: in
	// Muster's open mode the access key id is the account.
	Region, Account string
	// Auth runs the server it starts in config mode: one user of Account
	// whose identity policy has 20 statements signs every request, so
	// that the run measures what authorization costs against an
	// open-mode run. It needs a server the bench starts.
	Auth bool
	// Events creates three rules with one webhook target on a
	// receiver in the bench before the import, and measures delivery
	// lag; compare the import rate with a run without it. ImportRate
	// paces that import, to measure the lag at a rate the server
	// sustains.
	Events bool
	// serverArgs are the arguments every start of the server gets.
	serverArgs []string
	// Queries is how many times each GetFindings query runs; default 50.
	Queries int
	// Seed makes the findings; the same seed gives the same findings.
	Seed uint64
	// Now is the newest UpdatedAt of the findings; default the current
	// time. Query ranges are relative to it.
	Now time.Time
	// Preloaded says that Endpoint already holds the Findings findings
	// of Seed, in a store copied from an earlier run's after its import:
	// the run skips their import and measures the workload alone, so
	// that a change can be measured at 1,000,000 findings without
	// loading them again each time. Fresh imports of the mixed workload
	// assume the store holds nothing else.
	Preloaded bool
	// Settle is how long to wait between the import and the queries, so
	// that the queries measure a store at rest rather than one still
	// checkpointing the import's write-ahead log. Zero does not wait.
	Settle time.Duration
	// Out receives the table; nil prints nothing.
	Out io.Writer

	// Duration of the mixed workload; default 60s.
	Duration time.Duration
	// Updaters is the number of BatchUpdateFindings clients of the mixed
	// workload; default 2.
	Updaters int
	// Reimport is the share of each import batch of the mixed workload
	// that re-imports stored findings; default 0.3. Negative means none.
	Reimport float64
	// ImportRate paces the importers of the mixed workload, in findings
	// per second for all of them; 0 sends as fast as the server takes them.
	ImportRate float64
	// UpdateRate paces the BatchUpdateFindings clients of the mixed
	// workload, in calls per second for all of them; 0 sends them back to
	// back.
	UpdateRate float64
	// QueryRate paces the GetFindings client of the mixed workload, in
	// calls per second; 0 sends them back to back.
	QueryRate float64
	// CompareFindings is how many findings each of the fresh-import and
	// re-import phases of the mixed workload sends, each alone; default a
	// quarter of Findings, at most 50,000.
	CompareFindings int
	// Baseline is how long the retention workload imports before the
	// restart, to know the import rate without deletions; default 20s.
	Baseline time.Duration
	// RetentionTimeout bounds the wait for the retention job to delete
	// every expired finding; default 30m.
	RetentionTimeout time.Duration
}

// Result is what a run measured.
type Result struct {
	Endpoint string
	// Auth is Options.Auth: the server checked an IAM policy on every
	// request.
	Auth bool
	// Events is what an Options.Events run measured.
	Events        *EventsResult
	Findings      int
	AvgSize       int // bytes of a finding on the wire, estimated
	Concurrency   int
	Generate      time.Duration
	Import        time.Duration
	Imported      int
	Failed        int
	Failures      map[string]int // failed findings by "Code: message"
	Queries       []QueryResult
	Settle        time.Duration
	PeakRSS       int64 // bytes; -1 when unknown
	StoreSize     int64 // bytes; -1 when unknown
	ServerStarted bool
	// Preloaded is Options.Preloaded: nothing was imported first.
	Preloaded bool

	Workload  string
	Mixed     *MixedResult     // of WorkloadMixed
	Retention *RetentionResult // of WorkloadRetention
}

// ImportRate is findings imported per second of wall clock.
func (r *Result) ImportRate() float64 {
	return Throughput{Findings: r.Imported, Time: r.Import}.Rate()
}

// QueryResult is the latency of one kind of GetFindings call.
type QueryResult struct {
	Name          string
	P50, P95, P99 time.Duration
	Results       int // findings returned by the first call, to show the filter matched
	Calls         int // of the mixed workload; the import workload makes Options.Queries
	Errors        int
	Error         string // the first error
}

const (
	defaultFindings         = 100_000
	defaultConcurrency      = 8
	defaultQueries          = 50
	defaultDuration         = 60 * time.Second
	defaultUpdaters         = 2
	defaultReimport         = 0.3
	maxCompareFindings      = 50_000
	defaultBaseline         = 20 * time.Second
	defaultRetentionTimeout = 30 * time.Minute
	batchSize               = 100
	healthTimeout           = 60 * time.Second
	stopTimeout             = 30 * time.Second
)

// Run generates the findings, starts a server if needed, imports, queries
// and reports. The server it started is stopped before it returns.
func Run(ctx context.Context, o Options) (res *Result, err error) {
	if o.Findings <= 0 {
		o.Findings = defaultFindings
	}
	if o.Concurrency <= 0 {
		o.Concurrency = defaultConcurrency
	}
	if o.Queries <= 0 {
		o.Queries = defaultQueries
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Account == "" {
		o.Account = "123456789012"
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	switch o.Workload {
	case "":
		o.Workload = WorkloadImport
	case WorkloadImport, WorkloadMixed, WorkloadRetention:
	default:
		return nil, fmt.Errorf("bench: unknown workload %q: want %s, %s or %s", o.Workload, WorkloadImport, WorkloadMixed, WorkloadRetention)
	}
	if o.Auth && o.Endpoint != "" {
		return nil, errors.New("bench: --auth writes the config of the server it starts, so it needs no endpoint")
	}
	if o.Preloaded && o.Endpoint == "" {
		return nil, errors.New("bench: --preloaded needs the endpoint of a server that holds the findings")
	}
	if o.Workload == WorkloadRetention && o.Endpoint != "" {
		return nil, errors.New("bench: the retention workload restarts the server with its clock moved forward, so it needs a server it starts itself: leave the endpoint empty")
	}
	if o.Workload == WorkloadMixed && o.Findings < o.Concurrency*batchSize {
		return nil, fmt.Errorf("bench: the mixed workload needs at least %d findings (%d clients × %d) to re-import", o.Concurrency*batchSize, o.Concurrency, batchSize)
	}
	if o.Duration <= 0 {
		o.Duration = defaultDuration
	}
	if o.Updaters <= 0 {
		o.Updaters = defaultUpdaters
	}
	if o.Reimport == 0 {
		o.Reimport = defaultReimport
	}
	o.Reimport = min(max(o.Reimport, 0), 1)
	if o.CompareFindings <= 0 {
		o.CompareFindings = min(max(o.Findings/4, 2*batchSize), maxCompareFindings)
	}
	if o.Baseline <= 0 {
		o.Baseline = defaultBaseline
	}
	if o.RetentionTimeout <= 0 {
		o.RetentionTimeout = defaultRetentionTimeout
	}
	res = &Result{Findings: o.Findings, Concurrency: o.Concurrency, PeakRSS: -1, StoreSize: -1, Workload: o.Workload, Auth: o.Auth}

	gen := NewGenerator(o.Seed, o.Region, o.Account, o.Now)
	findings := make([]types.AwsSecurityFinding, o.Findings)
	start := time.Now()
	gen.Generate(findings)
	res.Generate = time.Since(start)
	res.AvgSize = EstimateSize(findings[:min(len(findings), 200)])
	rare, _ := gen.ResourceUse()
	o.Now = gen.Now

	var srv *server
	if o.Endpoint == "" {
		if o.ServerCmd == nil {
			return nil, errors.New("bench: no endpoint and no server command")
		}
		dir, err := os.MkdirTemp("", "muster-bench-")
		if err != nil {
			return nil, err
		}
		if o.Auth {
			path := filepath.Join(dir, "bench-config.yaml")
			if err := os.WriteFile(path, []byte(authConfig(o.Account)), 0o600); err != nil {
				os.RemoveAll(dir)
				return nil, err
			}
			o.serverArgs = []string{"--config", path}
		}
		srv, err = startServer(ctx, o.ServerCmd, dir, o.serverArgs...)
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		defer func() {
			// srv is the server running now: the retention workload
			// replaces the first one.
			if serr := srv.stop(); serr != nil && err == nil {
				err = serr
			}
			if size, derr := dirSize(dir); derr == nil {
				res.StoreSize = size
			}
			os.RemoveAll(dir)
			if err == nil && o.Out != nil {
				res.Print(o.Out)
			}
		}()
		o.Endpoint = srv.endpoint
		res.ServerStarted = true
	} else if o.Out != nil {
		defer func() {
			if err == nil {
				res.Print(o.Out)
			}
		}()
	}
	res.Endpoint = o.Endpoint

	clients := make([]*securityhub.Client, o.Concurrency)
	for i := range clients {
		clients[i] = newClient(o)
	}
	if _, err := clients[0].EnableSecurityHub(ctx, &securityhub.EnableSecurityHubInput{}); err != nil {
		var ae smithy.APIError
		if !errors.As(err, &ae) || ae.ErrorCode() != "ResourceConflictException" {
			return res, fmt.Errorf("bench: EnableSecurityHub: %w", err)
		}
	}

	var sink *eventSink
	expected := 0
	if o.Events {
		if sink, err = startEventSink(); err != nil {
			return res, err
		}
		defer sink.close()
		rules := eventRules(sink.url)
		if err := putRules(ctx, o, rules); err != nil {
			return res, err
		}
		// The first pattern of eventRules selects every finding, and
		// their one target gets each event once.
		expected = len(findings)
	}
	importStart := time.Now()
	rate := 0.0
	if o.Events {
		rate = o.ImportRate
	}
	if o.Preloaded {
		res.Preloaded = true
	} else if err := runImport(ctx, clients, findings, res, rate); err != nil {
		return res, err
	}
	if sink != nil {
		res.Events = sink.waitDeliveries(ctx, expected, importStart, 10*time.Second)
		res.Events.Rules = 3
	}
	findings = nil // let the collector have them before the queries
	if o.Settle > 0 {
		select {
		case <-time.After(o.Settle):
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	res.Settle = o.Settle

	switch o.Workload {
	case WorkloadMixed:
		if err := runMixed(ctx, o, gen, queries(o, rare), clients, res); err != nil {
			return res, err
		}
	case WorkloadRetention:
		if err := runRetention(ctx, o, &srv, res); err != nil {
			return res, err
		}
	default:
		for _, q := range queries(o, rare) {
			res.Queries = append(res.Queries, runQuery(ctx, clients[0], q, o.Queries))
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
		}
	}
	if srv != nil {
		res.PeakRSS = max(res.PeakRSS, peakRSS(srv.cmd.Process.Pid))
	} else if o.DataDir != "" {
		if size, err := dirSize(o.DataDir); err == nil {
			res.StoreSize = size
		}
	}
	return res, nil
}

// accessKey is the key the bench signs with: the account itself in open
// mode, the configured user's in --auth runs.
func (o Options) accessKey() string {
	if o.Auth {
		return authKeyID
	}
	return o.Account
}

func newClient(o Options) *securityhub.Client {
	return securityhub.New(securityhub.Options{
		Region:       o.Region,
		BaseEndpoint: aws.String(o.Endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(o.accessKey(), "muster-bench-secret", ""),
		Retryer:      importer.NewRetryer(0, 0),
	})
}

// runImport sends the findings in batches, each client sending one batch
// at a time, and books the wall clock from the first request to the last
// answer.
func runImport(ctx context.Context, clients []*securityhub.Client, findings []types.AwsSecurityFinding, res *Result, rate float64) error {
	batches := make(chan []types.AwsSecurityFinding)
	var mu sync.Mutex
	res.Failures = map[string]int{}
	fail := func(key string, n int) {
		mu.Lock()
		res.Failures[key] += n
		res.Failed += n
		mu.Unlock()
	}
	var wg sync.WaitGroup
	start := time.Now()
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				out, err := c.BatchImportFindings(ctx, &securityhub.BatchImportFindingsInput{Findings: b})
				if err != nil {
					fail(errorKey(err), len(b))
					continue
				}
				mu.Lock()
				res.Imported += int(aws.ToInt32(out.SuccessCount))
				mu.Unlock()
				for _, f := range out.FailedFindings {
					fail(aws.ToString(f.ErrorCode)+": "+aws.ToString(f.ErrorMessage), 1)
				}
			}
		}()
	}
	var err error
	pace := pacer(start, rate/batchSize, ctx.Done())
send:
	for i := 0; i < len(findings); i += batchSize {
		if !pace() {
			err = ctx.Err()
			break
		}
		select {
		case batches <- findings[i:min(i+batchSize, len(findings))]:
		case <-ctx.Done():
			err = ctx.Err()
			break send
		}
	}
	close(batches)
	wg.Wait()
	res.Import = time.Since(start)
	return err
}

func errorKey(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return "RequestError: " + err.Error()
}

type query struct {
	name    string
	filters *types.AwsSecurityFindingFilters
}

// queries are the GetFindings calls timed: the filters a console and the
// usual scripts send, from very selective to none.
func queries(o Options, rareID string) []query {
	eq := func(v string) []types.StringFilter {
		return []types.StringFilter{{Comparison: types.StringFilterComparisonEquals, Value: aws.String(v)}}
	}
	week := []types.DateFilter{{
		Start: aws.String(o.Now.Add(-7 * 24 * time.Hour).Format(time.RFC3339)),
		End:   aws.String(o.Now.Format(time.RFC3339)),
	}}
	return []query{
		{"SeverityLabel = CRITICAL", &types.AwsSecurityFindingFilters{SeverityLabel: eq("CRITICAL")}},
		{"ResourceId = rare id", &types.AwsSecurityFindingFilters{ResourceId: eq(rareID)}},
		{"ResourceId PREFIX ec2 instance", &types.AwsSecurityFindingFilters{ResourceId: []types.StringFilter{{
			Comparison: types.StringFilterComparisonPrefix, Value: aws.String(ResourceIDPrefix(o.Region, o.Account)),
		}}}},
		{"ProductArn = default", &types.AwsSecurityFindingFilters{ProductArn: eq(ProductArns(o.Region, o.Account)[0])}},
		{"WorkflowStatus = NEW", &types.AwsSecurityFindingFilters{WorkflowStatus: eq("NEW")}},
		{"RecordState = ACTIVE", &types.AwsSecurityFindingFilters{RecordState: eq("ACTIVE")}},
		{"UpdatedAt last 7 days", &types.AwsSecurityFindingFilters{UpdatedAt: week}},
		{"no filter", nil},
	}
}

func runQuery(ctx context.Context, c *securityhub.Client, q query, n int) QueryResult {
	r := QueryResult{Name: q.name}
	in := &securityhub.GetFindingsInput{
		Filters:      q.filters,
		MaxResults:   aws.Int32(100),
		SortCriteria: []types.SortCriterion{{Field: aws.String("UpdatedAt"), SortOrder: types.SortOrderDescending}},
	}
	lat := make([]time.Duration, 0, n)
	for i := range n {
		start := time.Now()
		out, err := c.GetFindings(ctx, in)
		d := time.Since(start)
		if err != nil {
			r.Errors++
			if r.Error == "" {
				r.Error = errorKey(err)
			}
			if ctx.Err() != nil {
				break
			}
			continue
		}
		if i == 0 {
			r.Results = len(out.Findings)
		}
		lat = append(lat, d)
	}
	slices.Sort(lat)
	r.P50, r.P95, r.P99 = percentile(lat, 50), percentile(lat, 95), percentile(lat, 99)
	return r
}

// percentile is the nearest-rank percentile of sorted durations.
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

// Print writes the result as aligned tables.
func (r *Result) Print(w io.Writer) {
	r.printImport(w)
	fmt.Fprintln(w)
	switch {
	case r.Mixed != nil:
		r.Mixed.print(w, r)
	case r.Retention != nil:
		r.Retention.print(w, r)
	default:
		r.printQueries(w)
	}
}

func (r *Result) printImport(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "endpoint\t%s\n", r.Endpoint)
	if r.Auth {
		fmt.Fprintf(tw, "mode\tconfig\tone user, identity policy of 20 statements, every request authorized\n")
	}
	fmt.Fprintf(tw, "findings\t%d\t~%s each on the wire\n", r.Findings, bytesString(int64(r.AvgSize)))
	fmt.Fprintf(tw, "generate\t%s\t%.0f findings/s\n", r.Generate.Round(time.Millisecond), float64(r.Findings)/r.Generate.Seconds())
	if r.Preloaded {
		fmt.Fprintf(tw, "import\tskipped\tthe endpoint held the findings already (--preloaded)\n")
	} else {
		fmt.Fprintf(tw, "import\t%s\t%.0f findings/s\t%d clients, %d imported, %d failed\n", r.Import.Round(time.Millisecond), r.ImportRate(), r.Concurrency, r.Imported, r.Failed)
	}
	keys := make([]string, 0, len(r.Failures))
	for k := range r.Failures {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(tw, "\t%d\t%s\n", r.Failures[k], k)
	}
	fmt.Fprintf(tw, "peak RSS\t%s\n", bytesOrNA(r.PeakRSS))
	fmt.Fprintf(tw, "store size\t%s\n", bytesOrNA(r.StoreSize))
	tw.Flush()
	if r.Events != nil {
		r.Events.print(w)
	}
}

func (r *Result) printQueries(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "GetFindings (MaxResults 100, UpdatedAt desc; %s after the import)\t%9s\t%9s\t%9s\t%7s\t%6s\n", r.Settle, "p50", "p95", "p99", "results", "errors")
	for _, q := range r.Queries {
		fmt.Fprintf(tw, "%s\t%9s\t%9s\t%9s\t%7d\t%6d\n", q.Name, ms(q.P50), ms(q.P95), ms(q.P99), q.Results, q.Errors)
	}
	tw.Flush()
	for _, q := range r.Queries {
		if q.Error != "" {
			fmt.Fprintf(w, "%s: %s\n", q.Name, q.Error)
		}
	}
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 1, 64) + " ms"
}

func bytesOrNA(n int64) string {
	if n < 0 {
		return "n/a"
	}
	return bytesString(n)
}

func bytesString(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// server is a hub process that Run started and must stop.
type server struct {
	cmd      *exec.Cmd
	endpoint string
	dataDir  string
	output   *tailBuffer
	exited   chan struct{}
	waitErr  error
	// started is when the process was started, healthy when it first
	// answered /healthz.
	started, healthy time.Time
}

// startServer runs the server with its data in dir, on a free loopback
// port, and waits until it answers /healthz. It leaves dir to the caller.
func startServer(ctx context.Context, mk func(addr, dataDir string, args ...string) *exec.Cmd, dir string, args ...string) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	s := &server{cmd: mk(addr, dir, args...), endpoint: "http://" + addr, dataDir: dir, output: &tailBuffer{max: 8 << 10}, exited: make(chan struct{})}
	s.cmd.Stdout, s.cmd.Stderr = s.output, s.output
	s.started = time.Now()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: starting server: %w", err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	deadline := time.Now().Add(healthTimeout)
	hc := &http.Client{Timeout: time.Second}
	for {
		resp, err := hc.Get(s.endpoint + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				s.healthy = time.Now()
				return s, nil
			}
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("bench: server exited before it was healthy (%v):\n%s", s.waitErr, s.output)
		case <-ctx.Done():
			s.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("bench: server not healthy after %s:\n%s", healthTimeout, s.output)
		}
	}
}

// stop asks the server to shut down with SIGTERM, as a service manager
// would, and kills it if it does not within stopTimeout.
func (s *server) stop() error {
	select {
	case <-s.exited:
		return nil
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		var ee *exec.ExitError
		if s.waitErr != nil && !(errors.As(s.waitErr, &ee) && ee.ExitCode() == -1) {
			return fmt.Errorf("bench: server exited with %v:\n%s", s.waitErr, s.output)
		}
		return nil
	case <-time.After(stopTimeout):
		s.cmd.Process.Kill()
		<-s.exited
		return fmt.Errorf("bench: server did not stop within %s of SIGTERM", stopTimeout)
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// peakRSS reads the high-water mark of the process's resident memory.
func peakRSS(pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			info, err := d.Info()
			if err != nil {
				return err
			}
			n += info.Size()
		}
		return nil
	})
	return n, err
}

// tailBuffer keeps the last max bytes a server wrote, for error messages.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if over := t.buf.Len() - t.max; over > 0 {
		t.buf.Next(over)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}
