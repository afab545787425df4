package hub_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-json-experiment/json/jsontext"

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
