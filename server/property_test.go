package server_test

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/securityhub"
	"github.com/aws/aws-sdk-go-v2/service/securityhub/types"
)

// ownModel is a small in-memory model of the ownership rules, written from
// the AWS documentation independently of package asff: what a provider's
// re-import may change, what BatchUpdateFindings takes over, when the
// workflow resets, and which changes enter history.
type ownModel struct {
	findings map[string]*modelFinding
}

type modelFinding struct {
	updatedAt  int // provider's UpdatedAt, as a day number
	title      string
	recordSt   string
	compliance string
	// Provider's values (FindingProviderFields) and the top level.
	provSeverity, severity string
	provTypes, typ         []string
	provNum, num           [2]int // of numFields; -1: absent
	customSev, customTypes bool
	customNum              [2]bool
	workflow, note, verify string
	udf                    map[string]string
	history                []modelRecord
}

// numFields are the mirrored members with an integer value, which the
// model treats alike.
var numFields = [2]string{"Confidence", "Criticality"}

type modelRecord struct {
	source  types.FindingHistoryUpdateSourceType
	created bool
	fields  []string // fields the model knows changed (BatchUpdateFindings only)
}

// importOp is one provider import of a finding.
type importOp struct {
	id         string
	updatedAt  int
	title      string
	recordSt   string
	compliance string
	severity   string
	sevViaFPF  bool
	typ        []string
	typeViaFPF bool
	num        [2]int // of numFields; -1 absent
	numViaFPF  [2]bool
	workflow   string // what the provider sends; kept only on creation
}

func (m *ownModel) imp(op importOp) {
	f := m.findings[op.id]
	if f != nil && op.updatedAt <= f.updatedAt {
		return // stale: ignored, not recorded
	}
	if f == nil {
		f = &modelFinding{workflow: "NEW", udf: map[string]string{}}
		if op.workflow != "" {
			f.workflow = op.workflow
		}
		m.findings[op.id] = f
		f.history = append(f.history, modelRecord{source: types.FindingHistoryUpdateSourceTypeBatchImportFindings, created: true})
	} else {
		f.history = append(f.history, modelRecord{source: types.FindingHistoryUpdateSourceTypeBatchImportFindings})
	}
	reopen := (f.recordSt == "ARCHIVED" && op.recordSt == "ACTIVE") ||
		(f.compliance == "PASSED" && (op.compliance == "FAILED" || op.compliance == "WARNING" || op.compliance == "NOT_AVAILABLE"))
	if reopen && (f.workflow == "NOTIFIED" || f.workflow == "RESOLVED") {
		f.workflow = "NEW"
	}
	f.updatedAt, f.title, f.recordSt, f.compliance = op.updatedAt, op.title, op.recordSt, op.compliance
	f.provSeverity, f.provTypes, f.provNum = op.severity, op.typ, op.num
	if !f.customSev {
		f.severity = op.severity
	}
	if !f.customTypes {
		f.typ = op.typ
	}
	for i := range numFields {
		if !f.customNum[i] {
			f.num[i] = op.num[i]
		}
	}
}

// updateOp is one BatchUpdateFindings call.
type updateOp struct {
	ids      []string
	severity string
	typ      []string
	num      [2]int // of numFields; -1 absent
	workflow string
	note     string
	verify   string
	udfKey   string
}

func (m *ownModel) update(op updateOp) (processed []string) {
	for _, id := range op.ids {
		f := m.findings[id]
		if f == nil {
			continue
		}
		processed = append(processed, id)
		var fields []string
		changed := false
		if op.severity != "" {
			changed = changed || !f.customSev
			if f.severity != op.severity {
				fields = append(fields, "Severity.Label")
			}
			f.severity, f.customSev = op.severity, true
		}
		if op.typ != nil {
			changed = changed || !f.customTypes
			if !slices.Equal(f.typ, op.typ) {
				fields = append(fields, "Types")
			}
			f.typ, f.customTypes = op.typ, true
		}
		for i, name := range numFields {
			if op.num[i] < 0 {
				continue
			}
			changed = changed || !f.customNum[i]
			if f.num[i] != op.num[i] {
				fields = append(fields, name)
			}
			f.num[i], f.customNum[i] = op.num[i], true
		}
		if op.workflow != "" && f.workflow != op.workflow {
			fields = append(fields, "Workflow.Status")
			f.workflow = op.workflow
		}
		if op.note != "" {
			// Note.UpdatedAt is the time of the update, so a note always
			// changes the finding.
			changed = true
			switch {
			case f.note == "":
				// A new Note object is one changed field.
				fields = append(fields, "Note")
			case f.note != op.note:
				fields = append(fields, "Note.Text")
			}
			f.note = op.note
		}
		if op.verify != "" && f.verify != op.verify {
			fields = append(fields, "VerificationState")
			f.verify = op.verify
		}
		if op.udfKey != "" && f.udf[op.udfKey] != "v" {
			if len(f.udf) == 0 {
				fields = append(fields, "UserDefinedFields")
			} else {
				fields = append(fields, "UserDefinedFields."+op.udfKey)
			}
			f.udf[op.udfKey] = "v"
		}
		if changed || len(fields) > 0 {
			f.history = append(f.history, modelRecord{source: types.FindingHistoryUpdateSourceTypeBatchUpdateFindings, fields: fields})
		}
	}
	return processed
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func genImport(r *rand.Rand, id string, day int) importOp {
	op := importOp{
		id:         id,
		updatedAt:  day,
		title:      pick(r, "t1", "t2", "t3"),
		recordSt:   pick(r, "ACTIVE", "ACTIVE", "ARCHIVED"),
		compliance: pick(r, "PASSED", "FAILED", "WARNING", "NOT_AVAILABLE", ""),
		severity:   pick(r, "LOW", "MEDIUM", "HIGH", "CRITICAL"),
		sevViaFPF:  r.IntN(2) == 0,
		typ:        []string{pick(r, "Effects/Data Exposure", "TTPs/Discovery", "Unusual Behaviors/User")},
		typeViaFPF: r.IntN(2) == 0,
		workflow:   pick(r, "", "", "NOTIFIED"),
	}
	for i := range numFields {
		op.num[i] = pick(r, -1, 10, 50, 90)
		op.numViaFPF[i] = r.IntN(2) == 0
	}
	return op
}

func (op importOp) json(account string) string {
	extra := []string{`"RecordState":"` + op.recordSt + `"`}
	if op.compliance != "" {
		extra = append(extra, `"Compliance":{"Status":"`+op.compliance+`"}`)
	}
	if op.workflow != "" {
		extra = append(extra, `"Workflow":{"Status":"`+op.workflow+`"}`)
	}
	var fpf []string
	if op.sevViaFPF {
		fpf = append(fpf, `"Severity":{"Label":"`+op.severity+`"}`)
	}
	if op.typeViaFPF {
		fpf = append(fpf, `"Types":["`+op.typ[0]+`"]`)
	}
	for i, name := range numFields {
		switch {
		case op.num[i] < 0:
		case op.numViaFPF[i]:
			fpf = append(fpf, fmt.Sprintf(`"%s":%d`, name, op.num[i]))
		default:
			extra = append(extra, fmt.Sprintf(`"%s":%d`, name, op.num[i]))
		}
	}
	if len(fpf) > 0 {
		extra = append(extra, `"FindingProviderFields":{`+strings.Join(fpf, ",")+`}`)
	}
	raw := finding(account, "us-east-1", op.id, extra...)
	ts := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, op.updatedAt).Format(time.RFC3339)
	raw = strings.Replace(raw, `"UpdatedAt":"2024-01-01T00:00:00Z"`, `"UpdatedAt":"`+ts+`"`, 1)
	raw = strings.Replace(raw, `"Title":"title"`, `"Title":"`+op.title+`"`, 1)
	if op.sevViaFPF {
		// The top level then carries a different value, which the
		// provider's FindingProviderFields value overrides.
		raw = strings.Replace(raw, `"Severity":{"Label":"HIGH"}`, `"Severity":{"Label":"INFORMATIONAL"}`, 1)
	} else {
		raw = strings.Replace(raw, `"Severity":{"Label":"HIGH"}`, `"Severity":{"Label":"`+op.severity+`"}`, 1)
	}
	if !op.typeViaFPF {
		raw = strings.Replace(raw, `"Types":["Software and Configuration Checks/Vulnerabilities/CVE"]`, `"Types":["`+op.typ[0]+`"]`, 1)
	}
	return raw
}

func genUpdate(r *rand.Rand, ids []string) updateOp {
	op := updateOp{num: [2]int{-1, -1}}
	for _, id := range ids {
		if r.IntN(3) == 0 {
			op.ids = append(op.ids, id)
		}
	}
	if len(op.ids) == 0 {
		op.ids = []string{ids[r.IntN(len(ids))]}
	}
	for op.severity == "" && op.typ == nil && op.num == [2]int{-1, -1} && op.workflow == "" && op.note == "" && op.verify == "" && op.udfKey == "" {
		if r.IntN(3) == 0 {
			op.severity = pick(r, "LOW", "MEDIUM", "HIGH", "CRITICAL", "INFORMATIONAL")
		}
		if r.IntN(4) == 0 {
			op.typ = []string{pick(r, "TTPs/Discovery", "Unusual Behaviors/User", "Sensitive Data Identifications/PII")}
		}
		for i := range numFields {
			if r.IntN(4) == 0 {
				op.num[i] = pick(r, 0, 20, 100)
			}
		}
		if r.IntN(2) == 0 {
			op.workflow = pick(r, "NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
		}
		if r.IntN(4) == 0 {
			op.note = pick(r, "n1", "n2")
		}
		if r.IntN(4) == 0 {
			op.verify = pick(r, "TRUE_POSITIVE", "FALSE_POSITIVE", "BENIGN_POSITIVE", "UNKNOWN")
		}
		if r.IntN(5) == 0 {
			op.udfKey = pick(r, "k1", "k2")
		}
	}
	return op
}

func (op updateOp) input() *securityhub.BatchUpdateFindingsInput {
	in := &securityhub.BatchUpdateFindingsInput{}
	for _, id := range op.ids {
		in.FindingIdentifiers = append(in.FindingIdentifiers, ident(acct, id))
	}
	if op.severity != "" {
		in.Severity = &types.SeverityUpdate{Label: types.SeverityLabel(op.severity)}
	}
	in.Types = op.typ
	if op.num[0] >= 0 {
		in.Confidence = aws.Int32(int32(op.num[0]))
	}
	if op.num[1] >= 0 {
		in.Criticality = aws.Int32(int32(op.num[1]))
	}
	if op.workflow != "" {
		in.Workflow = &types.WorkflowUpdate{Status: types.WorkflowStatus(op.workflow)}
	}
	if op.note != "" {
		in.Note = &types.NoteUpdate{Text: aws.String(op.note), UpdatedBy: aws.String("tester")}
	}
	in.VerificationState = types.VerificationState(op.verify)
	if op.udfKey != "" {
		in.UserDefinedFields = map[string]string{op.udfKey: "v"}
	}
	return in
}

// TestOwnershipProperty replays random sequences of imports and batch
// updates against the server and against ownModel, and requires the same
// findings, the same BatchUpdateFindings outcomes and the same history.
func TestOwnershipProperty(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4}
	if testing.Short() {
		seeds = seeds[:1]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { ownershipRun(t, seed, 150) })
	}
}

func ownershipRun(t *testing.T, seed uint64, steps int) {
	clk, _, c := lifecycleHub(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(seed, 7))
	m := &ownModel{findings: map[string]*modelFinding{}}
	ids := []string{"p0", "p1", "p2", "p3", "p4", "p5"}
	day := 0
	var log []string
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d after %d steps:\n%s\n%s", seed, len(log), strings.Join(log, "\n"), fmt.Sprintf(format, args...))
	}
	for range steps {
		clk.Advance(time.Minute)
		if r.IntN(5) < 3 {
			// Imports: mostly newer, sometimes stale or equal UpdatedAt.
			n := 1 + r.IntN(3)
			var raws []string
			seen := map[string]bool{}
			for range n {
				id := ids[r.IntN(len(ids))]
				if seen[id] {
					continue
				}
				seen[id] = true
				d := day + 1 + r.IntN(3)
				if r.IntN(5) == 0 {
					d = max(0, day-r.IntN(3))
				}
				day = max(day, d)
				op := genImport(r, id, d)
				m.imp(op)
				raws = append(raws, op.json(acct))
				log = append(log, fmt.Sprintf("import %+v", op))
			}
			sdkImport(t, c, raws...)
			continue
		}
		op := genUpdate(r, ids)
		log = append(log, fmt.Sprintf("update %+v", op))
		want := m.update(op)
		out, err := c.BatchUpdateFindings(ctx, op.input())
		if err != nil {
			fail("BatchUpdateFindings: %v", err)
		}
		var got []string
		for _, p := range out.ProcessedFindings {
			got = append(got, aws.ToString(p.Id))
		}
		for _, u := range out.UnprocessedFindings {
			if aws.ToString(u.ErrorCode) != "FindingNotFound" || m.findings[aws.ToString(u.FindingIdentifier.Id)] != nil {
				fail("unprocessed %s: %s", aws.ToString(u.FindingIdentifier.Id), aws.ToString(u.ErrorCode))
			}
		}
		if !slices.Equal(got, want) {
			fail("processed %v, model %v", got, want)
		}
	}
	found := map[string]types.AwsSecurityFinding{}
	for _, f := range getAll(t, c, &securityhub.GetFindingsInput{}) {
		found[aws.ToString(f.Id)] = f
	}
	if len(found) != len(m.findings) {
		fail("%d findings stored, model has %d", len(found), len(m.findings))
	}
	for _, id := range slices.Sorted(maps.Keys(m.findings)) {
		want, got := m.findings[id], found[id]
		fpf := got.FindingProviderFields
		num := func(p *int32) int {
			if p == nil {
				return -1
			}
			return int(*p)
		}
		note := ""
		if got.Note != nil {
			note = aws.ToString(got.Note.Text)
		}
		compliance := ""
		if got.Compliance != nil {
			compliance = string(got.Compliance.Status)
		}
		udf := got.UserDefinedFields
		if udf == nil {
			udf = map[string]string{}
		}
		checks := []struct {
			name      string
			got, want any
		}{
			{"Title", aws.ToString(got.Title), want.title},
			{"RecordState", string(got.RecordState), want.recordSt},
			{"Compliance.Status", compliance, want.compliance},
			{"Severity.Label", string(got.Severity.Label), want.severity},
			{"FindingProviderFields.Severity.Label", string(fpf.Severity.Label), want.provSeverity},
			{"Types", strings.Join(got.Types, ","), strings.Join(want.typ, ",")},
			{"FindingProviderFields.Types", strings.Join(fpf.Types, ","), strings.Join(want.provTypes, ",")},
			{"Confidence", num(got.Confidence), want.num[0]},
			{"FindingProviderFields.Confidence", num(fpf.Confidence), want.provNum[0]},
			{"Criticality", num(got.Criticality), want.num[1]},
			{"FindingProviderFields.Criticality", num(fpf.Criticality), want.provNum[1]},
			{"Workflow.Status", string(got.Workflow.Status), want.workflow},
			{"Note.Text", note, want.note},
			{"VerificationState", string(got.VerificationState), want.verify},
			{"UserDefinedFields", fmt.Sprint(udf), fmt.Sprint(want.udf)},
		}
		for _, ch := range checks {
			if ch.got != ch.want {
				fail("finding %s: %s = %v, model %v", id, ch.name, ch.got, ch.want)
			}
		}
		recs := findingHistory(t, c, ident(acct, id), 7)
		if len(recs) != len(want.history) {
			fail("finding %s: %d history records, model %d", id, len(recs), len(want.history))
		}
		for i, wr := range want.history {
			gr := recs[len(recs)-1-i] // newest first
			if gr.UpdateSource.Type != wr.source || aws.ToBool(gr.FindingCreated) != wr.created {
				fail("finding %s record %d: %s created=%v, model %s created=%v", id, i, gr.UpdateSource.Type, aws.ToBool(gr.FindingCreated), wr.source, wr.created)
			}
			if wr.source != types.FindingHistoryUpdateSourceTypeBatchUpdateFindings {
				continue
			}
			have := map[string]bool{}
			for _, u := range gr.Updates {
				have[aws.ToString(u.UpdatedField)] = true
			}
			for _, fld := range wr.fields {
				if !have[fld] {
					fail("finding %s record %d: no update of %s in %s", id, i, fld, show(gr))
				}
			}
			for _, fld := range []string{"Severity.Label", "Types", "Confidence", "Criticality", "Workflow.Status", "Note", "Note.Text", "VerificationState"} {
				if have[fld] && !slices.Contains(wr.fields, fld) {
					fail("finding %s record %d: update of %s that the model did not change", id, i, fld)
				}
			}
		}
	}
}
