package eventpattern

import (
	"math/bits"
	"net/netip"
	"slices"
	"strings"
)

// Match reports whether the JSON event matches the pattern. An event that
// is not valid JSON, or not a JSON object, is an error. Only the parts of
// the event that the pattern names are decoded; the rest is only checked
// for validity.
func (p *Pattern) Match(event []byte) (bool, error) {
	s := getScratch(len(p.leaves))
	defer s.free()
	sc := scanner{d: event, arrays: &s.arrays, vals: s.vals}
	if err := sc.scan(p.root); err != nil {
		return false, err
	}
	return p.eval(s.vals, &s.eval), nil
}

// MatchValue reports whether an event already decoded by encoding/json
// matches: objects as map[string]any, arrays as []any, and string,
// float64 (or json.Number), bool and nil. A caller routing one event
// through many patterns decodes it once. An event that is not a
// map[string]any matches nothing. A float64 compares as its shortest
// decimal form, which is what Match sees for a number written that way.
func (p *Pattern) MatchValue(event any) bool {
	m, ok := event.(map[string]any)
	if !ok {
		return false
	}
	s := getScratch(len(p.leaves))
	defer s.free()
	w := walker{arrays: &s.arrays, vals: s.vals}
	w.object(m, p.root)
	return p.eval(s.vals, &s.eval)
}

// kind is the JSON type of an event value.
type kind uint8

const (
	kindString kind = iota
	kindNumber
	kindTrue
	kindFalse
	kindNull
)

// value is one leaf value of an event: a string, number, true, false or
// null found at some field path. Objects are not values: exists and every
// other test look at leaves only, as EventBridge documents.
type value struct {
	s string // a string, unescaped
	// at is the array element the value sits in, nil outside arrays.
	// Matching requires the values chosen for a pattern's fields to agree
	// on the element of every array they share.
	at   *elem
	num  number // a number
	kind kind
}

// A matcher is one element of a pattern's leaf array.
type matcher interface {
	match(v *value) bool
}

// field is one leaf of a branch: the values at path must satisfy one of
// the matchers, or be absent when absentOK ("exists": false).
type field struct {
	leaf     int // index of the path in Pattern.leaves
	matchers []matcher
	absentOK bool
}

func (f *field) matches(v *value) bool {
	for _, m := range f.matchers {
		if m.match(v) {
			return true
		}
	}
	return false
}

// branch is one alternative of a pattern after its $or have been expanded:
// all of its fields must match.
type branch struct {
	fields []field
}

// evalState is the scratch space of one evaluation.
type evalState struct {
	cands []*value // candidate values of the fields that sit in arrays, field after field
	// The tree of the elems the candidates sit in, for consistent.
	index map[*elem]int32 // elem → its node
	nodes []elemNode
	words []uint64 // the field sets, width words each
	arrs  []arrayFields
	width int32
}

// elemNode is an elem in consistent's tree; node 0 is the event itself.
type elemNode struct {
	array         int32 // of the elem
	up            int32 // the node of the elem around it
	kid, sibling  int32 // first child node, next sibling; -1 for none
	direct, below int32 // field sets: of the candidates at the elem, and in or under it
}

// arrayFields is one array below a node, and the fields that must find
// their values in one of its elements.
type arrayFields struct {
	array  int32
	fields int32 // a field set
}

// eval reports whether the values found at the pattern's leaves (vals[i]
// holds those at p.leaves[i]) satisfy one of its branches.
func (p *Pattern) eval(vals [][]value, st *evalState) bool {
	ok := false
	for i := range p.branches {
		if p.branches[i].match(vals, st) {
			ok = true
			break
		}
	}
	// Drop the pointers into this event's values, and any big map.
	clear(st.cands)
	st.cands = st.cands[:0]
	if len(st.index) > 1024 {
		st.index = nil
	} else if len(st.index) > 0 {
		clear(st.index)
	}
	return ok
}

func (b *branch) match(vals [][]value, st *evalState) bool {
	clear(st.cands) // the previous branch's
	st.cands = st.cands[:0]
	var ranges [8][2]int // where each field's candidates are in cands
	spans := ranges[:0]
	for fi := range b.fields {
		f := &b.fields[fi]
		vs := vals[f.leaf]
		if len(vs) == 0 {
			if f.absentOK {
				continue
			}
			return false
		}
		start := len(st.cands)
		free := false
		for i := range vs {
			v := &vs[i]
			if !f.matches(v) {
				continue
			}
			if v.at == nil {
				// Outside any array a value constrains nothing else.
				free = true
				break
			}
			st.cands = append(st.cands, v)
		}
		if free {
			st.cands = st.cands[:start]
			continue
		}
		if len(st.cands) == start {
			return false
		}
		spans = append(spans, [2]int{start, len(st.cands)})
	}
	if len(spans) <= 1 || sameElement(st.cands, spans) {
		return true
	}
	return st.consistent(spans)
}

// sameElement is consistent's common case, cheaply: every field has a
// candidate in the element of the first field's first candidate, or in an
// element around it, as the fields of one Security Hub finding do.
func sameElement(cands []*value, spans [][2]int) bool {
	var chain [8]*elem
	n := 0
	for e := cands[0].at; e != nil; e = e.up {
		if n == len(chain) {
			return false
		}
		chain[n] = e
		n++
	}
	for _, sp := range spans[1:] {
		found := false
		for _, c := range cands[sp[0]:sp[1]] {
			if found = slices.Contains(chain[:n], c.at); found {
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// consistent reports whether one value can be taken from each field's
// candidates, st.cands[spans[f][0]:spans[f][1]], so that the values agree
// on the element of every array they share. This is what keeps
// {"a": {"x": [1], "y": [2]}} from matching {"a": [{"x": 1}, {"y": 2}]}:
// x and y must come from the same element of a, as in EventBridge.
//
// Trying every combination of values could take exponential time on a
// hostile event. Instead consistent builds the tree of the elems the
// candidates sit in, noting at each which fields have candidates in or
// under it, and then walks it down once: the fields that need an element
// of some array must all find their values in the same element. That
// takes time proportional to the elems and fields involved.
func (st *evalState) consistent(spans [][2]int) bool {
	st.width = int32((len(spans) + 63) / 64)
	st.nodes, st.words, st.arrs = st.nodes[:0], st.words[:0], st.arrs[:0]
	if st.index == nil {
		st.index = make(map[*elem]int32)
	} else {
		clear(st.index) // a previous branch's
	}
	st.newNode(-1, -1)
	for f, sp := range spans {
		for _, c := range st.cands[sp[0]:sp[1]] {
			n := st.nodeOf(c.at)
			st.add(st.nodes[n].direct, f)
			// Mark the elems above, up to one that has the field already.
			for ; n >= 0 && !st.has(st.nodes[n].below, f); n = st.nodes[n].up {
				st.add(st.nodes[n].below, f)
			}
		}
	}
	need := st.newSet()
	for f := range spans {
		st.add(need, f)
	}
	return st.sat(0, need)
}

// sat reports whether the fields in need can all take values in or under
// node n, each array below n giving all of its fields one element.
func (st *evalState) sat(n, need int32) bool {
	mark, amark := len(st.words), len(st.arrs)
	defer func() { st.words, st.arrs = st.words[:mark], st.arrs[:amark] }()
	rest := st.newSet()
	copy(st.set(rest), st.set(need))
	andNot(st.set(rest), st.set(st.nodes[n].direct))
	if isEmpty(st.set(rest)) {
		return true
	}
	// The arrays below n, and which of the remaining fields each can hold.
	covered := st.newSet()
	for k := st.nodes[n].kid; k >= 0; k = st.nodes[k].sibling {
		a := st.nodes[k].array
		i := amark
		for i < len(st.arrs) && st.arrs[i].array != a {
			i++
		}
		if i == len(st.arrs) {
			st.arrs = append(st.arrs, arrayFields{array: a, fields: st.newSet()})
		}
		fs := st.set(st.arrs[i].fields)
		or(fs, st.set(st.nodes[k].below))
		and(fs, st.set(rest))
		or(st.set(covered), fs)
	}
	andNot(st.set(rest), st.set(covered))
	if !isEmpty(st.set(rest)) {
		return false // a field has no candidate left here
	}
	return st.satArrays(n, st.arrs[amark:])
}

// satArrays reports whether each array below node n has an element in
// which all of the array's fields take values. A field that two arrays
// can hold (a field repeated in one object) is given to each in turn;
// that is rare, so the copying it does does not matter.
func (st *evalState) satArrays(n int32, arrs []arrayFields) bool {
	for i := range arrs {
		for j := i + 1; j < len(arrs); j++ {
			both := st.newSet()
			copy(st.set(both), st.set(arrs[i].fields))
			and(st.set(both), st.set(arrs[j].fields))
			f := firstBit(st.set(both))
			if f < 0 {
				continue
			}
			for keep := range arrs {
				if !st.has(arrs[keep].fields, f) {
					continue
				}
				alt := make([]arrayFields, len(arrs))
				for a := range arrs {
					alt[a] = arrayFields{array: arrs[a].array, fields: st.newSet()}
					copy(st.set(alt[a].fields), st.set(arrs[a].fields))
					if a != keep {
						st.clearBit(alt[a].fields, f)
					}
				}
				if st.satArrays(n, alt) {
					return true
				}
			}
			return false
		}
	}
	for _, a := range arrs {
		if isEmpty(st.set(a.fields)) {
			continue
		}
		found := false
		for k := st.nodes[n].kid; k >= 0 && !found; k = st.nodes[k].sibling {
			found = st.nodes[k].array == a.array && subset(st.set(a.fields), st.set(st.nodes[k].below)) && st.sat(k, a.fields)
		}
		if !found {
			return false
		}
	}
	return true
}

// nodeOf returns the node of e, adding it and the elems around it.
func (st *evalState) nodeOf(e *elem) int32 {
	if e == nil {
		return 0
	}
	if n, ok := st.index[e]; ok {
		return n
	}
	up := st.nodeOf(e.up)
	n := st.newNode(e.array, up)
	st.nodes[n].sibling = st.nodes[up].kid
	st.nodes[up].kid = n
	st.index[e] = n
	return n
}

func (st *evalState) newNode(array, up int32) int32 {
	st.nodes = append(st.nodes, elemNode{array: array, up: up, kid: -1, sibling: -1, direct: st.newSet(), below: st.newSet()})
	return int32(len(st.nodes) - 1)
}

// Field sets are bit sets of st.width words in st.words, named by their
// offset: st.words may move as it grows.

func (st *evalState) newSet() int32 {
	off := int32(len(st.words))
	for range st.width {
		st.words = append(st.words, 0)
	}
	return off
}

func (st *evalState) set(off int32) []uint64 { return st.words[off : off+st.width] }

func (st *evalState) add(off int32, f int)      { st.words[off+int32(f/64)] |= 1 << (f % 64) }
func (st *evalState) clearBit(off int32, f int) { st.words[off+int32(f/64)] &^= 1 << (f % 64) }
func (st *evalState) has(off int32, f int) bool { return st.words[off+int32(f/64)]&(1<<(f%64)) != 0 }

func or(dst, s []uint64) {
	for i := range dst {
		dst[i] |= s[i]
	}
}

func and(dst, s []uint64) {
	for i := range dst {
		dst[i] &= s[i]
	}
}

func andNot(dst, s []uint64) {
	for i := range dst {
		dst[i] &^= s[i]
	}
}

func subset(a, b []uint64) bool {
	for i := range a {
		if a[i]&^b[i] != 0 {
			return false
		}
	}
	return true
}

func isEmpty(s []uint64) bool {
	for _, w := range s {
		if w != 0 {
			return false
		}
	}
	return true
}

func firstBit(s []uint64) int {
	for i, w := range s {
		if w != 0 {
			return i*64 + bits.TrailingZeros64(w)
		}
	}
	return -1
}

// The matchers. Each says which event values it accepts; values of other
// JSON types never match, except under anything-but, which accepts every
// value that is not what it excludes (a number or null is "anything but"
// the string "x").

type exactString struct {
	s  string
	ip netip.Addr // valid when s is an IP address, which then matches other spellings of it
}

func (m *exactString) match(v *value) bool {
	if v.kind != kindString {
		return false
	}
	if v.s == m.s {
		return true
	}
	if m.ip.IsValid() {
		a, ok := parseIP(v.s)
		return ok && a == m.ip
	}
	return false
}

type stringSet struct{ set map[string]struct{} }

func (m *stringSet) match(v *value) bool {
	if v.kind != kindString {
		return false
	}
	_, ok := m.set[v.s]
	return ok
}

type exactNumber struct{ n number }

func (m *exactNumber) match(v *value) bool { return v.kind == kindNumber && v.num.equal(m.n) }

type literal struct{ k kind } // true, false or null

func (m *literal) match(v *value) bool { return v.kind == m.k }

type exists struct{}

func (exists) match(*value) bool { return true }

type prefix struct{ s string }

func (m *prefix) match(v *value) bool { return v.kind == kindString && strings.HasPrefix(v.s, m.s) }

type prefixFold struct{ s string }

func (m *prefixFold) match(v *value) bool { return v.kind == kindString && hasPrefixFold(v.s, m.s) }

type suffix struct{ s string }

func (m *suffix) match(v *value) bool { return v.kind == kindString && strings.HasSuffix(v.s, m.s) }

type suffixFold struct{ s string }

func (m *suffixFold) match(v *value) bool { return v.kind == kindString && hasSuffixFold(v.s, m.s) }

type equalsFold struct{ s string }

func (m *equalsFold) match(v *value) bool { return v.kind == kindString && strings.EqualFold(v.s, m.s) }

type wildcardMatch struct{ w wildcard }

func (m *wildcardMatch) match(v *value) bool { return v.kind == kindString && m.w.match(v.s) }

// numeric is a range of fixed-point numbers; "=" is the range [n, n].
type numeric struct {
	lo, hi         int64
	hasLo, hasHi   bool
	openLo, openHi bool
}

func (m *numeric) match(v *value) bool {
	if v.kind != kindNumber || !v.num.fixed {
		return false
	}
	x := v.num.millionths()
	if m.hasLo && (x < m.lo || m.openLo && x == m.lo) {
		return false
	}
	if m.hasHi && (x > m.hi || m.openHi && x == m.hi) {
		return false
	}
	return true
}

type cidr struct{ p netip.Prefix }

func (m *cidr) match(v *value) bool {
	if v.kind != kindString {
		return false
	}
	a, ok := parseIP(v.s)
	return ok && m.p.Contains(a)
}

// parseIP reads an IPv4 or IPv6 address the way EventBridge compares them:
// an IPv4-mapped IPv6 address is its IPv4 address, and zones are not
// addresses.
func parseIP(s string) (netip.Addr, bool) {
	if len(s) < 2 || len(s) > 45 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

type anythingButStrings struct{ ss []string }

func (m *anythingButStrings) match(v *value) bool {
	return v.kind != kindString || !slices.Contains(m.ss, v.s)
}

type anythingButNumbers struct{ ns []number }

func (m *anythingButNumbers) match(v *value) bool {
	if v.kind != kindNumber {
		return true
	}
	for _, n := range m.ns {
		if v.num.equal(n) {
			return false
		}
	}
	return true
}

type anythingButPrefix struct{ ss []string }

func (m *anythingButPrefix) match(v *value) bool {
	if v.kind != kindString {
		return true
	}
	for _, s := range m.ss {
		if strings.HasPrefix(v.s, s) {
			return false
		}
	}
	return true
}

type anythingButSuffix struct{ ss []string }

func (m *anythingButSuffix) match(v *value) bool {
	if v.kind != kindString {
		return true
	}
	for _, s := range m.ss {
		if strings.HasSuffix(v.s, s) {
			return false
		}
	}
	return true
}

type anythingButFold struct{ ss []string }

func (m *anythingButFold) match(v *value) bool {
	if v.kind != kindString {
		return true
	}
	for _, s := range m.ss {
		if strings.EqualFold(v.s, s) {
			return false
		}
	}
	return true
}

type anythingButWildcard struct{ ws []wildcard }

func (m *anythingButWildcard) match(v *value) bool {
	if v.kind != kindString {
		return true
	}
	for i := range m.ws {
		if m.ws[i].match(v.s) {
			return false
		}
	}
	return true
}
