package asff

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/go-cmp/cmp"
)

// decode parses a JSON document for comparison, failing the test when it
// is not valid JSON.
func decode(t *testing.T, doc []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatalf("invalid JSON %s: %v", doc, err)
	}
	return m
}

// sameJSON fails the test when got and want are different JSON values,
// whatever their layout and member order.
func sameJSON(t *testing.T, got []byte, want string) {
	t.Helper()
	if d := cmp.Diff(decode(t, []byte(want)), decode(t, got)); d != "" {
		t.Errorf("document (-want +got):\n%s\ngot %s", d, got)
	}
}

type mergeCase struct {
	name             string
	stored, incoming string
	c                Customized
	want             string
	wantC            Customized
	wantErr          error
}

func TestMerge(t *testing.T) {
	const (
		t1 = `"UpdatedAt":"2024-01-01T00:00:00.000Z"`
		t2 = `"UpdatedAt":"2024-02-01T00:00:00.000Z"`
	)
	cases := []mergeCase{
		{
			name:     "same UpdatedAt is stale",
			stored:   `{"Id":"a",` + t1 + `}`,
			incoming: `{"Id":"a","Title":"new",` + t1 + `}`,
			wantErr:  ErrStale,
		},
		{
			name:     "older UpdatedAt is stale",
			stored:   `{"Id":"a",` + t2 + `}`,
			incoming: `{"Id":"a",` + t1 + `}`,
			c:        CustomSeverity,
			wantErr:  ErrStale,
		},
		{
			name: "customer fields keep stored values",
			stored: `{"Id":"a",` + t1 + `,"Title":"old","Note":{"Text":"mine","UpdatedBy":"me","UpdatedAt":"2024-01-01T00:00:00.000Z"},
				"UserDefinedFields":{"k":"v"},"VerificationState":"TRUE_POSITIVE","Workflow":{"Status":"NOTIFIED"},"WorkflowState":"ASSIGNED"}`,
			incoming: `{"Id":"a",` + t2 + `,"Title":"new","Note":{"Text":"provider","UpdatedBy":"p","UpdatedAt":"2024-02-01T00:00:00.000Z"},
				"UserDefinedFields":{"p":"q"},"VerificationState":"UNKNOWN","Workflow":{"Status":"NEW"},"WorkflowState":"NEW"}`,
			want: `{"Id":"a",` + t2 + `,"Title":"new","Note":{"Text":"mine","UpdatedBy":"me","UpdatedAt":"2024-01-01T00:00:00.000Z"},
				"UserDefinedFields":{"k":"v"},"VerificationState":"TRUE_POSITIVE","Workflow":{"Status":"NOTIFIED"},"WorkflowState":"ASSIGNED"}`,
		},
		{
			name:     "absent customer fields stay absent",
			stored:   `{"Id":"a",` + t1 + `}`,
			incoming: `{"Id":"a",` + t2 + `,"Note":{"Text":"provider","UpdatedBy":"p","UpdatedAt":"2024-02-01T00:00:00.000Z"},"UserDefinedFields":{"p":"q"},"VerificationState":"UNKNOWN","Workflow":{"Status":"NEW"},"WorkflowState":"NEW"}`,
			want:     `{"Id":"a",` + t2 + `}`,
		},
		{
			name:     "a null stored customer field is absent",
			stored:   `{"Id":"a",` + t1 + `,"Note":null}`,
			incoming: `{"Id":"a",` + t2 + `,"Note":{"Text":"provider","UpdatedBy":"p","UpdatedAt":"2024-02-01T00:00:00.000Z"}}`,
			want:     `{"Id":"a",` + t2 + `}`,
		},
		{
			name:     "legacy note replaced by the provider's",
			stored:   `{"Id":"a",` + t1 + `,"Note":{"Text":"legacy","UpdatedBy":"me","UpdatedAt":"2024-01-01T00:00:00.000Z"},"VerificationState":"TRUE_POSITIVE"}`,
			incoming: `{"Id":"a",` + t2 + `,"Note":{"Text":"provider","UpdatedBy":"p","UpdatedAt":"2024-02-01T00:00:00.000Z"},"VerificationState":"UNKNOWN"}`,
			c:        LegacyNote | CustomTypes,
			want:     `{"Id":"a",` + t2 + `,"Note":{"Text":"provider","UpdatedBy":"p","UpdatedAt":"2024-02-01T00:00:00.000Z"},"VerificationState":"TRUE_POSITIVE"}`,
			wantC:    CustomTypes,
		},
		{
			name:     "legacy note removed when the provider sends none",
			stored:   `{"Id":"a",` + t1 + `,"Note":{"Text":"legacy","UpdatedBy":"me","UpdatedAt":"2024-01-01T00:00:00.000Z"}}`,
			incoming: `{"Id":"a",` + t2 + `}`,
			c:        LegacyNote,
			want:     `{"Id":"a",` + t2 + `}`,
		},
		{
			name:     "legacy note removed by a null provider note",
			stored:   `{"Id":"a",` + t1 + `,"Note":{"Text":"legacy","UpdatedBy":"me","UpdatedAt":"2024-01-01T00:00:00.000Z"}}`,
			incoming: `{"Id":"a",` + t2 + `,"Note":null}`,
			c:        LegacyNote,
			want:     `{"Id":"a",` + t2 + `}`,
		},
		{
			name: "customized severity keeps the top level, provider copy follows",
			stored: `{"Id":"a",` + t1 + `,"Severity":{"Label":"CRITICAL","Normalized":90,"Original":"5"},
				"FindingProviderFields":{"Severity":{"Label":"MEDIUM","Original":"5"}}}`,
			incoming: `{"Id":"a",` + t2 + `,"Severity":{"Label":"LOW","Normalized":1,"Original":"2"},
				"FindingProviderFields":{"Severity":{"Label":"LOW","Original":"2"}}}`,
			c: CustomSeverity,
			want: `{"Id":"a",` + t2 + `,"Severity":{"Label":"CRITICAL","Normalized":90,"Original":"5"},
				"FindingProviderFields":{"Severity":{"Label":"LOW","Original":"2"}}}`,
			wantC: CustomSeverity,
		},
		{
			name: "non-customized severity follows the provider",
			stored: `{"Id":"a",` + t1 + `,"Severity":{"Label":"CRITICAL","Normalized":90,"Original":"5"},"Types":["mine"],
				"FindingProviderFields":{"Severity":{"Label":"MEDIUM","Original":"5"},"Types":["old"]}}`,
			incoming: `{"Id":"a",` + t2 + `,"Severity":{"Label":"LOW","Normalized":1,"Original":"2"},"Types":["new"],
				"FindingProviderFields":{"Severity":{"Label":"LOW","Original":"2"},"Types":["new"]}}`,
			c: CustomTypes,
			want: `{"Id":"a",` + t2 + `,"Severity":{"Label":"LOW","Normalized":1,"Original":"2"},"Types":["mine"],
				"FindingProviderFields":{"Severity":{"Label":"LOW","Original":"2"},"Types":["new"]}}`,
			wantC: CustomTypes,
		},
		{
			name:     "customized attribute absent in stored stays absent",
			stored:   `{"Id":"a",` + t1 + `}`,
			incoming: `{"Id":"a",` + t2 + `,"Criticality":50,"FindingProviderFields":{"Criticality":50}}`,
			c:        CustomCriticality,
			want:     `{"Id":"a",` + t2 + `,"FindingProviderFields":{"Criticality":50}}`,
			wantC:    CustomCriticality,
		},
		{
			name:     "provider drops a non-customized attribute",
			stored:   `{"Id":"a",` + t1 + `,"Confidence":10,"FindingProviderFields":{"Confidence":10}}`,
			incoming: `{"Id":"a",` + t2 + `}`,
			want:     `{"Id":"a",` + t2 + `}`,
		},
		{
			name:     "provider drops a customized attribute's provider copy",
			stored:   `{"Id":"a",` + t1 + `,"Confidence":99,"FindingProviderFields":{"Confidence":10}}`,
			incoming: `{"Id":"a",` + t2 + `}`,
			c:        CustomConfidence,
			want:     `{"Id":"a",` + t2 + `,"Confidence":99}`,
			wantC:    CustomConfidence,
		},
		{
			name:     "unparseable UpdatedAt is not stale",
			stored:   `{"Id":"a","UpdatedAt":"yesterday"}`,
			incoming: `{"Id":"a",` + t1 + `}`,
			want:     `{"Id":"a",` + t1 + `}`,
		},
	}
	// Each mirrored attribute: the Custom bit keeps the customer's top
	// level; without it the provider's value wins; the provider copy always
	// follows the provider.
	for _, m := range []struct {
		name          string
		bit           Customized
		mine, old, nw string
	}{
		{"Confidence", CustomConfidence, `99`, `10`, `20`},
		{"Criticality", CustomCriticality, `99`, `10`, `20`},
		{"RelatedFindings", CustomRelatedFindings, `[{"ProductArn":"p","Id":"mine"}]`, `[]`, `[{"ProductArn":"p","Id":"new"}]`},
		{"Severity", CustomSeverity, `{"Label":"HIGH","Normalized":70,"Original":"o"}`, `{"Label":"LOW","Original":"o"}`, `{"Label":"MEDIUM","Original":"n"}`},
		{"Types", CustomTypes, `["mine"]`, `["old"]`, `["new"]`},
	} {
		stored := `{"Id":"a",` + t1 + `,"` + m.name + `":` + m.mine + `,"FindingProviderFields":{"` + m.name + `":` + m.old + `}}`
		incoming := `{"Id":"a",` + t2 + `,"` + m.name + `":` + m.nw + `,"FindingProviderFields":{"` + m.name + `":` + m.nw + `}}`
		cases = append(cases, mergeCase{
			name: m.name + " customized", stored: stored, incoming: incoming, c: m.bit, wantC: m.bit,
			want: `{"Id":"a",` + t2 + `,"` + m.name + `":` + m.mine + `,"FindingProviderFields":{"` + m.name + `":` + m.nw + `}}`,
		}, mergeCase{
			// Every other bit set: only the attribute's own bit counts.
			name: m.name + " not customized", stored: stored, incoming: incoming, c: 0x3f &^ m.bit &^ LegacyNote, wantC: 0x3f &^ m.bit &^ LegacyNote,
			want: incoming,
		})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := mergeDiff(t, []byte(tc.stored), []byte(tc.incoming), tc.c)
			out, c := m.Doc, m.Customized
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c != tc.wantC {
				t.Errorf("customized = %b, want %b", c, tc.wantC)
			}
			sameJSON(t, out, tc.want)
		})
	}
}

func TestMergeReopens(t *testing.T) {
	cases := []struct {
		name                         string
		oldRecord, newRecord         string
		oldCompliance, newCompliance string
		status, wantStatus           string
	}{
		{"archived to active resolved", "ARCHIVED", "ACTIVE", "", "", "RESOLVED", "NEW"},
		{"archived to active notified", "ARCHIVED", "ACTIVE", "", "", "NOTIFIED", "NEW"},
		{"archived to active suppressed", "ARCHIVED", "ACTIVE", "", "", "SUPPRESSED", "SUPPRESSED"},
		{"archived to active new", "ARCHIVED", "ACTIVE", "", "", "NEW", "NEW"},
		{"passed to failed", "ACTIVE", "ACTIVE", "PASSED", "FAILED", "RESOLVED", "NEW"},
		{"passed to warning", "ACTIVE", "ACTIVE", "PASSED", "WARNING", "NOTIFIED", "NEW"},
		{"passed to not available", "ACTIVE", "ACTIVE", "PASSED", "NOT_AVAILABLE", "RESOLVED", "NEW"},
		{"passed to failed suppressed", "ACTIVE", "ACTIVE", "PASSED", "FAILED", "SUPPRESSED", "SUPPRESSED"},
		{"passed stays passed", "ACTIVE", "ACTIVE", "PASSED", "PASSED", "RESOLVED", "RESOLVED"},
		{"failed to passed", "ACTIVE", "ACTIVE", "FAILED", "PASSED", "RESOLVED", "RESOLVED"},
		{"failed stays failed", "ACTIVE", "ACTIVE", "FAILED", "FAILED", "NOTIFIED", "NOTIFIED"},
		{"compliance appears failed", "ACTIVE", "ACTIVE", "", "FAILED", "RESOLVED", "RESOLVED"},
		{"active stays active", "ACTIVE", "ACTIVE", "", "", "RESOLVED", "RESOLVED"},
		{"active to archived", "ACTIVE", "ARCHIVED", "", "", "NOTIFIED", "NOTIFIED"},
		{"archived stays archived", "ARCHIVED", "ARCHIVED", "", "", "RESOLVED", "RESOLVED"},
	}
	doc := func(updated, record, compliance, extra string) string {
		s := `{"Id":"a","UpdatedAt":"` + updated + `","RecordState":"` + record + `"`
		if compliance != "" {
			s += `,"Compliance":{"Status":"` + compliance + `"}`
		}
		return s + extra + `}`
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stored := doc("2024-01-01T00:00:00Z", tc.oldRecord, tc.oldCompliance, `,"Workflow":{"Status":"`+tc.status+`"},"WorkflowState":"IN_PROGRESS"`)
			in := doc("2024-02-01T00:00:00Z", tc.newRecord, tc.newCompliance, `,"Workflow":{"Status":"NEW"},"WorkflowState":"NEW"`)
			m, err := mergeDiff(t, []byte(stored), []byte(in), 0)
			if err != nil {
				t.Fatal(err)
			}
			out := m.Doc
			wantState := "IN_PROGRESS"
			if tc.wantStatus != tc.status {
				wantState = "NEW"
			}
			sameJSON(t, out, doc("2024-02-01T00:00:00Z", tc.newRecord, tc.newCompliance, `,"Workflow":{"Status":"`+tc.wantStatus+`"},"WorkflowState":"`+wantState+`"`))
		})
	}
}

// TestCustomizeThenReimport runs the whole cycle: a provider import, a
// customer's BatchUpdateFindings, then the provider's next import.
func TestCustomizeThenReimport(t *testing.T) {
	now := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	complete := func(finding string) []byte {
		t.Helper()
		im, err := ParseImport([]byte(finding))
		if err != nil {
			t.Fatal(err)
		}
		out, err := im.Complete("us-east-1", DefaultProduct, now)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	first := complete(`{"Id":"a","ProductArn":"p","UpdatedAt":"2024-01-01T00:00:00Z","Severity":{"Label":"LOW","Original":"2"},"Confidence":10,"Note":{"Text":"p1","UpdatedBy":"p","UpdatedAt":"2024-01-01T00:00:00Z"}}`)
	label := "CRITICAL"
	a, err := (&BatchUpdate{Severity: &SeverityUpdate{Label: &label}}).Apply(first, 0, now)
	doc, c := a.Doc, a.Customized
	if err != nil || c != CustomSeverity {
		t.Fatal(c, err)
	}
	doc, c, err = ApplyLegacy(doc, c, &NoteUpdate{Text: "legacy", UpdatedBy: "me"}, "", now)
	if err != nil || c != CustomSeverity|LegacyNote {
		t.Fatal(c, err)
	}
	second := complete(`{"Id":"a","ProductArn":"p","UpdatedAt":"2024-02-01T00:00:00Z","Severity":{"Label":"MEDIUM","Original":"5"},"Confidence":20,"Note":{"Text":"p2","UpdatedBy":"p","UpdatedAt":"2024-02-01T00:00:00Z"}}`)
	mg, err := mergeDiff(t, doc, second, c)
	if err != nil || mg.Customized != CustomSeverity {
		t.Fatal(mg.Customized, err)
	}
	m := decode(t, mg.Doc)
	want := map[string]any{
		"Severity":   map[string]any{"Label": "CRITICAL", "Normalized": float64(90), "Original": "2"},
		"Confidence": float64(20),
		"Note":       map[string]any{"Text": "p2", "UpdatedBy": "p", "UpdatedAt": "2024-02-01T00:00:00Z"},
		"FindingProviderFields": map[string]any{
			"Severity":   map[string]any{"Label": "MEDIUM", "Original": "5"},
			"Confidence": float64(20),
		},
	}
	for k, v := range want {
		if d := cmp.Diff(v, m[k]); d != "" {
			t.Errorf("%s (-want +got):\n%s", k, d)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// mergeDiff is Merge, which must give as Updates what Diff finds between
// the stored document and the merged one.
func mergeDiff(t *testing.T, stored, incoming []byte, c Customized) (Merged, error) {
	t.Helper()
	m, err := Merge(stored, incoming, c)
	if err != nil {
		return m, err
	}
	want, err := Diff(stored, m.Doc)
	if err != nil {
		t.Fatalf("Diff of the merged document: %v", err)
	}
	if d := cmp.Diff(want, m.Updates); d != "" {
		t.Errorf("Merge's Updates (-Diff +Updates):\n%s", d)
	}
	return m, nil
}

func TestApply(t *testing.T) {
	const stored = `{"Id":"a","UpdatedAt":"2024-01-01T00:00:00.000Z","ProcessedAt":"2024-01-01T00:00:01.000Z",
		"Severity":{"Label":"LOW","Normalized":1,"Original":"low","Product":1.5},
		"Types":["A/B"],"Confidence":10,"Criticality":20,"VerificationState":"UNKNOWN",
		"RelatedFindings":[{"ProductArn":"p","Id":"old"}],
		"UserDefinedFields":{"keep":"k","change":"old"},
		"Workflow":{"Status":"NEW","Other":"x"},"WorkflowState":"NEW",
		"Note":{"Text":"old","UpdatedBy":"x","UpdatedAt":"2023-01-01T00:00:00.000Z"},
		"FindingProviderFields":{"Severity":{"Label":"LOW","Original":"low"},"Types":["A/B"],"Confidence":10,"Criticality":20,"RelatedFindings":[{"ProductArn":"p","Id":"old"}]}}`
	now := time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)
	const nowText = "2024-05-06T07:08:09.123Z"
	cases := []struct {
		name  string
		doc   string // stored when empty
		u     BatchUpdate
		c     Customized
		want  map[string]any // changed members; nil for absent
		wantC Customized
		raw   []string // must appear in the encoded output
		err   bool
	}{
		{name: "nothing but ProcessedAt", want: map[string]any{}},
		{
			name:  "note replaces the note and clears LegacyNote",
			u:     BatchUpdate{Note: &NoteUpdate{Text: "new", UpdatedBy: "me"}},
			c:     LegacyNote | CustomTypes,
			wantC: CustomTypes,
			want:  map[string]any{"Note": map[string]any{"Text": "new", "UpdatedBy": "me", "UpdatedAt": nowText}},
		},
		{
			name: "note text is escaped",
			u:    BatchUpdate{Note: &NoteUpdate{Text: "say \"hi\"\n\\ <b>\u2028é\x01", UpdatedBy: `a"b`}},
			want: map[string]any{"Note": map[string]any{"Text": "say \"hi\"\n\\ <b>\u2028é\x01", "UpdatedBy": `a"b`, "UpdatedAt": nowText}},
		},
		{
			name:  "severity label only",
			u:     BatchUpdate{Severity: &SeverityUpdate{Label: ptr("HIGH")}},
			wantC: CustomSeverity,
			want:  map[string]any{"Severity": map[string]any{"Label": "HIGH", "Normalized": float64(70), "Original": "low", "Product": 1.5}},
			raw:   []string{`"Normalized":70`},
		},
		{
			name:  "severity label INFORMATIONAL",
			u:     BatchUpdate{Severity: &SeverityUpdate{Label: ptr("INFORMATIONAL")}},
			wantC: CustomSeverity,
			want:  map[string]any{"Severity": map[string]any{"Label": "INFORMATIONAL", "Normalized": float64(0), "Original": "low", "Product": 1.5}},
		},
		{
			name:  "severity label CRITICAL",
			u:     BatchUpdate{Severity: &SeverityUpdate{Label: ptr("CRITICAL")}},
			wantC: CustomSeverity,
			want:  map[string]any{"Severity": map[string]any{"Label": "CRITICAL", "Normalized": float64(90), "Original": "low", "Product": 1.5}},
		},
		{
			name:  "severity label MEDIUM keeps other bits",
			u:     BatchUpdate{Severity: &SeverityUpdate{Label: ptr("MEDIUM")}},
			c:     CustomTypes,
			wantC: CustomTypes | CustomSeverity,
			want:  map[string]any{"Severity": map[string]any{"Label": "MEDIUM", "Normalized": float64(40), "Original": "low", "Product": 1.5}},
		},
		{
			name:  "severity normalized only",
			u:     BatchUpdate{Severity: &SeverityUpdate{Normalized: ptr(55)}},
			wantC: CustomSeverity,
			want:  map[string]any{"Severity": map[string]any{"Label": "MEDIUM", "Normalized": float64(55), "Original": "low", "Product": 1.5}},
			raw:   []string{`"Normalized":55`},
		},
		{
			name:  "severity normalized 0",
			u:     BatchUpdate{Severity: &SeverityUpdate{Normalized: ptr(0)}},
			wantC: CustomSeverity,
			want:  map[string]any{"Severity": map[string]any{"Label": "INFORMATIONAL", "Normalized": float64(0), "Original": "low", "Product": 1.5}},
		},
		{
			name:  "severity label and normalized as given",
			u:     BatchUpdate{Severity: &SeverityUpdate{Label: ptr("LOW"), Normalized: ptr(30)}},
			wantC: CustomSeverity,
			want:  map[string]any{"Severity": map[string]any{"Label": "LOW", "Normalized": float64(30), "Original": "low", "Product": 1.5}},
		},
		{
			name:  "severity product only",
			u:     BatchUpdate{Severity: &SeverityUpdate{Product: ptr(7.25)}},
			wantC: CustomSeverity,
			want:  map[string]any{"Severity": map[string]any{"Label": "LOW", "Normalized": float64(1), "Original": "low", "Product": 7.25}},
			raw:   []string{`"Product":7.25`},
		},
		{
			name:  "severity product integral",
			u:     BatchUpdate{Severity: &SeverityUpdate{Product: ptr(8.0), Label: ptr("HIGH")}},
			wantC: CustomSeverity,
			want:  map[string]any{"Severity": map[string]any{"Label": "HIGH", "Normalized": float64(70), "Original": "low", "Product": float64(8)}},
			raw:   []string{`"Product":8`},
		},
		{
			name:  "severity on a finding without one",
			doc:   `{"Id":"a","UpdatedAt":"2024-01-01T00:00:00.000Z"}`,
			u:     BatchUpdate{Severity: &SeverityUpdate{Label: ptr("HIGH")}},
			wantC: CustomSeverity,
			want:  map[string]any{"Severity": map[string]any{"Label": "HIGH", "Normalized": float64(70)}},
		},
		{name: "unknown severity label", u: BatchUpdate{Severity: &SeverityUpdate{Label: ptr("SEVERE")}}, err: true},
		{name: "NaN severity product", u: BatchUpdate{Severity: &SeverityUpdate{Product: ptr(math.NaN())}}, err: true},
		{name: "infinite severity product", u: BatchUpdate{Severity: &SeverityUpdate{Product: ptr(math.Inf(1))}}, err: true},
		{
			name: "verification state",
			u:    BatchUpdate{VerificationState: ptr("TRUE_POSITIVE")},
			want: map[string]any{"VerificationState": "TRUE_POSITIVE"},
		},
		{
			name:  "confidence",
			u:     BatchUpdate{Confidence: ptr(80)},
			wantC: CustomConfidence,
			want:  map[string]any{"Confidence": float64(80)},
			raw:   []string{`"Confidence":80`},
		},
		{
			name:  "criticality",
			u:     BatchUpdate{Criticality: ptr(0)},
			wantC: CustomCriticality,
			want:  map[string]any{"Criticality": float64(0)},
			raw:   []string{`"Criticality":0`},
		},
		{
			name:  "types replaced",
			u:     BatchUpdate{Types: []string{"C/D", `E/"F"`}},
			wantC: CustomTypes,
			want:  map[string]any{"Types": []any{"C/D", `E/"F"`}},
		},
		{
			name:  "empty types clear the array",
			u:     BatchUpdate{Types: []string{}},
			wantC: CustomTypes,
			want:  map[string]any{"Types": []any{}},
			raw:   []string{`"Types":[]`},
		},
		{
			name:  "related findings replaced",
			u:     BatchUpdate{RelatedFindings: []RelatedFinding{{ProductArn: "p1", Id: "i1"}, {ProductArn: "p2", Id: `i"2`}}},
			wantC: CustomRelatedFindings,
			want: map[string]any{"RelatedFindings": []any{
				map[string]any{"ProductArn": "p1", "Id": "i1"},
				map[string]any{"ProductArn": "p2", "Id": `i"2`},
			}},
		},
		{
			name:  "empty related findings clear the array",
			u:     BatchUpdate{RelatedFindings: []RelatedFinding{}},
			wantC: CustomRelatedFindings,
			want:  map[string]any{"RelatedFindings": []any{}},
			raw:   []string{`"RelatedFindings":[]`},
		},
		{
			name: "user defined fields merged",
			u:    BatchUpdate{UserDefinedFields: map[string]string{"change": "new", "add": "a", "quote\"d": "q\n"}},
			want: map[string]any{"UserDefinedFields": map[string]any{"keep": "k", "change": "new", "add": "a", "quote\"d": "q\n"}},
		},
		{
			name: "user defined fields on a finding without them",
			doc:  `{"Id":"a","UpdatedAt":"2024-01-01T00:00:00.000Z"}`,
			u:    BatchUpdate{UserDefinedFields: map[string]string{"k": "v"}},
			want: map[string]any{"UserDefinedFields": map[string]any{"k": "v"}},
		},
		{
			name: "empty user defined fields change nothing",
			doc:  `{"Id":"a","UpdatedAt":"2024-01-01T00:00:00.000Z"}`,
			u:    BatchUpdate{UserDefinedFields: map[string]string{}},
			want: map[string]any{},
		},
		{
			name: "workflow status keeps other members and WorkflowState",
			u:    BatchUpdate{Workflow: &WorkflowUpdate{Status: "RESOLVED"}},
			want: map[string]any{"Workflow": map[string]any{"Status": "RESOLVED", "Other": "x"}},
		},
		{
			name: "workflow status on a finding without a workflow",
			doc:  `{"Id":"a","UpdatedAt":"2024-01-01T00:00:00.000Z"}`,
			u:    BatchUpdate{Workflow: &WorkflowUpdate{Status: "NOTIFIED"}},
			want: map[string]any{"Workflow": map[string]any{"Status": "NOTIFIED"}},
		},
		{
			name: "everything at once",
			u: BatchUpdate{
				Note:              &NoteUpdate{Text: "n", UpdatedBy: "u"},
				Severity:          &SeverityUpdate{Label: ptr("CRITICAL")},
				VerificationState: ptr("FALSE_POSITIVE"),
				Confidence:        ptr(1),
				Criticality:       ptr(2),
				Types:             []string{"T"},
				UserDefinedFields: map[string]string{"keep": "changed"},
				Workflow:          &WorkflowUpdate{Status: "SUPPRESSED"},
				RelatedFindings:   []RelatedFinding{{ProductArn: "p", Id: "r"}},
			},
			c:     LegacyNote,
			wantC: CustomConfidence | CustomCriticality | CustomRelatedFindings | CustomSeverity | CustomTypes,
			want: map[string]any{
				"Note":              map[string]any{"Text": "n", "UpdatedBy": "u", "UpdatedAt": nowText},
				"Severity":          map[string]any{"Label": "CRITICAL", "Normalized": float64(90), "Original": "low", "Product": 1.5},
				"VerificationState": "FALSE_POSITIVE",
				"Confidence":        float64(1),
				"Criticality":       float64(2),
				"Types":             []any{"T"},
				"UserDefinedFields": map[string]any{"keep": "changed", "change": "old"},
				"Workflow":          map[string]any{"Status": "SUPPRESSED", "Other": "x"},
				"RelatedFindings":   []any{map[string]any{"ProductArn": "p", "Id": "r"}},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := tc.doc
			if doc == "" {
				doc = stored
			}
			a, err := tc.u.Apply([]byte(doc), tc.c, now)
			out, c := a.Doc, a.Customized
			if tc.err {
				if err == nil {
					t.Fatalf("no error; got %s", out)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// Apply's Updates and Check stand in for Diff and Check of
			// the whole document.
			if diff, err := Diff([]byte(doc), out); err != nil || !slices.Equal(a.Updates, diff) {
				t.Errorf("Updates %v, Diff %v (%v)", a.Updates, diff, err)
			}
			if Check([]byte(doc)) == nil { // Applied.Check assumes a valid stored finding
				if got, want := a.Check(), Check(out); fmt.Sprint(got) != fmt.Sprint(want) {
					t.Errorf("Applied.Check() = %v, Check = %v", got, want)
				}
			}
			if c != tc.wantC {
				t.Errorf("customized = %b, want %b", c, tc.wantC)
			}
			for _, r := range tc.raw {
				if !bytes.Contains(out, []byte(r)) {
					t.Errorf("%s lacks %s", out, r)
				}
			}
			got, before := decode(t, out), decode(t, []byte(doc))
			want := before
			for k, v := range tc.want {
				want[k] = v
			}
			// ProcessedAt is the time of the update; UpdatedAt stays the
			// provider's, and FindingProviderFields is never touched.
			want["ProcessedAt"] = nowText
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
}

func TestApplyLegacy(t *testing.T) {
	const stored = `{"Id":"a","UpdatedAt":"2024-01-01T00:00:00.000Z","ProcessedAt":"2024-01-01T00:00:01.000Z","RecordState":"ACTIVE",
		"Note":{"Text":"old","UpdatedBy":"x","UpdatedAt":"2023-01-01T00:00:00.000Z"},"Workflow":{"Status":"NEW"}}`
	now := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	cases := []struct {
		name        string
		note        *NoteUpdate
		recordState string
		c, wantC    Customized
		want        map[string]any
	}{
		{name: "nothing", c: CustomSeverity, wantC: CustomSeverity, want: map[string]any{}},
		{
			name:  "note",
			note:  &NoteUpdate{Text: "legacy \"q\"", UpdatedBy: "me"},
			c:     CustomTypes,
			wantC: CustomTypes | LegacyNote,
			want:  map[string]any{"Note": map[string]any{"Text": "legacy \"q\"", "UpdatedBy": "me", "UpdatedAt": "2024-05-06T07:08:09.000Z"}},
		},
		{name: "record state", recordState: "ARCHIVED", c: LegacyNote, wantC: LegacyNote, want: map[string]any{"RecordState": "ARCHIVED"}},
		{
			name:        "both",
			note:        &NoteUpdate{Text: "t", UpdatedBy: "u"},
			recordState: "ARCHIVED",
			wantC:       LegacyNote,
			want: map[string]any{
				"Note":        map[string]any{"Text": "t", "UpdatedBy": "u", "UpdatedAt": "2024-05-06T07:08:09.000Z"},
				"RecordState": "ARCHIVED",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, c, err := ApplyLegacy([]byte(stored), tc.c, tc.note, tc.recordState, now)
			if err != nil {
				t.Fatal(err)
			}
			if c != tc.wantC {
				t.Errorf("customized = %b, want %b", c, tc.wantC)
			}
			want := decode(t, []byte(stored))
			for k, v := range tc.want {
				want[k] = v
			}
			if d := cmp.Diff(want, decode(t, out)); d != "" {
				t.Errorf("(-want +got):\n%s", d)
			}
		})
	}
	if _, _, err := ApplyLegacy([]byte(`[]`), 0, nil, "ARCHIVED", now); err == nil {
		t.Error("a non-object document was accepted")
	}
	if _, err := (&BatchUpdate{}).Apply([]byte(`{"a":`), 0, now); err == nil {
		t.Error("Apply accepted an invalid document")
	}
}

func TestDiff(t *testing.T) {
	cases := []struct {
		name     string
		old, new string
		want     []FieldUpdate
	}{
		{name: "equal", old: `{"a":1,"b":{"c":"x"}}`, new: `{"a":1,"b":{"c":"x"}}`},
		{name: "empty", old: `{}`, new: ` { } `},
		{
			name: "whitespace only",
			old:  `{"a": [1, 2], "b" : {"c" : "x", "d": {"e" : [ {"f": null} ]}}, "n": 1.50}`,
			new:  "{\n\t\"a\":[1,2],\"b\":{\"c\":\"x\",\"d\":{\"e\":[{\"f\":null}]}},\"n\":1.50}",
		},
		{name: "member order", old: `{"a":1,"b":{"c":1,"d":2}}`, new: `{"b":{"d":2,"c":1},"a":1}`},
		{name: "string escapes", old: `{"a":"\u0061\/","b":["\u00e9"],"\u0063":1}`, new: `{"a":"a/","b":["é"],"c":1}`},
		{name: "null and absent", old: `{"a":null,"b":{"c":null}}`, new: `{"b":{}}`},
		{
			name: "excluded top-level timestamps",
			old:  `{"CreatedAt":"2024-01-01T00:00:00Z","UpdatedAt":"2024-01-01T00:00:00Z","FirstObservedAt":"2024-01-01T00:00:00Z","LastObservedAt":"2024-01-01T00:00:00Z","ProcessedAt":"2024-01-01T00:00:00Z"}`,
			new:  `{"CreatedAt":"2024-02-01T00:00:00Z","UpdatedAt":"2024-02-01T00:00:00Z","LastObservedAt":"2024-02-01T00:00:00Z","ProcessedAt":"2024-02-01T00:00:00Z"}`,
		},
		{
			name: "nested timestamps are included",
			old:  `{"Note":{"Text":"n","UpdatedAt":"2024-01-01T00:00:00Z"},"Details":{"CreatedAt":"1"}}`,
			new:  `{"Note":{"Text":"n","UpdatedAt":"2024-02-01T00:00:00Z"},"Details":{"CreatedAt":"2"}}`,
			want: []FieldUpdate{
				{Field: "Details.CreatedAt", Old: "1", New: "2"},
				{Field: "Note.UpdatedAt", Old: "2024-01-01T00:00:00Z", New: "2024-02-01T00:00:00Z"},
			},
		},
		{
			name: "nested changes",
			old:  `{"Compliance":{"Status":"PASSED","Related":["x"]},"Workflow":{"Status":"NEW"},"Title":"t"}`,
			new:  `{"Compliance":{"Status":"FAILED","Related":["x"]},"Workflow":{"Status":"NEW"},"Title":"t"}`,
			want: []FieldUpdate{{Field: "Compliance.Status", Old: "PASSED", New: "FAILED"}},
		},
		{
			name: "deeply nested",
			old:  `{"a":{"b":{"c":{"d":1}}}}`,
			new:  `{"a":{"b":{"c":{"d":2}}}}`,
			want: []FieldUpdate{{Field: "a.b.c.d", Old: "1", New: "2"}},
		},
		{
			name: "product fields with slashes",
			old:  `{"ProductFields":{"aws/securityhub/FindingId":"p/a","k":"v"}}`,
			new:  `{"ProductFields":{"aws/securityhub/FindingId":"p/b","k":"v"}}`,
			want: []FieldUpdate{{Field: "ProductFields.aws/securityhub/FindingId", Old: "p/a", New: "p/b"}},
		},
		{
			name: "arrays are leaves",
			old:  `{"Types":["a"],"Resources":[{"Id":"r","Tags":{"k":"v"}}]}`,
			new:  `{"Types":["a", "b"],"Resources":[{"Id":"r","Tags":{"k":"w"}}]}`,
			want: []FieldUpdate{
				{Field: "Resources", Old: `[{"Id":"r","Tags":{"k":"v"}}]`, New: `[{"Id":"r","Tags":{"k":"w"}}]`},
				{Field: "Types", Old: `["a"]`, New: `["a","b"]`},
			},
		},
		{
			name: "added and removed members",
			old:  `{"Gone":"x","Severity":{"Label":"LOW","Original":"o"}}`,
			new:  `{"New":true,"Severity":{"Label":"LOW","Normalized":1}}`,
			want: []FieldUpdate{
				{Field: "Gone", Old: "x", New: ""},
				{Field: "New", Old: "", New: "true"},
				{Field: "Severity.Normalized", Old: "", New: "1"},
				{Field: "Severity.Original", Old: "o", New: ""},
			},
		},
		{
			name: "added and removed objects are leaves",
			old:  `{"Note":{"Text":"n", "UpdatedBy":"u"}}`,
			new:  `{"Workflow":{"Status":"NEW"}}`,
			want: []FieldUpdate{
				{Field: "Note", Old: `{"Text":"n","UpdatedBy":"u"}`, New: ""},
				{Field: "Workflow", Old: "", New: `{"Status":"NEW"}`},
			},
		},
		{
			name: "object against non-object",
			old:  `{"X":{"a":1},"Y":"s"}`,
			new:  `{"X":5,"Y":{"b":[1 ,2]}}`,
			want: []FieldUpdate{
				{Field: "X", Old: `{"a":1}`, New: "5"},
				{Field: "Y", Old: "s", New: `{"b":[1,2]}`},
			},
		},
		{
			name: "null against a value",
			old:  `{"a":null,"b":{"c":1}}`,
			new:  `{"a":"v","b":{"c":null}}`,
			want: []FieldUpdate{
				{Field: "a", Old: "", New: "v"},
				{Field: "b.c", Old: "1", New: ""},
			},
		},
		{
			name: "type change with the same text",
			old:  `{"a":"1","b":""}`,
			new:  `{"a":1}`,
			want: []FieldUpdate{
				{Field: "a", Old: "1", New: "1"},
				{Field: "b", Old: "", New: ""},
			},
		},
		{
			name: "scalars",
			old:  `{"Confidence":10,"Sample":false,"Text":"a\nb"}`,
			new:  `{"Confidence":20,"Sample":true,"Text":"a\"b"}`,
			want: []FieldUpdate{
				{Field: "Confidence", Old: "10", New: "20"},
				{Field: "Sample", Old: "false", New: "true"},
				{Field: "Text", Old: "a\nb", New: `a"b`},
			},
		},
		{
			name: "number spelling counts",
			old:  `{"n":1}`,
			new:  `{"n":1.0}`,
			want: []FieldUpdate{{Field: "n", Old: "1", New: "1.0"}},
		},
		{
			name: "timestamps nested under an excluded name's object are not excluded",
			old:  `{"Sub":{"UpdatedAt":"a","ProcessedAt":"a"}}`,
			new:  `{"Sub":{"UpdatedAt":"b","ProcessedAt":"a"}}`,
			want: []FieldUpdate{{Field: "Sub.UpdatedAt", Old: "a", New: "b"}},
		},
		{
			name: "sorted by field",
			old:  `{"z":1,"a":1,"m":{"b":1,"a":1}}`,
			new:  `{"m":{"a":2,"b":2},"a":2,"z":2}`,
			want: []FieldUpdate{
				{Field: "a", Old: "1", New: "2"},
				{Field: "m.a", Old: "1", New: "2"},
				{Field: "m.b", Old: "1", New: "2"},
				{Field: "z", Old: "1", New: "2"},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Diff([]byte(tc.old), []byte(tc.new))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("Diff (-want +got):\n%s", d)
			}
			// Reversing the versions swaps Old and New.
			back, err := Diff([]byte(tc.new), []byte(tc.old))
			if err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(swapped(tc.want), back); d != "" {
				t.Errorf("reverse Diff (-want +got):\n%s", d)
			}
		})
	}
	for _, bad := range [][2]string{{`[]`, `{}`}, {`{}`, `{"a":`}, {`{"a":1}`, ``}} {
		if _, err := Diff([]byte(bad[0]), []byte(bad[1])); err == nil {
			t.Errorf("Diff(%q, %q) accepted invalid input", bad[0], bad[1])
		}
	}
}

// TestDiffDoesNotModifyInput guards the aliasing of split values: leaves
// are compacted, which must not happen in the caller's buffers.
func TestDiffDoesNotModifyInput(t *testing.T) {
	old := []byte(`{"a": [1, 2], "b": {"c": [ "\u0061" ]}}`)
	nw := []byte(`{"a": [1, 3], "b": {"c": [ "b" ]}}`)
	oc, nc := bytes.Clone(old), bytes.Clone(nw)
	if _, err := Diff(old, nw); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(old, oc) || !bytes.Equal(nw, nc) {
		t.Errorf("Diff modified its input: %s %s", old, nw)
	}
}

// swapped returns updates with Old and New exchanged, sorted as Diff
// sorts.
func swapped(us []FieldUpdate) []FieldUpdate {
	var out []FieldUpdate
	for _, u := range us {
		out = append(out, FieldUpdate{Field: u.Field, Old: u.New, New: u.Old})
	}
	sortUpdates(out)
	return out
}

// isObject reports whether s is valid JSON whose value is an object.
func isObject(s string) bool {
	return json.Valid([]byte(s)) && strings.HasPrefix(strings.TrimLeft(s, " \t\r\n"), "{")
}

// TestLeafScalars holds leaf's text of a number, true, false or null to
// the compacted value, which it returns without compacting.
func TestLeafScalars(t *testing.T) {
	for _, v := range []string{"0", "-1", "1.5e-3", "12345678901234567890", "1E+2", "true", "false", "null", "tru", "1 2", "-"} {
		kind, got := leaf([]byte(v))
		want := v
		c := jsontext.Value(v)
		if err := c.Compact(jsontext.PreserveRawStrings(false)); err == nil {
			want = string(c)
		}
		if kind != leafOther || got != want {
			t.Errorf("leaf(%s) = %d, %q; want %d, %q", v, kind, got, leafOther, want)
		}
	}
}

func FuzzDiff(f *testing.F) {
	for _, s := range [][2]string{
		{`{}`, `{}`},
		{`{"a":1}`, `{"a":2}`},
		{`{"a":{"b":[1,{"c":"x"}]}}`, `{"a":{"b":[1,{"c":"y"}]},"d":null}`},
		{`{"a":"\u0061","a":2}`, `{"a":{"a":{}}}`},
		{`{"UpdatedAt":"x","Note":{"UpdatedAt":"y"}}`, `{"UpdatedAt":"z","Note":{"UpdatedAt":"w"}}`},
		{`{"a.b":1,"a":{"b":2}}`, `{"a.b":3,"a":{"b":4}}`},
		{" {\"x\" : [ 1 , 2 ] } ", `{"x":[1,2]}`},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if !isObject(a) || !isObject(b) {
			return
		}
		for _, x := range []string{a, b} {
			d, err := Diff([]byte(x), []byte(x))
			if err != nil || d != nil {
				t.Fatalf("Diff(%q, itself) = %v, %v", x, d, err)
			}
			var buf bytes.Buffer
			if err := json.Compact(&buf, []byte(x)); err != nil {
				t.Fatal(err)
			}
			if d, err := Diff([]byte(x), buf.Bytes()); err != nil || d != nil {
				t.Fatalf("Diff(%q, compacted) = %v, %v", x, d, err)
			}
		}
		d, err := Diff([]byte(a), []byte(b))
		if err != nil {
			t.Fatalf("Diff(%q, %q): %v", a, b, err)
		}
		if !slices.IsSortedFunc(d, func(x, y FieldUpdate) int { return strings.Compare(x.Field, y.Field) }) {
			t.Fatalf("Diff(%q, %q) not sorted: %v", a, b, d)
		}
		back, err := Diff([]byte(b), []byte(a))
		if err != nil {
			t.Fatalf("Diff(%q, %q): %v", b, a, err)
		}
		if dd := cmp.Diff(swapped(d), back); dd != "" {
			t.Fatalf("Diff(%q, %q) is not the reverse of the other way (-want +got):\n%s", a, b, dd)
		}
	})
}

// FuzzMerge holds Merge's Updates to Diff of the stored and merged
// documents, whatever the two documents and the customized set.
func FuzzMerge(f *testing.F) {
	for _, s := range [][2]string{
		{`{"UpdatedAt":"2024-01-01T00:00:00Z","Workflow":{"Status":"RESOLVED"},"Note":{"Text":"n"},"RecordState":"ARCHIVED"}`,
			`{"UpdatedAt":"2024-02-01T00:00:00Z","Workflow":{"Status":"NEW"},"UserDefinedFields":{"k":"v"},"RecordState":"ACTIVE","Title":"t2"}`},
		{`{"Severity":{"Label":"LOW"},"Types":["a"],"a":1,"a":2}`, `{"Severity":{"Label":"HIGH"},"Types":[],"Compliance":{"Status":"FAILED"},"a":null}`},
		{`{"Compliance":{"Status":"PASSED"},"Workflow":{"Status":"NOTIFIED"}}`, `{"Compliance":{"Status":"WARNING"},"Note":null}`},
	} {
		f.Add(s[0], s[1], uint8(0))
		f.Add(s[0], s[1], uint8(0x7f))
	}
	f.Fuzz(func(t *testing.T, a, b string, c uint8) {
		// Findings are I-JSON, valid UTF-8, by the time they are merged.
		if !isObject(a) || !isObject(b) || !utf8.ValidString(a) || !utf8.ValidString(b) {
			return
		}
		mergeDiff(t, []byte(a), []byte(b), Customized(c))
	})
}

// TestAppliedCheck holds Applied.Check, which checks only what an update
// set, to Check of the whole document, for valid stored findings and
// updates that make them valid or not.
func TestAppliedCheck(t *testing.T) {
	now := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	str := func(s string) *string { return &s }
	num := func(n int) *int { return &n }
	long := strings.Repeat("x", 600)
	withFPF := strings.Replace(base, `"Title"`, `"FindingProviderFields": {"Types": ["a/b"], "Severity": {"Label": "LOW"}}, "Title"`, 1)
	var pf []string
	for i := range 20 {
		pf = append(pf, fmt.Sprintf(`"f%d": "%s"`, i, strings.Repeat("v", 2000)))
	}
	big := strings.Replace(base, `"Product Name": "Trivy"`, strings.Join(pf, ", "), 1) // a document over MaxFieldLength
	for _, stored := range []string{base, withFPF, big} {
		if err := Check([]byte(stored)); err != nil {
			t.Fatalf("stored finding invalid: %v", err)
		}
		for i, u := range []BatchUpdate{
			{Workflow: &WorkflowUpdate{Status: "NOTIFIED"}, Note: &NoteUpdate{Text: "t", UpdatedBy: "me"}},
			{Workflow: &WorkflowUpdate{Status: "NOPE"}},
			{Note: &NoteUpdate{Text: long, UpdatedBy: "me"}},
			{Note: &NoteUpdate{Text: strings.Repeat("n", MaxFieldLength), UpdatedBy: "me"}},
			{Confidence: num(101)},
			{Criticality: num(-1)},
			{Severity: &SeverityUpdate{Normalized: num(40)}},
			{VerificationState: str("MAYBE")},
			{Types: []string{}},
			{Types: []string{"not a/valid/type/at all"}},
			{UserDefinedFields: map[string]string{strings.Repeat("k", 129): "v"}},
			{UserDefinedFields: map[string]string{"k": strings.Repeat("v", 1025)}},
			{RelatedFindings: []RelatedFinding{{ProductArn: "arn:aws:securityhub:us-east-1::product/aws/guardduty", Id: "x"}}},
			{Note: &NoteUpdate{Text: strings.Repeat("big", 2000), UpdatedBy: "me"}, UserDefinedFields: map[string]string{"a": long, "b": long}},
		} {
			a, err := u.Apply([]byte(stored), 0, now)
			if err != nil {
				continue // refused before any check
			}
			if got, want := a.Check(), Check(a.Doc); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("stored %d bytes, update %d: Applied.Check() = %v, Check = %v", len(stored), i, got, want)
			}
			if diff, err := Diff([]byte(stored), a.Doc); err != nil || !slices.Equal(a.Updates, diff) {
				t.Errorf("update %d: Updates %v, Diff %v (%v)", i, a.Updates, diff, err)
			}
		}
	}
}
