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

func TestObjectReaders(t *testing.T) {
	ob, err := SplitObject([]byte(`{"A":"x","N":null,"Num":1,"S":{"L":"v","M":2},"R":[{"Id":"1"},7,"s",{"Id":null},[{"Id":"no"}],{"Id":"2","T":"t"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := ob.String("A"); !ok || s != "x" {
		t.Errorf("A = %q %v", s, ok)
	}
	for _, name := range []string{"N", "Num", "S", "missing"} {
		if _, ok := ob.String(name); ok {
			t.Errorf("%s read as a string", name)
		}
	}
	if sub, ok := ob.Object("S"); !ok {
		t.Error("S is an object")
	} else if s, _ := sub.String("L"); s != "v" {
		t.Errorf("S.L = %q", s)
	}
	if _, ok := ob.Object("A"); ok {
		t.Error("A read as an object")
	}
	rs := ob.Objects("R")
	if len(rs) != 3 {
		t.Fatalf("%d objects in R, want 3", len(rs))
	}
	if id, _ := rs[2].String("Id"); id != "2" {
		t.Errorf("R[5].Id = %q", id)
	}
	if _, ok := rs[1].String("Id"); ok {
		t.Error("a null Id read as a string")
	}
}
