package asff

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestSplitObjectRoundTrip(t *testing.T) {
	cases := []string{
		`{}`,
		` { "a" : 1 , "b":[1,{"c":"}]"}], "d\"q":"x\\\"y", "e":null,"f":true,"g":-1.5e3 } `,
		`{"nested":{"a":{"b":[[],[{}]]}},"s":"{[\"]}"}`,
	}
	for _, c := range cases {
		o, err := splitObject([]byte(c))
		if err != nil {
			t.Fatalf("%s: %v", c, err)
		}
		var want, got any
		json.Unmarshal([]byte(c), &want)
		if err := json.Unmarshal(o.bytes(), &got); err != nil {
			t.Fatalf("%s: re-encoded %s: %v", c, o.bytes(), err)
		}
		wb, _ := json.Marshal(want)
		gb, _ := json.Marshal(got)
		if !bytes.Equal(wb, gb) {
			t.Errorf("%s: got %s", c, o.bytes())
		}
	}
	if o, _ := splitObject([]byte(`{"d\"q":"x\\\"y"}`)); o.str(`d"q`) != `x\"y` {
		t.Errorf("escaped name/value: %q", o.str(`d"q`))
	}
	for _, bad := range []string{``, `[]`, `{"a"}`, `{"a":1,}`, `{"a":1} x`, `{"a":"unterminated}`} {
		if _, err := splitObject([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
