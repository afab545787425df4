package eventpattern

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// Pattern is a compiled event pattern. It is safe for concurrent use.
type Pattern struct {
	// branches is the pattern in disjunctive normal form: each $or
	// multiplies the branches, and the pattern matches an event when one
	// branch does.
	branches []branch
	// leaves are the dotted field paths the branches read, each once.
	leaves []string
	hashes []uint32 // of the leaves, for looking them up in a Flat
	// root is the tree of the field names in leaves, so that matching
	// reads only the parts of an event the pattern names.
	root *node
}

// node is a field name in the tree of a pattern's paths.
type node struct {
	names    []string // of the children
	children []*node
	byName   map[string]*node // the children, once there are many
	leaf     int              // index in Pattern.leaves of the path ending here, or -1
}

// child returns the child named key, or nil. Patterns name few fields
// per object, so a linear search beats hashing the key, until a long
// pattern would make it quadratic.
func (n *node) child(key []byte) *node {
	if n.byName != nil {
		return n.byName[string(key)]
	}
	for i, name := range n.names {
		if name == string(key) {
			return n.children[i]
		}
	}
	return nil
}

func (n *node) addChild(name string) *node {
	c := &node{leaf: -1}
	n.names = append(n.names, name)
	n.children = append(n.children, c)
	if n.byName != nil {
		n.byName[name] = c
	} else if len(n.names) > 16 {
		n.byName = make(map[string]*node, 2*len(n.names))
		for i, name := range n.names {
			n.byName[name] = n.children[i]
		}
	}
	return c
}

// descend returns the node for key below n, or nil. A name holding "."
// descends once per part, because EventBridge joins names with "." and so
// treats {"a.b": 1} as {"a": {"b": 1}}.
func (n *node) descend(key []byte) *node {
	for n != nil {
		i := bytes.IndexByte(key, '.')
		if i < 0 {
			return n.child(key)
		}
		n, key = n.child(key[:i]), key[i+1:]
	}
	return nil
}

// maxBranches bounds the expansion of nested $or, whose alternatives
// multiply: a short pattern must not cost unbounded memory and time.
const maxBranches = 4096

// Error is an invalid pattern: what is wrong and where, as EventBridge's
// InvalidEventPatternException reports it.
type Error struct {
	// Path is where the problem is: field names joined by ".", with
	// "$or[i]" for the i-th alternative of an $or; empty for the pattern
	// as a whole.
	Path string
	// Offset is the byte offset in the pattern just after the problem.
	Offset int64
	// Reason says what is wrong, naming the operator when there is one,
	// e.g. `numeric: "<" needs a number`.
	Reason string
}

// Error returns the problem as "eventpattern: path: reason".
func (e *Error) Error() string {
	if e.Path == "" {
		return "eventpattern: " + e.Reason
	}
	return "eventpattern: " + e.Path + ": " + e.Reason
}

// reason is the text of an Error before the compiler knows where it is.
type reason string

func (r reason) Error() string { return string(r) }

func reasonf(format string, args ...any) error { return reason(fmt.Sprintf(format, args...)) }

// Parse compiles an event pattern, a JSON object whose fields follow the
// nesting of the events it matches and whose leaves are arrays of values
// and operators. Invalid patterns fail with an *Error.
func Parse(pattern []byte) (*Pattern, error) {
	c := &compiler{
		dec: jsontext.NewDecoder(bytes.NewReader(pattern), jsontext.AllowDuplicateNames(true)),
		p:   &Pattern{root: &node{leaf: -1}},
	}
	if err := c.parse(); err != nil {
		return nil, err
	}
	return c.p, nil
}

type compiler struct {
	dec *jsontext.Decoder
	p   *Pattern
	loc []string // where the decoder is, for errors
	// leafIndex gives the index in p.leaves of each field path seen.
	leafIndex map[string]int
}

// protoBranch is a branch being built: its fields in the order first set,
// a later setting of the same path replacing the earlier one, because
// EventBridge documents that the last occurrence of a repeated key wins.
type protoBranch struct {
	fields []field
	at     map[int]int // leaf → index in fields, once there are many
}

func (b *protoBranch) set(f field) {
	if b.at != nil {
		if i, ok := b.at[f.leaf]; ok {
			b.fields[i] = f
			return
		}
		b.at[f.leaf] = len(b.fields)
		b.fields = append(b.fields, f)
		return
	}
	for i := range b.fields {
		if b.fields[i].leaf == f.leaf {
			b.fields[i] = f
			return
		}
	}
	b.fields = append(b.fields, f)
	if len(b.fields) > 16 {
		// Searching the fields for every one added would be quadratic.
		b.at = make(map[int]int, 2*len(b.fields))
		for i, f := range b.fields {
			b.at[f.leaf] = i
		}
	}
}

func (b *protoBranch) clone() *protoBranch {
	c := &protoBranch{fields: append([]field(nil), b.fields...)}
	if b.at != nil {
		c.at = make(map[int]int, len(b.at))
		for k, v := range b.at {
			c.at[k] = v
		}
	}
	return c
}

func (c *compiler) parse() error {
	tok, err := c.dec.ReadToken()
	if err != nil {
		return c.syntax(err)
	}
	if tok.Kind() != '{' {
		return c.fail(reason("the pattern must be a JSON object"))
	}
	branches, err := c.object([]*protoBranch{{}}, "", false, false)
	if err != nil {
		return err
	}
	if _, err := c.dec.ReadToken(); err != io.EOF {
		if err == nil {
			err = reason("unexpected data after the pattern")
		}
		return c.syntax(err)
	}
	c.p.branches = make([]branch, len(branches))
	for i, b := range branches {
		c.p.branches[i] = branch{fields: b.fields}
	}
	return nil
}

// object compiles the members of an object whose "{" has been read into
// every branch. Its field names are below prefix when nested; the
// pattern's own names have no prefix, not even "", so that {"": {"": [1]}}
// is the path ".". inOr is true inside an $or, where operator names
// cannot be field names: EventBridge refuses them there because
// {"$or": [{"prefix": ...}]} would otherwise be ambiguous.
func (c *compiler) object(branches []*protoBranch, prefix string, nested, inOr bool) ([]*protoBranch, error) {
	empty := true
	for c.dec.PeekKind() != '}' {
		tok, err := c.dec.ReadToken()
		if err != nil {
			return nil, c.syntax(err)
		}
		empty = false
		name := tok.String()
		c.loc = append(c.loc, name)
		if name == "$or" {
			branches, err = c.or(branches, prefix, nested)
			if err != nil {
				return nil, err
			}
			c.loc = c.loc[:len(c.loc)-1]
			continue
		}
		if inOr && reserved[name] {
			return nil, c.fail(reasonf("%q is an operator name, which cannot be a field name inside $or", name))
		}
		path := name
		if nested {
			path = prefix + "." + name
		}
		switch c.dec.PeekKind() {
		case '{':
			if _, err := c.dec.ReadToken(); err != nil {
				return nil, c.syntax(err)
			}
			if branches, err = c.object(branches, path, true, inOr); err != nil {
				return nil, err
			}
		case '[':
			f, err := c.leaf(path)
			if err != nil {
				return nil, err
			}
			for _, b := range branches {
				b.set(f)
			}
		case 0:
			_, err := c.dec.ReadToken()
			return nil, c.syntax(err)
		default:
			return nil, c.fail(reason("must be an object, or an array of values to match"))
		}
		c.loc = c.loc[:len(c.loc)-1]
	}
	if _, err := c.dec.ReadToken(); err != nil {
		return nil, c.syntax(err)
	}
	if empty {
		return nil, c.fail(reason("empty objects are not allowed"))
	}
	return branches, nil
}

// or compiles an $or array, each of whose objects is one alternative to
// be combined with what the branches already hold.
func (c *compiler) or(branches []*protoBranch, prefix string, nested bool) ([]*protoBranch, error) {
	if c.dec.PeekKind() != '[' {
		if c.dec.PeekKind() == 0 {
			_, err := c.dec.ReadToken()
			return nil, c.syntax(err)
		}
		return nil, c.fail(reason("must be an array of at least two objects"))
	}
	if _, err := c.dec.ReadToken(); err != nil {
		return nil, c.syntax(err)
	}
	var out []*protoBranch
	n := 0
	for c.dec.PeekKind() != ']' {
		c.loc[len(c.loc)-1] = "$or[" + strconv.Itoa(n) + "]"
		switch c.dec.PeekKind() {
		case '{':
		case 0:
			_, err := c.dec.ReadToken()
			return nil, c.syntax(err)
		default:
			return nil, c.fail(reason("must be an object: $or is an array of at least two objects"))
		}
		if _, err := c.dec.ReadToken(); err != nil {
			return nil, c.syntax(err)
		}
		alt := make([]*protoBranch, len(branches))
		for i, b := range branches {
			alt[i] = b.clone()
		}
		alt, err := c.object(alt, prefix, nested, true)
		if err != nil {
			return nil, err
		}
		out = append(out, alt...)
		if len(out) > maxBranches {
			return nil, c.fail(reasonf("the pattern has more than %d alternatives", maxBranches))
		}
		n++
	}
	c.loc[len(c.loc)-1] = "$or"
	if _, err := c.dec.ReadToken(); err != nil {
		return nil, c.syntax(err)
	}
	if n < 2 {
		return nil, c.fail(reason("must be an array of at least two objects"))
	}
	return out, nil
}

// leaf compiles the array of values and operators of the field at path.
func (c *compiler) leaf(path string) (field, error) {
	f := field{leaf: c.leafOf(path)}
	if _, err := c.dec.ReadToken(); err != nil { // [
		return field{}, c.syntax(err)
	}
	for c.dec.PeekKind() != ']' {
		switch c.dec.PeekKind() {
		case '{':
			if _, err := c.dec.ReadToken(); err != nil {
				return field{}, c.syntax(err)
			}
			m, absent, err := c.operator()
			if err != nil {
				return field{}, err
			}
			if absent {
				f.absentOK = true
			} else {
				f.matchers = append(f.matchers, m)
			}
		case '[':
			return field{}, c.fail(reason("match values must be strings, numbers, true, false, null or operator objects, not arrays"))
		case 0:
			_, err := c.dec.ReadToken()
			return field{}, c.syntax(err)
		default:
			tok, err := c.dec.ReadToken()
			if err != nil {
				return field{}, c.syntax(err)
			}
			f.matchers = append(f.matchers, exactMatcher(tok))
		}
	}
	if _, err := c.dec.ReadToken(); err != nil { // ]
		return field{}, c.syntax(err)
	}
	if len(f.matchers) == 0 && !f.absentOK {
		return field{}, c.fail(reason("empty arrays are not allowed: list the values to match"))
	}
	f.matchers = foldStrings(f.matchers)
	return f, nil
}

// foldStrings replaces a long list of exact strings by one set of them,
// so that a field listing many values (all of a customer's accounts, say)
// costs one lookup per event value rather than a comparison with each.
func foldStrings(ms []matcher) []matcher {
	n := 0
	for _, m := range ms {
		if s, ok := m.(*exactString); ok && !s.ip.IsValid() {
			n++
		}
	}
	if n <= 8 {
		return ms
	}
	set := &stringSet{set: make(map[string]struct{}, n)}
	out := []matcher{set}
	for _, m := range ms {
		if s, ok := m.(*exactString); ok && !s.ip.IsValid() {
			set.set[s.s] = struct{}{}
		} else {
			out = append(out, m)
		}
	}
	return out
}

func exactMatcher(tok jsontext.Token) matcher {
	switch tok.Kind() {
	case '"':
		m := &exactString{s: tok.String()}
		if looksLikeIP(m.s) {
			m.ip, _ = parseIP(m.s)
		}
		return m
	case '0':
		return &exactNumber{n: parseNumber(tok.String())}
	case 't':
		return &literal{k: kindTrue}
	case 'f':
		return &literal{k: kindFalse}
	default:
		return &literal{k: kindNull}
	}
}

// looksLikeIP is the test EventBridge applies before treating a string
// value as an address: digits and dots, or hex digits and colons.
func looksLikeIP(s string) bool {
	if strings.IndexByte(s, ':') < 0 && strings.Count(s, ".") != 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && c != '.' && c != ':' && !('a' <= c && c <= 'f') && !('A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

func (c *compiler) leafOf(path string) int {
	if c.leafIndex == nil {
		c.leafIndex = make(map[string]int)
	}
	if i, ok := c.leafIndex[path]; ok {
		return i
	}
	i := len(c.p.leaves)
	c.leafIndex[path] = i
	c.p.leaves = append(c.p.leaves, path)
	c.p.hashes = append(c.p.hashes, pathHash(path))
	n := c.p.root
	for _, name := range strings.Split(path, ".") {
		next := n.child([]byte(name))
		if next == nil {
			next = n.addChild(name)
		}
		n = next
	}
	n.leaf = i
	return i
}

// reserved are the names that cannot be field names inside $or: the
// operators, and the names EventBridge keeps for operators to come.
var reserved = map[string]bool{
	"exactly": true, "equals-ignore-case": true, "prefix": true, "suffix": true,
	"anything-but": true, "exists": true, "wildcard": true, "numeric": true, "cidr": true,
	"=": true, "<": true, "<=": true, ">": true, ">=": true,
	"regex": true, "not-wildcard": true, "not-equals-ignore-case": true,
	"date-after": true, "date-on-or-after": true, "date-before": true, "date-on-or-before": true,
	"in-date-range": true, "ip-address-in-range": true, "ip-address-not-in-range": true,
}

// fail locates a reason at the decoder's position.
func (c *compiler) fail(err error) error {
	var r reason
	if !errors.As(err, &r) {
		r = reason(err.Error())
	}
	return &Error{Path: strings.Join(c.loc, "."), Offset: c.dec.InputOffset(), Reason: string(r)}
}

// syntax reports a JSON syntax error, or the end of the input inside the
// pattern.
func (c *compiler) syntax(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		err = reason("unexpected end of the pattern")
	}
	var se *jsontext.SyntacticError
	if errors.As(err, &se) {
		return &Error{
			Path:   strings.Join(c.loc, "."),
			Offset: se.ByteOffset,
			Reason: fmt.Sprintf("invalid JSON at offset %d: %v", se.ByteOffset, se.Err),
		}
	}
	return c.fail(err)
}
