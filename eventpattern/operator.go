package eventpattern

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// operator compiles an operator object such as {"prefix": "x"}, whose "{"
// has been read. absent reports {"exists": false}, which is not a test of
// a value but of there being none.
func (c *compiler) operator() (m matcher, absent bool, err error) {
	if c.dec.PeekKind() == '}' {
		return nil, false, c.fail(reason("empty operator object: name one operator, such as prefix or numeric"))
	}
	tok, err := c.dec.ReadToken()
	if err != nil {
		return nil, false, c.syntax(err)
	}
	op := tok.String()
	switch op {
	case "prefix", "suffix":
		m, err = c.affix(op)
	case "equals-ignore-case":
		var s string
		if s, err = c.str(op); err == nil {
			m = &equalsFold{s: s}
		}
	case "wildcard":
		var s string
		if s, err = c.str(op); err == nil {
			var w wildcard
			if w, err = parseWildcard(s); err != nil {
				err = c.fail(reasonf("wildcard: %v", err))
			}
			m = &wildcardMatch{w: w}
		}
	case "anything-but":
		m, err = c.anythingBut()
	case "numeric":
		m, err = c.numeric()
	case "cidr":
		var s string
		if s, err = c.str(op); err == nil {
			var p netip.Prefix
			if p, err = parseCIDR(s); err != nil {
				err = c.fail(reasonf("cidr: %v", err))
			}
			m = &cidr{p: p}
		}
	case "exists":
		switch c.dec.PeekKind() {
		case 't', 'f':
			tok, err := c.dec.ReadToken()
			if err != nil {
				return nil, false, c.syntax(err)
			}
			absent = !tok.Bool()
			m = exists{}
		default:
			err = c.fail(reason("exists: must be true or false"))
		}
	default:
		err = c.fail(reasonf("unknown operator %q: the operators are prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric, cidr and exists", op))
	}
	if err != nil {
		return nil, false, err
	}
	if err := c.end(op, '}'); err != nil {
		return nil, false, err
	}
	return m, absent, nil
}

// end reads the closing delimiter of an operator's object or array.
func (c *compiler) end(op string, delim jsontext.Kind) error {
	switch c.dec.PeekKind() {
	case delim:
		_, err := c.dec.ReadToken()
		if err != nil {
			return c.syntax(err)
		}
		return nil
	case 0:
		_, err := c.dec.ReadToken()
		return c.syntax(err)
	}
	if delim == '}' {
		return c.fail(reasonf("%s: an operator object has exactly one member", op))
	}
	return c.fail(reasonf("%s: too many elements", op))
}

// str reads the string operand of op.
func (c *compiler) str(op string) (string, error) {
	switch c.dec.PeekKind() {
	case '"':
		tok, err := c.dec.ReadToken()
		if err != nil {
			return "", c.syntax(err)
		}
		return tok.String(), nil
	case 0:
		_, err := c.dec.ReadToken()
		return "", c.syntax(err)
	}
	return "", c.fail(reasonf("%s: must be a string", op))
}

// affix compiles the operand of prefix or suffix: a string, or
// {"equals-ignore-case": string}.
func (c *compiler) affix(op string) (matcher, error) {
	switch c.dec.PeekKind() {
	case '"':
		s, err := c.str(op)
		if err != nil {
			return nil, err
		}
		if op == "prefix" {
			return &prefix{s: s}, nil
		}
		return &suffix{s: s}, nil
	case '{':
	case 0:
		_, err := c.dec.ReadToken()
		return nil, c.syntax(err)
	default:
		return nil, c.fail(reasonf(`%s: must be a string or {"equals-ignore-case": string}`, op))
	}
	if _, err := c.dec.ReadToken(); err != nil {
		return nil, c.syntax(err)
	}
	if c.dec.PeekKind() != '"' {
		return nil, c.fail(reasonf(`%s: must be a string or {"equals-ignore-case": string}`, op))
	}
	tok, err := c.dec.ReadToken()
	if err != nil {
		return nil, c.syntax(err)
	}
	if name := tok.String(); name != "equals-ignore-case" {
		return nil, c.fail(reasonf(`%s: unsupported %q; the only option is {"equals-ignore-case": string}`, op, name))
	}
	s, err := c.str(op + ": equals-ignore-case")
	if err != nil {
		return nil, err
	}
	if err := c.end(op, '}'); err != nil {
		return nil, err
	}
	if op == "prefix" {
		return &prefixFold{s: s}, nil
	}
	return &suffixFold{s: s}, nil
}

// anythingBut compiles the operand of anything-but: a string or number, a
// list of strings or of numbers, or an object applying prefix, suffix,
// equals-ignore-case or wildcard to a string or a list of strings.
func (c *compiler) anythingBut() (matcher, error) {
	const op = "anything-but"
	switch c.dec.PeekKind() {
	case '"':
		s, err := c.str(op)
		if err != nil {
			return nil, err
		}
		return &anythingButStrings{ss: []string{s}}, nil
	case '0':
		n, err := c.num(op)
		if err != nil {
			return nil, err
		}
		return &anythingButNumbers{ns: []number{n}}, nil
	case '[':
		return c.anythingButList()
	case '{':
		return c.anythingButObject()
	case 0:
		_, err := c.dec.ReadToken()
		return nil, c.syntax(err)
	}
	return nil, c.fail(reason(`anything-but: must be a string, a number, a list of strings or of numbers, or an object with prefix, suffix, equals-ignore-case or wildcard`))
}

func (c *compiler) anythingButList() (matcher, error) {
	const op = "anything-but"
	if _, err := c.dec.ReadToken(); err != nil {
		return nil, c.syntax(err)
	}
	var ss []string
	var ns []number
	for c.dec.PeekKind() != ']' {
		switch c.dec.PeekKind() {
		case '"':
			s, err := c.str(op)
			if err != nil {
				return nil, err
			}
			ss = append(ss, s)
		case '0':
			n, err := c.num(op)
			if err != nil {
				return nil, err
			}
			ns = append(ns, n)
		case 0:
			_, err := c.dec.ReadToken()
			return nil, c.syntax(err)
		default:
			return nil, c.fail(reason("anything-but: a list holds only strings or only numbers"))
		}
		if len(ss) > 0 && len(ns) > 0 {
			return nil, c.fail(reason("anything-but: a list holds only strings or only numbers, not both"))
		}
	}
	if _, err := c.dec.ReadToken(); err != nil {
		return nil, c.syntax(err)
	}
	switch {
	case len(ss) > 0:
		return &anythingButStrings{ss: ss}, nil
	case len(ns) > 0:
		return &anythingButNumbers{ns: ns}, nil
	}
	return nil, c.fail(reason("anything-but: empty list"))
}

func (c *compiler) anythingButObject() (matcher, error) {
	if _, err := c.dec.ReadToken(); err != nil {
		return nil, c.syntax(err)
	}
	if c.dec.PeekKind() != '"' {
		return nil, c.fail(reason("anything-but: the object must name prefix, suffix, equals-ignore-case or wildcard"))
	}
	tok, err := c.dec.ReadToken()
	if err != nil {
		return nil, c.syntax(err)
	}
	sub := tok.String()
	switch sub {
	case "prefix", "suffix", "equals-ignore-case", "wildcard":
	default:
		return nil, c.fail(reasonf("anything-but: unsupported %q; use prefix, suffix, equals-ignore-case or wildcard", sub))
	}
	op := "anything-but: " + sub
	var ss []string
	switch c.dec.PeekKind() {
	case '"':
		s, err := c.str(op)
		if err != nil {
			return nil, err
		}
		ss = []string{s}
	case '[':
		if _, err := c.dec.ReadToken(); err != nil {
			return nil, c.syntax(err)
		}
		for c.dec.PeekKind() != ']' {
			if k := c.dec.PeekKind(); k != '"' && k != 0 {
				return nil, c.fail(reasonf("%s: must be a string or a list of strings", op))
			}
			s, err := c.str(op)
			if err != nil {
				return nil, err
			}
			ss = append(ss, s)
		}
		if _, err := c.dec.ReadToken(); err != nil {
			return nil, c.syntax(err)
		}
		if len(ss) == 0 {
			return nil, c.fail(reasonf("%s: empty list", op))
		}
	case 0:
		_, err := c.dec.ReadToken()
		return nil, c.syntax(err)
	default:
		return nil, c.fail(reasonf("%s: must be a string or a list of strings", op))
	}
	if err := c.end("anything-but", '}'); err != nil {
		return nil, err
	}
	switch sub {
	case "prefix", "suffix":
		for _, s := range ss {
			if s == "" {
				return nil, c.fail(reasonf("%s: must not be empty", op))
			}
		}
		if sub == "prefix" {
			return &anythingButPrefix{ss: ss}, nil
		}
		return &anythingButSuffix{ss: ss}, nil
	case "equals-ignore-case":
		return &anythingButFold{ss: ss}, nil
	}
	ws := make([]wildcard, len(ss))
	for i, s := range ss {
		if ws[i], err = parseWildcard(s); err != nil {
			return nil, c.fail(reasonf("%s: %v", op, err))
		}
	}
	return &anythingButWildcard{ws: ws}, nil
}

// numeric compiles ["=", n], [">" or ">=", n], ["<" or "<=", n], or a
// range [">" or ">=", n, "<" or "<=", m].
func (c *compiler) numeric() (matcher, error) {
	if c.dec.PeekKind() != '[' {
		return nil, c.fail(reason(`numeric: must be an array such as [">", 0, "<=", 5]`))
	}
	if _, err := c.dec.ReadToken(); err != nil {
		return nil, c.syntax(err)
	}
	var m numeric
	first, err := c.numericOp("=", ">", ">=", "<", "<=")
	if err != nil {
		return nil, err
	}
	n, err := c.num("numeric: " + strconv.Quote(first))
	if err != nil {
		return nil, err
	}
	switch first {
	case "=":
		m = numeric{lo: n.millionths(), hi: n.millionths(), hasLo: true, hasHi: true}
	case ">", ">=":
		m = numeric{lo: n.millionths(), hasLo: true, openLo: first == ">"}
	case "<", "<=":
		m = numeric{hi: n.millionths(), hasHi: true, openHi: first == "<"}
	}
	if m.hasLo && !m.hasHi && c.dec.PeekKind() != ']' {
		second, err := c.numericOp("<", "<=")
		if err != nil {
			return nil, err
		}
		top, err := c.num("numeric: " + strconv.Quote(second))
		if err != nil {
			return nil, err
		}
		m.hi, m.hasHi, m.openHi = top.millionths(), true, second == "<"
		if m.lo >= m.hi {
			return nil, c.fail(reason("numeric: the lower bound must be less than the upper bound"))
		}
	}
	if err := c.end("numeric", ']'); err != nil {
		return nil, err
	}
	return &m, nil
}

// numericOp reads one of the comparison operators allowed at this point
// of a numeric array.
func (c *compiler) numericOp(allowed ...string) (string, error) {
	want := `"` + strings.Join(allowed, `", "`) + `"`
	switch c.dec.PeekKind() {
	case '"':
	case ']':
		return "", c.fail(reasonf("numeric: missing operator, one of %s", want))
	case 0:
		_, err := c.dec.ReadToken()
		return "", c.syntax(err)
	default:
		v, _ := c.dec.ReadValue()
		return "", c.fail(reasonf("numeric: expected an operator, one of %s, not %s", want, v))
	}
	tok, err := c.dec.ReadToken()
	if err != nil {
		return "", c.syntax(err)
	}
	op := tok.String()
	for _, a := range allowed {
		if op == a {
			return op, nil
		}
	}
	if len(allowed) == 2 {
		return "", c.fail(reasonf("numeric: a range is \">\" or \">=\" then \"<\" or \"<=\"; %q cannot follow the lower bound", op))
	}
	return "", c.fail(reasonf("numeric: unknown operator %q, use one of %s", op, want))
}

// num reads a number operand, which must be one EventBridge can compare:
// within ±5.0e9, with at most six decimals.
func (c *compiler) num(op string) (number, error) {
	switch c.dec.PeekKind() {
	case '0':
	case 0:
		_, err := c.dec.ReadToken()
		return number{}, c.syntax(err)
	default:
		return number{}, c.fail(reasonf("%s needs a number", op))
	}
	tok, err := c.dec.ReadToken()
	if err != nil {
		return number{}, c.syntax(err)
	}
	text := tok.String()
	n := parseNumber(text)
	if !n.fixed {
		if f := n.float(); f < -5e9 || f > 5e9 {
			return number{}, c.fail(reasonf("%s: %s is outside the range -5e9 to 5e9", op, text))
		}
		return number{}, c.fail(reasonf("%s: %s has more than six digits after the decimal point", op, text))
	}
	return n, nil
}

// parseCIDR reads an IPv4 or IPv6 network. Like EventBridge it refuses a
// /32 or /128, which is a single address: match that with the address.
func parseCIDR(s string) (netip.Prefix, error) {
	addr, bits, ok := strings.Cut(s, "/")
	if !ok || strings.Contains(bits, "/") {
		return netip.Prefix{}, reasonf("%q is not a network: it needs one \"/\", as in 10.0.0.0/24", s)
	}
	n, err := strconv.Atoi(bits)
	if err != nil || n < 0 {
		return netip.Prefix{}, reasonf("%q: the mask must be a number of bits", s)
	}
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, reasonf("%q is not an IP address", addr)
	}
	a = a.Unmap()
	if a.Is4() && n > 31 {
		return netip.Prefix{}, reasonf("%q: an IPv4 mask must be less than 32 bits", s)
	}
	if a.Is6() && n > 127 {
		return netip.Prefix{}, reasonf("%q: an IPv6 mask must be less than 128 bits", s)
	}
	return netip.PrefixFrom(a, n).Masked(), nil
}
