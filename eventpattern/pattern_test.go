package eventpattern

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Patterns EventBridge refuses with InvalidEventPatternException.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		pattern string
		path    string // want Error.Path
		reason  string // want in Error.Reason
	}{
		// The pattern and its structure.
		{``, "", "unexpected end"},
		{`this is valid json but not a dict`, "", "invalid JSON"},
		{`{'bad': 'quotation'}`, "", "invalid JSON"},
		{`["not", "a", "dict"]`, "", "must be a JSON object"},
		{`"x"`, "", "must be a JSON object"},
		{`{}`, "", "empty objects are not allowed"},
		{`{"detail": {}}`, "detail", "empty objects are not allowed"},
		{`{"a": [1]} {}`, "", "unexpected data after the pattern"},
		{`{"a": [1],}`, "", "invalid JSON"},
		{`{"a": [1]`, "", "unexpected EOF"},
		// Leaf values must be arrays.
		{`{"int": 42}`, "int", "must be an object, or an array"},
		{`{"string": "my-value"}`, "string", "must be an object, or an array"},
		{`{"detail": {"state": null}}`, "detail.state", "must be an object, or an array"},
		{`{"detail": {"state": true}}`, "detail.state", "must be an object, or an array"},
		{`{"resources": []}`, "resources", "empty arrays are not allowed"},
		{`{"a": [["x"]]}`, "a", "not arrays"},
		// Operators.
		{`{"a": [{}]}`, "a", "empty operator object"},
		{`{"my_key": [{"EXISTS": true}]}`, "my_key", `unknown operator "EXISTS"`},
		{`{"detail": {"equal": [{"NUMERIC": ["=", 5]}]}}`, "detail.equal", `unknown operator "NUMERIC"`},
		{`{"a": [{"exactly": "x"}]}`, "a", `unknown operator "exactly"`},
		{`{"a": [{"contains": "x"}]}`, "a", `unknown operator "contains"`},
		{`{"a": [{"prefix": "x", "suffix": "y"}]}`, "a", "exactly one member"},
		{`{"time": [{"prefix": 123}]}`, "time", "prefix: must be a string"},
		{`{"time": [{"prefix": ["2022-07-13"]}]}`, "time", "prefix: must be a string"},
		{`{"time": [{"prefix": {"suffix": "x"}}]}`, "time", `prefix: unsupported "suffix"`},
		{`{"time": [{"prefix": {"equals-ignore-case": 1}}]}`, "time", "equals-ignore-case: must be a string"},
		{`{"time": [{"prefix": {"equals-ignore-case": "a", "x": 1}}]}`, "time", "exactly one member"},
		{`{"FileName": [{"suffix": 123}]}`, "FileName", "suffix: must be a string"},
		{`{"FileName": [{"suffix": [".png"]}]}`, "FileName", "suffix: must be a string"},
		{`{"detail-type": [{"equals-ignore-case": ["ec2"]}]}`, "detail-type", "equals-ignore-case: must be a string"},
		{`{"detail-type": [{"equals-ignore-case": {"prefix": "ec2"}}]}`, "detail-type", "equals-ignore-case: must be a string"},
		{`{"a": [{"exists": "true"}]}`, "a", "exists: must be true or false"},
		{`{"a": [{"exists": null}]}`, "a", "exists: must be true or false"},
		// Wildcards.
		{`{"EventBusArn": [{"wildcard": 123}]}`, "EventBusArn", "wildcard: must be a string"},
		{`{"EventBusArn": [{"wildcard": ["x*"]}]}`, "EventBusArn", "wildcard: must be a string"},
		{`{"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:**:event-bus/*"}]}`, "EventBusArn", "consecutive wildcard characters at position 25"},
		{`{"a": [{"wildcard": "a\\b"}]}`, "a", "invalid escape"},
		{`{"a": [{"wildcard": "a\\"}]}`, "a", "invalid escape"},
		// Numeric ranges.
		{`{"detail": {"severity": [{"numeric": ["<"]}]}}`, "detail.severity", `numeric: "<" needs a number`},
		{`{"detail": {"c-count": [{"numeric": [">", 0, "<"]}]}}`, "detail.c-count", `numeric: "<" needs a number`},
		{`{"detail": {"c-count": [{"numeric": [">", 0, ">", 0]}]}}`, "detail.c-count", `">" cannot follow the lower bound`},
		{`{"a": [{"numeric": [">", "0"]}]}`, "a", `numeric: ">" needs a number`},
		{`{"a": [{"numeric": ["==", 1]}]}`, "a", `unknown operator "=="`},
		{`{"a": [{"numeric": [1, "<"]}]}`, "a", "expected an operator"},
		{`{"a": [{"numeric": []}]}`, "a", "missing operator"},
		{`{"a": [{"numeric": ">"}]}`, "a", "numeric: must be an array"},
		{`{"a": [{"numeric": ["=", 1, "<", 2]}]}`, "a", "numeric: too many elements"},
		{`{"a": [{"numeric": ["<", 1, ">", 0]}]}`, "a", "numeric: too many elements"},
		{`{"a": [{"numeric": [">", 0, "<", 5, "<", 6]}]}`, "a", "numeric: too many elements"},
		{`{"a": [{"numeric": [">", 5, "<", 1]}]}`, "a", "lower bound must be less than the upper bound"},
		{`{"a": [{"numeric": [">=", 5, "<=", 5]}]}`, "a", "lower bound must be less than the upper bound"},
		{`{"a": [{"numeric": ["<", 6e9]}]}`, "a", "6e9 is outside the range -5e9 to 5e9"},
		{`{"a": [{"numeric": [">", -5000000001]}]}`, "a", "outside the range"},
		{`{"a": [{"numeric": ["=", 0.1234567]}]}`, "a", "more than six digits after the decimal point"},
		// IP addresses.
		{`{"a": [{"cidr": "10.0.0.0"}]}`, "a", `needs one "/"`},
		{`{"a": [{"cidr": "10.0.0.0/8/8"}]}`, "a", `needs one "/"`},
		{`{"a": [{"cidr": "10.0.0.0/x"}]}`, "a", "mask must be a number of bits"},
		{`{"a": [{"cidr": "10.0.0.0/-1"}]}`, "a", "mask must be a number of bits"},
		{`{"a": [{"cidr": "xx.11.xx/24"}]}`, "a", `"xx.11.xx" is not an IP address`},
		{`{"a": [{"cidr": "xxxx:db8:1234:1a00::/64"}]}`, "a", "is not an IP address"},
		{`{"a": [{"cidr": "10.0.0.0/32"}]}`, "a", "IPv4 mask must be less than 32"},
		{`{"a": [{"cidr": "2001:db8::/128"}]}`, "a", "IPv6 mask must be less than 128"},
		{`{"a": [{"cidr": ["bad-type"]}]}`, "a", "cidr: must be a string"},
		// anything-but.
		{`{"detail": {"state": [{"anything-but": null}]}}`, "detail.state", "anything-but: must be a string"},
		{`{"a": [{"anything-but": true}]}`, "a", "anything-but: must be a string"},
		{`{"a": [{"anything-but": []}]}`, "a", "anything-but: empty list"},
		{`{"a": [{"anything-but": ["x", 1]}]}`, "a", "only strings or only numbers, not both"},
		{`{"a": [{"anything-but": [null]}]}`, "a", "only strings or only numbers"},
		{`{"a": [{"anything-but": 1e10}]}`, "a", "outside the range"},
		{`{"a": [{"anything-but": [1, 0.00000001]}]}`, "a", "more than six digits"},
		{`{"a": [{"anything-but": {"prefix": ""}}]}`, "a", "anything-but: prefix: must not be empty"},
		{`{"a": [{"anything-but": {"suffix": ["x", ""]}}]}`, "a", "anything-but: suffix: must not be empty"},
		{`{"a": [{"anything-but": {"prefix": 123}}]}`, "a", "anything-but: prefix: must be a string or a list of strings"},
		{`{"a": [{"anything-but": {"prefix": [123, "test"]}}]}`, "a", "anything-but: prefix: must be a string or a list of strings"},
		{`{"a": [{"anything-but": {"suffix": [123, ".txt"]}}]}`, "a", "anything-but: suffix: must be a string or a list of strings"},
		{`{"a": [{"anything-but": {"prefix": {"equals-ignore-case": "file"}}}]}`, "a", "anything-but: prefix: must be a string or a list of strings"},
		{`{"a": [{"anything-but": {"equals-ignore-case": 123}}]}`, "a", "anything-but: equals-ignore-case: must be a string"},
		{`{"a": [{"anything-but": {"equals-ignore-case": [123, 456]}}]}`, "a", "anything-but: equals-ignore-case: must be a string"},
		{`{"a": [{"anything-but": {"wildcard": 123}}]}`, "a", "anything-but: wildcard: must be a string"},
		{`{"a": [{"anything-but": {"wildcard": ["*/dir/*", "a**"]}}]}`, "a", "consecutive wildcard characters"},
		{`{"a": [{"anything-but": {"numeric": [">", 1]}}]}`, "a", `anything-but: unsupported "numeric"`},
		{`{"a": [{"anything-but": {"prefix": "x", "suffix": "y"}}]}`, "a", "exactly one member"},
		{`{"a": [{"anything-but": {}}]}`, "a", "must name prefix, suffix"},
		// $or.
		{`{"$or": []}`, "$or", "at least two objects"},
		{`{"$or": [{"a": [1]}]}`, "$or", "at least two objects"},
		{`{"$or": {"a": [1]}}`, "$or", "at least two objects"},
		{`{"$or": [{"a": [1]}, ["b"]]}`, "$or[1]", "must be an object"},
		{`{"$or": [{"a": [1]}, {}]}`, "$or[1]", "empty objects are not allowed"},
		{`{"detail": {"$or": [{"a": [1]}, {"b": [{"numeric": ["<"]}]}]}}`, "detail.$or[1].b", `numeric: "<" needs a number`},
		{`{"$or": [{"numeric": [1]}, {"prefix": ["abc"]}]}`, "$or[0].numeric", "operator name"},
		{`{"$or": [{"a": {"wildcard": ["x"]}}, {"b": [1]}]}`, "$or[0].a.wildcard", "operator name"},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			p, err := Parse([]byte(tt.pattern))
			if err == nil {
				t.Fatalf("Parse succeeded: %+v", p)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse error %T %v is not an *Error", err, err)
			}
			if e.Path != tt.path || !strings.Contains(e.Reason, tt.reason) {
				t.Errorf("Parse error: path %q, reason %q; want path %q, reason containing %q", e.Path, e.Reason, tt.path, tt.reason)
			}
			if !strings.HasPrefix(err.Error(), "eventpattern: ") {
				t.Errorf("Error() = %q", err)
			}
		})
	}
}

func TestErrorMessage(t *testing.T) {
	_, err := Parse([]byte(`{"detail": {"severity": [{"numeric": ["<"]}]}}`))
	const want = `eventpattern: detail.severity: numeric: "<" needs a number`
	if err == nil || err.Error() != want {
		t.Errorf("Parse error = %v, want %s", err, want)
	}
}

// Patterns EventBridge accepts that look odd.
func TestParseValid(t *testing.T) {
	for _, pattern := range []string{
		`{"a": [{"exists": false}]}`,
		`{"a": [{"prefix": ""}]}`,
		`{"a": [{"wildcard": ""}]}`,
		`{"a": [{"equals-ignore-case": ""}]}`,
		`{"a": [{"anything-but": {"wildcard": ""}}]}`,
		`{"a": [{"numeric": [">=", -5e9, "<=", 5e9]}]}`,
		`{"a": [{"numeric": ["=", 0.000001]}]}`,
		`{"a": [1e400, 123456789012345678901234567890]}`, // matched as float64 values only
		`{"a": [{"cidr": "0.0.0.0/0"}]}`,
		`{"a": [{"cidr": "::/0"}]}`,
		`{"a": ["x", 1, true, false, null, {"prefix": "y"}, {"exists": false}]}`,
		`{"$or": [{"a": [1]}, {"a": [2]}], "prefix": ["x"]}`,
		`{"a": {"b": {"c": {"d": ["e"]}}}}`,
		`{"a": ["x"], "a": {"b": ["y"]}}`,
	} {
		if _, err := Parse([]byte(pattern)); err != nil {
			t.Errorf("Parse(%s): %v", pattern, err)
		}
	}
}

func TestParseTooManyAlternatives(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range 13 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"f` + string(rune('a'+i)) + `": {"$or": [{"x": [1]}, {"y": [2]}]}`)
	}
	b.WriteString("}")
	_, err := Parse([]byte(b.String()))
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Reason, "alternatives") {
		t.Errorf("Parse of 2^13 alternatives: %v", err)
	}
}

// Every proper prefix of a valid pattern is invalid, and Parse says so
// rather than loop or panic.
func TestParseTruncated(t *testing.T) {
	patterns := []string{
		`{"a": [{"anything-but": ["x", "y"]}, {"anything-but": {"prefix": ["p", "q"]}}, {"anything-but": 1}]}`,
		`{"b": [{"numeric": [">", 0, "<=", 5]}, {"prefix": {"equals-ignore-case": "x"}}, {"suffix": "y"}]}`,
		`{"c": {"$or": [{"d": [{"cidr": "10.0.0.0/8"}]}, {"e": [{"exists": false}, {"wildcard": "a*"}]}]}}`,
		`{"f": [null, true, false, 1.5e3, "s", {"equals-ignore-case": "t"}, {"anything-but": {"wildcard": ["*x"]}}]}`,
	}
	for _, pattern := range patterns {
		if _, err := Parse([]byte(pattern)); err != nil {
			t.Fatalf("Parse(%s): %v", pattern, err)
		}
		for n := range len(pattern) - 1 {
			if _, err := Parse([]byte(pattern[:n])); err == nil {
				t.Errorf("Parse(%s) succeeded", pattern[:n])
			}
		}
	}
}

// Long patterns compile and match in time proportional to their length.
func TestLongPatterns(t *testing.T) {
	var fields, values, event strings.Builder
	for i := range 20000 {
		if i > 0 {
			fields.WriteString(",")
			values.WriteString(",")
		}
		fmt.Fprintf(&fields, `"f%d": [%d]`, i, i)
		fmt.Fprintf(&values, `"v%d"`, i)
	}
	fmt.Fprintf(&event, `{"d": {"f19999": 19999, "f0": 0`)
	for i := 1; i < 19999; i++ {
		fmt.Fprintf(&event, `, "f%d": %d`, i, i)
	}
	event.WriteString(`}, "s": "v12345"}`)
	for pattern, want := range map[string]bool{
		`{"d": {` + fields.String() + `}}`:                        true,
		`{"s": [` + values.String() + `]}`:                        true,
		`{"s": [` + values.String() + `, "10.0.0.1", 1]}`:         true,
		`{"d": {"f1": [` + values.String() + `]}}`:                false,
		`{"$or": [{"d": {` + fields.String() + `}}, {"x": [1]}]}`: true,
	} {
		p, err := Parse([]byte(pattern))
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := p.Match([]byte(event.String())); ok != want || err != nil {
			t.Errorf("Match = %v, %v; want %v", ok, err, want)
		}
	}
}
