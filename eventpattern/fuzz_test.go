package eventpattern

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/go-json-experiment/json/jsontext"
)

// FuzzMatch checks that the three ways of matching agree on any pattern
// and event, and that nothing panics.
func FuzzMatch(f *testing.F) {
	for _, seed := range [][2]string{
		{`{"source": ["aws.ec2"], "detail": {"state": [{"anything-but": "initializing"}]}}`, ec2Running},
		{`{"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}], "x-limit": [3.018e2]}}`, ec2Running},
		{`{"a": {"x": [1], "$or": [{"y": [2]}, {"z": [{"exists": false}]}]}}`, `{"a": [{"x": 1, "z": 3}, {"x": 1, "y": 2}]}`},
		{`{"a.b": [{"prefix": {"equals-ignore-case": "K"}}, {"cidr": "10.0.0.0/8"}]}`, `{"a": {"b": ["\u212a", "10.1.2.3"]}, "a.b": null}`},
		{`{"a": [{"wildcard": "x*\\*y"}, {"anything-but": {"suffix": ["z"]}}]}`, `{"a": ["x*y", 1, true, "x\u0000*y"]}`},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, event string) {
		p, err := Parse([]byte(pattern))
		if err != nil {
			return
		}
		got, err := p.Match([]byte(event))
		fl, ferr := Flatten([]byte(event))
		if (err == nil) != (ferr == nil) {
			t.Fatalf("Match error %v, Flatten error %v", err, ferr)
		}
		if err != nil {
			return
		}
		if flat := p.MatchFlat(fl); flat != got {
			t.Fatalf("Match %v, MatchFlat %v", got, flat)
		}
		// encoding/json keeps the last of duplicate names, so compare
		// with MatchValue only on events without them.
		if !jsontext.Value(event).IsValid() {
			return
		}
		d := json.NewDecoder(bytes.NewReader([]byte(event)))
		d.UseNumber()
		var v any
		if d.Decode(&v) != nil {
			return
		}
		if value := p.MatchValue(v); value != got {
			t.Fatalf("Match %v, MatchValue %v", got, value)
		}
	})
}
