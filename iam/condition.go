package iam

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// A condition is one condition key under one operator of a statement's
// Condition element. All the conditions of a statement must hold.
type condition struct {
	op       operator
	negated  bool // the Not form: StringNotEquals, NotIpAddress, ...
	ifExists bool
	set      setOp
	key      string
	values   []value // the policy's values, of which any may match
}

type setOp uint8

const (
	setNone setOp = iota
	setForAllValues
	setForAnyValue
)

// operator is the unnegated form of a condition operator; the Not forms
// share it with condition.negated set.
type operator uint8

const (
	opStringEquals operator = iota
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opArnLike
	opNull
)

// operators are the condition operators of "IAM JSON policy elements:
// Condition operators", by lower-case name: like condition key names,
// operator names are matched regardless of case.
var operators = map[string]struct {
	op      operator
	negated bool
}{
	"stringequals":              {opStringEquals, false},
	"stringnotequals":           {opStringEquals, true},
	"stringequalsignorecase":    {opStringEqualsIgnoreCase, false},
	"stringnotequalsignorecase": {opStringEqualsIgnoreCase, true},
	"stringlike":                {opStringLike, false},
	"stringnotlike":             {opStringLike, true},
	"numericequals":             {opNumericEquals, false},
	"numericnotequals":          {opNumericEquals, true},
	"numericlessthan":           {opNumericLessThan, false},
	"numericlessthanequals":     {opNumericLessThanEquals, false},
	"numericgreaterthan":        {opNumericGreaterThan, false},
	"numericgreaterthanequals":  {opNumericGreaterThanEquals, false},
	"dateequals":                {opDateEquals, false},
	"datenotequals":             {opDateEquals, true},
	"datelessthan":              {opDateLessThan, false},
	"datelessthanequals":        {opDateLessThanEquals, false},
	"dategreaterthan":           {opDateGreaterThan, false},
	"dategreaterthanequals":     {opDateGreaterThanEquals, false},
	"bool":                      {opBool, false},
	"binaryequals":              {opBinaryEquals, false},
	"ipaddress":                 {opIPAddress, false},
	"notipaddress":              {opIPAddress, true},
	"arnequals":                 {opArnLike, false},
	"arnlike":                   {opArnLike, false},
	"arnnotequals":              {opArnLike, true},
	"arnnotlike":                {opArnLike, true},
	"null":                      {opNull, false},
}

// A value is one policy value of a condition, parsed for its operator.
type value struct {
	pat  pattern     // String operators
	arn  *[6]pattern // Arn operators: one pattern per ARN part
	num  float64     // Numeric operators
	time time.Time   // Date operators
	b    bool        // Bool and Null
	bin  string      // BinaryEquals: the decoded bytes
	ip   netip.Prefix
}

// parseOperator parses a Condition element's operator name, such as
// "ForAnyValue:StringNotLikeIfExists".
func parseOperator(name string) (c condition, err error) {
	base := name
	if i := strings.IndexByte(name, ':'); i >= 0 {
		switch strings.ToLower(name[:i]) {
		case "forallvalues":
			c.set = setForAllValues
		case "foranyvalue":
			c.set = setForAnyValue
		default:
			return c, fmt.Errorf("unknown operator %q", name)
		}
		base = name[i+1:]
	}
	lower := strings.ToLower(base)
	if l, ok := strings.CutSuffix(lower, "ifexists"); ok {
		lower, c.ifExists = l, true
	}
	o, ok := operators[lower]
	if !ok {
		return c, fmt.Errorf("unknown operator %q", name)
	}
	if o.op == opNull && (c.ifExists || c.set != setNone) {
		return c, fmt.Errorf("unknown operator %q: Null takes neither IfExists nor a set operator", name)
	}
	c.op, c.negated = o.op, o.negated
	return c, nil
}

// parseValue parses one policy value of a condition. Policy variables are
// substituted in the values of String and Arn operators only, as "Where
// you can use policy variables" on the policy variables page says.
func parseValue(op operator, s string, vars bool) (value, error) {
	var v value
	var ok bool
	switch op {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike:
		p, err := compile(s, op == opStringLike, vars)
		return value{pat: p}, err
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		if v.num, ok = parseNumber(s); !ok {
			return v, fmt.Errorf("invalid number %q", s)
		}
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		if v.time, ok = parseDate(s); !ok {
			return v, fmt.Errorf("invalid date %q: want ISO 8601, such as 2006-01-02T15:04:05Z, or epoch seconds", s)
		}
	case opBool, opNull:
		if v.b, ok = parseBool(s); !ok {
			return v, fmt.Errorf(`invalid boolean %q: want "true" or "false"`, s)
		}
	case opBinaryEquals:
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return v, fmt.Errorf("invalid base64 %q", s)
		}
		v.bin = string(b)
	case opIPAddress:
		if v.ip, ok = parsePrefix(s); !ok {
			return v, fmt.Errorf("invalid IP address or CIDR block %q", s)
		}
	case opArnLike:
		parts, ok, err := splitARNPattern(s, vars)
		if err != nil {
			return v, err
		}
		if !ok {
			return v, fmt.Errorf("%q is not an ARN (arn:partition:service:region:account-id:resource)", s)
		}
		v.arn = new([6]pattern)
		for i, part := range parts {
			if v.arn[i], err = compile(part, true, vars); err != nil {
				return v, err
			}
		}
	default:
		return v, errors.New("unknown operator")
	}
	return v, nil
}

// holds evaluates the condition for a request.
//
// A key that is absent (or has no values) makes a condition false, and
// its negated form true, except under ...IfExists (true), ForAllValues
// (true) and ForAnyValue (false): "IAM JSON policy elements: Condition
// operators" and "Single-valued vs. multivalued context keys". Null asks
// only whether the key is absent.
//
// The policy's values are ORed, and NORed for a negated operator
// ("Conditions with multiple context keys or values"). With a set
// operator the test is made for each of the key's values in the request;
// without one, a key with several values matches if any of them does, and
// its negated form if none does.
func (c *condition) holds(r *Request) bool {
	vals := lookup(r.Context, c.key)
	if c.op == opNull {
		for i := range c.values {
			if c.values[i].b == (len(vals) == 0) {
				return true
			}
		}
		return false
	}
	if len(vals) == 0 {
		switch {
		case c.ifExists:
			return true
		case c.set == setForAllValues:
			return true
		case c.set == setForAnyValue:
			return false
		}
		return c.negated
	}
	switch c.set {
	case setForAllValues:
		for _, v := range vals {
			if c.test(v, r.Context) == c.negated {
				return false
			}
		}
		return true
	case setForAnyValue:
		for _, v := range vals {
			if c.test(v, r.Context) != c.negated {
				return true
			}
		}
		return false
	}
	for _, v := range vals {
		if c.test(v, r.Context) {
			return !c.negated
		}
	}
	return c.negated
}

// test reports whether one request value v matches any of the policy's
// values under the unnegated operator. A request value that is not of the
// operator's type (not a number, a date, an address or an ARN) matches
// none.
func (c *condition) test(v string, ctx map[string][]string) bool {
	switch c.op {
	case opStringEquals, opStringLike:
		for i := range c.values {
			if c.values[i].pat.match(v, ctx, false) {
				return true
			}
		}
	case opStringEqualsIgnoreCase:
		for i := range c.values {
			if s, ok := c.values[i].pat.expand(ctx); ok && strings.EqualFold(v, s) {
				return true
			}
		}
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		n, ok := parseNumber(v)
		if !ok {
			return false
		}
		for i := range c.values {
			if c.op.holds(cmp.Compare(n, c.values[i].num)) {
				return true
			}
		}
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(v)
		if !ok {
			return false
		}
		for i := range c.values {
			if c.op.holds(t.Compare(c.values[i].time)) {
				return true
			}
		}
	case opBool:
		b, ok := parseBool(v)
		if !ok {
			return false
		}
		for i := range c.values {
			if c.values[i].b == b {
				return true
			}
		}
	case opBinaryEquals:
		for i := range c.values {
			if c.values[i].bin == v {
				return true
			}
		}
	case opIPAddress:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return false
		}
		a = a.Unmap().WithZone("")
		for i := range c.values {
			if c.values[i].ip.Contains(a) {
				return true
			}
		}
	case opArnLike:
		parts, ok := splitARN(v)
		if !ok {
			return false
		}
	values:
		for i := range c.values {
			for j := range parts {
				if !c.values[i].arn[j].match(parts[j], ctx, false) {
					continue values
				}
			}
			return true
		}
	}
	return false
}

// holds reports whether a comparison of a request value with a policy
// value, c = cmp.Compare(request, policy), satisfies the operator.
func (op operator) holds(c int) bool {
	switch op {
	case opNumericEquals, opDateEquals:
		return c == 0
	case opNumericLessThan, opDateLessThan:
		return c < 0
	case opNumericLessThanEquals, opDateLessThanEquals:
		return c <= 0
	case opNumericGreaterThan, opDateGreaterThan:
		return c > 0
	case opNumericGreaterThanEquals, opDateGreaterThanEquals:
		return c >= 0
	}
	return false
}

// parseNumber parses an integer or decimal, with an optional sign and
// exponent. It is stricter than strconv.ParseFloat, which would also take
// "NaN", "Inf", hexadecimal and underscores.
func parseNumber(s string) (float64, bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
		}
		if i == start {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}

// dateLayouts are the W3C profile of ISO 8601 that the Date operators
// take ("IAM JSON policy elements: Condition operators"), from the most
// common form down. time.RFC3339 also takes fractional seconds.
var dateLayouts = []string{
	time.RFC3339,
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04:05",
	"2006-01-02",
}

// parseDate parses a date in ISO 8601 or, if s is all digits, in epoch
// seconds (the form of aws:EpochTime). A date without a time zone is UTC.
func parseDate(s string) (time.Time, bool) {
	if s != "" && strings.Trim(s, "0123456789") == "" || len(s) > 1 && s[0] == '-' && strings.Trim(s[1:], "0123456789") == "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return time.Time{}, false
		}
		return time.Unix(n, 0), true
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func parseBool(s string) (b, ok bool) {
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// parsePrefix parses a CIDR block, or an address, which stands for the
// block of that one address ("/32 by default" in the IP address operators'
// description, and /128 for IPv6).
func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}
