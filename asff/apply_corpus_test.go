package asff

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/muster-hub/muster/internal/corpus"
)

// TestApplyCorpus holds Apply's Updates and Applied.Check, which look only
// at the members an update set, to Diff and Check of the whole documents:
// for every corpus finding that Check accepts, and every kind of update,
// including ones that fail it.
func TestApplyCorpus(t *testing.T) {
	all, err := corpus.Findings()
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	flt := func(f float64) *float64 { return &f }
	updates := map[string]BatchUpdate{
		"note":           {Note: &NoteUpdate{Text: "seen", UpdatedBy: "analyst"}},
		"severity":       {Severity: &SeverityUpdate{Label: str("CRITICAL")}},
		"normalized":     {Severity: &SeverityUpdate{Normalized: num(10)}},
		"product only":   {Severity: &SeverityUpdate{Product: flt(3.5)}},
		"workflow":       {Workflow: &WorkflowUpdate{Status: "SUPPRESSED"}},
		"fields":         {UserDefinedFields: map[string]string{"ticket": "SEC-1"}, VerificationState: str("TRUE_POSITIVE"), Confidence: num(80), Criticality: num(90)},
		"types":          {Types: []string{"Software and Configuration Checks/Vulnerabilities/CVE"}},
		"no types":       {Types: []string{}},
		"bad type":       {Types: []string{"a//b"}},
		"related":        {RelatedFindings: []RelatedFinding{{ProductArn: "arn:aws:securityhub:us-east-1::product/aws/guardduty", Id: "x"}}},
		"triage":         {Note: &NoteUpdate{Text: "all", UpdatedBy: "a"}, Severity: &SeverityUpdate{Label: str("LOW")}, Workflow: &WorkflowUpdate{Status: "RESOLVED"}},
		"long note":      {Note: &NoteUpdate{Text: strings.Repeat("x", 600), UpdatedBy: "a"}},
		"workflow again": {Workflow: &WorkflowUpdate{Status: "NEW"}},
	}
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	checked, failed := 0, 0
	for _, cf := range all {
		doc, err := corpus.Prepare(cf.Raw, "123456789012", "us-east-1")
		if err != nil || Check(doc) != nil {
			continue // Applied.Check assumes a valid stored finding
		}
		for name, u := range updates {
			a, err := u.Apply(doc, 0, now)
			if err != nil {
				continue // the update does not apply to this finding
			}
			what := cf.Key() + " " + name
			diff, err := Diff(doc, a.Doc)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if !slices.Equal(a.Updates, diff) {
				t.Errorf("%s: Updates %v, Diff %v", what, a.Updates, diff)
			}
			got, want := a.Check(), Check(a.Doc)
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("%s: Applied.Check() = %v, Check = %v", what, got, want)
			}
			checked++
			if want != nil {
				failed++
			}
		}
	}
	if checked == 0 || failed == 0 {
		t.Fatalf("%d updates checked, %d of them invalid: the test needs both kinds", checked, failed)
	}
}
