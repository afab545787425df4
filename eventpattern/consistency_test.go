package eventpattern

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// refLeaf is a leaf of an event as the reference sees it: its path, its
// value, and the arrays around it with the element it is in.
type refLeaf struct {
	path  string
	value float64
	pos   map[int]int // array number → element
}

// refLeaves lists the leaves of a decoded event, numbering arrays in
// order of appearance.
func refLeaves(v any, path string, pos map[int]int, next *int, out *[]refLeaf) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			p := k
			if path != "" {
				p = path + "." + k
			}
			refLeaves(x, p, pos, next, out)
		}
	case []any:
		id := *next
		*next++
		for i, x := range v {
			inner := map[int]int{id: i}
			for a, e := range pos {
				inner[a] = e
			}
			refLeaves(x, path, inner, next, out)
		}
	case float64:
		*out = append(*out, refLeaf{path, v, pos})
	}
}

// refMatch is the meaning of a pattern of exact numbers, by brute force:
// some choice of one leaf per field, each at the field's path with one of
// its values, must agree on the element of every array the leaves share.
func refMatch(fields map[string][]float64, event string) bool {
	var doc any
	if err := json.Unmarshal([]byte(event), &doc); err != nil {
		panic(err)
	}
	var leaves []refLeaf
	next := 0
	refLeaves(doc, "", nil, &next, &leaves)
	var cands [][]refLeaf
	for path, values := range fields {
		var c []refLeaf
		for _, l := range leaves {
			for _, v := range values {
				if l.path == path && l.value == v {
					c = append(c, l)
					break
				}
			}
		}
		if len(c) == 0 {
			return false
		}
		cands = append(cands, c)
	}
	var try func(i int, chosen []refLeaf) bool
	try = func(i int, chosen []refLeaf) bool {
		if i == len(cands) {
			return true
		}
	next:
		for _, c := range cands[i] {
			for _, o := range chosen {
				for a, e := range c.pos {
					if f, ok := o.pos[a]; ok && f != e {
						continue next
					}
				}
			}
			if try(i+1, append(chosen, c)) {
				return true
			}
		}
		return false
	}
	return try(0, nil)
}

// randomEvent builds a small event of nested objects and arrays over a few
// names, so that random patterns often find their fields.
func randomEvent(r *rand.Rand, depth int) string {
	var b strings.Builder
	var obj func(depth int)
	var val func(depth int)
	val = func(depth int) {
		switch n := r.IntN(10); {
		case depth > 0 && n < 4:
			obj(depth - 1)
		case depth > 0 && n < 7:
			b.WriteString("[")
			for i := range 1 + r.IntN(3) {
				if i > 0 {
					b.WriteString(",")
				}
				val(depth - 1)
			}
			b.WriteString("]")
		default:
			fmt.Fprint(&b, r.IntN(2))
		}
	}
	obj = func(depth int) {
		b.WriteString("{")
		for i, k := range r.Perm(3)[:1+r.IntN(3)] {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, "%q:", string(rune('a'+k)))
			val(depth)
		}
		b.WriteString("}")
	}
	obj(depth)
	return b.String()
}

// The array-element rule, checked against brute force on random events.
func TestConsistencyReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	matched, decided := 0, 0
	for range 10000 {
		event := randomEvent(r, 3)
		// Take the fields from the event's own paths, so that most
		// patterns find values and the array rule decides.
		var doc any
		if err := json.Unmarshal([]byte(event), &doc); err != nil {
			t.Fatal(err)
		}
		var leaves []refLeaf
		next := 0
		refLeaves(doc, "", nil, &next, &leaves)
		if len(leaves) == 0 {
			continue
		}
		fields := map[string][]float64{}
		for range 2 + r.IntN(2) {
			l := leaves[r.IntN(len(leaves))]
			fields[l.path] = []float64{l.value, float64(r.IntN(2))}
		}
		var parts []string
		for path, values := range fields {
			parts = append(parts, fmt.Sprintf("%q: [%v, %v]", path, values[0], values[1]))
		}
		pattern := "{" + strings.Join(parts, ", ") + "}"
		want := refMatch(fields, event)
		if want {
			matched++
		} else if refAnyLeaves(fields, event) {
			decided++ // every field has a value, but not in one element
		}
		p := mustParse(t, pattern)
		if got, err := p.Match([]byte(event)); got != want || err != nil {
			t.Fatalf("Match = %v, %v; want %v\npattern: %s\nevent: %s", got, err, want, pattern, event)
		}
		f, err := Flatten([]byte(event))
		if err != nil {
			t.Fatal(err)
		}
		if got := p.MatchFlat(f); got != want {
			t.Fatalf("MatchFlat = %v; want %v\npattern: %s\nevent: %s", got, want, pattern, event)
		}
	}
	t.Logf("of 10000 random cases %d match and %d fail only on array elements", matched, decided)
	if matched < 1000 || decided < 250 {
		t.Errorf("of 10000 random cases %d match and %d fail only on array elements", matched, decided)
	}
}

// refAnyLeaves reports whether every field has some value, wherever it is.
func refAnyLeaves(fields map[string][]float64, event string) bool {
	for path, values := range fields {
		if !refMatch(map[string][]float64{path: values}, event) {
			return false
		}
	}
	return true
}
