package iam

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A pattern is a compiled action, resource or condition value: literal
// text, wildcards and policy variables. Variables are kept as tokens and
// resolved while matching, so that a value substituted for a variable is
// always literal text: a user name cannot smuggle a wildcard into a
// Resource, and the escapes ${*}, ${?} and ${$} stay literal too.
type pattern struct {
	kind patternKind
	lit  string // the text of a patLit, the prefix of a patPrefix
	toks []token
}

type patternKind uint8

const (
	patGeneral patternKind = iota
	patAny                 // "*"
	patLit                 // no wildcards or variables
	patPrefix              // literal text, then one trailing '*'
)

type token struct {
	kind   tokenKind
	text   string // literal text, or a variable's key
	def    string // a variable's default value
	hasDef bool
}

type tokenKind uint8

const (
	tokLit  tokenKind = iota
	tokStar           // '*': any run of characters, possibly empty
	tokOne            // '?': any one character
	tokVar            // ${key} or ${key, 'default'}
)

// compile compiles s. With wild, '*' and '?' are wildcards; with vars
// (policy version 2012-10-17), ${...} is a policy variable or escape.
func compile(s string, wild, vars bool) (pattern, error) {
	var toks []token
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			toks = append(toks, token{kind: tokLit, text: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case vars && c == '$' && i+1 < len(s) && s[i+1] == '{':
			v, end, err := parseVariable(s, i)
			if err != nil {
				return pattern{}, err
			}
			i = end
			if !v.hasDef && (v.text == "*" || v.text == "?" || v.text == "$") {
				lit.WriteString(v.text)
				continue
			}
			flush()
			toks = append(toks, v)
		case wild && c == '*':
			flush()
			// "**" matches what "*" matches; one star backtracks less.
			if len(toks) == 0 || toks[len(toks)-1].kind != tokStar {
				toks = append(toks, token{kind: tokStar})
			}
			i++
		case wild && c == '?':
			flush()
			toks = append(toks, token{kind: tokOne})
			i++
		default:
			lit.WriteByte(c)
			i++
		}
	}
	flush()

	p := pattern{kind: patGeneral, toks: toks}
	switch {
	case len(toks) == 0:
		p.kind = patLit
	case len(toks) == 1 && toks[0].kind == tokLit:
		p.kind, p.lit = patLit, toks[0].text
	case len(toks) == 1 && toks[0].kind == tokStar:
		p.kind = patAny
	case len(toks) == 2 && toks[0].kind == tokLit && toks[1].kind == tokStar:
		p.kind, p.lit = patPrefix, toks[0].text
	}
	return p, nil
}

// parseVariable parses the variable that starts at s[i:], "${", and
// returns it with the offset just past it. The forms are ${key} and
// ${key, 'default'}, as "Specifying default values" on the policy
// variables page describes.
func parseVariable(s string, i int) (token, int, error) {
	j := i + 2
	k := strings.IndexAny(s[j:], ",}")
	if k < 0 {
		return token{}, 0, errors.New("policy variable without a closing brace in " + strconv.Quote(s))
	}
	key := strings.TrimSpace(s[j : j+k])
	if key == "" {
		return token{}, 0, errors.New("empty policy variable in " + strconv.Quote(s))
	}
	if strings.ContainsAny(key, "${' \t") && key != "$" {
		return token{}, 0, errors.New("invalid policy variable name " + strconv.Quote(key))
	}
	t := token{kind: tokVar, text: key}
	j += k
	if s[j] == '}' {
		return t, j + 1, nil
	}
	// A default: ", 'text'" then "}".
	rest := strings.TrimLeft(s[j+1:], " ")
	if !strings.HasPrefix(rest, "'") {
		return token{}, 0, errors.New("policy variable default must be quoted with ' in " + strconv.Quote(s))
	}
	q := strings.IndexByte(rest[1:], '\'')
	if q < 0 {
		return token{}, 0, errors.New("policy variable default without a closing quote in " + strconv.Quote(s))
	}
	t.def, t.hasDef = rest[1:1+q], true
	after := strings.TrimLeft(rest[2+q:], " ")
	if !strings.HasPrefix(after, "}") {
		return token{}, 0, errors.New("policy variable without a closing brace in " + strconv.Quote(s))
	}
	return t, len(s) - len(after) + 1, nil
}

// resolve returns the value of a variable for a request. A variable takes
// the value of a single-valued key only: "Single-valued vs. multivalued
// context keys" says multivalued keys cannot be policy variables.
func resolve(ctx map[string][]string, t *token) (string, bool) {
	if v := lookup(ctx, t.text); len(v) == 1 {
		return v[0], true
	}
	return t.def, t.hasDef
}

// match reports whether s matches p, taking variables from ctx. With fold,
// ASCII letters match regardless of case; p's literals must then be lower
// case.
func (p *pattern) match(s string, ctx map[string][]string, fold bool) bool {
	switch p.kind {
	case patAny:
		return true
	case patLit:
		return len(s) == len(p.lit) && hasPrefix(s, p.lit, fold)
	case patPrefix:
		return hasPrefix(s, p.lit, fold)
	}
	return matchTokens(p.toks, s, ctx, fold)
}

// expand returns p's text with its variables substituted; p must have no
// wildcards. ok is false if a variable has no value.
func (p *pattern) expand(ctx map[string][]string) (s string, ok bool) {
	if p.kind == patLit {
		return p.lit, true
	}
	var b strings.Builder
	for i := range p.toks {
		t := &p.toks[i]
		if t.kind == tokVar {
			v, ok := resolve(ctx, t)
			if !ok {
				return "", false
			}
			b.WriteString(v)
		} else {
			b.WriteString(t.text)
		}
	}
	return b.String(), true
}

// matchTokens matches a glob, backtracking only to the last star seen:
// since a star matches any run of characters, a later star can absorb
// whatever an earlier one would have, so this is exact and takes
// O(len(toks)·len(s)) time at worst.
//
// A variable with no value makes the whole pattern match nothing, as
// "Policy variables with no value" on the policy variables page says of
// both Resource elements and condition values.
func matchTokens(toks []token, s string, ctx map[string][]string, fold bool) bool {
	ti, si := 0, 0
	star, starSi := -1, 0
	for {
		if ti < len(toks) {
			t := &toks[ti]
			switch t.kind {
			case tokStar:
				if ti == len(toks)-1 {
					return true
				}
				star, starSi = ti, si
				ti++
				continue
			case tokOne:
				if si < len(s) {
					_, n := utf8.DecodeRuneInString(s[si:])
					si += n
					ti++
					continue
				}
			case tokLit:
				if hasPrefix(s[si:], t.text, fold) {
					si += len(t.text)
					ti++
					continue
				}
			case tokVar:
				v, ok := resolve(ctx, t)
				if !ok {
					return false
				}
				if strings.HasPrefix(s[si:], v) {
					si += len(v)
					ti++
					continue
				}
			}
		} else if si == len(s) {
			return true
		}
		if star < 0 || starSi >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starSi:])
		starSi += n
		ti, si = star+1, starSi
	}
}

// hasPrefix reports whether s begins with prefix; with fold, ASCII letters
// of s match regardless of case (prefix is lower case).
func hasPrefix(s, prefix string, fold bool) bool {
	if len(s) < len(prefix) {
		return false
	}
	if !fold {
		return s[:len(prefix)] == prefix
	}
	for i := 0; i < len(prefix); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}

// lookup returns the values of a condition key. Key names are
// case-insensitive ("IAM JSON policy elements: Condition"); the exact
// spelling is tried first because it is the common case and costs one
// map access.
func lookup(ctx map[string][]string, key string) []string {
	if v, ok := ctx[key]; ok {
		return v
	}
	for k, v := range ctx {
		if strings.EqualFold(k, key) {
			return v
		}
	}
	return nil
}

// splitARN splits an ARN into its six colon-separated parts: "arn",
// partition, service, region, account and resource, which may itself
// contain colons.
func splitARN(s string) (parts [6]string, ok bool) {
	for i := range 5 {
		j := strings.IndexByte(s, ':')
		if j < 0 {
			return parts, false
		}
		parts[i], s = s[:j], s[j+1:]
	}
	parts[5] = s
	return parts, true
}

// splitARNPattern is splitARN for a policy value that may hold variables,
// whose keys and defaults may contain colons of their own.
func splitARNPattern(s string, vars bool) (parts [6]string, ok bool, err error) {
	n, start := 0, 0
	for i := 0; i < len(s) && n < 5; {
		switch {
		case vars && s[i] == '$' && i+1 < len(s) && s[i+1] == '{':
			_, end, err := parseVariable(s, i)
			if err != nil {
				return parts, false, err
			}
			i = end
		case s[i] == ':':
			parts[n] = s[start:i]
			n++
			i++
			start = i
		default:
			i++
		}
	}
	if n < 5 {
		return parts, false, nil
	}
	parts[5] = s[start:]
	return parts, true, nil
}
