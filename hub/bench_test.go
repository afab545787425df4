package hub_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/muster-hub/muster"
	"github.com/muster-hub/muster/asff"
	"github.com/muster-hub/muster/bench"
	"github.com/muster-hub/muster/hub"
	"github.com/muster-hub/muster/sqlite"
)

// BenchmarkBatchImportFindings measures the service's import path — checks,
// completion, merge and the SQLite store — without HTTP, on the findings
// `muster bench` generates, 100 per call as clients send them.
func BenchmarkBatchImportFindings(b *testing.B) {
	db, err := sqlite.Open(filepath.Join(b.TempDir(), "muster.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	svc := hub.New(db, []byte("k"))
	// Open mode, as `muster bench` runs the server: the generator sends
	// products of its own account that no manifest registers.
	c := hub.Caller{Account: "123456789012", ARN: "arn:aws:iam::123456789012:root", Region: "us-east-1", Unrestricted: true}
	ctx := context.Background()
	if err := svc.EnableSecurityHub(ctx, c, hub.EnableInput{}); err != nil {
		b.Fatal(err)
	}
	gen := bench.NewGenerator(1, c.Region, c.Account, time.Now())
	const batch = 100
	raws := make([][]jsontext.Value, b.N)
	for i := range raws {
		for range batch {
			f := gen.Next()
			raws[i] = append(raws[i], bench.WireJSON(&f))
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := svc.BatchImportFindings(ctx, c, raws[i])
		if err != nil {
			b.Fatal(err)
		}
		if out.FailedCount != 0 {
			b.Fatalf("failures: %+v", out.FailedFindings[0])
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "findings/s")
}

// BenchmarkMergeImport measures deciding a re-import without the store:
// the ownership rules and the history record's Updates, for findings as
// `muster bench` generates and re-imports them.
func BenchmarkMergeImport(b *testing.B) {
	gen := bench.NewGenerator(1, "us-east-1", "123456789012", time.Now())
	complete := func(f types.AwsSecurityFinding, at time.Time) *muster.Finding {
		im, err := asff.ParseImport(bench.WireJSON(&f))
		if err != nil {
			b.Fatal(err)
		}
		doc, err := im.Complete("us-east-1", asff.DefaultProduct, at)
		if err != nil {
			b.Fatal(err)
		}
		return &muster.Finding{Region: "us-east-1", Doc: doc, ProcessedAt: at}
	}
	const n = 1000
	later := time.Now().Add(time.Hour)
	stored, incoming := make([]*muster.Finding, n), make([]*muster.Finding, n)
	size := 0
	for i := range n {
		stored[i] = complete(gen.At(i), time.Now())
		incoming[i] = complete(gen.Reimport(i, later), later)
		size += len(stored[i].Doc)
	}
	b.SetBytes(int64(size / n))
	i := 0
	for b.Loop() {
		ch, err := hub.MergeImport(stored[i%n], incoming[i%n])
		if err != nil || ch == nil || len(ch.History.Updates) == 0 {
			b.Fatalf("%v, %v", ch, err)
		}
		i++
	}
}
