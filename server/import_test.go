package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/securityhub"

	"github.com/muster-hub/muster/importer"
	"github.com/muster-hub/muster/internal/corpus"
)

// TestMusterImport runs `muster import`'s engine against a real server: the
// Prowler corpus file, written as JSON lines the way Prowler writes it,
// goes in through the SDK in batches, and the summary groups what the
// server refused.
func TestMusterImport(t *testing.T) {
	all, err := corpus.Findings()
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, nil)
	c := client(s, acct, "x", "us-east-1")
	enable(t, c)

	var lines bytes.Buffer
	want, wantFailed := 0, 0
	for _, f := range all {
		if f.File != "defectdojo-prowler-asff-output.json" {
			continue
		}
		raw, err := corpus.Prepare(f.Raw, acct, "us-east-1")
		if err != nil {
			t.Fatal(err)
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			t.Fatal(err)
		}
		lines.Write(compact.Bytes())
		lines.WriteByte('\n')
		if _, bad := corpus.Expected[f.Key()]; bad {
			wantFailed++
		} else {
			want++
		}
	}
	file := filepath.Join(t.TempDir(), "prowler.asff.jsonl")
	if err := os.WriteFile(file, lines.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := importer.Run(context.Background(), importer.Options{Files: []string{file}, Client: c})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != want+wantFailed || sum.Imported != want || sum.Failed != wantFailed || sum.Requests < (want+wantFailed)/100 {
		t.Fatalf("summary: read %d imported %d failed %d requests %d; want %d imported, %d failed", sum.Read, sum.Imported, sum.Failed, sum.Requests, want, wantFailed)
	}
	var out strings.Builder
	sum.Print(&out)
	if !strings.Contains(out.String(), "InvalidInput") || !strings.Contains(out.String(), "Compliance.Status") {
		t.Fatalf("summary does not group the refusals:\n%s", out.String())
	}
	stored := getAll(t, c, &securityhub.GetFindingsInput{})
	if len(stored) == 0 || len(stored) > want {
		t.Fatalf("%d findings stored", len(stored))
	}
}
