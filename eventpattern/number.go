package eventpattern

import (
	"math"
	"strconv"
)

// EventBridge compares numbers as fixed-point decimals: a number takes part
// in numeric matching only if it lies within ±5.0e9 and has at most six
// digits after the decimal point. Such a number is held as an integer count
// of millionths, so that comparisons are exact where float64 would not be
// (0.3 - 0.1 is not 0.2 in binary floating point).
const (
	maxFixed     = 5_000_000_000 * scaleFixed
	scaleFixed   = 1_000_000
	fixedDecimal = 6
)

// number is a JSON number as both matching rules need it, in 16 bytes
// because an event holds many.
type number struct {
	bits  uint64 // millionths as an int64 when fixed, else float64 bits
	fixed bool   // within ±5e9 with at most six decimals
}

// millionths is the value × 10⁶ of a fixed number.
func (n number) millionths() int64 { return int64(n.bits) }

// float is the nearest float64 to a number that is not fixed.
func (n number) float() float64 { return math.Float64frombits(n.bits) }

// parseNumber reads the text of a valid JSON number. It works on the
// decimal digits rather than on a float64 so that "0.1" and "1e-1" are
// both exactly 100000 millionths and 0.1234567 is known to be too precise.
func parseNumber[T string | []byte](s T) number {
	if v, ok := fixedPoint(s); ok {
		return number{bits: uint64(v), fixed: true}
	}
	f, _ := strconv.ParseFloat(string(s), 64)
	return number{bits: math.Float64bits(f)}
}

// numberOfFloat is parseNumber for a decoded float64. Going through the
// shortest decimal text gives the same answer as reading that text from an
// event, so Match and MatchValue agree.
func numberOfFloat(f float64) number {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return number{bits: math.Float64bits(f)}
	}
	var buf [32]byte
	return parseNumber(strconv.AppendFloat(buf[:0], f, 'g', -1, 64))
}

// equal reports whether two numbers are the same value: exactly, when both
// are fixed-point; as float64 when neither is (EventBridge itself falls back
// to comparing the text there, which would make 1e12 differ from
// 1000000000000).
func (n number) equal(m number) bool {
	if n.fixed || m.fixed {
		return n.fixed && m.fixed && n.bits == m.bits
	}
	return n.float() == m.float()
}

// fixedPoint converts JSON number text to millionths, reporting false when
// the value is outside ±5e9 or needs more than six decimals.
func fixedPoint[T string | []byte](s T) (int64, bool) {
	i := 0
	neg := false
	if i < len(s) && s[i] == '-' {
		neg = true
		i++
	}
	intStart := i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intPart := s[intStart:i]
	var fracPart T
	if i < len(s) && s[i] == '.' {
		i++
		fracStart := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		fracPart = s[fracStart:i]
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		eneg := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			eneg = s[i] == '-'
			i++
		}
		for i < len(s) && isDigit(s[i]) {
			if exp < 100000 {
				exp = exp*10 + int(s[i]-'0')
			}
			i++
		}
		if eneg {
			exp = -exp
		}
	}
	// The mantissa is intPart followed by fracPart; value = mantissa ×
	// 10^(exp - len(fracPart)). Trim its zeros at both ends.
	digit := func(k int) byte {
		if k < len(intPart) {
			return intPart[k]
		}
		return fracPart[k-len(intPart)]
	}
	lo, hi := 0, len(intPart)+len(fracPart)
	for lo < hi && digit(lo) == '0' {
		lo++
	}
	if lo == hi {
		return 0, true // any spelling of zero, including -0
	}
	exp -= len(fracPart)
	for digit(hi-1) == '0' {
		hi--
		exp++
	}
	shift := exp + fixedDecimal // value in millionths = digits × 10^shift
	if shift < 0 || hi-lo+shift > 16 {
		return 0, false // too precise, or more than 16 digits of millionths
	}
	var v uint64
	for k := lo; k < hi; k++ {
		v = v*10 + uint64(digit(k)-'0')
	}
	for range shift {
		v *= 10
	}
	if v > maxFixed {
		return 0, false
	}
	if neg {
		return -int64(v), true
	}
	return int64(v), true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
