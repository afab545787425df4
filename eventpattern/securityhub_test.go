package eventpattern

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/muster-hub/muster/internal/corpus"
)

// shEvent is one Security Hub event of the shared corpus.
type shEvent struct {
	name string // file#index
	raw  []byte
	doc  map[string]any
}

func (e shEvent) str(key string) string { s, _ := e.doc[key].(string); return s }

func (e shEvent) detail() map[string]any { d, _ := e.doc["detail"].(map[string]any); return d }

// findings returns detail.findings.
func (e shEvent) findings() []map[string]any {
	var out []map[string]any
	list, _ := e.detail()["findings"].([]any)
	for _, f := range list {
		if m, ok := f.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// get follows a path of object members.
func get(m map[string]any, path ...string) any {
	var v any = m
	for _, k := range path {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

func securityHubEvents(t testing.TB) []shEvent {
	t.Helper()
	dir, err := corpus.Dir()
	if err != nil {
		t.Skip(err)
	}
	files, err := filepath.Glob(filepath.Join(dir, "events", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var events []shEvent
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		raws, err := corpus.Split(data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for i, raw := range raws {
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatalf("%s#%d: %v", file, i, err)
			}
			events = append(events, shEvent{name: filepath.Base(file) + "#" + strconv.Itoa(i), raw: raw, doc: doc})
		}
	}
	if len(events) < 30 {
		t.Fatalf("found %d Security Hub events, want the 32 of the corpus", len(events))
	}
	return events
}

// Patterns a Security Hub customer writes, each with what it means written
// out in Go over the decoded event, checked on every event of the corpus.
func TestSecurityHubEvents(t *testing.T) {
	events := securityHubEvents(t)
	anyFinding := func(e shEvent, ok func(f map[string]any) bool) bool { return slices.ContainsFunc(e.findings(), ok) }
	label := func(f map[string]any) string { s, _ := get(f, "Severity", "Label").(string); return s }
	tests := []struct {
		name    string
		pattern string
		want    func(e shEvent) bool
	}{
		{"new critical or high imported", `{
		  "source": ["aws.securityhub"],
		  "detail-type": ["Security Hub Findings - Imported"],
		  "detail": {"findings": {"Severity": {"Label": ["CRITICAL", "HIGH"]}, "Workflow": {"Status": ["NEW"]}}}
		}`, func(e shEvent) bool {
			return e.str("source") == "aws.securityhub" && e.str("detail-type") == "Security Hub Findings - Imported" &&
				anyFinding(e, func(f map[string]any) bool {
					return (label(f) == "CRITICAL" || label(f) == "HIGH") && get(f, "Workflow", "Status") == "NEW"
				})
		}},
		{"severity at least 70", `{"detail": {"findings": {"Severity": {"Normalized": [{"numeric": [">=", 70]}]}}}}`,
			func(e shEvent) bool {
				return anyFinding(e, func(f map[string]any) bool { n, ok := get(f, "Severity", "Normalized").(float64); return ok && n >= 70 })
			}},
		{"products of AWS in us-east-1", `{"detail": {"findings": {"ProductArn": [{"prefix": "arn:aws:securityhub:us-east-1::product/aws/"}]}}}`,
			func(e shEvent) bool {
				return anyFinding(e, func(f map[string]any) bool {
					s, _ := f["ProductArn"].(string)
					return strings.HasPrefix(s, "arn:aws:securityhub:us-east-1::product/aws/")
				})
			}},
		{"imported and not archived", `{
		  "detail-type": ["Security Hub Findings - Imported"],
		  "detail": {"findings": {"RecordState": [{"anything-but": "ARCHIVED"}]}}
		}`, func(e shEvent) bool {
			return e.str("detail-type") == "Security Hub Findings - Imported" && anyFinding(e, func(f map[string]any) bool {
				s, ok := f["RecordState"]
				return ok && s != "ARCHIVED"
			})
		}},
		{"critical label or high score", `{"detail": {"findings": {"Severity": {"$or": [
		  {"Label": ["CRITICAL"]},
		  {"Normalized": [{"numeric": [">=", 70]}]}
		]}}}}`, func(e shEvent) bool {
			return anyFinding(e, func(f map[string]any) bool {
				n, _ := get(f, "Severity", "Normalized").(float64)
				return label(f) == "CRITICAL" || n >= 70
			})
		}},
		{"custom actions", `{
		  "detail-type": ["Security Hub Findings - Custom Action"],
		  "resources": [{"wildcard": "arn:aws:securityhub:*:*:action/custom/*"}],
		  "detail": {"actionName": [{"prefix": {"equals-ignore-case": "cis"}}]}
		}`, func(e shEvent) bool {
			name, _ := e.detail()["actionName"].(string)
			return e.str("detail-type") == "Security Hub Findings - Custom Action" && strings.HasPrefix(strings.ToLower(name), "cis")
		}},
		{"insight results", `{"detail-type": ["Security Hub Insight Results"], "detail": {"insightResults": {"result 1": [{"exists": true}]}}}`,
			func(e shEvent) bool {
				if e.str("detail-type") != "Security Hub Insight Results" {
					return false
				}
				list, _ := e.detail()["insightResults"].([]any)
				return slices.ContainsFunc(list, func(r any) bool { _, ok := get(r.(map[string]any), "result 1").(float64); return ok })
			}},
		{"resources in a private network", `{"detail": {"findings": {"Resources": {"Id": [{"cidr": "10.0.0.0/8"}]}}}}`,
			func(e shEvent) bool {
				return anyFinding(e, func(f map[string]any) bool {
					list, _ := f["Resources"].([]any)
					return slices.ContainsFunc(list, func(r any) bool {
						id, _ := get(r.(map[string]any), "Id").(string)
						return strings.HasPrefix(id, "10.")
					})
				})
			}},
		{"failed and not informational", `{"detail": {"findings": {
		  "Compliance": {"Status": ["FAILED"]},
		  "Severity": {"Label": [{"anything-but": "INFORMATIONAL"}]}
		}}}`, func(e shEvent) bool {
			return anyFinding(e, func(f map[string]any) bool {
				_, hasLabel := get(f, "Severity").(map[string]any)["Label"]
				return get(f, "Compliance", "Status") == "FAILED" && hasLabel && label(f) != "INFORMATIONAL"
			})
		}},
		// Both fields must hold in the same finding: event 13 of the
		// solution's file has a CRITICAL finding and an RDS finding.
		{"critical on an RDS resource", `{"detail": {"findings": {
		  "Severity": {"Label": ["CRITICAL"]},
		  "Resources": {"Id": [{"prefix": "arn:aws:rds:"}]}
		}}}`, func(e shEvent) bool {
			return anyFinding(e, func(f map[string]any) bool {
				list, _ := f["Resources"].([]any)
				return label(f) == "CRITICAL" && slices.ContainsFunc(list, func(r any) bool {
					id, _ := get(r.(map[string]any), "Id").(string)
					return strings.HasPrefix(id, "arn:aws:rds:")
				})
			})
		}},
		{"no workflow", `{"detail-type": [{"prefix": "Security Hub Findings"}], "detail": {"findings": {"Workflow": {"Status": [{"exists": false}]}}}}`,
			func(e shEvent) bool {
				return strings.HasPrefix(e.str("detail-type"), "Security Hub Findings") &&
					!anyFinding(e, func(f map[string]any) bool { _, ok := get(f, "Workflow", "Status").(string); return ok })
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.pattern))
			if err != nil {
				t.Fatal(err)
			}
			matched := 0
			for _, e := range events {
				want := tt.want(e)
				got, err := p.Match(e.raw)
				if err != nil {
					t.Fatalf("%s: %v", e.name, err)
				}
				f, err := Flatten(e.raw)
				if err != nil {
					t.Fatalf("%s: %v", e.name, err)
				}
				if got != want || p.MatchFlat(f) != want || p.MatchValue(e.doc) != want {
					t.Errorf("%s: Match %v, MatchFlat %v, MatchValue %v; want %v", e.name, got, p.MatchFlat(f), p.MatchValue(e.doc), want)
				}
				if want {
					matched++
				}
			}
			// A pattern that matches all events or none shows nothing.
			if matched == 0 || matched == len(events) {
				t.Errorf("matched %d of %d events", matched, len(events))
			}
		})
	}
}
