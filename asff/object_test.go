package asff

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/muster-hub/muster/internal/corpus"
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

// skipValueByByte is skipValue as first written, one byte at a time: the
// reference the faster one must agree with on any input.
func skipValueByByte(b []byte, i int) (int, error) {
	if i >= len(b) {
		return 0, errNotObject
	}
	switch b[i] {
	case '"':
		for j := i + 1; j < len(b); j++ {
			switch b[j] {
			case '\\':
				j++
			case '"':
				return j + 1, nil
			}
		}
		return 0, errNotObject
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				end, err := skipValueByByte(b, j)
				if err != nil {
					return 0, err
				}
				j = end - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return 0, errNotObject
	default:
		j := i
		for j < len(b) && !bytes.ContainsRune([]byte(",}] \t\r\n"), rune(b[j])) {
			j++
		}
		if j == i {
			return 0, errNotObject
		}
		return j, nil
	}
}

func FuzzSkipValue(f *testing.F) {
	for _, s := range []string{
		`"a\\"`, `"a\"b"`, `"\\\"x"`, `{"a":"}"}`, `[1,"]",{"b":[]}]`, `-1.5e3,`, `true}`,
		`"unterminated\"`, `{"a":"\\\\\\"}`, `{"a":[}`, "\"\xff\"", `"\\\\"`, `""`,
	} {
		f.Add(s, 0)
	}
	f.Fuzz(func(t *testing.T, s string, i int) {
		if i < 0 || i > len(s) {
			return
		}
		b := []byte(s)
		end, err := skipValue(b, i)
		wantEnd, wantErr := skipValueByByte(b, i)
		if end != wantEnd || (err == nil) != (wantErr == nil) {
			t.Fatalf("skipValue(%q, %d) = %d, %v; byte by byte %d, %v", s, i, end, err, wantEnd, wantErr)
		}
	})
}

// BenchmarkSkipValue skips each corpus finding whole, as splitting it
// does member by member, against the byte-by-byte scan it replaced.
func BenchmarkSkipValue(b *testing.B) {
	all, err := corpus.Findings()
	if err != nil {
		b.Fatal(err)
	}
	var docs [][]byte
	size := 0
	for _, cf := range all {
		if doc, err := corpus.Prepare(cf.Raw, "123456789012", "us-east-1"); err == nil {
			docs = append(docs, doc)
			size += len(doc)
		}
	}
	for _, bc := range []struct {
		name string
		skip func([]byte, int) (int, error)
	}{{"indexbyte", skipValue}, {"bytebybyte", skipValueByByte}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(size))
			for b.Loop() {
				for _, d := range docs {
					if end, err := bc.skip(d, 0); err != nil || end != len(d) {
						b.Fatalf("%d, %v", end, err)
					}
				}
			}
		})
	}
}
