package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/google/go-cmp/cmp"
)

var testNow = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// TestGeneratorValid checks the members Security Hub requires and the
// limits it enforces, on enough findings to meet every rule and resource
// kind.
func TestGeneratorValid(t *testing.T) {
	g := NewGenerator(1, "eu-west-1", "210987654321", testNow)
	account := regexp.MustCompile(`^\d{12}$`)
	labels := map[types.SeverityLabel]int{}
	kinds := map[string]bool{}
	products := map[string]bool{}
	ids := map[string]bool{}
	oldest, newest := testNow, time.Time{}
	const n = 20000
	minSize, maxSize := 1<<30, 0
	for range n {
		f := g.Next()
		size := len(WireJSON(&f))
		minSize, maxSize = min(minSize, size), max(maxSize, size)
		if size < 2048 || size > 4096 {
			t.Fatalf("finding of %d bytes:\n%s", size, WireJSON(&f))
		}
		for name, v := range map[string]*string{
			"SchemaVersion": f.SchemaVersion, "Id": f.Id, "ProductArn": f.ProductArn, "GeneratorId": f.GeneratorId,
			"AwsAccountId": f.AwsAccountId, "CreatedAt": f.CreatedAt, "UpdatedAt": f.UpdatedAt,
			"Title": f.Title, "Description": f.Description,
		} {
			if aws.ToString(v) == "" {
				t.Fatalf("%s missing", name)
			}
		}
		if *f.SchemaVersion != "2018-10-08" || !account.MatchString(*f.AwsAccountId) {
			t.Fatalf("SchemaVersion %q AwsAccountId %q", *f.SchemaVersion, *f.AwsAccountId)
		}
		if len(*f.Title) > 256 || len(*f.Description) > 1024 {
			t.Fatalf("Title %d, Description %d bytes", len(*f.Title), len(*f.Description))
		}
		if f.Severity == nil || f.Severity.Label == "" || len(f.Types) == 0 || len(f.Resources) == 0 {
			t.Fatalf("Severity, Types or Resources missing: %s", WireJSON(&f))
		}
		for _, r := range f.Resources {
			if aws.ToString(r.Type) == "" || aws.ToString(r.Id) == "" {
				t.Fatalf("resource without Type or Id")
			}
			kinds[*r.Type] = true
		}
		created, err1 := time.Parse(time.RFC3339, *f.CreatedAt)
		updated, err2 := time.Parse(time.RFC3339, *f.UpdatedAt)
		if err1 != nil || err2 != nil || created.After(updated) {
			t.Fatalf("CreatedAt %s UpdatedAt %s", *f.CreatedAt, *f.UpdatedAt)
		}
		oldest, newest = minTime(oldest, updated), maxTime(newest, updated)
		if ids[*f.Id] {
			t.Fatalf("Id %s twice", *f.Id)
		}
		ids[*f.Id] = true
		labels[f.Severity.Label]++
		products[*f.ProductArn] = true
		if !strings.HasPrefix(*f.ProductArn, "arn:aws:securityhub:eu-west-1:210987654321:product/210987654321/") {
			t.Fatalf("ProductArn %s", *f.ProductArn)
		}
	}
	t.Logf("sizes %d..%d bytes, labels %v, resource kinds %v", minSize, maxSize, labels, kinds)
	if newest.Sub(oldest) < Spread-2*24*time.Hour || newest.After(testNow) {
		t.Errorf("UpdatedAt spans %s..%s", oldest, newest)
	}
	if labels[types.SeverityLabelCritical] == 0 || labels[types.SeverityLabelCritical] > labels[types.SeverityLabelLow] {
		t.Errorf("severity distribution %v", labels)
	}
	if len(kinds) < 5 || len(products) != 4 {
		t.Errorf("resource kinds %v, products %v", kinds, products)
	}
	rare, common := g.ResourceUse()
	if rare == "" || rare == common {
		t.Errorf("rare %q common %q", rare, common)
	}
	uses := map[string]int{}
	g2 := NewGenerator(1, "eu-west-1", "210987654321", testNow)
	for range n {
		f := g2.Next()
		for _, r := range f.Resources {
			uses[*r.Id]++
		}
	}
	if uses[rare] > 2 || uses[common] < 100 {
		t.Errorf("rare id in %d findings, common in %d", uses[rare], uses[common])
	}
	prefix := 0
	for id, n := range uses {
		if strings.HasPrefix(id, ResourceIDPrefix("eu-west-1", "210987654321")) {
			prefix += n
		}
	}
	if prefix < n/5 {
		t.Errorf("ResourceIDPrefix in %d resources of %d findings", prefix, n)
	}
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// TestGeneratorDeterministic: the same seed and Now give the same
// findings, another seed others.
func TestGeneratorDeterministic(t *testing.T) {
	a := NewGenerator(7, "us-east-1", "123456789012", testNow)
	b := NewGenerator(7, "us-east-1", "123456789012", testNow)
	c := NewGenerator(8, "us-east-1", "123456789012", testNow)
	for i := range 1000 {
		fa, fb, fc := a.Next(), b.Next(), c.Next()
		if !bytes.Equal(WireJSON(&fa), WireJSON(&fb)) {
			t.Fatalf("finding %d differs between runs", i)
		}
		if bytes.Equal(WireJSON(&fa), WireJSON(&fc)) {
			t.Fatalf("finding %d same for another seed", i)
		}
	}
}

// BenchmarkGenerate measures the generator, which must stay out of the way
// of the measurement: `muster bench` prints its rate too ("generate"). It
// ran at 390,000–540,000 findings/s; a timed test of it failed on a slow
// day, so its speed is a benchmark's to report.
func BenchmarkGenerate(b *testing.B) {
	g := NewGenerator(1, "us-east-1", "123456789012", testNow)
	out := make([]types.AwsSecurityFinding, 1000)
	for b.Loop() {
		g.Generate(out)
	}
	b.ReportMetric(float64(b.N*len(out))/b.Elapsed().Seconds(), "findings/s")
}

// TestWireJSONMatchesSDK checks the size estimate against what the real
// SDK puts on the wire.
func TestWireJSONMatchesSDK(t *testing.T) {
	var mu sync.Mutex
	var got []json.RawMessage
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Findings []json.RawMessage }
		json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		got = append(got, body.Findings...)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"SuccessCount":%d,"FailedCount":0,"FailedFindings":[]}`, len(body.Findings))
	}))
	defer srv.Close()
	c := newClient(Options{Endpoint: srv.URL, Region: "us-east-1", Account: "123456789012"})
	g := NewGenerator(3, "us-east-1", "123456789012", testNow)
	var want []types.AwsSecurityFinding
	for range 100 {
		want = append(want, g.Next())
	}
	if _, err := c.BatchImportFindings(context.Background(), &securityhub.BatchImportFindingsInput{Findings: want}); err != nil {
		t.Fatal(err)
	}
	for i := range want {
		var a, b any
		json.Unmarshal(WireJSON(&want[i]), &a)
		json.Unmarshal(got[i], &b)
		if diff := cmp.Diff(a, b); diff != "" {
			t.Fatalf("finding %d (-WireJSON +SDK):\n%s", i, diff)
		}
		if d := len(got[i]) - len(WireJSON(&want[i])); d < -64 || d > 64 {
			t.Errorf("finding %d: SDK %d bytes, WireJSON %d", i, len(got[i]), len(WireJSON(&want[i])))
		}
	}
}

// fakeHub answers the three calls bench makes, enough to test Run's
// mechanics until the real server exists.
type fakeHub struct {
	mu       sync.Mutex
	enabled  bool
	findings []map[string]any
	queries  []string
}

func (h *fakeHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		return
	}
	if !strings.Contains(r.Header.Get("Authorization"), "Credential=123456789012/") {
		w.Header().Set("X-Amzn-ErrorType", "UnrecognizedClientException")
		w.WriteHeader(403)
		w.Write([]byte(`{"message":"bad key"}`))
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/accounts":
		if h.enabled {
			w.Header().Set("X-Amzn-ErrorType", "ResourceConflictException")
			w.WriteHeader(409)
			w.Write([]byte(`{"message":"already enabled"}`))
			return
		}
		h.enabled = true
		w.Write([]byte(`{}`))
	case "/findings/import":
		var body struct{ Findings []map[string]any }
		json.NewDecoder(r.Body).Decode(&body)
		h.findings = append(h.findings, body.Findings...)
		fmt.Fprintf(w, `{"SuccessCount":%d,"FailedCount":0,"FailedFindings":[]}`, len(body.Findings))
	case "/findings":
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		b, _ := json.Marshal(body["Filters"])
		// Count calls, not attempts: under -race the SDK now and then
		// retries a connection error.
		if strings.HasPrefix(r.Header.Get("Amz-Sdk-Request"), "attempt=1;") {
			h.queries = append(h.queries, string(b))
		}
		n := min(len(h.findings), 3)
		json.NewEncoder(w).Encode(map[string]any{"Findings": h.findings[:n]})
	default:
		w.WriteHeader(404)
	}
}

// TestRunAgainstEndpoint runs the whole bench against a fake hub.
func TestRunAgainstEndpoint(t *testing.T) {
	hub := &fakeHub{enabled: true}
	srv := httptest.NewServer(hub)
	defer srv.Close()
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{Endpoint: srv.URL, Findings: 1234, Concurrency: 3, Queries: 5, Now: testNow, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 1234 || res.Failed != 0 || len(hub.findings) != 1234 {
		t.Errorf("imported %d failed %d, hub has %d", res.Imported, res.Failed, len(hub.findings))
	}
	if len(res.Queries) != 8 || len(hub.queries) != 8*5 {
		t.Fatalf("%d query kinds, %d calls", len(res.Queries), len(hub.queries))
	}
	for _, q := range res.Queries {
		if q.Errors != 0 || q.P50 <= 0 || q.P50 > q.P95 || q.P95 > q.P99 || q.Results != 3 {
			t.Errorf("query %+v", q)
		}
	}
	for _, want := range []string{
		`{"SeverityLabel":[{"Comparison":"EQUALS","Value":"CRITICAL"}]}`,
		`{"ResourceId":[{"Comparison":"PREFIX","Value":"arn:aws:ec2:us-east-1:123456789012:instance/"}]}`,
		`{"UpdatedAt":[{"End":"2025-03-01T12:00:00Z","Start":"2025-02-22T12:00:00Z"}]}`,
		`null`,
	} {
		if !slicesContains(hub.queries, want) {
			t.Errorf("no query %s in %v", want, hub.queries)
		}
	}
	if res.PeakRSS != -1 || res.StoreSize != -1 {
		t.Errorf("RSS %d store %d for an endpoint", res.PeakRSS, res.StoreSize)
	}
	text := out.String()
	t.Logf("\n%s", text)
	for _, want := range []string{"import", "SeverityLabel = CRITICAL", "n/a", "p99"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q", want)
		}
	}
}

func slicesContains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// The test binary doubles as a server for TestRunStartsServer: run with
// BENCH_FAKE_SERVER set, it serves fakeHub until SIGTERM.
func TestMain(m *testing.M) {
	if spec := os.Getenv("BENCH_FAKE_SERVER"); spec != "" {
		addr, dir, _ := strings.Cut(spec, ",")
		os.WriteFile(filepath.Join(dir, "store.db"), make([]byte, 12345), 0o644)
		srv := &http.Server{Addr: addr, Handler: &fakeHub{}}
		go func() {
			sig := make(chan os.Signal, 1)
			signal.Notify(sig, syscall.SIGTERM)
			<-sig
			os.WriteFile(filepath.Join(dir, "stopped"), []byte("SIGTERM"), 0o644)
			srv.Shutdown(context.Background())
		}()
		if err := srv.ListenAndServe(); err != http.ErrServerClosed {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	code := m.Run()
	if musterDir != "" {
		os.RemoveAll(musterDir)
	}
	os.Exit(code)
}

// TestRunStartsServer starts a server, measures it and stops it.
func TestRunStartsServer(t *testing.T) {
	var dataDir string
	res, err := Run(context.Background(), Options{
		ServerCmd: func(addr, dir string, _ ...string) *exec.Cmd {
			dataDir = dir
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "BENCH_FAKE_SERVER="+addr+","+dir)
			return cmd
		},
		Findings: 300, Queries: 2, Now: testNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !res.ServerStarted || res.Imported != 300 || res.PeakRSS <= 0 || res.StoreSize != 12345+7 {
		t.Errorf("result %+v", res)
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("data dir %s left behind", dataDir)
	}
}

// TestServerFailsToStart reports the server's own words.
func TestServerFailsToStart(t *testing.T) {
	_, err := Run(context.Background(), Options{
		ServerCmd: func(addr, dir string, _ ...string) *exec.Cmd {
			return exec.Command("sh", "-c", "echo 'cannot open store' >&2; exit 3")
		},
		Findings: 10,
	})
	if err == nil || !strings.Contains(err.Error(), "cannot open store") {
		t.Errorf("err = %v", err)
	}
}

// TestRunPreloaded: a preloaded endpoint gets no import, only the
// workload, and the bench refuses --preloaded without an endpoint.
func TestRunPreloaded(t *testing.T) {
	hub := &fakeHub{enabled: true}
	srv := httptest.NewServer(hub)
	defer srv.Close()
	var out bytes.Buffer
	res, err := Run(context.Background(), Options{Endpoint: srv.URL, Preloaded: true, Findings: 500, Queries: 2, Now: testNow, Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != 0 || len(hub.findings) != 0 || len(hub.queries) != 8*2 {
		t.Errorf("imported %d, hub has %d findings and %d queries", res.Imported, len(hub.findings), len(hub.queries))
	}
	if !strings.Contains(out.String(), "skipped") {
		t.Errorf("table does not say the import was skipped:\n%s", out.String())
	}
	if _, err := Run(context.Background(), Options{Preloaded: true}); err == nil || !strings.Contains(err.Error(), "--preloaded needs the endpoint") {
		t.Errorf("no endpoint: err = %v", err)
	}
}
