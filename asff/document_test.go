package asff

import (
	"encoding/json"
	"testing"
	"time"
)

func completed(t *testing.T, finding string) map[string]any {
	t.Helper()
	im, err := ParseImport([]byte(finding))
	if err != nil {
		t.Fatal(err)
	}
	out, err := im.Complete("us-east-1", DefaultProduct, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("Complete wrote invalid JSON %s: %v", out, err)
	}
	return m
}

func TestCompleteTreatsNullAsAbsent(t *testing.T) {
	m := completed(t, `{"Id":"a","ProductArn":"p","Types":["A/B"],"Severity":{"Label":"HIGH"},"RecordState":null,"Workflow":{"Status":null},
		"FindingProviderFields":{"Types":null,"Severity":{"Label":null,"Original":"x"}}}`)
	if m["RecordState"] != "ACTIVE" {
		t.Errorf("RecordState = %v, want the default ACTIVE", m["RecordState"])
	}
	if wf := m["Workflow"].(map[string]any); wf["Status"] != "NEW" {
		t.Errorf("Workflow = %v, want Status NEW", wf)
	}
	if types, _ := m["Types"].([]any); len(types) != 1 {
		t.Errorf("Types = %v: a null FindingProviderFields.Types wiped it", m["Types"])
	}
	sev := m["Severity"].(map[string]any)
	if sev["Label"] != "HIGH" || sev["Normalized"] != float64(70) || sev["Original"] != "x" {
		t.Errorf("Severity = %v", sev)
	}
}

func TestCompleteProviderSeverityWithoutLabel(t *testing.T) {
	m := completed(t, `{"Id":"a","ProductArn":"p","Severity":{"Normalized":95},"FindingProviderFields":{"Severity":{"Original":"9.8"}}}`)
	sev := m["Severity"].(map[string]any)
	if sev["Label"] != "CRITICAL" || sev["Normalized"] != float64(95) || sev["Original"] != "9.8" {
		t.Errorf("Severity = %v", sev)
	}
	fpf := m["FindingProviderFields"].(map[string]any)["Severity"].(map[string]any)
	if fpf["Label"] != "CRITICAL" {
		t.Errorf("FindingProviderFields.Severity = %v", fpf)
	}
	// A provider Label decides Normalized.
	m = completed(t, `{"Id":"a","ProductArn":"p","Severity":{"Normalized":95},"FindingProviderFields":{"Severity":{"Label":"LOW"}}}`)
	if sev := m["Severity"].(map[string]any); sev["Label"] != "LOW" || sev["Normalized"] != float64(1) {
		t.Errorf("Severity = %v", sev)
	}
}

func TestMergeKeepsCustomerFields(t *testing.T) {
	stored := `{"Id":"a","UpdatedAt":"2024-01-01T00:00:00Z","Workflow":{"Status":"RESOLVED"},"Note":{"Text":"n"},"RecordState":"ARCHIVED"}`
	in := `{"Id":"a","UpdatedAt":"2024-02-01T00:00:00Z","Workflow":{"Status":"NEW"},"UserDefinedFields":{"k":"v"},"RecordState":"ACTIVE","Title":"t2"}`
	mg, err := Merge([]byte(stored), []byte(in), 0)
	out, c := mg.Doc, mg.Customized
	if err != nil || c != 0 {
		t.Fatal(c, err)
	}
	var m map[string]any
	json.Unmarshal(out, &m)
	// ARCHIVED → ACTIVE reopens a RESOLVED finding.
	if m["Title"] != "t2" || m["Workflow"].(map[string]any)["Status"] != "NEW" || m["Note"] == nil || m["UserDefinedFields"] != nil {
		t.Errorf("merged = %s", out)
	}
	if _, err := Merge([]byte(stored), []byte(stored), 0); err != ErrStale {
		t.Errorf("same UpdatedAt: %v, want ErrStale", err)
	}
}
