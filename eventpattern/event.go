package eventpattern

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

var errNotObject = errors.New("eventpattern: the event is not a JSON object")

// maxDepth bounds the nesting of events, as encoding/json does, so that a
// hostile event cannot exhaust the stack.
const maxDepth = 10000

// scratch is the memory one match works in, pooled because matching is
// on the path of every event and would otherwise allocate for each.
type scratch struct {
	vals     [][]value // the values found at each leaf of the pattern
	borrowed [][]value // or those of a Flat, which are not ours to clear
	arrays   arrayTracker
	eval     evalState
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch(leaves int) *scratch {
	s := scratchPool.Get().(*scratch)
	if cap(s.vals) < leaves {
		s.vals = make([][]value, leaves)
	}
	s.vals = s.vals[:leaves]
	return s
}

func (s *scratch) free() {
	for i := range s.vals {
		clear(s.vals[i]) // drop the strings
		s.vals[i] = s.vals[i][:0]
	}
	clear(s.borrowed)
	s.borrowed = s.borrowed[:0]
	s.arrays.reset()
	scratchPool.Put(s)
}

// elem is one element of one of an event's arrays: which array (numbered
// in order of appearance), which element, and the element the array sits
// in, if any. The elems of an event form a tree, in which a value's elem
// is its innermost array element; values share elems, so an event of n
// array elements needs n elems however deep its arrays nest.
type elem struct {
	array, index int32
	up           *elem
}

// arrayTracker numbers the arrays of an event and gives each value kept
// the elem it sits in.
type arrayTracker struct {
	next  int32
	stack []level // the arrays around the current position, outermost first
	made  int     // stack[:made] have their elems
	slab  []elem  // elems are carved from slabs, which never move
}

// level is an array being read and its current element, whose elem is
// made only when a value in it is kept: most elements hold none.
type level struct {
	array, index int32
	e            *elem
}

func (t *arrayTracker) reset() {
	t.next, t.stack, t.made = 0, t.stack[:0], 0
	clear(t.slab[:cap(t.slab)])
	t.slab = t.slab[:0]
}

func (t *arrayTracker) push() {
	t.stack = append(t.stack, level{array: t.next})
	t.next++
}

func (t *arrayTracker) setIndex(i int) {
	n := len(t.stack) - 1
	t.stack[n].index, t.stack[n].e = int32(i), nil
	t.made = min(t.made, n)
}

func (t *arrayTracker) pop() {
	t.stack = t.stack[:len(t.stack)-1]
	t.made = min(t.made, len(t.stack))
}

// at returns the elem of the current position, nil outside arrays.
func (t *arrayTracker) at() *elem {
	for ; t.made < len(t.stack); t.made++ {
		var up *elem
		if t.made > 0 {
			up = t.stack[t.made-1].e
		}
		if len(t.slab) == cap(t.slab) {
			t.slab = make([]elem, 0, min(max(8, 2*cap(t.slab)), 1024))
		}
		t.slab = append(t.slab, elem{array: t.stack[t.made].array, index: t.stack[t.made].index, up: up})
		t.stack[t.made].e = &t.slab[len(t.slab)-1]
	}
	if len(t.stack) == 0 {
		return nil
	}
	return t.stack[len(t.stack)-1].e
}

// scanner reads a JSON event, checking that all of it is valid JSON and
// keeping the leaves it is asked for: those of a pattern's tree of field
// names, or all of them for Flatten. Subtrees not asked for are skipped
// without building any values, which is most of the event for a typical
// pattern.
type scanner struct {
	d      []byte
	i      int
	depth  int
	arrays *arrayTracker
	vals   [][]value // leaves kept for a pattern, by node.leaf
	flat   *flatSink // or every leaf, by path
	whole  string    // d as a string, when flat
	path   []byte    // the field path, when flat
}

// all is the node a flat scan descends with: every field is wanted.
var all = &node{leaf: 0}

// scan reads event for the pattern tree root, or for a flat sink.
func (sc *scanner) scan(root *node) error {
	sc.space()
	if sc.i >= len(sc.d) || sc.d[sc.i] != '{' {
		if sc.i < len(sc.d) {
			// Broken JSON is the better diagnosis, when it is broken.
			if err := sc.skip(); err != nil {
				return err
			}
		}
		return errNotObject
	}
	if err := sc.object(root); err != nil {
		return err
	}
	sc.space()
	if sc.i != len(sc.d) {
		return sc.errorf("unexpected data after the event")
	}
	return nil
}

func (sc *scanner) errorf(format string, args ...any) error {
	return fmt.Errorf("eventpattern: invalid JSON event at offset %d: %s", sc.i, fmt.Sprintf(format, args...))
}

func (sc *scanner) space() {
	for sc.i < len(sc.d) {
		switch sc.d[sc.i] {
		case ' ', '\t', '\n', '\r':
			sc.i++
		default:
			return
		}
	}
}

// object reads the object at sc.i, whose field names are below n,
// descending into the members wanted.
func (sc *scanner) object(n *node) error {
	if sc.depth++; sc.depth > maxDepth {
		return sc.errorf("nested too deeply")
	}
	sc.i++ // {
	sc.space()
	if sc.i < len(sc.d) && sc.d[sc.i] == '}' {
		sc.i++
		sc.depth--
		return nil
	}
	base := len(sc.path)
	var unquoted []byte
	for {
		if sc.i >= len(sc.d) || sc.d[sc.i] != '"' {
			return sc.errorf("expected a member name")
		}
		start, end, escaped, err := sc.stringSpan()
		if err != nil {
			return err
		}
		key := sc.d[start:end]
		if escaped {
			unquoted = appendUnquoted(unquoted[:0], key)
			key = unquoted
		}
		var c *node
		if sc.flat != nil {
			c = all
			if sc.depth > 1 { // below the event itself, whose names have no prefix
				sc.path = append(sc.path, '.')
			}
			sc.path = append(sc.path, key...)
		} else {
			c = n.descend(key)
		}
		sc.space()
		if sc.i >= len(sc.d) || sc.d[sc.i] != ':' {
			return sc.errorf("expected ':' after a member name")
		}
		sc.i++
		sc.space()
		if c == nil {
			err = sc.skip()
		} else {
			err = sc.value(c)
		}
		if err != nil {
			return err
		}
		sc.path = sc.path[:base]
		sc.space()
		if sc.i >= len(sc.d) {
			return sc.errorf("unexpected end inside an object")
		}
		switch sc.d[sc.i] {
		case ',':
			sc.i++
			sc.space()
		case '}':
			sc.i++
			sc.depth--
			return nil
		default:
			return sc.errorf("expected ',' or '}' in an object")
		}
	}
}

// array reads the array at sc.i, whose elements share its field name n.
func (sc *scanner) array(n *node) error {
	if sc.depth++; sc.depth > maxDepth {
		return sc.errorf("nested too deeply")
	}
	sc.i++ // [
	sc.space()
	if sc.i < len(sc.d) && sc.d[sc.i] == ']' {
		sc.i++
		sc.depth--
		return nil
	}
	sc.arrays.push()
	for k := 0; ; k++ {
		sc.arrays.setIndex(k)
		if err := sc.value(n); err != nil {
			return err
		}
		sc.space()
		if sc.i >= len(sc.d) {
			return sc.errorf("unexpected end inside an array")
		}
		switch sc.d[sc.i] {
		case ',':
			sc.i++
			sc.space()
		case ']':
			sc.i++
			sc.depth--
			sc.arrays.pop()
			return nil
		default:
			return sc.errorf("expected ',' or ']' in an array")
		}
	}
}

// value reads the value at sc.i, of the field n: keeping it if it is a
// leaf value and n a leaf of the pattern, descending into it if fields
// below n are wanted.
func (sc *scanner) value(n *node) error {
	if sc.i >= len(sc.d) {
		return sc.errorf("unexpected end of the event")
	}
	switch c := sc.d[sc.i]; {
	case c == '{':
		if len(n.children) > 0 || n == all {
			return sc.object(n)
		}
		return sc.skip()
	case c == '[':
		if len(n.children) > 0 || n.leaf >= 0 {
			return sc.array(n)
		}
		return sc.skip()
	case n.leaf < 0:
		return sc.skip()
	case c == '"':
		start, end, escaped, err := sc.stringSpan()
		if err != nil {
			return err
		}
		var s string
		switch {
		case escaped:
			s = string(appendUnquoted(nil, sc.d[start:end]))
		case sc.whole != "":
			s = sc.whole[start:end]
		default:
			s = string(sc.d[start:end])
		}
		sc.add(n, value{kind: kindString, s: s})
		return nil
	case c == '-' || isDigit(c):
		start := sc.i
		if err := sc.number(); err != nil {
			return err
		}
		sc.add(n, value{kind: kindNumber, num: parseNumber(sc.d[start:sc.i])})
		return nil
	default:
		k, err := sc.literal()
		if err != nil {
			return err
		}
		sc.add(n, value{kind: k})
		return nil
	}
}

func (sc *scanner) add(n *node, v value) {
	v.at = sc.arrays.at()
	if sc.flat != nil {
		sc.flat.add(sc.path, v)
		return
	}
	sc.vals[n.leaf] = append(sc.vals[n.leaf], v)
}

// skip reads past the value at sc.i, checking it.
func (sc *scanner) skip() error {
	if sc.i >= len(sc.d) {
		return sc.errorf("unexpected end of the event")
	}
	switch c := sc.d[sc.i]; {
	case c == '{' || c == '[':
		if sc.depth++; sc.depth > maxDepth {
			return sc.errorf("nested too deeply")
		}
		closing := byte('}')
		if c == '[' {
			closing = ']'
		}
		sc.i++
		sc.space()
		if sc.i < len(sc.d) && sc.d[sc.i] == closing {
			sc.i++
			sc.depth--
			return nil
		}
		for {
			if closing == '}' {
				if sc.i >= len(sc.d) || sc.d[sc.i] != '"' {
					return sc.errorf("expected a member name")
				}
				if _, _, _, err := sc.stringSpan(); err != nil {
					return err
				}
				sc.space()
				if sc.i >= len(sc.d) || sc.d[sc.i] != ':' {
					return sc.errorf("expected ':' after a member name")
				}
				sc.i++
				sc.space()
			}
			if err := sc.skip(); err != nil {
				return err
			}
			sc.space()
			if sc.i >= len(sc.d) {
				return sc.errorf("unexpected end of the event")
			}
			switch sc.d[sc.i] {
			case ',':
				sc.i++
				sc.space()
			case closing:
				sc.i++
				sc.depth--
				return nil
			default:
				return sc.errorf("expected ',' or '%c'", closing)
			}
		}
	case c == '"':
		_, _, _, err := sc.stringSpan()
		return err
	case c == '-' || isDigit(c):
		return sc.number()
	default:
		_, err := sc.literal()
		return err
	}
}

// stringSpan reads the string at sc.i and returns the bounds of its
// contents, and whether they hold escapes.
func (sc *scanner) stringSpan() (start, end int, escaped bool, err error) {
	sc.i++ // "
	start = sc.i
	// Most strings are plain ASCII: find the closing quote at memchr
	// speed, then check what lies before it.
	if q := bytes.IndexByte(sc.d[sc.i:], '"'); q >= 0 && plainASCII(sc.d[sc.i:sc.i+q]) {
		sc.i += q + 1
		return start, sc.i - 1, false, nil
	}
	for sc.i < len(sc.d) {
		c := sc.d[sc.i]
		switch {
		case c == '"':
			end = sc.i
			sc.i++
			if !utf8.Valid(sc.d[start:end]) {
				return 0, 0, false, sc.errorf("invalid UTF-8 in a string")
			}
			return start, end, escaped, nil
		case c == '\\':
			escaped = true
			sc.i++
			if sc.i >= len(sc.d) {
				return 0, 0, false, sc.errorf("unexpected end inside a string")
			}
			switch sc.d[sc.i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				sc.i++
			case 'u':
				if sc.i+4 >= len(sc.d) || !isHex4(sc.d[sc.i+1:sc.i+5]) {
					return 0, 0, false, sc.errorf(`invalid \u escape`)
				}
				sc.i += 5
			default:
				return 0, 0, false, sc.errorf("invalid escape in a string")
			}
		case c < 0x20:
			return 0, 0, false, sc.errorf("control character in a string")
		default:
			sc.i++
		}
	}
	return 0, 0, false, sc.errorf("unexpected end inside a string")
}

// plainASCII reports whether b has no byte below 0x20, no backslash and
// no byte of 0x80 or more: a string that needs neither unescaping nor a
// UTF-8 check. It tests eight bytes at a time, since this is where
// scanning an event spends most of its time.
func plainASCII(b []byte) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	for len(b) >= 8 {
		w := binary.LittleEndian.Uint64(b)
		bs := w ^ (ones * '\\') // zero bytes where w has a backslash
		// A byte is flagged when its high bit is set, when subtracting
		// 0x20 from it borrows (it is below 0x20), or when it is zero in
		// bs; a borrow only crosses into a byte above a flagged one.
		if (w|(w-ones*0x20)&^w|(bs-ones)&^bs)&highs != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 || c == '\\' || c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func isHex4(b []byte) bool {
	for _, c := range b {
		if !isDigit(c) && !('a' <= c && c <= 'f') && !('A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// number reads past the JSON number at sc.i, checking its grammar.
func (sc *scanner) number() error {
	d, i := sc.d, sc.i
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	default:
		sc.i = i
		return sc.errorf("invalid number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || !isDigit(d[i]) {
			sc.i = i
			return sc.errorf("invalid number")
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || !isDigit(d[i]) {
			sc.i = i
			return sc.errorf("invalid number")
		}
		for i < len(d) && isDigit(d[i]) {
			i++
		}
	}
	sc.i = i
	return nil
}

func (sc *scanner) literal() (kind, error) {
	rest := sc.d[sc.i:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		sc.i += 4
		return kindTrue, nil
	case len(rest) >= 5 && string(rest[:5]) == "false":
		sc.i += 5
		return kindFalse, nil
	case len(rest) >= 4 && string(rest[:4]) == "null":
		sc.i += 4
		return kindNull, nil
	}
	return 0, sc.errorf("invalid character %q", sc.d[sc.i])
}

// appendUnquoted appends the contents of a JSON string, already checked
// by stringSpan, with its escapes resolved. A lone surrogate becomes
// U+FFFD, as encoding/json decodes it.
func appendUnquoted(dst, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		switch s[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r := rune(hex4(s[i+1 : i+5]))
			i += 4
			if utf16.IsSurrogate(r) {
				if i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					if r2 := rune(hex4(s[i+3 : i+7])); utf16.DecodeRune(r, r2) != utf8.RuneError {
						r = utf16.DecodeRune(r, r2)
						i += 6
						dst = utf8.AppendRune(dst, r)
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default: // " \ /
			dst = append(dst, s[i])
		}
	}
	return dst
}

func hex4(b []byte) uint16 {
	var v uint16
	for _, c := range b {
		v <<= 4
		switch {
		case isDigit(c):
			v |= uint16(c - '0')
		case 'a' <= c && c <= 'f':
			v |= uint16(c - 'a' + 10)
		default:
			v |= uint16(c - 'A' + 10)
		}
	}
	return v
}

// walker is the scanner for an event already decoded by encoding/json.
type walker struct {
	depth  int
	arrays *arrayTracker
	vals   [][]value
}

func (w *walker) object(m map[string]any, n *node) {
	if w.depth++; w.depth > maxDepth {
		return
	}
	var buf [64]byte
	key := buf[:0]
	for k, x := range m {
		key = append(key[:0], k...)
		if c := n.descend(key); c != nil {
			w.value(x, c)
		}
	}
	w.depth--
}

func (w *walker) value(x any, n *node) {
	switch x := x.(type) {
	case map[string]any:
		if len(n.children) > 0 {
			w.object(x, n)
		}
		return
	case []any:
		if (len(n.children) > 0 || n.leaf >= 0) && len(x) > 0 {
			if w.depth++; w.depth > maxDepth {
				return
			}
			w.arrays.push()
			for i, e := range x {
				w.arrays.setIndex(i)
				w.value(e, n)
			}
			w.arrays.pop()
			w.depth--
		}
		return
	}
	if n.leaf < 0 {
		return
	}
	v := value{kind: kindNull}
	switch x := x.(type) {
	case string:
		v.kind, v.s = kindString, x
	case float64:
		v.kind, v.num = kindNumber, numberOfFloat(x)
	case json.Number:
		if _, err := strconv.ParseFloat(string(x), 64); err != nil {
			return
		}
		v.kind, v.num = kindNumber, parseNumber(string(x))
	case bool:
		v.kind = kindFalse
		if x {
			v.kind = kindTrue
		}
	case nil:
	default:
		return // not something encoding/json produces
	}
	v.at = w.arrays.at()
	w.vals[n.leaf] = append(w.vals[n.leaf], v)
}
