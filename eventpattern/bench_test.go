package eventpattern

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// benchEvent is the smallest Security Hub "Findings - Imported" event of
// the corpus, compacted: 2.8 KB, most of it the one finding.
func benchEvent(b testing.TB) []byte {
	var event []byte
	for _, e := range securityHubEvents(b) {
		if e.str("detail-type") != "Security Hub Findings - Imported" {
			continue
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, e.raw); err != nil {
			b.Fatal(err)
		}
		if event == nil || buf.Len() < len(event) {
			event = buf.Bytes()
		}
	}
	if event == nil {
		b.Fatal("no Imported event in the corpus")
	}
	return event
}

// benchPatterns returns n patterns of the kinds customers route Security
// Hub events with. The first of each kind matches the benchmark event; the
// others vary a value, as rules for other accounts and thresholds would.
func benchPatterns(b testing.TB, n int) []*Pattern {
	kinds := []func(i int) string{
		func(i int) string {
			label := "INFORMATIONAL"
			if i > 0 {
				label = fmt.Sprint("LABEL", i)
			}
			return `{"source": ["aws.securityhub"], "detail-type": ["Security Hub Findings - Imported"],
			  "detail": {"findings": {"Severity": {"Label": ["CRITICAL", "` + label + `"]}, "Workflow": {"Status": ["NEW"]}}}}`
		},
		func(i int) string {
			return fmt.Sprintf(`{"detail-type": ["Security Hub Findings - Imported"],
			  "detail": {"findings": {"Severity": {"Normalized": [{"numeric": [">=", %d]}]}}}}`, i)
		},
		func(i int) string {
			return fmt.Sprintf(`{"detail": {"findings": {"ProductArn": [{"prefix": "arn:aws:securityhub:us-east-%d::product/aws/"}],
			  "RecordState": [{"anything-but": "ARCHIVED"}]}}}`, 1+i)
		},
		func(i int) string {
			return fmt.Sprintf(`{"account": ["%012d"], "detail": {"findings": {"Severity": {"$or": [
			  {"Label": ["INFORMATIONAL"]}, {"Normalized": [{"numeric": [">", 80]}]}]}}}}`, 111111111111+i)
		},
		func(i int) string {
			return fmt.Sprintf(`{"detail": {"findings": {"Compliance": {"Status": ["FAILED"]},
			  "GeneratorId": [{"wildcard": "*/EC2.%d"}]}}}`, 7+i)
		},
		func(i int) string {
			typ := "AwsAccount"
			if i > 0 {
				typ = fmt.Sprint("AwsEc2Instance", i)
			}
			return `{"region": [{"anything-but": {"prefix": "cn-"}}], "detail": {"findings": {"Resources": {"Type": ["` + typ + `"]}}}}`
		},
	}
	ps := make([]*Pattern, n)
	for i := range ps {
		p, err := Parse([]byte(kinds[i%len(kinds)](i / len(kinds))))
		if err != nil {
			b.Fatal(err)
		}
		ps[i] = p
	}
	return ps
}

func TestBenchPatterns(t *testing.T) {
	event := benchEvent(t)
	matched := 0
	for _, p := range benchPatterns(t, 100) {
		ok, err := p.Match(event)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			matched++
		}
	}
	if matched != 6 {
		t.Errorf("%d of the benchmark's patterns match its event, want 6", matched)
	}
}

func BenchmarkMatch(b *testing.B) {
	event := benchEvent(b)
	for _, n := range []int{1, 3, 100} {
		ps := benchPatterns(b, n)
		b.Run(fmt.Sprintf("patterns=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(event)))
			b.ReportAllocs()
			for b.Loop() {
				for _, p := range ps {
					if _, err := p.Match(event); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}

func BenchmarkFlatten(b *testing.B) {
	event := benchEvent(b)
	for _, n := range []int{0, 3, 100} {
		ps := benchPatterns(b, n)
		b.Run(fmt.Sprintf("patterns=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(event)))
			b.ReportAllocs()
			for b.Loop() {
				f, err := Flatten(event)
				if err != nil {
					b.Fatal(err)
				}
				for _, p := range ps {
					p.MatchFlat(f)
				}
			}
		})
	}
}

func BenchmarkMatchValue(b *testing.B) {
	event := benchEvent(b)
	for _, n := range []int{3, 100} {
		ps := benchPatterns(b, n)
		b.Run(fmt.Sprintf("patterns=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(event)))
			b.ReportAllocs()
			for b.Loop() {
				var v any
				if err := json.Unmarshal(event, &v); err != nil {
					b.Fatal(err)
				}
				for _, p := range ps {
					p.MatchValue(v)
				}
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	pattern := []byte(`{"source": ["aws.securityhub"], "detail-type": ["Security Hub Findings - Imported"],
	  "detail": {"findings": {"Severity": {"Label": ["CRITICAL", "HIGH"]}, "Workflow": {"Status": ["NEW"]}}}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(pattern); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMatchFlat(b *testing.B) {
	f, err := Flatten(benchEvent(b))
	if err != nil {
		b.Fatal(err)
	}
	ps := benchPatterns(b, 100)
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range ps {
			p.MatchFlat(f)
		}
	}
}
