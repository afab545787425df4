package eventpattern

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
)

// Behaviour the user guide leaves implicit, as EventBridge shows it.
func TestSemantics(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		event   string
		want    bool
	}{
		// Leaves, objects and empty arrays.
		{"exists null", `{"a": [{"exists": true}]}`, `{"a": null}`, true},
		{"exists empty string", `{"a": [{"exists": true}]}`, `{"a": ""}`, true},
		{"exists empty array", `{"a": [{"exists": true}]}`, `{"a": []}`, false},
		{"exists false empty array", `{"a": [{"exists": false}]}`, `{"a": []}`, true},
		{"exists object", `{"a": [{"exists": true}]}`, `{"a": {"b": 1}}`, false},
		{"exists array of objects", `{"a": [{"exists": true}]}`, `{"a": [{"b": 1}]}`, false},
		{"exists false no parent", `{"a": {"b": [{"exists": false}]}}`, `{"c": 1}`, true},
		{"exists false parent scalar", `{"a": {"b": [{"exists": false}]}}`, `{"a": 1}`, true},
		{"exists false or value", `{"a": [{"anything-but": ["roses"]}, {"exists": false}]}`, `{}`, true},
		{"exists false or value present", `{"a": [{"anything-but": ["roses"]}, {"exists": false}]}`, `{"a": "roses"}`, false},
		{"exists in some element", `{"a": {"id": [{"exists": true}]}}`, `{"a": [{"k": 1}, {"id": "x"}, {"k": 2}]}`, true},
		{"value is not an object", `{"a": {"b": ["x"]}}`, `{"a": "x"}`, false},
		{"object is not a value", `{"a": ["x"]}`, `{"a": {"b": "x"}}`, false},

		// Types: a value matches only the same JSON type.
		{"string is not number", `{"a": ["5"]}`, `{"a": 5}`, false},
		{"true", `{"a": [true]}`, `{"a": true}`, true},
		{"true is not string", `{"a": [true]}`, `{"a": "true"}`, false},
		{"false is not null", `{"a": [false]}`, `{"a": null}`, false},
		{"prefix not on number", `{"a": [{"prefix": "1"}]}`, `{"a": 12}`, false},
		{"suffix not on null", `{"a": [{"suffix": "ll"}]}`, `{"a": null}`, false},
		{"wildcard star on string", `{"a": [{"wildcard": "*"}]}`, `{"a": ""}`, true},
		{"wildcard star not on number", `{"a": [{"wildcard": "*"}]}`, `{"a": 1}`, false},
		{"cidr not on number", `{"a": [{"cidr": "10.0.0.0/8"}]}`, `{"a": 167772161}`, false},
		{"numeric not on null", `{"a": [{"numeric": [">=", 0]}]}`, `{"a": null}`, false},

		// anything-but accepts any present value it does not exclude.
		{"anything-but null", `{"a": [{"anything-but": "x"}]}`, `{"a": null}`, true},
		{"anything-but number vs strings", `{"a": [{"anything-but": ["5"]}]}`, `{"a": 5}`, true},
		{"anything-but string vs numbers", `{"a": [{"anything-but": [5]}]}`, `{"a": "5"}`, true},
		{"anything-but numbers by value", `{"a": [{"anything-but": [5]}]}`, `{"a": 5.0}`, false},
		{"anything-but prefix number", `{"a": [{"anything-but": {"prefix": "init"}}]}`, `{"a": 12}`, true},
		{"anything-but suffix bool", `{"a": [{"anything-but": {"suffix": "e"}}]}`, `{"a": true}`, true},
		{"anything-but wildcard number", `{"a": [{"anything-but": {"wildcard": "*/dir/*"}}]}`, `{"a": 123}`, true},
		{"anything-but ignore case null", `{"a": [{"anything-but": {"equals-ignore-case": "x"}}]}`, `{"a": null}`, true},
		{"anything-but empty wildcard", `{"a": [{"anything-but": {"wildcard": ""}}]}`, `{"a": "dir/init/file"}`, true},
		{"anything-but object value", `{"a": [{"anything-but": "x"}]}`, `{"a": {"b": "y"}}`, false},
		// With an array, one value that is not excluded is enough.
		{"anything-but array", `{"a": [{"anything-but": ["x"]}]}`, `{"a": ["x", "y"]}`, true},
		{"anything-but array all excluded", `{"a": [{"anything-but": ["x", "y"]}]}`, `{"a": ["x", "y"]}`, false},
		{"anything-but empty array", `{"a": [{"anything-but": ["x"]}]}`, `{"a": []}`, false},

		// Arrays of objects: values must come from one element.
		{"same element", `{"a": {"x": [1], "y": [2]}}`, `{"a": [{"x": 1, "y": 2}]}`, true},
		{"different elements", `{"a": {"x": [1], "y": [2]}}`, `{"a": [{"x": 1}, {"y": 2}]}`, false},
		{"one element fits", `{"a": {"x": [1], "y": [2]}}`, `{"a": [{"x": 1, "y": 3}, {"x": 1, "y": 2}]}`, true},
		{"outer field and array", `{"s": ["e"], "a": {"x": [1], "y": [2]}}`, `{"s": "e", "a": [{"x": 9, "y": 2}, {"x": 1, "y": 2}]}`, true},
		{"nested arrays same", `{"a": {"b": {"x": [1], "y": [2]}}}`, `{"a": [{"b": [{"x": 1}, {"x": 1, "y": 2}]}]}`, true},
		{"nested arrays different", `{"a": {"b": {"x": [1], "y": [2]}}}`, `{"a": [{"b": [{"x": 1}]}, {"b": [{"y": 2}]}]}`, false},
		{"inner array free", `{"a": {"x": [1], "t": ["q"]}}`, `{"a": [{"x": 1, "t": ["p", "q"]}, {"x": 2}]}`, true},
		{"inner array other element", `{"a": {"x": [1], "t": ["q"]}}`, `{"a": [{"x": 1, "t": ["p"]}, {"x": 2, "t": ["q"]}]}`, false},
		{"separate arrays", `{"a": {"x": [1]}, "b": {"y": [2]}}`, `{"a": [{"x": 1}], "b": [{"y": 0}, {"y": 2}]}`, true},
		{"arrays of arrays", `{"a": [3]}`, `{"a": [[1, 2], [3]]}`, true},
		{"$or branch in element", `{"a": {"x": [1], "$or": [{"y": [2]}, {"z": [3]}]}}`, `{"a": [{"x": 1, "z": 3}]}`, true},
		{"$or branches in elements", `{"a": {"$or": [{"x": [1], "y": [2]}, {"x": [3], "z": [4]}]}}`, `{"a": [{"x": 1}, {"x": 3, "y": 2}, {"x": 3, "z": 4}]}`, true},
		{"$or branches in other elements", `{"a": {"$or": [{"x": [1], "y": [2]}, {"x": [3], "z": [4]}]}}`, `{"a": [{"x": 1, "z": 4}, {"x": 3, "y": 2}]}`, false},
		{"$or branch other element", `{"a": {"x": [1], "$or": [{"y": [2]}, {"z": [3]}]}}`, `{"a": [{"x": 1}, {"z": 3}]}`, false},

		// Paths: dots in names join like nesting.
		{"dotted pattern", `{"detail": {"state.status": ["running"]}}`, `{"detail": {"state": {"status": "running"}}}`, true},
		{"dotted event", `{"detail": {"state": {"status": ["running"]}}}`, `{"detail": {"state.status": "running"}}`, true},
		{"names are case sensitive", `{"Detail": {"state": ["running"]}}`, `{"detail": {"state": "running"}}`, false},
		{"empty names", `{"": {"": [0]}}`, `{"": {"": 0}}`, true},
		{"empty names are not the root", `{"": {"": [0]}}`, `{"": 0}`, false},
		{"empty names in arrays", `{"": {"": [0]}}`, `{"": [{"": 0}]}`, true},
		{"escaped names", `{"d\u0065tail": {"st\"ate": ["A"]}}`, `{"detail": {"st\u0022ate": "\u0041"}}`, true},

		// Numbers.
		{"number spellings", `{"a": [0.1]}`, `{"a": 1e-1}`, true},
		{"negative zero", `{"a": [0]}`, `{"a": -0.0}`, true},
		{"numeric negative", `{"a": [{"numeric": ["<", -1.5]}]}`, `{"a": -1.6}`, true},
		{"numeric bounds", `{"a": [{"numeric": [">=", 1, "<", 2]}]}`, `{"a": 2}`, false},
		{"numeric at limit", `{"a": [{"numeric": [">=", 5e9]}]}`, `{"a": 5000000000}`, true},
		{"numeric beyond limit", `{"a": [{"numeric": [">", 0]}]}`, `{"a": 5000000000.5}`, false},
		{"numeric too precise", `{"a": [{"numeric": [">", 0]}]}`, `{"a": 0.1234567}`, false},
		{"numeric six decimals", `{"a": [{"numeric": ["=", 0.123456]}]}`, `{"a": 0.1234560}`, true},
		{"numeric exact decimals", `{"a": [{"numeric": ["=", 0.3]}]}`, `{"a": 0.30}`, true},
		{"large number", `{"account": [123456789012]}`, `{"account": 123456789012}`, true},
		{"large number other", `{"account": [123456789012]}`, `{"account": 123456789013}`, false},
		{"large number spelling", `{"a": [1e12]}`, `{"a": 1000000000000}`, true},
		{"zero is a number", `{"a": [{"anything-but": 0}]}`, `{"a": 789}`, true},

		// Strings.
		{"ip spelling", `{"a": ["2001:db8::1"]}`, `{"a": "2001:0db8:0000:0000:0000:0000:0000:0001"}`, true},
		{"ip v4", `{"a": ["10.0.0.1"]}`, `{"a": "10.0.0.1"}`, true},
		{"ip other", `{"a": ["10.0.0.1"]}`, `{"a": "10.0.0.2"}`, false},
		{"cidr mapped", `{"a": [{"cidr": "10.0.0.0/24"}]}`, `{"a": "::ffff:10.0.0.7"}`, true},
		{"cidr v6 vs v4", `{"a": [{"cidr": "::/1"}]}`, `{"a": "10.0.0.7"}`, false},
		{"cidr host bits", `{"a": [{"cidr": "10.0.0.5/24"}]}`, `{"a": "10.0.0.1"}`, true},
		{"cidr not an address", `{"a": [{"cidr": "10.0.0.0/24"}]}`, `{"a": "10.0.0.x"}`, false},
		{"wildcard escape star", `{"a": [{"wildcard": "a\\*b"}]}`, `{"a": "a*b"}`, true},
		{"wildcard escape star literal", `{"a": [{"wildcard": "a\\*b"}]}`, `{"a": "axxb"}`, false},
		{"wildcard escape backslash", `{"a": [{"wildcard": "a\\\\*"}]}`, `{"a": "a\\bc"}`, true},
		{"wildcard empty", `{"a": [{"wildcard": ""}]}`, `{"a": ""}`, true},
		{"wildcard many", `{"a": [{"wildcard": "/Users/*/dir/dir/dir/dir/dir/doc.txt"}]}`, `{"a": "/Users/ls_user/dir/dir/dir/dir/dir/doc.txt"}`, true},
		{"wildcard anchored", `{"a": [{"wildcard": "/Users/*/doc.txt"}]}`, `{"a": "/Users/u/dir/notmatchingdoc.txt"}`, false},
		{"wildcard overlap", `{"a": [{"wildcard": "ab*ba"}]}`, `{"a": "aba"}`, false},
		{"wildcard middle", `{"a": [{"wildcard": "*Title*"}]}`, `{"a": "The Title Page"}`, true},
		{"prefix empty", `{"a": [{"prefix": ""}]}`, `{"a": "x"}`, true},
		{"ignore case unicode", `{"a": [{"equals-ignore-case": "ÉTÉ"}]}`, `{"a": "été"}`, true},
		{"prefix fold kelvin", `{"a": [{"prefix": {"equals-ignore-case": "k"}}]}`, `{"a": "\u212aelvin"}`, true},
		{"suffix fold longer", `{"a": [{"suffix": {"equals-ignore-case": "XYZ"}}]}`, `{"a": "yz"}`, false},
		{"duplicate event names", `{"a": ["y"]}`, `{"a": "x", "a": "y"}`, true},

		// $or.
		{"$or with exists", `{"$or": [{"a": [{"exists": false}]}, {"a": ["x"]}]}`, `{"a": "x"}`, true},
		{"$or overridden after", `{"$or": [{"a": ["1"]}, {"b": ["2"]}], "a": ["3"]}`, `{"a": "1"}`, false},
		{"$or overrides before", `{"a": ["3"], "$or": [{"a": ["1"]}, {"b": ["2"]}]}`, `{"a": "1"}`, true},
		{"$or parallel", `{
		  "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}],
		  "detail": {"$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["CloudWatch Alarm State Change"]}]}
		}`, `{"namespace": "AWS/EC2", "detail": {"detail-type": "CloudWatch Alarm State Change"}}`, true},
		{"$or parallel one side", `{
		  "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}],
		  "detail": {"$or": [{"source": ["aws.cloudwatch"]}, {"detail-type": ["CloudWatch Alarm State Change"]}]}
		}`, `{"namespace": "AWS/EC2", "detail": {"detail-type": "Other"}}`, false},
		{"$or as a field name outside", `{"a": {"$or": [{"b": [1]}, {"c": [2]}]}}`, `{"a": {"c": 2}}`, true},
		{"operator names are field names outside $or", `{"prefix": ["x"]}`, `{"prefix": "x"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkMatch(t, tt.pattern, tt.event, tt.want)
		})
	}
}

func TestMatchInvalidEvents(t *testing.T) {
	p, err := Parse([]byte(`{"a": ["x"]}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, event := range []string{
		``, `  `, `[]`, `"x"`, `1`, `null`, `{`, `{"a": "x"`, `{"a": "x"} {}`, `{"a": x}`,
		`{"a": "x",}`, `{"a" "x"}`, `{a: "x"}`, `{"a": 01}`, `{"a": 1.}`, `{"a": -}`, `{"a": 1e}`,
		`{"a": "\x01"}`, `{"a": "\q"}`, `{"a": "\u12"}`, "{\"a\": \"\xff\"}", `{"b": [1, 2,]}`,
		`{"b": {"c": tru}}`, `{"b": [}`, `{"a": "x"}]`,
	} {
		ok, err := p.Match([]byte(event))
		if err == nil || ok {
			t.Errorf("Match(%q) = %v, %v; want an error", event, ok, err)
		}
		if _, err := Flatten([]byte(event)); err == nil {
			t.Errorf("Flatten(%q) succeeded; want an error", event)
		}
	}
	if p.MatchValue([]any{"x"}) || p.MatchValue("x") || p.MatchValue(nil) {
		t.Error("MatchValue matched an event that is not an object")
	}
	deep := strings.Repeat("[", maxDepth+1) + strings.Repeat("]", maxDepth+1)
	if _, err := p.Match([]byte(`{"b": ` + deep + `}`)); err == nil {
		t.Error("Match accepted an event nested too deeply")
	}
	if ok, err := p.Match([]byte(" \n{\"a\": \"x\"}\t")); !ok || err != nil {
		t.Errorf("Match with surrounding space = %v, %v", ok, err)
	}
}

func TestFlatMatchesMany(t *testing.T) {
	f, err := Flatten([]byte(ec2Running))
	if err != nil {
		t.Fatal(err)
	}
	for _, pattern := range []string{
		`{"source": ["aws.ec2"]}`,
		`{"detail": {"c-count": [5], "state": ["running"]}}`,
		`{"resources": [{"prefix": "arn:aws:ec2:"}]}`,
	} {
		p, err := Parse([]byte(pattern))
		if err != nil {
			t.Fatal(err)
		}
		if !p.MatchFlat(f) {
			t.Errorf("MatchFlat(%s) = false", pattern)
		}
	}
	var p Pattern
	if p.MatchFlat(nil) {
		t.Error("MatchFlat(nil) = true")
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		text  string
		fixed int64
		ok    bool
	}{
		{"0", 0, true},
		{"-0.000", 0, true},
		{"1", 1_000_000, true},
		{"301.8", 301_800_000, true},
		{"3.018e2", 301_800_000, true},
		{"3018E-1", 301_800_000, true},
		{"0.000001", 1, true},
		{"0.0000001", 0, false},
		{"1e-6", 1, true},
		{"10e-7", 1, true},
		{"-5e9", -5_000_000_000_000_000, true},
		{"5000000000.000000", 5_000_000_000_000_000, true},
		{"5000000000.000001", 0, false},
		{"1e10", 0, false},
		{"123456789012", 0, false},
		{"1.000000000000000000000000", 1_000_000, true},
		{"0.100000000000000000000000000001", 0, false},
		{"1e100000000000", 0, false},
		{"1e-100000000000", 0, false},
	}
	for _, tt := range tests {
		fixed, ok := fixedPoint(tt.text)
		if fixed != tt.fixed || ok != tt.ok {
			t.Errorf("fixedPoint(%s) = %d, %v; want %d, %v", tt.text, fixed, ok, tt.fixed, tt.ok)
		}
	}
	for _, f := range []float64{0.1, 301.8, -2.5e-5, 5e9, 123456.654321} {
		if n := numberOfFloat(f); !n.fixed {
			t.Errorf("numberOfFloat(%v) is not fixed-point", f)
		}
	}
}

func TestPlainASCII(t *testing.T) {
	for _, s := range []string{"", "a", "abcdefgh", "abcdefghijklmnopq", "0123456789 !#$%&'()*+,-./:;<=>?@[]^_`{|}~"} {
		if !plainASCII([]byte(s)) {
			t.Errorf("plainASCII(%q) = false", s)
		}
	}
	for _, bad := range []byte{0, 0x1f, '\\', 0x80, 0xff} {
		for n := 1; n <= 20; n++ {
			for at := range n {
				b := []byte(strings.Repeat("~", n))
				b[at] = bad
				if plainASCII(b) {
					t.Errorf("plainASCII(%q) = true", b)
				}
			}
		}
	}
}

func TestFlatManyPaths(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"d": {`)
	for i := range 3000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"k` + strconv.Itoa(i) + `": {"n": ` + strconv.Itoa(i) + `, "x": ["w", "v` + strconv.Itoa(i) + `"]}`)
	}
	b.WriteString("}}")
	event := []byte(b.String())
	f, err := Flatten(event)
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 1, 1499, 2999} {
		n := strconv.Itoa(i)
		p, err := Parse([]byte(`{"d": {"k` + n + `": {"n": [` + n + `]}, "k` + n + `.x": ["v` + n + `"]}}`))
		if err != nil {
			t.Fatal(err)
		}
		ok, err := p.Match(event)
		if !ok || err != nil || !p.MatchFlat(f) {
			t.Errorf("k%d: Match %v %v, MatchFlat %v", i, ok, err, p.MatchFlat(f))
		}
	}
	p, _ := Parse([]byte(`{"d": {"k3000": {"n": [{"exists": true}]}}}`))
	if p.MatchFlat(f) {
		t.Error("MatchFlat found a path the event lacks")
	}
	// The pooled table shrinks again for the next event.
	if f, err := Flatten([]byte(ec2Running)); err != nil || !mustParse(t, `{"detail": {"state": ["running"]}}`).MatchFlat(f) {
		t.Errorf("Flatten after a large event: %v", err)
	}
}

func mustParse(t *testing.T, pattern string) *Pattern {
	t.Helper()
	p, err := Parse([]byte(pattern))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// An event built so that trying every combination of values would take
// 1000⁴ steps: four fields in four arrays of 1000 elements, all under one
// element of an outer array, and two more that are never in one element.
func TestConsistencyIsPolynomial(t *testing.T) {
	var b strings.Builder
	b.WriteString(`{"a": [{`)
	for _, name := range []string{"p", "q", "r", "s"} {
		b.WriteString(`"` + name + `": [`)
		for i := range 1000 {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(`{"x": 1}`)
		}
		b.WriteString(`], `)
	}
	b.WriteString(`"t": [{"y": 1}, {"z": 1}]}]}`)
	event := []byte(b.String())
	p := mustParse(t, `{"a": {"p": {"x": [1]}, "q": {"x": [1]}, "r": {"x": [1]}, "s": {"x": [1]}, "t": {"y": [1], "z": [1]}}}`)
	ok, err := p.Match(event)
	if ok || err != nil {
		t.Errorf("Match = %v, %v; want false", ok, err)
	}
	p = mustParse(t, `{"a": {"p": {"x": [1]}, "q": {"x": [1]}, "r": {"x": [1]}, "s": {"x": [1]}, "t": {"y": [1]}}}`)
	if ok, err := p.Match(event); !ok || err != nil {
		t.Errorf("Match = %v, %v; want true", ok, err)
	}
}

func TestRepeatedArrays(t *testing.T) {
	// Through a dotted name, one object can hold a field's values in two
	// arrays at one depth; either may be chosen.
	const pattern = `{"a": {"b": {"x": [1], "y": [2]}}}`
	for event, want := range map[string]bool{
		`{"a": {"b": [{"x": 1, "y": 3}, {"y": 2}], "b.x": [1]}}`:    true,
		`{"a": {"b": [{"x": 1, "y": 3}, {"y": 2}], "b.x": [0]}}`:    false,
		`{"a": {"b": [{"x": 1}], "b.y": [2]}}`:                      true,
		`{"a": [{"b": [{"x": 1}]}, {"b": [{"y": 2}], "b.x": [1]}]}`: true,
		`{"a": [{"b": [{"x": 1}]}, {"b": [{"y": 2}], "b.x": [0]}]}`: false,
	} {
		checkMatch(t, pattern, event, want)
	}
}

func TestEscapes(t *testing.T) {
	for escaped, s := range map[string]string{
		`\b\f\n\r\t\/\\\"`:   "\b\f\n\r\t/\\\"",
		`\u00e9t\u00C9`:      "étÉ",
		`\ud83d\ude00`:       "😀",
		`\ud800x`:            "\ufffdx", // a lone surrogate, as encoding/json decodes it
		`\ud800\u0041`:       "\ufffdA",
		`\udc00\ud800\udc00`: "\ufffd𐀀",
		`caf\u00e9 ` + "é":   "café é",
	} {
		pattern, err := json.Marshal(map[string][]string{"a": {s}})
		if err != nil {
			t.Fatal(err)
		}
		checkMatch(t, string(pattern), `{"a": "`+escaped+`", "\u0062": {"c\u0064": 1}}`, true)
		checkMatch(t, `{"b": {"cd": [1]}}`, `{"a": "`+escaped+`", "\u0062": {"c\u0064": 1}}`, true)
	}
}

// Deeply nested arrays cost time and memory in proportion to the event,
// not to its depth times its size.
func TestDeepArrays(t *testing.T) {
	const depth = 5000
	var b strings.Builder
	b.WriteString(`{"a": `)
	b.WriteString(strings.Repeat("[", depth))
	for i := range 50000 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"x": 1, "y": 2}`)
	}
	b.WriteString(strings.Repeat("]", depth))
	b.WriteString(`, "b": [{"x": 1}, {"y": 2}]}`)
	event := []byte(b.String())
	for pattern, want := range map[string]bool{
		`{"a": {"x": [1], "y": [2]}}`: true,
		`{"b": {"x": [1], "y": [2]}}`: false,
		`{"a": {"x": [1], "y": [3]}}`: false,
	} {
		p := mustParse(t, pattern)
		if ok, err := p.Match(event); ok != want || err != nil {
			t.Errorf("Match(%s) = %v, %v", pattern, ok, err)
		}
		f, err := Flatten(event)
		if err != nil {
			t.Fatal(err)
		}
		if ok := p.MatchFlat(f); ok != want {
			t.Errorf("MatchFlat(%s) = %v", pattern, ok)
		}
	}
}
