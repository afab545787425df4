package asff

import (
	"errors"
	"time"
)

var errTime = errors.New("is not a timestamp in a format Security Hub accepts (RFC 3339, e.g. 2024-01-02T15:04:05.000Z)")

// ParseTime parses an ASFF timestamp and rounds it to the millisecond, as
// Security Hub stores them. The syntax is the one AWS publishes for
// DateFilter: RFC 3339 with 0–9 fraction digits and an offset of Z, ±HH,
// ±HHMM or ±HH:MM. It is parsed by hand rather than by a regular
// expression because every import parses several timestamps per finding.
func ParseTime(s string) (time.Time, error) {
	// YYYY-MM-DDTHH:MM:SS is 19 bytes; the shortest offset, Z, one more.
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, errTime
	}
	year, ok1 := atoiDigits(s[0:4])
	month, ok2 := atoiDigits(s[5:7])
	day, ok3 := atoiDigits(s[8:10])
	hour, ok4 := atoiDigits(s[11:13])
	minute, ok5 := atoiDigits(s[14:16])
	sec, ok6 := atoiDigits(s[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return time.Time{}, errTime
	}
	rest := s[19:]
	nsec := 0
	if rest[0] == '.' {
		n := 1
		for n < len(rest) && '0' <= rest[n] && rest[n] <= '9' {
			n++
		}
		if n == 1 || n > 10 {
			return time.Time{}, errTime
		}
		nsec, _ = atoiDigits(rest[1:n])
		for i := n - 1; i < 9; i++ {
			nsec *= 10
		}
		rest = rest[n:]
	}
	offset := 0
	switch {
	case rest == "Z":
	case len(rest) >= 3 && (rest[0] == '+' || rest[0] == '-'):
		h, ok := atoiDigits(rest[1:3])
		m := 0
		switch z := rest[3:]; {
		case !ok:
			return time.Time{}, errTime
		case len(z) == 0:
		case len(z) == 2:
			m, ok = atoiDigits(z)
		case len(z) == 3 && z[0] == ':':
			m, ok = atoiDigits(z[1:])
		default:
			ok = false
		}
		if !ok || h > 18 || m > 59 || (h == 18 && m > 0) {
			return time.Time{}, errTime
		}
		offset = h*3600 + m*60
		if rest[0] == '-' {
			offset = -offset
		}
	default:
		return time.Time{}, errTime
	}
	leap := sec == 60
	if leap {
		sec = 59
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day { // e.g. February 30th
		return time.Time{}, errTime
	}
	t = t.Add(-time.Duration(offset) * time.Second)
	if leap {
		t = t.Add(time.Second)
	}
	return t.Round(time.Millisecond), nil
}

// atoiDigits parses s, which must be all ASCII digits.
func atoiDigits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(s) > 0
}

// FormatTime formats t as Security Hub writes timestamps it sets itself.
func FormatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
