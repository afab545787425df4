package eventpattern

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// hasPrefixFold is strings.HasPrefix under Unicode simple case folding, as
// strings.EqualFold compares. It walks runes because a rune and its other
// case may differ in length (K and the Kelvin sign), so byte lengths of
// prefix and value cannot be compared.
func hasPrefixFold(s, prefix string) bool {
	for prefix != "" {
		if s == "" {
			return false
		}
		r, n := utf8.DecodeRuneInString(prefix)
		q, m := utf8.DecodeRuneInString(s)
		if !equalFoldRune(r, q) {
			return false
		}
		prefix, s = prefix[n:], s[m:]
	}
	return true
}

// hasSuffixFold is hasPrefixFold from the end.
func hasSuffixFold(s, suffix string) bool {
	for suffix != "" {
		if s == "" {
			return false
		}
		r, n := utf8.DecodeLastRuneInString(suffix)
		q, m := utf8.DecodeLastRuneInString(s)
		if !equalFoldRune(r, q) {
			return false
		}
		suffix, s = suffix[:len(suffix)-n], s[:len(s)-m]
	}
	return true
}

func equalFoldRune(r, q rune) bool {
	if r == q {
		return true
	}
	if r < utf8.RuneSelf && q < utf8.RuneSelf {
		return 'A' <= r && r <= 'Z' && r+'a'-'A' == q || 'A' <= q && q <= 'Z' && q+'a'-'A' == r
	}
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f == q {
			return true
		}
	}
	return false
}

// wildcard is a compiled wildcard value: the literal pieces between its
// asterisks, escapes resolved. A value with n asterisks has n+1 pieces.
type wildcard struct {
	pieces []string
}

// parseWildcard compiles a wildcard value. As in EventBridge, "\*" is a
// literal asterisk and "\\" a literal backslash; any other escape, and two
// asterisks in a row, are errors (a run of asterisks means nothing more
// than one, and EventBridge refuses it rather than guess).
func parseWildcard(s string) (wildcard, error) {
	var w wildcard
	var piece strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '*':
			if i+1 < len(s) && s[i+1] == '*' {
				return wildcard{}, reasonf("consecutive wildcard characters at position %d of %q", i, s)
			}
			w.pieces = append(w.pieces, piece.String())
			piece.Reset()
		case '\\':
			if i+1 < len(s) && (s[i+1] == '*' || s[i+1] == '\\') {
				piece.WriteByte(s[i+1])
				i++
				continue
			}
			return wildcard{}, reasonf(`invalid escape at position %d of %q: only \* and \\ are allowed`, i, s)
		default:
			piece.WriteByte(c)
		}
	}
	w.pieces = append(w.pieces, piece.String())
	return w, nil
}

// match reports whether s matches the whole wildcard. Taking each middle
// piece at its leftmost occurrence is optimal when the only metacharacter
// is "*", so matching is linear in len(s) per piece, with no backtracking
// for adversarial values to exploit.
func (w *wildcard) match(s string) bool {
	p := w.pieces
	if len(p) == 1 {
		return s == p[0]
	}
	if !strings.HasPrefix(s, p[0]) {
		return false
	}
	s = s[len(p[0]):]
	last := p[len(p)-1]
	for _, piece := range p[1 : len(p)-1] {
		i := strings.Index(s, piece)
		if i < 0 {
			return false
		}
		s = s[i+len(piece):]
	}
	return strings.HasSuffix(s, last)
}
